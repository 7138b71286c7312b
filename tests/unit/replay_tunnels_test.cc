// flowpath-replay's native tunnelling: an output to a tunnel port becomes
// tnl_push of the header the route, the neighbour and the device's MAC say,
// then the route's device; everything missing is refused by name; the null
// port keeps the first frames it is sent when asked.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "datapath/datapath.h"
#include "datapath/datapath_port.h"
#include "null_port.h"
#include "odp/odp_action_text.h"
#include "packet/packet_pool.h"
#include "replay_tunnels.h"

namespace flowpath {
namespace {

constexpr char kPush[] =
    "tnl_push(tnl_port(3),header(size=50,type=4,eth(dst=02:00:00:00:01:02,"
    "src=02:00:00:00:01:01,dl_type=0x0800),ipv4(src=172.31.1.1,dst=172.31.1.2,proto=17,tos=0,"
    "ttl=64,frag=0x4000),udp(src=0,dst=4789,csum=0x0),vxlan(flags=0x8000000,vni=0x2a)),"
    "out_port(100)),100";

class ReplayTunnelsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dp_.upcalls().add_port(100);
    dp_.swap_port(100, new DatapathPort(100, std::make_unique<NullPort>("null"),
                                        VportSpec{"null", VportKind::kPcap, {}}));
    ASSERT_TRUE(add_tunnel_port(dp_, "3=vx0,type=vxlan,remote_ip=172.31.1.2,key=42").ok());
  }

  // The flows file's actions as the replay installs them, or the error.
  std::string resolve(const char* actions) {
    auto parsed = parse_odp_actions(actions);
    EXPECT_TRUE(parsed.ok()) << parsed.error();
    auto resolved = underlay_.resolve_tunnel_outputs(dp_, *parsed);
    return resolved.ok() ? format_odp_actions(*resolved) : "error: " + resolved.error();
  }

  void configure_all() {
    ASSERT_TRUE(underlay_.add_route("172.31.1.0/24 null src=172.31.1.1").ok());
    ASSERT_TRUE(underlay_.add_neighbour("null 172.31.1.2 02:00:00:00:01:02").ok());
    ASSERT_TRUE(underlay_.set_device_mac("null=02:00:00:00:01:01").ok());
  }

  Datapath dp_{"replaytunnels"};
  ReplayUnderlay underlay_;
};

TEST_F(ReplayTunnelsTest, OutputToTunnelPortBecomesTunnelPushAndUnderlayOutput) {
  configure_all();
  EXPECT_EQ(resolve("3"), kPush);
  // Other actions pass unchanged, before it and in lists without it.
  EXPECT_EQ(resolve("push_vlan(vid=10,pcp=0),3"), std::string("push_vlan(vid=10,pcp=0),") + kPush);
  EXPECT_EQ(resolve("tnl_pop(3)"), "tnl_pop(3)");
  EXPECT_EQ(resolve("100"), "100");
}

TEST_F(ReplayTunnelsTest, GatewayIsTheNextHop) {
  ASSERT_TRUE(underlay_.add_route("172.31.0.0/16 null 172.31.9.9 src=172.31.1.1").ok());
  ASSERT_TRUE(underlay_.add_neighbour("null 172.31.9.9 02:00:00:00:09:09").ok());
  ASSERT_TRUE(underlay_.set_device_mac("null=02:00:00:00:01:01").ok());
  EXPECT_NE(resolve("3").find("eth(dst=02:00:00:00:09:09,"), std::string::npos) << resolve("3");
}

TEST_F(ReplayTunnelsTest, WhatIsMissingIsNamed) {
  EXPECT_EQ(resolve("3"), "error: output to tunnel port vx0: no route to 172.31.1.2 (--route)");
  ASSERT_TRUE(underlay_.add_route("172.31.1.0/24 null src=172.31.1.1").ok());
  EXPECT_EQ(resolve("3"),
            "error: output to tunnel port vx0: device null has no Ethernet address (--port-mac)");
  ASSERT_TRUE(underlay_.set_device_mac("null=02:00:00:00:01:01").ok());
  EXPECT_EQ(resolve("3"),
            "error: output to tunnel port vx0: no neighbour 172.31.1.2 on null (--neighbour)");
  ASSERT_TRUE(underlay_.add_neighbour("null 172.31.1.2 02:00:00:00:01:02").ok());
  EXPECT_EQ(resolve("3,100"), "error: an output to tunnel port vx0 must be the last action");
}

TEST_F(ReplayTunnelsTest, RouteThroughNoPortIsRefused) {
  ASSERT_TRUE(underlay_.add_route("172.31.1.0/24 eth9 src=172.31.1.1").ok());
  EXPECT_EQ(resolve("3"), "error: output to tunnel port vx0: the route to 172.31.1.2 leaves by "
                          "eth9, which is no port of the datapath");
}

TEST_F(ReplayTunnelsTest, BadOptionsAreRefused) {
  EXPECT_FALSE(underlay_.add_route("172.31.1.0/24 null").ok());  // no src=
  EXPECT_FALSE(underlay_.add_route("172.31.1.0/24").ok());
  EXPECT_FALSE(underlay_.add_route("172.31.1.0/24 null src=2001:db8::1").ok());
  EXPECT_FALSE(underlay_.add_neighbour("null 172.31.1.2 02:00:00:00:01").ok());
  EXPECT_FALSE(underlay_.add_neighbour("null 172.31.1.300 02:00:00:00:01:02").ok());
  EXPECT_FALSE(underlay_.set_device_mac("02:00:00:00:01:01").ok());
  EXPECT_FALSE(add_tunnel_port(dp_, "vx1,type=vxlan,remote_ip=172.31.1.3").ok());
  EXPECT_FALSE(add_tunnel_port(dp_, "4=eth0").ok());  // no tunnel
  EXPECT_FALSE(add_tunnel_port(dp_, "3=vx1,type=vxlan,remote_ip=172.31.1.3").ok());  // in use
  // A flow-based port is accepted, but an output to it needs translation.
  ASSERT_TRUE(add_tunnel_port(dp_, "5=vx2,type=vxlan,remote_ip=flow,key=flow").ok());
  configure_all();
  EXPECT_NE(resolve("5").find("need translation"), std::string::npos) << resolve("5");
}

TEST(ReplayNullPortTest, KeepsTheFirstFramesWhenAsked) {
  PacketPool pool(64);
  NullPort port("null");
  auto send = [&](uint8_t first, int count) {
    PacketBatch batch;
    for (int i = 0; i < count; ++i) {
      Packet* p = pool.allocate();
      ASSERT_NE(p, nullptr);
      const uint8_t frame[20] = {static_cast<uint8_t>(first + i)};
      ASSERT_TRUE(p->assign(frame, sizeof frame));
      batch.add(p);
    }
    port.send(batch);
  };
  send(1, 3);
  EXPECT_TRUE(port.kept().empty());
  port.keep_first(4);
  send(10, 3);
  send(20, 3);
  ASSERT_EQ(port.kept().size(), 4u);
  EXPECT_EQ(port.kept()[0][0], 10);
  EXPECT_EQ(port.kept()[2][0], 12);
  EXPECT_EQ(port.kept()[3][0], 20);
  EXPECT_EQ(port.kept()[3].size(), 20u);
  EXPECT_EQ(pool.available(), 64u);
}

}  // namespace
}  // namespace flowpath
