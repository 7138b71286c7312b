// GRE: the header the slow path builds (tunnel/tunnel_header_build.h),
// pushed by the datapath (checksum and lengths, tunnel/tunnel_encap.h) and
// popped again (tunnel/tunnel_decap.h) with its key, checksum flag and
// outer addresses recorded as tunnel metadata; every malformed frame
// refused (truncated, bad checksum, unknown flags or protocol); a gre
// port's options.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "flow/odp_abi.h"
#include "packet/checksum.h"
#include "packet/packet_pool.h"
#include "tunnel/tunnel_config.h"
#include "tunnel/tunnel_decap.h"
#include "tunnel/tunnel_encap.h"
#include "tunnel/tunnel_header_build.h"

namespace flowpath::tunnel {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes inner_frame() {
  return {0x00, 0x00, 0x5e, 0x00, 0x53, 0x02, 0x00, 0x00, 0x5e, 0x00, 0x53, 0x01, 0x08, 0x00,
          0x45, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x00, 0x00, 0x40, 17,   0x00, 0x00,
          10,   0,    0,    1,    10,   0,    0,    2,    0x13, 0x88, 0x00, 0x35, 0x00, 0x08,
          0x00, 0x00, 0x01};  // odd length: the GRE checksum pads the last byte
}

GreHeaderParams params(bool ipv6, bool checksum, std::optional<uint32_t> key) {
  GreHeaderParams p;
  p.eth_dst = EthAddr{{0x02, 0, 0, 0, 0, 0x02}};
  p.eth_src = EthAddr{{0x02, 0, 0, 0, 0, 0x01}};
  p.ip_src = *parse_address(ipv6 ? "2001:db8::1" : "192.0.2.1");
  p.ip_dst = *parse_address(ipv6 ? "2001:db8::2" : "192.0.2.2");
  p.tos = 0x20;
  p.ttl = 61;
  p.checksum = checksum;
  p.key = key;
  return p;
}

uint16_t be16_at(const Bytes& b, size_t off) { return static_cast<uint16_t>(b[off] << 8 | b[off + 1]); }

// A GRE frame over IPv4 as a peer sends it: `flags`, `protocol`, then 4
// bytes per C/K/S flag (the key 0x2a, the sequence number 7), the inner
// frame; lengths, IPv4 and (with C) GRE checksums right.
Bytes wire_frame(uint16_t flags, uint16_t protocol = 0x6558) {
  Bytes f = build_gre_header(params(false, false, std::nullopt));  // 38 bytes, GRE at 34
  f[34] = static_cast<uint8_t>(flags >> 8);
  f[35] = static_cast<uint8_t>(flags);
  f[36] = static_cast<uint8_t>(protocol >> 8);
  f[37] = static_cast<uint8_t>(protocol);
  if (flags & kGreFlagChecksum) f.insert(f.end(), {0, 0, 0, 0});
  if (flags & kGreFlagKey) f.insert(f.end(), {0, 0, 0, 0x2a});
  if (flags & kGreFlagSequence) f.insert(f.end(), {0, 0, 0, 7});
  const Bytes inner = inner_frame();
  f.insert(f.end(), inner.begin(), inner.end());
  const uint16_t ip_length = static_cast<uint16_t>(f.size() - 14);
  f[16] = static_cast<uint8_t>(ip_length >> 8);
  f[17] = static_cast<uint8_t>(ip_length);
  f[24] = f[25] = 0;
  const be16 sum = ipv4_header_checksum(f.data() + 14, 20);
  std::memcpy(f.data() + 24, &sum, 2);
  if (flags & kGreFlagChecksum) {
    const be16 gre_sum = internet_checksum(f.data() + 34, f.size() - 34);
    std::memcpy(f.data() + 38, &gre_sum, 2);
  }
  return f;
}

class GreTest : public ::testing::Test {
 protected:
  Packet* packet(const Bytes& frame) {
    Packet* p = pool_.allocate();
    EXPECT_TRUE(p->assign(frame.data(), static_cast<uint32_t>(frame.size())));
    p->reset_metadata(1);
    return p;
  }
  PacketPool pool_{8};
};

TEST_F(GreTest, HeaderIsOpenVswitchs) {
  // Open vSwitch prints it as ipv4(src=192.0.2.1,dst=192.0.2.2,proto=47,tos=0x20,ttl=61,
  // frag=0x4000),gre((flags=0x2000,proto=0x6558),key=0x2a).
  const Bytes h = build_gre_header(params(false, false, 42));
  ASSERT_EQ(h.size(), 42u);
  EXPECT_EQ(be16_at(h, 12), 0x0800);
  EXPECT_EQ(h[14 + 1], 0x20) << "tos";
  EXPECT_EQ(h[14 + 6], 0x40) << "DF";
  EXPECT_EQ(h[14 + 8], 61) << "ttl";
  EXPECT_EQ(h[14 + 9], 47) << "protocol GRE";
  EXPECT_EQ(Bytes(h.begin() + 34, h.end()), (Bytes{0x20, 0x00, 0x65, 0x58, 0, 0, 0, 42}))
      << "K, transparent Ethernet bridging, the key";
  const Bytes csum = build_gre_header(params(false, true, 42));
  ASSERT_EQ(csum.size(), 46u);
  EXPECT_EQ(Bytes(csum.begin() + 34, csum.end()),
            (Bytes{0xa0, 0x00, 0x65, 0x58, 0, 0, 0, 0, 0, 0, 0, 42}))
      << "C and K: the checksum word (zero, filled per packet) before the key";
  const Bytes keyless = build_gre_header(params(false, false, std::nullopt));
  ASSERT_EQ(keyless.size(), 38u);
  EXPECT_EQ(Bytes(keyless.begin() + 34, keyless.end()), (Bytes{0x00, 0x00, 0x65, 0x58}));
  const Bytes h6 = build_gre_header(params(true, false, 0xdeadbeef));
  ASSERT_EQ(h6.size(), 62u);
  EXPECT_EQ(be16_at(h6, 12), 0x86dd);
  EXPECT_EQ(h6[14 + 6], 47) << "next header GRE";
  EXPECT_EQ(h6[14 + 7], 61) << "hop limit";
  EXPECT_EQ(Bytes(h6.begin() + 54, h6.end()), (Bytes{0x20, 0x00, 0x65, 0x58, 0xde, 0xad, 0xbe, 0xef}));
}

TEST_F(GreTest, PushedThenPoppedGivesTheInnerFrameBack) {
  for (bool ipv6 : {false, true}) {
    for (bool checksum : {false, true}) {
      for (std::optional<uint32_t> key : {std::optional<uint32_t>{}, std::optional<uint32_t>{0xfedcba98}}) {
        const Bytes header = build_gre_header(params(ipv6, checksum, key));
        const Bytes payload =
            tunnel_push_payload(9, 1, ipv6 ? odp::kVportIp6gre : odp::kVportGre, header);
        EXPECT_EQ(push_refusal(payload), nullptr);
        EncapHeader encap;
        ASSERT_TRUE(decode_encap_header(payload, &encap));
        Packet* p = packet(inner_frame());
        push_encap_header(*p, encap, 0xdeadbeef);
        ASSERT_EQ(p->size(), inner_frame().size() + header.size());
        const Bytes sent(p->data(), p->data() + p->size());
        const size_t gre = ipv6 ? 54 : 34;
        if (ipv6) {
          EXPECT_EQ(be16_at(sent, 18), sent.size() - 54) << "payload length";
        } else {
          EXPECT_EQ(be16_at(sent, 16), sent.size() - 14) << "total length";
          EXPECT_EQ(internet_checksum(sent.data() + 14, 20), 0) << "IPv4 header checksum";
        }
        if (checksum) {
          EXPECT_NE(be16_at(sent, gre + 4), 0);
          EXPECT_EQ(internet_checksum(sent.data() + gre, sent.size() - gre), 0) << "GRE checksum";
        }
        p->md.ct_state = 0x21;
        ASSERT_EQ(pop_gre(*p), DecapError::kNone) << ipv6 << checksum << key.has_value();
        EXPECT_EQ(Bytes(p->data(), p->data() + p->size()), inner_frame());
        const TunnelMetadata& t = p->md.tunnel;
        EXPECT_EQ(ntoh64(t.tun_id), key.value_or(0));
        EXPECT_EQ(t.flags, (key ? kTunnelFlagKey : 0) | (checksum ? kTunnelFlagCsum : 0));
        EXPECT_EQ(t.tos, 0x20);
        EXPECT_EQ(t.ttl, 61);
        EXPECT_EQ(t.tp_src, 0);
        EXPECT_EQ(t.tp_dst, 0);
        EXPECT_EQ(p->md.ct_state, 0u);
        if (ipv6) {
          EXPECT_EQ(t.ipv6_src[15], 1);
          EXPECT_EQ(t.ipv6_dst[15], 2);
        } else {
          EXPECT_EQ(t.ipv4_src, hton32(0xc0000201));
          EXPECT_EQ(t.ipv4_dst, hton32(0xc0000202));
        }
        pool_.release(p);
      }
    }
  }
}

TEST_F(GreTest, PopSkipsTheSequenceNumber) {
  Packet* p = packet(wire_frame(kGreFlagChecksum | kGreFlagKey | kGreFlagSequence));
  ASSERT_EQ(pop_gre(*p), DecapError::kNone);
  EXPECT_EQ(Bytes(p->data(), p->data() + p->size()), inner_frame());
  EXPECT_EQ(ntoh64(p->md.tunnel.tun_id), 0x2au);
  EXPECT_EQ(p->md.tunnel.flags, kTunnelFlagKey | kTunnelFlagCsum);
  pool_.release(p);
}

TEST_F(GreTest, PopRefusesMalformedFrames) {
  struct Case {
    const char* what;
    Bytes frame;
    DecapError expected;
  };
  Bytes bad_sum = wire_frame(kGreFlagChecksum | kGreFlagKey);
  bad_sum.back() ^= 0x40;  // the payload changed after the checksum
  Bytes udp = wire_frame(kGreFlagKey);
  udp[14 + 9] = 17;
  udp[24] = udp[25] = 0;
  const be16 ip_sum = ipv4_header_checksum(udp.data() + 14, 20);
  std::memcpy(udp.data() + 24, &ip_sum, 2);
  const Case cases[] = {
      {"a bad GRE checksum", bad_sum, DecapError::kGreChecksum},
      {"routing present (R)", wire_frame(0x4000 | kGreFlagKey), DecapError::kTunnelHeader},
      {"version 1 (PPTP)", wire_frame(0x0001 | kGreFlagKey), DecapError::kTunnelHeader},
      {"strict source route", wire_frame(0x0800), DecapError::kTunnelHeader},
      {"IPv4 inside, not Ethernet", wire_frame(kGreFlagKey, 0x0800), DecapError::kTunnelHeader},
      {"ERSPAN", wire_frame(kGreFlagSequence, 0x88be), DecapError::kTunnelHeader},
      {"not GRE but UDP", udp, DecapError::kNotUdp},
  };
  for (const Case& c : cases) {
    Packet* p = packet(c.frame);
    EXPECT_EQ(pop_gre(*p), c.expected) << c.what;
    pool_.release(p);
  }
  // Every cut short of the whole frame is refused (the IP length then runs
  // past it), and so is every frame whose IP length leaves out the inner
  // Ethernet header or part of the GRE header.
  const Bytes whole = wire_frame(kGreFlagChecksum | kGreFlagKey | kGreFlagSequence);
  for (size_t n = 0; n < whole.size(); ++n) {
    Packet* q = pool_.allocate();
    q->assign(whole.data(), static_cast<uint32_t>(n));
    EXPECT_NE(pop_gre(*q), DecapError::kNone) << "length " << n;
    pool_.release(q);
  }
  for (size_t ip_length = 20; ip_length < 20 + 16 + 14; ++ip_length) {
    Bytes f = whole;
    f[16] = static_cast<uint8_t>(ip_length >> 8);
    f[17] = static_cast<uint8_t>(ip_length);
    f[24] = f[25] = 0;
    const be16 sum = ipv4_header_checksum(f.data() + 14, 20);
    std::memcpy(f.data() + 24, &sum, 2);
    Packet* q = packet(f);
    EXPECT_EQ(pop_gre(*q), DecapError::kTruncated) << "IP length " << ip_length;
    pool_.release(q);
  }
}

TEST(GrePush, SequenceNumbersAreRefused) {
  Bytes header = build_gre_header(params(false, false, 1));
  header[34] |= 0x10;  // S
  header.insert(header.end(), {0, 0, 0, 0});
  const Bytes payload = tunnel_push_payload(9, 1, odp::kVportGre, header);
  ASSERT_NE(push_refusal(payload), nullptr);
  EXPECT_STREQ(push_refusal(payload),
               "tnl_push: this datapath does not push gre headers with sequence numbers "
               "(flags 0x1000)");
  EncapHeader encap;
  EXPECT_FALSE(decode_encap_header(payload, &encap));
  EXPECT_TRUE(can_push(odp::kVportGre));
  EXPECT_TRUE(can_push(odp::kVportIp6gre));
  EXPECT_FALSE(can_push(odp::kVportErspan));
  // A header whose length does not match its flags is not pushed.
  Bytes short_header = build_gre_header(params(false, true, 1));
  short_header.pop_back();
  EXPECT_FALSE(decode_encap_header(tunnel_push_payload(9, 1, odp::kVportGre, short_header), &encap));
}

TEST(GrePortOptions, AsOpenVswitchsGre) {
  auto config = parse_tunnel_config(TunnelType::kGre, "gre0",
                                    {{"remote_ip", "192.0.2.2"}, {"key", "4294967295"}});
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config->type, TunnelType::kGre);
  EXPECT_EQ(config->in_key.value, 0xffffffffu);
  EXPECT_TRUE(config->out_key.present);
  EXPECT_EQ(config->format_options(), "remote_ip=192.0.2.2, key=4294967295");

  auto keyless = parse_tunnel_config(TunnelType::kGre, "gre0", {{"remote_ip", "2001:db8::2"}});
  ASSERT_TRUE(keyless.ok());
  EXPECT_FALSE(keyless->out_key.present) << "no key option: no key sent";
  EXPECT_EQ(keyless->format_options(), "remote_ip=2001:db8::2");
  auto zero = parse_tunnel_config(TunnelType::kGre, "gre0", {{"remote_ip", "192.0.2.2"}, {"key", "0"}});
  ASSERT_TRUE(zero.ok());
  EXPECT_TRUE(zero->out_key.present) << "key=0 is a key, sent as 0";
  EXPECT_EQ(zero->format_options(), "remote_ip=192.0.2.2, key=0");
  auto split = parse_tunnel_config(TunnelType::kGre, "gre0",
                                   {{"remote_ip", "flow"}, {"in_key", "flow"}, {"out_key", "7"},
                                    {"csum", "true"}, {"tos", "inherit"}, {"ttl", "10"}});
  ASSERT_TRUE(split.ok());
  EXPECT_EQ(split->format_options(),
            "remote_ip=flow, in_key=flow, out_key=7, tos=inherit, ttl=10, csum=true");

  auto big = parse_tunnel_config(TunnelType::kGre, "gre0",
                                 {{"remote_ip", "192.0.2.2"}, {"key", "4294967296"}});
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error(), "gre port gre0: key=4294967296 is not a GRE key (0..4294967295) or flow");
  auto port = parse_tunnel_config(TunnelType::kGre, "gre0",
                                  {{"remote_ip", "192.0.2.2"}, {"dst_port", "4789"}});
  ASSERT_FALSE(port.ok());
  EXPECT_EQ(port.error(),
            "gre port gre0: option dst_port is not supported (supported: remote_ip, local_ip, key, "
            "in_key, out_key, tos, ttl, df_default, csum)");
  auto seq = parse_tunnel_config(TunnelType::kGre, "gre0", {{"remote_ip", "192.0.2.2"}, {"seq", "true"}});
  ASSERT_FALSE(seq.ok());
  EXPECT_NE(seq.error().find("option seq is not supported"), std::string::npos);
  EXPECT_EQ(to_string(TunnelType::kGre), "gre");
  EXPECT_FALSE(is_udp(TunnelType::kGre));
  EXPECT_TRUE(is_udp(TunnelType::kGeneve));
}

}  // namespace
}  // namespace flowpath::tunnel
