#include "conntrack/packet_tuple.h"

#include <cstring>

#include "packet/byte_order.h"
#include "packet/checksum.h"
#include "packet/headers.h"

namespace flowpath::conntrack {

namespace {

// The IP layer found at some offset: where its transport header starts.
struct IpLayer {
  const uint8_t* l4 = nullptr;
  uint32_t l4_length = 0;
  uint8_t proto = 0;
};

// An IPv4 header of `length` bytes available. `outer`: the packet itself
// (its checksum and total length are checked and it must not be a
// fragment); otherwise a header quoted by an ICMP error, which may be cut
// short after 8 bytes of transport header.
bool parse_ipv4(const uint8_t* l3, uint32_t length, bool outer, ConnectionKey* key, IpLayer* ip) {
  if (length < sizeof(Ipv4Header)) return false;
  Ipv4Header h;
  std::memcpy(&h, l3, sizeof h);
  uint32_t header_length = (h.version_ihl & 0x0f) * 4u;
  if ((h.version_ihl >> 4) != 4 || header_length < sizeof h || header_length > length) return false;
  uint32_t total = ntoh16(h.total_length);
  if (total < header_length) return false;
  uint16_t frag = ntoh16(h.frag_off);
  if (outer) {
    if (total > length) return false;
    if (frag & (kIpv4MoreFragments | kIpv4FragOffsetMask)) return false;
    if (ipv4_header_checksum(l3, header_length) != h.checksum) return false;
  } else {
    if (frag & kIpv4FragOffsetMask) return false;  // a later fragment quotes no ports
    if (total > length) total = length;
  }
  std::memset(key->src, 0, sizeof key->src);
  std::memset(key->dst, 0, sizeof key->dst);
  std::memcpy(key->src, &h.src, 4);
  std::memcpy(key->dst, &h.dst, 4);
  key->proto = h.proto;
  key->ipv6 = 0;
  ip->l4 = l3 + header_length;
  ip->l4_length = total - header_length;
  ip->proto = h.proto;
  return true;
}

bool parse_ipv6(const uint8_t* l3, uint32_t length, bool outer, ConnectionKey* key, IpLayer* ip) {
  if (length < sizeof(Ipv6Header)) return false;
  Ipv6Header h;
  std::memcpy(&h, l3, sizeof h);
  if ((ntoh32(h.version_class_label) >> 28) != 6) return false;
  uint32_t total = sizeof h + ntoh16(h.payload_length);
  if (total > length) {
    if (outer) return false;
    total = length;
  }
  uint32_t offset = sizeof h;
  uint8_t next = h.next_header;
  for (int guard = 0; guard < 16; ++guard) {
    if (next == ipproto::kHopByHop || next == ipproto::kRouting || next == ipproto::kDstOpts) {
      if (total - offset < 8) return false;
      uint32_t ext = (l3[offset + 1] + 1u) * 8;
      if (ext > total - offset) return false;
      next = l3[offset];
      offset += ext;
    } else if (next == ipproto::kAuth) {
      if (total - offset < 8) return false;
      uint32_t ext = (l3[offset + 1] + 2u) * 4;
      if (ext > total - offset) return false;
      next = l3[offset];
      offset += ext;
    } else if (next == ipproto::kFragment) {
      if (total - offset < 8) return false;
      uint16_t frag = ntoh16(load_unaligned<be16>(l3 + offset + 2));
      // An atomic fragment (offset 0, no more fragments) is a whole packet.
      if ((frag & 0xfff8) != 0 || (outer && (frag & 1) != 0)) return false;
      next = l3[offset];
      offset += 8;
    } else {
      break;
    }
  }
  std::memcpy(key->src, h.src, 16);
  std::memcpy(key->dst, h.dst, 16);
  key->proto = next;
  key->ipv6 = 1;
  ip->l4 = l3 + offset;
  ip->l4_length = total - offset;
  ip->proto = next;
  return true;
}

bool is_icmp_error(uint8_t type, bool ipv6) {
  if (ipv6) return type >= 1 && type <= 4;
  return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

// Fills the transport part of the key. `outer`: the packet's own transport
// header (checked in full); otherwise the first 8 bytes an ICMP error quotes.
bool parse_transport(const IpLayer& ip, bool outer, ConnectionKey* key) {
  key->src_port = 0;
  key->dst_port = 0;
  const uint8_t* l4 = ip.l4;
  const uint32_t n = ip.l4_length;
  switch (ip.proto) {
    case kProtoTcp:
      if (outer) {
        if (n < 20) return false;
        uint32_t data_offset = (l4[12] >> 4) * 4u;
        if (data_offset < 20 || data_offset > n) return false;
      } else if (n < 8) {
        return false;
      }
      break;
    case kProtoUdp:
    case kProtoUdpLite:
      if (n < 8) return false;
      break;
    case kProtoSctp:
      if (n < (outer ? 12u : 8u)) return false;
      break;
    case kProtoDccp:
      if (n < (outer ? 12u : 8u)) return false;
      break;
    case kProtoIcmp:
    case kProtoIcmpv6: {
      if ((ip.proto == kProtoIcmpv6) != (key->ipv6 != 0)) return true;  // no identifiers
      if (n < 8) return false;
      uint8_t type = l4[0], code = l4[1];
      if (icmp_reply_type(type, key->ipv6 != 0) == 0xff) return false;  // not a query
      key->src_port = load_unaligned<be16>(l4 + 4);  // identifier
      key->dst_port = static_cast<be16>(type << 8 | code);
      return true;
    }
    default:
      return true;  // other protocols: addresses only
  }
  key->src_port = load_unaligned<be16>(l4);
  key->dst_port = load_unaligned<be16>(l4 + 2);
  return true;
}

}  // namespace

uint16_t l3_ethertype(const Packet& p) {
  if (p.l3_offset == Packet::kNoOffset || p.l2_5_offset != Packet::kNoOffset) return 0;
  if (p.md.packet_type == 0) {
    if (p.l3_offset < sizeof(EthHeader) || p.l3_offset > p.size()) return 0;
    return ntoh16(load_unaligned<be16>(p.data() + p.l3_offset - 2));
  }
  uint32_t type = ntoh32(p.md.packet_type);
  if ((type >> 16) != 1 || p.l3_offset > p.size()) return 0;
  return static_cast<uint16_t>(type);
}

bool extract_tuple(const Packet& packet, uint16_t zone, PacketTuple* out) {
  const uint16_t type = l3_ethertype(packet);
  if (type != ethertype::kIpv4 && type != ethertype::kIpv6) return false;
  const bool ipv6 = type == ethertype::kIpv6;
  const uint8_t* l3 = packet.data() + packet.l3_offset;
  const uint32_t available = packet.size() - packet.l3_offset;
  ConnectionKey& key = out->key;
  key.zone = zone;
  IpLayer ip;
  if (!(ipv6 ? parse_ipv6(l3, available, true, &key, &ip) : parse_ipv4(l3, available, true, &key, &ip)))
    return false;
  out->l4 = ip.l4;
  out->l4_length = ip.l4_length;
  out->related = false;
  const uint8_t icmp = ipv6 ? kProtoIcmpv6 : kProtoIcmp;
  if (ip.proto == icmp && ip.l4_length >= 8 && is_icmp_error(ip.l4[0], ipv6)) {
    // The quoted packet went from us towards the error's sender: its source
    // is the error's destination.
    ConnectionKey inner;
    inner.zone = zone;
    IpLayer inner_ip;
    const uint8_t* quoted = ip.l4 + 8;
    const uint32_t quoted_length = ip.l4_length - 8;
    if (!(ipv6 ? parse_ipv6(quoted, quoted_length, false, &inner, &inner_ip)
               : parse_ipv4(quoted, quoted_length, false, &inner, &inner_ip)))
      return false;
    if (std::memcmp(inner.src, key.dst, 16) != 0) return false;
    // An error about an error is never sent (RFC 1122, RFC 4443).
    if (inner_ip.proto == icmp && inner_ip.l4_length >= 1 && is_icmp_error(inner_ip.l4[0], ipv6))
      return false;
    if (!parse_transport(inner_ip, false, &inner)) return false;
    key = reverse(inner);
    out->related = true;
    return true;
  }
  return parse_transport(ip, true, &key);
}

}  // namespace flowpath::conntrack
