// set(...) and set_masked(...): rewriting header fields and metadata.
//
// A plain set is a masked set with every bit of the field in the mask (the
// Linux datapath converts them the same way), so each field has one setter.
// The action is decoded once per batch; the setters then run per packet.
// A packet without the header a set names is left alone, except that the L4
// sets follow Open vSwitch's userspace datapath: they write whatever follows
// the IP header when enough bytes are there, whatever the protocol.
#include <cstring>

#include "actions/action_execute_internal.h"
#include "flow/odp_abi.h"
#include "packet/checksum.h"

namespace flowpath::exec {

namespace {

constexpr uint32_t kIpv6LabelMask = 0x000fffff;
constexpr uint16_t kIpv4FragOffset = 0x1fff;
constexpr uint16_t kIpv6FragOffset = 0xfff8;
constexpr uint16_t kIpv6MoreFragments = 0x0001;
constexpr uint32_t kTcpChecksumOffset = offsetof(TcpHeader, checksum);
constexpr uint32_t kUdpChecksumOffset = offsetof(UdpHeader, checksum);
constexpr uint32_t kIcmpChecksumOffset = offsetof(IcmpHeader, checksum);
constexpr uint32_t kNdOptionsOffset = sizeof(NdMessage);
constexpr uint32_t kNdOptionUnit = 8;
constexpr uint32_t kNshBaseLength = sizeof(NshHeader);
constexpr uint32_t kNshMd1Length = 24;

// Open vSwitch's userspace datapath writes an L4 set into whatever follows
// the IP header when enough bytes are there, whatever the protocol, later
// fragments included; its header-length checks are these.
constexpr uint32_t kIcmpSetLength = 8;      // type, code, checksum and the rest word
constexpr uint32_t kIcmpv6HeaderLength = 4;  // type, code, checksum

uint8_t* after_ip(const IpHeaders& ip, uint32_t min_length) {
  return ip.after_ip != nullptr && ip.after_ip_length >= min_length ? ip.after_ip : nullptr;
}

// The transport header an address change updates the checksum of: by the
// protocol of what follows the IP header, in a later fragment too.
uint8_t* checksummed_header(const IpHeaders& ip, uint8_t proto, uint32_t min_length) {
  return ip.after_ip_proto == proto ? after_ip(ip, min_length) : nullptr;
}

bool is_ipv6_extension(uint8_t proto) {
  return proto == ipproto::kHopByHop || proto == ipproto::kRouting || proto == ipproto::kDstOpts ||
         proto == ipproto::kAuth || proto == ipproto::kFragment;
}

bool locate_ipv4(uint8_t* l3, uint32_t available, IpHeaders* ip) {
  if (available < sizeof(Ipv4Header) || (l3[0] >> 4) != 4) return false;
  uint32_t header_length = (l3[0] & 0x0f) * 4u;
  uint32_t total_length = ntoh16(load_be16(l3 + offsetof(Ipv4Header, total_length)));
  if (header_length < sizeof(Ipv4Header) || header_length > available ||
      total_length < header_length) {
    return false;
  }
  ip->l3 = l3;
  ip->l3_length = std::min(total_length, available);
  ip->proto = l3[offsetof(Ipv4Header, proto)];
  be16 frag_off = load_be16(l3 + offsetof(Ipv4Header, frag_off));
  if ((frag_off & hton16(kIpv4FragOffset)) == 0) {  // not a later fragment
    ip->l4 = l3 + header_length;
    ip->l4_length = ip->l3_length - header_length;
  }
  if (total_length <= available) {
    ip->after_ip = l3 + header_length;
    ip->after_ip_length = total_length - header_length;
    ip->after_ip_proto = ip->proto;
  }
  return true;
}

// Walks extension headers as the key extractor does; the transport header
// is known only when every extension header is whole and this is not a
// later fragment.
bool locate_ipv6(uint8_t* l3, uint32_t available, IpHeaders* ip) {
  if (available < sizeof(Ipv6Header) || (l3[0] >> 4) != 6) return false;
  uint32_t payload_length = ntoh16(load_be16(l3 + offsetof(Ipv6Header, payload_length)));
  ip->l3 = l3;
  ip->ipv6 = true;
  ip->l3_length = std::min<uint32_t>(sizeof(Ipv6Header) + payload_length, available);
  const bool whole = sizeof(Ipv6Header) + payload_length <= available;
  uint32_t offset = sizeof(Ipv6Header);
  uint8_t next = l3[offsetof(Ipv6Header, next_header)];
  while (is_ipv6_extension(next)) {
    ip->proto = next;
    if (ip->l3_length - offset < 8) return true;
    const uint8_t* ext = l3 + offset;
    if (next == ipproto::kFragment) {
      const be16 offset_flags = load_be16(ext + offsetof(Ipv6FragmentHeader, offset_flags));
      ip->ipv6_fragment_keeps_checksum = (offset_flags & hton16(kIpv6FragOffset)) != 0 ||
                                         (offset_flags & hton16(kIpv6MoreFragments)) == 0;
      if (offset_flags & hton16(kIpv6FragOffset)) {
        offset += sizeof(Ipv6FragmentHeader);
        if (whole) {
          ip->after_ip = l3 + offset;
          ip->after_ip_length = ip->l3_length - offset;
          ip->after_ip_proto = ext[0];
        }
        return true;
      }
      next = ext[0];
      offset += sizeof(Ipv6FragmentHeader);
      continue;
    }
    if (next == ipproto::kRouting && ext[3] != 0) ip->routing_segments_left = true;
    uint32_t length = next == ipproto::kAuth ? (ext[1] + 2u) * 4 : (ext[1] + 1u) * 8;
    if (length > ip->l3_length - offset) return true;
    next = ext[0];
    offset += length;
  }
  ip->proto = next;
  ip->l4 = l3 + offset;
  ip->l4_length = ip->l3_length - offset;
  if (whole) {
    ip->after_ip = ip->l4;
    ip->after_ip_length = ip->l4_length;
    ip->after_ip_proto = next;
  }
  return true;
}

// ---------------------------------------------------------------- decoding

template <typename T>
bool load_value_and_mask(std::span<const uint8_t> payload, bool is_masked, T* value, T* mask) {
  if (payload.size() < sizeof(T) * (is_masked ? 2 : 1)) return false;
  std::memcpy(value, payload.data(), sizeof(T));
  if (is_masked)
    std::memcpy(mask, payload.data() + sizeof(T), sizeof(T));
  else
    std::memset(mask, 0xff, sizeof(T));
  return true;
}

// The one nested attribute of a set action.
bool inner_attribute(std::span<const uint8_t> payload, NetlinkAttr* attr) {
  if (payload.size() < kNlaHeaderLen) return false;
  uint16_t length = load_unaligned<uint16_t>(payload.data());
  uint16_t type = load_unaligned<uint16_t>(payload.data() + 2);
  if (length < kNlaHeaderLen || length > payload.size()) return false;
  *attr = NetlinkAttr{static_cast<uint16_t>(type & kNlaTypeMask),
                      payload.subspan(kNlaHeaderLen, length - kNlaHeaderLen)};
  return true;
}

// ---------------------------------------------------------------- L2

void set_ethernet(Packet& p, const odp::KeyEthernet& value, const odp::KeyEthernet& mask) {
  if (p.md.packet_type != kPacketTypeEthernet || p.size() < sizeof(EthHeader)) return;
  uint8_t* eth = p.data();
  for (int i = 0; i < kEthAddrLen; ++i) {
    eth[offsetof(EthHeader, dst) + i] =
        masked(eth[offsetof(EthHeader, dst) + i], value.dst[i], mask.dst[i]);
    eth[offsetof(EthHeader, src) + i] =
        masked(eth[offsetof(EthHeader, src) + i], value.src[i], mask.src[i]);
  }
}

void set_mpls(Packet& p, be32 value, be32 mask) {
  if (p.l2_5_offset == Packet::kNoOffset || p.l2_5_offset + sizeof(MplsHeader) > p.size()) return;
  uint8_t* lse = p.data() + p.l2_5_offset;
  store_be32(lse, masked(load_be32(lse), value, mask));
}

// ---------------------------------------------------------------- checksums of L4 on L3 change

// Whether `field` is a checksum the sender left partial (packet_offload.h):
// it holds the pseudo-header sum, not complemented, which covers the
// addresses but not the ports; the device or offload_finish.h completes it.
bool partial_checksum(const Packet& p, const uint8_t* field) {
  return (p.offload.needs & offload::kPartialChecksum) != 0 &&
         field == p.data() + p.offload.l4_offset + p.offload.checksum_offset;
}

// A partial checksum's pseudo-header sum after an address change: the
// complement of a checksum update of its complement.
be16 partial_update32(be16 sum, be32 old_value, be32 new_value) {
  return static_cast<be16>(~checksum_update32(static_cast<be16>(~sum), old_value, new_value));
}
be16 partial_update128(be16 sum, const uint8_t* old_address, const uint8_t* new_address) {
  return static_cast<be16>(~checksum_update128(static_cast<be16>(~sum), old_address, new_address));
}

// Updates the transport checksum for a 32-bit change of a pseudo-header
// word (an IPv4 address). UDP's zero checksum means "none" and stays zero.
void update_l4_for_ipv4_address(const Packet& p, const IpHeaders& ip, be32 old_address,
                                be32 new_address) {
  if (uint8_t* tcp = checksummed_header(ip, ipproto::kTcp, sizeof(TcpHeader))) {
    uint8_t* field = tcp + kTcpChecksumOffset;
    if (partial_checksum(p, field)) {
      store_be16(field, partial_update32(load_be16(field), old_address, new_address));
      return;
    }
    store_be16(field, checksum_update32(load_be16(field), old_address, new_address));
  } else if (uint8_t* udp = checksummed_header(ip, ipproto::kUdp, sizeof(UdpHeader))) {
    uint8_t* field = udp + kUdpChecksumOffset;
    if (partial_checksum(p, field)) {
      store_be16(field, partial_update32(load_be16(field), old_address, new_address));
      return;
    }
    be16 checksum = load_be16(field);
    if (checksum == 0) return;
    checksum = checksum_update32(checksum, old_address, new_address);
    store_be16(field, checksum == 0 ? 0xffff : checksum);
  }
}

void update_l4_for_ipv6_address(const Packet& p, const IpHeaders& ip, const uint8_t* old_address,
                                const uint8_t* new_address) {
  // Behind a fragment header other than a first fragment's, Open vSwitch
  // leaves the transport checksum as it is.
  if (ip.ipv6_fragment_keeps_checksum) return;
  uint8_t* field = nullptr;
  bool zero_means_none = false;
  if (uint8_t* tcp = checksummed_header(ip, ipproto::kTcp, sizeof(TcpHeader))) {
    field = tcp + kTcpChecksumOffset;
  } else if (uint8_t* udp = checksummed_header(ip, ipproto::kUdp, sizeof(UdpHeader))) {
    field = udp + kUdpChecksumOffset;
    zero_means_none = true;
  } else if (uint8_t* icmp = checksummed_header(ip, ipproto::kIcmpv6, kIcmpv6HeaderLength)) {
    field = icmp + kIcmpChecksumOffset;
  }
  if (field == nullptr) return;
  be16 checksum = load_be16(field);
  if (partial_checksum(p, field)) {
    store_be16(field, partial_update128(checksum, old_address, new_address));
    return;
  }
  if (zero_means_none && checksum == 0) return;
  checksum = checksum_update128(checksum, old_address, new_address);
  if (zero_means_none && checksum == 0) checksum = 0xffff;
  store_be16(field, checksum);
}

// ---------------------------------------------------------------- IPv4

void set_ipv4_address(Packet& p, const IpHeaders& ip, uint8_t* field, be32 new_address) {
  be32 old_address = load_be32(field);
  if (old_address == new_address) return;
  update_l4_for_ipv4_address(p, ip, old_address, new_address);
  uint8_t* checksum = ip.l3 + offsetof(Ipv4Header, checksum);
  store_be16(checksum, checksum_update32(load_be16(checksum), old_address, new_address));
  store_be32(field, new_address);
  p.rss_hash = 0;  // it covered the old address
}

// Sets one byte of the IPv4 header through the 16-bit word holding it, so
// the header checksum update stays word-aligned (TOS sits at an odd offset).
void set_ipv4_byte(const IpHeaders& ip, uint32_t offset, uint8_t value, uint8_t mask) {
  uint8_t* byte = ip.l3 + offset;
  uint8_t new_value = masked(*byte, value, mask);
  if (new_value == *byte) return;
  uint8_t* word = ip.l3 + (offset & ~1u);
  be16 old_word = load_be16(word);
  *byte = new_value;
  uint8_t* checksum = ip.l3 + offsetof(Ipv4Header, checksum);
  store_be16(checksum, checksum_update16(load_be16(checksum), old_word, load_be16(word)));
}

void set_ipv4(Packet& p, const odp::KeyIpv4& value, const odp::KeyIpv4& mask) {
  IpHeaders ip;
  if (!locate_ip(p, &ip) || ip.ipv6) return;
  if (mask.src) {
    uint8_t* field = ip.l3 + offsetof(Ipv4Header, src);
    set_ipv4_address(p, ip, field, masked(load_be32(field), value.src, mask.src));
  }
  if (mask.dst) {
    uint8_t* field = ip.l3 + offsetof(Ipv4Header, dst);
    set_ipv4_address(p, ip, field, masked(load_be32(field), value.dst, mask.dst));
  }
  if (mask.tos) set_ipv4_byte(ip, offsetof(Ipv4Header, tos), value.tos, mask.tos);
  if (mask.ttl) set_ipv4_byte(ip, offsetof(Ipv4Header, ttl), value.ttl, mask.ttl);
}

// ---------------------------------------------------------------- IPv6

bool any_bit(const uint8_t* bytes, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (bytes[i]) return true;
  return false;
}

void set_ipv6_address(Packet& p, const IpHeaders& ip, uint8_t* field, const uint8_t* value,
                      const uint8_t* mask, bool update_l4) {
  uint8_t new_address[16];
  for (int i = 0; i < 16; ++i) new_address[i] = masked(field[i], value[i], mask[i]);
  if (std::memcmp(new_address, field, 16) == 0) return;
  if (update_l4) update_l4_for_ipv6_address(p, ip, field, new_address);
  std::memcpy(field, new_address, 16);
  p.rss_hash = 0;
}

void set_ipv6(Packet& p, const odp::KeyIpv6& value, const odp::KeyIpv6& mask) {
  IpHeaders ip;
  if (!locate_ip(p, &ip) || !ip.ipv6) return;
  if (any_bit(mask.src, 16))
    set_ipv6_address(p, ip, ip.l3 + offsetof(Ipv6Header, src), value.src, mask.src, true);
  // With a routing header still to visit, the checksum was computed over
  // the final destination, which a new first hop does not change.
  if (any_bit(mask.dst, 16))
    set_ipv6_address(p, ip, ip.l3 + offsetof(Ipv6Header, dst), value.dst, mask.dst,
                     !ip.routing_segments_left);
  uint32_t label_mask = ntoh32(mask.label) & kIpv6LabelMask;
  if (mask.tclass || label_mask) {
    uint32_t word = ntoh32(load_be32(ip.l3));
    uint32_t tclass = masked<uint32_t>((word >> 20) & 0xff, value.tclass, mask.tclass);
    uint32_t label = masked<uint32_t>(word & kIpv6LabelMask, ntoh32(value.label), label_mask);
    word = (word & 0xf0000000u) | (tclass << 20) | (label & kIpv6LabelMask);
    store_be32(ip.l3, hton32(word));
  }
  if (mask.hlimit) {
    uint8_t* hop_limit = ip.l3 + offsetof(Ipv6Header, hop_limit);
    *hop_limit = masked(*hop_limit, value.hlimit, mask.hlimit);
  }
}

// ---------------------------------------------------------------- transport ports

void set_tcp_ports(Packet& p, const odp::KeyPorts& value, const odp::KeyPorts& mask) {
  IpHeaders ip;
  if (!locate_ip(p, &ip)) return;
  uint8_t* tcp = after_ip(ip, sizeof(TcpHeader));
  if (tcp == nullptr) return;
  // As Open vSwitch: the data offset must cover a header and fit.
  const uint32_t header_length = (tcp[offsetof(TcpHeader, offset_flags)] >> 4) * 4u;
  if (header_length < sizeof(TcpHeader) || header_length > ip.after_ip_length) return;
  uint8_t* checksum = tcp + kTcpChecksumOffset;
  be16 ports[2] = {value.src, value.dst}, masks[2] = {mask.src, mask.dst};
  for (int i = 0; i < 2; ++i) {
    uint8_t* field = tcp + 2 * i;
    be16 old_port = load_be16(field), new_port = masked(old_port, ports[i], masks[i]);
    if (old_port == new_port) continue;
    // A partial checksum does not cover the ports yet.
    if (!partial_checksum(p, checksum)) {
      store_be16(checksum, checksum_update16(load_be16(checksum), old_port, new_port));
    }
    store_be16(field, new_port);
    p.rss_hash = 0;
  }
}

void set_udp_ports(Packet& p, const odp::KeyPorts& value, const odp::KeyPorts& mask) {
  IpHeaders ip;
  if (!locate_ip(p, &ip)) return;
  uint8_t* udp = after_ip(ip, sizeof(UdpHeader));
  if (udp == nullptr) return;
  uint8_t* checksum = udp + kUdpChecksumOffset;
  be16 ports[2] = {value.src, value.dst}, masks[2] = {mask.src, mask.dst};
  for (int i = 0; i < 2; ++i) {
    uint8_t* field = udp + 2 * i;
    be16 old_port = load_be16(field), new_port = masked(old_port, ports[i], masks[i]);
    if (old_port == new_port) continue;
    be16 sum = load_be16(checksum);
    // Zero: no checksum, and it stays that way; a partial one does not
    // cover the ports yet.
    if (sum != 0 && !partial_checksum(p, checksum)) {
      sum = checksum_update16(sum, old_port, new_port);
      store_be16(checksum, sum == 0 ? 0xffff : sum);
    }
    store_be16(field, new_port);
    p.rss_hash = 0;
  }
}

// CRC32c has no cheap incremental form, so both CRCs are computed: the
// stored value keeps whatever error it had (old ^ correct_old ^ correct_new),
// as Linux and Open vSwitch do, and becomes the new correct CRC otherwise.
void set_sctp_ports(Packet& p, const odp::KeyPorts& value, const odp::KeyPorts& mask) {
  IpHeaders ip;
  if (!locate_ip(p, &ip)) return;
  uint8_t* sctp = after_ip(ip, sizeof(SctpHeader));
  if (sctp == nullptr) return;
  be16 old_src = load_be16(sctp), old_dst = load_be16(sctp + 2);
  be16 new_src = masked(old_src, value.src, mask.src);
  be16 new_dst = masked(old_dst, value.dst, mask.dst);
  if (old_src == new_src && old_dst == new_dst) return;
  uint8_t* field = sctp + offsetof(SctpHeader, checksum);
  uint32_t stored = load_unaligned<uint32_t>(field);
  uint32_t old_correct = sctp_checksum(sctp, ip.after_ip_length);
  store_be16(sctp, new_src);
  store_be16(sctp + 2, new_dst);
  uint32_t new_correct = sctp_checksum(sctp, ip.after_ip_length);
  store_unaligned<uint32_t>(field, stored ^ old_correct ^ new_correct);
  p.rss_hash = 0;
}

// ---------------------------------------------------------------- ICMP, ND

void set_icmp(Packet& p, const odp::KeyIcmp& value, const odp::KeyIcmp& mask) {
  IpHeaders ip;
  if (!locate_ip(p, &ip)) return;
  uint8_t* icmp = after_ip(ip, kIcmpSetLength);
  if (icmp == nullptr) return;
  be16 old_word = load_be16(icmp);  // type, code
  icmp[0] = masked(icmp[0], value.type, mask.type);
  icmp[1] = masked(icmp[1], value.code, mask.code);
  be16 new_word = load_be16(icmp);
  if (old_word == new_word) return;
  uint8_t* checksum = icmp + kIcmpChecksumOffset;
  store_be16(checksum, checksum_update16(load_be16(checksum), old_word, new_word));
}

// A Neighbor Solicitation or Advertisement, or nullptr.
// As Open vSwitch: an IPv6 packet with a message's length after its
// headers, whatever the ICMPv6 type (an earlier set may have changed it).
uint8_t* nd_message(Packet& p, IpHeaders* ip) {
  if (!locate_ip(p, ip) || !ip->ipv6) return nullptr;
  return after_ip(*ip, sizeof(NdMessage));
}

// The first link-layer address option: a message carries only one (source
// in a solicitation, target in an advertisement), so only that one is set.
void set_nd_link_address(uint8_t* nd, uint32_t nd_length, const odp::KeyNd& value,
                         const odp::KeyNd& mask) {
  uint32_t offset = kNdOptionsOffset;
  while (nd_length - offset >= kNdOptionUnit) {
    uint8_t* option = nd + offset;
    uint32_t length = option[1] * kNdOptionUnit;
    if (length == 0 || length > nd_length - offset) return;
    uint8_t type = option[0];
    if (length == kNdOptionUnit && (type == kNdOptSourceLinkAddr || type == kNdOptTargetLinkAddr)) {
      const uint8_t* new_value = type == kNdOptSourceLinkAddr ? value.sll : value.tll;
      const uint8_t* new_mask = type == kNdOptSourceLinkAddr ? mask.sll : mask.tll;
      uint8_t* address = option + 2;
      uint8_t updated[kEthAddrLen];
      for (int i = 0; i < kEthAddrLen; ++i)
        updated[i] = masked(address[i], new_value[i], new_mask[i]);
      if (std::memcmp(updated, address, kEthAddrLen) != 0) {
        uint8_t* checksum = nd + kIcmpChecksumOffset;
        store_be16(checksum,
                   checksum_update_bytes(load_be16(checksum), address, updated, kEthAddrLen));
        std::memcpy(address, updated, kEthAddrLen);
      }
      return;
    }
    offset += length;
  }
}

void set_nd(Packet& p, const odp::KeyNd& value, const odp::KeyNd& mask) {
  IpHeaders ip;
  uint8_t* nd = nd_message(p, &ip);
  if (nd == nullptr) return;
  uint8_t* target = nd + offsetof(NdMessage, target);
  uint8_t new_target[16];
  for (int i = 0; i < 16; ++i) new_target[i] = masked(target[i], value.target[i], mask.target[i]);
  if (std::memcmp(new_target, target, 16) != 0) {
    uint8_t* checksum = nd + kIcmpChecksumOffset;
    store_be16(checksum, checksum_update128(load_be16(checksum), target, new_target));
    std::memcpy(target, new_target, 16);
  }
  set_nd_link_address(nd, ip.after_ip_length, value, mask);
}

void set_nd_extensions(Packet& p, const odp::KeyNdExtensions& value,
                       const odp::KeyNdExtensions& mask) {
  IpHeaders ip;
  uint8_t* nd = nd_message(p, &ip);
  if (nd == nullptr) return;
  uint8_t* checksum = nd + kIcmpChecksumOffset;
  uint8_t* reserved = nd + offsetof(NdMessage, reserved);
  be32 old_reserved = load_be32(reserved);
  be32 new_reserved = masked(old_reserved, value.nd_reserved, mask.nd_reserved);
  if (new_reserved != old_reserved) {
    store_be16(checksum, checksum_update32(load_be16(checksum), old_reserved, new_reserved));
    store_be32(reserved, new_reserved);
  }
  // The first option's type, changed through its (type, length) word.
  if (mask.nd_options_type == 0 || ip.after_ip_length < kNdOptionsOffset + 2) return;
  uint8_t* option = nd + kNdOptionsOffset;
  be16 old_word = load_be16(option);
  option[0] = masked(option[0], value.nd_options_type, mask.nd_options_type);
  store_be16(checksum, checksum_update16(load_be16(checksum), old_word, load_be16(option)));
}

// ---------------------------------------------------------------- ARP

void set_arp(Packet& p, const odp::KeyArp& value, const odp::KeyArp& mask) {
  uint16_t type = l3_ethertype(p);
  if (type != ethertype::kArp && type != ethertype::kRarp) return;
  if (p.size() - p.l3_offset < sizeof(ArpHeader)) return;
  uint8_t* arp = p.data() + p.l3_offset;
  if (arp[offsetof(ArpHeader, hardware_len)] != kEthAddrLen ||
      arp[offsetof(ArpHeader, protocol_len)] != sizeof(be32)) {
    return;
  }
  uint8_t* op = arp + offsetof(ArpHeader, op);
  store_be16(op, masked(load_be16(op), value.op, mask.op));
  uint8_t* spa = arp + offsetof(ArpHeader, spa);
  store_be32(spa, masked(load_be32(spa), value.sip, mask.sip));
  uint8_t* tpa = arp + offsetof(ArpHeader, tpa);
  store_be32(tpa, masked(load_be32(tpa), value.tip, mask.tip));
  uint8_t* sha = arp + offsetof(ArpHeader, sha);
  uint8_t* tha = arp + offsetof(ArpHeader, tha);
  for (int i = 0; i < kEthAddrLen; ++i) {
    sha[i] = masked(sha[i], value.sha[i], mask.sha[i]);
    tha[i] = masked(tha[i], value.tha[i], mask.tha[i]);
  }
}

// ---------------------------------------------------------------- NSH

struct NshSet {
  odp::NshBase base_value{}, base_mask{};
  odp::NshMd1 md1_value{}, md1_mask{};
  bool has_base = false, has_md1 = false;
};

NshSet decode_nsh_set(std::span<const uint8_t> nested, bool is_masked) {
  NshSet set;
  for_each_nested(nested, [&](const NetlinkAttr& a) {
    if (a.type == odp::kNshBase)
      set.has_base = load_value_and_mask(a.payload, is_masked, &set.base_value, &set.base_mask);
    else if (a.type == odp::kNshMd1)
      set.has_md1 = load_value_and_mask(a.payload, is_masked, &set.md1_value, &set.md1_mask);
  });
  return set;
}

void set_nsh(Packet& p, const NshSet& set) {
  if (l3_ethertype(p) != ethertype::kNsh) return;
  uint32_t available = p.size() - p.l3_offset;
  if (available < kNshBaseLength) return;
  uint8_t* nsh = p.data() + p.l3_offset;
  uint16_t first = ntoh16(load_be16(nsh));
  uint32_t length = (first & 0x3f) * 4u;
  if ((first >> 14) != 0 || length < kNshBaseLength || length > available) return;
  if (set.has_base) {
    const odp::NshBase& v = set.base_value;
    const odp::NshBase& m = set.base_mask;
    uint32_t flags = masked<uint32_t>((first >> 12) & 0x3, v.flags, m.flags) & 0x3;
    uint32_t ttl = masked<uint32_t>((first >> 6) & 0x3f, v.ttl, m.ttl) & 0x3f;
    first = static_cast<uint16_t>((first & 0xc03f) | (flags << 12) | (ttl << 6));
    store_be16(nsh, hton16(first));
    uint8_t* path = nsh + offsetof(NshHeader, path_hdr);
    store_be32(path, masked(load_be32(path), v.path_hdr, m.path_hdr));
  }
  bool md_type_1 = (nsh[offsetof(NshHeader, md_type)] & 0x0f) == 1;
  if (set.has_md1 && md_type_1 && length >= kNshMd1Length) {
    for (int i = 0; i < 4; ++i) {
      uint8_t* word = nsh + kNshBaseLength + 4 * i;
      store_be32(word, masked(load_be32(word), set.md1_value.context[i], set.md1_mask.context[i]));
    }
  }
}

// ---------------------------------------------------------------- tunnel metadata

struct TunnelSet {
  TunnelMetadata tunnel{};
  uint8_t geneve_options[kGeneveMaxLength];
};

void decode_vxlan_options(std::span<const uint8_t> nested, TunnelMetadata* t) {
  for_each_nested(nested, [&](const NetlinkAttr& a) {
    if (a.type != odp::kVxlanExtGbp || a.size() < 4) return;
    uint32_t gbp = a.get_u32();  // host order: flags << 16 | policy id
    t->gbp_id = hton16(static_cast<uint16_t>(gbp));
    t->gbp_flags = static_cast<uint8_t>(gbp >> 16);
  });
}

void decode_erspan_options(const NetlinkAttr& a, TunnelMetadata* t) {
  if (a.size() < sizeof(odp::ErspanMetadata)) return;
  auto erspan = a.get<odp::ErspanMetadata>();
  t->erspan_version = static_cast<int8_t>(erspan.version);
  if (erspan.version == 1) {
    std::memcpy(&t->erspan_index, erspan.u, sizeof t->erspan_index);
  } else if (erspan.version == 2) {
    uint8_t b0 = erspan.u[6], b1 = erspan.u[7];
    t->erspan_dir = (b1 >> 3) & 1;
    t->erspan_hwid = static_cast<uint8_t>(((b0 & 3) << 4) | (b1 >> 4));
  }
}

// set(tunnel(...)) replaces the whole tunnel metadata, as Open vSwitch does.
void decode_tunnel_set(std::span<const uint8_t> nested, TunnelSet* set) {
  TunnelMetadata& t = set->tunnel;
  for_each_nested(nested, [&](const NetlinkAttr& a) {
    switch (a.type) {
      case odp::kTunnelId:
        if (a.size() >= 8) {
          t.tun_id = a.get_u64();
          t.flags |= kTunnelFlagKey;
        }
        break;
      case odp::kTunnelIpv4Src:
        if (a.size() >= 4) t.ipv4_src = a.get_u32();
        break;
      case odp::kTunnelIpv4Dst:
        if (a.size() >= 4) t.ipv4_dst = a.get_u32();
        break;
      case odp::kTunnelIpv6Src:
        if (a.size() >= 16) std::memcpy(t.ipv6_src, a.data(), 16);
        break;
      case odp::kTunnelIpv6Dst:
        if (a.size() >= 16) std::memcpy(t.ipv6_dst, a.data(), 16);
        break;
      case odp::kTunnelTos:
        if (a.size() >= 1) t.tos = a.get_u8();
        break;
      case odp::kTunnelTtl:
        if (a.size() >= 1) t.ttl = a.get_u8();
        break;
      case odp::kTunnelDontFragment:
        t.flags |= kTunnelFlagDontFragment;
        break;
      case odp::kTunnelCsum:
        t.flags |= kTunnelFlagCsum;
        break;
      case odp::kTunnelOam:
        t.flags |= kTunnelFlagOam;
        break;
      case odp::kTunnelTpSrc:
        if (a.size() >= 2) t.tp_src = a.get_u16();
        break;
      case odp::kTunnelTpDst:
        if (a.size() >= 2) t.tp_dst = a.get_u16();
        break;
      case odp::kTunnelGeneveOpts:
        if (a.size() <= static_cast<size_t>(kGeneveMaxLength)) {
          std::memcpy(set->geneve_options, a.data(), a.size());
          t.geneve_length = static_cast<uint8_t>(a.size());
        }
        break;
      case odp::kTunnelVxlanOpts:
        decode_vxlan_options(a.payload, &t);
        break;
      case odp::kTunnelErspanOpts:
        decode_erspan_options(a, &t);
        break;
      case odp::kTunnelGtpuOpts:
        if (a.size() >= 2) {
          t.gtpu_flags = a.data()[0];
          t.gtpu_msgtype = a.data()[1];
        }
        break;
      default:
        break;
    }
  });
}

// ---------------------------------------------------------------- dispatch

template <typename T, typename Setter>
void for_each_packet_masked(PacketBatch& batch, std::span<const uint8_t> payload, bool is_masked,
                            Setter&& setter) {
  T value, mask;
  if (!load_value_and_mask(payload, is_masked, &value, &mask)) return;
  size_t n = batch.size();
  for (size_t i = 0; i < n; ++i) {
    // Headers of the next packet are fetched while this one is rewritten.
    if (i + 1 < n) __builtin_prefetch(batch[i + 1]->data() + batch[i + 1]->l3_offset);
    setter(*batch[i], value, mask);
  }
}

// Metadata words: skb_priority, skb_mark, dp_hash, recirc_id.
void set_metadata_u32(PacketBatch& batch, std::span<const uint8_t> payload, bool is_masked,
                      uint32_t PacketMetadata::*field) {
  for_each_packet_masked<uint32_t>(batch, payload, is_masked,
                                   [field](Packet& p, uint32_t value, uint32_t mask) {
                                     p.md.*field = masked(p.md.*field, value, mask);
                                   });
}

}  // namespace

bool locate_ip(Packet& p, IpHeaders* ip) {
  *ip = IpHeaders{};
  uint16_t type = l3_ethertype(p);
  uint8_t* l3 = p.data() + p.l3_offset;
  uint32_t available = p.size() - p.l3_offset;  // l3_ethertype checked l3_offset <= size
  if (type == ethertype::kIpv4) return locate_ipv4(l3, available, ip);
  if (type == ethertype::kIpv6) return locate_ipv6(l3, available, ip);
  return false;
}

void execute_set(PacketBatch& batch, std::span<const uint8_t> action_payload, bool is_masked) {
  NetlinkAttr key;
  if (!inner_attribute(action_payload, &key)) return;
  std::span<const uint8_t> payload = key.payload;
  switch (key.type) {
    case odp::kKeyPriority:
      set_metadata_u32(batch, payload, is_masked, &PacketMetadata::skb_priority);
      break;
    case odp::kKeySkbMark:
      set_metadata_u32(batch, payload, is_masked, &PacketMetadata::skb_mark);
      break;
    case odp::kKeyDpHash:
      set_metadata_u32(batch, payload, is_masked, &PacketMetadata::dp_hash);
      break;
    case odp::kKeyRecircId:
      set_metadata_u32(batch, payload, is_masked, &PacketMetadata::recirc_id);
      break;
    case odp::kKeyEthernet:
      for_each_packet_masked<odp::KeyEthernet>(batch, payload, is_masked, set_ethernet);
      break;
    case odp::kKeyMpls:
      for_each_packet_masked<be32>(batch, payload, is_masked, set_mpls);
      break;
    case odp::kKeyIpv4:
      for_each_packet_masked<odp::KeyIpv4>(batch, payload, is_masked, set_ipv4);
      break;
    case odp::kKeyIpv6:
      for_each_packet_masked<odp::KeyIpv6>(batch, payload, is_masked, set_ipv6);
      break;
    case odp::kKeyTcp:
      for_each_packet_masked<odp::KeyPorts>(batch, payload, is_masked, set_tcp_ports);
      break;
    case odp::kKeyUdp:
      for_each_packet_masked<odp::KeyPorts>(batch, payload, is_masked, set_udp_ports);
      break;
    case odp::kKeySctp:
      for_each_packet_masked<odp::KeyPorts>(batch, payload, is_masked, set_sctp_ports);
      break;
    case odp::kKeyIcmp:
    case odp::kKeyIcmpv6:  // either one writes whatever follows the IP header
      for_each_packet_masked<odp::KeyIcmp>(batch, payload, is_masked, set_icmp);
      break;
    case odp::kKeyArp:
      for_each_packet_masked<odp::KeyArp>(batch, payload, is_masked, set_arp);
      break;
    case odp::kKeyNd:
      for_each_packet_masked<odp::KeyNd>(batch, payload, is_masked, set_nd);
      break;
    case odp::kKeyNdExtensions:
      for_each_packet_masked<odp::KeyNdExtensions>(batch, payload, is_masked, set_nd_extensions);
      break;
    case odp::kKeyNsh: {
      NshSet set = decode_nsh_set(payload, is_masked);
      for (Packet* p : batch) set_nsh(*p, set);
      break;
    }
    case odp::kKeyTunnel: {
      if (is_masked) break;  // Open vSwitch has no masked tunnel set either
      TunnelSet set;
      decode_tunnel_set(payload, &set);
      for (Packet* p : batch) {
        p->md.tunnel = set.tunnel;
        std::memcpy(p->geneve_options, set.geneve_options, set.tunnel.geneve_length);
      }
      break;
    }
    default:
      // in_port, vlan, ethertype, ct_*, packet_type, tcp_flags...: not settable.
      break;
  }
}

}  // namespace flowpath::exec
