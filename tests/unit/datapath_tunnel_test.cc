// tnl_push and tnl_pop through the datapath: a flow that encapsulates
// towards the underlay port, one that decapsulates what arrives there on the
// vxlan port, and the inner frame coming out of the overlay unchanged. The
// header bytes are checked in tunnel_header_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "datapath_test_support.h"
#include "vport/tunnel_port.h"

namespace flowpath::datapath_test {
namespace {

// OVS's text for VNI 42 from 192.0.2.1 to 192.0.2.2, tunnel port 4,
// underlay port 2.
constexpr const char* kPush =
    "tnl_push(tnl_port(4),header(size=50,type=4,eth(dst=02:00:00:00:00:02,"
    "src=02:00:00:00:00:01,dl_type=0x0800),ipv4(src=192.0.2.1,dst=192.0.2.2,proto=17,tos=0,"
    "ttl=64,frag=0x4000),udp(src=0,dst=4789,csum=0x0),vxlan(flags=0x8000000,vni=0x2a)),"
    "out_port(2))";

class DatapathTunnelTest : public DatapathTest {
 protected:
  DatapathTunnelTest() {
    auto port = TunnelPort::create(VportKind::kVxlan, "vx0",
                                   {{"remote_ip", "192.0.2.2"}, {"key", "42"}});
    EXPECT_TRUE(port.ok()) << port.error();
    tunnel_ = port->get();
    dp_.upcalls().add_port(4);
    EXPECT_EQ(dp_.swap_port(4, new DatapathPort(4, std::move(*port),
                                                VportSpec{"vx0", VportKind::kVxlan, {}})),
              nullptr);
  }
  DropCounts drops() const { return dp_.stats().drops; }

  TunnelPort* tunnel_ = nullptr;
};

TEST_F(DatapathTunnelTest, PushEncapsulatesAndTheNextActionOutputs) {
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()", std::string(kPush) + ",2");
  receive(1, {udp_frame(1, 53), udp_frame(1, 53), udp_frame(7, 53)});
  ASSERT_EQ(ports_[2]->frames.size(), 3u);
  for (const Bytes& f : ports_[2]->frames) {
    ASSERT_EQ(f.size(), 50u + 42u);
    EXPECT_EQ(f[12], 0x08);
    EXPECT_EQ(f[23], 17);
    EXPECT_EQ((f[36] << 8) | f[37], 4789);
    EXPECT_EQ((f[46] << 16) | (f[47] << 8) | f[48], 42) << "VNI";
  }
  EXPECT_EQ(Bytes(ports_[2]->frames[0].begin() + 50, ports_[2]->frames[0].end()),
            udp_frame(1, 53));
  // One flow, one source port; another flow most likely another.
  EXPECT_EQ(ports_[2]->frames[0][34], ports_[2]->frames[1][34]);
  EXPECT_EQ(ports_[2]->frames[0][35], ports_[2]->frames[1][35]);
  EXPECT_EQ(drops().total(), 0u);
  EXPECT_EQ(pool_.available(), pool_.count());
}

// The source port spreads the inner flows over 32768..60999 as a hash
// should: 512 flows (destination ports one apart) get nearly 512 source
// ports, each in range, each the same for every packet of its flow.
TEST_F(DatapathTunnelTest, SourcePortsSpreadTheInnerFlows) {
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()", std::string(kPush) + ",2");
  std::vector<int> first;
  for (int round = 0; round < 2; ++round) {
    for (int batch = 0; batch < 16; ++batch) {
      std::vector<Bytes> frames;
      for (int i = 0; i < 32; ++i)
        frames.push_back(udp_frame(1, static_cast<uint16_t>(1000 + batch * 32 + i)));
      receive(1, frames);
    }
    ASSERT_EQ(ports_[2]->frames.size(), 512u);
    std::vector<int> seen;
    for (const Bytes& f : ports_[2]->frames) seen.push_back(f[34] << 8 | f[35]);
    ports_[2]->frames.clear();
    if (round == 0) first = seen;
    EXPECT_EQ(seen, first) << "a flow keeps its port";
  }
  std::vector<int> sorted = first;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_GE(sorted.front(), 32768);
  EXPECT_LT(sorted.back(), 61000);
  const size_t distinct = std::unique(sorted.begin(), sorted.end()) - sorted.begin();
  EXPECT_GE(distinct, 490u) << "512 flows over 28,232 ports collide about 5 times";
}

// Recorded from Open vSwitch 3.1's userspace datapath by
// tests/tunnel/record_ovs_vxlan.sh: for an ICMP echo from vm to vx0
// (VNI 42, remote 192.0.2.2) it installed this action list and sent this
// frame. Its odp ports were tnl_port(4789) and out_port(100) (br0), p0 = 1.
constexpr const char* kOvsActions =
    "tnl_push(tnl_port(4789),header(size=50,type=4,eth(dst=02:00:00:00:02:02,"
    "src=02:00:00:00:01:01,dl_type=0x0800),ipv4(src=192.0.2.1,dst=192.0.2.2,proto=17,tos=0,"
    "ttl=64,frag=0x4000),udp(src=0,dst=4789,csum=0x0),vxlan(flags=0x8000000,vni=0x2a)),"
    "out_port(100)),1";
constexpr const char* kOvsInner =
    "02000000000202000000000108004500002a00010000400164ce0a0101010a010102080035f900070001666c"
    "6f77706174682d76786c616e";
constexpr const char* kOvsFrame =
    "02000000020202000000010108004500005c000040004011b68dc0000201c00002029df712b50048000008000000"
    "00002a0002000000000202000000000108004500002a00010000400164ce0a0101010a010102080035f9000700"
    "01666c6f77706174682d76786c616e";

Bytes from_hex(std::string_view hex) {
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

TEST_F(DatapathTunnelTest, OpenVswitchsTextParsesAndPrintsBackUnchanged) {
  auto actions = parse_odp_actions(kOvsActions);
  ASSERT_TRUE(actions.ok()) << actions.error();
  EXPECT_EQ(format_odp_actions(*actions), kOvsActions);
}

TEST_F(DatapathTunnelTest, TheFrameIsOpenVswitchsByteForByteButTheSourcePort) {
  // The same action list with this datapath's port numbers.
  std::string actions = kOvsActions;
  actions.replace(actions.find("tnl_port(4789)"), 14, "tnl_port(4)");
  actions.replace(actions.find("out_port(100)),1"), 16, "out_port(2)),2");
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()", actions);
  receive(1, {from_hex(kOvsInner)});
  ASSERT_EQ(ports_[2]->frames.size(), 1u);
  Bytes ours = ports_[2]->frames[0];
  Bytes expected = from_hex(kOvsFrame);
  ASSERT_EQ(ours.size(), expected.size());
  // The UDP source port is each datapath's hash of the inner flow (Open
  // vSwitch's is its own 5-tuple hash): both in 32768..60999.
  const int ovs_port = expected[34] << 8 | expected[35];
  const int our_port = ours[34] << 8 | ours[35];
  EXPECT_GE(ovs_port, 32768);
  EXPECT_GE(our_port, 32768);
  EXPECT_LT(our_port, 61000);
  ours[34] = expected[34];
  ours[35] = expected[35];
  EXPECT_EQ(ours, expected);
}

TEST_F(DatapathTunnelTest, PushAsTheLastActionSendsNothing) {
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()", kPush);
  receive(1, {udp_frame(1, 53)});
  EXPECT_TRUE(ports_[2]->frames.empty());
  EXPECT_EQ(drops()[DropReason::kNoOutput], 1u);
  EXPECT_EQ(pool_.available(), pool_.count());
}

TEST_F(DatapathTunnelTest, PopReentersOnTheTunnelPortWithTheOuterHeadersAsMetadata) {
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()", std::string(kPush) + ",2");
  receive(1, {udp_frame(1, 53), udp_frame(3, 53)});
  ASSERT_EQ(ports_[2]->frames.size(), 2u);
  std::vector<Bytes> wire = ports_[2]->frames;

  // What arrives on the underlay for the endpoint is decapsulated; only the
  // VNI 42 from 192.0.2.1 reaches port 3, and it matches on in_port(4).
  add_flow("recirc_id(0),in_port(2),eth(),eth_type(0x0800),ipv4(proto=17),udp(dst=4789)",
           "tnl_pop(4)");
  add_flow("recirc_id(0),tunnel(tun_id=0x2a,src=192.0.2.1,dst=192.0.2.2,tp_dst=4789,"
           "flags(-df-csum+key)),in_port(4),eth(),eth_type(0x0800),ipv4()",
           "3");
  receive(2, wire);
  ASSERT_EQ(ports_[3]->frames.size(), 2u);
  EXPECT_EQ(ports_[3]->frames[0], udp_frame(1, 53));
  EXPECT_EQ(ports_[3]->frames[1], udp_frame(3, 53));
  EXPECT_EQ(tunnel_->stats().rx_packets, 2u);
  EXPECT_EQ(tunnel_->stats().rx_bytes, 2u * 42u);
  EXPECT_EQ(processor_.processor_stats().recirculations, 2u);
  EXPECT_EQ(drops().total(), 0u);
  EXPECT_EQ(pool_.available(), pool_.count());
}

// Geneve through the datapath: pushed with an option (OVS's text), popped on
// a geneve port, and the option is the key's tunnel metadata: a flow that
// matches it exactly (geneve({...}) as Open vSwitch prints it) takes the
// inner packets, a different option value does not.
TEST_F(DatapathTunnelTest, GenevePopPutsTheOptionsInTheKey) {
  auto port = TunnelPort::create(VportKind::kGeneve, "gv0",
                                 {{"remote_ip", "192.0.2.1"}, {"key", "77"}});
  ASSERT_TRUE(port.ok()) << port.error();
  TunnelPort* geneve = port->get();
  EXPECT_EQ(geneve->config().dst_port, 6081);
  dp_.upcalls().add_port(5);
  ASSERT_EQ(dp_.swap_port(5, new DatapathPort(5, std::move(*port),
                                              VportSpec{"gv0", VportKind::kGeneve, {}})),
            nullptr);
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()",
           "tnl_push(tnl_port(5),header(size=58,type=5,eth(dst=02:00:00:00:00:02,"
           "src=02:00:00:00:00:01,dl_type=0x0800),ipv4(src=192.0.2.1,dst=192.0.2.2,proto=17,"
           "tos=0,ttl=64,frag=0x4000),udp(src=0,dst=6081,csum=0x0),geneve(oam,vni=0x4d,"
           "options({class=0x102,type=0x80,len=4,0x1234abcd}))),out_port(2)),2");
  receive(1, {udp_frame(1, 53)});
  ASSERT_EQ(ports_[2]->frames.size(), 1u);
  const Bytes wire = ports_[2]->frames[0];
  ASSERT_EQ(wire.size(), 58u + 42u);
  EXPECT_EQ((wire[36] << 8) | wire[37], 6081);
  EXPECT_EQ(Bytes(wire.begin() + 42, wire.begin() + 58),
            (Bytes{0x02, 0x80, 0x65, 0x58, 0, 0, 0x4d, 0, 0x01, 0x02, 0x80, 0x01, 0x12, 0x34,
                   0xab, 0xcd}))
      << "2 words of options, O set, Ethernet, VNI 77, the option";

  add_flow("recirc_id(0),in_port(2),eth(),eth_type(0x0800),ipv4(proto=17),udp(dst=6081)",
           "tnl_pop(5)");
  add_flow("recirc_id(0),tunnel(tun_id=0x4d,src=192.0.2.1,dst=192.0.2.2,"
           "geneve({class=0x102,type=0x80,len=4,0x1234abcd}),flags(+oam+key)),in_port(5),eth(),"
           "eth_type(0x0800),ipv4()",
           "3");
  receive(2, {wire});
  ASSERT_EQ(ports_[3]->frames.size(), 1u);
  EXPECT_EQ(ports_[3]->frames[0], udp_frame(1, 53));
  EXPECT_EQ(geneve->stats().rx_packets, 1u);

  // Another value in the option: the exact flow does not match (a miss).
  Bytes other = wire;
  other[57] = 0xce;
  const uint64_t missed = dp_.stats().missed;
  receive(2, {other});
  EXPECT_EQ(ports_[3]->frames.size(), 1u);
  EXPECT_EQ(dp_.stats().missed, missed + 1);
  EXPECT_EQ(geneve->stats().rx_packets, 2u);

  // A Geneve packet popped on the vxlan port fails VXLAN's checks.
  add_flow("recirc_id(0),in_port(2),eth(),eth_type(0x0800),ipv4(proto=17),udp(dst=6082)",
           "tnl_pop(4)");
  Bytes to_vxlan = wire;
  to_vxlan[37] = 0xc2;  // UDP port 6082 (no UDP checksum to fix)
  const uint64_t pop_errors = drops()[DropReason::kTunnelPopError];
  receive(2, {to_vxlan});
  EXPECT_EQ(drops()[DropReason::kTunnelPopError], pop_errors + 1);
  EXPECT_EQ(pool_.available(), pool_.count());
}

TEST_F(DatapathTunnelTest, PopDropsWhatIsNoVxlanPacket) {
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()", "tnl_pop(4)");
  receive(1, {udp_frame(1, 1), udp_frame(1, 2)});
  EXPECT_EQ(drops()[DropReason::kTunnelPopError], 2u);
  EXPECT_EQ(drops().total(), 2u);
  EXPECT_EQ(tunnel_->stats().rx_packets, 0u);
  EXPECT_EQ(pool_.available(), pool_.count());
}

TEST_F(DatapathTunnelTest, FlowsThatCannotRunHereAreRefusedWhenPut) {
  auto pop = parse_odp_actions("tnl_pop(3)");
  ASSERT_TRUE(pop.ok());
  Status st = validate_flow_actions(dp_, *pop);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), "tnl_pop(3): port cap3 of datapath dptest is no tunnel port");
  auto erspan = parse_odp_actions(
      "tnl_push(tnl_port(4),header(size=50,type=107,eth(dst=f8:bc:12:44:34:b6,"
      "src=f8:bc:12:46:58:e0,dl_type=0x0800),ipv4(src=1.1.2.88,dst=1.1.2.92,proto=47,tos=0,"
      "ttl=64,frag=0x4000),erspan(ver=1,sid=0x7b,idx=0x3)),out_port(2)),2");
  ASSERT_TRUE(erspan.ok()) << erspan.error();
  st = validate_flow_actions(dp_, *erspan);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(),
            "tnl_push: this datapath does not push erspan headers yet (vxlan, geneve and gre only)");
  // GRE is pushed, but not with sequence numbers (Open vSwitch's seq=true).
  auto gre = parse_odp_actions(
      "tnl_push(tnl_port(4),header(size=38,type=3,eth(dst=f8:bc:12:44:34:b6,"
      "src=f8:bc:12:46:58:e0,dl_type=0x0800),ipv4(src=1.1.2.88,dst=1.1.2.92,proto=47,tos=0,"
      "ttl=64,frag=0x4000),gre((flags=0x0,proto=0x6558))),out_port(2)),2");
  ASSERT_TRUE(gre.ok()) << gre.error();
  EXPECT_TRUE(validate_flow_actions(dp_, *gre).ok());
  auto gre_seq = parse_odp_actions(
      "tnl_push(tnl_port(4),header(size=42,type=3,eth(dst=f8:bc:12:44:34:b6,"
      "src=f8:bc:12:46:58:e0,dl_type=0x0800),ipv4(src=1.1.2.88,dst=1.1.2.92,proto=47,tos=0,"
      "ttl=64,frag=0x4000),gre((flags=0x1000,proto=0x6558),seq=0x0)),out_port(2)),2");
  ASSERT_TRUE(gre_seq.ok()) << gre_seq.error();
  st = validate_flow_actions(dp_, *gre_seq);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(),
            "tnl_push: this datapath does not push gre headers with sequence numbers (flags 0x1000)");
}

// GRE through the datapath, with Open vSwitch's text for a gre port with
// key=42 and csum=true (tests/integration/tunnel_gre_netns_test.sh): pushed
// with its checksum, popped on a gre port with the key and csum flag in the
// tunnel key; a frame whose checksum does not verify is dropped, counted.
TEST_F(DatapathTunnelTest, GrePushAndPopThroughTheDatapath) {
  auto port = TunnelPort::create(VportKind::kGre, "gre0",
                                 {{"remote_ip", "192.0.2.1"}, {"key", "42"}, {"csum", "true"}});
  ASSERT_TRUE(port.ok()) << port.error();
  TunnelPort* gre = port->get();
  dp_.upcalls().add_port(6);
  ASSERT_EQ(dp_.swap_port(6, new DatapathPort(6, std::move(*port),
                                              VportSpec{"gre0", VportKind::kGre, {}})),
            nullptr);
  const std::string push =
      "tnl_push(tnl_port(6),header(size=46,type=3,eth(dst=02:00:00:00:00:02,"
      "src=02:00:00:00:00:01,dl_type=0x0800),ipv4(src=192.0.2.1,dst=192.0.2.2,proto=47,tos=0,"
      "ttl=64,frag=0x4000),gre((flags=0xa000,proto=0x6558),csum=0x0,key=0x2a)),out_port(2))";
  auto parsed = parse_odp_actions(push);
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(format_odp_actions(*parsed), push);
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()", push + ",2");
  receive(1, {udp_frame(1, 53)});
  ASSERT_EQ(ports_[2]->frames.size(), 1u);
  const Bytes wire = ports_[2]->frames[0];
  ASSERT_EQ(wire.size(), 46u + 42u);
  EXPECT_EQ(wire[23], 47) << "IP protocol GRE";
  EXPECT_EQ(((wire[16] << 8) | wire[17]), 20 + 12 + 42) << "IPv4 total length";
  EXPECT_EQ(Bytes(wire.begin() + 34, wire.begin() + 38), (Bytes{0xa0, 0x00, 0x65, 0x58}));
  EXPECT_NE(((wire[38] << 8) | wire[39]), 0) << "the GRE checksum was computed";
  EXPECT_EQ(Bytes(wire.begin() + 42, wire.begin() + 46), (Bytes{0, 0, 0, 42}));
  EXPECT_EQ(Bytes(wire.begin() + 46, wire.end()), udp_frame(1, 53));

  add_flow("recirc_id(0),in_port(2),eth(),eth_type(0x0800),ipv4(proto=47,frag=no)", "tnl_pop(6)");
  add_flow("recirc_id(0),tunnel(tun_id=0x2a,src=192.0.2.1,dst=192.0.2.2,flags(-df+csum+key)),"
           "in_port(6),eth(),eth_type(0x0800),ipv4()",
           "3");
  receive(2, {wire});
  ASSERT_EQ(ports_[3]->frames.size(), 1u);
  EXPECT_EQ(ports_[3]->frames[0], udp_frame(1, 53));
  EXPECT_EQ(gre->stats().rx_packets, 1u);

  Bytes corrupt = wire;
  corrupt.back() ^= 0x01;  // the payload, under the GRE checksum
  const uint64_t pop_errors = drops()[DropReason::kTunnelPopError];
  receive(2, {corrupt});
  EXPECT_EQ(ports_[3]->frames.size(), 1u);
  EXPECT_EQ(drops()[DropReason::kTunnelPopError], pop_errors + 1);
  EXPECT_EQ(gre->stats().rx_packets, 1u);
  EXPECT_EQ(pool_.available(), pool_.count());
}

TEST_F(DatapathTunnelTest, OutputStraightToATunnelPortIsATransmitError) {
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()", "4");
  receive(1, {udp_frame(1, 53)});
  EXPECT_EQ(tunnel_->stats().tx_errors, 1u);
  EXPECT_EQ(pool_.available(), pool_.count());
}

}  // namespace
}  // namespace flowpath::datapath_test
