// Every packet the datapath does not forward is counted under its reason, in
// the slot of the thread that dropped it, and against the port it belongs to
// where there is one: one test per reason the datapath itself decides (the
// executor's reasons are in action_execute_test.cc), and the lookup counters
// the same slots hold.
#include <gtest/gtest.h>

#include <vector>

#include "datapath/upcall_handler.h"
#include "datapath_test_support.h"
#include "flow/odp_abi.h"
#include "vport/tunnel_port.h"

namespace flowpath::datapath_test {
namespace {

class DatapathDropsTest : public DatapathTest {
 protected:
  DropCounts drops() const { return dp_.stats().drops; }
  DropCounts port_drops(uint32_t port) {
    rcu::ReadSection section;
    return dp_.port(port)->vport().stats().drops;
  }
  // Exactly `n` drops in all, all of them for `why`.
  void expect_only(DropReason why, uint64_t n) {
    DropCounts d = drops();
    EXPECT_EQ(d[why], n) << drop_reason_name(why);
    EXPECT_EQ(d.total(), n) << "drops under other reasons too";
  }
};

TEST_F(DatapathDropsTest, AFlowWithoutActionsCountsNoOutput) {
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()", "drop");  // the empty list
  receive(1, {udp_frame(1, 1), udp_frame(1, 2), udp_frame(1, 3)});
  expect_only(DropReason::kNoOutput, 3);
  EXPECT_EQ(dp_.thread_counts(0).drops[DropReason::kNoOutput], 3u) << "the thread's own slot";
  EXPECT_EQ(dp_.shared_counts().drops.total(), 0u);
  EXPECT_EQ(pool_.available(), pool_.count());
}

TEST_F(DatapathDropsTest, AnExplicitDropActionCountsThePipelineReason) {
  // "push_vlan(vid=5,pcp=0),drop" prints, but (as in Open vSwitch) does not
  // parse: a drop action among others exists only in the Netlink form.
  auto acts = parse_odp_actions("push_vlan(vid=5,pcp=0)");
  ASSERT_TRUE(acts.ok());
  NetlinkWriter w(&*acts);
  w.put_u32(odp::kActionDrop, odp::kXlateOk);
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()", *acts);
  receive(1, {udp_frame(1, 1), udp_frame(1, 2)});
  expect_only(DropReason::kActionOfPipeline, 2);
}

TEST_F(DatapathDropsTest, MeterDropsAreCounted) {
  MeterConfig config;
  config.packets_per_second = true;
  config.bands.push_back(MeterBandConfig{MeterBandType::kDrop, 1, 2});
  ASSERT_TRUE(dp_.set_meter(4, config).ok());
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()", "meter(4),2");
  receive(1, std::vector<Bytes>(10, udp_frame(1, 1)));
  EXPECT_EQ(ports_[2]->frames.size(), 2u);
  expect_only(DropReason::kMeter, 8);
}

TEST_F(DatapathDropsTest, TunnelPopOfWhatIsNoTunnelPacketIsCounted) {
  auto vxlan = TunnelPort::create(VportKind::kVxlan, "vx0", {{"remote_ip", "192.0.2.2"}});
  ASSERT_TRUE(vxlan.ok()) << vxlan.error();
  dp_.upcalls().add_port(4);
  delete dp_.swap_port(4, new DatapathPort(4, std::move(*vxlan), VportSpec{"vx0", VportKind::kVxlan, {}}));
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()", "tnl_pop(4)");
  receive(1, {udp_frame(1, 1)});
  expect_only(DropReason::kTunnelPopError, 1);
}

TEST_F(DatapathDropsTest, OutputToAMissingPortCountsInvalidPort) {
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()", "3,2");
  delete dp_.swap_port(2, nullptr);  // gone after the flow was installed
  ports_[2] = nullptr;
  receive(1, {udp_frame(1, 1), udp_frame(1, 2)});
  EXPECT_EQ(ports_[3]->frames.size(), 2u);
  expect_only(DropReason::kInvalidPort, 2);
}

TEST_F(DatapathDropsTest, RecirculationPastTheDepthLimitCountsRecircError) {
  add_flow("recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4()", "recirc(0x7)");
  add_flow("recirc_id(0x7),in_port(1),eth(),eth_type(0x0800),ipv4()", "recirc(0x7)");
  receive(1, {udp_frame(1, 1), udp_frame(1, 2)});
  expect_only(DropReason::kRecircDepth, 2);
  EXPECT_EQ(pool_.available(), pool_.count());
}

TEST_F(DatapathDropsTest, MoreRecirculationsThanTheQueueHoldsAreCounted) {
  // Each of 32 packets recirculates five times in one pass: 160 packets for
  // a queue of four batches (128).
  add_flow("recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4()",
           "clone(recirc(1)),clone(recirc(2)),clone(recirc(3)),clone(recirc(4)),recirc(5)");
  for (int id = 1; id <= 5; ++id) {
    add_flow("recirc_id(" + std::to_string(id) + "),in_port(1),eth(),eth_type(0x0800),ipv4()",
             "2");
  }
  receive(1, std::vector<Bytes>(32, udp_frame(1, 1)));
  EXPECT_EQ(ports_[2]->frames.size(), 128u);
  expect_only(DropReason::kRecircQueueFull, 32);
  EXPECT_EQ(pool_.available(), pool_.count());
}

TEST_F(DatapathDropsTest, FramesOverTheOutputPortsMtuAreCountedThereToo) {
  add_capture_port(4, 100);  // 100 bytes of payload: frames of 114, 118 with a VLAN tag
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()", "4");
  add_flow("in_port(1),eth(),eth_type(0x8100),vlan(vid=5,pcp=0),encap(eth_type(0x0800),ipv4())",
           "4");
  auto sized = [](Bytes frame, size_t size) {
    frame.resize(size, 0);
    return frame;
  };
  Bytes tagged = udp_frame(1, 1);
  tagged.insert(tagged.begin() + 12, {0x81, 0x00, 0x00, 0x05});
  receive(1, {sized(udp_frame(1, 1), 114), sized(udp_frame(1, 1), 115), sized(tagged, 118),
              sized(tagged, 119)});
  ASSERT_EQ(ports_[4]->frames.size(), 2u);
  EXPECT_EQ(ports_[4]->frames[0].size(), 114u);
  EXPECT_EQ(ports_[4]->frames[1].size(), 118u);
  expect_only(DropReason::kMtuExceeded, 2);
  EXPECT_EQ(port_drops(4)[DropReason::kMtuExceeded], 2u);
  EXPECT_EQ(port_drops(1).total(), 0u);
}

TEST_F(DatapathDropsTest, APacketThatIsNoLongerEthernetIsNotSentToAnEthernetPort) {
  // add_mpls without the L3 flag puts the label in front of the Ethernet
  // header: an MPLS packet without Ethernet, which Open vSwitch does not
  // send on an Ethernet port. push_mpls (add_mpls with the flag) keeps the
  // frame Ethernet.
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()",
           "add_mpls(label=100,tc=0,ttl=64,bos=1,eth_type=0x8847),2");
  add_flow("in_port(3),eth(),eth_type(0x0800),ipv4()",
           "push_mpls(label=100,tc=0,ttl=64,bos=1,eth_type=0x8847),2");
  receive(1, {udp_frame(1, 1), udp_frame(1, 2)});
  EXPECT_EQ(ports_[2]->frames.size(), 0u);
  expect_only(DropReason::kNotEthernet, 2);
  EXPECT_EQ(port_drops(2)[DropReason::kNotEthernet], 2u);
  receive(3, {udp_frame(1, 1)});
  ASSERT_EQ(ports_[2]->frames.size(), 1u);
  EXPECT_EQ(ports_[2]->frames[0][12], 0x88);
  EXPECT_EQ(ports_[2]->frames[0][13], 0x47);
  EXPECT_EQ(pool_.available(), pool_.count());
}

TEST_F(DatapathDropsTest, WhatTheDeviceRefusesCountsTxFailure) {
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()", "2");
  ports_[2]->refuse = 1;
  receive(1, {udp_frame(1, 1), udp_frame(1, 2), udp_frame(1, 3)});
  EXPECT_EQ(ports_[2]->frames.size(), 2u);
  expect_only(DropReason::kTxFailure, 1);
  rcu::ReadSection section;
  EXPECT_EQ(dp_.port(2)->vport().stats().tx_dropped, 1u) << "the port tells why";
}

TEST_F(DatapathDropsTest, MissesBeyondThePortsUpcallQueueAreLostAndCounted) {
  // The queue holds 256 upcalls per port; 320 misses arrive.
  for (int b = 0; b < 10; ++b) {
    std::vector<Bytes> frames;
    for (int i = 0; i < 32; ++i) frames.push_back(udp_frame(1, static_cast<uint16_t>(b * 32 + i)));
    receive(1, frames);
  }
  DatapathStats s = dp_.stats();
  EXPECT_EQ(s.missed, 320u);
  EXPECT_EQ(s.lost, 64u);
  EXPECT_EQ(processor_.processor_stats().lost, 64u);
  expect_only(DropReason::kUpcallQueueFull, 64);
  EXPECT_EQ(port_drops(1)[DropReason::kUpcallQueueFull], 64u) << "counted against the port";
  EXPECT_EQ(port_drops(2).total(), 0u);
}

TEST_F(DatapathDropsTest, AnUpcallFromAPortWithoutQueueCountsNoPort) {
  dp_.upcalls().remove_port(3);
  receive(3, {udp_frame(1, 1)});
  expect_only(DropReason::kUpcallNoPort, 1);
  EXPECT_EQ(port_drops(3)[DropReason::kUpcallNoPort], 1u);
  EXPECT_EQ(dp_.stats().lost, 1u);
}

TEST_F(DatapathDropsTest, LostUserspaceUpcallsAreDropsButNotLostMisses) {
  add_flow("in_port(3),eth(),eth_type(0x0800),ipv4()", "userspace(pid=1)");
  dp_.upcalls().remove_port(3);
  receive(3, {udp_frame(1, 1), udp_frame(1, 2)});
  expect_only(DropReason::kUpcallNoPort, 2);
  EXPECT_EQ(dp_.stats().lost, 0u) << "lookups: lost counts misses only";
}

TEST_F(DatapathDropsTest, ADatapathWithoutSlowPathCountsNoHandler) {
  receive(1, {udp_frame(1, 1), udp_frame(1, 2)});
  receive(2, {udp_frame(2, 1)});
  std::vector<Upcall> upcalls(8);
  size_t n = dp_.upcalls().dequeue(upcalls, 8, std::chrono::milliseconds(0));
  ASSERT_EQ(n, 3u);
  DatapathHandle handle(std::shared_ptr<Datapath>(std::shared_ptr<void>(), &dp_));  // not owning
  DropUpcallHandler().handle(handle, std::span<Upcall>(upcalls.data(), n));
  expect_only(DropReason::kUpcallNoHandler, 3);
  EXPECT_EQ(dp_.shared_counts().drops[DropReason::kUpcallNoHandler], 3u) << "not a pmd's";
  EXPECT_EQ(port_drops(1)[DropReason::kUpcallNoHandler], 2u);
  EXPECT_EQ(port_drops(2)[DropReason::kUpcallNoHandler], 1u);
}

TEST_F(DatapathDropsTest, ExecuteSaysWhatBecameOfThePacket) {
  PacketExecutor executor;
  PacketMetadata md{};
  md.in_port = 1;
  auto run = [&](const std::string& actions) {
    auto parsed = parse_odp_actions(actions);
    EXPECT_TRUE(parsed.ok()) << parsed.error();
    auto outcome = executor.execute(dp_, udp_frame(1, 1), md, *parsed);
    EXPECT_TRUE(outcome.ok()) << outcome.error();
    return *outcome;
  };
  ExecuteOutcome dropped = run("drop");
  EXPECT_EQ(dropped.sent, 0u);
  EXPECT_EQ(dropped.upcalls, 0u);
  EXPECT_EQ(dropped.drops[DropReason::kNoOutput], 1u);
  EXPECT_EQ(dropped.drops.total(), 1u);

  ExecuteOutcome partly = run("2,tnl_pop(3)");
  EXPECT_EQ(partly.sent, 1u);
  EXPECT_EQ(partly.drops[DropReason::kTunnelPopError], 1u);
  EXPECT_EQ(partly.drops.total(), 1u);

  ExecuteOutcome upcall = run("userspace(pid=3)");
  EXPECT_EQ(upcall.upcalls, 1u);
  EXPECT_EQ(upcall.drops.total(), 0u);

  // Counted in the datapath too, in the slot of the threads that are not pmds.
  EXPECT_EQ(dp_.shared_counts().drops.total(), 2u);
  EXPECT_EQ(dp_.thread_counts(0).drops.total(), 0u);
  EXPECT_EQ(drops().total(), 2u);
}

TEST_F(DatapathDropsTest, SubtableLookupsPerMegaflowHitCountHitsOnly) {
  dp_.caches(0)->use_smc = false;  // every lookup goes to the classifier
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()", "2");
  add_flow("in_port(2),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp()", "3");
  ASSERT_EQ(dp_.flows().mask_count(), 2u);
  receive(1, {udp_frame(1, 1)});
  receive(2, {udp_frame(1, 1)});
  receive(3, {udp_frame(1, 1), udp_frame(1, 2)});  // misses: both subtables searched
  // One hit in the first subtable, one in the second, whatever their order.
  const ProcessorStats& s = processor_.processor_stats();
  EXPECT_EQ(s.hits, 2u);
  EXPECT_EQ(s.megaflow_hit_lookups, 1u + 2u);
  // ovs-dpctl's "masks: hit" counts every packet's searches, misses included.
  EXPECT_EQ(dp_.stats().masks_hit, 1u + 2u + 2u * 2u);
}

}  // namespace
}  // namespace flowpath::datapath_test
