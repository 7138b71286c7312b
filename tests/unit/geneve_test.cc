// Geneve: the header the slow path builds (tunnel/tunnel_header_build.h),
// pushed by the datapath and popped again (tunnel/tunnel_decap.h), the
// options of a frame from the wire recorded as tunnel metadata, every
// malformed frame refused, and a geneve port's options.
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
          0x00, 0x00};
}

VxlanHeaderParams params(bool ipv6, bool checksum) {
  VxlanHeaderParams p;
  p.eth_dst = EthAddr{{0x02, 0, 0, 0, 0, 0x02}};
  p.eth_src = EthAddr{{0x02, 0, 0, 0, 0, 0x01}};
  p.ip_src = *parse_address(ipv6 ? "2001:db8::1" : "192.0.2.1");
  p.ip_dst = *parse_address(ipv6 ? "2001:db8::2" : "192.0.2.2");
  p.dst_port = 6081;
  p.udp_checksum = checksum;
  p.vni = 77;
  return p;
}

uint16_t be16_at(const Bytes& b, size_t off) { return static_cast<uint16_t>(b[off] << 8 | b[off + 1]); }

// A Geneve frame over IPv4 as a peer sends it: `options` after the 8-byte
// header (its length in the header's 6 bits), `byte1` the O/C byte, no UDP
// checksum; lengths and the IPv4 checksum right.
Bytes wire_frame(const Bytes& options, uint8_t byte1 = 0, uint8_t version = 0,
                 uint16_t protocol = 0x6558) {
  Bytes f = build_geneve_header(params(false, false));
  f[42] = static_cast<uint8_t>(version << 6 | (options.size() / 4));
  f[43] = byte1;
  f[44] = static_cast<uint8_t>(protocol >> 8);
  f[45] = static_cast<uint8_t>(protocol);
  f.insert(f.end(), options.begin(), options.end());
  const Bytes inner = inner_frame();
  f.insert(f.end(), inner.begin(), inner.end());
  const uint16_t ip_length = static_cast<uint16_t>(f.size() - 14);
  const uint16_t udp_length = static_cast<uint16_t>(f.size() - 34);
  f[16] = static_cast<uint8_t>(ip_length >> 8);
  f[17] = static_cast<uint8_t>(ip_length);
  f[38] = static_cast<uint8_t>(udp_length >> 8);
  f[39] = static_cast<uint8_t>(udp_length);
  f[34] = 0xc3;  // a source port
  f[24] = f[25] = 0;
  const be16 sum = ipv4_header_checksum(f.data() + 14, 20);
  std::memcpy(f.data() + 24, &sum, 2);
  return f;
}

// Open vSwitch's option in tests/integration/tunnel_geneve_netns_test.sh:
// class 0x0102, type 0x80, 4 bytes of data.
const Bytes kOvsOption = {0x01, 0x02, 0x80, 0x01, 0x12, 0x34, 0xab, 0xcd};

class GeneveTest : public ::testing::Test {
 protected:
  Packet* packet(const Bytes& frame) {
    Packet* p = pool_.allocate();
    EXPECT_TRUE(p->assign(frame.data(), static_cast<uint32_t>(frame.size())));
    p->reset_metadata(1);
    return p;
  }
  PacketPool pool_{8};
};

TEST_F(GeneveTest, HeaderIsOpenVswitchs) {
  // What Open vSwitch prints for it: udp(src=0,dst=6081,csum=0x0),geneve(vni=0x4d).
  const Bytes h = build_geneve_header(params(false, false));
  ASSERT_EQ(h.size(), 50u);
  EXPECT_EQ(be16_at(h, 12), 0x0800);
  EXPECT_EQ(h[14 + 6], 0x40) << "DF";
  EXPECT_EQ(be16_at(h, 34), 0) << "source port left to the datapath";
  EXPECT_EQ(be16_at(h, 36), 6081);
  EXPECT_EQ(be16_at(h, 40), 0) << "no UDP checksum";
  const Bytes geneve(h.begin() + 42, h.end());
  EXPECT_EQ(geneve, (Bytes{0x00, 0x00, 0x65, 0x58, 0x00, 0x00, 0x4d, 0x00}))
      << "version 0, no options, O and C clear, Ethernet, VNI 77";
  const Bytes h6 = build_geneve_header(params(true, true));
  ASSERT_EQ(h6.size(), 70u);
  EXPECT_EQ(be16_at(h6, 54 + 2), 6081);
  EXPECT_EQ(be16_at(h6, 54 + 6), 0xffff) << "csum=true marks the checksum to compute";
  EXPECT_EQ(Bytes(h6.begin() + 62, h6.end()), geneve);
}

TEST_F(GeneveTest, PushedThenPoppedGivesTheInnerFrameBack) {
  PacketPool pool(4);
  for (bool ipv6 : {false, true}) {
    for (bool checksum : {false, true}) {
      const Bytes header = build_geneve_header(params(ipv6, checksum));
      const Bytes payload = tunnel_push_payload(9, 1, odp::kVportGeneve, header);
      EncapHeader encap;
      ASSERT_TRUE(decode_encap_header(payload, &encap));
      Packet* p = packet(inner_frame());
      push_encap_header(*p, encap, 0xdeadbeef);
      EXPECT_EQ(p->size(), inner_frame().size() + header.size());
      p->md.ct_state = 0x21;
      ASSERT_EQ(pop_geneve(*p), DecapError::kNone) << ipv6 << checksum;
      EXPECT_EQ(Bytes(p->data(), p->data() + p->size()), inner_frame());
      const TunnelMetadata& t = p->md.tunnel;
      EXPECT_EQ(ntoh64(t.tun_id), 77u);
      EXPECT_EQ(ntoh16(t.tp_dst), 6081);
      EXPECT_EQ(t.flags, kTunnelFlagKey | (checksum ? kTunnelFlagCsum : 0));
      EXPECT_EQ(t.geneve_length, 0);
      EXPECT_EQ(p->md.ct_state, 0u);
      if (ipv6) EXPECT_EQ(t.ipv6_dst[15], 2);
      else EXPECT_EQ(t.ipv4_dst, hton32(0xc0000202));
      pool_.release(p);
    }
  }
}

TEST_F(GeneveTest, PopRecordsOptionsAndTheOamBit) {
  Bytes options = kOvsOption;
  // A second option without data (class 0xffff, type 0x01, critical type bit clear).
  options.insert(options.end(), {0xff, 0xff, 0x01, 0x00});
  Packet* p = packet(wire_frame(options, kGeneveOam | kGeneveCritical));
  ASSERT_EQ(pop_geneve(*p), DecapError::kNone);
  EXPECT_EQ(Bytes(p->data(), p->data() + p->size()), inner_frame());
  const TunnelMetadata& t = p->md.tunnel;
  ASSERT_EQ(t.geneve_length, 12);
  EXPECT_EQ(Bytes(p->geneve_options, p->geneve_options + 12), options);
  EXPECT_EQ(t.flags, kTunnelFlagKey | kTunnelFlagOam) << "O recorded, C not (as Open vSwitch)";
  EXPECT_EQ(ntoh64(t.tun_id), 77u);
  EXPECT_EQ(ntoh16(t.tp_src), 0xc300);
  pool_.release(p);

  // Open vSwitch's single option.
  Packet* q = packet(wire_frame(kOvsOption));
  ASSERT_EQ(pop_geneve(*q), DecapError::kNone);
  EXPECT_EQ(q->md.tunnel.geneve_length, 8);
  pool_.release(q);
}

TEST_F(GeneveTest, PopRefusesMalformedFrames) {
  struct Case {
    const char* what;
    Bytes frame;
    DecapError expected;
  };
  Bytes overrun = kOvsOption;
  overrun[3] = 0x02;  // says 8 bytes of data, 4 are there
  const Case cases[] = {
      {"version 1", wire_frame(kOvsOption, 0, 1), DecapError::kTunnelHeader},
      {"IPv4 inside, not Ethernet", wire_frame({}, 0, 0, 0x0800), DecapError::kTunnelHeader},
      {"an option longer than the options", wire_frame(overrun), DecapError::kTunnelHeader},
  };
  for (const Case& c : cases) {
    Packet* p = packet(c.frame);
    EXPECT_EQ(pop_geneve(*p), c.expected) << c.what;
    pool_.release(p);
  }
  // Options' length past the frame: the header says 63 words.
  Bytes f = wire_frame(kOvsOption);
  f[42] = 0x3f;
  Packet* p = packet(f);
  EXPECT_EQ(pop_geneve(*p), DecapError::kTruncated);
  pool_.release(p);
  // Every cut short of the whole frame is refused.
  const Bytes whole = wire_frame(kOvsOption);
  for (size_t n = 0; n < whole.size(); ++n) {
    Packet* q = pool_.allocate();
    q->assign(whole.data(), static_cast<uint32_t>(n));
    EXPECT_NE(pop_geneve(*q), DecapError::kNone) << "length " << n;
    pool_.release(q);
  }
}

TEST(GeneveOptions, WellFormedOnlyWhenTheOptionsFillTheLengthExactly) {
  EXPECT_TRUE(geneve_options_well_formed(nullptr, 0));
  EXPECT_TRUE(geneve_options_well_formed(kOvsOption.data(), 8));
  EXPECT_FALSE(geneve_options_well_formed(kOvsOption.data(), 4)) << "the data is cut off";
  EXPECT_FALSE(geneve_options_well_formed(kOvsOption.data(), 6)) << "not whole words";
  const Bytes two = {0x01, 0x02, 0x80, 0x00, 0x01, 0x02, 0x81, 0x01, 1, 2, 3, 4};
  EXPECT_TRUE(geneve_options_well_formed(two.data(), 12));
  EXPECT_FALSE(geneve_options_well_formed(two.data(), 8));
  // The largest: one option of 31 words (128 bytes) and one of 30 (124).
  Bytes big(252, 0);
  big[3] = 31;
  big[128 + 3] = 30;
  EXPECT_TRUE(geneve_options_well_formed(big.data(), 252));
  Bytes too_big(256, 0);
  EXPECT_FALSE(geneve_options_well_formed(too_big.data(), 256)) << "past Geneve's 252 bytes";
}

TEST(GenevePortOptions, AsVxlansWithPort6081) {
  auto config = parse_tunnel_config(TunnelType::kGeneve, "gv0",
                                    {{"remote_ip", "192.0.2.2"}, {"key", "77"}});
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config->type, TunnelType::kGeneve);
  EXPECT_EQ(config->dst_port, 6081);
  EXPECT_EQ(config->in_key.value, 77u);
  EXPECT_EQ(config->format_options(), "remote_ip=192.0.2.2, key=77");
  auto moved = parse_tunnel_config(TunnelType::kGeneve, "gv0",
                                   {{"remote_ip", "flow"}, {"dst_port", "4789"}, {"csum", "true"}});
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->format_options(), "remote_ip=flow, dst_port=4789, csum=true");
  auto bad = parse_tunnel_config(TunnelType::kGeneve, "gv0",
                                 {{"remote_ip", "192.0.2.2"}, {"key", "16777216"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "geneve port gv0: key=16777216 is not a VNI (0..16777215) or flow");
  auto unknown = parse_tunnel_config(TunnelType::kGeneve, "gv0",
                                     {{"remote_ip", "192.0.2.2"}, {"exts", "gbp"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().find("geneve port gv0: option exts is not supported"), std::string::npos)
      << unknown.error();
  EXPECT_EQ(default_dst_port(TunnelType::kVxlan), 4789);
  EXPECT_EQ(to_string(TunnelType::kGeneve), "geneve");
}

}  // namespace
}  // namespace flowpath::tunnel
