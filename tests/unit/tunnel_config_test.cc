// A vxlan port's options as ovs-vsctl spells them: defaults, every option,
// and a precise error for each bad value or unsupported option.
#include "tunnel/tunnel_config.h"

#include <gtest/gtest.h>

namespace flowpath::tunnel {
namespace {

Result<TunnelConfig> parse(const TunnelOptions& options) {
  return parse_tunnel_config(TunnelType::kVxlan, "vx0", options);
}

std::string error_of(const TunnelOptions& options) {
  auto config = parse(options);
  EXPECT_FALSE(config.ok());
  return config.ok() ? "" : config.error();
}

TEST(TunnelConfigTest, DefaultsAreOpenVswitchs) {
  auto config = parse({{"remote_ip", "192.0.2.2"}});
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config->remote_ip.to_string(), "192.0.2.2");
  EXPECT_FALSE(config->remote_ip.ipv6);
  EXPECT_EQ(config->local_ip.kind, TunnelAddress::Kind::kUnset);
  EXPECT_EQ(config->in_key, (TunnelKey{false, 0, false}));
  EXPECT_EQ(config->out_key, (TunnelKey{false, 0, false}));
  EXPECT_EQ(config->dst_port, 4789);
  EXPECT_EQ(config->tos, 0);
  EXPECT_FALSE(config->tos_inherit);
  EXPECT_EQ(config->ttl, 64);
  EXPECT_TRUE(config->df_default);
  EXPECT_FALSE(config->csum);
  EXPECT_EQ(config->format_options(), "remote_ip=192.0.2.2");
}

TEST(TunnelConfigTest, EveryOptionIsRead) {
  auto config = parse({{"remote_ip", "2001:db8::2"},
                       {"local_ip", "2001:db8::1"},
                       {"in_key", "flow"},
                       {"out_key", "0x2a"},
                       {"dst_port", "8472"},
                       {"tos", "inherit"},
                       {"ttl", "17"},
                       {"df_default", "false"},
                       {"csum", "true"}});
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_TRUE(config->remote_ip.ipv6);
  EXPECT_EQ(config->local_ip.to_string(), "2001:db8::1");
  EXPECT_TRUE(config->in_key.flow);
  EXPECT_EQ(config->out_key, (TunnelKey{false, 42, true}));
  EXPECT_EQ(config->dst_port, 8472);
  EXPECT_TRUE(config->tos_inherit);
  EXPECT_EQ(config->ttl, 17);
  EXPECT_FALSE(config->df_default);
  EXPECT_TRUE(config->csum);
  EXPECT_EQ(config->format_options(),
            "remote_ip=2001:db8::2, local_ip=2001:db8::1, in_key=flow, out_key=42, "
            "dst_port=8472, tos=inherit, ttl=17, df_default=false, csum=true");
}

TEST(TunnelConfigTest, KeySetsBothDirectionsAndInOrOutKeyOverridesIt) {
  auto both = parse({{"remote_ip", "flow"}, {"key", "42"}});
  ASSERT_TRUE(both.ok()) << both.error();
  EXPECT_EQ(both->remote_ip.kind, TunnelAddress::Kind::kFlow);
  EXPECT_EQ(both->in_key, (TunnelKey{false, 42, true}));
  EXPECT_EQ(both->out_key, (TunnelKey{false, 42, true}));
  EXPECT_EQ(both->format_options(), "remote_ip=flow, key=42");
  auto split = parse({{"remote_ip", "192.0.2.2"}, {"key", "flow"}, {"out_key", "7"}});
  ASSERT_TRUE(split.ok()) << split.error();
  EXPECT_TRUE(split->in_key.flow);
  EXPECT_EQ(split->out_key, (TunnelKey{false, 7, true}));
}

TEST(TunnelConfigTest, BadValuesAreNamed) {
  EXPECT_EQ(error_of({}), "vxlan port vx0: remote_ip must be set (an address, or flow)");
  EXPECT_EQ(error_of({{"remote_ip", "192.0.2"}}),
            "vxlan port vx0: remote_ip=192.0.2 is not an IPv4 or IPv6 address or flow");
  EXPECT_EQ(error_of({{"remote_ip", "192.0.2.2"}, {"local_ip", "::1"}}),
            "vxlan port vx0: remote_ip is IPv4 but local_ip is IPv6");
  EXPECT_EQ(error_of({{"remote_ip", "192.0.2.2"}, {"key", "16777216"}}),
            "vxlan port vx0: key=16777216 is not a VNI (0..16777215) or flow");
  EXPECT_EQ(error_of({{"remote_ip", "192.0.2.2"}, {"in_key", "-1"}}),
            "vxlan port vx0: in_key=-1 is not a VNI (0..16777215) or flow");
  EXPECT_EQ(error_of({{"remote_ip", "192.0.2.2"}, {"dst_port", "0"}}),
            "vxlan port vx0: dst_port=0 is not a UDP port (1..65535)");
  EXPECT_EQ(error_of({{"remote_ip", "192.0.2.2"}, {"dst_port", "65536"}}),
            "vxlan port vx0: dst_port=65536 is not a UDP port (1..65535)");
  EXPECT_EQ(error_of({{"remote_ip", "192.0.2.2"}, {"tos", "3"}}),
            "vxlan port vx0: tos=3 is not a TOS with only DSCP bits (0..252, a multiple of 4) or "
            "inherit");
  EXPECT_EQ(error_of({{"remote_ip", "192.0.2.2"}, {"ttl", "0"}}),
            "vxlan port vx0: ttl=0 is not a TTL (1..255) or inherit");
  EXPECT_EQ(error_of({{"remote_ip", "192.0.2.2"}, {"csum", "yes"}}),
            "vxlan port vx0: csum=yes is neither true nor false");
}

TEST(TunnelConfigTest, UnsupportedOptionsAreRefusedNotIgnored) {
  const std::string supported =
      " is not supported (supported: remote_ip, local_ip, key, in_key, out_key, dst_port, tos, "
      "ttl, df_default, csum)";
  EXPECT_EQ(error_of({{"remote_ip", "192.0.2.2"}, {"exts", "gbp"}}),
            "vxlan port vx0: option exts" + supported);
  EXPECT_EQ(error_of({{"remote_ip", "192.0.2.2"}, {"mtu", "1400"}}),
            "vxlan port vx0: option mtu" + supported);
  EXPECT_EQ(error_of({{"remote_ip", "192.0.2.2"}, {"packet_type", "legacy_l3"}}),
            "vxlan port vx0: option packet_type" + supported);
}

}  // namespace
}  // namespace flowpath::tunnel
