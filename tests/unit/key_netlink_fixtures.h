// Flow keys of every kind a packet can produce, built by hand, and small
// helpers to encode and decode them: shared by key_netlink_test.cc and
// handy for seeding the key_netlink fuzzer.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "flow/key_netlink.h"
#include "flow/odp_abi.h"

namespace flowpath::key_netlink_fixtures {

using namespace odp;
using Bytes = std::vector<uint8_t>;

// ---------------------------------------------------------------- helpers

inline be32 ip4(const char* text) {
  be32 v;
  EXPECT_EQ(inet_pton(AF_INET, text, &v), 1) << text;
  return v;
}

inline void ip6(const char* text, uint8_t out[16]) {
  EXPECT_EQ(inet_pton(AF_INET6, text, out), 1) << text;
}

inline EthAddr mac(const char* text) {
  unsigned b[6];
  EXPECT_EQ(std::sscanf(text, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]), 6);
  EthAddr a;
  for (int i = 0; i < 6; ++i) a.bytes[i] = static_cast<uint8_t>(b[i]);
  return a;
}

inline Bytes encode(const FlowKey& key) {
  NetlinkWriter w;
  encode_key(key, w);
  EXPECT_TRUE(w.ok());
  return w.bytes();
}

inline Bytes encode(const FlowMask& mask, const FlowKey& key) {
  NetlinkWriter w;
  encode_mask(mask, key, w);
  return w.bytes();
}

inline DecodedKey decode_ok(const Bytes& attrs) {
  auto r = decode_key(attrs);
  EXPECT_TRUE(r.ok()) << r.error();
  return r.ok() ? *r : DecodedKey{};
}

inline std::string decode_error(const Bytes& attrs) {
  auto r = decode_key(attrs);
  EXPECT_FALSE(r.ok());
  return r.ok() ? std::string("(decoded)") : r.error();
}

// The metadata every key starts with, as encode_key writes it for an
// all-zero metadata block with in_port 1 and an Ethernet packet.
inline void put_default_metadata(NetlinkWriter& w, uint32_t in_port = 1) {
  w.put_u32(kKeyPriority, 0);
  w.put_u32(kKeySkbMark, 0);
  w.put_u32(kKeyCtState, 0);
  w.put_u16(kKeyCtZone, 0);
  w.put_u32(kKeyCtMark, 0);
  uint8_t labels[16] = {};
  w.put(kKeyCtLabels, labels, 16);
  w.put_u32(kKeyRecircId, 0);
  w.put_u32(kKeyDpHash, 0);
  w.put_u32(kKeyInPort, in_port);
  w.put_u32(kKeyPacketType, 0);
}

inline void put_eth(NetlinkWriter& w) {
  KeyEthernet eth{{0, 1, 2, 3, 4, 5}, {0x10, 0x11, 0x12, 0x13, 0x14, 0x15}};
  w.put_struct(kKeyEthernet, eth);
}

inline void put_ipv4(NetlinkWriter& w, uint8_t proto, uint8_t frag = kFragTypeNone) {
  KeyIpv4 ip{ip4("10.0.0.1"), ip4("10.0.0.2"), proto, 0, 64, frag};
  w.put_struct(kKeyIpv4, ip);
}

// Metadata, eth, eth_type(0x0800), ipv4(proto) and then `rest`.
template <typename Rest>
Bytes ipv4_key_with(uint8_t proto, Rest&& rest, uint8_t frag = kFragTypeNone) {
  NetlinkWriter w;
  put_default_metadata(w);
  put_eth(w);
  w.put_u16(kKeyEthertype, hton16(ethertype::kIpv4));
  put_ipv4(w, proto, frag);
  rest(w);
  return w.bytes();
}

// ---------------------------------------------------------------- keys

inline FlowKey base_key() {
  FlowKey k;
  k.clear();
  k.md.in_port = 1;
  k.eth_src = mac("00:01:02:03:04:05");
  k.eth_dst = mac("10:11:12:13:14:15");
  return k;
}

inline FlowKey ipv4_tcp_key() {
  FlowKey k = base_key();
  k.eth_type = hton16(ethertype::kIpv4);
  k.ipv4_src = ip4("10.0.0.1");
  k.ipv4_dst = ip4("10.0.0.2");
  k.nw_proto = ipproto::kTcp;
  k.nw_ttl = 64;
  k.tp_src = hton16(1234);
  k.tp_dst = hton16(80);
  k.tcp_flags = hton16(0x002);  // SYN
  return k;
}

inline FlowKey ipv6_udp_key() {
  FlowKey k = base_key();
  k.eth_type = hton16(ethertype::kIpv6);
  ip6("2001:db8::1", k.ipv6_src);
  ip6("2001:db8::2", k.ipv6_dst);
  k.ipv6_label = hton32(0x12345);
  k.nw_proto = ipproto::kUdp;
  k.nw_tos = 0x28;
  k.nw_ttl = 64;
  k.tp_src = hton16(5353);
  k.tp_dst = hton16(53);
  return k;
}

inline FlowKey neighbor_advert_key() {
  FlowKey k = base_key();
  k.eth_type = hton16(ethertype::kIpv6);
  ip6("fe80::1", k.ipv6_src);
  ip6("ff02::1", k.ipv6_dst);
  k.nw_proto = ipproto::kIcmpv6;
  k.nw_ttl = 255;
  k.tp_src = hton16(kNdNeighborAdvert);
  ip6("fe80::1", k.nd_target);
  k.nd_sll = mac("00:00:00:00:00:00");
  k.nd_tll = mac("00:01:02:03:04:05");
  return k;
}

// An advertisement with its R/S/O flags and option type in the key: fields
// Open vSwitch's userspace datapath keeps out of the Netlink key (no nd_ext).
inline FlowKey neighbor_advert_with_flags_key() {
  FlowKey k = neighbor_advert_key();
  k.nd_reserved = hton32(0x60000000);  // solicited, override
  k.nd_options_type = kNdOptTargetLinkAddr;
  return k;
}

inline FlowKey neighbor_solicit_key() {
  FlowKey k = neighbor_advert_key();
  k.tp_src = hton16(kNdNeighborSolicit);
  k.nd_sll = mac("00:01:02:03:04:05");
  k.nd_tll = mac("00:00:00:00:00:00");
  return k;
}

inline FlowKey arp_key(uint16_t type, uint16_t op) {
  FlowKey k = base_key();
  k.eth_type = hton16(type);
  k.ipv4_src = ip4("192.168.0.1");
  k.ipv4_dst = ip4("192.168.0.2");
  k.arp_op = hton16(op);
  k.arp_sha = mac("00:0f:10:11:12:13");
  k.arp_tha = mac("00:14:15:16:17:18");
  return k;
}

inline be32 lse(uint32_t label, uint32_t tc, bool bos, uint32_t ttl) {
  return hton32(label << kMplsLabelShift | tc << kMplsTcShift | (bos ? kMplsBosMask : 0) | ttl);
}

inline FlowKey mpls_key(int labels, bool bottom) {
  FlowKey k = base_key();
  k.eth_type = hton16(ethertype::kMplsUnicast);
  for (int i = 0; i < labels; ++i) {
    k.mpls_lse[i] = lse(100 + i, i, bottom && i == labels - 1, 64 - i);
  }
  return k;
}

inline FlowKey vlan_key() {
  FlowKey k = ipv4_tcp_key();
  k.vlans[0] = VlanTag{hton16(ethertype::kVlan8021Q), hton16(kVlanCfi | 3 << kVlanPcpShift | 10)};
  k.nw_proto = ipproto::kUdp;
  k.tcp_flags = 0;
  return k;
}

inline FlowKey double_vlan_key() {
  FlowKey k = ipv6_udp_key();
  k.vlans[0] = VlanTag{hton16(ethertype::kVlan8021AD), hton16(kVlanCfi | 100)};
  k.vlans[1] = VlanTag{hton16(ethertype::kVlan8021Q), hton16(kVlanCfi | 200)};
  k.nw_proto = ipproto::kIcmpv6;
  k.tp_src = hton16(128);  // echo request
  k.tp_dst = 0;
  return k;
}

inline FlowKey truncated_vlan_key() {
  FlowKey k = base_key();
  k.eth_type = hton16(ethertype::kVlan8021Q);  // the TPID of a cut tag
  return k;
}

inline FlowKey truncated_inner_vlan_key() {
  FlowKey k = base_key();
  k.vlans[0] = VlanTag{hton16(ethertype::kVlan8021AD), hton16(kVlanCfi | 7)};
  k.eth_type = hton16(ethertype::kVlan8021Q);
  return k;
}

inline FlowKey three_tag_key() {  // the third TPID is left as the EtherType
  FlowKey k = double_vlan_key();
  k.eth_type = hton16(ethertype::kVlan8021Q);
  std::memset(&k.ipv4_src, 0, offsetof(FlowKey, nsh_flags) - offsetof(FlowKey, ipv4_src));
  return k;
}

inline FlowKey fragment_key(bool later) {
  FlowKey k = ipv4_tcp_key();
  k.nw_frag = later ? kFragAny | kFragLater : kFragAny;
  if (later) k.tp_src = k.tp_dst = k.tcp_flags = 0;
  return k;
}

inline FlowKey nsh_key(uint8_t mdtype) {
  FlowKey k = base_key();
  k.eth_type = hton16(ethertype::kNsh);
  k.nsh_flags = 0x2;
  k.nsh_ttl = 63;
  k.nsh_mdtype = mdtype;
  k.nsh_np = 3;  // Ethernet
  k.nsh_path_hdr = hton32(0x000101 << 8 | 0xff);
  if (mdtype == 1) {
    for (int i = 0; i < 4; ++i) k.nsh_context[i] = hton32(0x11111111u * (i + 1));
  }
  return k;
}

// A tunnel with every field; the options of several tunnel kinds at once
// only exercise the encoding.
inline FlowKey full_tunnel_key() {
  FlowKey k = ipv4_tcp_key();
  TunnelMetadata& t = k.md.tunnel;
  t.tun_id = hton64(0x123456789abcdef0ULL);
  t.ipv4_src = ip4("192.168.1.1");
  t.ipv4_dst = ip4("192.168.1.2");
  t.tos = 0x10;
  t.ttl = 64;
  t.tp_src = hton16(12345);
  t.tp_dst = hton16(6081);
  t.flags = kTunnelFlagKey | kTunnelFlagDontFragment | kTunnelFlagCsum | kTunnelFlagOam;
  t.gbp_id = hton16(0x100);
  t.gbp_flags = 0x80;
  const uint8_t options[] = {
      0x01, 0x02, 0x80, 0x01, 0xde, 0xad, 0xbe, 0xef,  // class 0x0102, type 0x80, 1 word
      0xff, 0xff, 0x01, 0x00,                          // class 0xffff, type 1, no data
  };
  std::memcpy(k.geneve_options, options, sizeof options);
  t.geneve_length = sizeof options;
  t.erspan_version = 1;
  t.erspan_index = hton32(0x12345);
  t.gtpu_flags = 0x30;
  t.gtpu_msgtype = 0xff;
  return k;
}

inline FlowKey erspan_v2_ipv6_tunnel_key() {
  FlowKey k = ipv4_tcp_key();
  TunnelMetadata& t = k.md.tunnel;
  ip6("2001:db8::10", t.ipv6_src);
  ip6("2001:db8::20", t.ipv6_dst);
  t.ttl = 255;
  t.erspan_version = 2;
  t.erspan_dir = 1;
  t.erspan_hwid = 0x2a;
  return k;
}

inline FlowKey conntrack_ipv4_key() {
  FlowKey k = ipv4_tcp_key();
  k.md.ct_state = kCsTracked | kCsEstablished | kCsReplyDir;
  k.md.ct_zone = 5;
  k.md.ct_mark = 0x10305070;
  for (int i = 0; i < 16; ++i) k.md.ct_label[i] = static_cast<uint8_t>(i + 1);
  ConntrackTuple& t = k.md.ct_orig_tuple;
  be32 src = ip4("10.0.0.2"), dst = ip4("10.0.0.1");
  std::memcpy(t.src, &src, 4);
  std::memcpy(t.dst, &dst, 4);
  t.src_port = hton16(80);
  t.dst_port = hton16(1234);
  t.proto = ipproto::kTcp;
  return k;
}

inline FlowKey conntrack_ipv6_key() {
  FlowKey k = ipv6_udp_key();
  k.md.ct_state = kCsTracked | kCsNew | kCsDstNat;
  ConntrackTuple& t = k.md.ct_orig_tuple;
  ip6("2001:db8::1", t.src);
  ip6("2001:db8::99", t.dst);
  t.src_port = hton16(5353);
  t.dst_port = hton16(53);
  t.proto = ipproto::kUdp;
  return k;
}

inline FlowKey l3_ipv4_key() {  // a packet without Ethernet (from an L3 tunnel)
  FlowKey k = ipv4_tcp_key();
  k.md.packet_type = hton32(1u << 16 | ethertype::kIpv4);
  k.eth_src = k.eth_dst = EthAddr{};
  k.nw_proto = ipproto::kUdp;
  k.tcp_flags = 0;
  return k;
}

inline FlowKey ieee8023_key() {
  FlowKey k = base_key();
  k.eth_type = hton16(ethertype::kNone);
  return k;
}

inline FlowKey metadata_key() {
  FlowKey k = ipv4_tcp_key();
  k.md.skb_priority = 7;
  k.md.skb_mark = 0xabcd;
  k.md.recirc_id = 0x42;
  k.md.dp_hash = 0xdeadbeef;
  return k;
}

inline FlowKey no_in_port_key() {
  FlowKey k = ipv4_tcp_key();
  k.md.in_port = 0xffffffff;
  return k;
}

struct NamedKey {
  const char* name;
  FlowKey key;
};

inline std::vector<NamedKey> all_keys() {
  return {
      {"ipv4_tcp", ipv4_tcp_key()},
      {"ipv6_udp_label", ipv6_udp_key()},
      {"nd_advert", neighbor_advert_key()},
      {"nd_solicit", neighbor_solicit_key()},
      {"arp", arp_key(ethertype::kArp, 1)},
      {"rarp", arp_key(ethertype::kRarp, 3)},
      {"mpls1", mpls_key(1, true)},
      {"mpls2", mpls_key(2, true)},
      {"mpls3_bos", mpls_key(3, true)},
      {"mpls3_deeper", mpls_key(3, false)},
      {"vlan", vlan_key()},
      {"qinq", double_vlan_key()},
      {"truncated_vlan", truncated_vlan_key()},
      {"truncated_inner_vlan", truncated_inner_vlan_key()},
      {"three_tags", three_tag_key()},
      {"first_fragment", fragment_key(false)},
      {"later_fragment", fragment_key(true)},
      {"nsh_md1", nsh_key(1)},
      {"nsh_md2", nsh_key(2)},
      {"tunnel_full", full_tunnel_key()},
      {"tunnel_erspan_v2_ipv6", erspan_v2_ipv6_tunnel_key()},
      {"conntrack_ipv4", conntrack_ipv4_key()},
      {"conntrack_ipv6", conntrack_ipv6_key()},
      {"l3_ipv4", l3_ipv4_key()},
      {"ieee8023", ieee8023_key()},
      {"metadata", metadata_key()},
      {"no_in_port", no_in_port_key()},
  };
}

}  // namespace flowpath::key_netlink_fixtures
