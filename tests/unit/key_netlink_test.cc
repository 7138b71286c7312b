// The Netlink form of flow keys and masks: exact attribute bytes for a few
// keys, round trips for every kind of packet key, the fitness of keys that
// say too much or too little, every malformed input, and masks.
#include "flow/key_netlink.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "flow/key_extract.h"
#include "flow/odp_abi.h"
#include "key_netlink_fixtures.h"
#include "packet/packet_pool.h"

namespace flowpath {
namespace {

using namespace odp;
using namespace key_netlink_fixtures;

// ---------------------------------------------------------------- exact bytes

TEST(EncodeKey, Ipv4TcpExactBytes) {
  Bytes expected = {
      0x08, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,  // skb_priority(0)
      0x08, 0x00, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00,  // skb_mark(0)
      0x08, 0x00, 0x16, 0x00, 0x00, 0x00, 0x00, 0x00,  // ct_state(0)
      0x06, 0x00, 0x17, 0x00, 0x00, 0x00, 0x00, 0x00,  // ct_zone(0), 2 pad bytes
      0x08, 0x00, 0x18, 0x00, 0x00, 0x00, 0x00, 0x00,  // ct_mark(0)
      0x14, 0x00, 0x19, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,  // ct_label(0): 16 bytes
      0, 0, 0, 0, 0, 0, 0, 0,
      0x08, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00,  // recirc_id(0)
      0x08, 0x00, 0x13, 0x00, 0x00, 0x00, 0x00, 0x00,  // dp_hash(0)
      0x08, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00,  // in_port(1)
      0x08, 0x00, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x00,  // packet_type(ns=0,id=0)
      0x10, 0x00, 0x04, 0x00,                          // eth
      0x00, 0x01, 0x02, 0x03, 0x04, 0x05,              //   src
      0x10, 0x11, 0x12, 0x13, 0x14, 0x15,              //   dst
      0x06, 0x00, 0x06, 0x00, 0x08, 0x00, 0x00, 0x00,  // eth_type(0x0800)
      0x10, 0x00, 0x07, 0x00,                          // ipv4
      0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,  //   src, dst
      0x06, 0x00, 0x40, 0x00,                          //   proto 6, tos 0, ttl 64, frag no
      0x08, 0x00, 0x09, 0x00, 0x04, 0xd2, 0x00, 0x50,  // tcp(src=1234,dst=80)
      0x06, 0x00, 0x12, 0x00, 0x00, 0x02, 0x00, 0x00,  // tcp_flags(syn)
  };
  EXPECT_EQ(encode(ipv4_tcp_key()), expected);
}

// The top-level attribute types of `attrs`, in order.
std::vector<uint16_t> attr_types(const Bytes& attrs) {
  std::vector<uint16_t> out;
  auto parsed = parse_attributes(attrs);
  EXPECT_TRUE(parsed.ok());
  if (parsed.ok()) {
    for (const NetlinkAttr& a : *parsed) out.push_back(a.type);
  }
  return out;
}

// The bytes after packet_type.
Bytes headers_of(const Bytes& attrs) {
  auto parsed = parse_attributes(attrs);
  EXPECT_TRUE(parsed.ok());
  for (const NetlinkAttr& a : *parsed) {
    if (a.type == kKeyPacketType) {
      size_t start = static_cast<size_t>(a.data() + 4 - attrs.data());
      return Bytes(attrs.begin() + static_cast<long>(start), attrs.end());
    }
  }
  return {};
}

TEST(EncodeKey, TruncatedVlanGivesEmptyEncap) {
  Bytes expected = {
      0x10, 0x00, 0x04, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
      0x10, 0x11, 0x12, 0x13, 0x14, 0x15,              // eth
      0x06, 0x00, 0x06, 0x00, 0x81, 0x00, 0x00, 0x00,  // eth_type(0x8100)
      0x06, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00,  // vlan(0)
      0x04, 0x00, 0x01, 0x00,                          // encap()
  };
  EXPECT_EQ(headers_of(encode(truncated_vlan_key())), expected);
}

TEST(EncodeKey, VlanNestsTheRestInEncap) {
  FlowKey k = vlan_key();
  Bytes h = headers_of(encode(k));
  Bytes expected_start = {
      0x10, 0x00, 0x04, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
      0x10, 0x11, 0x12, 0x13, 0x14, 0x15,              // eth
      0x06, 0x00, 0x06, 0x00, 0x81, 0x00, 0x00, 0x00,  // eth_type(0x8100)
      0x06, 0x00, 0x05, 0x00, 0x70, 0x0a, 0x00, 0x00,  // vlan(pcp=3,vid=10,cfi)
      0x24, 0x00, 0x01, 0x00,                          // encap: 4 + 8 + 16 + 8 = 36
      0x06, 0x00, 0x06, 0x00, 0x08, 0x00, 0x00, 0x00,  //   eth_type(0x0800)
      0x10, 0x00, 0x07, 0x00, 0x0a, 0x00, 0x00, 0x01,  //   ipv4
      0x0a, 0x00, 0x00, 0x02, 0x11, 0x00, 0x40, 0x00,
      0x08, 0x00, 0x0a, 0x00, 0x04, 0xd2, 0x00, 0x50,  //   udp(src=1234,dst=80)
  };
  EXPECT_EQ(h, expected_start);
}

TEST(EncodeKey, MplsLabelsUpToBottomOfStack) {
  Bytes h = headers_of(encode(mpls_key(2, true)));
  Bytes expected_tail = {
      0x06, 0x00, 0x06, 0x00, 0x88, 0x47, 0x00, 0x00,  // eth_type(0x8847)
      0x0c, 0x00, 0x15, 0x00,                          // mpls: two labels
      0x00, 0x06, 0x40, 0x40,                          //   label 100, tc 0, ttl 64
      0x00, 0x06, 0x53, 0x3f,                          //   label 101, tc 1, bos, ttl 63
  };
  ASSERT_GE(h.size(), expected_tail.size());
  EXPECT_EQ(Bytes(h.end() - static_cast<long>(expected_tail.size()), h.end()), expected_tail);
}

// Without a bottom of stack, Open vSwitch counts the labels that are not all
// zero (flow_count_mpls_labels): a lone label with bos=0 (a cut packet) is one
// label, not three.
TEST(EncodeKey, MplsWithoutBottomOfStackCountsNonZeroLabels) {
  Bytes h = headers_of(encode(mpls_key(1, false)));
  Bytes expected_tail = {
      0x06, 0x00, 0x06, 0x00, 0x88, 0x47, 0x00, 0x00,  // eth_type(0x8847)
      0x08, 0x00, 0x15, 0x00,                          // mpls: one label
      0x00, 0x06, 0x40, 0x40,                          //   label 100, tc 0, ttl 64
  };
  ASSERT_GE(h.size(), expected_tail.size());
  EXPECT_EQ(Bytes(h.end() - static_cast<long>(expected_tail.size()), h.end()), expected_tail);
}

// A label behind an all-zero one is written too, so the key reads back the
// same (counting only the non-zero entries would drop the zero one and move
// the label up; the fuzzer found it).
TEST(EncodeKey, MplsWithoutBottomOfStackKeepsALabelBehindAZeroOne) {
  FlowKey k = mpls_key(2, false);
  k.mpls_lse[0] = 0;
  auto decoded = decode_key(encode(k));
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded->key.mpls_lse[0], 0u);
  EXPECT_EQ(decoded->key.mpls_lse[1], k.mpls_lse[1]);
}

TEST(EncodeKey, TunnelNestedAttributes) {
  FlowKey k = ipv4_tcp_key();
  k.md.tunnel.tun_id = hton64(0x0102030405060708ULL);
  k.md.tunnel.ipv4_dst = ip4("192.168.0.2");
  k.md.tunnel.ttl = 64;
  k.md.tunnel.flags = kTunnelFlagKey;
  Bytes attrs = encode(k);
  Bytes expected = {
      0x08, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,  // skb_priority(0)
      0x20, 0x00, 0x10, 0x00,                          // tunnel: 4 + 12 + 8 + 8
      0x0c, 0x00, 0x00, 0x00, 1, 2, 3, 4, 5, 6, 7, 8,  //   tun_id
      0x08, 0x00, 0x02, 0x00, 0xc0, 0xa8, 0x00, 0x02,  //   dst=192.168.0.2
      0x05, 0x00, 0x04, 0x00, 0x40, 0x00, 0x00, 0x00,  //   ttl=64
      0x08, 0x00, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00,  // skb_mark(0)
  };
  ASSERT_GE(attrs.size(), expected.size());
  EXPECT_EQ(Bytes(attrs.begin(), attrs.begin() + static_cast<long>(expected.size())), expected);
}

TEST(EncodeKey, ConntrackTupleOnlyForTrackedValidConnections) {
  auto has = [](const FlowKey& k, uint16_t type) {
    auto types = attr_types(encode(k));
    return std::count(types.begin(), types.end(), type) == 1;
  };
  FlowKey k = conntrack_ipv4_key();
  EXPECT_TRUE(has(k, kKeyCtOrigTupleIpv4));
  EXPECT_FALSE(has(k, kKeyCtOrigTupleIpv6));
  k.md.ct_state |= kCsInvalid;
  EXPECT_FALSE(has(k, kKeyCtOrigTupleIpv4));
  k.md.ct_state = kCsEstablished;  // not tracked
  EXPECT_FALSE(has(k, kKeyCtOrigTupleIpv4));
  EXPECT_TRUE(has(conntrack_ipv6_key(), kKeyCtOrigTupleIpv6));
}

TEST(EncodeKey, OptionalAttributesAppearOnlyWhenSet) {
  auto types = [](const FlowKey& k) { return attr_types(encode(k)); };
  FlowKey k = ipv4_tcp_key();
  k.tcp_flags = 0;
  auto t = types(k);
  EXPECT_EQ(std::count(t.begin(), t.end(), kKeyTcpFlags), 0);
  EXPECT_EQ(std::count(t.begin(), t.end(), kKeyTunnel), 0);
  auto no_port = types(no_in_port_key());
  EXPECT_EQ(std::count(no_port.begin(), no_port.end(), kKeyInPort), 0);
  // No Ethernet: packet_type then eth_type, no eth.
  auto l3 = types(l3_ipv4_key());
  EXPECT_EQ(std::count(l3.begin(), l3.end(), kKeyEthernet), 0);
  // 802.3: eth but no eth_type.
  auto llc = types(ieee8023_key());
  EXPECT_EQ(llc.back(), kKeyEthernet);
  // ND: no nd_ext, even for an advertisement's R/S/O flags (nd_reserved) or
  // an option type: Open vSwitch's userspace datapath never puts one in a key.
  auto ns = types(neighbor_solicit_key());
  EXPECT_EQ(ns.back(), kKeyNd);
  auto na = types(neighbor_advert_with_flags_key());
  EXPECT_EQ(na.back(), kKeyNd);
  // Later fragment: no L4.
  auto later = types(fragment_key(true));
  EXPECT_EQ(later.back(), kKeyIpv4);
}

TEST(EncodeKey, CanonicalOrder) {
  std::vector<uint16_t> order = attr_types(encode(conntrack_ipv4_key()));
  std::vector<uint16_t> expected = {
      kKeyPriority, kKeySkbMark, kKeyCtState, kKeyCtZone, kKeyCtMark, kKeyCtLabels,
      kKeyCtOrigTupleIpv4, kKeyRecircId, kKeyDpHash, kKeyInPort, kKeyPacketType, kKeyEthernet,
      kKeyEthertype, kKeyIpv4, kKeyTcp, kKeyTcpFlags,
  };
  EXPECT_EQ(order, expected);
}

// ---------------------------------------------------------------- round trips

TEST(RoundTrip, EveryKeyDecodesToItselfPerfectly) {
  for (const NamedKey& nk : all_keys()) {
    SCOPED_TRACE(nk.name);
    Bytes attrs = encode(nk.key);
    auto decoded = decode_key(attrs);
    ASSERT_TRUE(decoded.ok()) << decoded.error();
    EXPECT_EQ(decoded->fitness, KeyFitness::kPerfect) << decoded->detail;
    EXPECT_TRUE(decoded->key == nk.key);
    EXPECT_EQ(encode(decoded->key), attrs);
  }
}

TEST(RoundTrip, ExactMaskOfEveryKeyRoundTrips) {
  for (const NamedKey& nk : all_keys()) {
    SCOPED_TRACE(nk.name);
    auto exact = decode_mask({}, nk.key);
    ASSERT_TRUE(exact.ok()) << exact.error();
    EXPECT_TRUE(*exact == minimal_mask(nk.key));
    // Its Netlink form is accepted for the key; decoding normalises it
    // (e.g. ct_state to its 8 flag bits), and from then on it is stable.
    auto once = decode_mask(encode(*exact, nk.key), nk.key);
    ASSERT_TRUE(once.ok()) << once.error();
    Bytes canonical = encode(*once, nk.key);
    auto twice = decode_mask(canonical, nk.key);
    ASSERT_TRUE(twice.ok()) << twice.error();
    EXPECT_TRUE(*twice == *once);
    EXPECT_EQ(encode(*twice, nk.key), canonical);
  }
}

TEST(RoundTrip, CanonicalHandWrittenSequence) {
  Bytes attrs = ipv4_key_with(ipproto::kUdp, [](NetlinkWriter& w) {
    w.put_struct(kKeyUdp, KeyPorts{hton16(1), hton16(2)});
  });
  DecodedKey d = decode_ok(attrs);
  EXPECT_EQ(d.fitness, KeyFitness::kPerfect);
  EXPECT_EQ(d.key.tp_dst, hton16(2));
  EXPECT_EQ(encode(d.key), attrs);
}

TEST(RoundTrip, DecodedFieldsLandWhereExpected) {
  DecodedKey d = decode_ok(encode(full_tunnel_key()));
  const TunnelMetadata& t = d.key.md.tunnel;
  EXPECT_EQ(t.tun_id, hton64(0x123456789abcdef0ULL));
  EXPECT_EQ(t.flags, kTunnelFlagKey | kTunnelFlagDontFragment | kTunnelFlagCsum | kTunnelFlagOam);
  EXPECT_EQ(t.geneve_length, 12);
  EXPECT_EQ(d.key.geneve_options[4], 0xde);
  EXPECT_EQ(t.gbp_id, hton16(0x100));
  EXPECT_EQ(t.gbp_flags, 0x80);
  EXPECT_EQ(t.erspan_index, hton32(0x12345));
  EXPECT_EQ(t.gtpu_msgtype, 0xff);
  DecodedKey v2 = decode_ok(encode(erspan_v2_ipv6_tunnel_key()));
  EXPECT_EQ(v2.key.md.tunnel.erspan_dir, 1);
  EXPECT_EQ(v2.key.md.tunnel.erspan_hwid, 0x2a);
}

// ---------------------------------------------------------------- from packets

// Frames of every kind the parser knows; their prefixes and random mutations
// give keys of cut and odd packets too.
std::vector<Bytes> template_frames() {
  const Bytes macs = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0, 1, 2, 3, 4, 5};
  auto eth = [&](std::initializer_list<uint8_t> rest) {
    Bytes f = macs;
    f.insert(f.end(), rest);
    return f;
  };
  const std::initializer_list<uint8_t> ipv4_tcp = {
      0x08, 0x00, 0x45, 0x00, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06, 0x00, 0x00,
      10, 0, 0, 1, 10, 0, 0, 2,                               // IPv4, proto 6
      0x04, 0xd2, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x12, 0xff, 0xff, 0, 0, 0, 0};
  return {
      eth(ipv4_tcp),
      eth({0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x20, 0xc8,    // QinQ
           0x86, 0xdd, 0x60, 0x01, 0x23, 0x45, 0x00, 0x08, 17, 64,  // IPv6, label, UDP
           0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
           0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
           0x14, 0xe9, 0x00, 0x35, 0x00, 0x08, 0, 0}),
      eth({0x86, 0xdd, 0x60, 0, 0, 0, 0x00, 0x20, 58, 255,   // IPv6, ICMPv6 NA + TLL
           0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
           0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
           136, 0, 0, 0, 0x60, 0, 0, 0,
           0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
           2, 1, 0, 1, 2, 3, 4, 5}),
      eth({0x86, 0xdd, 0x60, 0, 0, 0, 0x00, 0x10, 44, 64,    // IPv6 fragment header, UDP
           0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
           0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
           17, 0, 0x00, 0x01, 0, 0, 0, 7, 0x14, 0xe9, 0x00, 0x35, 0x00, 0x08, 0, 0}),
      eth({0x88, 0x47, 0x00, 0x06, 0x40, 0x40, 0x00, 0x06, 0x51, 0x3f,  // MPLS x2
           0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2}),
      eth({0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,  // ARP request
           0, 0x0f, 0x10, 0x11, 0x12, 0x13, 192, 168, 0, 1,
           0, 0, 0, 0, 0, 0, 192, 168, 0, 2}),
      eth({0x08, 0x00, 0x45, 0x00, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x10, 0x40, 0x01, 0x00, 0x00,
           10, 0, 0, 1, 10, 0, 0, 2, 8, 0, 0, 0, 0, 0, 0, 0}),  // later fragment
      eth({0x89, 0x4f, 0x0f, 0xc6, 0x01, 0x03, 0x00, 0x01, 0x01, 0xff,  // NSH MD1
           1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4}),
      eth({0x00, 0x30, 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00,  // LLC/SNAP, IPv4
           0x45, 0, 0, 20, 0, 0, 0, 0, 64, 1, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2}),
      eth({0x81, 0x00, 0x00, 0x05, 0x81, 0x00, 0x00, 0x06, 0x81, 0x00, 0x00, 0x07,
           0x08, 0x00}),  // three tags
  };
}

// Round trip of the key `packet` gives, with the one exception of a frame
// too short for an Ethernet header (eth_type 0), whose key has the same
// attributes as an 802.3 frame's and so decodes with eth_type 0x05ff.
// "offset:a/b ..." for the bytes where two keys differ.
std::string differing_bytes(const FlowKey& a, const FlowKey& b) {
  std::string out;
  const auto* x = reinterpret_cast<const uint8_t*>(&a);
  const auto* y = reinterpret_cast<const uint8_t*>(&b);
  for (size_t i = 0; i < sizeof(FlowKey); ++i) {
    if (x[i] == y[i]) continue;
    out += std::to_string(i) + ":" + std::to_string(x[i]) + "/" + std::to_string(y[i]) + " ";
  }
  return out;
}

bool is_ethernet_runt(const FlowKey& key) { return key.md.packet_type == 0 && key.eth_type == 0; }

void expect_packet_key_round_trip(Packet& packet) {
  FlowKey key;
  key.clear();  // extraction relies on the invariant: zero past geneve_length
  extract_key(packet, &key);
  Bytes attrs = encode(key);
  auto decoded = decode_key(attrs);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  FlowKey expected = key;
  if (is_ethernet_runt(key)) expected.eth_type = hton16(ethertype::kNone);
  // Open vSwitch's userspace keys carry no nd_ext: ND reserved bits and
  // option type stay out of the Netlink form.
  expected.nd_reserved = 0;
  expected.nd_options_type = 0;
  EXPECT_TRUE(decoded->key == expected) << differing_bytes(decoded->key, expected);
  // An MPLS packet cut before its bottom of stack has, as in Open vSwitch, a
  // key with only the labels that are there (none, or a last one with bos=0),
  // which says less than an MPLS key should.
  bool cut_mpls = (key.eth_type == hton16(ethertype::kMplsUnicast) ||
                   key.eth_type == hton16(ethertype::kMplsMulticast)) && !(key.mpls_lse[0] & hton32(kMplsBosMask)) &&
                  !(key.mpls_lse[1] & hton32(kMplsBosMask)) && key.mpls_lse[2] == 0;
  EXPECT_EQ(decoded->fitness, cut_mpls ? KeyFitness::kTooLittle : KeyFitness::kPerfect)
      << decoded->detail;
  EXPECT_EQ(encode(decoded->key), attrs);
  auto mask = decode_mask(encode(minimal_mask(key), key), key);
  EXPECT_TRUE(mask.ok()) << mask.error();
}

TEST(FromPackets, EveryPrefixOfEveryFrame) {
  PacketPool pool(1);
  Packet* packet = pool.allocate();
  for (const Bytes& frame : template_frames()) {
    for (size_t len = 0; len <= frame.size(); ++len) {
      SCOPED_TRACE("frame of " + std::to_string(frame.size()) + " cut to " + std::to_string(len));
      ASSERT_TRUE(packet->assign(frame.data(), static_cast<uint32_t>(len)));
      packet->reset_metadata(1);
      expect_packet_key_round_trip(*packet);
    }
  }
}

TEST(FromPackets, RandomMutationsWithMetadata) {
  PacketPool pool(1);
  Packet* packet = pool.allocate();
  std::mt19937 rng(12345);
  std::vector<Bytes> frames = template_frames();
  for (int i = 0; i < 20000; ++i) {
    Bytes frame = frames[rng() % frames.size()];
    for (int flips = static_cast<int>(rng() % 4); flips > 0; --flips) {
      frame[rng() % frame.size()] = static_cast<uint8_t>(rng());
    }
    frame.resize(rng() % (frame.size() + 1));
    ASSERT_TRUE(packet->assign(frame.data(), static_cast<uint32_t>(frame.size())));
    packet->reset_metadata(rng() % 8);
    PacketMetadata& md = packet->md;
    md.recirc_id = rng() % 3;
    md.dp_hash = rng() % 2 ? static_cast<uint32_t>(rng()) : 0;
    if (rng() % 4 == 0) md.packet_type = hton32(1u << 16 | ethertype::kIpv4);
    if (rng() % 4 == 0) {  // through a Geneve tunnel
      md.tunnel.ipv4_dst = static_cast<uint32_t>(rng()) | 1;
      md.tunnel.ttl = static_cast<uint8_t>(rng());
      md.tunnel.tun_id = hton64(rng() % 1000);
      md.tunnel.flags = kTunnelFlagKey;
      const uint8_t option[8] = {0x01, 0x02, 0x80, 0x01, 1, 2, 3, 4};
      std::memcpy(packet->geneve_options, option, sizeof option);
      md.tunnel.geneve_length = rng() % 2 ? 8 : 0;
    }
    SCOPED_TRACE("iteration " + std::to_string(i));
    expect_packet_key_round_trip(*packet);
    if (HasFailure()) break;
  }
}

// ---------------------------------------------------------------- lenient inputs

TEST(DecodeKey, MetadataOnlyKeyIsPerfect) {
  NetlinkWriter w;
  w.put_u32(kKeyInPort, 3);
  DecodedKey d = decode_ok(w.bytes());
  EXPECT_EQ(d.fitness, KeyFitness::kPerfect);
  EXPECT_EQ(d.key.md.in_port, 3u);
  EXPECT_EQ(d.key.md.packet_type, 0u);
  EXPECT_EQ(d.key.eth_type, hton16(ethertype::kNone));
}

TEST(DecodeKey, MissingInPortMeansNone) {
  DecodedKey d = decode_ok({});
  EXPECT_EQ(d.key.md.in_port, 0xffffffffu);
}

TEST(DecodeKey, EthertypeImpliedByIpv4) {
  NetlinkWriter w;
  put_eth(w);
  put_ipv4(w, ipproto::kGre);
  DecodedKey d = decode_ok(w.bytes());
  EXPECT_EQ(d.fitness, KeyFitness::kPerfect);
  EXPECT_EQ(d.key.eth_type, hton16(ethertype::kIpv4));
  EXPECT_EQ(d.key.nw_proto, ipproto::kGre);
}

TEST(DecodeKey, EthertypeWithoutEthIsAnL3Packet) {
  NetlinkWriter w;
  w.put_u16(kKeyEthertype, hton16(ethertype::kIpv4));
  put_ipv4(w, 200);
  DecodedKey d = decode_ok(w.bytes());
  EXPECT_EQ(d.fitness, KeyFitness::kPerfect);
  EXPECT_EQ(d.key.md.packet_type, hton32(0x10800));
}

TEST(DecodeKey, TunnelPadIsIgnored) {
  NetlinkWriter w;
  size_t t = w.begin_nested(kKeyTunnel);
  w.put_flag(kTunnelPad);
  w.put_u32(kTunnelIpv4Dst, ip4("1.2.3.4"));
  w.put_u8(kTunnelTtl, 5);
  w.end_nested(t);
  DecodedKey d = decode_ok(w.bytes());
  EXPECT_EQ(d.fitness, KeyFitness::kPerfect) << d.detail;
  EXPECT_EQ(d.key.md.tunnel.ttl, 5);
}

// ---------------------------------------------------------------- fitness

struct FitnessCase {
  const char* name;
  Bytes attrs;
  KeyFitness fitness;
  const char* detail;
};

Bytes vlan_attrs(uint16_t tpid, uint16_t tci, bool with_encap, const Bytes& inner) {
  NetlinkWriter w;
  put_eth(w);
  w.put_u16(kKeyEthertype, hton16(tpid));
  w.put_u16(kKeyVlan, hton16(tci));
  if (with_encap) w.put(kKeyEncap, inner.data(), inner.size());
  return w.bytes();
}

Bytes inner_ipv4_udp() {
  NetlinkWriter w;
  w.put_u16(kKeyEthertype, hton16(ethertype::kIpv4));
  put_ipv4(w, ipproto::kUdp);
  w.put_struct(kKeyUdp, KeyPorts{1, 2});
  return w.bytes();
}

std::vector<FitnessCase> fitness_cases() {
  std::vector<FitnessCase> cases;
  {
    NetlinkWriter w;
    put_eth(w);
    w.put_u16(kKeyEthertype, hton16(ethertype::kIpv4));
    cases.push_back({"ipv4 missing", w.bytes(), KeyFitness::kTooLittle,
                     "missing ipv4 attribute, which eth_type(0x0800) implies"});
  }
  cases.push_back({"tcp missing", ipv4_key_with(ipproto::kTcp, [](NetlinkWriter&) {}),
                   KeyFitness::kTooLittle, "missing tcp attribute, which ipv4(proto=6) implies"});
  cases.push_back({"l4 on later fragment",
                   ipv4_key_with(ipproto::kTcp,
                                 [](NetlinkWriter& w) { w.put_struct(kKeyTcp, KeyPorts{1, 2}); },
                                 kFragTypeLater),
                   KeyFitness::kTooMuch, "unexpected tcp attribute"});
  cases.push_back({"tcp_flags on udp", ipv4_key_with(ipproto::kUdp, [](NetlinkWriter& w) {
                     w.put_struct(kKeyUdp, KeyPorts{1, 2});
                     w.put_u16(kKeyTcpFlags, hton16(2));
                   }),
                   KeyFitness::kTooMuch, "unexpected tcp_flags attribute"});
  cases.push_back({"unknown type", ipv4_key_with(ipproto::kUdp, [](NetlinkWriter& w) {
                     w.put_struct(kKeyUdp, KeyPorts{1, 2});
                     w.put_u32(40, 7);
                   }),
                   KeyFitness::kTooMuch, "unknown attribute type 40"});
  cases.push_back({"ipv6_exthdrs not modelled", ipv4_key_with(ipproto::kUdp, [](NetlinkWriter& w) {
                     w.put_struct(kKeyUdp, KeyPorts{1, 2});
                     w.put_u16(kKeyIpv6Exthdrs, 0);
                   }),
                   KeyFitness::kTooMuch, "unexpected ipv6_exthdrs attribute"});
  cases.push_back({"unspec", ipv4_key_with(ipproto::kUdp, [](NetlinkWriter& w) {
                     w.put_struct(kKeyUdp, KeyPorts{1, 2});
                     w.put_flag(kKeyUnspec);
                   }),
                   KeyFitness::kTooMuch, "unexpected unspec attribute"});
  cases.push_back({"icmp on ipv6 proto", ipv4_key_with(ipproto::kIcmpv6, [](NetlinkWriter& w) {
                     w.put_struct(kKeyIcmpv6, KeyIcmp{128, 0});
                   }),
                   KeyFitness::kTooMuch, "unexpected icmpv6 attribute"});
  cases.push_back({"vlan without encap", vlan_attrs(0x8100, kVlanCfi | 5, false, {}),
                   KeyFitness::kTooLittle, "missing encap attribute, which eth_type(0x8100) implies"});
  {
    NetlinkWriter w;
    put_eth(w);
    w.put_u16(kKeyEthertype, hton16(0x8100));
    Bytes inner = inner_ipv4_udp();
    w.put(kKeyEncap, inner.data(), inner.size());
    cases.push_back({"encap without vlan", w.bytes(), KeyFitness::kTooLittle,
                     "missing vlan attribute, which eth_type(0x8100) implies"});
  }
  cases.push_back({"truncated vlan with content", vlan_attrs(0x8100, 0, true, inner_ipv4_udp()),
                   KeyFitness::kTooMuch, "encap after vlan(0) should be empty"});
  {
    Bytes inner = inner_ipv4_udp();
    Bytes with_port;
    NetlinkWriter iw(&with_port);
    iw.put_u32(kKeyInPort, 9);
    with_port.insert(with_port.end(), inner.begin(), inner.end());
    cases.push_back({"metadata inside encap", vlan_attrs(0x8100, kVlanCfi | 5, true, with_port),
                     KeyFitness::kTooMuch, "unexpected in_port attribute in encap"});
  }
  {
    Bytes attrs = vlan_attrs(0x8100, kVlanCfi | 5, true, inner_ipv4_udp());
    NetlinkWriter w(&attrs);
    put_ipv4(w, ipproto::kUdp);
    cases.push_back({"l3 outside the encap", attrs, KeyFitness::kTooMuch,
                     "unexpected ipv4 attribute"});
  }
  {
    // Three nested tags: the third is not parsed.
    Bytes innermost = vlan_attrs(0x8100, kVlanCfi | 3, true, inner_ipv4_udp());
    innermost.erase(innermost.begin(), innermost.begin() + 16);  // drop eth
    Bytes middle = vlan_attrs(0x8100, kVlanCfi | 2, true, innermost);
    middle.erase(middle.begin(), middle.begin() + 16);
    cases.push_back({"over-deep encap", vlan_attrs(0x88a8, kVlanCfi | 1, true, middle),
                     KeyFitness::kTooMuch, "unexpected encap attribute in inner encap"});
  }
  {
    NetlinkWriter w;
    put_eth(w);
    w.put_u16(kKeyEthertype, hton16(ethertype::kMplsUnicast));
    be32 labels[4] = {lse(1, 0, false, 1), lse(2, 0, false, 1), lse(3, 0, false, 1),
                      lse(4, 0, true, 1)};
    w.put(kKeyMpls, labels, sizeof labels);
    cases.push_back({"four mpls labels", w.bytes(), KeyFitness::kTooMuch,
                     "mpls attribute has 4 labels, at most 3 are kept"});
  }
  {
    NetlinkWriter w;
    put_eth(w);
    w.put_u16(kKeyEthertype, hton16(ethertype::kMplsUnicast));
    w.put_u32(kKeyMpls, lse(1, 0, false, 1));
    cases.push_back({"mpls without bottom", w.bytes(), KeyFitness::kTooLittle,
                     "mpls attribute has 1 label and none with bos=1: a stack of fewer than 3 labels must end "
                     "at the bottom"});
  }
  {
    Bytes attrs = encode(ipv4_tcp_key());  // ct_state 0: no tuple expected
    NetlinkWriter w(&attrs);
    w.put_struct(kKeyCtOrigTupleIpv4, KeyCtTupleIpv4{1, 2, 3, 4, 6, {}});
    cases.push_back({"ct tuple untracked", attrs, KeyFitness::kTooMuch,
                     "unexpected ct_tuple4 attribute"});
  }
  {
    Bytes attrs = encode(conntrack_ipv4_key());
    NetlinkWriter w(&attrs);
    w.put_struct(kKeyCtOrigTupleIpv6, KeyCtTupleIpv6{});
    cases.push_back({"ct tuple6 on ipv4", attrs, KeyFitness::kTooMuch,
                     "unexpected ct_tuple6 attribute"});
  }
  {
    Bytes attrs = encode(ipv6_udp_key());
    NetlinkWriter w(&attrs);
    w.put_struct(kKeyNdExtensions, KeyNdExtensions{1, 1, {}});
    cases.push_back({"nd_ext without nd", attrs, KeyFitness::kTooMuch,
                     "unexpected nd_ext attribute"});
  }
  {
    NetlinkWriter w;
    put_eth(w);
    w.put_u16(kKeyEthertype, hton16(ethertype::kNsh));
    w.end_nested(w.begin_nested(kKeyNsh));
    cases.push_back({"nsh without base", w.bytes(), KeyFitness::kTooLittle,
                     "nsh attribute lacks base"});
  }
  {
    NetlinkWriter w;
    put_eth(w);
    w.put_u16(kKeyEthertype, hton16(ethertype::kNsh));
    size_t n = w.begin_nested(kKeyNsh);
    w.put_struct(kNshBase, NshBase{0, 63, 2, 1, 0});
    w.put_u32(kNshMd2, 0);
    w.end_nested(n);
    cases.push_back({"nsh md2", w.bytes(), KeyFitness::kTooMuch,
                     "nsh md2 metadata is not modelled"});
  }
  {
    NetlinkWriter w;
    size_t t = w.begin_nested(kKeyTunnel);
    w.put_u32(kTunnelIpv4Dst, 1);
    w.put_u8(kTunnelTtl, 1);
    w.put_u32(30, 0);
    w.end_nested(t);
    cases.push_back({"unknown tunnel attribute", w.bytes(), KeyFitness::kTooMuch,
                     "tunnel has unknown attribute type 30"});
  }
  {
    NetlinkWriter w;
    w.put_u32(kKeyPacketType, hton32(0x10800));
    cases.push_back({"l3 packet without eth_type", w.bytes(), KeyFitness::kTooLittle,
                     "missing eth_type attribute, which packet_type(ns=1,id=0x800) implies"});
  }
  {
    // Missing outranks extra.
    Bytes attrs = ipv4_key_with(ipproto::kTcp, [](NetlinkWriter& w) { w.put_u32(45, 0); });
    cases.push_back({"missing and unknown", attrs, KeyFitness::kTooLittle,
                     "missing tcp attribute, which ipv4(proto=6) implies"});
  }
  {
    // The L3 attribute inside a tag, and udp for ipv4 proto 17.
    NetlinkWriter inner;
    inner.put_u16(kKeyEthertype, hton16(ethertype::kIpv4));
    cases.push_back({"encap without its l3 attribute",
                     vlan_attrs(0x8100, kVlanCfi | 5, true, inner.bytes()), KeyFitness::kTooLittle,
                     "missing ipv4 attribute in encap, which eth_type(0x0800) implies"});
  }
  cases.push_back({"udp missing", ipv4_key_with(ipproto::kUdp, [](NetlinkWriter&) {}),
                   KeyFitness::kTooLittle, "missing udp attribute, which ipv4(proto=17) implies"});
  return cases;
}

TEST(DecodeKey, Fitness) {
  for (const FitnessCase& c : fitness_cases()) {
    SCOPED_TRACE(c.name);
    auto d = decode_key(c.attrs);
    ASSERT_TRUE(d.ok()) << d.error();
    EXPECT_EQ(d->fitness, c.fitness) << to_string(d->fitness);
    EXPECT_EQ(d->detail, c.detail);
    // Whatever was kept re-encodes to a key that decodes to the same thing.
    auto again = decode_key(encode(d->key));
    ASSERT_TRUE(again.ok()) << again.error();
    EXPECT_TRUE(again->key == d->key);
  }
}

// Under vlan-limit 1 (Open vSwitch's default) a key takes one tag: a QinQ
// packet's key ends at the inner TPID, which is how Open vSwitch keys it.
TEST(DecodeKey, VlanLimitOneEndsTheKeyAtTheInnerTpid) {
  NetlinkWriter inner;
  inner.put_u16(kKeyEthertype, hton16(0x8100));
  Bytes stock = vlan_attrs(0x88a8, kVlanCfi | 5, true, inner.bytes());
  auto one = decode_key(stock, 1);
  ASSERT_TRUE(one.ok()) << one.error();
  EXPECT_EQ(one->fitness, KeyFitness::kPerfect) << one->detail;
  EXPECT_EQ(one->key.vlans[0].tpid, hton16(0x88a8));
  EXPECT_EQ(one->key.vlans[1].tci, 0);
  EXPECT_EQ(one->key.eth_type, hton16(0x8100));
  {
    // Written back under the limit, it ends at the TPID as Open vSwitch
    // writes it (not as a cut tag, vlan(0),encap(), which reads as one
    // under two tags).
    NetlinkWriter again;
    encode_key(one->key, again, nullptr, 1);
    auto back = decode_key(again.bytes(), 1);
    ASSERT_TRUE(back.ok()) << back.error();
    EXPECT_EQ(back->fitness, KeyFitness::kPerfect) << back->detail;
    EXPECT_TRUE(back->key == one->key);
    auto as_two = decode_key(again.bytes());
    ASSERT_TRUE(as_two.ok()) << as_two.error();
    EXPECT_EQ(as_two->fitness, KeyFitness::kTooLittle);
  }
  // Under two tags the same attributes say "a second tag, cut": they lack
  // its vlan and encap, as Open vSwitch with vlan-limit 2 finds too.
  auto two = decode_key(stock);
  ASSERT_TRUE(two.ok()) << two.error();
  EXPECT_EQ(two->fitness, KeyFitness::kTooLittle);
  EXPECT_EQ(two->detail, "missing encap attribute in encap, which eth_type(0x8100) implies");
}

TEST(DecodeKey, VlanLimitOneRefusesASecondTag) {
  Bytes inner = vlan_attrs(0x8100, kVlanCfi | 6, true, inner_ipv4_udp());
  inner.erase(inner.begin(), inner.begin() + 16);  // the eth attribute: only the top has one
  Bytes qinq = vlan_attrs(0x88a8, kVlanCfi | 5, true, inner);
  auto two = decode_key(qinq);
  ASSERT_TRUE(two.ok()) << two.error();
  EXPECT_EQ(two->fitness, KeyFitness::kPerfect) << two->detail;
  EXPECT_EQ(two->key.vlans[1].tci, hton16(kVlanCfi | 6));
  auto one = decode_key(qinq, 1);
  ASSERT_TRUE(one.ok()) << one.error();
  EXPECT_EQ(one->fitness, KeyFitness::kTooMuch);
  EXPECT_EQ(one->detail,
            "vlan attribute in encap is a tag past the vlan-limit (1 tag parsed); the key must "
            "end at eth_type(0x8100)");
  EXPECT_EQ(one->key.vlans[1].tci, 0);
}

TEST(DecodeKey, ExtraAttributesAreNotStored) {
  Bytes attrs = ipv4_key_with(ipproto::kTcp, [](NetlinkWriter& w) {
    w.put_struct(kKeyTcp, KeyPorts{hton16(1), hton16(2)});
  }, kFragTypeLater);
  DecodedKey d = decode_ok(attrs);
  EXPECT_EQ(d.key.tp_src, 0);
  EXPECT_EQ(d.key.nw_frag, kFragAny | kFragLater);
}

TEST(DecodeKey, FourMplsLabelsKeepThree) {
  NetlinkWriter w;
  put_eth(w);
  w.put_u16(kKeyEthertype, hton16(ethertype::kMplsUnicast));
  be32 labels[4] = {lse(1, 0, false, 1), lse(2, 0, false, 1), lse(3, 0, false, 1),
                    lse(4, 0, true, 1)};
  w.put(kKeyMpls, labels, sizeof labels);
  DecodedKey d = decode_ok(w.bytes());
  EXPECT_EQ(d.key.mpls_lse[2], labels[2]);
}

TEST(FitnessName, Strings) {
  EXPECT_STREQ(to_string(KeyFitness::kPerfect), "perfect");
  EXPECT_STREQ(to_string(KeyFitness::kTooMuch), "too_much");
  EXPECT_STREQ(to_string(KeyFitness::kTooLittle), "too_little");
}

// ---------------------------------------------------------------- malformed

TEST(DecodeKey, TruncatedHeader) {
  Bytes attrs = encode(ipv4_tcp_key());
  attrs.push_back(0x08);
  attrs.push_back(0x00);
  EXPECT_EQ(decode_error(attrs), "truncated netlink attribute header at offset " +
                                     std::to_string(attrs.size() - 2));
}

TEST(DecodeKey, LengthPastBuffer) {
  Bytes attrs = {0x10, 0x00, 0x07, 0x00, 1, 2, 3, 4};
  EXPECT_EQ(decode_error(attrs), "netlink attribute at offset 0 has bad length 16 (8 bytes left)");
}

TEST(DecodeKey, EveryFixedSizeAttributeWithWrongLength) {
  struct Expect {
    uint16_t type;
    const char* name;
    int len;
  };
  const Expect fixed[] = {
      {kKeyUnspec, "unspec", 0},       {kKeyPriority, "skb_priority", 4},
      {kKeyInPort, "in_port", 4},      {kKeyEthernet, "eth", 12},
      {kKeyVlan, "vlan", 2},           {kKeyEthertype, "eth_type", 2},
      {kKeyIpv4, "ipv4", 12},          {kKeyIpv6, "ipv6", 40},
      {kKeyTcp, "tcp", 4},             {kKeyUdp, "udp", 4},
      {kKeyIcmp, "icmp", 2},           {kKeyIcmpv6, "icmpv6", 2},
      {kKeyArp, "arp", 24},            {kKeyNd, "nd", 28},
      {kKeySkbMark, "skb_mark", 4},    {kKeySctp, "sctp", 4},
      {kKeyTcpFlags, "tcp_flags", 2},  {kKeyDpHash, "dp_hash", 4},
      {kKeyRecircId, "recirc_id", 4},  {kKeyCtState, "ct_state", 4},
      {kKeyCtZone, "ct_zone", 2},      {kKeyCtMark, "ct_mark", 4},
      {kKeyCtLabels, "ct_label", 16},  {kKeyCtOrigTupleIpv4, "ct_tuple4", 16},
      {kKeyCtOrigTupleIpv6, "ct_tuple6", 40}, {kKeyPacketType, "packet_type", 4},
      {kKeyNdExtensions, "nd_ext", 8}, {kKeyIpv6Exthdrs, "ipv6_exthdrs", 2},
  };
  for (const Expect& e : fixed) {
    for (int len : {e.len + 1, e.len - 1}) {
      if (len < 0) continue;
      SCOPED_TRACE(e.name + std::string(" len ") + std::to_string(len));
      Bytes payload(static_cast<size_t>(len), 0);
      NetlinkWriter w;
      w.put(e.type, payload.data(), payload.size());
      std::string want = std::string(e.name) + " attribute has length " + std::to_string(len) +
                         ", expected " + std::to_string(e.len);
      EXPECT_EQ(decode_error(w.bytes()), want);
      // Inside an encap the same check applies and says where.
      Bytes attrs = vlan_attrs(0x8100, kVlanCfi | 1, true, w.bytes());
      EXPECT_EQ(decode_error(attrs), "encap: " + want);
      // And a mask is held to the same lengths.
      auto m = decode_mask(w.bytes(), ipv4_tcp_key());
      ASSERT_FALSE(m.ok());
      EXPECT_EQ(m.error(), want);
    }
  }
}

TEST(DecodeKey, DuplicateAttributes) {
  Bytes attrs = encode(ipv4_tcp_key());
  NetlinkWriter w(&attrs);
  w.put_u32(kKeySkbMark, 1);
  EXPECT_EQ(decode_error(attrs), "duplicate skb_mark attribute");

  NetlinkWriter inner;
  inner.put_u16(kKeyEthertype, hton16(ethertype::kIpv4));
  put_ipv4(inner, 1);
  put_ipv4(inner, 1);
  EXPECT_EQ(decode_error(vlan_attrs(0x8100, kVlanCfi | 1, true, inner.bytes())),
            "encap: duplicate ipv4 attribute");
}

TEST(DecodeKey, KernelTunnelInfoIsRefused) {
  NetlinkWriter w;
  w.put_u32(kKeyTunnelInfo, 0);
  EXPECT_EQ(decode_error(w.bytes()),
            "tunnel_info attribute is kernel-internal and not valid in a flow key");
}

TEST(DecodeKey, BadNestingInsideEncap) {
  Bytes inner = {0x0c, 0x00, 0x06, 0x00, 0x08, 0x00};  // length past the encap
  EXPECT_EQ(decode_error(vlan_attrs(0x8100, kVlanCfi | 1, true, inner)),
            "encap: netlink attribute at offset 0 has bad length 12 (6 bytes left)");
  Bytes stray = {0x06, 0x00, 0x06, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01};
  EXPECT_EQ(decode_error(vlan_attrs(0x8100, kVlanCfi | 1, true, stray)),
            "encap: truncated netlink attribute header at offset 8");
}

TEST(DecodeKey, ValuesNoPacketHas) {
  EXPECT_EQ(decode_error(vlan_attrs(0x8100, 0x0005, true, inner_ipv4_udp())),
            "vlan attribute 0x0005 is non-zero but lacks the CFI bit (0x1000)");
  EXPECT_EQ(decode_error(ipv4_key_with(1, [](NetlinkWriter&) {}, 3)),
            "ipv4 attribute has frag value 3, expected 0 (no), 1 (first) or 2 (later)");
  {
    NetlinkWriter w;
    w.put_u16(kKeyEthertype, hton16(ethertype::kIpv6));
    KeyIpv6 ip{};
    ip.label = hton32(0x100000);
    w.put_struct(kKeyIpv6, ip);
    EXPECT_EQ(decode_error(w.bytes()), "ipv6 attribute has label 0x100000, wider than 20 bits");
    ip.label = 0;
    ip.frag = 7;
    NetlinkWriter w2;
    w2.put_u16(kKeyEthertype, hton16(ethertype::kIpv6));
    w2.put_struct(kKeyIpv6, ip);
    EXPECT_EQ(decode_error(w2.bytes()),
              "ipv6 attribute has frag value 7, expected 0 (no), 1 (first) or 2 (later)");
  }
  {
    NetlinkWriter w;
    put_eth(w);
    w.put_u16(kKeyEthertype, hton16(ethertype::kArp));
    KeyArp arp{};
    arp.op = hton16(0x100);
    w.put_struct(kKeyArp, arp);
    EXPECT_EQ(decode_error(w.bytes()), "arp attribute has opcode 256, only 8-bit opcodes are "
                                       "supported");
  }
  {
    NetlinkWriter w;
    put_eth(w);
    w.put_u16(kKeyEthertype, hton16(0x05dc));
    EXPECT_EQ(decode_error(w.bytes()), "eth_type 0x05dc is not an EtherType (below 0x0600)");
  }
  {
    NetlinkWriter w;
    w.put_u32(kKeyCtState, 0x100);
    EXPECT_EQ(decode_error(w.bytes()), "ct_state 0x100 has bits outside the known flags (0xff)");
  }
  EXPECT_EQ(decode_error(ipv4_key_with(ipproto::kTcp, [](NetlinkWriter& w) {
              w.put_struct(kKeyTcp, KeyPorts{});
              w.put_u16(kKeyTcpFlags, hton16(0x1002));
            })),
            "tcp_flags attribute 0x1002 has bits outside the 12 TCP flag bits");
  {
    NetlinkWriter w;
    w.put_u32(kKeyPacketType, hton32(0x10800));
    put_eth(w);
    EXPECT_EQ(decode_error(w.bytes()), "eth attribute contradicts packet_type(ns=1,id=0x800) "
                                       "(eth means packet_type(ns=0,id=0))");
  }
  {
    NetlinkWriter w;
    w.put_u32(kKeyPacketType, hton32(0x186dd));
    w.put_u16(kKeyEthertype, hton16(ethertype::kIpv4));
    EXPECT_EQ(decode_error(w.bytes()),
              "packet_type(ns=1,id=0x86dd) contradicts eth_type 0x0800 without eth");
  }
}

TEST(DecodeKey, MalformedMpls) {
  auto with_mpls = [](const void* data, size_t len) {
    NetlinkWriter w;
    put_eth(w);
    w.put_u16(kKeyEthertype, hton16(ethertype::kMplsUnicast));
    w.put(kKeyMpls, data, len);
    return w.bytes();
  };
  uint8_t six[6] = {};
  EXPECT_EQ(decode_error(with_mpls(six, 6)),
            "mpls attribute has length 6, expected a non-zero multiple of 4");
  EXPECT_EQ(decode_error(with_mpls(nullptr, 0)),
            "mpls attribute has length 0, expected a non-zero multiple of 4");
  be32 labels[2] = {lse(1, 0, true, 1), lse(2, 0, true, 1)};
  EXPECT_EQ(decode_error(with_mpls(labels, sizeof labels)),
            "mpls label 0 of 2 has the bottom-of-stack bit, which only the last may have");
}

Bytes tunnel_attrs(const std::function<void(NetlinkWriter&)>& body) {
  NetlinkWriter w;
  size_t t = w.begin_nested(kKeyTunnel);
  body(w);
  w.end_nested(t);
  return w.bytes();
}

TEST(DecodeKey, MalformedTunnel) {
  struct Expect {
    uint16_t type;
    const char* name;
    int len;
  };
  const Expect fixed[] = {
      {kTunnelId, "tun_id", 8},       {kTunnelIpv4Src, "src", 4},
      {kTunnelIpv4Dst, "dst", 4},     {kTunnelTos, "tos", 1},
      {kTunnelTtl, "ttl", 1},         {kTunnelDontFragment, "df", 0},
      {kTunnelCsum, "csum", 0},       {kTunnelOam, "oam", 0},
      {kTunnelTpSrc, "tp_src", 2},    {kTunnelTpDst, "tp_dst", 2},
      {kTunnelIpv6Src, "ipv6_src", 16}, {kTunnelIpv6Dst, "ipv6_dst", 16},
      {kTunnelErspanOpts, "erspan", 12}, {kTunnelGtpuOpts, "gtpu", 2},
  };
  for (const Expect& e : fixed) {
    SCOPED_TRACE(e.name);
    Bytes payload(static_cast<size_t>(e.len + 1), 0);
    Bytes attrs =
        tunnel_attrs([&](NetlinkWriter& w) { w.put(e.type, payload.data(), payload.size()); });
    EXPECT_EQ(decode_error(attrs), std::string("tunnel ") + e.name + " attribute has length " +
                                       std::to_string(e.len + 1) + ", expected " +
                                       std::to_string(e.len));
  }
  auto dst_ttl = [](NetlinkWriter& w) {
    w.put_u32(kTunnelIpv4Dst, ip4("1.1.1.1"));
    w.put_u8(kTunnelTtl, 64);
  };
  {  // A tunnel key without ttl decodes with ttl 0 (megaflows that ignore it print none).
    NetlinkWriter w;
    size_t nest = w.begin_nested(kKeyTunnel);
    w.put_u32(kTunnelIpv4Dst, 1);
    w.end_nested(nest);
    auto decoded = decode_key(w.bytes());
    ASSERT_TRUE(decoded.ok()) << decoded.error();
    EXPECT_EQ(decoded->key.md.tunnel.ttl, 0);
    EXPECT_EQ(decoded->key.md.tunnel.ipv4_dst, 1u);
  }
  EXPECT_EQ(decode_error(tunnel_attrs([](NetlinkWriter& w) { w.put_u8(kTunnelTtl, 1); })),
            "tunnel attribute has no destination address");
  EXPECT_EQ(decode_error(tunnel_attrs([&](NetlinkWriter& w) {
              dst_ttl(w);
              uint8_t v6[16] = {0x20, 1};
              w.put(kTunnelIpv6Src, v6, 16);
            })),
            "tunnel attribute mixes IPv4 and IPv6 addresses");
  EXPECT_EQ(decode_error(tunnel_attrs([&](NetlinkWriter& w) {
              dst_ttl(w);
              w.put_u8(kTunnelTtl, 1);
            })),
            "duplicate tunnel ttl attribute");
  EXPECT_EQ(decode_error(tunnel_attrs([&](NetlinkWriter& w) {
              dst_ttl(w);
              ErspanMetadata md{};
              md.version = 3;
              w.put_struct(kTunnelErspanOpts, md);
            })),
            "tunnel erspan attribute has version 3, expected 1 or 2");
  EXPECT_EQ(decode_error(tunnel_attrs([&](NetlinkWriter& w) {
              dst_ttl(w);
              w.put_struct(kTunnelGtpuOpts, GtpuMetadata{0x30, 0});
            })),
            "tunnel gtpu attribute needs non-zero flags and msgtype (has 0x30, 0)");
  EXPECT_EQ(decode_error(tunnel_attrs([&](NetlinkWriter& w) {
              dst_ttl(w);
              uint8_t opts[5] = {};
              w.put(kTunnelGeneveOpts, opts, 5);
            })),
            "tunnel geneve attribute has length 5, expected a multiple of 4 up to 252");
  EXPECT_EQ(decode_error(tunnel_attrs([&](NetlinkWriter& w) {
              dst_ttl(w);
              uint8_t opts[8] = {0, 1, 2, 2, 0, 0, 0, 0};  // claims 2 words of data, has 1
              w.put(kTunnelGeneveOpts, opts, 8);
            })),
            "tunnel geneve option at offset 0 has length 12 but only 8 bytes remain");
  EXPECT_EQ(decode_error(tunnel_attrs([&](NetlinkWriter& w) {
              dst_ttl(w);
              size_t v = w.begin_nested(kTunnelVxlanOpts);
              w.put_u32(kVxlanExtGbp, 0x01000000);
              w.end_nested(v);
            })),
            "tunnel vxlan gbp 0x1000000 has bits above the 8 flag bits and the 16-bit policy id");
  EXPECT_EQ(decode_error(tunnel_attrs([&](NetlinkWriter& w) {
              dst_ttl(w);
              size_t v = w.begin_nested(kTunnelVxlanOpts);
              w.put_u16(kVxlanExtGbp, 1);
              w.end_nested(v);
            })),
            "tunnel vxlan gbp attribute has length 2, expected 4");
  Bytes cut = tunnel_attrs([&](NetlinkWriter& w) {
    dst_ttl(w);
    w.put_u8(kTunnelTos, 1);
  });
  cut[0] -= 4;  // the tunnel now ends inside its last attribute
  cut.resize(cut.size() - 4);
  EXPECT_EQ(decode_error(cut), "tunnel: netlink attribute at offset 16 has bad length 5 (4 bytes "
                               "left)");
}

TEST(DecodeKey, MalformedNsh) {
  auto nsh = [](const std::function<void(NetlinkWriter&)>& body) {
    NetlinkWriter w;
    put_eth(w);
    w.put_u16(kKeyEthertype, hton16(ethertype::kNsh));
    size_t n = w.begin_nested(kKeyNsh);
    body(w);
    w.end_nested(n);
    return w.bytes();
  };
  EXPECT_EQ(decode_error(nsh([](NetlinkWriter& w) { w.put_u32(kNshBase, 0); })),
            "nsh base attribute has length 4, expected 8");
  EXPECT_EQ(decode_error(nsh([](NetlinkWriter& w) {
              w.put_struct(kNshBase, NshBase{0, 63, 1, 3, 0});
              w.put_u32(kNshMd1, 0);
            })),
            "nsh md1 attribute has length 4, expected 16");
  EXPECT_EQ(decode_error(nsh([](NetlinkWriter& w) {
              w.put_struct(kNshBase, NshBase{0, 63, 1, 3, 0});
              w.put_struct(kNshBase, NshBase{0, 63, 1, 3, 0});
            })),
            "duplicate nsh base attribute");
  EXPECT_EQ(decode_error(nsh([](NetlinkWriter& w) {
              w.put_struct(kNshBase, NshBase{0, 63, 2, 3, 0});
              w.put_struct(kNshMd1, NshMd1{});
            })),
            "nsh md1 attribute given for mdtype 2, expected mdtype 1");
  EXPECT_EQ(decode_error(nsh([](NetlinkWriter& w) {
              uint8_t stray[2] = {8, 0};
              w.put_struct(kNshBase, NshBase{0, 63, 2, 3, 0});
              w.bytes().insert(w.bytes().end(), stray, stray + 2);
            })),
            "nsh: truncated netlink attribute header at offset 12");
}

// ---------------------------------------------------------------- masks

FlowMask tcp_megaflow_mask() {
  FlowMask m = FlowMask::wildcard_all();
  m.bits.md.in_port = 0xffffffff;
  m.bits.md.recirc_id = 0xffffffff;
  m.bits.eth_dst = mac("ff:ff:ff:ff:ff:ff");
  m.bits.eth_type = 0xffff;
  m.bits.vlans[0] = VlanTag{0xffff, 0xffff};
  m.bits.ipv4_dst = ip4("255.255.255.0");
  m.bits.nw_proto = 0xff;
  m.bits.nw_frag = kFragMask;
  m.bits.tp_dst = 0xffff;
  m.bits.tcp_flags = hton16(0x0fff);
  return m;
}

TEST(EncodeMask, ExactBytesOfTheHeaders) {
  Bytes h = headers_of(encode(tcp_megaflow_mask(), ipv4_tcp_key()));
  Bytes expected = {
      0x10, 0x00, 0x04, 0x00, 0, 0, 0, 0, 0, 0,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff,              // eth(dst exact)
      0x06, 0x00, 0x06, 0x00, 0xff, 0xff, 0x00, 0x00,  // eth_type mask
      0x10, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00,  // ipv4: src any,
      0xff, 0xff, 0xff, 0x00, 0xff, 0x00, 0x00, 0xff,  //   dst /24, proto, frag all-or-nothing
      0x08, 0x00, 0x09, 0x00, 0x00, 0x00, 0xff, 0xff,  // tcp(dst exact)
      0x06, 0x00, 0x12, 0x00, 0x0f, 0xff, 0x00, 0x00,  // tcp_flags mask
  };
  EXPECT_EQ(h, expected);
}

TEST(DecodeMask, RoundTripOfAMegaflowMask) {
  FlowKey k = ipv4_tcp_key();
  FlowMask m = tcp_megaflow_mask();
  auto back = decode_mask(encode(m, k), k);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_TRUE(*back == m);
}

TEST(DecodeMask, AbsentRecircIdAndPacketTypeAreExactAndAbsentFieldsWildcarded) {
  NetlinkWriter w;
  w.put_u32(kKeyInPort, 0xffffffff);
  w.put_u16(kKeyEthertype, 0xffff);
  auto m = decode_mask(w.bytes(), ipv4_tcp_key());
  ASSERT_TRUE(m.ok()) << m.error();
  FlowMask expected = FlowMask::wildcard_all();
  expected.bits.md.in_port = 0xffffffff;
  expected.bits.md.recirc_id = 0xffffffff;
  expected.bits.md.packet_type = 0xffffffff;
  expected.bits.eth_type = 0xffff;
  expected.bits.vlans[0] = VlanTag{0xffff, 0xffff};  // "no VLAN" is matched
  EXPECT_TRUE(*m == expected);
}

TEST(EncodeMask, ExactPacketTypeIsImpliedAndLeftOut) {
  FlowKey k = ipv4_tcp_key();
  FlowMask m = FlowMask::wildcard_all();
  m.bits.md.packet_type = 0xffffffff;
  NetlinkWriter w;
  encode_mask(m, k, w);
  bool has_packet_type = false;
  ASSERT_TRUE(for_each_attribute(w.bytes(), [&](const NetlinkAttr& a) -> Status {
                if (a.type == kKeyPacketType) has_packet_type = true;
                return Ok{};
              }).ok());
  EXPECT_FALSE(has_packet_type);
  auto back = decode_mask(w.bytes(), k);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(back->bits.md.packet_type, 0xffffffffu);
}

TEST(DecodeMask, EmptyMaskIsTheKeysMinimalMask) {
  FlowKey k = neighbor_advert_with_flags_key();
  auto m = decode_mask({}, k);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(*m == minimal_mask(k));
  EXPECT_EQ(m->bits.ipv6_src[15], 0xff);
  EXPECT_EQ(m->bits.nd_options_type, 0xff);
  EXPECT_EQ(m->bits.md.tunnel.ipv4_dst, 0u);  // no tunnel: not matched
}

TEST(DecodeMask, VlanMasksRoundTrip) {
  struct Case {
    const char* name;
    FlowKey key;
    FlowMask mask;
  };
  std::vector<Case> cases;
  {
    FlowMask m = FlowMask::wildcard_all();
    m.bits.md.recirc_id = 0xffffffff;
    m.bits.vlans[0] = VlanTag{0xffff, hton16(kVlanVidMask | kVlanCfi)};
    m.bits.vlans[1] = VlanTag{0xffff, 0xffff};  // no second tag
    m.bits.eth_type = 0xffff;
    m.bits.ipv4_src = 0xffffffff;
    cases.push_back({"single", vlan_key(), m});
  }
  {
    FlowMask m = FlowMask::wildcard_all();
    m.bits.md.recirc_id = 0xffffffff;
    m.bits.vlans[0] = VlanTag{0xffff, 0xffff};
    m.bits.vlans[1] = VlanTag{0xffff, hton16(kVlanPcpMask)};
    m.bits.eth_type = 0xffff;
    m.bits.nw_proto = 0xff;
    m.bits.tp_src = hton16(0xff);
    cases.push_back({"double", double_vlan_key(), m});
  }
  {
    FlowMask m = FlowMask::wildcard_all();
    m.bits.md.recirc_id = 0xffffffff;
    m.bits.eth_type = 0xffff;
    m.bits.vlans[0] = VlanTag{0xffff, 0xffff};
    cases.push_back({"truncated", truncated_vlan_key(), m});
  }
  {
    FlowMask m = FlowMask::wildcard_all();
    m.bits.md.recirc_id = 0xffffffff;
    m.bits.vlans[0] = VlanTag{0xffff, 0xffff};
    m.bits.vlans[1] = VlanTag{0xffff, 0xffff};
    m.bits.eth_type = 0xffff;
    cases.push_back({"truncated inner", truncated_inner_vlan_key(), m});
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto back = decode_mask(encode(c.mask, c.key), c.key);
    ASSERT_TRUE(back.ok()) << back.error();
    EXPECT_TRUE(*back == c.mask);
  }
}

TEST(DecodeMask, MasksOfEveryKindRoundTrip) {
  struct Case {
    const char* name;
    FlowKey key;
    FlowMask mask;
  };
  std::vector<Case> cases;
  auto base = [] {
    FlowMask m = FlowMask::wildcard_all();
    m.bits.md.recirc_id = 0xffffffff;
    m.bits.md.in_port = 0xffffffff;
    m.bits.vlans[0] = VlanTag{0xffff, 0xffff};
    m.bits.eth_type = 0xffff;
    return m;
  };
  {
    FlowMask m = base();
    ip6("ffff:ffff::", m.bits.ipv6_dst);
    m.bits.ipv6_label = hton32(0xfffff);
    m.bits.nw_proto = 0xff;
    m.bits.tp_src = 0xffff;
    cases.push_back({"ipv6 udp", ipv6_udp_key(), m});
  }
  {
    FlowMask m = base();
    m.bits.nw_proto = 0xff;
    m.bits.tp_src = hton16(0xff);
    m.bits.tp_dst = hton16(0xff);
    ip6("ffff::", m.bits.nd_target);
    m.bits.nd_tll = mac("ff:ff:ff:ff:ff:ff");
    cases.push_back({"nd", neighbor_advert_key(), m});
  }
  {
    FlowMask m = base();
    m.bits.arp_op = hton16(0x7f);  // within the low byte: 0x00ff would come back exact (0xffff)
    m.bits.arp_sha = mac("ff:ff:ff:00:00:00");
    cases.push_back({"arp", arp_key(ethertype::kArp, 2), m});
  }
  {
    FlowMask m = base();
    m.bits.mpls_lse[0] = hton32(kMplsLabelMask);
    m.bits.mpls_lse[1] = hton32(kMplsBosMask);
    cases.push_back({"mpls", mpls_key(2, true), m});
  }
  {
    FlowMask m = base();
    m.bits.nsh_path_hdr = hton32(0xffffff00);
    m.bits.nsh_context[3] = 0xffffffff;
    cases.push_back({"nsh", nsh_key(1), m});
  }
  {
    FlowMask m = base();
    m.bits.md.ct_state = kCsTracked | kCsEstablished;
    m.bits.md.ct_zone = 0xffff;
    m.bits.md.ct_label[0] = 0xf0;
    std::memset(m.bits.md.ct_orig_tuple.src, 0xff, 4);
    m.bits.md.ct_orig_tuple.proto = 0xff;
    cases.push_back({"conntrack", conntrack_ipv4_key(), m});
    // A tuple mask next to an untracked key says "no tuple".
    cases.push_back({"tuple of untracked", ipv4_tcp_key(), m});
  }
  {
    FlowMask m = base();
    m.bits.md.packet_type = 0xffffffff;
    m.bits.vlans[0] = VlanTag{};
    m.bits.nw_proto = 0xff;
    m.bits.tp_dst = 0xffff;
    cases.push_back({"l3", l3_ipv4_key(), m});
  }
  {
    FlowMask m = base();
    m.bits.eth_src = mac("ff:ff:ff:ff:ff:ff");
    cases.push_back({"802.3", ieee8023_key(), m});
  }
  {
    FlowMask m = base();
    TunnelMetadata& t = m.bits.md.tunnel;
    t.tun_id = 0xffffffffffffffffULL;
    t.ipv4_dst = 0xffffffff;
    t.ttl = 0xff;
    t.flags = kTunnelFlagKey | kTunnelFlagDontFragment | kTunnelFlagCsum | kTunnelFlagOam;
    t.gbp_id = 0xffff;
    t.geneve_length = 0xff;
    std::memset(m.bits.geneve_options, 0xff, 8);
    t.erspan_version = -1;
    t.erspan_index = hton32(0xfffff);
    t.gtpu_msgtype = 0xff;
    cases.push_back({"tunnel", full_tunnel_key(), m});
  }
  {
    FlowMask m = base();
    TunnelMetadata& t = m.bits.md.tunnel;
    t.erspan_version = -1;
    t.erspan_dir = 1;
    t.erspan_hwid = 0x3f;
    std::memset(t.ipv6_src, 0xff, 16);
    cases.push_back({"erspan v2", erspan_v2_ipv6_tunnel_key(), m});
  }
  {
    FlowMask m = base();  // tun_id exact on a key without a tunnel: "no tunnel id"
    m.bits.md.tunnel.tun_id = 0xffffffffffffffffULL;
    m.bits.md.tunnel.flags = kTunnelFlagKey;
    m.bits.md.tunnel.geneve_length = 0xff;  // and no Geneve options
    cases.push_back({"tunnel mask without tunnel", ipv4_tcp_key(), m});
  }
  {
    FlowMask m = base();
    m.bits.nw_frag = kFragMask;
    m.bits.nw_ttl = 0xff;
    cases.push_back({"later fragment", fragment_key(true), m});
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto back = decode_mask(encode(c.mask, c.key), c.key);
    ASSERT_TRUE(back.ok()) << back.error();
    EXPECT_TRUE(*back == c.mask);
  }
}

TEST(DecodeMask, FragMaskIsAllOrNothing) {
  FlowKey k = ipv4_tcp_key();
  FlowMask m = FlowMask::wildcard_all();
  m.bits.eth_type = 0xffff;
  m.bits.nw_frag = kFragAny;
  auto back = decode_mask(encode(m, k), k);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->bits.nw_frag, kFragMask);
}

TEST(DecodeMask, Errors) {
  FlowKey k = ipv4_tcp_key();
  auto error_of = [](const Bytes& attrs, const FlowKey& key) {
    auto m = decode_mask(attrs, key);
    EXPECT_FALSE(m.ok());
    return m.ok() ? std::string("(decoded)") : m.error();
  };
  {
    NetlinkWriter w;  // ipv4 bits with the EtherType only partly matched
    w.put_u16(kKeyEthertype, hton16(0xff00));
    w.put_struct(kKeyIpv4, KeyIpv4{0xffffffff, 0, 0, 0, 0, 0});
    EXPECT_EQ(error_of(w.bytes(), k),
              "ipv4 mask matches fields but the eth_type mask is 0xff00, not exact");
  }
  {
    NetlinkWriter w;  // ports without the protocol
    w.put_u16(kKeyEthertype, 0xffff);
    w.put_struct(kKeyIpv4, KeyIpv4{0, 0, 0x0f, 0, 0, 0});
    w.put_struct(kKeyTcp, KeyPorts{0, 0xffff});
    EXPECT_EQ(error_of(w.bytes(), k),
              "tcp mask matches ports but the IP protocol mask is 0xf, not exact");
  }
  {
    NetlinkWriter w;  // an L3 attribute of another kind
    w.put_u16(kKeyEthertype, 0xffff);
    w.put_struct(kKeyIpv6, KeyIpv6{});
    EXPECT_EQ(error_of(w.bytes(), k), "mask has ipv6 attribute that the key has no place for");
  }
  {
    NetlinkWriter w;
    w.put_u32(50, 0);
    EXPECT_EQ(error_of(w.bytes(), k), "mask has unknown attribute type 50");
  }
  {
    NetlinkWriter w;  // ND mask without exact ICMPv6 type and code
    w.put_u16(kKeyEthertype, 0xffff);
    KeyIpv6 ip{};
    ip.proto = 0xff;
    w.put_struct(kKeyIpv6, ip);
    w.put_struct(kKeyIcmpv6, KeyIcmp{0xff, 0});
    KeyNd nd{};
    nd.target[0] = 0xff;
    w.put_struct(kKeyNd, nd);
    EXPECT_EQ(error_of(w.bytes(), neighbor_advert_key()),
              "nd mask needs the ICMPv6 type and code matched exactly");
  }
  {
    NetlinkWriter w;  // 802.3: the EtherType mask says "exactly none" or "any"
    put_eth(w);
    auto wildcard = decode_mask(w.bytes(), ieee8023_key());
    ASSERT_TRUE(wildcard.ok()) << wildcard.error();
    EXPECT_EQ(wildcard->bits.eth_type, 0);
    w.put_u16(kKeyEthertype, hton16(0xff00));
    EXPECT_EQ(error_of(w.bytes(), ieee8023_key()),
              "eth_type mask 0xff00 must be 0xffff or 0 for a key without an Ethernet II type");
  }
  {
    NetlinkWriter w;  // eth for a packet without Ethernet
    put_eth(w);
    EXPECT_EQ(error_of(w.bytes(), l3_ipv4_key()),
              "mask has eth attribute that the key has no place for");
  }
  {
    NetlinkWriter w;  // tunnel: unknown nested attribute, wrong Geneve length
    size_t t = w.begin_nested(kKeyTunnel);
    w.put_u8(kTunnelTtl, 0xff);
    w.put_u32(20, 0);
    w.end_nested(t);
    EXPECT_EQ(error_of(w.bytes(), k), "tunnel has unknown attribute type 20");
    NetlinkWriter g;
    t = g.begin_nested(kKeyTunnel);
    uint8_t opts[4] = {};
    g.put(kTunnelGeneveOpts, opts, 4);
    g.end_nested(t);
    EXPECT_EQ(error_of(g.bytes(), k), "tunnel geneve mask has length 4, expected the key's 0");
  }
  {
    NetlinkWriter w;  // a vlan mask structure the key does not have
    w.put_u16(kKeyEthertype, 0xffff);
    w.put(kKeyEncap, nullptr, 0);
    EXPECT_EQ(error_of(w.bytes(), k), "mask has encap attribute that the key has no place for");
  }
  {
    NetlinkWriter w;
    w.put_u16(kKeyEthertype, 0xffff);
    w.put_u16(kKeyVlan, 0xffff);
    Bytes inner = {6, 0, 6, 0, 0xff, 0xff, 0, 0};
    w.put(kKeyEncap, inner.data(), inner.size());
    EXPECT_EQ(error_of(w.bytes(), truncated_vlan_key()),
              "mask has a non-empty encap after the key's vlan(0)");
  }
  {
    NetlinkWriter w;
    w.put_u16(kKeyEthertype, 0xffff);
    w.put_u16(kKeyVlan, 0xffff);
    NetlinkWriter inner;
    inner.put_u16(kKeyEthertype, 0xffff);
    inner.put_u32(kKeyInPort, 0xffffffff);
    w.put(kKeyEncap, inner.bytes().data(), inner.size());
    EXPECT_EQ(error_of(w.bytes(), vlan_key()),
              "mask has in_port attribute that the key has no place for in encap");
  }
  {
    NetlinkWriter w;
    w.put_u16(kKeyEthertype, 0xffff);
    uint8_t lses[16] = {};
    w.put(kKeyMpls, lses, 16);
    EXPECT_EQ(error_of(w.bytes(), mpls_key(1, true)),
              "mpls mask has length 16, expected 4, 8 or 12");
  }
  {
    NetlinkWriter w;
    w.put_u16(kKeyEthertype, 0xffff);
    size_t n = w.begin_nested(kKeyNsh);
    w.put_u32(kNshMd2, 0);
    w.end_nested(n);
    EXPECT_EQ(error_of(w.bytes(), nsh_key(2)), "nsh mask has unsupported attribute md2");
  }
}

TEST(DecodeMask, NshMaskIsJudgedByItsFieldsNotItsHeaders) {
  // Found by the fuzzer: an all-zero NSH mask (which encode_mask always
  // writes for an NSH key) next to a partial EtherType mask is fine.
  FlowKey k = nsh_key(1);
  FlowMask m = FlowMask::wildcard_all();
  m.bits.md.recirc_id = 0xffffffff;
  m.bits.vlans[0] = VlanTag{0xffff, 0xffff};
  m.bits.eth_type = hton16(0x00ff);
  auto back = decode_mask(encode(m, k), k);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_TRUE(*back == m);
  m.bits.nsh_ttl = 0x3f;
  auto bad = decode_mask(encode(m, k), k);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "nsh mask matches fields but the eth_type mask is 0x00ff, not exact");
}

TEST(DecodeMask, NoVlanMaskAfterTheLastTagMeansExactlyNoTag) {
  FlowKey k = vlan_key();
  NetlinkWriter w;
  w.put_u16(kKeyEthertype, 0xffff);
  w.put_u16(kKeyVlan, hton16(kVlanVidMask));
  size_t e = w.begin_nested(kKeyEncap);
  w.put_u16(kKeyEthertype, 0xffff);
  w.end_nested(e);
  auto m = decode_mask(w.bytes(), k);
  ASSERT_TRUE(m.ok()) << m.error();
  EXPECT_EQ(m->bits.vlans[0].tpid, 0xffff);
  EXPECT_EQ(m->bits.vlans[0].tci, hton16(kVlanVidMask));
  EXPECT_EQ(m->bits.vlans[1].tci, 0xffff);
  // Without the encap, everything inside is wildcarded.
  NetlinkWriter outer;
  outer.put_u16(kKeyEthertype, 0xffff);
  outer.put_u16(kKeyVlan, 0xffff);
  auto m2 = decode_mask(outer.bytes(), k);
  ASSERT_TRUE(m2.ok()) << m2.error();
  EXPECT_EQ(m2->bits.eth_type, 0);
  EXPECT_EQ(m2->bits.vlans[1].tci, 0);
}

}  // namespace
}  // namespace flowpath

namespace flowpath {
namespace {

// Found by fuzz_key_netlink: "no EtherType" (0) only exists behind an
// Ethernet header; on an L3 key it must be refused, not turned into 802.2.
TEST(DecodeKey, ZeroEthertypeWithoutEthIsAnError) {
  const uint8_t attrs[] = {0x06, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00};
  auto decoded = decode_key(attrs);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error(), "eth_type 0x0000 without eth is not an EtherType (below 0x0600)");
}

TEST(DecodeKey, ZeroEthertypeBehindEthernetIs8022) {
  NetlinkWriter w;
  w.put_struct(kKeyEthernet, KeyEthernet{});
  w.put_u16(kKeyEthertype, 0);
  auto decoded = decode_key(w.bytes());
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(ntoh16(decoded->key.eth_type), ethertype::kNone);
  NetlinkWriter again;
  encode_key(decoded->key, again);
  auto second = decode_key(again.bytes());
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->key == decoded->key);
}

}  // namespace
}  // namespace flowpath
