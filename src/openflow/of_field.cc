// The table of OpenFlow match fields: names (ovs-ofctl's, plus the NXM and
// OXM names that load/move use), where each lives in an OfFlow, how its value
// sits in that storage, and the prerequisites ovs-ofctl enforces.
#include "openflow/of_field.h"

#include <array>
#include <cstddef>
#include <unordered_map>

namespace flowpath::openflow {

namespace {

using field_internal::ByteOrder;
using field_internal::FieldLayout;
using field_internal::U128;
using field_internal::ValueRule;
using P = FieldPrereq;
using F = FieldFormat;

struct FieldDef {
  OfFieldInfo info;
  FieldLayout layout;
  std::array<std::string_view, 4> aliases;
};

constexpr bool kMaskable = true, kExact = false;
constexpr bool kRw = true, kRo = false;

constexpr FieldLayout net(uint8_t bits, uint8_t shift = 0, uint8_t hex_digits = 0,
                          ValueRule rule = ValueRule::kPlain) {
  return FieldLayout{ByteOrder::kNetwork, shift, bits, hex_digits, rule};
}
constexpr FieldLayout host(uint8_t bits) {
  return FieldLayout{ByteOrder::kHost, 0, bits, 0, ValueRule::kPlain};
}
constexpr FieldLayout host_words(uint8_t bits) {
  return FieldLayout{ByteOrder::kHostWords, 0, bits, 0, ValueRule::kPlain};
}

#define OFS(member) static_cast<uint16_t>(offsetof(OfFlow, member))
#define REG(n)                                                                               \
  FieldDef {                                                                                 \
    {"reg" #n, static_cast<uint16_t>(offsetof(OfFlow, regs) + 4 * (n)), 4, P::kNone, F::kHex, \
     kMaskable, kRw},                                                                        \
        host(32), { "NXM_NX_REG" #n }                                                        \
  }
#define XREG(n)                                                                                \
  FieldDef {                                                                                   \
    {"xreg" #n, static_cast<uint16_t>(offsetof(OfFlow, regs) + 8 * (n)), 8, P::kNone, F::kHex, \
     kMaskable, kRw},                                                                          \
        host_words(64), { "OXM_OF_PKT_REG" #n }                                                \
  }
#define XXREG(n)                                                                                 \
  FieldDef {                                                                                     \
    {"xxreg" #n, static_cast<uint16_t>(offsetof(OfFlow, regs) + 16 * (n)), 16, P::kNone, F::kHex, \
     kMaskable, kRw},                                                                            \
        host_words(128), { "NXM_NX_XXREG" #n }                                                   \
  }
#define MD(member) static_cast<uint16_t>(offsetof(OfFlow, key.md) + offsetof(PacketMetadata, member))

// Order: the order of OVS's field list, which is also the order the generic
// formatter falls back to.
constexpr FieldDef kFieldDefs[] = {
    // ---- Pipeline and datapath metadata (host byte order).
    {{"dp_hash", OFS(key.md.dp_hash), 4, P::kNone, F::kHex, kMaskable, kRo}, host(32),
     {"NXM_NX_DP_HASH"}},
    {{"recirc_id", OFS(key.md.recirc_id), 4, P::kNone, F::kHex, kExact, kRo}, host(32),
     {"NXM_NX_RECIRC_ID"}},
    {{"packet_type", OFS(key.md.packet_type), 4, P::kNone, F::kPacketType, kExact, kRo},
     net(32), {"OXM_OF_PACKET_TYPE"}},
    {{"conj_id", OFS(conj_id), 4, P::kNone, F::kDecimal, kExact, kRo}, host(32),
     {"NXM_NX_CONJ_ID"}},
    {{"tun_id", OFS(key.md.tunnel.tun_id), 8, P::kNone, F::kHex, kMaskable, kRw}, net(64),
     {"tunnel_id", "NXM_NX_TUN_ID", "OXM_OF_TUNNEL_ID"}},
    {{"tun_src", OFS(key.md.tunnel.ipv4_src), 4, P::kNone, F::kIpv4, kMaskable, kRw}, net(32),
     {"NXM_NX_TUN_IPV4_SRC"}},
    {{"tun_dst", OFS(key.md.tunnel.ipv4_dst), 4, P::kNone, F::kIpv4, kMaskable, kRw}, net(32),
     {"NXM_NX_TUN_IPV4_DST"}},
    {{"tun_ipv6_src", OFS(key.md.tunnel.ipv6_src), 16, P::kNone, F::kIpv6, kMaskable, kRw},
     net(128), {"NXM_NX_TUN_IPV6_SRC"}},
    {{"tun_ipv6_dst", OFS(key.md.tunnel.ipv6_dst), 16, P::kNone, F::kIpv6, kMaskable, kRw},
     net(128), {"NXM_NX_TUN_IPV6_DST"}},
    {{"tun_flags", OFS(key.md.tunnel.flags), 2, P::kNone, F::kHex, kMaskable, kRw}, host(1),
     {"NXM_NX_TUN_FLAGS"}},
    {{"tun_ttl", OFS(key.md.tunnel.ttl), 1, P::kNone, F::kDecimal, kExact, kRo}, net(8), {}},
    {{"tun_tos", OFS(key.md.tunnel.tos), 1, P::kNone, F::kDecimal, kExact, kRo}, net(8), {}},
    {{"tun_gbp_id", OFS(key.md.tunnel.gbp_id), 2, P::kNone, F::kDecimal, kMaskable, kRw},
     net(16), {"NXM_NX_TUN_GBP_ID"}},
    {{"tun_gbp_flags", OFS(key.md.tunnel.gbp_flags), 1, P::kNone, F::kHex, kMaskable, kRw},
     net(8), {"NXM_NX_TUN_GBP_FLAGS"}},
    {{"tun_erspan_idx", OFS(key.md.tunnel.erspan_index), 4, P::kNone, F::kHex, kMaskable, kRw},
     net(20), {"NXOXM_ET_ERSPAN_IDX"}},
    {{"tun_erspan_ver", OFS(key.md.tunnel.erspan_version), 1, P::kNone, F::kDecimal, kMaskable,
      kRw},
     net(4), {"NXOXM_ET_ERSPAN_VER"}},
    {{"tun_erspan_dir", OFS(key.md.tunnel.erspan_dir), 1, P::kNone, F::kDecimal, kMaskable, kRw},
     net(1), {"NXOXM_ET_ERSPAN_DIR"}},
    {{"tun_erspan_hwid", OFS(key.md.tunnel.erspan_hwid), 1, P::kNone, F::kHex, kMaskable, kRw},
     net(6), {"NXOXM_ET_ERSPAN_HWID"}},
    {{"tun_gtpu_flags", OFS(key.md.tunnel.gtpu_flags), 1, P::kNone, F::kHex, kMaskable, kRo},
     net(8), {"NXOXM_ET_GTPU_FLAGS"}},
    {{"tun_gtpu_msgtype", OFS(key.md.tunnel.gtpu_msgtype), 1, P::kNone, F::kDecimal, kMaskable,
      kRo},
     net(8), {"NXOXM_ET_GTPU_MSGTYPE"}},
    {{"metadata", OFS(metadata), 8, P::kNone, F::kHex, kMaskable, kRw}, host(64),
     {"OXM_OF_METADATA"}},
    {{"in_port", OFS(key.md.in_port), 4, P::kNone, F::kPort, kExact, kRw}, host(32),
     {"NXM_OF_IN_PORT"}},
    // The same port as in_port; a field of its own because OpenFlow names it
    // apart (OXM_OF_IN_PORT, 32 bits, against NXM_OF_IN_PORT, 16 bits).
    {{"in_port_oxm", OFS(key.md.in_port), 4, P::kNone, F::kPort, kExact, kRw}, host(32),
     {"OXM_OF_IN_PORT"}},
    {{"skb_priority", OFS(key.md.skb_priority), 4, P::kNone, F::kHex, kExact, kRo}, host(32),
     {}},
    {{"pkt_mark", OFS(key.md.skb_mark), 4, P::kNone, F::kHex, kMaskable, kRw}, host(32),
     {"skb_mark", "NXM_NX_PKT_MARK"}},
    {{"ct_state", OFS(key.md.ct_state), 4, P::kNone, F::kCtState, kMaskable, kRo}, host(8),
     {"NXM_NX_CT_STATE"}},
    {{"ct_zone", OFS(key.md.ct_zone), 2, P::kNone, F::kDecimal, kExact, kRo}, host(16),
     {"NXM_NX_CT_ZONE"}},
    // ct_mark and ct_label are set by conntrack (in Open vSwitch, by ct(commit,
    // exec(...)), which flowpath does not have): matched, never written.
    {{"ct_mark", OFS(key.md.ct_mark), 4, P::kNone, F::kHex, kMaskable, kRo}, host(32),
     {"NXM_NX_CT_MARK"}},
    {{"ct_label", OFS(key.md.ct_label), 16, P::kNone, F::kHex, kMaskable, kRo}, host(128),
     {"NXM_NX_CT_LABEL"}},
    {{"ct_nw_proto", MD(ct_orig_tuple.proto), 1, P::kCtValid, F::kDecimal, kExact, kRo}, net(8),
     {"NXM_NX_CT_NW_PROTO"}},
    {{"ct_nw_src", MD(ct_orig_tuple.src), 4, P::kCtValid, F::kIpv4, kMaskable, kRo}, net(32),
     {"NXM_NX_CT_NW_SRC"}},
    {{"ct_nw_dst", MD(ct_orig_tuple.dst), 4, P::kCtValid, F::kIpv4, kMaskable, kRo}, net(32),
     {"NXM_NX_CT_NW_DST"}},
    {{"ct_ipv6_src", MD(ct_orig_tuple.src), 16, P::kCtValid, F::kIpv6, kMaskable, kRo},
     net(128), {"NXM_NX_CT_IPV6_SRC"}},
    {{"ct_ipv6_dst", MD(ct_orig_tuple.dst), 16, P::kCtValid, F::kIpv6, kMaskable, kRo},
     net(128), {"NXM_NX_CT_IPV6_DST"}},
    {{"ct_tp_src", MD(ct_orig_tuple.src_port), 2, P::kCtValid, F::kDecimal, kMaskable, kRo},
     net(16), {"NXM_NX_CT_TP_SRC"}},
    {{"ct_tp_dst", MD(ct_orig_tuple.dst_port), 2, P::kCtValid, F::kDecimal, kMaskable, kRo},
     net(16), {"NXM_NX_CT_TP_DST"}},
    REG(0), REG(1), REG(2), REG(3), REG(4), REG(5), REG(6), REG(7),
    REG(8), REG(9), REG(10), REG(11), REG(12), REG(13), REG(14), REG(15),
    XREG(0), XREG(1), XREG(2), XREG(3), XREG(4), XREG(5), XREG(6), XREG(7),
    XXREG(0), XXREG(1), XXREG(2), XXREG(3),

    // ---- Ethernet and VLAN.
    {{"eth_src", OFS(key.eth_src), 6, P::kNone, F::kEthAddr, kMaskable, kRw}, net(48),
     {"dl_src", "NXM_OF_ETH_SRC", "OXM_OF_ETH_SRC"}},
    {{"eth_dst", OFS(key.eth_dst), 6, P::kNone, F::kEthAddr, kMaskable, kRw}, net(48),
     {"dl_dst", "NXM_OF_ETH_DST", "OXM_OF_ETH_DST"}},
    {{"eth_type", OFS(key.eth_type), 2, P::kNone, F::kHex, kExact, kRo}, net(16, 0, 4),
     {"dl_type", "NXM_OF_ETH_TYPE", "OXM_OF_ETH_TYPE"}},
    {{"vlan_tci", OFS(key.vlans[0].tci), 2, P::kNone, F::kHex, kMaskable, kRw},
     net(16, 0, 4), {"NXM_OF_VLAN_TCI"}},
    {{"dl_vlan", OFS(key.vlans[0].tci), 2, P::kNone, F::kDecimal, kExact, kRw},
     net(12, 0, 0, ValueRule::kDlVlan), {}},
    {{"vlan_vid", OFS(key.vlans[0].tci), 2, P::kNone, F::kDecimal, kMaskable, kRw}, net(13),
     {"OXM_OF_VLAN_VID"}},
    {{"dl_vlan_pcp", OFS(key.vlans[0].tci), 2, P::kNone, F::kDecimal, kExact, kRw},
     net(3, 13, 0, ValueRule::kVlanPcp), {}},
    {{"vlan_pcp", OFS(key.vlans[0].tci), 2, P::kVlan, F::kDecimal, kExact, kRw},
     net(3, 13, 0, ValueRule::kVlanPcp), {"OXM_OF_VLAN_PCP"}},

    // ---- MPLS: the outermost label stack entry.
    {{"mpls_label", OFS(key.mpls_lse[0]), 4, P::kMpls, F::kDecimal, kExact, kRw}, net(20, 12),
     {"OXM_OF_MPLS_LABEL"}},
    {{"mpls_tc", OFS(key.mpls_lse[0]), 4, P::kMpls, F::kDecimal, kExact, kRw}, net(3, 9),
     {"OXM_OF_MPLS_TC"}},
    {{"mpls_bos", OFS(key.mpls_lse[0]), 4, P::kMpls, F::kDecimal, kExact, kRo}, net(1, 8),
     {"OXM_OF_MPLS_BOS"}},
    {{"mpls_ttl", OFS(key.mpls_lse[0]), 4, P::kMpls, F::kDecimal, kExact, kRw}, net(8),
     {"NXM_NX_MPLS_TTL"}},

    // ---- IPv4, IPv6 and the IP header fields they share.
    {{"ip_src", OFS(key.ipv4_src), 4, P::kIpv4OrArp, F::kIpv4, kMaskable, kRw}, net(32),
     {"nw_src", "NXM_OF_IP_SRC", "OXM_OF_IPV4_SRC"}},
    {{"ip_dst", OFS(key.ipv4_dst), 4, P::kIpv4OrArp, F::kIpv4, kMaskable, kRw}, net(32),
     {"nw_dst", "NXM_OF_IP_DST", "OXM_OF_IPV4_DST"}},
    {{"ipv6_src", OFS(key.ipv6_src), 16, P::kIpv6, F::kIpv6, kMaskable, kRw}, net(128),
     {"NXM_NX_IPV6_SRC", "OXM_OF_IPV6_SRC"}},
    {{"ipv6_dst", OFS(key.ipv6_dst), 16, P::kIpv6, F::kIpv6, kMaskable, kRw}, net(128),
     {"NXM_NX_IPV6_DST", "OXM_OF_IPV6_DST"}},
    {{"ipv6_label", OFS(key.ipv6_label), 4, P::kIpv6, F::kHex, kMaskable, kRw}, net(20, 0, 5),
     {"NXM_NX_IPV6_LABEL", "OXM_OF_IPV6_FLABEL"}},
    {{"nw_proto", OFS(key.nw_proto), 1, P::kIpAny, F::kDecimal, kExact, kRo}, net(8),
     {"ip_proto", "NXM_OF_IP_PROTO", "OXM_OF_IP_PROTO"}},
    {{"nw_tos", OFS(key.nw_tos), 1, P::kIpAny, F::kDecimal, kExact, kRw},
     net(6, 2, 0, ValueRule::kInPlace), {"NXM_OF_IP_TOS"}},
    {{"ip_dscp", OFS(key.nw_tos), 1, P::kIpAny, F::kDecimal, kExact, kRw}, net(6, 2),
     {"OXM_OF_IP_DSCP"}},
    {{"nw_ecn", OFS(key.nw_tos), 1, P::kIpAny, F::kDecimal, kExact, kRw}, net(2),
     {"ip_ecn", "NXM_NX_IP_ECN", "OXM_OF_IP_ECN"}},
    {{"nw_ttl", OFS(key.nw_ttl), 1, P::kIpAny, F::kDecimal, kExact, kRw}, net(8),
     {"NXM_NX_IP_TTL"}},
    {{"ip_frag", OFS(key.nw_frag), 1, P::kIpAny, F::kFrag, kMaskable, kRo}, net(2),
     {"nw_frag", "NXM_NX_IP_FRAG"}},

    // ---- ARP and RARP (SPA/TPA share the IPv4 address storage).
    {{"arp_op", OFS(key.arp_op), 2, P::kArp, F::kDecimal, kExact, kRw}, net(8),
     {"NXM_OF_ARP_OP", "OXM_OF_ARP_OP"}},
    {{"arp_spa", OFS(key.ipv4_src), 4, P::kArp, F::kIpv4, kMaskable, kRw}, net(32),
     {"NXM_OF_ARP_SPA", "OXM_OF_ARP_SPA"}},
    {{"arp_tpa", OFS(key.ipv4_dst), 4, P::kArp, F::kIpv4, kMaskable, kRw}, net(32),
     {"NXM_OF_ARP_TPA", "OXM_OF_ARP_TPA"}},
    {{"arp_sha", OFS(key.arp_sha), 6, P::kArp, F::kEthAddr, kMaskable, kRw}, net(48),
     {"NXM_NX_ARP_SHA", "OXM_OF_ARP_SHA"}},
    {{"arp_tha", OFS(key.arp_tha), 6, P::kArp, F::kEthAddr, kMaskable, kRw}, net(48),
     {"NXM_NX_ARP_THA", "OXM_OF_ARP_THA"}},

    // ---- Transport ports: tp_* accepts any of TCP/UDP/SCTP, the others one.
    {{"tp_src", OFS(key.tp_src), 2, P::kTcpUdpSctp, F::kDecimal, kMaskable, kRw}, net(16), {}},
    {{"tp_dst", OFS(key.tp_dst), 2, P::kTcpUdpSctp, F::kDecimal, kMaskable, kRw}, net(16), {}},
    {{"tcp_src", OFS(key.tp_src), 2, P::kTcp, F::kDecimal, kMaskable, kRw}, net(16),
     {"NXM_OF_TCP_SRC", "OXM_OF_TCP_SRC"}},
    {{"tcp_dst", OFS(key.tp_dst), 2, P::kTcp, F::kDecimal, kMaskable, kRw}, net(16),
     {"NXM_OF_TCP_DST", "OXM_OF_TCP_DST"}},
    {{"tcp_flags", OFS(key.tcp_flags), 2, P::kTcp, F::kTcpFlags, kMaskable, kRo}, net(12),
     {"NXM_NX_TCP_FLAGS"}},
    {{"udp_src", OFS(key.tp_src), 2, P::kUdp, F::kDecimal, kMaskable, kRw}, net(16),
     {"NXM_OF_UDP_SRC", "OXM_OF_UDP_SRC"}},
    {{"udp_dst", OFS(key.tp_dst), 2, P::kUdp, F::kDecimal, kMaskable, kRw}, net(16),
     {"NXM_OF_UDP_DST", "OXM_OF_UDP_DST"}},
    {{"sctp_src", OFS(key.tp_src), 2, P::kSctp, F::kDecimal, kMaskable, kRw}, net(16),
     {"OXM_OF_SCTP_SRC"}},
    {{"sctp_dst", OFS(key.tp_dst), 2, P::kSctp, F::kDecimal, kMaskable, kRw}, net(16),
     {"OXM_OF_SCTP_DST"}},

    // ---- ICMP: type and code are the low byte of tp_src / tp_dst (network
    // order, so the byte after the high one).
    {{"icmp_type", static_cast<uint16_t>(OFS(key.tp_src) + 1), 1, P::kIcmpv4, F::kDecimal,
      kExact, kRw},
     net(8), {"NXM_OF_ICMP_TYPE", "OXM_OF_ICMPV4_TYPE"}},
    {{"icmp_code", static_cast<uint16_t>(OFS(key.tp_dst) + 1), 1, P::kIcmpv4, F::kDecimal,
      kExact, kRw},
     net(8), {"NXM_OF_ICMP_CODE", "OXM_OF_ICMPV4_CODE"}},
    {{"icmpv6_type", static_cast<uint16_t>(OFS(key.tp_src) + 1), 1, P::kIcmpv6, F::kDecimal,
      kExact, kRw},
     net(8), {"NXM_NX_ICMPV6_TYPE", "OXM_OF_ICMPV6_TYPE"}},
    {{"icmpv6_code", static_cast<uint16_t>(OFS(key.tp_dst) + 1), 1, P::kIcmpv6, F::kDecimal,
      kExact, kRw},
     net(8), {"NXM_NX_ICMPV6_CODE", "OXM_OF_ICMPV6_CODE"}},

    // ---- IPv6 neighbor discovery.
    {{"nd_target", OFS(key.nd_target), 16, P::kNd, F::kIpv6, kMaskable, kRw}, net(128),
     {"NXM_NX_ND_TARGET", "OXM_OF_IPV6_ND_TARGET"}},
    {{"nd_sll", OFS(key.nd_sll), 6, P::kNdSolicit, F::kEthAddr, kMaskable, kRw}, net(48),
     {"NXM_NX_ND_SLL", "OXM_OF_IPV6_ND_SLL"}},
    {{"nd_tll", OFS(key.nd_tll), 6, P::kNdAdvert, F::kEthAddr, kMaskable, kRw}, net(48),
     {"NXM_NX_ND_TLL", "OXM_OF_IPV6_ND_TLL"}},
    {{"nd_reserved", OFS(key.nd_reserved), 4, P::kNd, F::kDecimal, kExact, kRw}, net(32), {}},
    {{"nd_options_type", OFS(key.nd_options_type), 1, P::kNd, F::kDecimal, kExact, kRw},
     net(8), {}},

    // ---- Network Service Header (RFC 8300).
    {{"nsh_flags", OFS(key.nsh_flags), 1, P::kNsh, F::kDecimal, kMaskable, kRw}, net(8), {}},
    {{"nsh_ttl", OFS(key.nsh_ttl), 1, P::kNsh, F::kDecimal, kExact, kRw}, net(8), {}},
    {{"nsh_mdtype", OFS(key.nsh_mdtype), 1, P::kNsh, F::kDecimal, kExact, kRo}, net(8), {}},
    {{"nsh_np", OFS(key.nsh_np), 1, P::kNsh, F::kDecimal, kExact, kRo}, net(8), {}},
    {{"nsh_spi", OFS(key.nsh_path_hdr), 4, P::kNsh, F::kHex, kExact, kRw}, net(24, 8),
     {"nsp"}},
    {{"nsh_si", static_cast<uint16_t>(OFS(key.nsh_path_hdr) + 3), 1, P::kNsh, F::kDecimal, kExact,
      kRw},
     net(8), {"nsi"}},
    {{"nsh_c1", OFS(key.nsh_context[0]), 4, P::kNsh, F::kHex, kMaskable, kRw}, net(32), {"nshc1"}},
    {{"nsh_c2", OFS(key.nsh_context[1]), 4, P::kNsh, F::kHex, kMaskable, kRw}, net(32), {"nshc2"}},
    {{"nsh_c3", OFS(key.nsh_context[2]), 4, P::kNsh, F::kHex, kMaskable, kRw}, net(32), {"nshc3"}},
    {{"nsh_c4", OFS(key.nsh_context[3]), 4, P::kNsh, F::kHex, kMaskable, kRw}, net(32), {"nshc4"}},
};

#undef XXREG
#undef XREG
#undef REG
#undef MD
#undef OFS

constexpr size_t kNumFields = std::size(kFieldDefs);

constexpr std::array<OfFieldInfo, kNumFields> make_infos() {
  std::array<OfFieldInfo, kNumFields> infos{};
  for (size_t i = 0; i < kNumFields; ++i) infos[i] = kFieldDefs[i].info;
  return infos;
}
constexpr std::array<OfFieldInfo, kNumFields> kFieldInfos = make_infos();

// Every field's storage lies inside OfFlow and its value inside its storage.
constexpr bool table_is_consistent() {
  for (const FieldDef& d : kFieldDefs) {
    if (d.info.bytes == 0 || d.info.bytes > 16) return false;
    if (d.info.offset + d.info.bytes > sizeof(OfFlow)) return false;
    if (d.layout.shift + d.layout.value_bits > d.info.bytes * 8) return false;
  }
  return true;
}
static_assert(table_is_consistent());

const std::unordered_map<std::string_view, const OfFieldInfo*>& fields_by_name() {
  static const auto* map = [] {
    auto* m = new std::unordered_map<std::string_view, const OfFieldInfo*>;
    for (size_t i = 0; i < kNumFields; ++i) {
      m->emplace(kFieldInfos[i].name, &kFieldInfos[i]);
      for (std::string_view alias : kFieldDefs[i].aliases)
        if (!alias.empty()) m->emplace(alias, &kFieldInfos[i]);
    }
    return m;
  }();
  return *map;
}

bool eth_type_is(const OfMatch& m, std::initializer_list<uint16_t> types) {
  if (m.mask.key.eth_type != 0xffff) return false;
  for (uint16_t t : types)
    if (m.value.key.eth_type == hton16(t)) return true;
  return false;
}

bool nw_proto_is(const OfMatch& m, uint8_t proto) {
  return m.mask.key.nw_proto == 0xff && m.value.key.nw_proto == proto;
}

bool is_ip_any(const OfMatch& m) {
  return eth_type_is(m, {ethertype::kIpv4, ethertype::kIpv6});
}

// ICMPv6 type (low byte of tp_src) matched exactly with `type`.
bool icmp_type_is(const OfMatch& m, uint8_t type) {
  const auto* v = reinterpret_cast<const uint8_t*>(&m.value.key.tp_src);
  const auto* k = reinterpret_cast<const uint8_t*>(&m.mask.key.tp_src);
  return k[1] == 0xff && v[1] == type;
}

bool is_nd(const OfMatch& m) {
  if (!eth_type_is(m, {ethertype::kIpv6}) || !nw_proto_is(m, ipproto::kIcmpv6)) return false;
  if (!icmp_type_is(m, 135) && !icmp_type_is(m, 136)) return false;
  // Neighbor discovery messages have code 0: a match on another code rules
  // ND out; no match on the code is fine (as in ovs-ofctl).
  const auto* v = reinterpret_cast<const uint8_t*>(&m.value.key.tp_dst);
  return v[1] == 0;
}

}  // namespace

std::span<const OfFieldInfo> all_fields() { return kFieldInfos; }

const OfFieldInfo* find_field(std::string_view name) {
  const auto& map = fields_by_name();
  auto it = map.find(name);
  return it == map.end() ? nullptr : it->second;
}

bool prereq_satisfied(const OfMatch& m, FieldPrereq prereq) {
  using namespace ethertype;
  switch (prereq) {
    case P::kNone: return true;
    case P::kVlan: {
      be16 cfi = hton16(0x1000);
      return (m.mask.key.vlans[0].tci & cfi) && (m.value.key.vlans[0].tci & cfi);
    }
    case P::kIpv4: return eth_type_is(m, {kIpv4});
    case P::kIpv6: return eth_type_is(m, {kIpv6});
    case P::kIpAny: return is_ip_any(m);
    case P::kIpv4OrArp: return eth_type_is(m, {kIpv4, kArp, kRarp});
    case P::kArp: return eth_type_is(m, {kArp, kRarp});
    case P::kTcp: return is_ip_any(m) && nw_proto_is(m, ipproto::kTcp);
    case P::kUdp: return is_ip_any(m) && nw_proto_is(m, ipproto::kUdp);
    case P::kSctp: return is_ip_any(m) && nw_proto_is(m, ipproto::kSctp);
    case P::kTcpUdpSctp:
      return is_ip_any(m) && (nw_proto_is(m, ipproto::kTcp) || nw_proto_is(m, ipproto::kUdp) ||
                              nw_proto_is(m, ipproto::kSctp));
    case P::kIcmpv4: return eth_type_is(m, {kIpv4}) && nw_proto_is(m, ipproto::kIcmp);
    case P::kIcmpv6: return eth_type_is(m, {kIpv6}) && nw_proto_is(m, ipproto::kIcmpv6);
    case P::kNd: return is_nd(m);
    case P::kNdSolicit: return is_nd(m) && icmp_type_is(m, 135);
    case P::kNdAdvert: return is_nd(m) && icmp_type_is(m, 136);
    case P::kMpls: return eth_type_is(m, {kMplsUnicast, kMplsMulticast});
    case P::kCtValid: {
      // As Open vSwitch: a bit that implies a valid connection, or +trk-inv.
      constexpr uint32_t kValid = 0x01 | 0x02 | 0x04 | 0x08 | 0x40 | 0x80;
      constexpr uint32_t kInvalid = 0x10, kTracked = 0x20;
      uint32_t v = m.value.key.md.ct_state, k = m.mask.key.md.ct_state;
      return (v & kValid) || ((v & kTracked) && (k & kInvalid) && !(v & kInvalid));
    }
    case P::kNsh: return eth_type_is(m, {kNsh});
  }
  return false;
}

std::string_view prereq_name(FieldPrereq prereq) {
  switch (prereq) {
    case P::kNone: return "nothing";
    case P::kVlan: return "a VLAN tag";
    case P::kIpv4: return "ip";
    case P::kIpv6: return "ipv6";
    case P::kIpAny: return "ip or ipv6";
    case P::kIpv4OrArp: return "ip or arp";
    case P::kArp: return "arp or rarp";
    case P::kTcp: return "tcp";
    case P::kUdp: return "udp";
    case P::kSctp: return "sctp";
    case P::kTcpUdpSctp: return "tcp, udp or sctp";
    case P::kIcmpv4: return "icmp";
    case P::kIcmpv6: return "icmp6";
    case P::kNd: return "an ICMPv6 neighbor solicitation or advertisement";
    case P::kNdSolicit: return "an ICMPv6 neighbor solicitation";
    case P::kNdAdvert: return "an ICMPv6 neighbor advertisement";
    case P::kMpls: return "mpls";
    case P::kCtValid: return "a tracked connection";
    case P::kNsh: return "nsh";
  }
  return "?";
}

std::string_view prereq_hint(FieldPrereq prereq) {
  switch (prereq) {
    case P::kNone: return "";
    case P::kVlan: return "\"dl_vlan=N\" or \"vlan_tci=0x1000/0x1000\"";
    case P::kIpv4: return "\"ip\" or \"dl_type=0x0800\"";
    case P::kIpv6: return "\"ipv6\" or \"dl_type=0x86dd\"";
    case P::kIpAny: return "\"ip\" or \"ipv6\"";
    case P::kIpv4OrArp: return "\"ip\" or \"dl_type=0x0800\"";
    case P::kArp: return "\"arp\" or \"dl_type=0x0806\"";
    case P::kTcp: return "\"tcp\" or \"tcp6\"";
    case P::kUdp: return "\"udp\" or \"udp6\"";
    case P::kSctp: return "\"sctp\" or \"sctp6\"";
    case P::kTcpUdpSctp: return "\"tcp\", \"udp\" or \"sctp\"";
    case P::kIcmpv4: return "\"icmp\"";
    case P::kIcmpv6: return "\"icmp6\"";
    case P::kNd: return "\"icmp6,icmp_type=135\" or \"icmp6,icmp_type=136\"";
    case P::kNdSolicit: return "\"icmp6,icmp_type=135\"";
    case P::kNdAdvert: return "\"icmp6,icmp_type=136\"";
    case P::kMpls: return "\"mpls\" or \"dl_type=0x8847\"";
    case P::kCtValid: return "\"ct_state=+trk+est\", \"ct_state=+trk+new\" or \"ct_state=+trk-inv\"";
    case P::kNsh: return "\"dl_type=0x894f\"";
  }
  return "";
}

namespace field_internal {

const FieldLayout& field_layout(const OfFieldInfo& field) {
  if (&field >= kFieldInfos.data() && &field < kFieldInfos.data() + kNumFields)
    return kFieldDefs[&field - kFieldInfos.data()].layout;
  // A copy of a table entry: find the original by name.
  const OfFieldInfo* original = find_field(field.name);
  static constexpr FieldLayout kWhole{ByteOrder::kNetwork, 0, 0, 0, ValueRule::kPlain};
  return original ? field_layout(*original) : kWhole;
}

U128 load_number(const uint8_t* p, unsigned bytes, ByteOrder order) {
  U128 v = 0;
  if (order == ByteOrder::kHostWords) {
    for (unsigned w = 0; w < bytes / 4; ++w)
      v = (v << 32) | load_number(p + 4 * w, 4, ByteOrder::kHost);
    return v;
  }
  for (unsigned i = 0; i < bytes; ++i) {
    unsigned idx = order == ByteOrder::kNetwork ? i : bytes - 1 - i;
    v = (v << 8) | p[idx];
  }
  return v;
}

void store_number(uint8_t* p, unsigned bytes, ByteOrder order, U128 v) {
  if (order == ByteOrder::kHostWords) {
    for (unsigned w = bytes / 4; w-- > 0;) {
      store_number(p + 4 * w, 4, ByteOrder::kHost, v);
      v >>= 32;
    }
    return;
  }
  for (unsigned i = 0; i < bytes; ++i) {
    unsigned idx = order == ByteOrder::kNetwork ? bytes - 1 - i : i;
    p[idx] = static_cast<uint8_t>(v);
    v >>= 8;
  }
}

}  // namespace field_internal

unsigned field_value_bits(const OfFieldInfo& field) {
  return field_internal::field_layout(field).value_bits;
}

uint64_t read_field_bits(const OfFlow& flow, const OfFieldInfo& field, unsigned ofs,
                         unsigned n_bits) {
  const FieldLayout& l = field_internal::field_layout(field);
  U128 storage = field_internal::load_number(flow.bytes() + field.offset, field.bytes, l.order);
  return static_cast<uint64_t>((storage >> (l.shift + ofs)) & field_internal::low_bits(n_bits));
}

FieldValue field_bits_value(const OfFieldInfo& field, unsigned ofs, unsigned n_bits,
                            uint64_t bits) {
  const FieldLayout& l = field_internal::field_layout(field);
  U128 mask = field_internal::low_bits(n_bits) << (l.shift + ofs);
  U128 value = (U128{bits} << (l.shift + ofs)) & mask;
  FieldValue fv;
  fv.field = &field;
  field_internal::store_number(fv.value, field.bytes, l.order, value);
  field_internal::store_number(fv.mask, field.bytes, l.order, mask);
  return fv;
}

}  // namespace flowpath::openflow
