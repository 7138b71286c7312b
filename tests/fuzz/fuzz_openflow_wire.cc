// libFuzzer target for the OpenFlow wire codec: every message type of every
// version (1.0, 1.3, 1.4, 1.5 and the hello/error of any version). The first
// byte is the session state (bit 0: OpenFlow 1.0 flow mods carry a table
// id); the rest is one message, whose length field is set to its size so
// the body gets fuzzed rather than the framing alone. Whatever decodes must
// encode, and the encoding must decode and encode again to the same bytes
// (a fixed point), so decoders and encoders are held to each other.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "openflow/wire/message_codec.h"

namespace {

using namespace flowpath::openflow::wire;

std::string hex(ByteView b) {
  std::string out;
  char buf[3];
  for (uint8_t c : b) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    out += buf;
  }
  return out;
}

[[noreturn]] void fail(const char* what, ByteView a, ByteView b, const std::string& detail = {}) {
  std::fprintf(stderr, "%s %s\n  first:  %s\n  second: %s\n", what, detail.c_str(),
               hex(a).c_str(), hex(b).c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 + kOfpHeaderLen || size > 1 + 65535) return 0;
  Bytes bytes(data + 1, data + size);
  put_u16_at(bytes.data() + 2, static_cast<uint16_t>(bytes.size()));
  auto msg = decode_message(bytes);
  if (!msg.ok()) return 0;
  Protocol protocol;
  protocol.version = msg->version;
  protocol.table_id = data[0] & 1;
  auto first = reencode_message(*msg, protocol);
  if (!first.ok()) return 0;  // an encoder may refuse what it cannot carry
  auto again = decode_message(*first);
  if (!again.ok()) fail("encoding does not frame", bytes, *first, again.error().to_string());
  auto second = reencode_message(*again, protocol);
  if (!second.ok()) fail("encoding does not decode", bytes, *first, second.error().to_string());
  if (*second != *first) fail("encoding is not a fixed point", *first, *second);
  return 0;
}
