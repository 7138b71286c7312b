// Flows end to end: ODP text -> Netlink -> FlowKey/FlowMask -> Netlink -> text,
// fitness of keys that say too little or too much, and the key of a packet.
#include "odp/odp_flow.h"

#include <gtest/gtest.h>

#include "flow/key_extract.h"
#include "flow/key_netlink.h"
#include "common/netlink.h"
#include "odp/odp_action_text.h"
#include "odp/odp_key_text.h"
#include "packet/packet_pool.h"

namespace flowpath {
namespace {

// Canonical megaflows: parse -> Match -> format must give them back exactly.
const char* const kCanonicalFlows[] = {
    "recirc_id(0),in_port(1),eth(src=00:01:02:03:04:00/ff:ff:ff:ff:ff:f0,dst=10:11:12:13:14:15),"
    "eth_type(0x0800),ipv4(src=10.0.0.0/255.0.0.0,proto=6,frag=no),tcp(dst=80)",
    "recirc_id(0),in_port(2),eth(),eth_type(0x0806),arp(tip=192.0.2.1,op=1)",
    "recirc_id(0),in_port(3),eth(dst=ff:ff:ff:ff:ff:ff),eth_type(0x86dd),"
    "ipv6(src=2001:db8::/ffff:ffff::,proto=17,frag=no),udp(src=546,dst=547)",
    "recirc_id(0x5),dp_hash(0x1/0xf),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
    "recirc_id(0),in_port(1),eth(),eth_type(0x8100),vlan(vid=10,pcp=0),"
    "encap(eth_type(0x0800),ipv4(dst=10.1.0.0/255.255.0.0,frag=no))",
    "recirc_id(0),in_port(1),eth(),eth_type(0x8847),mpls(label=100,tc=0,ttl=64,bos=1)",
    "recirc_id(0),in_port(4),eth(src=00:00:5e:00:53:01),eth_type(0x86dd),"
    "ipv6(proto=58,frag=no),icmpv6(type=135,code=0),nd(target=2001:db8::1)",
    "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),"
    "tcp_flags(+syn-ack)",
    "skb_mark(0x7),ct_state(+est+trk),ct_zone(0x5),recirc_id(0x1),in_port(1),eth(),"
    "eth_type(0x0800),ipv4(frag=no)",
    "tunnel(tun_id=0x2a,src=192.0.2.1,dst=192.0.2.2,flags(-df-csum+key)),recirc_id(0),"
    "in_port(5),eth(),eth_type(0x0800),ipv4(frag=no)",
    "recirc_id(0),in_port(1),eth(),eth_type(0/0xffff)",
};

TEST(OdpFlow, CanonicalFlowsRoundTrip) {
  for (const char* text : kCanonicalFlows) {
    auto flow = parse_flow(text);
    ASSERT_TRUE(flow.ok()) << text << ": " << flow.error();
    // A megaflow that ignores a whole attribute prints without it (tcp_flags
    // without tcp), as Open vSwitch's dumps do: it fits too little to be
    // installed again, but never too much.
    EXPECT_NE(flow->fitness, KeyFitness::kTooMuch) << text << ": " << flow->fitness_detail;
    EXPECT_EQ(format_flow(flow->match), text);
  }
}

TEST(OdpFlow, TextToNetlinkToText) {
  for (const char* text : kCanonicalFlows) {
    auto attrs = parse_odp_key(text);
    ASSERT_TRUE(attrs.ok()) << attrs.error();
    // At the Netlink level "802.2, no EtherType" is a zero eth_type with an
    // exact mask, which prints as eth_type(0x0000); only the datapath's form
    // (no key attribute, exact mask) prints as eth_type(0/0xffff).
    if (std::string_view(text).find("eth_type(0/") == std::string_view::npos) {
      EXPECT_EQ(format_odp_key(attrs->key, attrs->mask), text);
    }
    // And the Netlink form decodes to a Match that encodes back to the same
    // attributes the text gave.
    auto flow = parse_flow(text);
    ASSERT_TRUE(flow.ok());
    NetlinkWriter key, mask;
    encode_key(flow->match.key, key, &flow->match.mask);
    encode_mask(flow->match.mask, flow->match.key, mask);
    EXPECT_EQ(format_odp_key(key.bytes(), mask.bytes()), text);
  }
}

TEST(OdpFlow, NonCanonicalInputNormalises) {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      // the key keeps its bits outside the mask (as Open vSwitch does), the
      // missing recirc_id is exact, spaces go
      {"in_port(1), eth(src=00:01:02:03:04:05/ff:ff:ff:ff:ff:f0), eth_type(2048), ipv4(frag=no)",
       "recirc_id(0),in_port(1),eth(src=00:01:02:03:04:05/ff:ff:ff:ff:ff:f0),eth_type(0x0800),"
       "ipv4(frag=no)"},
      {"in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.1/255.255.255.255,frag=no)",
       "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.1,frag=no)"},
      {"in_port(1),eth(DST=AA:BB:CC:DD:EE:FF),eth_type(0x0806),arp()",
       nullptr},  // upper-case field names are not OVS syntax
      {"eth_type(0x0806),eth(dst=AA:BB:CC:DD:EE:FF),in_port(1),arp()",
       "recirc_id(0),in_port(1),eth(dst=aa:bb:cc:dd:ee:ff),eth_type(0x0806)"},
      // the ARP opcode is keyed in 8 bits, as Open vSwitch keys it: only the
      // mask's low byte counts, and a low byte of 0xff is exact
      {"in_port(1),eth(),eth_type(0x0806),arp(op=2/0xfbbe)",
       "recirc_id(0),in_port(1),eth(),eth_type(0x0806),arp(op=2/0xbe)"},
      {"in_port(1),eth(),eth_type(0x0806),arp(op=2/0x1ff)",
       "recirc_id(0),in_port(1),eth(),eth_type(0x0806),arp(op=2)"},
      {"in_port(1),eth(),eth_type(0x0806),arp(op=2/0x7f)",
       "recirc_id(0),in_port(1),eth(),eth_type(0x0806),arp(op=2/0x7f)"},
      {"in_port(1),eth(),eth_type(0x0806),arp(op=2/0xff00)",
       "recirc_id(0),in_port(1),eth(),eth_type(0x0806)"},
      {"in_port(1),eth(),eth_type(0x0806),arp(op=0x102/0xff)", nullptr},  // key past 8 bits
  };
  for (const Case& c : cases) {
    auto flow = parse_flow(c.in);
    if (c.out == nullptr) {
      EXPECT_FALSE(flow.ok()) << c.in;
      continue;
    }
    ASSERT_TRUE(flow.ok()) << c.in << ": " << flow.error();
    EXPECT_EQ(format_flow(flow->match), c.out);
  }
}

TEST(OdpFlow, ExactKeysRoundTrip) {
  const char* text =
      "skb_priority(0),skb_mark(0),ct_state(0),ct_zone(0),ct_mark(0),ct_label(0),recirc_id(0),"
      "dp_hash(0),in_port(3),packet_type(ns=0,id=0),eth(src=00:01:02:03:04:05,"
      "dst=10:11:12:13:14:15),eth_type(0x0806),arp(sip=1.2.3.4,tip=5.6.7.8,op=1,"
      "sha=00:0f:10:11:12:13,tha=00:14:15:16:17:18)";
  auto flow = parse_exact_key(text);
  ASSERT_TRUE(flow.ok()) << flow.error();
  EXPECT_EQ(flow->fitness, KeyFitness::kPerfect);
  EXPECT_EQ(format_key(flow->match.key), text);
}

TEST(OdpFlow, ExactKeyFitnessTooLittleWhenAnImpliedAttributeIsMissing) {
  auto flow = parse_exact_key("in_port(1),eth(),eth_type(0x0800)");
  ASSERT_TRUE(flow.ok()) << flow.error();
  EXPECT_EQ(flow->fitness, KeyFitness::kTooLittle);
  EXPECT_NE(flow->fitness_detail.find("ipv4"), std::string::npos) << flow->fitness_detail;
}

// Open vSwitch's datapath refuses such a flow (its key fits too little);
// parse_flow says so, and the flow still reads as a filter matching every
// IPv4 packet, which is how a dump prints a megaflow that ignores ipv4.
TEST(OdpFlow, MegaflowWithoutAnImpliedAttributeFitsTooLittle) {
  auto flow = parse_flow("in_port(1),eth(),eth_type(0x0800)");
  ASSERT_TRUE(flow.ok()) << flow.error();
  EXPECT_EQ(flow->fitness, KeyFitness::kTooLittle);
  EXPECT_EQ(flow->fitness_detail, "missing ipv4 attribute, which eth_type(0x0800) implies");
  EXPECT_EQ(flow->match.mask.bits.ipv4_dst, 0u);
  EXPECT_EQ(flow->match.mask.bits.nw_proto, 0u);
  EXPECT_EQ(format_flow(flow->match), "recirc_id(0),in_port(1),eth(),eth_type(0x0800)");
}

// The keys Open vSwitch 3.1's dpctl/add-flow refuses as fitting too little
// (checked on its userspace datapath; docs/flow-syntax.md).
TEST(OdpFlow, KeysOpenVswitchRefusesFitTooLittle) {
  struct Case {
    const char* flow;
    const char* detail;
  } cases[] = {
      {"in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no)",
       "missing udp attribute, which ipv4(proto=17) implies"},
      {"in_port(1),eth(),eth_type(0x8100),vlan(vid=5,pcp=0),encap(eth_type(0x0800))",
       "missing ipv4 attribute in encap, which eth_type(0x0800) implies"},
      {"in_port(1),eth(),eth_type(0x8100),vlan(vid=5,pcp=0)",
       "missing encap attribute, which eth_type(0x8100) implies"},
      {"in_port(1),eth(),eth_type(0x8847),mpls(label=100,tc=0,ttl=64,bos=0)",
       "mpls attribute has 1 label and none with bos=1: a stack of fewer than 3 labels must end "
       "at the bottom"},
      {"in_port(1),eth(),eth_type(0x86dd),ipv6(proto=58,frag=no),icmpv6(type=135,code=0)",
       "missing nd attribute, which icmpv6(type=135,code=0) implies"},
      {"in_port(1),eth(),eth_type(0x0806)", "missing arp attribute, which eth_type(0x0806) implies"},
  };
  for (const Case& c : cases) {
    auto flow = parse_flow(c.flow);
    ASSERT_TRUE(flow.ok()) << c.flow << ": " << flow.error();
    EXPECT_EQ(flow->fitness, KeyFitness::kTooLittle) << c.flow;
    EXPECT_EQ(flow->fitness_detail, c.detail) << c.flow;
  }
  // A later fragment has no transport header: nothing is missing.
  auto later = parse_flow("in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=later)");
  ASSERT_TRUE(later.ok()) << later.error();
  EXPECT_EQ(later->fitness, KeyFitness::kPerfect) << later->fitness_detail;
}

// Open vSwitch 3.1's userspace datapath refuses a mask that leaves the
// EtherType of an Ethernet key without one open ("mask expected for
// non-Ethernet II frame"), yet dumps a flow whose EtherType is masked out as
// "eth()": the forms it accepts for every frame, and for 802.2 frames, fit.
TEST(OdpFlow, AnEthernetKeyWithoutEthertypeNeedsItsMaskToSaySo) {
  const char* open_type[] = {
      "in_port(1),eth()",
      "in_port(1)",
      "in_port(1),eth(),eth_type(0/0)",
      "in_port(1),eth(src=00:00:00:00:00:01)",
      "in_port(1),eth(),eth_type(0x8100),vlan(vid=5,pcp=0),encap()",
  };
  for (const char* text : open_type) {
    auto flow = parse_flow(text);
    ASSERT_TRUE(flow.ok()) << text << ": " << flow.error();
    EXPECT_EQ(flow->fitness, KeyFitness::kTooLittle) << text;
    EXPECT_EQ(flow->fitness_detail.rfind("mask expected for non-Ethernet II frame: ", 0), 0u)
        << flow->fitness_detail;
  }
  auto in_encap = parse_flow("in_port(1),eth(),eth_type(0x8100),vlan(vid=5,pcp=0),encap()");
  ASSERT_TRUE(in_encap.ok());
  EXPECT_NE(in_encap->fitness_detail.find("encap() names no EtherType"), std::string::npos);

  struct Fits {
    const char* text;
    const char* printed;  // as a dump prints it, Open vSwitch's too
  } fit[] = {
      {"in_port(1),eth(),eth_type(0x0600/0)", "recirc_id(0),in_port(1),eth()"},
      {"in_port(1),eth(),eth_type(0x88b5/0)", "recirc_id(0),in_port(1),eth()"},
      {"in_port(1),eth(),eth_type(0/0xffff)", "recirc_id(0),in_port(1),eth(),eth_type(0/0xffff)"},
      {"in_port(1),eth(),eth_type(0x8100),vlan(vid=5,pcp=0),encap(eth_type(0x88b5/0))",
       "recirc_id(0),in_port(1),eth(),eth_type(0x8100),vlan(vid=5,pcp=0),encap()"},
  };
  for (const Fits& c : fit) {
    auto flow = parse_flow(c.text);
    ASSERT_TRUE(flow.ok()) << c.text << ": " << flow.error();
    EXPECT_EQ(flow->fitness, KeyFitness::kPerfect) << c.text << ": " << flow->fitness_detail;
    EXPECT_EQ(format_flow(flow->match), c.printed);
  }
  // Without masks the key is exact: "no EtherType" is matched as such.
  auto exact = parse_exact_key("in_port(1),eth()");
  ASSERT_TRUE(exact.ok()) << exact.error();
  EXPECT_EQ(exact->fitness, KeyFitness::kPerfect) << exact->fitness_detail;
}

// Under vlan-limit 1 the key of a QinQ packet ends at the inner TPID, and
// prints as Open vSwitch 3.1's dpctl/dump-flows prints it.
TEST(OdpFlow, UnderVlanLimitOneAQinqFlowPrintsAsOpenVswitchPrintsIt) {
  const char* text =
      "recirc_id(0),in_port(1),eth(),eth_type(0x88a8),vlan(vid=5,pcp=0),encap(eth_type(0x8100))";
  auto flow = parse_flow(text, 1);
  ASSERT_TRUE(flow.ok()) << flow.error();
  EXPECT_EQ(flow->fitness, KeyFitness::kPerfect) << flow->fitness_detail;
  EXPECT_EQ(format_flow(flow->match, false, 1), text);
  // A key with the inner tag, under that limit: the key is what is wrong.
  auto two = parse_flow(
      "in_port(1),eth(),eth_type(0x88a8),vlan(vid=5,pcp=0),encap(eth_type(0x8100),"
      "vlan(vid=6,pcp=0),encap(eth_type(0x0800),ipv4(proto=17,frag=no),udp()))",
      1);
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.error(),
            "vlan attribute in encap is a tag past the vlan-limit (1 tag parsed); the key must "
            "end at eth_type(0x8100)");
}

TEST(OdpFlow, ExactKeyFitnessTooMuchWhenAnAttributeIsUnexpected) {
  // A TCP attribute on an ARP key: more than the key's headers explain.
  auto flow = parse_exact_key(
      "in_port(1),eth(src=00:00:00:00:00:01,dst=00:00:00:00:00:02),eth_type(0x0806),"
      "arp(sip=1.1.1.1,tip=2.2.2.2,op=1,sha=00:00:00:00:00:01,tha=00:00:00:00:00:00),"
      "tcp(src=1,dst=80)");
  ASSERT_TRUE(flow.ok()) << flow.error();
  EXPECT_EQ(flow->fitness, KeyFitness::kTooMuch);
  EXPECT_NE(flow->fitness_detail.find("tcp"), std::string::npos) << flow->fitness_detail;
}

TEST(OdpFlow, MegaflowMaskOnAnAttributeTheKeyCannotHaveIsAnError) {
  auto flow = parse_flow("in_port(1),eth(),eth_type(0x0806),arp(),tcp(dst=80)");
  ASSERT_FALSE(flow.ok());
  EXPECT_NE(flow.error().find("tcp"), std::string::npos) << flow.error();
}

TEST(OdpFlow, ErrorsNameTheTokenAndColumn) {
  auto flow = parse_flow("in_port(1),eth_type(0x0800),ipv4(src=10.0.0.300)");
  ASSERT_FALSE(flow.ok());
  EXPECT_NE(flow.error().find("column 38"), std::string::npos) << flow.error();
  auto bad_attr = parse_flow("in_port(1),ethx(src=00:00:00:00:00:01)");
  ASSERT_FALSE(bad_attr.ok());
  EXPECT_NE(bad_attr.error().find("column 12"), std::string::npos) << bad_attr.error();
  EXPECT_NE(bad_attr.error().find("ethx"), std::string::npos) << bad_attr.error();
}

TEST(OdpFlow, PacketKeyShowsWhatThePacketHas) {
  const uint8_t frame[] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x00, 0x01, 0x02, 0x03,
                           0x04, 0x05, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6,    4,
                           0x00, 0x02, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 192,  0,
                           2,    1,    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 192,  0,
                           2,    2};
  PacketPool pool(1);
  Packet* p = pool.allocate();
  p->assign(frame, sizeof frame);
  p->reset_metadata(7);
  FlowKey key;
  extract_key(*p, &key);
  EXPECT_EQ(format_packet_key(key),
            "recirc_id(0),in_port(7),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),"
            "eth_type(0x0806),arp(sip=192.0.2.1,tip=192.0.2.2,op=2,sha=00:01:02:03:04:05,"
            "tha=10:11:12:13:14:15)");
  pool.release(p);
}

}  // namespace
}  // namespace flowpath

namespace flowpath {
namespace {

// Port names, as Open vSwitch's dpctl reads them: in_port(NAME) in a key and
// NAME as an output action, looked up in the datapath's ports.
const PortNameResolver kPorts = [](std::string_view name) -> std::optional<uint32_t> {
  if (name == "p1") return 1;
  if (name == "uplink-0") return 7;
  return std::nullopt;
};

TEST(OdpPortNames, InPortByName) {
  auto flow = parse_flow("in_port(uplink-0),eth(),eth_type(0x0800),ipv4()", kMaxVlanTags, &kPorts);
  ASSERT_TRUE(flow.ok()) << flow.error();
  EXPECT_EQ(flow->match.key.md.in_port, 7u);
  EXPECT_EQ(format_flow(flow->match), "recirc_id(0),in_port(7),eth(),eth_type(0x0800)");
  auto numbered = parse_flow("in_port(1),eth()", kMaxVlanTags, &kPorts);
  ASSERT_TRUE(numbered.ok()) << numbered.error();
  EXPECT_EQ(numbered->match.key.md.in_port, 1u);
}

TEST(OdpPortNames, UnknownNameAndNoDatapathArePreciseErrors) {
  auto unknown = parse_flow("in_port(eth9),eth()", kMaxVlanTags, &kPorts);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error(), "column 9 (near 'eth9),eth()'): in_port: the datapath has no port "
                             "named 'eth9'");
  auto offline = parse_flow("in_port(p1),eth()");
  ASSERT_FALSE(offline.ok());
  EXPECT_EQ(offline.error(), "column 9 (near 'p1),eth()'): in_port(p1): a port name needs a "
                             "datapath to look it up; give the port number");
}

TEST(OdpPortNames, OutputByName) {
  auto actions = parse_odp_actions("p1,push_vlan(vid=5,pcp=0),uplink-0,2", &kPorts);
  ASSERT_TRUE(actions.ok()) << actions.error();
  EXPECT_EQ(format_odp_actions(*actions), "1,push_vlan(vid=5,pcp=0),7,2");
  auto unknown = parse_odp_actions("p2", &kPorts);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error(), "column 1 (near 'p2'): unknown action 'p2'");
  auto offline = parse_odp_actions("p1");
  ASSERT_FALSE(offline.ok());
}

}  // namespace
}  // namespace flowpath

namespace flowpath {
namespace {

// dump-flows -m: ovs-dpctl's verbose form, every attribute with its mask and
// ports by name. Recorded from Open vSwitch 3.1 (dpctl/add-flow of the same
// flow on a netdev datapath whose port 1 is q1, then dpctl/dump-flows -m).
TEST(OdpPortNames, VerboseFlowAsOvsDpctlDumpFlowsM) {
  auto flow = parse_flow("in_port(1),eth(),eth_type(0x8847),mpls(label=101,tc=7,ttl=100,bos=1)");
  ASSERT_TRUE(flow.ok()) << flow.error();
  const PortNumberNames names{{1, "q1"}};
  EXPECT_EQ(format_flow(flow->match, true, kMaxVlanTags, &names),
            "skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),"
            "ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(q1),packet_type(ns=0/0,id=0/0),"
            "eth(src=00:00:00:00:00:00/00:00:00:00:00:00,dst=00:00:00:00:00:00/"
            "00:00:00:00:00:00),eth_type(0x8847),mpls(label=101,tc=7,ttl=100,bos=1)");
  auto actions = parse_odp_actions(
      "1,userspace(pid=0,flow_sample(probability=1,collector_set_id=1,obs_domain_id=2,"
      "obs_point_id=3,output_port=1),tunnel_out_port=1),tnl_pop(1),9");
  ASSERT_TRUE(actions.ok()) << actions.error();
  EXPECT_EQ(format_odp_actions(*actions, &names),
            "q1,userspace(pid=0,flow_sample(probability=1,collector_set_id=1,obs_domain_id=2,"
            "obs_point_id=3,output_port=q1),tunnel_out_port=q1),tnl_pop(q1),9");
}

}  // namespace
}  // namespace flowpath

namespace flowpath {
namespace {

TEST(SplitFlowLineTest, SplitsAtTheFirstBlankOutsideParentheses) {
  auto parts = split_flow_line("  in_port(1), eth(src=00:00:00:00:00:01) push_vlan(vid=10,pcp=0),2 ");
  ASSERT_TRUE(parts.ok()) << parts.error();
  EXPECT_EQ(parts->first, "in_port(1), eth(src=00:00:00:00:00:01)");
  EXPECT_EQ(parts->second, "push_vlan(vid=10,pcp=0),2");
  auto bad = split_flow_line("in_port(1),eth(");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "expected \"FLOW ACTIONS\", got \"in_port(1),eth(\"");
}

}  // namespace
}  // namespace flowpath
