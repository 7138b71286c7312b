// The datapath's per-batch pipeline with test ports: hits run actions and
// leave through ports, one send per port per batch; misses become upcalls
// with the key in Netlink form; recirculation, userspace, meters, and output
// to a missing port.
#include <gtest/gtest.h>

#include <algorithm>

#include <cstring>
#include <vector>

#include "datapath/datapath_handle.h"
#include "datapath_test_support.h"
#include "flow/key_extract.h"
#include "flow/key_netlink.h"
#include "key_test_support.h"

namespace flowpath::datapath_test {
namespace {

TEST_F(DatapathTest, HitRunsActionsAndCountsTheFlow) {
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=53)", "2");
  receive(1, {udp_frame(1, 53), udp_frame(1, 53)});
  ASSERT_EQ(ports_[2]->frames.size(), 2u);
  EXPECT_EQ(ports_[2]->frames[0], udp_frame(1, 53));
  EXPECT_EQ(ports_[2]->sends, 1) << "one send per port per batch";
  DatapathStats s = dp_.stats();
  EXPECT_EQ(s.hit, 2u);
  EXPECT_EQ(s.missed, 0u);
  rcu::ReadSection section;
  MegaflowDumpCursor cursor;
  Megaflow* flows[4];
  ASSERT_EQ(dp_.flows().dump(&cursor, flows), 1u);
  EXPECT_EQ(flows[0]->stats().packets, 2u);
  EXPECT_EQ(flows[0]->stats().bytes, 2 * udp_frame(1, 53).size());
  EXPECT_NE(flows[0]->stats().used_ms, 0u);
  EXPECT_EQ(pool_.available(), pool_.count()) << "no packet leaked";
}

// A flow's "flags:" are the OR of the key's TCP-flags slot, as in Open
// vSwitch's userspace datapath, where a neighbour solicitation or
// advertisement keeps the type of its link-layer address option there: 1 for
// a source, 2 for a target address. Other packets without TCP add nothing.
TEST_F(DatapathTest, FlowFlagsAreTheTcpFlagsSlotOfTheKey) {
  using namespace flowpath::test;
  add_flow("in_port(1),eth(),eth_type(0x86dd),ipv6(proto=58,frag=no),icmpv6()", "2");
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp()", "2");
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp()", "2");
  const Bytes solicitation =
      cat({eth(0x86dd), ipv6(58, nd(135, 0, nd_option(1, 1, kMacA)))});
  const Bytes advertisement =
      cat({eth(0x86dd), ipv6(58, nd(136, 0x60000000, nd_option(2, 1, kMacB)))});
  receive(1, {solicitation, advertisement, cat({eth(0x0800), ipv4(6, tcp(1, 2, 0x012))}),
              cat({eth(0x0800), ipv4(17, udp(1, 2))})});
  EXPECT_EQ(ports_[2]->frames.size(), 4u);
  rcu::ReadSection section;
  MegaflowDumpCursor cursor;
  Megaflow* flows[4];
  ASSERT_EQ(dp_.flows().dump(&cursor, flows), 3u);
  std::vector<uint16_t> flags;
  for (int i = 0; i < 3; ++i) flags.push_back(flows[i]->stats().tcp_flags);
  std::sort(flags.begin(), flags.end());
  EXPECT_EQ(flags, (std::vector<uint16_t>{0x000, 0x003, 0x012}));
}

TEST_F(DatapathTest, BatchIsGroupedByFlowAndEachPortSentOnce) {
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=53)", "2");
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=80)", "3");
  receive(1, {udp_frame(1, 53), udp_frame(1, 80), udp_frame(1, 53), udp_frame(1, 80), udp_frame(1, 53)});
  EXPECT_EQ(ports_[2]->frames.size(), 3u);
  EXPECT_EQ(ports_[3]->frames.size(), 2u);
  EXPECT_EQ(ports_[2]->sends, 1);
  EXPECT_EQ(ports_[3]->sends, 1);
}

TEST_F(DatapathTest, FlowsWithTheSameActionsShareOneExecutionButKeepTheirCounts) {
  // Two megaflows, identical action lists: executed together in batch order,
  // one send, yet each flow counts its own packets and bytes.
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=53)", "set(ipv4(ttl=9)),2");
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=80)", "set(ipv4(ttl=9)),2");
  receive(1, {udp_frame(1, 53), udp_frame(1, 80), udp_frame(1, 80), udp_frame(1, 53), udp_frame(1, 80)});
  ASSERT_EQ(ports_[2]->frames.size(), 5u);
  EXPECT_EQ(ports_[2]->sends, 1);
  const uint16_t order[] = {53, 80, 80, 53, 80};
  for (size_t i = 0; i < 5; ++i) {
    const Bytes& f = ports_[2]->frames[i];
    EXPECT_EQ(f[22], 9) << "TTL rewritten, frame " << i;
    EXPECT_EQ((f[36] << 8) | f[37], order[i]) << "batch order kept, frame " << i;
  }
  rcu::ReadSection section;
  MegaflowDumpCursor cursor;
  Megaflow* flows[4];
  ASSERT_EQ(dp_.flows().dump(&cursor, flows), 2u);
  uint64_t counts[2] = {flows[0]->stats().packets, flows[1]->stats().packets};
  std::sort(counts, counts + 2);
  EXPECT_EQ(counts[0], 2u);
  EXPECT_EQ(counts[1], 3u);
  EXPECT_EQ(flows[0]->stats().bytes, flows[0]->stats().packets * udp_frame(1, 53).size());
  EXPECT_EQ(pool_.available(), pool_.count()) << "no packet leaked";
}

TEST_F(DatapathTest, MissQueuesAnUpcallWithTheNetlinkKey) {
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=53)", "2");
  receive(1, {udp_frame(1, 53), udp_frame(1, 99)});
  EXPECT_EQ(ports_[2]->frames.size(), 1u);
  DatapathStats s = dp_.stats();
  EXPECT_EQ(s.hit, 1u);
  EXPECT_EQ(s.missed, 1u);
  std::vector<Upcall> upcalls(4);
  ASSERT_EQ(dp_.upcalls().dequeue(upcalls, 4, std::chrono::milliseconds(0)), 1u);
  const Upcall& u = upcalls[0];
  EXPECT_EQ(u.type, UpcallType::kMiss);
  EXPECT_EQ(u.in_port, 1u);
  EXPECT_EQ(u.packet, udp_frame(1, 99));
  auto decoded = decode_key(u.key_attrs);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded->fitness, KeyFitness::kPerfect);
  EXPECT_TRUE(decoded->key == u.key);
  EXPECT_EQ(ntoh16(u.key.tp_dst), 99);
  EXPECT_EQ(pool_.available(), pool_.count());
}

TEST_F(DatapathTest, OutputToAMissingPortIsDroppedAndCounted) {
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()", "2");
  // Port 2 goes away after the flow was installed.
  delete dp_.swap_port(2, nullptr);
  ports_[2] = nullptr;
  receive(1, {udp_frame(1, 1)});
  EXPECT_EQ(dp_.stats().drops[DropReason::kInvalidPort], 1u);
  EXPECT_EQ(dp_.stats().drops.total(), 1u);
  EXPECT_EQ(pool_.available(), pool_.count());
}

TEST_F(DatapathTest, RecirculationRunsTheTableAgain) {
  add_flow("recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4()", "recirc(0x5)");
  add_flow("recirc_id(0x5),in_port(1),eth(),eth_type(0x0800),ipv4()", "3");
  receive(1, {udp_frame(1, 7)});
  ASSERT_EQ(ports_[3]->frames.size(), 1u);
  EXPECT_EQ(dp_.stats().hit, 2u) << "one hit per pass";
}

TEST_F(DatapathTest, RecirculationLoopsAreCut) {
  add_flow("recirc_id(0x7),in_port(1),eth(),eth_type(0x0800),ipv4()", "recirc(0x7)");
  add_flow("recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4()", "recirc(0x7)");
  receive(1, {udp_frame(1, 7)});
  EXPECT_EQ(dp_.stats().drops[DropReason::kRecircDepth], 1u);
  EXPECT_EQ(dp_.stats().drops.total(), 1u);
  EXPECT_EQ(pool_.available(), pool_.count());
}

TEST_F(DatapathTest, UserspaceActionQueuesACopyAndTheActionsGoOn) {
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()",
           "userspace(pid=7,userdata(0a0b0c0d0e0f1011)),2");
  receive(1, {udp_frame(1, 7)});
  EXPECT_EQ(ports_[2]->frames.size(), 1u);
  std::vector<Upcall> upcalls(4);
  ASSERT_EQ(dp_.upcalls().dequeue(upcalls, 4, std::chrono::milliseconds(0)), 1u);
  EXPECT_EQ(upcalls[0].type, UpcallType::kAction);
  EXPECT_EQ(upcalls[0].pid, 7u);
  EXPECT_EQ(upcalls[0].userdata, (Bytes{0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11}));
  EXPECT_EQ(upcalls[0].packet, udp_frame(1, 7));
}

TEST_F(DatapathTest, MeterLimitsPackets) {
  MeterConfig config;
  config.packets_per_second = true;
  config.bands.push_back(MeterBandConfig{MeterBandType::kDrop, 1, 2});
  ASSERT_TRUE(dp_.set_meter(4, config).ok());
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()", "meter(4),2");
  std::vector<Bytes> frames(10, udp_frame(1, 1));
  receive(1, frames);
  EXPECT_EQ(ports_[2]->frames.size(), 2u) << "burst of 2 packets, then the band drops";
  EXPECT_EQ(pool_.available(), pool_.count());
}

TEST_F(DatapathTest, ValidationRejectsOutputToMissingPorts) {
  auto acts = parse_odp_actions("2,clone(9)");
  ASSERT_TRUE(acts.ok());
  Status st = validate_flow_actions(dp_, *acts);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), "action outputs to port 9, which datapath dptest does not have");
}

TEST_F(DatapathTest, RepeatedTrafficIsServedByTheCaches) {
  dp_.caches(0)->use_emc = true;  // off by default; both layers must work
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=53)", "2");
  add_flow("in_port(3),eth(),eth_type(0x0800),ipv4()", "1");  // two masks: the SMC is used
  for (int i = 0; i < 5; ++i) receive(1, {udp_frame(1, 53)});
  EXPECT_EQ(ports_[2]->frames.size(), 5u);
  const ProcessorStats& s = processor_.processor_stats();
  EXPECT_EQ(s.hits, 5u);
  EXPECT_EQ(s.emc_hits + s.smc_hits, 4u) << "only the first packet needs the classifier";
}

TEST_F(DatapathTest, NoPacketUsesADeletedFlowThroughTheCaches) {
  dp_.caches(0)->use_emc = true;
  dp_.set_emc_insert_inv_prob(1);  // insert every time: the EMC holds it
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=53)", "2");
  add_flow("in_port(3),eth(),eth_type(0x0800),ipv4()", "1");  // two masks: the SMC is used
  for (int i = 0; i < 3; ++i) receive(1, {udp_frame(1, 53)});
  ASSERT_EQ(ports_[2]->frames.size(), 3u);
  {
    auto parsed = parse_flow("in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=53)");
    ASSERT_TRUE(parsed.ok());
    ASSERT_TRUE(dp_.flows().remove(parsed->match).ok());
  }
  receive(1, {udp_frame(1, 53)});
  EXPECT_EQ(ports_[2]->frames.size(), 3u) << "the deleted flow forwarded a packet";
  EXPECT_EQ(dp_.stats().missed, 1u);
}

// Overlapping flows (accepted as Open vSwitch does): packets take a flow that
// matches them, through the EMC and SMC too; once that flow is deleted the
// other one takes them, never the deleted one.
TEST_F(DatapathTest, OverlappingFlowsThroughTheCaches) {
  dp_.caches(0)->use_emc = true;
  dp_.set_emc_insert_inv_prob(1);
  const char* narrow = "in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=53)";
  add_flow(narrow, "2");
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()", "3");  // over the first: accepted
  EXPECT_EQ(dp_.flows().count(), 2u);
  for (int i = 0; i < 3; ++i) receive(1, {udp_frame(1, 53), udp_frame(1, 80)});
  EXPECT_EQ(ports_[2]->frames.size() + ports_[3]->frames.size(), 6u);
  for (const auto& frame : ports_[2]->frames)
    EXPECT_EQ(frame, udp_frame(1, 53)) << "only the wide flow matches port 80";
  const size_t narrow_before = ports_[2]->frames.size();
  {
    auto parsed = parse_flow(narrow);
    ASSERT_TRUE(parsed.ok());
    ASSERT_TRUE(dp_.flows().remove(parsed->match).ok());
  }
  receive(1, {udp_frame(1, 53), udp_frame(1, 53)});
  EXPECT_EQ(ports_[2]->frames.size(), narrow_before) << "the deleted flow forwarded a packet";
  EXPECT_EQ(dp_.stats().missed, 0u);
  const ProcessorStats& s = processor_.processor_stats();
  EXPECT_GT(s.emc_hits + s.smc_hits, 0u);
}

TEST_F(DatapathTest, ModifiedActionsApplyAtOnceDespiteTheCaches) {
  dp_.caches(0)->use_emc = true;
  dp_.set_emc_insert_inv_prob(1);
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()", "2");
  for (int i = 0; i < 3; ++i) receive(1, {udp_frame(1, 9)});
  auto parsed = parse_flow("in_port(1),eth(),eth_type(0x0800),ipv4()");
  auto acts = parse_odp_actions("3");
  ASSERT_TRUE(parsed.ok() && acts.ok());
  ASSERT_TRUE(dp_.flows()
                  .put(MegaflowPut{parsed->match, std::nullopt, *acts, PutMode::kModify})
                  .ok());
  receive(1, {udp_frame(1, 9)});
  EXPECT_EQ(ports_[2]->frames.size(), 3u);
  EXPECT_EQ(ports_[3]->frames.size(), 1u);
}

// emc-insert-inv-prob reaches the forwarding thread's cache at its next
// batch: 0 inserts nothing (what was cached still hits), 1 inserts every key
// the classifier answered, N about one in N.
TEST_F(DatapathTest, TheEmcInsertionProbabilityAppliesFromTheNextBatch) {
  dp_.set_emc(true);
  EXPECT_EQ(dp_.emc_insert_inv_prob(), 100u) << "Open vSwitch's default";
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()", "2");
  dp_.set_emc_insert_inv_prob(0);
  for (int i = 0; i < 20; ++i) receive(1, {udp_frame(1, static_cast<uint16_t>(100 + i))});
  EXPECT_EQ(dp_.caches(0)->emc.inverse_probability(), 0u);
  EXPECT_EQ(dp_.caches(0)->emc.counters().inserts, 0u);
  EXPECT_EQ(processor_.processor_stats().emc_hits, 0u);

  dp_.set_emc_insert_inv_prob(1);
  receive(1, {udp_frame(1, 7)});
  EXPECT_EQ(dp_.caches(0)->emc.inverse_probability(), 1u);
  EXPECT_EQ(dp_.caches(0)->emc.counters().inserts, 1u);
  for (int i = 0; i < 3; ++i) receive(1, {udp_frame(1, 7)});
  EXPECT_EQ(processor_.processor_stats().emc_hits, 3u);

  // Cached entries stay and hit when insertion stops.
  dp_.set_emc_insert_inv_prob(0);
  receive(1, {udp_frame(1, 7), udp_frame(1, 8)});
  EXPECT_EQ(processor_.processor_stats().emc_hits, 4u);
  EXPECT_EQ(dp_.caches(0)->emc.counters().inserts, 1u) << "port 8's key was not inserted";

  // 1 in 1000: out of 200 new keys, far fewer than all are inserted.
  dp_.set_emc_insert_inv_prob(1000);
  for (int i = 0; i < 200; ++i) receive(1, {udp_frame(1, static_cast<uint16_t>(2000 + i))});
  EXPECT_LT(dp_.caches(0)->emc.counters().inserts, 1u + 50u);
  EXPECT_EQ(ports_[2]->frames.size(), 20u + 4u + 2u + 200u);
}

TEST_F(DatapathTest, DefaultCachesAreTheSignatureCacheOnlyFromTwoMasksUp) {
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()", "2");
  receive(1, {udp_frame(1, 9)});
  EXPECT_EQ(processor_.processor_stats().smc_hits, 0u) << "one mask: classifier only";
  add_flow("in_port(2),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp()", "1");  // a second mask
  for (int i = 0; i < 4; ++i) receive(1, {udp_frame(1, 9)});
  const ProcessorStats& s = processor_.processor_stats();
  EXPECT_EQ(s.emc_hits, 0u);
  EXPECT_EQ(s.smc_hits, 3u);
  EXPECT_EQ(ports_[2]->frames.size(), 5u);
}

TEST_F(DatapathTest, ExecuteInjectsAPacket) {
  PacketExecutor executor;
  auto acts = parse_odp_actions("push_vlan(vid=10,pcp=0),3");
  ASSERT_TRUE(acts.ok());
  Bytes frame = udp_frame(1, 1);
  PacketMetadata md{};
  md.in_port = 1;
  auto outcome = executor.execute(dp_, frame, md, *acts);
  ASSERT_TRUE(outcome.ok()) << outcome.error();
  EXPECT_EQ(outcome->sent, 1u);
  EXPECT_EQ(outcome->drops.total(), 0u);
  ASSERT_EQ(ports_[3]->frames.size(), 1u);
  EXPECT_EQ(ports_[3]->frames[0].size(), frame.size() + 4);
  EXPECT_EQ(ports_[3]->frames[0][12], 0x81);
  EXPECT_EQ(ports_[3]->frames[0][13], 0x00);
  auto refused = executor.execute(dp_, Bytes(13, 0), md, *acts);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error(), "packet of 13 bytes is shorter than an Ethernet header (14 bytes)");
}

// An 802.1ad tag (vid 5) around an 802.1Q tag (vid 6) around udp_frame.
Bytes qinq_frame() {
  Bytes f = udp_frame(1, 1);
  f.insert(f.begin() + 12, {0x88, 0xa8, 0x00, 0x05, 0x81, 0x00, 0x00, 0x06});
  return f;
}

TEST_F(DatapathTest, UnderTheDefaultVlanLimitAQinqPacketMatchesOpenVswitchsKey) {
  // Open vSwitch 3.1 (vlan-limit 1) keys this packet so, and dpctl/add-flow
  // takes that key; the inner tag stays in the payload.
  ASSERT_EQ(dp_.vlan_limit(), 1);
  add_flow("in_port(1),eth(),eth_type(0x88a8),vlan(vid=5,pcp=0),encap(eth_type(0x8100))", "2");
  receive(1, {qinq_frame()});
  ASSERT_EQ(ports_[2]->frames.size(), 1u);
  EXPECT_EQ(ports_[2]->frames[0], qinq_frame());
}

TEST_F(DatapathTest, VlanLimitZeroTakesBothTags) {
  ASSERT_TRUE(dp_.set_vlan_limit(0).ok());
  EXPECT_EQ(dp_.vlan_headers(), kMaxVlanTags);
  add_flow("in_port(1),eth(),eth_type(0x88a8),vlan(vid=5,pcp=0),encap(eth_type(0x8100),"
           "vlan(vid=6,pcp=0),encap(eth_type(0x0800),ipv4(proto=17,frag=no),udp()))",
           "3");
  receive(1, {qinq_frame()});
  EXPECT_EQ(ports_[3]->frames.size(), 1u);
  EXPECT_FALSE(dp_.set_vlan_limit(-1).ok());
  EXPECT_EQ(dp_.vlan_limit(), 0) << "a refused limit changes nothing";
}

TEST_F(DatapathTest, AFlowWithATagPastTheVlanLimitIsRefused) {
  auto parsed = parse_flow(
      "in_port(1),eth(),eth_type(0x88a8),vlan(vid=5,pcp=0),encap(eth_type(0x8100),"
      "vlan(vid=6,pcp=0),encap(eth_type(0x0800),ipv4(proto=17,frag=no),udp()))");
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  Status st = check_flow_match(dp_, parsed->match);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), "flow has 2 VLAN tags, but datapath dptest parses 1 (vlan-limit 1)");
}

TEST_F(DatapathTest, AFlowMustMatchInPortExactly) {
  auto no_port = parse_flow("eth(),eth_type(0x0800),ipv4()");
  ASSERT_TRUE(no_port.ok()) << no_port.error();
  Status st = check_flow_match(dp_, no_port->match);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), "flow does not match in_port: a datapath flow must name its input port");
  auto masked = parse_flow("in_port(1/0xff),eth(),eth_type(0x0800),ipv4()");
  ASSERT_TRUE(masked.ok()) << masked.error();
  st = check_flow_match(dp_, masked->match);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), "in_port mask 0xff is not exact: a datapath flow must match in_port exactly");
}

}  // namespace
}  // namespace flowpath::datapath_test
