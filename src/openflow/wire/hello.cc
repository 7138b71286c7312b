// OFPT_HELLO (see hello.h).
#include "openflow/wire/hello.h"

namespace flowpath::openflow::wire {

namespace {

constexpr uint16_t kHelloElemVersionBitmap = 1;

}  // namespace

uint8_t highest_version(uint32_t versions) {
  return versions ? static_cast<uint8_t>(31 - __builtin_clz(versions)) : 0;
}

uint32_t versions_up_to(uint8_t version) {
  return version >= 31 ? 0xfffffffeu : ((1u << (version + 1)) - 1) & ~1u;
}

WireResult<Hello> decode_hello(const OfpMessage& msg) {
  Hello hello;
  hello.version = msg.version;
  hello.versions = versions_up_to(msg.version);
  WireReader r(msg.body, OfpErrorCode::OFPBRC_BAD_LEN, "hello");
  while (!r.empty()) {
    WIRE_TRY_ASSIGN(type, r.u16("element type"));
    WIRE_TRY_ASSIGN(length, r.u16("element length"));
    if (length < 4)
      return r.error(OfpErrorCode::OFPBRC_BAD_LEN,
                     "element length " + std::to_string(length) + " is less than 4");
    // Elements are padded to 8 bytes; the last one's padding may be missing.
    size_t padded = round_up8(length) - 4;
    size_t body = length - 4u;
    if (body > r.remaining())
      return r.error(OfpErrorCode::OFPBRC_BAD_LEN,
                     "element of " + std::to_string(length) + " bytes overruns the message");
    WIRE_TRY_ASSIGN(data, r.pull(body, "element"));
    WIRE_TRY(r.skip(std::min(padded - body, r.remaining()), "element padding"));
    if (type != kHelloElemVersionBitmap) continue;
    if (data.empty() || data.size() % 4)
      return r.error(OfpErrorCode::OFPBRC_BAD_LEN, "version bitmap of " +
                                                       std::to_string(data.size()) +
                                                       " bytes is not a multiple of 4");
    // Only versions below 32 exist; later words are for versions to come.
    uint32_t bitmap = get_u32(data.data()) & ~1u;
    if (!bitmap)
      return wire_error(OfpErrorCode::OFPHFC_INCOMPATIBLE,
                        "hello: the version bitmap names no version");
    hello.versions = bitmap;
    hello.has_bitmap = true;
  }
  return hello;
}

Bytes encode_hello(uint32_t versions, uint32_t xid) {
  Bytes out;
  const uint8_t version = highest_version(versions);
  size_t start = start_message(out, OfpRaw::OFPT_HELLO, version, xid);
  if (versions != versions_up_to(version)) {
    WireWriter w(&out);
    w.put_u16(kHelloElemVersionBitmap);
    w.put_u16(8);
    w.put_u32(versions);
  }
  finish_message(out, start);
  return out;
}

std::optional<uint8_t> negotiate_version(uint32_t ours, const Hello& theirs) {
  uint32_t common = ours & theirs.versions;
  if (!common) return std::nullopt;
  return highest_version(common);
}

}  // namespace flowpath::openflow::wire
