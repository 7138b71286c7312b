// OpenFlow 1.0 ofp_match (see match_ofp10.h).
#include "openflow/wire/match_ofp10.h"

#include <cstring>

#include "openflow/nxm_field.h"
#include "packet/headers.h"

namespace flowpath::openflow::wire {

namespace {

constexpr uint32_t kFwInPort = 1 << 0;
constexpr uint32_t kFwDlVlan = 1 << 1;
constexpr uint32_t kFwDlSrc = 1 << 2;
constexpr uint32_t kFwDlDst = 1 << 3;
constexpr uint32_t kFwDlType = 1 << 4;
constexpr uint32_t kFwNwProto = 1 << 5;
constexpr uint32_t kFwTpSrc = 1 << 6;
constexpr uint32_t kFwTpDst = 1 << 7;
constexpr int kFwNwSrcShift = 8;
constexpr int kFwNwDstShift = 14;
constexpr uint32_t kFwDlVlanPcp = 1 << 20;
constexpr uint32_t kFwNwTos = 1 << 21;
constexpr uint32_t kFwAll = (1u << 22) - 1;
constexpr uint16_t kVlanNone = 0xffff;

uint32_t wcbits_to_netmask(uint32_t bits) {
  bits &= 0x3f;
  return bits < 32 ? ~((1u << bits) - 1) : 0;
}

// Wildcard bits for a CIDR mask; -1 when the mask is not a prefix.
int netmask_to_wcbits(uint32_t mask) {
  if (mask == 0) return 32;
  int zeros = __builtin_ctz(mask);
  if (mask != ~((1u << zeros) - 1)) return -1;
  return zeros;
}

constexpr size_t key_offset(size_t field_offset) { return offsetof(OfFlow, key) + field_offset; }

bool all_set(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i] != 0xff) return false;
  return true;
}

// Wildcards what OpenFlow 1.0's dl_type and nw_proto rule out, as Open
// vSwitch normalizes OpenFlow 1.0 matches.
void normalize(OfMatch& m) {
  FlowKey& k = m.mask.key;
  // Only a dl_type and nw_proto the match really matches say what may follow;
  // a wildcarded one's value bytes are garbage the next decode would not see.
  const uint16_t dl_type = k.eth_type == 0xffff ? ntoh16(m.value.key.eth_type) : 0;
  const uint8_t proto = k.nw_proto == 0xff ? m.value.key.nw_proto : 0;
  const bool ip = dl_type == ethertype::kIpv4;
  const bool arp = dl_type == ethertype::kArp || dl_type == ethertype::kRarp;
  if (!ip && !arp) k.ipv4_src = k.ipv4_dst = 0;
  if (!ip || !(proto == ipproto::kTcp || proto == ipproto::kUdp || proto == ipproto::kSctp ||
               proto == ipproto::kIcmp))
    k.tp_src = k.tp_dst = 0;
  if (!ip) {
    k.nw_proto = 0;
    k.nw_tos = 0;
  }
  if (!arp) k.arp_op = 0;
  // ICMP type and code are 8 bits: the model keeps them in the low byte.
  if (ip && proto == ipproto::kIcmp) {
    k.tp_src &= hton16(0x00ff);
    k.tp_dst &= hton16(0x00ff);
  }
  m.normalize();
}

}  // namespace

WireResult<OfMatch> pull_ofp10_match(WireReader& r) {
  WIRE_TRY_ASSIGN(b, r.pull(kOfp10MatchLen, "ofp_match"));
  const uint8_t* p = b.data();
  const uint32_t fw = get_u32(p) & kFwAll;
  OfMatch m;
  FlowKey& v = m.value.key;
  FlowKey& k = m.mask.key;
  const uint16_t in_port = get_u16(p + 4);
  if (!(fw & kFwInPort)) {
    const OfFieldInfo& f = *find_field("in_port");
    if (in_port == 0)
      return wire_error(OfpErrorCode::OFPBMC_BAD_VALUE, "ofp_match: in_port 0 does not exist");
    store_nxm_number(f, in_port, m.value.bytes() + f.offset);
    store_nxm_mask_number(f, 0xffff, m.mask.bytes() + f.offset);
  }
  std::memcpy(v.eth_src.bytes, p + 6, 6);
  std::memcpy(v.eth_dst.bytes, p + 12, 6);
  if (!(fw & kFwDlSrc)) std::memset(k.eth_src.bytes, 0xff, 6);
  if (!(fw & kFwDlDst)) std::memset(k.eth_dst.bytes, 0xff, 6);
  const uint16_t dl_vlan = get_u16(p + 18);
  const uint8_t dl_vlan_pcp = p[20];
  v.eth_type = hton16(get_u16(p + 22));
  if (!(fw & kFwDlType)) k.eth_type = 0xffff;
  const uint8_t nw_tos = p[24], nw_proto = p[25];
  v.ipv4_src = hton32(get_u32(p + 28));
  v.ipv4_dst = hton32(get_u32(p + 32));
  k.ipv4_src = hton32(wcbits_to_netmask(fw >> kFwNwSrcShift));
  k.ipv4_dst = hton32(wcbits_to_netmask(fw >> kFwNwDstShift));
  v.tp_src = hton16(get_u16(p + 36));
  v.tp_dst = hton16(get_u16(p + 38));
  if (!(fw & kFwTpSrc)) k.tp_src = 0xffff;
  if (!(fw & kFwTpDst)) k.tp_dst = 0xffff;
  v.nw_tos = nw_tos & 0xfc;
  if (!(fw & kFwNwTos)) k.nw_tos = 0xfc;
  const uint16_t dl_type = ntoh16(v.eth_type);
  if (dl_type == ethertype::kArp || dl_type == ethertype::kRarp) {
    // OpenFlow 1.0 carries the ARP opcode's low byte in nw_proto.
    v.arp_op = hton16(nw_proto);
    if (!(fw & kFwNwProto)) k.arp_op = hton16(0x00ff);
  } else {
    v.nw_proto = nw_proto;
    if (!(fw & kFwNwProto)) k.nw_proto = 0xff;
  }
  uint16_t tci_mask = 0;
  if (!(fw & kFwDlVlanPcp)) tci_mask |= 0xe000 | kVlanCfi;
  if (!(fw & kFwDlVlan)) tci_mask |= 0x0fff | kVlanCfi;
  if (!(fw & kFwDlVlan) && dl_vlan == kVlanNone) {
    v.vlans[0].tci = 0;  // no 802.1Q header
    k.vlans[0].tci = 0xffff;
  } else {
    uint16_t tci = (dl_vlan & 0x0fff) | ((dl_vlan_pcp << 13) & 0xe000) | kVlanCfi;
    v.vlans[0].tci = hton16(tci & tci_mask);
    k.vlans[0].tci = hton16(tci_mask);
  }
  normalize(m);
  return m;
}

std::optional<std::string> ofp10_match_problem(const OfMatch& m) {
  // Bytes an OpenFlow 1.0 match can carry.
  OfFlow carried;
  carried.clear();
  auto allow = [&](size_t offset, size_t n) { std::memset(carried.bytes() + offset, 0xff, n); };
  allow(offsetof(OfFlow, key) + offsetof(FlowKey, md) + offsetof(PacketMetadata, in_port), 4);
  allow(key_offset(offsetof(FlowKey, eth_src)), 6);
  allow(key_offset(offsetof(FlowKey, eth_dst)), 6);
  allow(key_offset(offsetof(FlowKey, eth_type)), 2);
  allow(key_offset(offsetof(FlowKey, vlans)) + 2, 2);
  allow(key_offset(offsetof(FlowKey, ipv4_src)), 8);
  allow(key_offset(offsetof(FlowKey, nw_proto)), 1);
  carried.key.nw_tos = 0xfc;
  allow(key_offset(offsetof(FlowKey, arp_op)), 2);
  allow(key_offset(offsetof(FlowKey, tp_src)), 4);
  for (size_t i = 0; i < OfFlow::kWords; ++i)
    if (m.mask.words()[i] & ~carried.words()[i])
      return std::string("the match has fields OpenFlow 1.0's ofp_match cannot carry");
  const FlowKey& k = m.mask.key;
  auto exact_or_none = [](const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    return all_set(b, n) || all_zero(ByteView(b, n));
  };
  // ICMP type and code match the low byte of the transport ports.
  auto port_ok = [&](be16 mask) {
    return mask == 0 || mask == 0xffff ||
           (m.value.key.nw_proto == ipproto::kIcmp && mask == hton16(0x00ff));
  };
  if (!exact_or_none(&k.eth_src, 6) || !exact_or_none(&k.eth_dst, 6) ||
      !exact_or_none(&k.eth_type, 2) || !exact_or_none(&k.nw_proto, 1) ||
      !port_ok(k.tp_src) || !port_ok(k.tp_dst) || !exact_or_none(&k.md.in_port, 4))
    return std::string("OpenFlow 1.0 matches Ethernet addresses, types and ports exactly or not");
  if (k.nw_tos != 0 && k.nw_tos != 0xfc)
    return std::string("OpenFlow 1.0 matches the whole DSCP or none of it");
  if (k.arp_op != 0 && ntoh16(k.arp_op) < 0xff)
    return std::string("OpenFlow 1.0 matches the ARP opcode exactly or not");
  if (netmask_to_wcbits(ntoh32(k.ipv4_src)) < 0 || netmask_to_wcbits(ntoh32(k.ipv4_dst)) < 0)
    return std::string("OpenFlow 1.0 matches IPv4 addresses by prefix only");
  const uint16_t tci_mask = ntoh16(k.vlans[0].tci), tci = ntoh16(m.value.key.vlans[0].tci);
  if (tci_mask && !(tci_mask == 0xffff && tci == 0)) {
    const uint16_t vid = tci_mask & 0x0fff, pcp = tci_mask & 0xe000;
    if (!(tci_mask & kVlanCfi) || !(tci & kVlanCfi) || (vid && vid != 0x0fff) ||
        (pcp && pcp != 0xe000))
      return std::string("OpenFlow 1.0 matches a VLAN tag by whole VID and PCP only");
  }
  return std::nullopt;
}

void put_ofp10_match(WireWriter& w, const OfMatch& m) {
  const FlowKey& v = m.value.key;
  const FlowKey& k = m.mask.key;
  const uint16_t dl_type = ntoh16(v.eth_type);
  const bool arp = dl_type == ethertype::kArp || dl_type == ethertype::kRarp;
  uint32_t fw = 0;
  if (!k.md.in_port) fw |= kFwInPort;
  if (!k.eth_type) fw |= kFwDlType;
  if (arp ? !k.arp_op : !k.nw_proto) fw |= kFwNwProto;
  fw |= static_cast<uint32_t>(netmask_to_wcbits(ntoh32(k.ipv4_src)) & 0x3f) << kFwNwSrcShift;
  fw |= static_cast<uint32_t>(netmask_to_wcbits(ntoh32(k.ipv4_dst)) & 0x3f) << kFwNwDstShift;
  if (!(k.nw_tos & 0xfc)) fw |= kFwNwTos;
  if (!k.tp_src) fw |= kFwTpSrc;
  if (!k.tp_dst) fw |= kFwTpDst;
  if (all_zero(ByteView(k.eth_src.bytes, 6))) fw |= kFwDlSrc;
  if (all_zero(ByteView(k.eth_dst.bytes, 6))) fw |= kFwDlDst;
  uint16_t dl_vlan = 0;
  uint8_t dl_vlan_pcp = 0;
  const uint16_t tci_mask = ntoh16(k.vlans[0].tci), tci = ntoh16(v.vlans[0].tci);
  if (tci_mask == 0) {
    fw |= kFwDlVlan | kFwDlVlanPcp;
  } else if ((tci_mask & kVlanCfi) && !(tci & kVlanCfi)) {
    dl_vlan = kVlanNone;
  } else {
    if (!(tci_mask & 0x0fff)) fw |= kFwDlVlan;
    else dl_vlan = tci & 0x0fff;
    if (!(tci_mask & 0xe000)) fw |= kFwDlVlanPcp;
    else dl_vlan_pcp = static_cast<uint8_t>(tci >> 13);
  }
  w.put_u32(fw);
  const OfFieldInfo& in_port = *find_field("in_port");
  w.put_u16(k.md.in_port ? static_cast<uint16_t>(nxm_number(in_port, m.value.bytes() + in_port.offset))
                         : 0);
  w.put_bytes(v.eth_src.bytes, 6);
  w.put_bytes(v.eth_dst.bytes, 6);
  w.put_u16(dl_vlan);
  w.put_u8(dl_vlan_pcp);
  w.put_u8(0);
  w.put_u16(dl_type);
  w.put_u8(v.nw_tos & 0xfc);
  w.put_u8(arp ? static_cast<uint8_t>(ntoh16(v.arp_op)) : v.nw_proto);
  w.put_zeros(2);
  w.put_u32(ntoh32(v.ipv4_src));
  w.put_u32(ntoh32(v.ipv4_dst));
  w.put_u16(ntoh16(v.tp_src));
  w.put_u16(ntoh16(v.tp_dst));
}

}  // namespace flowpath::openflow::wire
