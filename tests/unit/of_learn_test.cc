// The learn action: its ovs-ofctl text against what ovs-ofctl parse-flow
// prints, its wire form (NXAST_LEARN/NXAST_LEARN2) as ovs-ofctl ofp-print
// reads it and as the codec reads it back, the checks made of it, and the
// flow it learns from a packet.
#include <gtest/gtest.h>

#include <cstring>

#include "openflow/flow_mod.h"
#include "openflow/of_learn.h"
#include "openflow/wire/action_codec.h"
#include "openflow/wire/flow_mod.h"
#include "ovs_ofctl_peer.h"

namespace flowpath::openflow {
namespace {

// Forms as ovs-ofctl prints them: each reads back to itself, Open vSwitch
// prints it the same, and its wire form prints the same through
// ovs-ofctl ofp-print.
constexpr const char* kCanonical[] = {
    "learn(table=10,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],"
    "load:NXM_OF_IN_PORT[]->NXM_NX_REG0[0..15])",
    "learn(table=1,idle_timeout=10,hard_timeout=60,priority=5,send_flow_rem,delete_learned,"
    "cookie=0x12,eth_type=0x800,NXM_OF_IP_DST[]=NXM_OF_IP_SRC[],output:NXM_OF_IN_PORT[])",
    "learn(table=1,limit=10,result_dst=NXM_NX_REG1[3],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[])",
    "learn(table=1,eth_dst=00:11:22:33:44:55,NXM_NX_REG1[0..3]=0x5,"
    "load:0x1f->NXM_NX_REG2[0..7],load:0x5->NXM_NX_REG3[])",
    "learn(table=2,fin_idle_timeout=5,fin_hard_timeout=10,NXM_OF_ETH_SRC[]=NXM_OF_ETH_DST[])",
    "learn(table=3,limit=4,NXM_NX_REG5[],load:NXM_NX_REG6[0..7]->NXM_NX_REG7[8..15],"
    "output:NXM_NX_REG0[0..15])",
};

std::vector<OfAction> parse(std::string_view text) {
  auto r = parse_of_actions(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error());
  return r.ok() ? *r : std::vector<OfAction>{};
}

std::string error_of(std::string_view flow) {
  auto r = parse_flow_mod(flow, FlowModCommand::kAdd);
  EXPECT_FALSE(r.ok()) << flow << " parsed but should not have";
  return r.ok() ? "" : r.error();
}

#define EXPECT_ERROR(flow, substring)                                                       \
  do {                                                                                      \
    std::string err_ = error_of(flow);                                                      \
    EXPECT_NE(err_.find(substring), std::string::npos)                                      \
        << "input: " << (flow) << "\n  error: " << err_ << "\n  expected: " << (substring); \
  } while (0)

TEST(LearnText, PrintsAsOvsOfctl) {
  ASSERT_TRUE(ovs_peer::ovs_ofctl_present()) << "ovs-ofctl is missing";
  for (const char* text : kCanonical) {
    auto actions = parse(text);
    ASSERT_EQ(actions.size(), 1u) << text;
    EXPECT_EQ(format_of_actions(actions), text);
    EXPECT_EQ(parse(format_of_actions(actions)), actions) << text;
    ovs_peer::expect_agrees_with_ovs("actions", text, format_of_actions(actions),
                                     ovs_peer::ovs_actions(text), {});
  }
}

TEST(LearnText, ShortFormsPrintCanonically) {
  const std::pair<const char*, const char*> cases[] = {
      // Defaults: table 1, priority 32768, no timeouts; names in any case.
      {"learn(NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[])", "learn(table=1,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[])"},
      {"LEARN(table=4,priority=32768,eth_src[]=eth_dst[])",
       "learn(table=4,NXM_OF_ETH_SRC[]=NXM_OF_ETH_DST[])"},
      // A whole field without brackets, OXM and short names.
      {"learn(dl_type=0x0800,reg1[]=reg2[],load:5->reg3[0..3])",
       "learn(table=1,eth_type=0x800,NXM_NX_REG1[]=NXM_NX_REG2[],load:0x5->NXM_NX_REG3[0..3])"},
      {"learn(table=1,cookie=18,hard_timeout=0,in_port=3,output:in_port[])",
       "learn(table=1,cookie=0x12,in_port=3,output:NXM_OF_IN_PORT[])"},
  };
  for (const auto& [input, canonical] : cases) {
    auto actions = parse(input);
    EXPECT_EQ(format_of_actions(actions), canonical) << input;
    auto ovs = ovs_peer::ovs_actions(input);
    ASSERT_TRUE(ovs.accepted) << input << ": " << ovs.error;
    EXPECT_EQ(ovs.printed, canonical) << input;
  }
}

TEST(LearnText, Errors) {
  EXPECT_ERROR("actions=learn(table=255,eth_dst[])", "learn: table 255 is not a table");
  EXPECT_ERROR("actions=learn(table=x)", "learn table: \"x\" is not a number");
  EXPECT_ERROR("actions=learn(priority=70000)", "learn priority: 70000 is out of range");
  EXPECT_ERROR("actions=learn(frobnicate=1)", "learn: unknown keyword \"frobnicate\"");
  EXPECT_ERROR("actions=learn(Table=1)", "learn: unknown keyword \"Table\"");  // as Open vSwitch
  EXPECT_ERROR("actions=learn(eth_dst[]=eth_type[])", "is 48 bits wide but eth_type[] is 16");
  EXPECT_ERROR("actions=learn(reg1[0..3]=0x1f)", "does not fit in 4 bits");
  EXPECT_ERROR("actions=learn(load:0x100->reg1[0..7])", "does not fit in 8 bits");
  EXPECT_ERROR("actions=learn(load:reg1[]->NXM_OF_IN_PORT[0..3])", "is 32 bits wide");
  EXPECT_ERROR("actions=learn(load:reg1[])", "missing \"->\"");
  EXPECT_ERROR("actions=learn(load:->reg1[])", "missing source before \"->\"");
  EXPECT_ERROR("actions=learn(load:5->ct_state[])", "field ct_state cannot be written");
  EXPECT_ERROR("actions=learn(result_dst=reg1[0..1])", "must be a single bit");
  EXPECT_ERROR("actions=learn(result_dst=ct_state[0])", "cannot be written");
  EXPECT_ERROR("actions=learn(send_flow_rem=1)", "send_flow_rem takes no value");
  EXPECT_ERROR("actions=learn(output:nosuch[])", "unknown field \"nosuch\"");
  EXPECT_ERROR("actions=learn(eth_dst=zz)", "learn: eth_dst=zz");
  EXPECT_ERROR("actions=learn(eth_dst=00:11:22:33:44:55/ff:ff:ff:00:00:00)",
               "a learned match on a field is exact");
  EXPECT_ERROR("actions=learn", "learn: expected learn(ARGUMENTS)");
  // Prerequisites, as Open vSwitch's learn_check: of the sources in the
  // rule's match, of the learned match's fields before them in learn().
  EXPECT_ERROR("actions=learn(NXM_OF_IP_DST[]=NXM_OF_IP_SRC[])",
               "learn: source NXM_OF_IP_SRC[] needs");
  EXPECT_ERROR("ip,actions=learn(NXM_OF_IP_DST[]=NXM_OF_IP_SRC[])",
               "learn: NXM_OF_IP_DST[] in the learned flow needs");
  EXPECT_ERROR("ip,actions=learn(load:NXM_OF_IP_SRC[]->NXM_OF_IP_DST[])",
               "learn: NXM_OF_IP_DST[] in the learned flow needs");
  for (const char* refused : {"actions=learn(NXM_OF_IP_DST[]=NXM_OF_IP_SRC[])",
                              "ip,actions=learn(NXM_OF_IP_DST[]=NXM_OF_IP_SRC[])"}) {
    auto [ok, text] = ovs_peer::parse_flow("", refused);
    EXPECT_FALSE(ok) << refused << " is accepted by Open vSwitch: " << text;
  }
  auto ok = parse_flow_mod("ip,actions=learn(eth_type=0x800,NXM_OF_IP_DST[]=NXM_OF_IP_SRC[])",
                           FlowModCommand::kAdd);
  EXPECT_TRUE(ok.ok()) << (ok.ok() ? "" : ok.error());
}

TEST(LearnWire, RoundTripsAndPrintsAsOvs) {
  ASSERT_TRUE(ovs_peer::ovs_ofctl_present()) << "ovs-ofctl is missing";
  for (const char* text : kCanonical) {
    auto actions = parse(text);
    for (uint8_t version : {wire::kOfp10, wire::kOfp13, wire::kOfp15}) {
      wire::Bytes bytes;
      wire::WireWriter w(&bytes);
      wire::encode_actions(w, actions, version);
      auto back = wire::decode_actions(bytes, version);
      ASSERT_TRUE(back.ok()) << text << ": " << back.error().detail;
      EXPECT_EQ(*back, actions) << text << " in version " << int(version);
    }
    // The whole flow mod as Open vSwitch reads it.
    wire::FlowMod fm;
    auto spec = parse_flow_mod(std::string("ip,actions=") + text, FlowModCommand::kAdd);
    ASSERT_TRUE(spec.ok()) << spec.error();
    fm.spec = *spec;
    auto request = wire::encode_flow_mod(fm, wire::Protocol{wire::kOfp10, true, false}, 1);
    ASSERT_TRUE(request.ok());
    std::string hex;
    char b[3];
    for (uint8_t c : *request) std::snprintf(b, sizeof b, "%02x", c), hex += b;
    auto [code, out] = ovs_peer::run_ovs_ofctl("ofp-print " + hex);
    EXPECT_EQ(code, 0) << out;
    EXPECT_NE(out.find(std::string("actions=") + text), std::string::npos)
        << "ovs-ofctl ofp-print reads our " << text << " as:\n" << out;
  }
}

TEST(LearnWire, LearnTwoOnlyWhenNeeded) {
  auto plain = parse("learn(table=1,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[])");
  auto limited = parse("learn(table=1,limit=3,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[])");
  wire::Bytes a, b;
  wire::WireWriter wa(&a), wb(&b);
  wire::encode_actions(wa, plain, wire::kOfp13);
  wire::encode_actions(wb, limited, wire::kOfp13);
  ASSERT_GE(a.size(), 10u);
  ASSERT_GE(b.size(), 10u);
  EXPECT_EQ((a[8] << 8) | a[9], 16);  // NXAST_LEARN
  EXPECT_EQ((b[8] << 8) | b[9], 45);  // NXAST_LEARN2
}

OfFlow packet() {
  OfFlow flow;
  flow.clear();
  const uint8_t src[6] = {0x02, 0, 0, 0, 0, 0xaa};
  const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0xbb};
  std::memcpy(&flow.key.eth_src, src, 6);
  std::memcpy(&flow.key.eth_dst, dst, 6);
  flow.key.eth_type = hton16(0x0800);
  flow.key.md.in_port = 3;
  flow.key.ipv4_src = hton32(0x0a000001);
  flow.key.ipv4_dst = hton32(0x0a000002);
  flow.regs[6] = 0x1234;
  return flow;
}

action::Learn learn_of(std::string_view text) {
  auto actions = parse(text);
  EXPECT_EQ(actions.size(), 1u);
  const auto* l = actions.empty() ? nullptr : std::get_if<action::Learn>(&actions[0]);
  return l ? *l : action::Learn{};
}

TEST(LearnExecute, MacLearningFlow) {
  auto learn = learn_of(
      "learn(table=10,hard_timeout=300,priority=7,cookie=0x9,send_flow_rem,"
      "NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],"
      "load:NXM_OF_IN_PORT[]->NXM_NX_REG0[0..15],output:NXM_OF_IN_PORT[])");
  LearnedFlow flow = learned_flow(learn, packet());
  EXPECT_EQ(flow.spec.table, 10);
  EXPECT_EQ(flow.spec.priority, 7);
  EXPECT_EQ(flow.spec.cookie, 9u);
  EXPECT_EQ(flow.spec.hard_timeout, 300);
  EXPECT_EQ(flow.spec.idle_timeout, 0);
  EXPECT_TRUE(flow.spec.send_flow_rem);
  EXPECT_EQ(format_of_match(flow.spec.match), "vlan_tci=0x0000/0x0fff,dl_dst=02:00:00:00:00:aa");
  EXPECT_EQ(format_of_actions(flow.spec.actions), "load:0x3->NXM_NX_REG0[0..15],output:3");
  EXPECT_EQ(format_learned_flow(flow),
            "table=10 vlan_tci=0x0000/0x0fff,dl_dst=02:00:00:00:00:aa priority=7 cookie=0x9 "
            "hard=300 send_flow_rem actions=load:0x3->NXM_NX_REG0[0..15],output:3");
  // The learned flow matches the reverse traffic and nothing else.
  OfFlow reply = packet();
  std::swap(reply.key.eth_src, reply.key.eth_dst);
  EXPECT_TRUE(flow.spec.match.matches(reply));
  EXPECT_FALSE(flow.spec.match.matches(packet()));
}

TEST(LearnExecute, ImmediatesSubfieldsAndPorts) {
  auto learn = learn_of(
      "learn(table=3,limit=4,eth_type=0x800,NXM_OF_IP_DST[]=NXM_OF_IP_SRC[],"
      "NXM_NX_REG1[4..7]=0xa,load:NXM_NX_REG6[0..7]->NXM_NX_REG7[8..15],"
      "load:0x5->NXM_NX_REG3[],output:NXM_NX_REG6[])");
  LearnedFlow flow = learned_flow(learn, packet());
  EXPECT_EQ(flow.limit, 4u);
  EXPECT_EQ(format_of_match(flow.spec.match), "ip,reg1=0xa0/0xf0,nw_dst=10.0.0.1");
  // reg6 = 0x1234 is port 0x1234 (below OFPP_MAX of OpenFlow 1.0).
  EXPECT_EQ(format_of_actions(flow.spec.actions),
            "load:0x34->NXM_NX_REG7[8..15],load:0x5->NXM_NX_REG3[],output:4660");
  // A port number wider than 16 bits is no port: no output, as Open vSwitch.
  OfFlow wide = packet();
  wide.regs[6] = 0x10002;
  flow = learned_flow(learn, wide);
  EXPECT_EQ(format_of_actions(flow.spec.actions), "load:0x2->NXM_NX_REG7[8..15],load:0x5->NXM_NX_REG3[]");
  // IN_PORT, FLOOD, ALL, LOCAL are outputs; CONTROLLER and NORMAL are not.
  for (auto [port, printed] : {std::pair<uint32_t, const char*>{0xfff8, "IN_PORT"},
                               {0xfffb, "FLOOD"}, {0xfffc, "ALL"}, {0xfffe, "LOCAL"},
                               {0xfffd, ""}, {0xfffa, ""}}) {
    OfFlow p = packet();
    p.regs[0] = port;
    auto out = learned_flow(learn_of("learn(output:NXM_NX_REG0[0..15])"), p);
    EXPECT_EQ(format_of_actions(out.spec.actions), *printed ? printed : "drop") << port;
  }
}

TEST(LearnExecute, UnsupportedPartsAreNamed) {
  auto fin = check_learn_supported(learn_of("learn(fin_idle_timeout=5,eth_dst[])"));
  ASSERT_FALSE(fin.ok());
  EXPECT_NE(fin.error().find("fin_idle_timeout/fin_hard_timeout are not supported"), std::string::npos);
  auto result = check_learn_supported(learn_of("learn(result_dst=reg0[1],eth_dst[])"));
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().find("result_dst is not supported"), std::string::npos);
  EXPECT_TRUE(check_learn_supported(learn_of("learn(limit=5,delete_learned,eth_dst[])")).ok());
}

}  // namespace
}  // namespace flowpath::openflow
