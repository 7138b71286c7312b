// Translation of the extension actions: move, the stack, output:FIELD,
// output(max_len), exit — the datapath actions each produces and the
// megaflow it leaves (only the bits it read made exact).
#include "xlate_test_support.h"

namespace flowpath::ofproto {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kMacA = "00:00:00:00:00:0a";
constexpr const char* kMacB = "00:00:00:00:00:0b";

class XlateActionsTest : public XlateTest {
 protected:
  XlateActionsTest() {
    add_port(1, "p1");
    add_port(2, "p2");
    add_port(3, "p3");
  }
  std::string udp(int in_port = 1) {
    return udp_packet(in_port, kMacA, kMacB, "10.0.0.1", "10.0.0.2", 1000, 2000);
  }
};

TEST_F(XlateActionsTest, MoveOfAPacketFieldSetsItOnTheDatapathAndMatchesBothEnds) {
  add_rule("priority=10,ip,actions=move:NXM_OF_IP_SRC[]->NXM_OF_IP_DST[],output:2");
  auto out = run(udp());
  EXPECT_EQ(out.actions, "set(ipv4(dst=10.0.0.1)),2") << last_trace_;
  EXPECT_EQ(out.megaflow,
            "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,"
            "frag=no)");
  EXPECT_THAT(last_trace_, HasSubstr("move:NXM_OF_IP_SRC[]->NXM_OF_IP_DST[]"));
  EXPECT_THAT(last_trace_, HasSubstr("NXM_OF_IP_DST[0..31] = 0xa000001"));
}

TEST_F(XlateActionsTest, MoveOfABitRangeMatchesOnlyThoseBits) {
  // The low byte of the destination address picks the port through a
  // register: the megaflow matches that byte, not the whole address.
  add_rule("priority=10,ip,actions=move:NXM_OF_IP_DST[0..7]->NXM_NX_REG0[0..7],"
           "output:NXM_NX_REG0[0..15]");
  auto out = run(udp());
  EXPECT_EQ(out.actions, "2") << last_trace_;
  EXPECT_EQ(out.megaflow,
            "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(dst=0.0.0.2/0.0.0.255,frag=no)");
  EXPECT_THAT(last_trace_, HasSubstr("output port is 2"));
  auto three = run(udp_packet(1, kMacA, kMacB, "10.0.0.1", "10.9.9.3", 1, 2));
  EXPECT_EQ(three.actions, "3");
}

TEST_F(XlateActionsTest, MoveIntoAPortAndBetweenRegistersAndMetadata) {
  add_rule("priority=10,udp,actions=load:0x1f90->NXM_NX_REG1[16..31],"
           "move:NXM_NX_REG1[16..31]->NXM_OF_UDP_DST[],"
           "move:NXM_NX_REG1[]->OXM_OF_METADATA[32..63],resubmit(,1)");
  add_rule("table=1,priority=10,metadata=0x1f90000000000000/0xffffffff00000000,actions=output:2");
  auto out = run(udp());
  EXPECT_EQ(out.actions, "set(udp(dst=8080)),2") << last_trace_;
  // Registers and metadata are not in the packet: only udp dst (written).
  EXPECT_EQ(out.megaflow,
            "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=2000)");
}

TEST_F(XlateActionsTest, MoveFromInPortSeesOpenFlowNumbering) {
  add_rule("priority=10,actions=move:NXM_OF_IN_PORT[]->NXM_NX_REG2[0..15],resubmit(,1)");
  add_rule("table=1,reg2=0xfffe,actions=output:3");
  add_rule("table=1,reg2=1,actions=output:2");
  EXPECT_EQ(run(udp(1)).actions, "2") << last_trace_;
  EXPECT_EQ(run(udp(0)).actions, "3") << last_trace_;
}

TEST_F(XlateActionsTest, OutputRegOutOfRangeOutputsNothing) {
  add_rule("priority=10,actions=load:0x10000->NXM_NX_REG0[],output:NXM_NX_REG0[],output:3");
  auto out = run(udp());
  EXPECT_EQ(out.actions, "3") << last_trace_;
  EXPECT_THAT(last_trace_, HasSubstr("output port 65536 is out of range"));
}

TEST_F(XlateActionsTest, OutputRegToReservedPortsAndInPort) {
  // 0xfff8 is OpenFlow 1.0's IN_PORT, 0xfffb FLOOD.
  add_rule("priority=10,in_port=1,actions=load:0xfff8->NXM_NX_REG0[0..15],"
           "output:NXM_NX_REG0[0..15]");
  add_rule("priority=10,in_port=2,actions=load:0xfffb->NXM_NX_REG0[0..15],"
           "output:NXM_NX_REG0[0..15]");
  EXPECT_EQ(run(udp(1)).actions, "1") << last_trace_;
  EXPECT_EQ(run(udp(2)).actions, "0,1,3") << last_trace_;
}

TEST_F(XlateActionsTest, PushAndPopSwapTheMacs) {
  add_rule("priority=10,actions=push:NXM_OF_ETH_SRC[],push:NXM_OF_ETH_DST[],"
           "pop:NXM_OF_ETH_SRC[],pop:NXM_OF_ETH_DST[],IN_PORT");
  auto out = run(udp());
  EXPECT_EQ(out.actions,
            "set(eth(src=00:00:00:00:00:0b,dst=00:00:00:00:00:0a)),1") << last_trace_;
  EXPECT_EQ(out.megaflow,
            "recirc_id(0),in_port(1),eth(src=00:00:00:00:00:0a,dst=00:00:00:00:00:0b),"
            "eth_type(0x0800),ipv4(frag=no)");
}

TEST_F(XlateActionsTest, StackCarriesValuesAcrossResubmitsAndUnderflowIsReported) {
  add_rule("priority=10,ip,actions=push:NXM_OF_IP_DST[24..31],resubmit(,1),"
           "pop:NXM_NX_REG0[0..7],pop:NXM_NX_REG1[],output:NXM_NX_REG0[0..7]");
  add_rule("table=1,actions=load:3->NXM_NX_REG5[],push:NXM_NX_REG5[0..15]");
  // The last push (3) pops first into reg0; the address byte (10) into reg1;
  // a third pop would underflow.
  auto out = run(udp());
  EXPECT_EQ(out.actions, "3") << last_trace_;
  EXPECT_EQ(out.megaflow,
            "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.0/255.0.0.0,frag=no)");
  add_rule("table=2,actions=pop:NXM_NX_REG0[],output:2");
  add_rule("priority=20,in_port=2,actions=resubmit(,2)");
  EXPECT_EQ(run(udp(2)).actions, "drop") << last_trace_;
  EXPECT_THAT(last_trace_, HasSubstr("stack underflow"));
}

TEST_F(XlateActionsTest, ExitEndsThePipelineButNotWhatFollowsAGroup) {
  add_rule("priority=10,in_port=1,actions=resubmit(,1),output:3");
  add_rule("table=1,actions=output:2,exit,output:LOCAL");
  auto out = run(udp(1));
  EXPECT_EQ(out.actions, "2") << last_trace_;
  EXPECT_THAT(last_trace_, HasSubstr("exit"));

  add_group("group_id=1,type=all,bucket=output:1,exit,output:LOCAL,bucket=output:2");
  add_rule("priority=10,in_port=3,actions=group:1,output:LOCAL");
  EXPECT_EQ(run(udp(3)).actions, "1,2,0") << last_trace_;
}

TEST_F(XlateActionsTest, OutputWithMaxLenTruncatesThatOutputOnly) {
  add_rule("priority=10,in_port=1,actions=output(port=2,max_len=100),mod_dl_dst:00:00:00:00:00:cc,"
           "output:3");
  auto out = run(udp(1));
  EXPECT_EQ(out.actions, "trunc(100),2,set(eth(dst=00:00:00:00:00:cc)),3") << last_trace_;
  // To the input port, or a port that is not there: nothing, no stray trunc.
  add_rule("priority=10,in_port=2,actions=output(port=2,max_len=100),output(port=9,max_len=64),"
           "output(port=LOCAL,max_len=80)");
  EXPECT_EQ(run(udp(2)).actions, "trunc(80),0") << last_trace_;
  EXPECT_THAT(last_trace_, HasSubstr("skipping output to input port"));
}

TEST_F(XlateActionsTest, CloneOfReversibleActionsGoesInlineAndIsUndone) {
  add_rule("priority=10,actions=clone(mod_dl_dst:00:00:00:00:00:cc,output:2),output:3");
  auto out = run(udp());
  EXPECT_EQ(out.actions,
            "set(eth(dst=00:00:00:00:00:cc)),2,set(eth(dst=00:00:00:00:00:0b)),3") << last_trace_;
  EXPECT_EQ(out.megaflow,
            "recirc_id(0),in_port(1),eth(dst=00:00:00:00:00:0b),eth_type(0x0800),ipv4(frag=no)");
  EXPECT_THAT(last_trace_, HasSubstr("clone: inline"));
}

TEST_F(XlateActionsTest, CloneOfIrreversibleActionsIsADatapathClone) {
  add_rule("priority=10,ip,actions=mod_nw_tos:16,clone(ct(commit,zone=3),output:2),output:3");
  auto out = run(udp());
  // The pending change is committed once, before the clone.
  EXPECT_EQ(out.actions, "set(ipv4(tos=0x10/0xfc)),clone(ct(commit,zone=3),2),3") << last_trace_;
  add_rule("priority=20,in_port=2,actions=clone(output(port=1,max_len=64)),output:3");
  EXPECT_EQ(run(udp(2)).actions, "clone(trunc(64),1),3") << last_trace_;
}

TEST_F(XlateActionsTest, CheckPktLargerTranslatesTheRestTwice) {
  add_rule("priority=10,actions=check_pkt_larger(200)->NXM_NX_REG0[0],resubmit(,1),output:LOCAL");
  add_rule("table=1,priority=10,reg0=0x1/0x1,actions=output:2");
  add_rule("table=1,priority=5,actions=output:3");
  auto out = run(udp());
  EXPECT_EQ(out.actions, "check_pkt_len(size=200,gt(2,0),le(3,0))") << last_trace_;
  // The length is the datapath's to check: not in the megaflow.
  EXPECT_EQ(out.megaflow, "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)");
  EXPECT_THAT(last_trace_, HasSubstr("check_pkt_larger(200)"));
}

TEST_F(XlateActionsTest, CheckPktLargerCommitsFirstAndEachBranchStartsFromTheSameFlow) {
  add_rule("priority=10,actions=mod_dl_src:00:00:00:00:00:aa,"
           "check_pkt_larger(1500)->NXM_NX_REG1[3],resubmit(,1)");
  add_rule("table=1,priority=10,reg1=0x8/0x8,actions=mod_dl_dst:00:00:00:00:00:bb,"
           "controller:200");
  add_rule("table=1,priority=5,actions=output:2");
  auto out = run(udp());
  EXPECT_THAT(out.actions, HasSubstr("set(eth(src=00:00:00:00:00:aa)),check_pkt_len(size=1500,gt("
                                     "set(eth(dst=00:00:00:00:00:bb)),userspace("))
      << out.actions;
  EXPECT_THAT(out.actions, HasSubstr("),le(2))")) << out.actions;
}

TEST_F(XlateActionsTest, ActionSetRunsAtTheEndInOpenFlowOrder) {
  // Written out of order: push_vlan runs before set_field, the output last.
  add_rule("priority=10,actions=write_actions(output:2,push_vlan:0x8100,set_field:5->vlan_vid),"
           "goto_table:1");
  add_rule("table=1,actions=output:3");
  auto out = run(udp());
  EXPECT_EQ(out.actions, "3,push_vlan(vid=5,pcp=0),2") << last_trace_;
  EXPECT_THAT(last_trace_, HasSubstr("executing the action set"));
}

TEST_F(XlateActionsTest, ActionSetLaterWritesReplaceAndClearActionsEmptiesIt) {
  add_rule("priority=10,in_port=1,actions=write_actions(output:2),goto_table:1");
  add_rule("table=1,in_port=1,actions=write_actions(output:3)");
  EXPECT_EQ(run(udp(1)).actions, "3") << last_trace_;
  add_rule("priority=10,in_port=2,actions=write_actions(output:3),goto_table:2");
  add_rule("table=2,in_port=2,actions=output:1,clear_actions");
  EXPECT_EQ(run(udp(2)).actions, "1") << last_trace_;
  // A group is final over an output; without either nothing runs.
  add_group("group_id=7,type=all,bucket=output:1");
  add_rule("priority=10,in_port=3,actions=write_actions(group:7,output:2)");
  EXPECT_EQ(run(udp(3)).actions, "1") << last_trace_;
  add_rule("priority=10,in_port=LOCAL,actions=write_actions(mod_dl_dst:00:00:00:00:00:cc)");
  EXPECT_EQ(run(udp(0)).actions, "drop") << last_trace_;
}

TEST_F(XlateActionsTest, ExitSkipsTheActionSet) {
  add_rule("priority=10,actions=write_actions(output:2),output:3,exit");
  EXPECT_EQ(run(udp()).actions, "3") << last_trace_;
}

TEST_F(XlateActionsTest, MultipathSpreadsFlowsAndMatchesTheHashedFields) {
  add_rule("priority=10,ip,actions=multipath(symmetric_l3l4+udp,0,modulo_n,2,0,NXM_NX_REG0[0..1]),"
           "resubmit(,1)");
  add_rule("table=1,reg0=0,actions=output:2");
  add_rule("table=1,reg0=1,actions=output:3");
  std::set<std::string> seen;
  for (int port = 1000; port < 1040; ++port) {
    auto out = run(udp_packet(1, kMacA, kMacB, "10.0.0.1", "10.0.0.2", port, 53));
    seen.insert(out.actions);
    // L3 and L4 addresses are hashed: exact. The MACs are not.
    EXPECT_EQ(out.megaflow, "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(src=10.0.0.1,"
                            "dst=10.0.0.2,proto=17,frag=no),udp(src=" + std::to_string(port) +
                                ",dst=53)") << last_trace_;
    // Symmetric: the reply takes the same link.
    EXPECT_EQ(run(udp_packet(1, kMacB, kMacA, "10.0.0.2", "10.0.0.1", 53, port)).actions,
              out.actions);
  }
  EXPECT_EQ(seen, (std::set<std::string>{"2", "3"}));
  EXPECT_THAT(last_trace_, HasSubstr("multipath: link"));
}

TEST_F(XlateActionsTest, MultipathAlgorithmsStayWithinTheLinks) {
  for (const char* alg : {"hash_threshold", "hrw", "iter_hash"}) {
    add_rule(std::string("priority=10,ip,actions=multipath(nw_src,7,") + alg +
             ",2,4,NXM_NX_REG0[]),resubmit(,1)");
    add_rule("table=1,reg0=0,actions=output:2");
    add_rule("table=1,reg0=1,actions=output:3");
    std::set<std::string> seen;
    for (int i = 1; i < 60; ++i) {
      auto out = run(udp_packet(1, kMacA, kMacB, "10.0.1." + std::to_string(i), "10.0.0.2", 1, 2));
      seen.insert(out.actions);
      EXPECT_THAT(out.megaflow, HasSubstr("ipv4(src=10.0.1." + std::to_string(i) + ",frag=no)"));
    }
    EXPECT_EQ(seen, (std::set<std::string>{"2", "3"})) << alg;
  }
}

TEST_F(XlateActionsTest, BundleHrwSpreadsOverLiveMembersOnly) {
  add_port(4, "p4");
  add_rule("priority=10,in_port=1,actions=bundle(eth_src,0,hrw,ofport,members:2,3,4)");
  std::set<std::string> seen;
  for (int i = 0; i < 40; ++i) {
    char mac[32];
    std::snprintf(mac, sizeof mac, "00:00:00:00:01:%02x", i);
    auto out = run(udp_packet(1, mac, kMacB, "10.0.0.1", "10.0.0.2", 1, 2));
    seen.insert(out.actions);
    EXPECT_EQ(out.megaflow, std::string("recirc_id(0),in_port(1),eth(src=") + mac +
                                "),eth_type(0x0800),ipv4(frag=no)");
  }
  EXPECT_EQ(seen, (std::set<std::string>{"2", "3", "4"}));
  // Member 3 goes down: no flow goes to it, the others keep theirs.
  state_.ports[3].config.admin_up = false;
  std::set<std::string> after;
  for (int i = 0; i < 40; ++i) {
    char mac[32];
    std::snprintf(mac, sizeof mac, "00:00:00:00:01:%02x", i);
    after.insert(run(udp_packet(1, mac, kMacB, "10.0.0.1", "10.0.0.2", 1, 2)).actions);
  }
  EXPECT_EQ(after, (std::set<std::string>{"2", "4"}));
}

TEST_F(XlateActionsTest, BundleActiveBackupAndBundleLoad) {
  add_rule("priority=10,in_port=1,actions=bundle(eth_src,0,active_backup,ofport,members:3,2)");
  auto out = run(udp(1));
  EXPECT_EQ(out.actions, "3") << last_trace_;
  // Nothing hashed: the megaflow is the minimal one.
  EXPECT_EQ(out.megaflow, "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)");
  state_.ports[3].config.admin_up = false;
  EXPECT_EQ(run(udp(1)).actions, "2") << last_trace_;
  state_.ports[2].config.admin_up = false;
  EXPECT_EQ(run(udp(1)).actions, "drop") << last_trace_;
  EXPECT_THAT(last_trace_, HasSubstr("no live member"));

  state_.ports[2].config.admin_up = true;
  add_rule("priority=10,in_port=2,actions=bundle_load(eth_src,0,active_backup,ofport,"
           "NXM_NX_REG0[],members:3,1),output:NXM_NX_REG0[0..15]");
  EXPECT_EQ(run(udp(2)).actions, "1") << last_trace_;
  EXPECT_THAT(last_trace_, HasSubstr("bundle_load: member 0x1"));
}

TEST_F(XlateActionsTest, QueuesBecomeSkbPriority) {
  add_rule("priority=10,in_port=1,actions=set_queue:5,output:2,pop_queue,output:3");
  auto out = run(udp(1));
  EXPECT_EQ(out.actions, "set(skb_priority(0x5)),2,set(skb_priority(0)),3") << last_trace_;
  EXPECT_THAT(out.megaflow, HasSubstr("skb_priority(0)"));
  add_rule("priority=10,in_port=2,actions=enqueue:3:7,output:1");
  EXPECT_EQ(run(udp(2)).actions, "set(skb_priority(0x7)),3,set(skb_priority(0)),1") << last_trace_;
  // enqueue to the input port: nothing (IN_PORT says it on purpose).
  add_rule("priority=10,in_port=3,actions=enqueue:3:1,enqueue:IN_PORT:2");
  EXPECT_EQ(run(udp(3)).actions, "set(skb_priority(0x2)),3") << last_trace_;
}

}  // namespace
}  // namespace flowpath::ofproto
