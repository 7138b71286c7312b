// Test support for key extraction and key/mask tests: builders for the wire
// bytes of every header the parser knows, a packet whose frame ends exactly
// at the end of its pool's memory (so ASan and valgrind see any read past the
// frame), extraction that also checks a reused key, builders of expected keys,
// and a key comparison that names the fields that differ.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "flow/flow_key.h"
#include "flow/key_extract.h"
#include "packet/packet_pool.h"

namespace flowpath::test {

using Bytes = std::vector<uint8_t>;

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
inline Bytes wire16(uint16_t v) { return {uint8_t(v >> 8), uint8_t(v)}; }
inline Bytes wire32(uint32_t v) {
  return {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
}
inline Bytes zeros(size_t n) { return Bytes(n, 0); }
inline Bytes filler(size_t n, uint8_t value = 0x5a) { return Bytes(n, value); }
inline Bytes cut(Bytes b, size_t n) {
  b.resize(n);
  return b;
}

inline const Bytes kDstMac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
inline const Bytes kSrcMac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
inline const Bytes kMacA = {0x00, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e};
inline const Bytes kMacB = {0x00, 0x05, 0x06, 0x07, 0x08, 0x09};
inline const Bytes kIp6A = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
inline const Bytes kIp6B = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02};
inline const Bytes kIp6T = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03};

inline Bytes eth(uint16_t type) { return cat({kDstMac, kSrcMac, wire16(type)}); }
inline Bytes tag(uint16_t tpid, uint16_t tci) { return cat({wire16(tpid), wire16(tci)}); }

struct Ipv4Spec {
  uint8_t proto = ipproto::kUdp;
  uint8_t tos = 0;
  uint8_t ttl = 64;
  uint16_t frag_off = 0;
  uint8_t ihl = 5;
  int total_len = -1;  // -1: header + payload
  uint8_t version = 4;
};
inline constexpr uint32_t kIp4Src = 0xc0000201, kIp4Dst = 0xc6336409;  // 192.0.2.1, 198.51.100.9

inline Bytes ipv4(const Ipv4Spec& s, const Bytes& payload) {
  uint16_t total = s.total_len >= 0 ? uint16_t(s.total_len) : uint16_t(s.ihl * 4 + payload.size());
  Bytes h = cat({{uint8_t(s.version << 4 | s.ihl), s.tos},
                 wire16(total),
                 wire16(0x1234),
                 wire16(s.frag_off),
                 {s.ttl, s.proto},
                 wire16(0),
                 wire32(kIp4Src),
                 wire32(kIp4Dst)});
  if (s.ihl > 5) h.resize(s.ihl * 4u, 0x01);  // NOP options
  return cat({h, payload});
}
inline Bytes ipv4(uint8_t proto, const Bytes& payload) {
  return ipv4(Ipv4Spec{.proto = proto}, payload);
}

inline Bytes ipv6(uint8_t next, const Bytes& payload, uint32_t version_class_label = 0x60000000,
                  uint8_t hop_limit = 64, int payload_len = -1) {
  uint16_t length = payload_len >= 0 ? uint16_t(payload_len) : uint16_t(payload.size());
  return cat(
      {wire32(version_class_label), wire16(length), {next, hop_limit}, kIp6A, kIp6B, payload});
}
// Hop-by-hop, routing or destination options: (units + 1) * 8 bytes.
inline Bytes ipv6_ext(uint8_t next, uint8_t units) {
  return cat({{next, units}, filler(6 + units * 8u, 0x01)});
}
inline Bytes ipv6_fragment(uint8_t next, uint16_t offset_flags) {
  return cat({{next, 0}, wire16(offset_flags), wire32(0xabcd)});
}
inline Bytes ipv6_auth(uint8_t next, uint8_t units) {  // (units + 2) * 4 bytes
  return cat({{next, units}, filler((units + 2) * 4u - 2, 0x02)});
}

inline Bytes udp(uint16_t src, uint16_t dst) {
  return cat({wire16(src), wire16(dst), wire16(8), wire16(0)});
}
inline Bytes tcp(uint16_t src, uint16_t dst, uint16_t flags, uint8_t data_offset = 5) {
  Bytes h = cat({wire16(src), wire16(dst), wire32(1), wire32(2),
                 wire16(uint16_t(data_offset << 12 | (flags & 0x0fff))), wire16(512), wire32(0)});
  if (data_offset > 5) h.resize(data_offset * 4u, 0x01);
  return h;
}
inline Bytes sctp(uint16_t src, uint16_t dst) {
  return cat({wire16(src), wire16(dst), wire32(7), wire32(0)});
}
inline Bytes icmp(uint8_t type, uint8_t code) {
  return cat({{type, code}, wire16(0), wire32(0x00010002)});
}

inline Bytes nd(uint8_t type, uint32_t reserved, const Bytes& options = {}, uint8_t code = 0) {
  return cat({{type, code}, wire16(0), wire32(reserved), kIp6T, options});
}
inline Bytes nd_option(uint8_t type, uint8_t units, const Bytes& mac) {
  Bytes o = cat({{type, units}, mac});
  o.resize(units * 8u, 0);
  return o;
}

inline Bytes arp(uint16_t op, uint16_t hardware = 1, uint16_t protocol = ethertype::kIpv4,
                 uint8_t hardware_len = 6, uint8_t protocol_len = 4) {
  return cat({wire16(hardware),
              wire16(protocol),
              {hardware_len, protocol_len},
              wire16(op),
              kMacA,
              wire32(kIp4Src),
              kMacB,
              wire32(kIp4Dst)});
}

inline uint32_t lse(uint32_t label, uint8_t tc, bool bos, uint8_t ttl) {
  return label << 12 | uint32_t(tc) << 9 | uint32_t(bos) << 8 | ttl;
}

// NSH: ver:2 O:1 U:1 ttl:6 length:6 | md type | next proto | SPI:24 SI:8.
inline Bytes nsh(uint8_t version, uint8_t flags, uint8_t ttl, uint8_t length_words, uint8_t md_type,
                 uint8_t next_proto, uint32_t path, const Bytes& rest) {
  uint16_t first = uint16_t(version << 14 | flags << 12 | ttl << 6 | length_words);
  return cat({wire16(first), {md_type, next_proto}, wire32(path), rest});
}
inline const Bytes kNshContext =
    cat({wire32(0x11111111), wire32(0x22222222), wire32(0x33333333), wire32(0x44444444)});

// ------------------------------------------------------------ packets

// A pool of one packet whose frame ends exactly where the pool's memory ends.
struct PacketAtEnd {
  std::unique_ptr<PacketPool> pool;
  Packet* packet;

  explicit PacketAtEnd(const Bytes& frame) {
    uint32_t n = static_cast<uint32_t>(frame.size());
    // A 64-byte multiple, so the pool does not round it up.
    uint32_t buffer = (Packet::kDefaultHeadroom + n + 63) / 64 * 64;
    pool = std::make_unique<PacketPool>(1, buffer);
    packet = pool->allocate();
    packet->put(packet->tailroom());
    packet->pull(packet->size() - n);
    if (n > 0) std::memcpy(packet->data(), frame.data(), n);
  }
};

// ------------------------------------------------------------ comparing keys

struct FieldInfo {
  const char* name;
  size_t offset, size;
};
#define FIELD(f) \
  FieldInfo { #f, offsetof(FlowKey, f), sizeof(FlowKey::f) }
inline const FieldInfo kFields[] = {FIELD(md),
                                    FIELD(eth_src),
                                    FIELD(eth_dst),
                                    FIELD(eth_type),
                                    FIELD(pad_l2),
                                    FIELD(vlans),
                                    FIELD(mpls_lse),
                                    FIELD(pad_mpls),
                                    FIELD(ipv4_src),
                                    FIELD(ipv4_dst),
                                    FIELD(ipv6_src),
                                    FIELD(ipv6_dst),
                                    FIELD(ipv6_label),
                                    FIELD(nw_proto),
                                    FIELD(nw_tos),
                                    FIELD(nw_ttl),
                                    FIELD(nw_frag),
                                    FIELD(arp_sha),
                                    FIELD(arp_tha),
                                    FIELD(arp_op),
                                    FIELD(pad_l3),
                                    FIELD(tp_src),
                                    FIELD(tp_dst),
                                    FIELD(tcp_flags),
                                    FIELD(nd_options_type),
                                    FIELD(pad_l4),
                                    FIELD(nd_target),
                                    FIELD(nd_sll),
                                    FIELD(nd_tll),
                                    FIELD(nd_reserved),
                                    FIELD(nsh_flags),
                                    FIELD(nsh_ttl),
                                    FIELD(nsh_mdtype),
                                    FIELD(nsh_np),
                                    FIELD(nsh_path_hdr),
                                    FIELD(nsh_context),
                                    FIELD(geneve_options),
                                    FIELD(pad_tail)};
#undef FIELD

inline std::string hex(const uint8_t* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += digits[p[i] >> 4];
    s += digits[p[i] & 15];
  }
  return s;
}

inline ::testing::AssertionResult keys_equal(const FlowKey& actual, const FlowKey& expected) {
  if (actual == expected) return ::testing::AssertionSuccess();
  std::ostringstream out;
  auto* a = reinterpret_cast<const uint8_t*>(&actual);
  auto* e = reinterpret_cast<const uint8_t*>(&expected);
  for (const FieldInfo& f : kFields) {
    if (std::memcmp(a + f.offset, e + f.offset, f.size) == 0) continue;
    out << "\n  " << f.name << ": actual " << hex(a + f.offset, f.size) << ", expected "
        << hex(e + f.offset, f.size);
  }
  return ::testing::AssertionFailure() << "keys differ:" << out.str();
}

#define EXPECT_KEY(actual, expected) EXPECT_TRUE(::flowpath::test::keys_equal((actual), (expected)))

// ------------------------------------------------------------ extraction

inline constexpr uint16_t kNone = Packet::kNoOffset;

struct Extracted {
  FlowKey key;
  uint16_t l2_5, l3, l4;
};

inline PacketMetadata port_metadata(uint32_t port = 1) {
  PacketMetadata md{};
  md.in_port = port;
  return md;
}

// A key that satisfies FlowKey's invariants but holds garbage everywhere else,
// so a test sees any byte extraction forgets to write.
inline FlowKey dirty_key() {
  FlowKey k;
  std::memset(static_cast<void*>(&k), 0xab, sizeof k);
  k.md.tunnel.geneve_length = kGeneveMaxLength;
  k.pad_tail = 0;
  return k;
}

inline Extracted extract(const Bytes& frame, const PacketMetadata& md = port_metadata(),
                         const Bytes& geneve = {}, int max_vlan_headers = kMaxVlanTags) {
  PacketAtEnd holder(frame);
  Packet& p = *holder.packet;
  p.md = md;
  if (!geneve.empty()) std::memcpy(p.geneve_options, geneve.data(), geneve.size());
  Extracted out;
  out.key.clear();
  extract_key(p, &out.key, max_vlan_headers);
  out.l2_5 = p.l2_5_offset;
  out.l3 = p.l3_offset;
  out.l4 = p.l4_offset;

  FlowKey reused = dirty_key();
  p.l3_offset = p.l4_offset = p.l2_5_offset = 7;
  extract_key(p, &reused, max_vlan_headers);
  EXPECT_TRUE(reused == out.key) << "a reused key kept bytes of its previous content";
  EXPECT_EQ(p.l2_5_offset, out.l2_5);
  EXPECT_EQ(p.l3_offset, out.l3);
  EXPECT_EQ(p.l4_offset, out.l4);
  return out;
}

// ------------------------------------------------------------ expected keys

// Expected keys start from the metadata and the test frame's Ethernet header.
inline FlowKey expect_md(const PacketMetadata& md = port_metadata()) {
  FlowKey k;
  k.clear();
  k.md = md;
  return k;
}
inline FlowKey expect_eth(uint16_t eth_type, const PacketMetadata& md = port_metadata()) {
  FlowKey k = expect_md(md);
  std::memcpy(&k.eth_dst, kDstMac.data(), 6);
  std::memcpy(&k.eth_src, kSrcMac.data(), 6);
  k.eth_type = hton16(eth_type);
  return k;
}
inline void set_ipv4(FlowKey& k, uint8_t proto, uint8_t tos = 0, uint8_t ttl = 64,
                     uint8_t frag = 0) {
  k.ipv4_src = hton32(kIp4Src);
  k.ipv4_dst = hton32(kIp4Dst);
  k.nw_proto = proto;
  k.nw_tos = tos;
  k.nw_ttl = ttl;
  k.nw_frag = frag;
}
inline void set_ipv6_addresses(FlowKey& k) {
  std::memcpy(k.ipv6_src, kIp6A.data(), 16);
  std::memcpy(k.ipv6_dst, kIp6B.data(), 16);
}
inline void set_ipv6(FlowKey& k, uint8_t proto, uint8_t tclass = 0, uint32_t label = 0,
                     uint8_t hop_limit = 64, uint8_t frag = 0) {
  set_ipv6_addresses(k);
  k.ipv6_label = hton32(label);
  k.nw_proto = proto;
  k.nw_tos = tclass;
  k.nw_ttl = hop_limit;
  k.nw_frag = frag;
}
inline void set_ports(FlowKey& k, uint16_t src, uint16_t dst) {
  k.tp_src = hton16(src);
  k.tp_dst = hton16(dst);
}
inline void set_mac(EthAddr& a, const Bytes& mac) { std::memcpy(&a, mac.data(), 6); }

#define EXPECT_OFFSETS(x, l2_5_, l3_, l4_) \
  do {                                     \
    EXPECT_EQ((x).l2_5, l2_5_);            \
    EXPECT_EQ((x).l3, l3_);                \
    EXPECT_EQ((x).l4, l4_);                \
  } while (0)

}  // namespace flowpath::test
