// tnl_push and tnl_pop on single packets (tunnel/tunnel_encap.h,
// tunnel/tunnel_decap.h): the header pushed with its per-packet fields, the
// metadata popped from it, and every way a frame from the wire can be
// malformed refused without reading past it.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "flow/odp_abi.h"
#include "packet/checksum.h"
#include "packet/packet_pool.h"
#include "tunnel/tunnel_decap.h"
#include "tunnel/tunnel_encap.h"

namespace flowpath::tunnel {
namespace {

using Bytes = std::vector<uint8_t>;

// A 42-byte Ethernet/IPv4/UDP frame (the inner packet).
Bytes inner_frame() {
  return {0x00, 0x00, 0x5e, 0x00, 0x53, 0x02, 0x00, 0x00, 0x5e, 0x00, 0x53, 0x01, 0x08, 0x00,
          0x45, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x00, 0x00, 0x40, 17,   0x00, 0x00,
          10,   0,    0,    1,    10,   0,    0,    2,    0x13, 0x88, 0x00, 0x35, 0x00, 0x08,
          0x00, 0x00};
}

// An ActionPushTunnel payload for VXLAN VNI 42 from 192.0.2.1 to 192.0.2.2
// (IPv4) or 2001:db8::1 to 2001:db8::2 (IPv6), as the slow path builds it.
Bytes vxlan_push_payload(bool ipv6, bool udp_checksum) {
  Bytes h = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01};
  if (ipv6) {
    h.insert(h.end(), {0x86, 0xdd, 0x60, 0, 0, 0, 0, 0, 17, 64});
    for (uint8_t last : {1, 2}) {  // 2001:db8::1, then 2001:db8::2
      for (uint8_t b : {0x20, 0x01, 0x0d, 0xb8}) h.push_back(b);
      for (int i = 0; i < 11; ++i) h.push_back(0);
      h.push_back(last);
    }
  } else {
    h.insert(h.end(), {0x08, 0x00, 0x45, 0x00, 0, 0, 0, 0, 0x40, 0x00, 64, 17, 0, 0, 192, 0, 2, 1,
                       192, 0, 2, 2});
  }
  const uint8_t checksum = udp_checksum ? 0xff : 0;
  h.insert(h.end(), {0, 0, 0x12, 0xb5, 0, 0, checksum, checksum});  // UDP to 4789
  h.insert(h.end(), {0x08, 0, 0, 0, 0, 0, 0x2a, 0});                // VNI 42
  Bytes payload;
  for (uint32_t word : {4789u, 2u, static_cast<uint32_t>(h.size()), uint32_t{odp::kVportVxlan}})
    for (int i = 0; i < 4; ++i) payload.push_back(static_cast<uint8_t>(word >> (8 * i)));  // host order
  for (uint8_t b : h) payload.push_back(b);
  return payload;
}

class TunnelHeaderTest : public ::testing::Test {
 protected:
  Packet* packet(const Bytes& frame) {
    Packet* p = pool_.allocate();
    EXPECT_TRUE(p->assign(frame.data(), static_cast<uint32_t>(frame.size())));
    p->reset_metadata(1);
    return p;
  }
  Bytes encapsulated(bool ipv6, bool udp_checksum, uint32_t hash = 0x12345678) {
    Bytes payload = vxlan_push_payload(ipv6, udp_checksum);
    EncapHeader header;
    EXPECT_TRUE(decode_encap_header(payload, &header));
    Packet* p = packet(inner_frame());
    push_encap_header(*p, header, hash);
    Bytes out(p->data(), p->data() + p->size());
    pool_.release(p);
    return out;
  }
  PacketPool pool_{8};
};

uint16_t be16_at(const Bytes& b, size_t off) { return static_cast<uint16_t>(b[off] << 8 | b[off + 1]); }

TEST_F(TunnelHeaderTest, PushFillsLengthsChecksumAndSourcePort) {
  Bytes f = encapsulated(false, false);
  ASSERT_EQ(f.size(), 50u + 42u);
  Bytes payload = vxlan_push_payload(false, false);
  // Template bytes unchanged except total length, checksum, UDP source and length.
  EXPECT_TRUE(std::equal(f.begin(), f.begin() + 16, payload.begin() + 16));
  EXPECT_EQ(be16_at(f, 16), 92 - 14);                                    // IP total length
  EXPECT_EQ(internet_checksum(f.data() + 14, 20), 0) << "IPv4 header checksum";
  EXPECT_EQ(f[20], 0x40) << "DF kept";
  const uint16_t source = be16_at(f, 34);
  EXPECT_GE(source, kSourcePortMin);
  EXPECT_LT(source, kSourcePortMax);
  EXPECT_EQ(source, ntoh16(source_port_of_hash(0x12345678)));
  EXPECT_EQ(be16_at(f, 36), 4789);
  EXPECT_EQ(be16_at(f, 38), 92 - 34);                                    // UDP length
  EXPECT_EQ(be16_at(f, 40), 0) << "no UDP checksum asked for";
  EXPECT_TRUE(std::equal(f.begin() + 42, f.begin() + 50, payload.begin() + 16 + 42));
  EXPECT_EQ(Bytes(f.begin() + 50, f.end()), inner_frame());
}

// The outer IPv4 checksum comes from a sum taken once per decoded header:
// right for every packet length, whatever the template's own length and
// checksum fields hold.
TEST_F(TunnelHeaderTest, Ipv4ChecksumIsRightForEachLengthWhateverTheTemplateHolds) {
  Bytes payload = vxlan_push_payload(false, false);
  payload[16 + 16] = 0xab;  // total length
  payload[16 + 17] = 0xcd;
  payload[16 + 24] = 0x12;  // checksum
  payload[16 + 25] = 0x34;
  EncapHeader header;
  ASSERT_TRUE(decode_encap_header(payload, &header));
  for (size_t extra : {0, 1, 7, 600}) {
    Bytes inner = inner_frame();
    inner.resize(inner.size() + extra, 0x5a);
    Packet* p = packet(inner);
    push_encap_header(*p, header, 1);
    const Bytes f(p->data(), p->data() + p->size());
    pool_.release(p);
    EXPECT_EQ(be16_at(f, 16), f.size() - 14) << extra;
    EXPECT_EQ(internet_checksum(f.data() + 14, 20), 0) << extra;
  }
}

TEST_F(TunnelHeaderTest, SourcePortSpreadsOverOpenVswitchsRange) {
  EXPECT_EQ(ntoh16(source_port_of_hash(0)), 32768);
  EXPECT_EQ(ntoh16(source_port_of_hash(0xffffffff)), 60999);
  EXPECT_EQ(ntoh16(source_port_of_hash(0x80000000)), 32768 + (61000 - 32768) / 2);
}

TEST_F(TunnelHeaderTest, PushComputesTheUdpChecksumWhenTheHeaderAsks) {
  for (bool ipv6 : {false, true}) {
    Bytes f = encapsulated(ipv6, true);
    const size_t l3 = 14, l4 = ipv6 ? 54 : 34;
    const uint32_t l4_length = static_cast<uint32_t>(f.size() - l4);
    uint64_t pseudo;
    if (ipv6) {
      EXPECT_EQ(be16_at(f, l3 + 4), l4_length) << "IPv6 payload length";
      pseudo = pseudo_header_ipv6(f.data() + l3 + 8, f.data() + l3 + 24, 17, l4_length);
    } else {
      pseudo = pseudo_header_ipv4(load_unaligned<be32>(f.data() + l3 + 12),
                                  load_unaligned<be32>(f.data() + l3 + 16), 17, l4_length);
    }
    EXPECT_EQ(be16_at(f, l4 + 6), ntoh16(transport_checksum(pseudo, f.data() + l4, l4_length, 6)))
        << (ipv6 ? "IPv6" : "IPv4");
    EXPECT_NE(be16_at(f, l4 + 6), 0);
  }
}

TEST_F(TunnelHeaderTest, DecodeRefusesTypesItCannotPush) {
  Bytes payload = vxlan_push_payload(false, false);
  EncapHeader header;
  uint32_t erspan = odp::kVportErspan;
  std::memcpy(payload.data() + 12, &erspan, 4);
  EXPECT_FALSE(decode_encap_header(payload, &header));
  EXPECT_FALSE(decode_encap_header(std::span<const uint8_t>(payload.data(), 10), &header));
  EXPECT_TRUE(can_push(odp::kVportGeneve));
  EXPECT_FALSE(can_push(odp::kVportGtpu));
}

TEST_F(TunnelHeaderTest, PopRecordsTheOuterHeadersAndYieldsTheInnerFrame) {
  for (bool ipv6 : {false, true}) {
    for (bool checksum : {false, true}) {
      Packet* p = packet(encapsulated(ipv6, checksum, 0xdeadbeef));
      p->md.ct_state = 0x21;  // conntrack state of the outer packet must not survive
      p->md.skb_mark = 7;     // other metadata does
      ASSERT_EQ(pop_vxlan(*p), DecapError::kNone) << ipv6 << checksum;
      EXPECT_EQ(Bytes(p->data(), p->data() + p->size()), inner_frame());
      const TunnelMetadata& t = p->md.tunnel;
      EXPECT_EQ(ntoh64(t.tun_id), 42u);
      if (ipv6) {
        EXPECT_EQ(t.ipv6_src[15], 1);
        EXPECT_EQ(t.ipv6_dst[15], 2);
        EXPECT_EQ(t.ipv4_dst, 0u);
      } else {
        EXPECT_EQ(t.ipv4_src, hton32(0xc0000201));
        EXPECT_EQ(t.ipv4_dst, hton32(0xc0000202));
      }
      EXPECT_EQ(t.ttl, 64);
      EXPECT_EQ(t.tos, 0);
      EXPECT_EQ(ntoh16(t.tp_src), ntoh16(source_port_of_hash(0xdeadbeef)));
      EXPECT_EQ(ntoh16(t.tp_dst), 4789);
      EXPECT_EQ(t.flags, kTunnelFlagKey | (checksum ? kTunnelFlagCsum : 0));
      EXPECT_TRUE(t.present());
      EXPECT_EQ(p->md.ct_state, 0u);
      EXPECT_EQ(p->md.skb_mark, 7u);
      pool_.release(p);
    }
  }
}

TEST_F(TunnelHeaderTest, PopRefusesEveryTruncation) {
  for (bool ipv6 : {false, true}) {
    Bytes f = encapsulated(ipv6, true);
    // Cut the frame (the IP length then runs past it) at every length short
    // of outer headers plus an inner Ethernet header.
    const size_t whole = f.size();
    for (size_t n = 0; n < whole; ++n) {
      Packet* p = pool_.allocate();
      p->assign(f.data(), static_cast<uint32_t>(n));
      DecapError e = pop_vxlan(*p);
      EXPECT_NE(e, DecapError::kNone) << "length " << n;
      pool_.release(p);
    }
  }
}

TEST_F(TunnelHeaderTest, PopRefusesMalformedHeaders) {
  struct Case {
    const char* what;
    size_t offset;
    uint8_t value;
    DecapError expected;
  };
  // Without a UDP checksum (it would catch every change past the IP header first).
  const Case cases[] = {
      {"VLAN-tagged outer frame", 12, 0x81, DecapError::kNotIp},
      {"IPv4 options", 14, 0x46, DecapError::kIpHeader},
      {"bad IPv4 checksum", 24, 0x55, DecapError::kIpHeader},
      {"a fragment", 20, 0x20, DecapError::kFragment},
      {"TCP, not UDP", 23, 6, DecapError::kNotUdp},
      {"VXLAN flags without I", 42, 0x00, DecapError::kTunnelHeader},
      {"VXLAN reserved bits", 43, 0x01, DecapError::kTunnelHeader},
      {"VXLAN reserved byte after the VNI", 49, 0x01, DecapError::kTunnelHeader},
      {"IP length past the frame", 16, 0x7f, DecapError::kTruncated},
      {"UDP length past the IP packet", 38, 0x7f, DecapError::kTruncated},
  };
  const Bytes good = encapsulated(false, false);
  for (const Case& c : cases) {
    Bytes f = good;
    f[c.offset] = c.value;
    if (c.offset == 20 || c.offset == 23 || c.offset == 16) {  // keep the IPv4 checksum right
      f[24] = f[25] = 0;
      be16 sum = ipv4_header_checksum(f.data() + 14, 20);
      std::memcpy(f.data() + 24, &sum, 2);
    }
    Packet* p = packet(f);
    EXPECT_EQ(pop_vxlan(*p), c.expected) << c.what;
    pool_.release(p);
  }
  Bytes bad_checksum = encapsulated(false, true);
  bad_checksum[40] ^= 0x10;
  Packet* p = packet(bad_checksum);
  EXPECT_EQ(pop_vxlan(*p), DecapError::kUdpChecksum);
  pool_.release(p);
}

TEST_F(TunnelHeaderTest, PopTrustsAnOuterUdpChecksumLeftToTheDevice) {
  // A kernel vxlan device behind a veth with checksum offload: the UDP
  // checksum field holds only the pseudo-header sum, the packet says so.
  Bytes f = encapsulated(false, true);
  f[40] = 0x12;
  f[41] = 0x34;
  Packet* p = packet(f);
  p->offload.needs = offload::kPartialChecksum;
  p->offload.l4_offset = 34;
  p->offload.checksum_offset = 6;
  ASSERT_EQ(pop_vxlan(*p), DecapError::kNone);
  EXPECT_EQ(p->md.tunnel.flags, kTunnelFlagKey | kTunnelFlagCsum);
  EXPECT_EQ(p->offload.needs, 0) << "the inner frame does not inherit the outer's offload";
  EXPECT_EQ(Bytes(p->data(), p->data() + p->size()), inner_frame());
  pool_.release(p);
  // Without the offload mark the same bytes are a bad checksum.
  Packet* q = packet(f);
  EXPECT_EQ(pop_vxlan(*q), DecapError::kUdpChecksum);
  pool_.release(q);
}

TEST_F(TunnelHeaderTest, PopDropsOuterEthernetPadding) {
  // A short inner frame padded by the outer Ethernet layer: the padding is
  // past the IP packet and is not the inner frame's.
  Bytes payload = vxlan_push_payload(false, false);
  EncapHeader header;
  ASSERT_TRUE(decode_encap_header(payload, &header));
  const Bytes whole = inner_frame();
  const Bytes inner(whole.begin(), whole.begin() + 14);
  Packet* p = packet(inner);
  push_encap_header(*p, header, 1);
  std::memset(p->put(6), 0xee, 6);
  ASSERT_EQ(pop_vxlan(*p), DecapError::kNone);
  EXPECT_EQ(Bytes(p->data(), p->data() + p->size()), inner);
  pool_.release(p);
}

}  // namespace
}  // namespace flowpath::tunnel
