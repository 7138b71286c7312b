// conjunction(ID,K/N) and note: the ovs-ofctl text (parsed, printed as
// Open vSwitch prints it, compared with ovs-ofctl itself), the errors Open
// vSwitch gives for what it refuses, and the NXAST_CONJUNCTION wire form
// (round trips in every version, the byte layout, malformed actions refused
// with NXBAC_BAD_CONJUNCTION).
#include <gtest/gtest.h>

#include "openflow/of_action.h"
#include "openflow/wire/action_codec.h"
#include "ovs_ofctl_peer.h"

namespace flowpath::openflow {
namespace {

std::string round_trip(const std::string& text) {
  auto actions = parse_of_actions(text);
  EXPECT_TRUE(actions.ok()) << text << ": " << (actions.ok() ? "" : actions.error());
  if (!actions.ok()) return "";
  std::string printed = format_of_actions(*actions);
  auto again = parse_of_actions(printed);
  EXPECT_TRUE(again.ok()) << printed;
  if (again.ok()) {
    EXPECT_TRUE(*again == *actions) << printed << " reads back differently";
  }
  return printed;
}

// Differences kept on purpose (docs/openflow-syntax.md).
const std::vector<ovs_peer::Deliberate> kDeliberate = {
    {"conjunction(010,1/2)", "conjunction(8,1/2)",
     "numbers with a leading 0 are decimal, as everywhere else in flowpath's syntax; "
     "Open vSwitch's scanf reads this one as octal"},
};

TEST(ConjunctionText, PrintsAsOpenVswitch) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"conjunction(1,1/2)", "conjunction(1,1/2)"},
      {"conjunction(1234, 2/2)", "conjunction(1234,2/2)"},
      {"conjunction( 5 , 1 / 3 )", "conjunction(5,1/3)"},
      {"conjunction(0x10,3/3)", "conjunction(16,3/3)"},
      {"conjunction(4294967295,64/64)", "conjunction(4294967295,64/64)"},
      {"conjunction(0,1/2)", "conjunction(0,1/2)"},
      {"CONJUNCTION(7,1/2)", "conjunction(7,1/2)"},
      {"conjunction(1,2/2),conjunction(2,1/3),note:aa",
       "conjunction(1,2/2),conjunction(2,1/3),note:aa.00.00.00.00.00"},
      {"note:c0.ff.ee,conjunction(7,1/2)", "note:c0.ff.ee.00.00.00,conjunction(7,1/2)"},
      {"conjunction(1,1/2),conjunction(1,1/2)", "conjunction(1,1/2),conjunction(1,1/2)"},
      {"conjunction(1,1/2),conjunction(1,2/2)", "conjunction(1,1/2),conjunction(1,2/2)"},
      {"clone(conjunction(1,1/2))", "clone(conjunction(1,1/2))"},
      {"note:", "note:00.00.00.00.00.00"},
      {"note:0102030405060708", "note:01.02.03.04.05.06.07.08.00.00.00.00.00.00"},
      {"conjunction(010,1/2)", "conjunction(10,1/2)"},
  };
  for (const auto& [input, expected] : cases) {
    std::string printed = round_trip(input);
    EXPECT_EQ(printed, expected) << input;
    ovs_peer::expect_agrees_with_ovs("actions", input, printed, ovs_peer::ovs_actions(input),
                                     kDeliberate);
  }
}

TEST(ConjunctionText, RefusesWhatOpenVswitchRefuses) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"conjunction(1,1/2),output:1", "\"conjunction\" may only go with \"note\", not with \"output\""},
      {"output:1,conjunction(1,1/2)", "\"conjunction\" may only go with \"note\", not with \"output\""},
      {"conjunction(1,1/2),goto_table:3", "not with \"goto_table\""},
      {"conjunction(1,1/2),write_actions(output:1)", "not with \"write_actions\""},
      {"clone(conjunction(1,1/2),output:1)", "not with \"output\""},
      {"conjunction(1,1/1)", "N is 1, a conjunctive match needs at least 2 clauses"},
      {"conjunction(1,1/65)", "N is 65, a conjunctive match has at most 64 clauses"},
      {"conjunction(1,3/2)", "clause K 3 is past N 2"},
      {"conjunction(1,0/2)", "clause K must be 1 or more"},
      {"conjunction(1,1)", "expected conjunction(ID,K/N)"},
      {"conjunction(1/2,1)", "expected conjunction(ID,K/N)"},
      {"conjunction:1", "expected conjunction(ID,K/N)"},
      {"conjunction", "expected conjunction(ID,K/N)"},
      {"conjunction(4294967296,1/2)", "conjunction id: 4294967296 is out of range"},
      {"conjunction(-1,1/2)", "conjunction id: \"-1\" is not a number"},
      {"conjunction(1,1/300)", "N is 300"},
      {"conjunction(x,1/2)", "conjunction id: \"x\" is not a number"},
      {"note:zz", "note: \"zz\" is not pairs of hex digits (at offset 0)"},
      {"note:a", "is not pairs of hex digits"},
  };
  for (const auto& [input, message] : cases) {
    auto actions = parse_of_actions(input);
    ASSERT_FALSE(actions.ok()) << input << " was accepted as " << format_of_actions(*actions);
    EXPECT_NE(actions.error().find(message), std::string::npos)
        << input << ": " << actions.error() << "\n  expected to contain: " << message;
  }
  // Open vSwitch refuses each of those that it does not read as something
  // else (it wraps 4294967296, -1 and 300 around; flowpath says they are
  // out of range).
  for (const char* refused : {"conjunction(1,1/2),output:1", "conjunction(1,1/1)",
                              "conjunction(1,1/65)", "conjunction(1,3/2)", "conjunction(1,0/2)",
                              "conjunction(1,1)", "clone(conjunction(1,1/2),output:1)", "note:zz"}) {
    ovs_peer::OvsVerdict ovs = ovs_peer::ovs_actions(refused);
    ASSERT_TRUE(ovs.ran) << "ovs-ofctl is not installed";
    EXPECT_FALSE(ovs.accepted) << refused << ": Open vSwitch takes it as " << ovs.printed;
  }
}

// NXAST_CONJUNCTION: 16 bytes, vendor 0x2320, subtype 34, clause K-1, N, id.
TEST(ConjunctionWire, RoundTripsInEveryVersionWithOpenVswitchsBytes) {
  auto actions = parse_of_actions("conjunction(0x01020304,2/3),note:c0.ff.ee");
  ASSERT_TRUE(actions.ok());
  for (uint8_t version : {0x01, 0x04, 0x05, 0x06}) {
    wire::Bytes bytes;
    wire::WireWriter w(&bytes);
    wire::encode_actions(w, *actions, version);
    ASSERT_EQ(bytes.size(), 32u);
    const std::vector<uint8_t> expected_conjunction = {0xff, 0xff, 0x00, 0x10, 0x00, 0x00, 0x23, 0x20,
                                                       0x00, 0x22, 0x01, 0x03, 0x01, 0x02, 0x03, 0x04};
    EXPECT_EQ(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 16), expected_conjunction);
    auto decoded = wire::decode_actions(bytes, version);
    ASSERT_TRUE(decoded.ok()) << decoded.error().detail;
    EXPECT_TRUE(*decoded == *actions) << format_of_actions(*decoded);
    auto instructions = wire::decode_instructions(bytes, version);
    if (version == 0x01) {
      ASSERT_TRUE(instructions.ok()) << instructions.error().detail;
      EXPECT_TRUE(*instructions == *actions);
    }
  }
}

TEST(ConjunctionWire, RefusesMalformedAndMixedConjunctions) {
  auto encode = [](const std::string& text) {
    auto actions = parse_of_actions(text);
    EXPECT_TRUE(actions.ok()) << text;
    wire::Bytes bytes;
    wire::WireWriter w(&bytes);
    wire::encode_actions(w, *actions, 0x04);
    return bytes;
  };
  // K past N, N under 2, N over 64: byte 10 is K-1, byte 11 N.
  for (auto [clause, n] : {std::pair<uint8_t, uint8_t>{2, 2}, {0, 1}, {0, 65}, {70, 65}}) {
    wire::Bytes bytes = encode("conjunction(9,1/2)");
    bytes[10] = clause;
    bytes[11] = n;
    auto decoded = wire::decode_actions(bytes, 0x04);
    ASSERT_FALSE(decoded.ok()) << int(clause) << "/" << int(n);
    EXPECT_EQ(decoded.error().code, wire::OfpErrorCode::NXBAC_BAD_CONJUNCTION);
  }
  // Mixed with another action: the output came over the wire after it.
  wire::Bytes mixed = encode("conjunction(9,1/2)");
  wire::Bytes output = encode("output:1");
  mixed.insert(mixed.end(), output.begin(), output.end());
  auto decoded = wire::decode_actions(mixed, 0x04);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code, wire::OfpErrorCode::NXBAC_BAD_CONJUNCTION);
  EXPECT_NE(decoded.error().detail.find("output"), std::string::npos) << decoded.error().detail;
}

}  // namespace
}  // namespace flowpath::openflow
