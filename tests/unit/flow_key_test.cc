// FlowKey and FlowMask operations, and minimal_mask() for keys of several
// kinds of packet.
#include "flow/flow_key.h"

#include <gtest/gtest.h>

#include <cstring>
#include <initializer_list>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "flow/key_extract.h"
#include "key_test_support.h"
#include "packet/packet_pool.h"

namespace flowpath {
namespace {

using namespace test;  // NOLINT: the frame builders read as a small language

template <typename Field>
void set_ones(Field& f) {
  std::memset(static_cast<void*>(&f), 0xff, sizeof f);
}

FlowKey zero_key() {
  FlowKey k;
  k.clear();
  return k;
}

FlowKey sample_key(uint32_t seed) {
  FlowKey k = zero_key();
  k.md.in_port = seed;
  k.eth_type = hton16(ethertype::kIpv4);
  k.ipv4_src = hton32(0x0a000000 + seed);
  k.ipv4_dst = hton32(0x0b000000 + seed * 7);
  k.nw_proto = ipproto::kTcp;
  k.tp_src = hton16(uint16_t(1000 + seed));
  k.tp_dst = hton16(80);
  return k;
}

// ------------------------------------------------------------ masked operations

TEST(FlowKeyOps, EqualMaskedIgnoresWildcardedBits) {
  FlowKey a = sample_key(1);
  FlowKey b = a;
  b.tp_src = hton16(9999);
  b.nw_ttl = 3;
  FlowMask mask = FlowMask::wildcard_all();
  set_ones(mask.bits.ipv4_src);
  set_ones(mask.bits.ipv4_dst);
  EXPECT_TRUE(equal_masked(a, b, mask));
  set_ones(mask.bits.tp_src);
  EXPECT_FALSE(equal_masked(a, b, mask));
  EXPECT_TRUE(equal_masked(a, b, FlowMask::wildcard_all()));
  EXPECT_FALSE(equal_masked(a, b, FlowMask::exact()));
  EXPECT_TRUE(equal_masked(a, a, FlowMask::exact()));
}

TEST(FlowKeyOps, EqualMaskedSeesSingleBitsEverywhere) {
  // A difference in any single bit of the key is seen by an exact mask and
  // hidden by a mask without that bit.
  FlowKey a = sample_key(2);
  for (size_t byte = 0; byte < sizeof(FlowKey); byte += 37) {
    FlowKey b = a;
    reinterpret_cast<uint8_t*>(&b)[byte] ^= 0x10;
    EXPECT_FALSE(equal_masked(a, b, FlowMask::exact())) << byte;
    FlowMask m = FlowMask::exact();
    reinterpret_cast<uint8_t*>(&m.bits)[byte] &= uint8_t(~0x10);
    EXPECT_TRUE(equal_masked(a, b, m)) << byte;
  }
}

TEST(FlowKeyOps, HashMaskedAgreesWithEqualMasked) {
  FlowMask mask = FlowMask::wildcard_all();
  set_ones(mask.bits.ipv4_src);
  set_ones(mask.bits.ipv4_dst);
  set_ones(mask.bits.nw_proto);
  set_ones(mask.bits.tp_dst);
  FlowKey a = sample_key(3);
  FlowKey b = a;
  b.tp_src = hton16(1);  // wildcarded
  b.md.in_port = 77;     // wildcarded
  EXPECT_EQ(hash_masked(a, mask, 0), hash_masked(b, mask, 0));
  EXPECT_EQ(hash_masked(a, mask, 12345), hash_masked(b, mask, 12345));
  EXPECT_NE(hash_masked(a, mask, 0), hash_masked(a, mask, 1)) << "the basis takes part";

  // Keys that differ under the mask hash differently (in practice: no
  // collisions among a few thousand).
  std::set<uint32_t> hashes;
  for (uint32_t i = 0; i < 4000; ++i) hashes.insert(hash_masked(sample_key(i), mask, 0));
  EXPECT_EQ(hashes.size(), 4000u);
}

TEST(FlowKeyOps, HashDependsOnWhichWordsAreMasked) {
  // The same masked word value in different words must not hash the same.
  FlowKey a = zero_key();
  FlowKey b = zero_key();
  store_unaligned<uint32_t>(&a.ipv4_src, 0x01020304);
  store_unaligned<uint32_t>(&b.tp_src, 0x01020304);
  FlowMask ma = FlowMask::wildcard_all();
  set_ones(ma.bits.ipv4_src);
  FlowMask mb = FlowMask::wildcard_all();
  set_ones(mb.bits.tp_src);
  set_ones(mb.bits.tp_dst);
  ASSERT_EQ(a.words()[offsetof(FlowKey, ipv4_src) / 8], b.words()[offsetof(FlowKey, tp_src) / 8]);
  EXPECT_NE(hash_masked(a, ma, 0), hash_masked(b, mb, 0));
}

TEST(FlowKeyOps, HashKeyCoversGeneveOptionsOnlyWhenPresent) {
  FlowKey a = sample_key(4);
  FlowKey b = a;
  EXPECT_EQ(hash_key(a, 9), hash_key(b, 9));
  b.tp_dst = hton16(81);
  EXPECT_NE(hash_key(a, 9), hash_key(b, 9));
  b = a;
  a.md.tunnel.geneve_length = 4;
  b.md.tunnel.geneve_length = 4;
  b.geneve_options[3] = 1;
  EXPECT_NE(hash_key(a, 9), hash_key(b, 9));
}

TEST(FlowKeyOps, ApplyMaskAndNormalize) {
  FlowKey key = sample_key(5);
  FlowMask mask = FlowMask::wildcard_all();
  mask.bits.ipv4_src = hton32(0xffffff00);
  set_ones(mask.bits.tp_dst);
  FlowKey out;
  apply_mask(key, mask, &out);
  FlowKey expected = zero_key();
  expected.ipv4_src = hton32(0x0a000000);  // 10.0.0.5 & /24
  expected.tp_dst = hton16(80);
  EXPECT_TRUE(out == expected);

  Match match{key, mask};
  match.normalize();
  EXPECT_TRUE(match.key == expected);
  EXPECT_TRUE(match.mask == mask);
  EXPECT_TRUE(match_equal(match, key));
  FlowKey other = key;
  other.ipv4_src = hton32(0x0a0000ff);  // same /24
  EXPECT_TRUE(match_equal(match, other));
  other.ipv4_src = hton32(0x0a000105);  // another /24
  EXPECT_FALSE(match_equal(match, other));
}

TEST(FlowKeyOps, WordMapMarksWordsWithAnyMaskBit) {
  FlowMask mask = FlowMask::wildcard_all();
  FlowMask::WordMap none = mask.word_map();
  EXPECT_EQ(none.lo, 0u);
  EXPECT_EQ(none.hi, 0u);

  mask.bits.md.in_port = 1;              // byte 72: word 9
  mask.bits.nw_ttl = 0x80;               // byte 254: word 31
  mask.bits.geneve_options[200] = 0x01;  // byte 536: word 67
  FlowMask::WordMap map = mask.word_map();
  EXPECT_EQ(offsetof(FlowKey, md) + offsetof(PacketMetadata, in_port), 72u);
  EXPECT_EQ(map.lo, (uint64_t{1} << 9) | (uint64_t{1} << 31));
  EXPECT_EQ(map.hi, uint64_t{1} << (67 - 64));

  FlowMask::WordMap all = FlowMask::exact().word_map();
  EXPECT_EQ(all.lo, ~uint64_t{0});
  EXPECT_EQ(all.hi, (uint64_t{1} << (FlowKey::kWords - 64)) - 1);
}

// ------------------------------------------------------------ minimal_mask

FlowKey key_of(const Bytes& frame, const PacketMetadata& md = {}, const Bytes& geneve = {}) {
  PacketPool pool(1);
  Packet* p = pool.allocate();
  EXPECT_TRUE(p->assign(frame.data(), uint32_t(frame.size())));
  p->md = md;
  if (!geneve.empty()) std::memcpy(p->geneve_options, geneve.data(), geneve.size());
  FlowKey key = zero_key();
  extract_key(*p, &key);
  return key;
}

// The mask every packet gets for its metadata.
FlowMask metadata_mask() {
  FlowMask m = FlowMask::wildcard_all();
  set_ones(m.bits.md.in_port);
  set_ones(m.bits.md.skb_priority);
  set_ones(m.bits.md.skb_mark);
  set_ones(m.bits.md.recirc_id);
  set_ones(m.bits.md.dp_hash);
  set_ones(m.bits.md.ct_state);
  set_ones(m.bits.md.ct_zone);
  set_ones(m.bits.md.ct_mark);
  set_ones(m.bits.md.ct_label);
  set_ones(m.bits.md.packet_type);
  return m;
}
FlowMask ethernet_mask(bool second_tag = false) {
  FlowMask m = metadata_mask();
  set_ones(m.bits.eth_src);
  set_ones(m.bits.eth_dst);
  set_ones(m.bits.eth_type);
  set_ones(m.bits.vlans[0]);
  if (second_tag) set_ones(m.bits.vlans[1]);
  return m;
}
void mask_ip_common(FlowMask& m, bool ipv6) {
  set_ones(m.bits.nw_proto);
  set_ones(m.bits.nw_tos);
  set_ones(m.bits.nw_ttl);
  m.bits.nw_frag = kFragMask;
  ConntrackTuple& t = m.bits.md.ct_orig_tuple;
  std::memset(t.src, 0xff, ipv6 ? 16 : 4);
  std::memset(t.dst, 0xff, ipv6 ? 16 : 4);
  set_ones(t.src_port);
  set_ones(t.dst_port);
  set_ones(t.proto);
}
FlowMask ipv4_mask() {
  FlowMask m = ethernet_mask();
  set_ones(m.bits.ipv4_src);
  set_ones(m.bits.ipv4_dst);
  mask_ip_common(m, false);
  return m;
}

#define EXPECT_MASK(actual, expected) EXPECT_TRUE(keys_equal((actual).bits, (expected).bits))

TEST(MinimalMask, Ipv4TcpHasPortsAndFlags) {
  FlowKey key = key_of(cat({eth(ethertype::kIpv4), ipv4(ipproto::kTcp, tcp(1, 2, 0x002))}));
  FlowMask expected = ipv4_mask();
  set_ones(expected.bits.tp_src);
  set_ones(expected.bits.tp_dst);
  set_ones(expected.bits.tcp_flags);
  EXPECT_MASK(minimal_mask(key), expected);
}

TEST(MinimalMask, LaterFragmentAndUnknownProtocolHaveNoTransport) {
  FlowMask expected = ipv4_mask();
  EXPECT_MASK(
      minimal_mask(key_of(cat(
          {eth(ethertype::kIpv4), ipv4({.proto = ipproto::kUdp, .frag_off = 0x0010}, udp(1, 2))}))),
      expected);
  EXPECT_MASK(minimal_mask(key_of(cat({eth(ethertype::kIpv4), ipv4(ipproto::kGre, udp(1, 2))}))),
              expected);
  // A first fragment keeps its ports.
  set_ones(expected.bits.tp_src);
  set_ones(expected.bits.tp_dst);
  EXPECT_MASK(
      minimal_mask(key_of(cat(
          {eth(ethertype::kIpv4), ipv4({.proto = ipproto::kUdp, .frag_off = 0x2000}, udp(1, 2))}))),
      expected);
}

TEST(MinimalMask, VlanTagsUpToTheFirstAbsentOne) {
  FlowKey one = key_of(cat({eth(ethertype::kVlan8021Q), wire16(10), wire16(0x1234)}));
  EXPECT_MASK(minimal_mask(one), ethernet_mask(true));
  FlowKey none = key_of(eth(0x1234));
  EXPECT_MASK(minimal_mask(none), ethernet_mask(false));
}

TEST(MinimalMask, Ipv6NeighborDiscoveryAndEcho) {
  Bytes target(16, 0xfe);
  Bytes ns = cat({{135, 0}, wire16(0), wire32(0), target, {1, 1, 0, 1, 2, 3, 4, 5}});
  FlowKey key = key_of(cat({eth(ethertype::kIpv6), ipv6(ipproto::kIcmpv6, ns)}));
  FlowMask expected = ethernet_mask();
  set_ones(expected.bits.ipv6_src);
  set_ones(expected.bits.ipv6_dst);
  set_ones(expected.bits.ipv6_label);
  mask_ip_common(expected, true);
  std::memset(expected.bits.md.ct_orig_tuple.src, 0, 16);  // ND: no conntrack addresses
  std::memset(expected.bits.md.ct_orig_tuple.dst, 0, 16);
  set_ones(expected.bits.tp_src);
  set_ones(expected.bits.tp_dst);
  set_ones(expected.bits.nd_target);
  set_ones(expected.bits.nd_sll);
  set_ones(expected.bits.nd_tll);
  set_ones(expected.bits.nd_reserved);
  set_ones(expected.bits.nd_options_type);
  EXPECT_MASK(minimal_mask(key), expected);

  Bytes echo = cat({{128, 0}, wire16(0), wire32(0)});
  key = key_of(cat({eth(ethertype::kIpv6), ipv6(ipproto::kIcmpv6, echo)}));
  expected = ethernet_mask();
  set_ones(expected.bits.ipv6_src);
  set_ones(expected.bits.ipv6_dst);
  set_ones(expected.bits.ipv6_label);
  mask_ip_common(expected, true);
  set_ones(expected.bits.tp_src);
  set_ones(expected.bits.tp_dst);
  EXPECT_MASK(minimal_mask(key), expected);
}

TEST(MinimalMask, ArpMplsAndNsh) {
  Bytes arp = cat({wire16(1),
                   wire16(0x0800),
                   {6, 4},
                   wire16(1),
                   Bytes(6, 1),
                   wire32(1),
                   Bytes(6, 2),
                   wire32(2)});
  FlowMask expected = ethernet_mask();
  set_ones(expected.bits.ipv4_src);
  set_ones(expected.bits.ipv4_dst);
  set_ones(expected.bits.arp_op);
  set_ones(expected.bits.arp_sha);
  set_ones(expected.bits.arp_tha);
  EXPECT_MASK(minimal_mask(key_of(cat({eth(ethertype::kArp), arp}))), expected);

  // Labels up to bottom of stack; a stack without one masks all three.
  Bytes two = cat({wire32(0x00064040), wire32(0x00065140)});
  expected = ethernet_mask();
  set_ones(expected.bits.mpls_lse[0]);
  set_ones(expected.bits.mpls_lse[1]);
  EXPECT_MASK(minimal_mask(key_of(cat({eth(ethertype::kMplsUnicast), two}))), expected);
  set_ones(expected.bits.mpls_lse[2]);
  EXPECT_MASK(minimal_mask(key_of(cat({eth(ethertype::kMplsUnicast), wire32(0x00064040)}))),
              expected);

  Bytes nsh = cat({wire16(0x0fc6), {1, 3}, wire32(0x100), Bytes(16, 7)});
  expected = ethernet_mask();
  set_ones(expected.bits.nsh_flags);
  set_ones(expected.bits.nsh_ttl);
  set_ones(expected.bits.nsh_mdtype);
  set_ones(expected.bits.nsh_np);
  set_ones(expected.bits.nsh_path_hdr);
  set_ones(expected.bits.nsh_context);
  EXPECT_MASK(minimal_mask(key_of(cat({eth(ethertype::kNsh), nsh}))), expected);
}

TEST(MinimalMask, L3PacketTypeHasNoEthernetAddresses) {
  PacketMetadata md{};
  md.packet_type = hton32(0x10000 | ethertype::kIpv4);
  FlowKey key = key_of(ipv4(ipproto::kUdp, udp(1, 2)), md);
  FlowMask expected = metadata_mask();
  set_ones(expected.bits.eth_type);
  set_ones(expected.bits.ipv4_src);
  set_ones(expected.bits.ipv4_dst);
  mask_ip_common(expected, false);
  set_ones(expected.bits.tp_src);
  set_ones(expected.bits.tp_dst);
  EXPECT_MASK(minimal_mask(key), expected);
}

TEST(MinimalMask, TunnelFieldsOnlyWhenPresentAndOptionsUpToTheirLength) {
  PacketMetadata md{};
  md.tunnel.tun_id = hton64(5);  // no key flag: not part of the identity
  md.tunnel.ipv4_dst = hton32(0x0a000002);
  md.tunnel.geneve_length = 8;
  Bytes options = {0, 1, 2, 1, 9, 9, 9, 9};
  FlowKey key = key_of(eth(0x1234), md, options);
  FlowMask expected = ethernet_mask();
  TunnelMetadata& t = expected.bits.md.tunnel;
  set_ones(t.ipv4_src);
  set_ones(t.ipv4_dst);
  set_ones(t.ipv6_src);
  set_ones(t.ipv6_dst);
  set_ones(t.tp_src);
  set_ones(t.tp_dst);
  set_ones(t.flags);
  set_ones(t.tos);
  set_ones(t.ttl);
  set_ones(t.gbp_id);
  set_ones(t.gbp_flags);
  set_ones(t.geneve_length);
  set_ones(t.erspan_version);
  set_ones(t.erspan_dir);
  set_ones(t.erspan_hwid);
  set_ones(t.erspan_index);
  set_ones(t.gtpu_flags);
  set_ones(t.gtpu_msgtype);
  std::memset(expected.bits.geneve_options, 0xff, 8);
  EXPECT_MASK(minimal_mask(key), expected);

  md.tunnel.flags = kTunnelFlagKey;
  key = key_of(eth(0x1234), md, options);
  set_ones(t.tun_id);
  EXPECT_MASK(minimal_mask(key), expected);

  md.tunnel.ipv4_dst = 0;  // no tunnel: nothing of it, not even the options
  key = key_of(eth(0x1234), md, options);
  EXPECT_MASK(minimal_mask(key), ethernet_mask());
}

TEST(MinimalMask, CoversEveryFieldTheParserSet) {
  // With plain metadata, key & minimal_mask(key) == key: the mask leaves out
  // nothing the packet put into the key.
  Bytes frames[] = {
      cat({eth(ethertype::kIpv4), ipv4(ipproto::kTcp, tcp(1, 2, 0x002))}),
      cat({eth(ethertype::kVlan8021AD), wire16(3), wire16(ethertype::kVlan8021Q), wire16(4),
           wire16(ethertype::kIpv6), ipv6(ipproto::kUdp, udp(1, 2))}),
      cat({eth(ethertype::kIpv4), ipv4(ipproto::kIcmp, icmp(3, 1))}),
      cat({eth(0x0040), {0x42, 0x42, 3}, Bytes(40, 0)}),
  };
  PacketMetadata md{};
  md.in_port = 3;
  md.recirc_id = 2;
  for (const Bytes& f : frames) {
    FlowKey key = key_of(f, md);
    FlowKey masked;
    apply_mask(key, minimal_mask(key), &masked);
    EXPECT_TRUE(masked == key);
  }
}

}  // namespace
}  // namespace flowpath
