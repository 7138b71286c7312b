// Byte-for-byte agreement with Open vSwitch: every message recorded from
// ovs-ofctl (tests/openflow/fixtures, made by tests/openflow/make_fixtures.py)
// must decode and encode back to the same bytes.
#include <gtest/gtest.h>

#include <fstream>
#include <cstdio>
#include <map>
#include <set>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "openflow/wire/flow_mod.h"
#include "openflow/wire/message_codec.h"
#include "openflow/wire/nx_control.h"

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

// Where two encodings part: the lengths and 24 bytes from the first
// difference, so a failure stays readable for large messages.
std::string first_difference(ByteView ovs, ByteView ours) {
  size_t i = 0;
  while (i < ovs.size() && i < ours.size() && ovs[i] == ours[i]) ++i;
  auto at = [&](ByteView b) { return to_hex(b.subspan(std::min(i, b.size()),
                                                     std::min<size_t>(24, b.size() - std::min(i, b.size())))); };
  return "lengths " + std::to_string(ovs.size()) + "/" + std::to_string(ours.size()) +
         ", first difference at byte " + std::to_string(i) + "\n  ovs:  ..." + at(ovs) +
         "\n  ours: ..." + at(ours) + (ovs.size() < 200 ? "\n  whole: " + to_hex(ovs) : "");
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

// The flow text of a parse-flow command.
std::string flow_text(const std::string& command) {
  std::string flow = command.substr(command.find("parse-flow ") + 11);
  if (flow.size() >= 2 && flow.front() == '\'') flow = flow.substr(1, flow.size() - 2);
  return flow;
}

// Flows whose text flowpath's parser reads differently from ovs-ofctl, so
// text -> model -> wire gives other bytes than Open vSwitch's text -> wire.
// They belong to the text syntax (src/openflow/of_action_text.cc); each
// entry must still differ, so a fix shows up here.
const std::set<std::string> kTextDifferences = {
    // resubmit:3 is resubmit(3,) in Open vSwitch.
    "actions=resubmit:3",
    // CONTROLLER:128 is output to the controller port with max_len 128.
    "dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,actions=CONTROLLER:128",
    // mod_tp_src/dst are OpenFlow 1.0's set-port actions (SetFieldForm::kLegacy).
    "tcp,actions=mod_tp_src:1000,mod_tp_dst:2000,output:1",
    "udp,actions=mod_tp_dst:53,output:1",
    // load: of a whole field is NXAST_REG_LOAD (SetFieldForm::kLoad).
    "actions=load:0xfffe->NXM_NX_REG1[]",
    // In OpenFlow 1.0 (and NXM) Open vSwitch drops clear_actions and
    // write_actions and sends goto_table as resubmit(,5); flowpath's encoder
    // refuses the instructions rather than lose them (OFPBIC_UNSUP_INST).
    "actions=clear_actions,write_actions(output:2),goto_table:5",
};

// Flows flowpath's text parser reads encode to Open vSwitch's bytes in every
// protocol (flows it cannot read yet are counted, not failed: the syntax is
// checked by of_action_test and friends).
TEST(OfWireFixtures, TextEncodesLikeOvs) {
  auto fixtures = load("flow_mod_add.txt");
  int same = 0, unparsed = 0, failures = 0;
  std::set<std::string> differing;
  for (const Fixture& f : fixtures) {
    if (expected_error(f)) continue;
    const std::string flow = flow_text(f.command);
    auto spec = parse_flow_mod(flow, FlowModCommand::kAdd);
    if (!spec.ok()) {
      ++unparsed;
      continue;
    }
    FlowMod fm;
    fm.spec = *spec;
    auto bytes = encode_flow_mod(fm, *protocol_from_name(f.protocol), get_u32(f.bytes.data() + 4));
    if (bytes.ok() && *bytes == f.bytes) {
      ++same;
    } else if (kTextDifferences.count(flow)) {
      differing.insert(flow);
    } else {
      ADD_FAILURE() << f.command << "\n  "
                    << (bytes.ok() ? first_difference(f.bytes, *bytes) : bytes.error().to_string());
      ++failures;
    }
  }
  EXPECT_EQ(failures, 0);
  EXPECT_GT(same, 250);
  for (const std::string& flow : kTextDifferences)
    EXPECT_TRUE(differing.count(flow)) << flow << " now encodes like Open vSwitch: drop it here";
  std::printf("text -> wire: %d flow mods as Open vSwitch encodes them, %d not parsed yet\n", same,
              unparsed);
}

struct Session {
  std::string command;
  std::vector<std::pair<char, Bytes>> messages;  // '>' client to switch, '<' switch to client
};

std::vector<Session> load_sessions(const std::string& name) {
  std::ifstream in(std::string(FLOWPATH_OPENFLOW_FIXTURES) + "/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::vector<Session> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("command: ", 0) == 0) out.push_back(Session{line.substr(9), {}});
    else if (!out.empty() && line.size() > 2 && (line[0] == '>' || line[0] == '<'))
      out.back().messages.emplace_back(line[0], from_hex(line.substr(2)));
  }
  return out;
}

// Every message of every recorded session between ovs-ofctl and
// ovs-vswitchd, both directions, decodes and encodes back to the same bytes.
TEST(OfWireFixtures, SessionsRoundTrip) {
  auto sessions = load_sessions("sessions.txt");
  ASSERT_GT(sessions.size(), 300u);
  int failures = 0, messages = 0;
  std::map<std::string, int> types;
  for (const Session& s : sessions) {
    Protocol protocol;  // the flow-mod table-id extension is per session
    for (const auto& [direction, bytes] : s.messages) {
      ++messages;
      auto msg = decode_message(bytes);
      if (!msg.ok()) {
        ADD_FAILURE() << s.command << "\n  " << direction << " " << to_hex(bytes)
                      << "\n  framing: " << msg.error().to_string();
        ++failures;
        continue;
      }
      ++types[std::string(raw_name(msg->raw))];
      protocol.version = msg->version;
      if (msg->type == OfpType::kNxFlowModTableId) {
        auto on = decode_flow_mod_table_id(*msg);
        protocol.table_id = on.ok() && *on;
      }
      auto again = reencode_message(*msg, protocol);
      if (!again.ok()) {
        ADD_FAILURE() << s.command << "\n  " << direction << " "
                      << to_hex(ByteView(bytes).first(std::min<size_t>(bytes.size(), 96)))
                      << "\n  " << raw_name(msg->raw) << ": " << again.error().to_string();
        ++failures;
      } else if (*again != bytes) {
        ADD_FAILURE() << s.command << "\n  " << raw_name(msg->raw) << ": "
                      << first_difference(bytes, *again);
        ++failures;
      }
    }
  }
  EXPECT_EQ(failures, 0) << "of " << messages << " messages";
  // The recording covers what it should: every form the sessions use.
  for (const char* raw : {"OFPT10_FLOW_MOD", "NXT_FLOW_MOD", "OFPT11_FLOW_MOD", "NXST_FLOW_REPLY",
                          "OFPST13_FLOW_REPLY", "OFPST15_FLOW_REPLY", "OFPT11_GROUP_MOD",
                          "OFPT15_GROUP_MOD", "NXT_GROUP_MOD", "OFPT13_METER_MOD",
                          "NXT_PACKET_IN2", "OFPT13_PACKET_IN", "OFPT10_PACKET_IN",
                          "OFPT11_FLOW_REMOVED", "OFPT14_PORT_STATUS", "OFPST14_PORT_REPLY",
                          "OFPST13_TABLE_FEATURES_REPLY", "OFPT14_BUNDLE_ADD_MESSAGE",
                          "ONFT13_BUNDLE_CONTROL", "OFPST14_FLOW_MONITOR_REPLY",
                          "NXST_FLOW_MONITOR_REPLY", "NXT_CT_FLUSH", "NXT_TLV_TABLE_MOD"})
    EXPECT_GT(types[raw], 0) << raw << " is not in the recording";
}

}  // namespace
}  // namespace flowpath::openflow::wire
