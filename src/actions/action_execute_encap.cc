// Actions that add or remove headers: VLAN tags, MPLS labels, Ethernet and
// NSH. Each keeps the layer offsets (Packet::push/pull shift them) and the
// packet type right so later actions of the same list find their headers.
#include <cstring>

#include "actions/action_execute_internal.h"
#include "flow/odp_abi.h"

namespace flowpath::exec {

namespace {

constexpr uint32_t kMacAddressesLength = 2 * kEthAddrLen;
constexpr uint32_t kVlanHeaderLength = 4;  // TPID + TCI
constexpr uint32_t kMplsHeaderLength = sizeof(MplsHeader);
constexpr uint32_t kNshBaseLength = sizeof(NshHeader);
constexpr uint32_t kNshMd1Length = 24;
constexpr uint32_t kNshMaxLength = 0x3f * 4;  // the 6-bit length counts 4-byte words
constexpr uint8_t kNshMdType1 = 1;
constexpr uint8_t kNshMdType2 = 2;
constexpr uint16_t kMplsL3TunnelFlag = 1 << 0;

// NSH next-protocol values (RFC 8300).
constexpr uint8_t kNshNextIpv4 = 1;
constexpr uint8_t kNshNextIpv6 = 2;
constexpr uint8_t kNshNextEthernet = 3;
constexpr uint8_t kNshNextNsh = 4;
constexpr uint8_t kNshNextMpls = 5;

bool is_vlan_tpid(be16 type) {
  return type == hton16(ethertype::kVlan8021Q) || type == hton16(ethertype::kVlan8021AD);
}

struct SavedOffsets {
  uint16_t l2_5, l3, l4;
  PacketOffload offload;
  explicit SavedOffsets(const Packet& p)
      : l2_5(p.l2_5_offset), l3(p.l3_offset), l4(p.l4_offset), offload(p.offload) {}
  void restore(Packet& p) const {
    p.l2_5_offset = l2_5;
    p.l3_offset = l3;
    p.l4_offset = l4;
    p.offload = offload;
  }
};

// A label in front of an offloaded packet's IP header: no device finishes
// that (Linux segments MPLS only for its own tunnels), so software does.
void mark_software_only(Packet& p) {
  if (p.offload.needs != 0) p.offload.needs |= offload::kSoftwareOnly;
}

// Inserts n bytes at `at` (an offset into the frame) by moving the first
// `at` bytes to the front; returns the gap. Offsets past `at` move by n.
uint8_t* open_gap(Packet& p, uint32_t at, uint32_t n) {
  uint8_t* front = p.push(n);
  std::memmove(front, front + n, at);
  return front + at;
}

// Removes n bytes at `at` by moving the first `at` bytes back over them.
void close_gap(Packet& p, uint32_t at, uint32_t n) {
  std::memmove(p.data() + n, p.data(), at);
  p.pull(n);
}

}  // namespace

bool ensure_headroom(Packet& p, uint32_t n) {
  if (p.headroom() >= n) return true;
  uint32_t shift = n - p.headroom();
  if (p.tailroom() < shift) return false;
  SavedOffsets offsets(p);
  uint32_t size = p.size();
  p.put(shift);
  std::memmove(p.data() + shift, p.data(), size);
  p.pull(shift);
  offsets.restore(p);
  return true;
}

// ---------------------------------------------------------------- VLAN

bool push_vlan(Packet& p, be16 tpid, be16 tci) {
  if (p.md.packet_type != kPacketTypeEthernet || p.size() < sizeof(EthHeader)) return true;
  if (!ensure_headroom(p, kVlanHeaderLength)) return false;
  // The 12 address bytes move by a fixed 4: two loads and two stores beat a
  // call to memmove.
  uint64_t first8 = load_unaligned<uint64_t>(p.data());
  uint32_t last4 = load_unaligned<uint32_t>(p.data() + 8);
  uint8_t* front = p.push(kVlanHeaderLength);
  store_unaligned(front, first8);
  store_unaligned(front + 8, last4);
  uint8_t* tag = front + kMacAddressesLength;
  store_be16(tag, tpid);
  // The CFI bit means "tag present" in a flow key; on the wire it is 0.
  store_be16(tag + 2, tci & hton16(static_cast<uint16_t>(~kVlanCfi)));
  return true;
}

void pop_vlan(Packet& p) {
  if (p.md.packet_type != kPacketTypeEthernet || p.size() < sizeof(EthHeader) + kVlanHeaderLength ||
      !is_vlan_tpid(load_be16(p.data() + kMacAddressesLength))) {
    return;
  }
  close_gap(p, kMacAddressesLength, kVlanHeaderLength);
}

// ---------------------------------------------------------------- MPLS

bool push_mpls(Packet& p, be32 lse, uint16_t type) {
  if (!is_mpls_ethertype(type)) return true;
  uint32_t at = p.l2_5_offset != Packet::kNoOffset ? p.l2_5_offset : p.l3_offset;
  if (at == Packet::kNoOffset || at > p.size()) return true;
  bool ethernet = p.md.packet_type == kPacketTypeEthernet;
  if (ethernet && at < sizeof(EthHeader)) return true;
  if (!ensure_headroom(p, kMplsHeaderLength)) return false;
  // The EtherType just before L2.5 (after any VLAN tags) names the label.
  if (ethernet) store_be16(p.data() + at - 2, hton16(type));
  uint8_t* label = open_gap(p, at, kMplsHeaderLength);
  store_be32(label, lse);
  p.l2_5_offset = static_cast<uint16_t>(at);
  mark_software_only(p);
  if (!ethernet) p.md.packet_type = packet_type_of_ethertype(type);
  return true;
}

void pop_mpls(Packet& p, uint16_t type) {
  uint32_t at = p.l2_5_offset;
  if (at == Packet::kNoOffset || at + kMplsHeaderLength > p.size()) return;
  bool ethernet = p.md.packet_type == kPacketTypeEthernet;
  if (ethernet && at < sizeof(EthHeader)) return;
  bool bottom_of_stack = load_be32(p.data() + at) & hton32(kMplsBosMask);
  if (ethernet) store_be16(p.data() + at - 2, hton16(type));
  close_gap(p, at, kMplsHeaderLength);
  p.l2_5_offset = bottom_of_stack ? Packet::kNoOffset : static_cast<uint16_t>(at);
  if (ethernet) return;
  // An L3 MPLS packet becomes what its last label carried.
  if (type == ethertype::kTeb) {
    p.md.packet_type = kPacketTypeEthernet;
    p.reset_offsets();  // the inner frame has not been parsed
  } else {
    p.md.packet_type = packet_type_of_ethertype(type);
  }
}

// Without the L3 tunnel flag the label goes in front of everything, the
// Ethernet header included, and the packet becomes an L3 MPLS packet.
bool add_mpls(Packet& p, be32 lse, uint16_t type, bool l3_tunnel) {
  if (!is_mpls_ethertype(type)) return true;
  if (l3_tunnel) return push_mpls(p, lse, type);
  if (!ensure_headroom(p, kMplsHeaderLength)) return false;
  store_be32(p.push(kMplsHeaderLength), lse);
  mark_software_only(p);
  p.l2_5_offset = 0;
  p.l3_offset = kMplsHeaderLength;  // the payload: the frame that was
  p.l4_offset = Packet::kNoOffset;
  p.md.packet_type = packet_type_of_ethertype(type);
  return true;
}

// ---------------------------------------------------------------- Ethernet

bool push_eth(Packet& p, const uint8_t src[6], const uint8_t dst[6]) {
  if (p.md.packet_type == kPacketTypeEthernet) return true;
  uint32_t type = ntoh32(p.md.packet_type);
  if ((type >> 16) != 1) return true;  // only EtherType-named L3 packets
  if (!ensure_headroom(p, sizeof(EthHeader))) return false;
  uint8_t* eth = p.push(sizeof(EthHeader));
  std::memcpy(eth + offsetof(EthHeader, dst), dst, kEthAddrLen);
  std::memcpy(eth + offsetof(EthHeader, src), src, kEthAddrLen);
  store_be16(eth + offsetof(EthHeader, type), hton16(static_cast<uint16_t>(type)));
  p.md.packet_type = kPacketTypeEthernet;
  return true;
}

// Removes the Ethernet header and any VLAN tags: everything before L2.5 or L3.
void pop_eth(Packet& p) {
  if (p.md.packet_type != kPacketTypeEthernet) return;
  uint32_t at = p.l2_5_offset != Packet::kNoOffset ? p.l2_5_offset : p.l3_offset;
  if (at == Packet::kNoOffset || at < sizeof(EthHeader) || at > p.size()) return;
  uint16_t type = ntoh16(load_be16(p.data() + at - 2));
  p.pull(at);
  p.md.packet_type = packet_type_of_ethertype(type);
  mark_software_only(p);
}

// ---------------------------------------------------------------- NSH

NshHeaderImage build_nsh_header(std::span<const uint8_t> payload) {
  NshHeaderImage image;
  odp::NshBase base{};
  bool have_base = false;
  std::span<const uint8_t> metadata;
  bool have_metadata = false;
  for_each_nested(payload, [&](const NetlinkAttr& a) {
    if (a.type == odp::kNshBase && a.size() >= sizeof base) {
      base = a.get<odp::NshBase>();
      have_base = true;
    } else if (a.type == odp::kNshMd1 || a.type == odp::kNshMd2) {
      metadata = a.payload;
      have_metadata = true;
    }
  });
  if (!have_base) return image;
  uint8_t md_type = base.mdtype & 0x0f;
  uint32_t length = kNshBaseLength;
  if (md_type == kNshMdType1) {
    if (!have_metadata || metadata.size() != sizeof(odp::NshMd1)) return image;
    length = kNshMd1Length;
  } else if (md_type == kNshMdType2) {
    if (metadata.size() % 4 != 0 || kNshBaseLength + metadata.size() > kNshMaxLength) return image;
    length = static_cast<uint32_t>(kNshBaseLength + metadata.size());
  } else {
    return image;
  }
  // Version 0, O/U flags, 6-bit TTL, length in 4-byte words.
  uint16_t first =
      static_cast<uint16_t>(((base.flags & 0x3) << 12) | ((base.ttl & 0x3f) << 6) | (length / 4));
  store_be16(image.bytes, hton16(first));
  image.bytes[offsetof(NshHeader, md_type)] = md_type;
  image.bytes[offsetof(NshHeader, next_proto)] = base.np;  // replaced per packet
  store_be32(image.bytes + offsetof(NshHeader, path_hdr), base.path_hdr);
  if (!metadata.empty())
    std::memcpy(image.bytes + kNshBaseLength, metadata.data(), metadata.size());
  image.length = length;
  return image;
}

// The next protocol is the packet's own type; others are left unchanged.
bool push_nsh(Packet& p, const NshHeaderImage& header) {
  if (header.length == 0) return true;
  uint8_t next;
  if (p.md.packet_type == kPacketTypeEthernet) {
    next = kNshNextEthernet;
  } else {
    uint32_t type = ntoh32(p.md.packet_type);
    if (type == ((1u << 16) | ethertype::kIpv4))
      next = kNshNextIpv4;
    else if (type == ((1u << 16) | ethertype::kIpv6))
      next = kNshNextIpv6;
    else if (type == ((1u << 16) | ethertype::kNsh))
      next = kNshNextNsh;
    else if (type == ((1u << 16) | ethertype::kMplsUnicast))
      next = kNshNextMpls;
    else
      return true;
  }
  if (!ensure_headroom(p, header.length)) return false;
  uint8_t* nsh = p.push(header.length);
  std::memcpy(nsh, header.bytes, header.length);
  nsh[offsetof(NshHeader, next_proto)] = next;
  mark_software_only(p);
  p.md.packet_type = packet_type_of_ethertype(ethertype::kNsh);
  p.reset_offsets();
  p.l3_offset = 0;
  return true;
}

// A packet whose NSH header is cut or names an unknown next protocol
// cannot be decapsulated and is dropped.
bool pop_nsh(Packet& p) {
  if (p.md.packet_type != packet_type_of_ethertype(ethertype::kNsh)) return true;
  if (p.size() < kNshBaseLength) return false;
  const uint8_t* nsh = p.data();
  uint32_t length = (ntoh16(load_be16(nsh)) & 0x3f) * 4u;
  if (length < kNshBaseLength || length > p.size()) return false;
  be32 inner;
  switch (nsh[offsetof(NshHeader, next_proto)]) {
    case kNshNextIpv4:
      inner = packet_type_of_ethertype(ethertype::kIpv4);
      break;
    case kNshNextIpv6:
      inner = packet_type_of_ethertype(ethertype::kIpv6);
      break;
    case kNshNextEthernet:
      inner = kPacketTypeEthernet;
      break;
    case kNshNextNsh:
      inner = packet_type_of_ethertype(ethertype::kNsh);
      break;
    case kNshNextMpls:
      inner = packet_type_of_ethertype(ethertype::kMplsUnicast);
      break;
    default:
      return false;
  }
  p.pull(length);
  p.md.packet_type = inner;
  p.reset_offsets();
  // An L3 payload starts right here; an Ethernet one needs parsing.
  if (inner == packet_type_of_ethertype(ethertype::kMplsUnicast))
    p.l2_5_offset = 0;
  else if (inner != kPacketTypeEthernet)
    p.l3_offset = 0;
  return true;
}

}  // namespace flowpath::exec
