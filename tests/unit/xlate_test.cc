// Translation: datapath actions and megaflow masks for several rule sets,
// NORMAL with VLANs, groups, and the wildcard tracking that keeps megaflows
// few.
#include "xlate_test_support.h"

namespace flowpath::ofproto {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kMacA = "00:00:00:00:00:0a";
constexpr const char* kMacB = "00:00:00:00:00:0b";
constexpr const char* kBcast = "ff:ff:ff:ff:ff:ff";

TEST_F(XlateTest, NormalFloodsUnknownThenForwardsLearned) {
  add_port(1, "p1");
  add_port(2, "p2");
  add_port(3, "p3");
  add_rule("priority=0,actions=NORMAL");
  auto first = run(udp_packet(1, kMacA, kMacB, "10.0.0.1", "10.0.0.2", 1000, 2000));
  EXPECT_EQ(first.actions, "0,2,3") << last_trace_;
  EXPECT_TRUE(first.result.mac_changed);
  // The megaflow matches the port, the MACs and the VLAN, not IP or UDP.
  EXPECT_THAT(first.megaflow, HasSubstr("in_port(1)"));
  EXPECT_THAT(first.megaflow, HasSubstr("eth(src=00:00:00:00:00:0a,dst=00:00:00:00:00:0b)"));
  // Only the fragment bits, as Open vSwitch's megaflows have them.
  EXPECT_THAT(first.megaflow, HasSubstr("ipv4(frag=no)"));
  EXPECT_THAT(first.megaflow, Not(HasSubstr("udp")));

  auto reply = run(udp_packet(2, kMacB, kMacA, "10.0.0.2", "10.0.0.1", 2000, 1000));
  EXPECT_EQ(reply.actions, "1") << last_trace_;
  auto again = run(udp_packet(1, kMacA, kMacB, "10.0.0.1", "10.0.0.2", 5, 6));
  EXPECT_EQ(again.actions, "2");
  EXPECT_FALSE(again.result.mac_changed);
}

TEST_F(XlateTest, NormalDropsWhenDestinationIsOnInputPortAndFloodsBroadcast) {
  add_port(1, "p1");
  add_port(2, "p2");
  add_rule("priority=0,actions=NORMAL");
  run(udp_packet(1, kMacB, kMacA, "10.0.0.2", "10.0.0.1", 1, 1));  // B on p1
  EXPECT_EQ(run(udp_packet(1, kMacA, kMacB, "10.0.0.1", "10.0.0.2", 1, 1)).actions, "drop");
  EXPECT_EQ(run(udp_packet(2, kMacA, kBcast, "10.0.0.1", "10.0.0.255", 1, 1)).actions, "0,1");
}

TEST_F(XlateTest, MacMoveFollowsTheNewPortWithoutLearningWhenRevalidating) {
  add_port(1, "p1");
  add_port(2, "p2");
  add_port(3, "p3");
  add_rule("priority=0,actions=NORMAL");
  run(udp_packet(1, kMacB, kBcast, "1.1.1.1", "1.1.1.2", 1, 1));
  EXPECT_EQ(run(udp_packet(3, kMacA, kMacB, "1.1.1.3", "1.1.1.1", 1, 1)).actions, "1");
  // B shows up on port 2, but a revalidation (no learning) must not move it.
  run(udp_packet(2, kMacB, kBcast, "1.1.1.1", "1.1.1.2", 1, 1), /*learn=*/false);
  EXPECT_EQ(run(udp_packet(3, kMacA, kMacB, "1.1.1.3", "1.1.1.1", 1, 1), false).actions, "1");
  auto moved = run(udp_packet(2, kMacB, kBcast, "1.1.1.1", "1.1.1.2", 1, 1));
  EXPECT_TRUE(moved.result.mac_changed);
  EXPECT_EQ(run(udp_packet(3, kMacA, kMacB, "1.1.1.3", "1.1.1.1", 1, 1), false).actions, "2");
}

TEST_F(XlateTest, RulesOnNwDstOnlyLeaveMacsAndPortsWildcarded) {
  add_port(1, "p1");
  add_port(2, "p2");
  add_rule("priority=100,ip,nw_dst=10.0.0.0/8,actions=output:2");
  add_rule("priority=0,actions=drop");
  auto hit = run(udp_packet(1, kMacA, kMacB, "192.168.0.1", "10.1.2.3", 1, 2));
  EXPECT_EQ(hit.actions, "2");
  EXPECT_EQ(hit.megaflow,
            "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.0/255.0.0.0,frag=no)");
  // A miss needs only the first bit where 192/8 differs from 10/8.
  auto miss = run(udp_packet(1, kMacA, kMacB, "192.168.0.1", "192.168.0.9", 1, 2));
  EXPECT_EQ(miss.actions, "drop");
  EXPECT_EQ(miss.megaflow,
            "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(dst=128.0.0.0/128.0.0.0,frag=no)");
}

TEST_F(XlateTest, PrefixTrackingUnwildcardsOnlyTheBitsThatTellRulesApart) {
  add_port(1, "p1");
  add_port(2, "p2");
  add_port(3, "p3");
  add_rule("priority=100,ip,nw_dst=10.1.0.0/16,actions=output:2");
  add_rule("priority=90,ip,nw_dst=10.0.0.0/8,actions=output:3");
  auto out = run(udp_packet(1, kMacA, kMacB, "1.1.1.1", "10.2.0.1", 1, 2));
  EXPECT_EQ(out.actions, "3");
  // 10.2 differs from 10.1 first at bit 15 (0x02 vs 0x01 in the second
  // octet: the first differing bit is 0x02), so /15 proves the miss, and the
  // /8 of the rule that matched is within it.
  EXPECT_EQ(out.megaflow,
            "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.2.0.0/255.254.0.0,frag=no)");
}

// The rule classifier proves a miss as the linear scan before it did: with
// the bits of the one field where the flow differs from every rule, and of
// that field only a prefix.
TEST_F(XlateTest, MissOnAMacTableMatchesAPrefixOfTheMacOnly) {
  add_port(1, "p1");
  add_port(2, "p2");
  for (int i = 0; i < 16; ++i)
    add_rule("priority=100,dl_dst=02:00:00:00:00:" + std::string(1, "0123456789abcdef"[i]) + "0,actions=output:2");
  add_rule("priority=0,actions=drop");
  // 0a:... differs from 02:... first in bit 4 of the first octet.
  auto miss = run(udp_packet(1, kMacA, "0a:00:00:00:00:10", "10.0.0.1", "10.0.0.2", 1, 2));
  EXPECT_EQ(miss.actions, "drop");
  EXPECT_EQ(miss.megaflow,
            "recirc_id(0),in_port(1),eth(dst=08:00:00:00:00:00/f8:00:00:00:00:00),eth_type(0x0800),"
            "ipv4(frag=no)");
  auto hit = run(udp_packet(1, kMacA, "02:00:00:00:00:30", "10.0.0.1", "10.0.0.2", 1, 2));
  EXPECT_EQ(hit.actions, "2");
  EXPECT_THAT(hit.megaflow, HasSubstr("eth(dst=02:00:00:00:00:30)"));
}

TEST_F(XlateTest, MissOnTheProtocolLeavesAddressesAndPortsWildcarded) {
  add_port(1, "p1");
  add_port(2, "p2");
  for (int i = 1; i <= 50; ++i)
    add_rule("priority=100,udp,nw_src=10.0." + std::to_string(i) + ".0/24,tp_dst=" + std::to_string(1000 + i) +
             ",actions=output:2");
  add_rule("priority=0,actions=drop");
  // TCP (6) against UDP (17): the first four bits of nw_proto tell them apart.
  auto miss = run(tcp_packet(1, "10.0.7.1", 1007));
  EXPECT_EQ(miss.actions, "drop");
  EXPECT_EQ(miss.megaflow,
            "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(proto=0/0xf0,frag=no)");
}

TEST_F(XlateTest, AclMegaflowsStayFewUnderAPortScan) {
  add_port(1, "p1");
  add_port(2, "p2");
  add_rule("priority=100,tcp,nw_dst=10.0.0.3,tp_dst=22,actions=NORMAL");
  add_rule("priority=100,icmp,nw_dst=10.0.0.3,actions=NORMAL");
  add_rule("priority=90,ip,nw_dst=10.0.0.3,actions=drop");
  add_rule("priority=0,actions=NORMAL");
  std::set<std::string> megaflows;
  std::set<std::string> allowed;
  for (int port = 1; port < 65536; port += 1) {
    auto out = run(tcp_packet(1, "10.0.0.3", port), false);
    if (out.actions != "drop") allowed.insert(std::to_string(port));
    // Only packets not covered by an existing megaflow reach the slow path.
    megaflows.insert(out.megaflow);
  }
  EXPECT_EQ(allowed, std::set<std::string>{"22"});
  EXPECT_LE(megaflows.size(), 17u);  // one per prefix length of tp_dst, plus port 22
  for (const auto& m : megaflows) EXPECT_THAT(m, Not(HasSubstr("src=10.0.0.1")));
}

TEST_F(XlateTest, AccessAndTrunkPortsTagAndUntag) {
  add_port(1, "a10", {"tag=10"});
  add_port(2, "b10", {"tag=10"});
  add_port(3, "c20", {"tag=20"});
  add_port(4, "trunk", {"trunks=10,20"});
  add_rule("priority=0,actions=NORMAL");
  state_.ports.erase(0);
  auto from_access = run(udp_packet(1, kMacA, kBcast, "1.1.1.1", "1.1.1.2", 1, 1));
  EXPECT_EQ(from_access.actions, "2,push_vlan(vid=10,pcp=0),4") << last_trace_;
  auto from_trunk = run(
      "in_port(4),eth(src=00:00:00:00:00:0b,dst=ff:ff:ff:ff:ff:ff),eth_type(0x8100),"
      "vlan(vid=20,pcp=3),encap(eth_type(0x0800),ipv4(src=1.1.1.2,dst=1.1.1.1,proto=17,tos=0,"
      "ttl=64,frag=no),udp(src=1,dst=1))");
  EXPECT_EQ(from_trunk.actions, "pop_vlan,3") << last_trace_;
  EXPECT_THAT(from_trunk.megaflow, HasSubstr("vlan(vid=20,pcp=3)"));
  // A tagged frame on an access port is dropped; VLAN 30 on the trunk too.
  EXPECT_EQ(run("in_port(1),eth(src=00:00:00:00:00:0c,dst=ff:ff:ff:ff:ff:ff),eth_type(0x8100),"
                "vlan(vid=10,pcp=0),encap(eth_type(0x0800),ipv4(src=1.1.1.2,dst=1.1.1.1,"
                "proto=17,tos=0,ttl=64,frag=no),udp(src=1,dst=1))")
                .actions,
            "drop");
  EXPECT_EQ(run("in_port(4),eth(src=00:00:00:00:00:0c,dst=ff:ff:ff:ff:ff:ff),eth_type(0x8100),"
                "vlan(vid=30,pcp=0),encap(eth_type(0x0800),ipv4(src=1.1.1.2,dst=1.1.1.1,"
                "proto=17,tos=0,ttl=64,frag=no),udp(src=1,dst=1))")
                .actions,
            "drop");
  // Learned in VLAN 10 on the trunk: unicast from an access port goes tagged.
  run("in_port(4),eth(src=00:00:00:00:00:0d,dst=ff:ff:ff:ff:ff:ff),eth_type(0x8100),"
      "vlan(vid=10,pcp=0),encap(eth_type(0x0800),ipv4(src=1.1.1.2,dst=1.1.1.1,"
      "proto=17,tos=0,ttl=64,frag=no),udp(src=1,dst=1))");
  EXPECT_EQ(run(udp_packet(2, kMacA, "00:00:00:00:00:0d", "1.1.1.1", "1.1.1.2", 1, 1)).actions,
            "push_vlan(vid=10,pcp=0),4");
  // ...but from VLAN 20 it is unknown: flood VLAN 20 only.
  EXPECT_EQ(run(udp_packet(3, kMacA, "00:00:00:00:00:0d", "1.1.1.1", "1.1.1.2", 1, 1)).actions,
            "push_vlan(vid=20,pcp=0),4");
}

TEST_F(XlateTest, SetFieldCommitsOnceBeforeOutputAndMatchesTheField) {
  add_port(1, "p1");
  add_port(2, "p2");
  add_rule("priority=10,ip,actions=mod_nw_dst:10.9.9.9,mod_dl_src:00:00:00:00:00:99,output:2");
  auto out = run(udp_packet(1, kMacA, kMacB, "1.1.1.1", "1.1.1.2", 1, 1));
  EXPECT_EQ(out.actions, "set(eth(src=00:00:00:00:00:99)),set(ipv4(dst=10.9.9.9)),2") << last_trace_;
  EXPECT_THAT(out.megaflow, HasSubstr("ipv4(dst=1.1.1.2"));
}

TEST_F(XlateTest, ResubmitGotoTableAndRegisters) {
  add_port(1, "p1");
  add_port(2, "p2");
  add_port(3, "p3");
  add_rule("table=0,priority=10,in_port=1,actions=set_field:5->reg0,resubmit(,1),goto_table:2");
  add_rule("table=1,priority=10,reg0=5,actions=output:2");
  add_rule("table=2,priority=10,udp,tp_dst=53,actions=output:3");
  auto out = run(udp_packet(1, kMacA, kMacB, "1.1.1.1", "1.1.1.2", 1, 53));
  EXPECT_EQ(out.actions, "2,3") << last_trace_;
  EXPECT_EQ(out.result.counters.size(), 3u);
  EXPECT_THAT(out.megaflow, HasSubstr("udp(dst=53)"));
}

TEST_F(XlateTest, ResubmitLoopIsAnErrorWithNoActions) {
  add_port(1, "p1");
  add_port(2, "p2");
  add_rule("table=0,priority=10,actions=output:2,resubmit(,0)");
  auto out = run(udp_packet(1, kMacA, kMacB, "1.1.1.1", "1.1.1.2", 1, 53));
  EXPECT_TRUE(out.result.error);
  EXPECT_EQ(out.actions, "drop");
}

TEST_F(XlateTest, DecTtlDropsExpiredPackets) {
  add_port(1, "p1");
  add_port(2, "p2");
  add_rule("priority=10,ip,actions=dec_ttl,output:2");
  EXPECT_EQ(run(udp_packet(1, kMacA, kMacB, "1.1.1.1", "1.1.1.2", 1, 1)).actions,
            "set(ipv4(ttl=63)),2");
  auto expired = run("in_port(1),eth(src=00:00:00:00:00:0a,dst=00:00:00:00:00:0b),eth_type(0x0800),"
                     "ipv4(src=1.1.1.1,dst=1.1.1.2,proto=17,tos=0,ttl=1,frag=no),udp(src=1,dst=1)");
  // The packet goes to the controller (reason invalid_ttl), nowhere else.
  EXPECT_THAT(expired.actions, testing::StartsWith("userspace(pid=0,userdata("));
  EXPECT_THAT(expired.actions, Not(HasSubstr(",2")));
  EXPECT_THAT(expired.megaflow, HasSubstr("ttl=1"));
}

// dec_ttl(ids): one packet-in per listed controller.
TEST_F(XlateTest, DecTtlSendsExpiredPacketsToTheListedControllers) {
  add_port(1, "p1");
  add_port(2, "p2");
  add_rule("priority=10,ip,actions=dec_ttl(1,7),output:2");
  auto expired = run("in_port(1),eth(src=00:00:00:00:00:0a,dst=00:00:00:00:00:0b),eth_type(0x0800),"
                     "ipv4(src=1.1.1.1,dst=1.1.1.2,proto=17,tos=0,ttl=1,frag=no),udp(src=1,dst=1)");
  const std::string& a = expired.actions;
  size_t first = a.find("userspace("), second = a.find("userspace(", first + 1);
  ASSERT_NE(second, std::string::npos) << a;
  EXPECT_EQ(a.find("userspace(", second + 1), std::string::npos) << a;
  ASSERT_FALSE(expired.result.odp_actions.empty());
}

TEST_F(XlateTest, GroupsAllSelectIndirectFastFailover) {
  add_port(1, "p1");
  add_port(2, "p2");
  add_port(3, "p3");
  add_group("group_id=1,type=all,bucket=output:2,bucket=output:3");
  add_group("group_id=2,type=select,bucket=output:2,bucket=output:3");
  add_group("group_id=3,type=indirect,bucket=output:3");
  add_group("group_id=4,type=fast_failover,bucket=watch_port:2,output:2,bucket=watch_port:3,output:3");
  add_rule("priority=10,udp,tp_dst=1,actions=group:1");
  add_rule("priority=10,udp,tp_dst=2,actions=group:2");
  add_rule("priority=10,udp,tp_dst=3,actions=group:3");
  add_rule("priority=10,udp,tp_dst=4,actions=group:4");
  EXPECT_EQ(run(udp_packet(1, kMacA, kMacB, "1.1.1.1", "1.1.1.2", 1, 1)).actions, "2,3");
  EXPECT_EQ(run(udp_packet(1, kMacA, kMacB, "1.1.1.1", "1.1.1.2", 1, 3)).actions, "3");
  EXPECT_EQ(run(udp_packet(1, kMacA, kMacB, "1.1.1.1", "1.1.1.2", 1, 4)).actions, "2");
  state_.ports[2].link_up = false;
  EXPECT_EQ(run(udp_packet(1, kMacA, kMacB, "1.1.1.1", "1.1.1.2", 1, 4)).actions, "3");
  state_.ports[2].link_up = true;
  // Select: the same 5-tuple always picks the same bucket, different ones
  // spread over both; the hashed fields are in the megaflow.
  std::set<std::string> seen;
  for (int sport = 1; sport < 200; ++sport) {
    auto a = run(udp_packet(1, kMacA, kMacB, "1.1.1.1", "1.1.1.2", sport, 2));
    auto b = run(udp_packet(1, kMacA, kMacB, "1.1.1.1", "1.1.1.2", sport, 2));
    EXPECT_EQ(a.actions, b.actions);
    seen.insert(a.actions);
    if (sport == 1) {
      EXPECT_THAT(a.megaflow, HasSubstr("udp(src=1,dst=2)"));
    }
  }
  EXPECT_EQ(seen, (std::set<std::string>{"2", "3"}));
}

TEST_F(XlateTest, ControllerBecomesUserspaceActionAndAdminDownPortIsSkipped) {
  add_port(1, "p1");
  add_port(2, "p2");
  add_port(3, "p3");
  add_rule("priority=10,actions=CONTROLLER:128,FLOOD");
  state_.ports[3].config.admin_up = false;
  auto out = run(udp_packet(1, kMacA, kMacB, "1.1.1.1", "1.1.1.2", 1, 1));
  EXPECT_THAT(out.actions, HasSubstr("userspace(pid=0,userdata("));
  EXPECT_THAT(out.actions, HasSubstr("),0,2"));
  EXPECT_THAT(out.actions, Not(HasSubstr(",3")));
}

TEST_F(XlateTest, OutputToInputPortNeedsInPort) {
  add_port(1, "p1");
  add_rule("priority=10,in_port=1,actions=output:1");
  EXPECT_EQ(run(udp_packet(1, kMacA, kMacB, "1.1.1.1", "1.1.1.2", 1, 1)).actions, "drop");
  add_rule("priority=20,in_port=1,actions=IN_PORT");
  EXPECT_EQ(run(udp_packet(1, kMacA, kMacB, "1.1.1.1", "1.1.1.2", 1, 1)).actions, "1");
}

// ct(table=N) becomes the datapath's ct() and recirc(ID); the recirculated
// packet resumes in table N with the registers frozen at the ct, and the
// original goes on untracked.
TEST_F(XlateTest, ConntrackRecirculatesAndResumesInTheFrozenTable) {
  add_port(1, "p1");
  add_port(2, "p2");
  add_rule("table=0,priority=10,ip,actions=set_field:7->reg3,"
           "ct(commit,zone=5,table=1,exec(set_field:0x2->ct_mark)),output:2");
  add_rule("table=1,priority=10,ip,reg3=7,ct_state=+trk+new,actions=output:2");
  add_rule("table=1,priority=5,ip,actions=drop");
  const std::string packet = udp_packet(1, kMacA, kMacB, "1.1.1.1", "1.1.1.2", 1, 53);
  auto out = run(packet);
  EXPECT_EQ(out.actions, "ct(commit,zone=5,mark=0x2/0xffffffff),recirc(0x1),2") << last_trace_;
  EXPECT_EQ(state_.recirculations.size(), 1u);
  // Translating again gives the same id.
  EXPECT_EQ(run(packet).actions, out.actions);

  auto back = run("recirc_id(0x1),ct_state(+new+trk),ct_zone(5),ct_mark(0x2)," + packet);
  EXPECT_EQ(back.actions, "2") << last_trace_;
  EXPECT_THAT(back.megaflow, HasSubstr("recirc_id(0x1)"));
  EXPECT_THAT(back.megaflow, HasSubstr("ct_state(+new+trk)"));
  auto established = run("recirc_id(0x1),ct_state(+est+trk),ct_zone(5)," + packet);
  EXPECT_EQ(established.actions, "drop") << last_trace_;
  // An id this bridge never handed out has no state to resume.
  auto lost = run("recirc_id(0x99)," + packet);
  EXPECT_TRUE(lost.result.error);
  EXPECT_THAT(lost.result.error_message, HasSubstr("no recirculation context"));
}

TEST_F(XlateTest, ConntrackZoneFromARegisterAndCtClear) {
  add_port(1, "p1");
  add_port(2, "p2");
  add_rule("table=0,priority=10,udp,actions=set_field:0x1234->reg0,ct(zone=reg0[0..15]),ct_clear,"
           "output:2");
  auto out = run(udp_packet(1, kMacA, kMacB, "1.1.1.1", "1.1.1.2", 1, 53));
  EXPECT_EQ(out.actions, "ct(zone=4660),ct_clear,2") << last_trace_;
}

TEST_F(XlateTest, ConntrackNeedsAnIpMatch) {
  auto spec = parse_flow_mod("priority=10,actions=ct(commit)", FlowModCommand::kAdd);
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(spec.error(), HasSubstr("must match IP"));
  EXPECT_FALSE(parse_flow_mod("ip,ct_state=+inv+trk,actions=ct(commit)", FlowModCommand::kAdd).ok());
  EXPECT_TRUE(parse_flow_mod("ipv6,actions=ct(commit)", FlowModCommand::kAdd).ok());
}

}  // namespace
}  // namespace flowpath::ofproto
