// The underlay route table: prefixes, longest-prefix match with user routes
// winning ties, Open vSwitch's ovs/route/show lines, and errors that name
// the bad part.
#include "tunnel/route_table.h"

#include <gtest/gtest.h>

namespace flowpath::tunnel {
namespace {

Address address(const char* text) {
  auto a = parse_address(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(Address{});
}

Route route(const char* prefix, const char* device, const char* source = nullptr,
            const char* gateway = nullptr, uint32_t priority = 0) {
  auto p = parse_prefix(prefix);
  EXPECT_TRUE(p.ok()) << p.error();
  Route r;
  r.prefix = p->first;
  r.prefix_length = p->second;
  r.device = device;
  if (source) r.source = address(source);
  if (gateway) r.gateway = address(gateway);
  r.priority = priority;
  return r;
}

TEST(RouteTableTest, PrefixesAreParsedAndMasked) {
  auto p = parse_prefix("192.0.2.77/24");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->second, 96 + 24);
  EXPECT_EQ(format_address(p->first), "192.0.2.0");
  auto host = parse_prefix("2001:db8::1");
  ASSERT_TRUE(host.ok());
  EXPECT_EQ(host->second, 128);
  EXPECT_EQ(parse_prefix("192.0.2.0/33").error(), "prefix length '33' is not 0..32");
  EXPECT_EQ(parse_prefix("2001:db8::/129").error(), "prefix length '129' is not 0..128");
  EXPECT_EQ(parse_prefix("192.0.2/24").error(), "'192.0.2' is not an IPv4 or IPv6 address");
  EXPECT_EQ(parse_prefix("192.0.2.0/").error(), "prefix length '' is not 0..32");
}

TEST(RouteTableTest, LinesAreOpenVswitchs) {
  Route cached = route("192.0.2.0/24", "br0", "192.0.2.1");
  EXPECT_EQ(cached.to_string(), "Cached: 192.0.2.0/24 dev br0 SRC 192.0.2.1");
  Route local = route("127.0.0.1/32", "lo", "127.0.0.1");
  local.local = true;
  EXPECT_EQ(local.to_string(), "Cached: 127.0.0.1/32 dev lo SRC 127.0.0.1 local");
  Route user = route("10.0.0.0/8", "br0", "192.0.2.1", "192.0.2.254");
  user.user = true;
  EXPECT_EQ(user.to_string(), "User: 10.0.0.0/8 dev br0 GW 192.0.2.254 SRC 192.0.2.1");
  EXPECT_EQ(route("2001:db8::/64", "br0", "2001:db8::1").to_string(),
            "Cached: 2001:db8::/64 dev br0 SRC 2001:db8::1");
}

TEST(RouteTableTest, LongestPrefixWinsThenUserThenPriority) {
  RouteTable table;
  table.replace_cached({route("0.0.0.0/0", "eth0", "198.51.100.1", "198.51.100.254"),
                        route("192.0.2.0/24", "br0", "192.0.2.1", nullptr, 100),
                        route("192.0.2.0/24", "br1", "192.0.2.9", nullptr, 10),
                        route("2001:db8::/32", "br0", "2001:db8::1")});
  EXPECT_EQ(table.lookup(address("192.0.2.2"))->device, "br1") << "lower metric";
  EXPECT_EQ(table.lookup(address("203.0.113.5"))->device, "eth0");
  EXPECT_EQ(format_address(*table.lookup(address("203.0.113.5"))->gateway), "198.51.100.254");
  EXPECT_EQ(table.lookup(address("2001:db8:1::5"))->device, "br0");
  EXPECT_FALSE(table.lookup(address("2001:db9::1")).has_value()) << "no IPv6 default";

  ASSERT_TRUE(table.add_user(route("192.0.2.0/24", "br2", "192.0.2.5")).ok());
  EXPECT_EQ(table.lookup(address("192.0.2.2"))->device, "br2") << "user route at equal length";
  ASSERT_TRUE(table.add_user(route("192.0.2.128/25", "br3", "192.0.2.200")).ok());
  EXPECT_EQ(table.lookup(address("192.0.2.129"))->device, "br3");
  EXPECT_EQ(table.lookup(address("192.0.2.2"))->device, "br2");

  // Refreshing the mirror keeps user routes.
  table.replace_cached({});
  EXPECT_EQ(table.lookup(address("192.0.2.2"))->device, "br2");
  EXPECT_FALSE(table.lookup(address("203.0.113.5")).has_value());
  auto all = table.routes();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].to_string(), "User: 192.0.2.128/25 dev br3 SRC 192.0.2.200");
}

TEST(RouteTableTest, UserRoutesAreAddedOnceAndDeletedByPrefix) {
  RouteTable table;
  ASSERT_TRUE(table.add_user(route("192.0.2.0/24", "br0", "192.0.2.1")).ok());
  Status again = table.add_user(route("192.0.2.0/24", "br1", "192.0.2.1"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error(),
            "a user route for 192.0.2.0/24 dev br1 SRC 192.0.2.1 exists already (ovs/route/del it "
            "first)");
  auto p = parse_prefix("192.0.2.0/24");
  ASSERT_TRUE(table.del_user(p->first, p->second).ok());
  Status gone = table.del_user(p->first, p->second);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error(), "no user route for 192.0.2.0/24");
}

}  // namespace
}  // namespace flowpath::tunnel
