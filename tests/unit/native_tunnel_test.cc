// The pieces native tunnelling's slow path builds with: the outer header of
// tnl_push (tunnel/tunnel_header_build.h), compared with Open vSwitch's own
// text of the same header; the neighbour cache; the ARP request and
// neighbour solicitation sent on a cache miss.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "common/netlink.h"
#include "flow/odp_abi.h"
#include "odp/odp_action_text.h"
#include "packet/checksum.h"
#include "tunnel/neighbour_cache.h"
#include "tunnel/neighbour_request.h"
#include "tunnel/tunnel_header_build.h"

namespace flowpath::tunnel {
namespace {

Address addr(const char* text) {
  auto a = parse_address(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(Address{});
}

EthAddr mac(uint8_t last) { return EthAddr{{0x02, 0, 0, 0, 0, last}}; }

std::vector<uint8_t> push_action(const VxlanHeaderParams& params, uint32_t tnl_port,
                                 uint32_t out_port) {
  std::vector<uint8_t> out;
  NetlinkWriter w(&out);
  auto payload = tunnel_push_payload(tnl_port, out_port, odp::kVportVxlan, build_vxlan_header(params));
  w.put(odp::kActionTunnelPush, payload.data(), payload.size());
  return out;
}

TEST(NativeTunnel, VxlanHeaderIsOpenVswitchs) {
  // What Open vSwitch's native tunnelling put in its megaflow for VNI 42
  // from 192.0.2.1 to 192.0.2.2 (tests/tunnel/record_ovs_vxlan.sh).
  VxlanHeaderParams p;
  p.eth_dst = EthAddr{{0x02, 0, 0, 0, 0x02, 0x02}};
  p.eth_src = EthAddr{{0x02, 0, 0, 0, 0x01, 0x01}};
  p.ip_src = addr("192.0.2.1");
  p.ip_dst = addr("192.0.2.2");
  p.vni = 42;
  const std::string ovs =
      "tnl_push(tnl_port(4789),header(size=50,type=4,eth(dst=02:00:00:00:02:02,"
      "src=02:00:00:00:01:01,dl_type=0x0800),ipv4(src=192.0.2.1,dst=192.0.2.2,proto=17,tos=0,"
      "ttl=64,frag=0x4000),udp(src=0,dst=4789,csum=0x0),vxlan(flags=0x8000000,vni=0x2a)),"
      "out_port(100))";
  auto parsed = parse_odp_actions(ovs);
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  const auto built = push_action(p, 4789, 100);
  EXPECT_EQ(built, *parsed) << format_odp_actions(built);
  EXPECT_EQ(format_odp_actions(built), ovs);
}

TEST(NativeTunnel, VxlanHeaderOptions) {
  VxlanHeaderParams p;
  p.eth_dst = mac(2);
  p.eth_src = mac(1);
  p.ip_src = addr("2001:db8::1");
  p.ip_dst = addr("2001:db8::2");
  p.tos = 0x28;
  p.ttl = 17;
  p.dst_port = 8472;
  p.udp_checksum = true;
  p.vni = 0xabcdef;
  const auto header = build_vxlan_header(p);
  ASSERT_EQ(header.size(), 70u);
  EXPECT_EQ(format_odp_actions(push_action(p, 3, 1)),
            "tnl_push(tnl_port(3),header(size=70,type=4,eth(dst=02:00:00:00:00:02,"
            "src=02:00:00:00:00:01,dl_type=0x86dd),ipv6(src=2001:db8::1,dst=2001:db8::2,"
            "label=0,proto=17,tclass=0x28,hlimit=17),udp(src=0,dst=8472,csum=0xffff),"
            "vxlan(flags=0x8000000,vni=0xabcdef)),out_port(1))");
  p.ip_src = addr("192.0.2.1");
  p.ip_dst = addr("192.0.2.2");
  p.dont_fragment = false;
  const auto v4 = build_vxlan_header(p);
  ASSERT_EQ(v4.size(), 50u);
  EXPECT_EQ(v4[14 + 6], 0) << "no DF";
  EXPECT_EQ(internet_checksum(v4.data() + 14, 20), 0) << "the header checksum verifies";
}

TEST(NativeTunnel, NeighbourCache) {
  NeighbourCache cache;
  const uint64_t t0 = 1000;
  EXPECT_FALSE(cache.lookup("br0", addr("192.0.2.2"), t0));
  uint64_t seq = cache.seq();
  EXPECT_TRUE(cache.set("br0", addr("192.0.2.2"), mac(2), t0));
  EXPECT_GT(cache.seq(), seq);
  ASSERT_TRUE(cache.lookup("br0", addr("192.0.2.2"), t0));
  EXPECT_EQ(*cache.lookup("br0", addr("192.0.2.2"), t0), mac(2));
  EXPECT_FALSE(cache.lookup("br1", addr("192.0.2.2"), t0)) << "per device";
  seq = cache.seq();
  EXPECT_FALSE(cache.set("br0", addr("192.0.2.2"), mac(2), t0 + 10)) << "a refresh changes nothing";
  EXPECT_EQ(cache.seq(), seq);
  EXPECT_TRUE(cache.set("br0", addr("192.0.2.2"), mac(3), t0 + 20)) << "a new MAC is a change";
  EXPECT_EQ(*cache.lookup("br0", addr("192.0.2.2"), t0 + 20), mac(3));
  // Idle for 15 minutes: gone.
  EXPECT_FALSE(cache.lookup("br0", addr("192.0.2.2"), t0 + 20 + NeighbourCache::kIdleMs));
  EXPECT_TRUE(cache.entries(t0 + 20 + NeighbourCache::kIdleMs).empty());
  cache.set("br0", addr("2001:db8::2"), mac(4), t0);
  EXPECT_EQ(cache.entries(t0).size(), 2u);
  cache.flush();
  EXPECT_TRUE(cache.entries(t0).empty());
}

// The tunnel_bridge_netns defect: host2's kernel answers host1's ARP request
// twice, first on its bridge's physical port (whose MAC does not end
// tunnels) and then, through flowpath, on the bridge (whose MAC does). Two
// handler threads can finish those answers in either order; the later
// packet's must be what stays.
TEST(NativeTunnel, NeighbourCacheKeepsTheLaterPacketsAnswer) {
  NeighbourCache cache;
  const uint64_t t0 = 1000;
  const auto ip = addr("192.0.2.2");
  // The bridge's answer (queued second) is handled first...
  EXPECT_TRUE(cache.set("br0", ip, mac(0xb), t0, /*sequence=*/8));
  // ...then the physical port's (queued first): ignored, nothing changes.
  const uint64_t seq = cache.seq();
  EXPECT_FALSE(cache.set("br0", ip, mac(0xa), t0 + 1, /*sequence=*/7));
  EXPECT_EQ(cache.seq(), seq);
  EXPECT_EQ(*cache.lookup("br0", ip, t0 + 1), mac(0xb));
  // In order they apply as before: the later one wins.
  EXPECT_TRUE(cache.set("br0", ip, mac(0xc), t0 + 2, 9));
  EXPECT_EQ(*cache.lookup("br0", ip, t0 + 2), mac(0xc));
  // An unordered set (no upcall behind it) still applies.
  EXPECT_TRUE(cache.set("br0", ip, mac(0xd), t0 + 3));
  EXPECT_EQ(*cache.lookup("br0", ip, t0 + 3), mac(0xd));
  EXPECT_FALSE(cache.set("br0", ip, mac(0xe), t0 + 4, 8)) << "still older than 9";
  // A flush forgets the order with the entries; an expired entry takes anything.
  cache.flush();
  EXPECT_TRUE(cache.set("br0", ip, mac(0xa), t0 + 5, 1));
  EXPECT_EQ(*cache.lookup("br0", ip, t0 + 5), mac(0xa));
  cache.set("br0", ip, mac(0xb), t0 + 6, 20);
  const uint64_t later = t0 + 6 + NeighbourCache::kIdleMs;
  EXPECT_TRUE(cache.set("br0", ip, mac(0xc), later, 2));
  EXPECT_EQ(*cache.lookup("br0", ip, later), mac(0xc));
}

TEST(NativeTunnel, ArpRequest) {
  const auto f = compose_arp_request(mac(1), addr("192.0.2.1"), addr("192.0.2.2"));
  ASSERT_EQ(f.size(), 60u);
  const std::vector<uint8_t> expected = {
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x08, 0x06,  // Ethernet
      0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,                             // request
      0x02, 0, 0, 0, 0, 1, 192, 0, 2, 1,                                    // sender
      0, 0, 0, 0, 0, 0, 192, 0, 2, 2};                                      // target
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), f.begin()));
}

TEST(NativeTunnel, NeighbourSolicitation) {
  const auto f = compose_neighbour_solicitation(mac(1), addr("2001:db8::1"), addr("2001:db8::12:3456"));
  ASSERT_EQ(f.size(), 14u + 40u + 32u);
  const std::vector<uint8_t> eth = {0x33, 0x33, 0xff, 0x12, 0x34, 0x56, 0x02, 0, 0, 0, 0, 1, 0x86, 0xdd};
  EXPECT_TRUE(std::equal(eth.begin(), eth.end(), f.begin()));
  EXPECT_EQ(f[14 + 6], 58);    // ICMPv6
  EXPECT_EQ(f[14 + 7], 255);   // hop limit
  const uint8_t group[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0x12, 0x34, 0x56};
  EXPECT_EQ(std::memcmp(f.data() + 14 + 24, group, 16), 0);
  const uint8_t* icmp = f.data() + 54;
  EXPECT_EQ(icmp[0], 135);
  EXPECT_EQ(transport_checksum(pseudo_header_ipv6(f.data() + 22, f.data() + 38, 58, 32), icmp, 32, 2),
            load_unaligned<be16>(icmp + 2));
  EXPECT_EQ(icmp[24], 1);  // source link-layer address option
  EXPECT_EQ(std::memcmp(icmp + 26, mac(1).bytes, 6), 0);
}

}  // namespace
}  // namespace flowpath::tunnel
