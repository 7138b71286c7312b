// The NXM/OXM header table (see nxm_field.h). Entries of one field are
// ordered by the version that introduced them (standard OXM before NXM when
// both are version 0 extensions), as Open vSwitch orders them.
#include "openflow/nxm_field.h"

#include <array>
#include <unordered_map>

namespace flowpath::openflow {

namespace {

struct Def {
  std::string_view name;
  uint16_t oxm_class;
  uint8_t oxm_field;
  uint32_t experimenter;
  uint8_t bytes;
  uint8_t version;
  std::string_view field;
};

constexpr uint8_t kOf12 = 3, kOf13 = 4, kOf15 = 6;

constexpr Def nxm0(std::string_view name, uint8_t f, uint8_t bytes, std::string_view field) {
  return {name, kOxmClassNxm0, f, 0, bytes, 0, field};
}
constexpr Def nxm1(std::string_view name, uint8_t f, uint8_t bytes, std::string_view field) {
  return {name, kOxmClassNxm1, f, 0, bytes, 0, field};
}
constexpr Def oxm(std::string_view name, uint8_t f, uint8_t bytes, uint8_t version,
                  std::string_view field) {
  return {name, kOxmClassBasic, f, 0, bytes, version, field};
}
constexpr Def exp(std::string_view name, uint32_t experimenter, uint8_t f, uint8_t bytes,
                  uint8_t version, std::string_view field) {
  return {name, kOxmClassExperimenter, f, experimenter, bytes, version, field};
}

constexpr Def kDefs[] = {
    exp("NXOXM_ET_DP_HASH", kNxVendorId, 0, 4, 0, "dp_hash"),
    nxm1("NXM_NX_DP_HASH", 35, 4, "dp_hash"),
    nxm1("NXM_NX_RECIRC_ID", 36, 4, "recirc_id"),
    oxm("OXM_OF_PACKET_TYPE", 44, 4, kOf15, "packet_type"),
    nxm1("NXM_NX_CONJ_ID", 37, 4, "conj_id"),
    nxm1("NXM_NX_TUN_ID", 16, 8, "tun_id"),
    oxm("OXM_OF_TUNNEL_ID", 38, 8, kOf13, "tun_id"),
    nxm1("NXM_NX_TUN_IPV4_SRC", 31, 4, "tun_src"),
    nxm1("NXM_NX_TUN_IPV4_DST", 32, 4, "tun_dst"),
    nxm1("NXM_NX_TUN_IPV6_SRC", 109, 16, "tun_ipv6_src"),
    nxm1("NXM_NX_TUN_IPV6_DST", 110, 16, "tun_ipv6_dst"),
    nxm1("NXM_NX_TUN_FLAGS", 104, 2, "tun_flags"),
    nxm1("NXM_NX_TUN_GBP_ID", 38, 2, "tun_gbp_id"),
    nxm1("NXM_NX_TUN_GBP_FLAGS", 39, 1, "tun_gbp_flags"),
    exp("NXOXM_ET_ERSPAN_IDX", kNxVendorId, 11, 4, 0, "tun_erspan_idx"),
    exp("NXOXM_ET_ERSPAN_VER", kNxVendorId, 12, 1, 0, "tun_erspan_ver"),
    exp("NXOXM_ET_ERSPAN_DIR", kNxVendorId, 13, 1, 0, "tun_erspan_dir"),
    exp("NXOXM_ET_ERSPAN_HWID", kNxVendorId, 14, 1, 0, "tun_erspan_hwid"),
    exp("NXOXM_ET_GTPU_FLAGS", kNxVendorId, 15, 1, 0, "tun_gtpu_flags"),
    exp("NXOXM_ET_GTPU_MSGTYPE", kNxVendorId, 16, 1, 0, "tun_gtpu_msgtype"),
    oxm("OXM_OF_METADATA", 2, 8, kOf12, "metadata"),
    nxm0("NXM_OF_IN_PORT", 0, 2, "in_port"),
    oxm("OXM_OF_IN_PORT", 0, 4, kOf12, "in_port_oxm"),
    nxm1("NXM_NX_PKT_MARK", 33, 4, "pkt_mark"),
    nxm1("NXM_NX_CT_STATE", 105, 4, "ct_state"),
    nxm1("NXM_NX_CT_ZONE", 106, 2, "ct_zone"),
    nxm1("NXM_NX_CT_MARK", 107, 4, "ct_mark"),
    nxm1("NXM_NX_CT_LABEL", 108, 16, "ct_label"),
    nxm1("NXM_NX_CT_NW_PROTO", 119, 1, "ct_nw_proto"),
    nxm1("NXM_NX_CT_NW_SRC", 120, 4, "ct_nw_src"),
    nxm1("NXM_NX_CT_NW_DST", 121, 4, "ct_nw_dst"),
    nxm1("NXM_NX_CT_IPV6_SRC", 122, 16, "ct_ipv6_src"),
    nxm1("NXM_NX_CT_IPV6_DST", 123, 16, "ct_ipv6_dst"),
    nxm1("NXM_NX_CT_TP_SRC", 124, 2, "ct_tp_src"),
    nxm1("NXM_NX_CT_TP_DST", 125, 2, "ct_tp_dst"),
    nxm1("NXM_NX_REG0", 0, 4, "reg0"),
    nxm1("NXM_NX_REG1", 1, 4, "reg1"),
    nxm1("NXM_NX_REG2", 2, 4, "reg2"),
    nxm1("NXM_NX_REG3", 3, 4, "reg3"),
    nxm1("NXM_NX_REG4", 4, 4, "reg4"),
    nxm1("NXM_NX_REG5", 5, 4, "reg5"),
    nxm1("NXM_NX_REG6", 6, 4, "reg6"),
    nxm1("NXM_NX_REG7", 7, 4, "reg7"),
    nxm1("NXM_NX_REG8", 8, 4, "reg8"),
    nxm1("NXM_NX_REG9", 9, 4, "reg9"),
    nxm1("NXM_NX_REG10", 10, 4, "reg10"),
    nxm1("NXM_NX_REG11", 11, 4, "reg11"),
    nxm1("NXM_NX_REG12", 12, 4, "reg12"),
    nxm1("NXM_NX_REG13", 13, 4, "reg13"),
    nxm1("NXM_NX_REG14", 14, 4, "reg14"),
    nxm1("NXM_NX_REG15", 15, 4, "reg15"),
    {"OXM_OF_PKT_REG0", kOxmClassPacketRegs, 0, 0, 8, kOf13, "xreg0"},
    {"OXM_OF_PKT_REG1", kOxmClassPacketRegs, 1, 0, 8, kOf13, "xreg1"},
    {"OXM_OF_PKT_REG2", kOxmClassPacketRegs, 2, 0, 8, kOf13, "xreg2"},
    {"OXM_OF_PKT_REG3", kOxmClassPacketRegs, 3, 0, 8, kOf13, "xreg3"},
    {"OXM_OF_PKT_REG4", kOxmClassPacketRegs, 4, 0, 8, kOf13, "xreg4"},
    {"OXM_OF_PKT_REG5", kOxmClassPacketRegs, 5, 0, 8, kOf13, "xreg5"},
    {"OXM_OF_PKT_REG6", kOxmClassPacketRegs, 6, 0, 8, kOf13, "xreg6"},
    {"OXM_OF_PKT_REG7", kOxmClassPacketRegs, 7, 0, 8, kOf13, "xreg7"},
    nxm1("NXM_NX_XXREG0", 111, 16, "xxreg0"),
    nxm1("NXM_NX_XXREG1", 112, 16, "xxreg1"),
    nxm1("NXM_NX_XXREG2", 113, 16, "xxreg2"),
    nxm1("NXM_NX_XXREG3", 114, 16, "xxreg3"),
    nxm0("NXM_OF_ETH_SRC", 2, 6, "eth_src"),
    oxm("OXM_OF_ETH_SRC", 4, 6, kOf12, "eth_src"),
    nxm0("NXM_OF_ETH_DST", 1, 6, "eth_dst"),
    oxm("OXM_OF_ETH_DST", 3, 6, kOf12, "eth_dst"),
    nxm0("NXM_OF_ETH_TYPE", 3, 2, "eth_type"),
    oxm("OXM_OF_ETH_TYPE", 5, 2, kOf12, "eth_type"),
    nxm0("NXM_OF_VLAN_TCI", 4, 2, "vlan_tci"),
    oxm("OXM_OF_VLAN_VID", 6, 2, kOf12, "vlan_vid"),
    oxm("OXM_OF_VLAN_PCP", 7, 1, kOf12, "vlan_pcp"),
    oxm("OXM_OF_MPLS_LABEL", 34, 4, kOf12, "mpls_label"),
    oxm("OXM_OF_MPLS_TC", 35, 1, kOf12, "mpls_tc"),
    oxm("OXM_OF_MPLS_BOS", 36, 1, kOf13, "mpls_bos"),
    nxm1("NXM_NX_MPLS_TTL", 30, 1, "mpls_ttl"),
    nxm0("NXM_OF_IP_SRC", 7, 4, "ip_src"),
    oxm("OXM_OF_IPV4_SRC", 11, 4, kOf12, "ip_src"),
    nxm0("NXM_OF_IP_DST", 8, 4, "ip_dst"),
    oxm("OXM_OF_IPV4_DST", 12, 4, kOf12, "ip_dst"),
    nxm1("NXM_NX_IPV6_SRC", 19, 16, "ipv6_src"),
    oxm("OXM_OF_IPV6_SRC", 26, 16, kOf12, "ipv6_src"),
    nxm1("NXM_NX_IPV6_DST", 20, 16, "ipv6_dst"),
    oxm("OXM_OF_IPV6_DST", 27, 16, kOf12, "ipv6_dst"),
    nxm1("NXM_NX_IPV6_LABEL", 27, 4, "ipv6_label"),
    oxm("OXM_OF_IPV6_FLABEL", 28, 4, kOf12, "ipv6_label"),
    nxm0("NXM_OF_IP_PROTO", 6, 1, "nw_proto"),
    oxm("OXM_OF_IP_PROTO", 10, 1, kOf12, "nw_proto"),
    nxm0("NXM_OF_IP_TOS", 5, 1, "nw_tos"),
    oxm("OXM_OF_IP_DSCP", 8, 1, kOf12, "ip_dscp"),
    nxm1("NXM_NX_IP_ECN", 28, 1, "nw_ecn"),
    oxm("OXM_OF_IP_ECN", 9, 1, kOf12, "nw_ecn"),
    nxm1("NXM_NX_IP_TTL", 29, 1, "nw_ttl"),
    nxm1("NXM_NX_IP_FRAG", 26, 1, "ip_frag"),
    nxm0("NXM_OF_ARP_OP", 15, 2, "arp_op"),
    oxm("OXM_OF_ARP_OP", 21, 2, kOf12, "arp_op"),
    nxm0("NXM_OF_ARP_SPA", 16, 4, "arp_spa"),
    oxm("OXM_OF_ARP_SPA", 22, 4, kOf12, "arp_spa"),
    nxm0("NXM_OF_ARP_TPA", 17, 4, "arp_tpa"),
    oxm("OXM_OF_ARP_TPA", 23, 4, kOf12, "arp_tpa"),
    nxm1("NXM_NX_ARP_SHA", 17, 6, "arp_sha"),
    oxm("OXM_OF_ARP_SHA", 24, 6, kOf12, "arp_sha"),
    nxm1("NXM_NX_ARP_THA", 18, 6, "arp_tha"),
    oxm("OXM_OF_ARP_THA", 25, 6, kOf12, "arp_tha"),
    nxm0("NXM_OF_TCP_SRC", 9, 2, "tcp_src"),
    oxm("OXM_OF_TCP_SRC", 13, 2, kOf12, "tcp_src"),
    nxm0("NXM_OF_TCP_DST", 10, 2, "tcp_dst"),
    oxm("OXM_OF_TCP_DST", 14, 2, kOf12, "tcp_dst"),
    nxm1("NXM_NX_TCP_FLAGS", 34, 2, "tcp_flags"),
    exp("ONFOXM_ET_TCP_FLAGS", kOnfVendorId, 42, 2, kOf13, "tcp_flags"),
    oxm("OXM_OF_TCP_FLAGS", 42, 2, kOf15, "tcp_flags"),
    nxm0("NXM_OF_UDP_SRC", 11, 2, "udp_src"),
    oxm("OXM_OF_UDP_SRC", 15, 2, kOf12, "udp_src"),
    nxm0("NXM_OF_UDP_DST", 12, 2, "udp_dst"),
    oxm("OXM_OF_UDP_DST", 16, 2, kOf12, "udp_dst"),
    oxm("OXM_OF_SCTP_SRC", 17, 2, kOf12, "sctp_src"),
    oxm("OXM_OF_SCTP_DST", 18, 2, kOf12, "sctp_dst"),
    nxm0("NXM_OF_ICMP_TYPE", 13, 1, "icmp_type"),
    oxm("OXM_OF_ICMPV4_TYPE", 19, 1, kOf12, "icmp_type"),
    nxm0("NXM_OF_ICMP_CODE", 14, 1, "icmp_code"),
    oxm("OXM_OF_ICMPV4_CODE", 20, 1, kOf12, "icmp_code"),
    nxm1("NXM_NX_ICMPV6_TYPE", 21, 1, "icmpv6_type"),
    oxm("OXM_OF_ICMPV6_TYPE", 29, 1, kOf12, "icmpv6_type"),
    nxm1("NXM_NX_ICMPV6_CODE", 22, 1, "icmpv6_code"),
    oxm("OXM_OF_ICMPV6_CODE", 30, 1, kOf12, "icmpv6_code"),
    nxm1("NXM_NX_ND_TARGET", 23, 16, "nd_target"),
    oxm("OXM_OF_IPV6_ND_TARGET", 31, 16, kOf12, "nd_target"),
    nxm1("NXM_NX_ND_SLL", 24, 6, "nd_sll"),
    oxm("OXM_OF_IPV6_ND_SLL", 32, 6, kOf12, "nd_sll"),
    nxm1("NXM_NX_ND_TLL", 25, 6, "nd_tll"),
    oxm("OXM_OF_IPV6_ND_TLL", 33, 6, kOf12, "nd_tll"),
    {"ERICOXM_OF_ICMPV6_ND_RESERVED", kOxmClassEricsson, 1, 0, 4, 0, "nd_reserved"},
    {"ERICOXM_OF_ICMPV6_ND_OPTIONS_TYPE", kOxmClassEricsson, 2, 0, 1, 0, "nd_options_type"},
    exp("NXOXM_NSH_FLAGS", kNshVendorId, 1, 1, 0, "nsh_flags"),
    exp("NXOXM_NSH_MDTYPE", kNshVendorId, 2, 1, 0, "nsh_mdtype"),
    exp("NXOXM_NSH_NP", kNshVendorId, 3, 1, 0, "nsh_np"),
    exp("NXOXM_NSH_SPI", kNshVendorId, 4, 4, 0, "nsh_spi"),
    exp("NXOXM_NSH_SI", kNshVendorId, 5, 1, 0, "nsh_si"),
    exp("NXOXM_NSH_C1", kNshVendorId, 6, 4, 0, "nsh_c1"),
    exp("NXOXM_NSH_C2", kNshVendorId, 7, 4, 0, "nsh_c2"),
    exp("NXOXM_NSH_C3", kNshVendorId, 8, 4, 0, "nsh_c3"),
    exp("NXOXM_NSH_C4", kNshVendorId, 9, 4, 0, "nsh_c4"),
    exp("NXOXM_NSH_TTL", kNshVendorId, 10, 1, 0, "nsh_ttl"),
};

constexpr size_t kCount = std::size(kDefs);

struct Table {
  std::array<NxmField, kCount> fields;
  std::unordered_map<uint64_t, const NxmField*> by_header;
  std::unordered_map<std::string_view, const NxmField*> by_name;
};

uint64_t header_key(const NxmHeader& h) {
  return (uint64_t{h.oxm_class} << 40) | (uint64_t{h.oxm_field} << 32) | h.experimenter;
}

const Table& table() {
  static const Table* t = [] {
    auto* out = new Table;
    for (size_t i = 0; i < kCount; ++i) {
      const Def& d = kDefs[i];
      out->fields[i] = NxmField{d.name, NxmHeader{d.oxm_class, d.oxm_field, d.experimenter},
                                d.bytes, d.version, find_field(d.field)};
      out->by_header.emplace(header_key(out->fields[i].header), &out->fields[i]);
      out->by_name.emplace(d.name, &out->fields[i]);
    }
    return out;
  }();
  return *t;
}

}  // namespace

std::span<const NxmField> all_nxm_fields() { return table().fields; }

const NxmField* find_nxm_field(const NxmHeader& header) {
  const auto& map = table().by_header;
  auto it = map.find(header_key(header));
  return it == map.end() ? nullptr : it->second;
}

const NxmField* find_nxm_field(std::string_view name) {
  const auto& map = table().by_name;
  auto it = map.find(name);
  return it == map.end() ? nullptr : it->second;
}

namespace {

// Fields that have no header of their own travel as the field that shares
// their storage: tp_src as tcp_src (Open vSwitch's alias), dl_vlan and
// dl_vlan_pcp (OpenFlow 1.0's view of the VLAN tag) as vlan_vid / vlan_pcp.
std::string_view wire_alias(std::string_view name) {
  if (name == "tp_src") return "tcp_src";
  if (name == "tp_dst") return "tcp_dst";
  if (name == "dl_vlan") return "vlan_vid";
  if (name == "dl_vlan_pcp") return "vlan_pcp";
  return {};
}

}  // namespace

const NxmField* nxm_field_for(const OfFieldInfo& field, uint8_t version) {
  const NxmField* pick = nullptr;
  for (const NxmField& f : table().fields) {
    if (!f.field || f.field->name != field.name) continue;
    if (!pick || version >= f.version) pick = &f;
  }
  if (!pick) {
    std::string_view alias = wire_alias(field.name);
    if (!alias.empty()) return nxm_field_for(*find_field(alias), version);
  }
  return pick;
}

std::string_view nxm_name(const OfFieldInfo& field) {
  const NxmField* f = nxm_field_for(field, 0);
  return f ? f->name : field.name;
}

namespace {

using field_internal::field_layout;
using field_internal::load_number;
using field_internal::low_bits;
using field_internal::store_number;
using field_internal::ValueRule;

bool is_ofp10_port(const OfFieldInfo& field) { return field.name == "in_port"; }

}  // namespace

unsigned nxm_value_bits(const OfFieldInfo& field) {
  if (field.format == FieldFormat::kPort) return is_ofp10_port(field) ? 16 : 32;
  const auto& l = field_layout(field);
  if (l.rule == ValueRule::kInPlace) return field.bytes * 8u;
  return l.value_bits;
}

NxmNumber nxm_number(const OfFieldInfo& field, const uint8_t* storage) {
  const auto& l = field_layout(field);
  NxmNumber s = load_number(storage, field.bytes, l.order);
  if (field.format == FieldFormat::kPort) {
    uint32_t of_port = dp_port_to_of(static_cast<uint32_t>(s));
    return is_ofp10_port(field) ? port_to_ofp10(of_port) : of_port;
  }
  if (l.rule == ValueRule::kInPlace) return s & field_internal::field_storage_bits(l);
  return (s >> l.shift) & low_bits(l.value_bits);
}

NxmNumber nxm_mask_number(const OfFieldInfo& field, const uint8_t* storage) {
  if (field.format == FieldFormat::kPort) {
    NxmNumber s = load_number(storage, field.bytes, field_layout(field).order);
    return s ? low_bits(nxm_value_bits(field)) : 0;
  }
  return nxm_number(field, storage);
}

void store_nxm_number(const OfFieldInfo& field, NxmNumber number, uint8_t* storage) {
  const auto& l = field_layout(field);
  NxmNumber bits = field_internal::field_storage_bits(l), s;
  if (field.format == FieldFormat::kPort) {
    auto port = static_cast<uint32_t>(number);
    s = of_port_to_dp(is_ofp10_port(field) ? port_from_ofp10(static_cast<uint16_t>(port)) : port);
    bits = low_bits(32);
  } else if (l.rule == ValueRule::kInPlace) {
    s = number & bits;
  } else {
    s = (number & low_bits(l.value_bits)) << l.shift;
  }
  NxmNumber old = load_number(storage, field.bytes, l.order);
  store_number(storage, field.bytes, l.order, (old & ~bits) | s);
}

void store_nxm_mask_number(const OfFieldInfo& field, NxmNumber number, uint8_t* storage) {
  if (field.format == FieldFormat::kPort) {
    store_number(storage, field.bytes, field_layout(field).order, number ? low_bits(32) : 0);
    return;
  }
  store_nxm_number(field, number, storage);
}

}  // namespace flowpath::openflow
