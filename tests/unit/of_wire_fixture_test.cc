// Byte-for-byte agreement with Open vSwitch: every message recorded from
// ovs-ofctl (tests/openflow/fixtures, made by tests/openflow/make_fixtures.py)
// must decode and encode back to the same bytes.
#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "openflow/wire/flow_mod.h"

namespace flowpath::openflow::wire {
namespace {

struct Fixture {
  std::string command, protocol, print;
  Bytes bytes;
};

Bytes from_hex(const std::string& hex) {
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  return out;
}

std::string to_hex(ByteView bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

std::vector<Fixture> load(const std::string& name) {
  std::ifstream in(std::string(FLOWPATH_OPENFLOW_FIXTURES) + "/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::vector<Fixture> out;
  Fixture cur;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto colon = line.find(": ");
    std::string key = line.substr(0, colon), value = line.substr(colon + 2);
    if (key == "command") cur = Fixture{value, "", "", {}};
    else if (key == "protocol") cur.protocol = value;
    else if (key == "print") cur.print = value;
    else if (key == "hex") {
      cur.bytes = from_hex(value);
      out.push_back(cur);
    }
  }
  return out;
}

// The error ovs-ofctl printed for a message it could not decode, if any.
std::optional<std::string> expected_error(const Fixture& f) {
  const std::string tag = "***decode error: ";
  auto at = f.print.find(tag);
  if (at == std::string::npos) return std::nullopt;
  auto end = f.print.find("***", at + tag.size());
  return f.print.substr(at + tag.size(), end - at - tag.size());
}

TEST(OfWireFixtures, FlowModsRoundTrip) {
  auto fixtures = load("flow_mod_add.txt");
  ASSERT_GT(fixtures.size(), 400u);
  int failures = 0;
  for (const Fixture& f : fixtures) {
    auto protocol = protocol_from_name(f.protocol);
    ASSERT_TRUE(protocol) << f.protocol;
    auto msg = decode_message(f.bytes);
    ASSERT_TRUE(msg.ok()) << f.command << ": " << msg.error().to_string();
    auto fm = decode_flow_mod(*msg, *protocol);
    // Where Open vSwitch refuses its own encoding, the same refusal.
    if (auto refused = expected_error(f)) {
      if (fm.ok() || std::string(error_name(fm.error().code)) != *refused) {
        ADD_FAILURE() << f.command << "\n  Open vSwitch refuses it with " << *refused
                      << ", we " << (fm.ok() ? "accept it" : fm.error().to_string());
        ++failures;
      }
      continue;
    }
    if (!fm.ok()) {
      ADD_FAILURE() << f.command << "\n  decode: " << fm.error().to_string();
      ++failures;
      continue;
    }
    auto bytes = encode_flow_mod(*fm, *protocol, msg->xid);
    if (!bytes.ok()) {
      ADD_FAILURE() << f.command << "\n  encode: " << bytes.error().to_string();
      ++failures;
      continue;
    }
    if (*bytes != f.bytes) {
      ADD_FAILURE() << f.command << "\n  ovs:  " << to_hex(f.bytes) << "\n  ours: "
                    << to_hex(*bytes) << "\n  " << f.print;
      ++failures;
    }
  }
  EXPECT_EQ(failures, 0);
}

}  // namespace
}  // namespace flowpath::openflow::wire
