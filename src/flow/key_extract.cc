// Flow key extraction with the semantics of Open vSwitch's userspace parser:
// the same fields, the same treatment of truncated and malformed headers, the
// same layer offsets. Deliberate differences (all so that every key field has
// an ODP attribute, as FlowKey mirrors the ODP key):
//  - ICMP is parsed only inside IPv4 and ICMPv6 only inside IPv6;
//  - IGMP is not parsed (the datapath key has no IGMP attribute);
//  - only packet types of namespace 1 (EtherType) are parsed when the packet
//    is not Ethernet;
//  - the NSH MD type is the low 4 bits of its byte (the others are reserved).
//
// Parsing only ever reads bytes below `end`, which starts as the frame size
// and shrinks to the IP total length once that is known, so padding and
// absent bytes are never read.
#include "flow/key_extract.h"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstring>
#include <utility>

namespace flowpath {

namespace {

// Offsets are 16-bit with 0xffff meaning "absent"; parsing stops where an
// offset could no longer be represented.
constexpr uint32_t kMaxParsedSize = Packet::kNoOffset - 1;

constexpr size_t kHeaderFieldsBegin = offsetof(FlowKey, eth_src);
constexpr size_t kHeaderFieldsEnd = offsetof(FlowKey, geneve_options);

constexpr uint32_t kIpv4MinHeader = sizeof(Ipv4Header);
constexpr uint32_t kIpv6Header = sizeof(Ipv6Header);
constexpr uint32_t kIpv6ExtMinLength = 8;
constexpr uint16_t kIpv6FragOffsetMask = 0xfff8;  // offset_flags without M and reserved
constexpr uint32_t kIpv6LabelMask = 0x000fffff;
constexpr uint32_t kIcmpHeader = 8;    // type, code, checksum and 4 bytes of data
constexpr uint32_t kIcmpv6Header = 8;  // as ICMP; ND messages keep their flags there
constexpr uint32_t kNdOptionUnit = 8;
constexpr uint32_t kNshBaseHeader = sizeof(NshHeader);
constexpr uint32_t kNshMdType1Length = 24;
constexpr uint8_t kNshMdType1 = 1;
constexpr uint8_t kNshMdType2 = 2;
constexpr uint16_t kArpHardwareEthernet = 1;

// Network-order loads at a byte position (the wire value, unconverted).
inline be16 load_be16(const uint8_t* p) { return load_unaligned<be16>(p); }
inline be32 load_be32(const uint8_t* p) { return load_unaligned<be32>(p); }

inline bool is_vlan_tpid(uint16_t type) {
  return type == ethertype::kVlan8021Q || type == ethertype::kVlan8021AD;
}
inline bool is_mpls(uint16_t type) {
  return type == ethertype::kMplsUnicast || type == ethertype::kMplsMulticast;
}

// The parser's position in the frame. Bytes in [offset, end) belong to the
// current layer and everything after it; nothing at or past `end` is read.
struct Cursor {
  const uint8_t* frame;
  uint32_t offset;
  uint32_t end;

  uint32_t left() const { return end - offset; }
  const uint8_t* here() const { return frame + offset; }
};

// ---------------------------------------------------------------- L2

// Link-layer header when it is 802.3 with a length instead of an EtherType:
// LLC/SNAP with the Ethernet OUI gives its EtherType, anything else the
// "no EtherType" marker. The cursor moves past LLC/SNAP only when it is SNAP.
uint16_t parse_llc_snap(Cursor& c) {
  static constexpr uint8_t kSnapEthernet[6] = {0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00};
  if (c.left() < sizeof(LlcSnapHeader)) return ethertype::kNone;
  const uint8_t* llc = c.here();
  if (std::memcmp(llc, kSnapEthernet, sizeof kSnapEthernet) != 0) return ethertype::kNone;
  c.offset += sizeof(LlcSnapHeader);
  uint16_t type = ntoh16(load_be16(llc + offsetof(LlcSnapHeader, snap_type)));
  return type >= ethertype::kMin ? type : ethertype::kNone;
}

// Ethernet header and up to kMaxVlans VLAN tags (c.left() >=
// sizeof(EthHeader)). Returns the payload's EtherType (host order) with the
// cursor at the payload.
template <int kMaxVlans>
inline uint16_t parse_ethernet(Cursor& c, FlowKey* key) {
  const uint8_t* eth = c.frame;
  std::memcpy(&key->eth_dst, eth + offsetof(EthHeader, dst), kEthAddrLen);
  std::memcpy(&key->eth_src, eth + offsetof(EthHeader, src), kEthAddrLen);
  c.offset = offsetof(EthHeader, type);
  uint16_t type = ntoh16(load_be16(c.here()));
  if (__builtin_expect(is_vlan_tpid(type), 0)) {
    // A tag is taken only when its TCI and the next type are there; a cut
    // tag leaves its TPID as the EtherType.
    for (int n = 0; n < kMaxVlans && is_vlan_tpid(type); ++n) {
      if (c.left() < sizeof(be16) + sizeof(VlanHeader)) break;
      key->vlans[n].tpid = hton16(type);
      key->vlans[n].tci = load_be16(c.here() + 2) | hton16(kVlanCfi);
      c.offset += sizeof(be16) + sizeof(be16);
      type = ntoh16(load_be16(c.here()));
    }
  }
  c.offset += sizeof(be16);
  if (__builtin_expect(type >= ethertype::kMin, 1)) return type;
  return parse_llc_snap(c);
}

// Up to kMaxMplsLabels label stack entries are kept; the cursor moves past
// the whole stack (to the bottom-of-stack entry, or the end of the frame).
void parse_mpls(Cursor& c, FlowKey* key) {
  int count = 0;
  while (c.left() >= sizeof(MplsHeader)) {
    be32 lse = load_be32(c.here());
    if (count < kMaxMplsLabels) key->mpls_lse[count] = lse;
    ++count;
    c.offset += sizeof(MplsHeader);
    if (lse & hton32(kMplsBosMask)) break;
  }
}

// ---------------------------------------------------------------- L3 other than IP

// ARP and RARP carry fields only for Ethernet hardware and IPv4 protocol
// addresses; any other kind leaves only the EtherType.
void parse_arp(Cursor c, FlowKey* key) {
  if (c.left() < sizeof(ArpHeader)) return;
  const uint8_t* arp = c.here();
  if (load_be16(arp + offsetof(ArpHeader, hardware_type)) != hton16(kArpHardwareEthernet) ||
      load_be16(arp + offsetof(ArpHeader, protocol_type)) != hton16(ethertype::kIpv4) ||
      arp[offsetof(ArpHeader, hardware_len)] != kEthAddrLen ||
      arp[offsetof(ArpHeader, protocol_len)] != sizeof(be32)) {
    return;
  }
  key->ipv4_src = load_be32(arp + offsetof(ArpHeader, spa));
  key->ipv4_dst = load_be32(arp + offsetof(ArpHeader, tpa));
  // Only 8 bits of opcode are matchable; larger opcodes read as 0.
  be16 op = load_be16(arp + offsetof(ArpHeader, op));
  if (ntoh16(op) <= 0xff) key->arp_op = op;
  std::memcpy(&key->arp_sha, arp + offsetof(ArpHeader, sha), kEthAddrLen);
  std::memcpy(&key->arp_tha, arp + offsetof(ArpHeader, tha), kEthAddrLen);
}

// NSH base header, service path and (MD type 1) the four context words. A
// header that is cut, of another version or of an inconsistent length leaves
// every NSH field zero.
void parse_nsh(Cursor c, FlowKey* key) {
  if (c.left() < kNshBaseHeader) return;
  const uint8_t* nsh = c.here();
  uint16_t first = ntoh16(load_be16(nsh));
  uint32_t version = first >> 14;
  uint32_t length = (first & 0x3f) * 4;
  if (version != 0 || length > c.left()) return;
  uint8_t md_type = nsh[offsetof(NshHeader, md_type)] & 0x0f;
  if (md_type == kNshMdType1) {
    if (length != kNshMdType1Length) return;
    std::memcpy(key->nsh_context, nsh + kNshBaseHeader, sizeof key->nsh_context);
  } else if (md_type == kNshMdType2 && length < kNshBaseHeader) {
    return;
  }
  key->nsh_flags = static_cast<uint8_t>((first >> 12) & 0x3);
  key->nsh_ttl = static_cast<uint8_t>((first >> 6) & 0x3f);
  key->nsh_mdtype = md_type;
  key->nsh_np = nsh[offsetof(NshHeader, next_proto)];
  key->nsh_path_hdr = load_be32(nsh + offsetof(NshHeader, path_hdr));
}

// ---------------------------------------------------------------- L4

inline void parse_tcp(Cursor c, FlowKey* key) {
  if (c.left() < sizeof(TcpHeader)) return;
  const uint8_t* tcp = c.here();
  be16 offset_flags = load_be16(tcp + offsetof(TcpHeader, offset_flags));
  uint32_t header_len = (ntoh16(offset_flags) >> 12) * 4;
  if (header_len < sizeof(TcpHeader) || header_len > c.left()) return;
  key->tp_src = load_be16(tcp + offsetof(TcpHeader, src));
  key->tp_dst = load_be16(tcp + offsetof(TcpHeader, dst));
  key->tcp_flags = offset_flags & hton16(kTcpFlagsMask);
}

// UDP and SCTP: ports only, when the whole header is there.
inline void parse_ports(Cursor c, uint32_t header_len, FlowKey* key) {
  if (c.left() < header_len) return;
  key->tp_src = load_be16(c.here());
  key->tp_dst = load_be16(c.here() + sizeof(be16));
}

inline void parse_icmp(Cursor c, FlowKey* key) {
  if (c.left() < kIcmpHeader) return;
  key->tp_src = hton16(c.here()[offsetof(IcmpHeader, type)]);
  key->tp_dst = hton16(c.here()[offsetof(IcmpHeader, code)]);
}

// Neighbor Discovery options after the target address. Option lengths are in
// 8-byte units; a zero or overlong length ends parsing with what was found so
// far. Only 8-byte link-layer address options are taken; a second one of the
// same kind makes the message invalid, which clears target and addresses
// (but not the option type already recorded, as in Open vSwitch).
void parse_nd_options(Cursor c, FlowKey* key) {
  EthAddr sll{}, tll{};
  bool have_sll = false, have_tll = false;  // a non-zero address was taken
  uint8_t first_type = 0;
  while (c.left() >= kNdOptionUnit) {
    const uint8_t* option = c.here();
    uint32_t length = option[1] * kNdOptionUnit;
    if (length == 0 || length > c.left()) break;
    uint8_t type = option[0];
    if (length == kNdOptionUnit && (type == kNdOptSourceLinkAddr || type == kNdOptTargetLinkAddr)) {
      bool is_source = type == kNdOptSourceLinkAddr;
      bool& have = is_source ? have_sll : have_tll;
      EthAddr& addr = is_source ? sll : tll;
      if (have) {
        std::memset(key->nd_target, 0, sizeof key->nd_target);
        key->nd_options_type = first_type;
        return;
      }
      std::memcpy(&addr, option + 2, kEthAddrLen);
      have = addr != EthAddr{};
      if (first_type == 0) first_type = type;
    }
    c.offset += length;
  }
  key->nd_sll = sll;
  key->nd_tll = tll;
  key->nd_options_type = first_type;
}

void parse_icmpv6(Cursor c, FlowKey* key) {
  if (c.left() < kIcmpv6Header) return;
  const uint8_t* icmp = c.here();
  uint8_t type = icmp[offsetof(NdMessage, type)];
  uint8_t code = icmp[offsetof(NdMessage, code)];
  key->tp_src = hton16(type);
  key->tp_dst = hton16(code);
  if (code != 0 || (type != kNdNeighborSolicit && type != kNdNeighborAdvert)) return;
  key->nd_reserved = load_be32(icmp + offsetof(NdMessage, reserved));
  c.offset += kIcmpv6Header;
  if (c.left() < sizeof key->nd_target) return;
  std::memcpy(key->nd_target, c.here(), sizeof key->nd_target);
  c.offset += sizeof key->nd_target;
  parse_nd_options(c, key);
}

// Transport header of a packet whose IP layer has been parsed and that is not
// a later fragment. A header too short for its fields leaves them zero.
inline void parse_l4(Cursor c, uint8_t proto, bool is_ipv6, FlowKey* key) {
  switch (proto) {
    case ipproto::kUdp:
      parse_ports(c, sizeof(UdpHeader), key);
      break;
    case ipproto::kTcp:
      parse_tcp(c, key);
      break;
    case ipproto::kSctp:
      parse_ports(c, sizeof(SctpHeader), key);
      break;
    case ipproto::kIcmp:
      if (!is_ipv6) parse_icmp(c, key);
      break;
    case ipproto::kIcmpv6:
      if (is_ipv6) parse_icmpv6(c, key);
      break;
    default:
      break;
  }
}

// ---------------------------------------------------------------- IP

// IPv4. A header that is cut, has an IHL below 5, or a total length that
// disagrees with the IHL or the frame leaves all L3 fields zero and no L4
// offset. Options are skipped; padding after the total length is ignored.
inline void parse_ipv4(Packet& packet, Cursor c, FlowKey* key) {
  if (c.left() < kIpv4MinHeader) return;
  const uint8_t* ip = c.here();
  uint32_t header_len = (ip[offsetof(Ipv4Header, version_ihl)] & 0x0f) * 4u;
  uint32_t total_len = ntoh16(load_be16(ip + offsetof(Ipv4Header, total_length)));
  if (header_len < kIpv4MinHeader || header_len > total_len || total_len > c.left()) return;

  std::memcpy(&key->ipv4_src, ip + offsetof(Ipv4Header, src), 2 * sizeof(be32));
  uint8_t proto = ip[offsetof(Ipv4Header, proto)];
  key->nw_proto = proto;
  key->nw_tos = ip[offsetof(Ipv4Header, tos)];
  key->nw_ttl = ip[offsetof(Ipv4Header, ttl)];
  be16 frag_off = load_be16(ip + offsetof(Ipv4Header, frag_off));
  uint8_t frag = 0;
  if (__builtin_expect((frag_off & hton16(kIpv4MoreFragments | kIpv4FragOffsetMask)) != 0, 0)) {
    frag = kFragAny;
    if (frag_off & hton16(kIpv4FragOffsetMask)) frag |= kFragLater;
  }
  key->nw_frag = frag;

  c.end = c.offset + total_len;
  c.offset += header_len;
  packet.l4_offset = static_cast<uint16_t>(c.offset);
  if (__builtin_expect(!(frag & kFragLater), 1)) parse_l4(c, proto, false, key);
}

inline bool is_ipv6_extension(uint8_t proto) {
  return proto == ipproto::kHopByHop || proto == ipproto::kRouting || proto == ipproto::kDstOpts ||
         proto == ipproto::kAuth || proto == ipproto::kFragment;
}

// Walks the IPv6 extension headers up to the first header that is not one
// (the transport protocol, or one we do not understand), updating *proto and
// *frag. A later fragment stops the walk with *proto = the fragment header's
// number. Returns false when an extension header is cut.
bool skip_ipv6_extensions(Cursor& c, uint8_t* proto, uint8_t* frag) {
  while (is_ipv6_extension(*proto)) {
    // Every extension header is at least 8 bytes; only those are read.
    if (c.left() < kIpv6ExtMinLength) return false;
    const uint8_t* ext = c.here();
    uint8_t current = *proto;
    *proto = ext[offsetof(Ipv6ExtHeader, next_header)];
    if (current == ipproto::kFragment) {
      c.offset += sizeof(Ipv6FragmentHeader);
      be16 offset_flags = load_be16(ext + offsetof(Ipv6FragmentHeader, offset_flags));
      if (offset_flags == 0) continue;  // an atomic fragment is no fragment
      *frag = kFragAny;
      if (offset_flags & hton16(kIpv6FragOffsetMask)) {
        *frag |= kFragLater;
        *proto = ipproto::kFragment;
        return true;
      }
      continue;
    }
    uint32_t units = ext[offsetof(Ipv6ExtHeader, length)];
    // AH counts 4-byte units minus 2, the others 8-byte units minus 1.
    uint32_t length = current == ipproto::kAuth ? (units + 2) * 4 : (units + 1) * 8;
    if (length > c.left()) return false;
    c.offset += length;
  }
  return true;
}

// IPv6. A header that is cut or a payload length beyond the frame leaves the
// L3 fields zero; cut extension headers leave only the addresses.
void parse_ipv6(Packet& packet, Cursor c, FlowKey* key) {
  if (c.left() < kIpv6Header) return;
  const uint8_t* ip = c.here();
  uint32_t payload_len = ntoh16(load_be16(ip + offsetof(Ipv6Header, payload_length)));
  if (payload_len > c.left() - kIpv6Header) return;

  std::memcpy(key->ipv6_src, ip + offsetof(Ipv6Header, src), 2 * sizeof key->ipv6_src);
  c.end = c.offset + kIpv6Header + payload_len;
  c.offset += kIpv6Header;
  uint8_t proto = ip[offsetof(Ipv6Header, next_header)];
  uint8_t frag = 0;
  if (!skip_ipv6_extensions(c, &proto, &frag)) return;

  uint32_t version_class_label = ntoh32(load_be32(ip));
  key->ipv6_label = hton32(version_class_label & kIpv6LabelMask);
  key->nw_proto = proto;
  key->nw_tos = static_cast<uint8_t>(version_class_label >> 20);
  key->nw_ttl = ip[offsetof(Ipv6Header, hop_limit)];
  key->nw_frag = frag;
  packet.l4_offset = static_cast<uint16_t>(c.offset);
  if (!(frag & kFragLater)) parse_l4(c, proto, true, key);
}

// ---------------------------------------------------------------- key assembly

// Copies the packet's metadata and Geneve options. Bytes of the key's
// options past the new length are cleared only as far as the old key could
// have set them (FlowKey's invariant: zero past md.tunnel.geneve_length), or
// all of them when the old length is impossible.
inline void copy_metadata(const Packet& packet, FlowKey* key) {
  uint32_t old_length = key->md.tunnel.geneve_length;
  std::memcpy(static_cast<void*>(&key->md), &packet.md, sizeof key->md);
  uint32_t length = packet.md.tunnel.geneve_length;
  if (__builtin_expect((old_length | length) == 0, 1)) return;
  if (length > static_cast<uint32_t>(kGeneveMaxLength)) {
    length = kGeneveMaxLength;
    key->md.tunnel.geneve_length = static_cast<uint8_t>(length);
  }
  std::memcpy(key->geneve_options, packet.geneve_options, length);
  if (old_length > length) {
    // A length the key could not legitimately hold means its tail is unknown.
    uint32_t stale_end = old_length <= static_cast<uint32_t>(kGeneveMaxLength)
                             ? old_length
                             : sizeof(FlowKey) - offsetof(FlowKey, geneve_options);
    std::memset(key->geneve_options + length, 0, stale_end - length);
  }
}

// Two 8-byte words of the key, stored with memcpy as the key is only 8-byte
// aligned.
using Words2 = uint64_t __attribute__((vector_size(16)));

// Zeroes sizeof...(Index) pairs of words with straight-line 16-byte stores: a
// memset (or a loop the compiler turns into one) of this size becomes
// `rep stos`, whose start-up cost alone is most of the per-packet budget.
template <size_t... Index>
inline void store_zero16(uint8_t* p, std::index_sequence<Index...>) {
  (store_unaligned(p + 16 * Index, Words2{0, 0}), ...);
}

inline void clear_header_fields(FlowKey* key) {
  constexpr size_t kBytes = kHeaderFieldsEnd - kHeaderFieldsBegin;
  static_assert(kBytes % 16 == 8);
  uint8_t* fields = reinterpret_cast<uint8_t*>(key) + kHeaderFieldsBegin;
  store_zero16(fields, std::make_index_sequence<kBytes / 16>());
  store_unaligned<uint64_t>(fields + kBytes - 8, 0);
}

// Dispatches on the EtherType of the L3 header at the cursor.
inline void parse_l3(Packet& packet, Cursor c, uint16_t type, FlowKey* key) {
  key->eth_type = hton16(type);
  if (__builtin_expect(is_mpls(type), 0)) {
    packet.l2_5_offset = static_cast<uint16_t>(c.offset);
    parse_mpls(c, key);
  }
  packet.l3_offset = static_cast<uint16_t>(c.offset);
  switch (type) {
    case ethertype::kIpv4:
      parse_ipv4(packet, c, key);
      break;
    case ethertype::kIpv6:
      parse_ipv6(packet, c, key);
      break;
    case ethertype::kArp:
    case ethertype::kRarp:
      parse_arp(c, key);
      break;
    case ethertype::kNsh:
      parse_nsh(c, key);
      break;
    default:
      break;
  }
}

// ---------------------------------------------------------------- common case
//
// Ethernet with at most one VLAN tag, then IPv4 that is not a fragment or
// IPv6 without extension headers, then a complete UDP or TCP header: most of
// the traffic, parsed without the general parser's layering. Each store costs
// about a cycle, so the header fields are assembled in registers and written
// as whole 16-byte pairs of words, every header byte exactly once.

inline void store_words(FlowKey* key, size_t offset, Words2 words) {
  store_unaligned(reinterpret_cast<uint8_t*>(key) + offset, words);
}

constexpr bool kLittleEndian = std::endian::native == std::endian::little;

// The word [ipv6_label, nw_proto, nw_tos, nw_ttl, nw_frag] with nw_frag 0.
struct NetworkWord {
  be32 ipv6_label;
  uint8_t proto, tos, ttl, frag;
};
static_assert(offsetof(FlowKey, nw_frag) - offsetof(FlowKey, ipv6_label) ==
              offsetof(NetworkWord, frag));
inline uint64_t network_word(be32 label, uint8_t proto, uint8_t tos, uint8_t ttl) {
  if constexpr (kLittleEndian) {
    return label | uint64_t{proto} << 32 | uint64_t{tos} << 40 | uint64_t{ttl} << 48;
  } else {
    return std::bit_cast<uint64_t>(NetworkWord{label, proto, tos, ttl, 0});
  }
}

// The word [tp_src, tp_dst, tcp_flags, nd_options_type, pad_l4].
struct TransportWord {
  be32 ports;  // tp_src and tp_dst as on the wire
  be16 tcp_flags;
  uint8_t nd_options_type, pad;
};
static_assert(offsetof(FlowKey, tcp_flags) - offsetof(FlowKey, tp_src) ==
              offsetof(TransportWord, tcp_flags));
inline uint64_t transport_word(be32 ports, be16 tcp_flags) {
  if constexpr (kLittleEndian) {
    return ports | uint64_t{tcp_flags} << 32;
  } else {
    return std::bit_cast<uint64_t>(TransportWord{ports, tcp_flags, 0, 0});
  }
}

// The word [vlans[0], vlans[1]] with only the first tag (or none).
inline uint64_t vlan_word(VlanTag tag) {
  if constexpr (kLittleEndian) {
    return std::bit_cast<uint32_t>(tag);
  } else {
    VlanTag tags[kMaxVlanTags] = {tag, {0, 0}};
    return std::bit_cast<uint64_t>(tags);
  }
}

// [eth_src, eth_dst, eth_type, pad_l2] from the frame's addresses (which come
// in the other order) and the payload's EtherType.
inline Words2 ethernet_words(const uint8_t* frame, be16 type) {
  if constexpr (kLittleEndian) {
    uint64_t dst_and_more = load_unaligned<uint64_t>(frame);      // dst, src[0..1]
    uint64_t src_and_more = load_unaligned<uint64_t>(frame + 6);  // src, type
    return Words2{(src_and_more & 0x0000ffffffffffff) | dst_and_more << 48,
                  (dst_and_more >> 16 & 0xffffffff) | uint64_t{type} << 32};
  } else {
    struct {
      EthAddr src, dst;
      be16 type;
      uint16_t pad;
    } words;
    std::memcpy(&words.src, frame + offsetof(EthHeader, src), kEthAddrLen);
    std::memcpy(&words.dst, frame + offsetof(EthHeader, dst), kEthAddrLen);
    words.type = type;
    words.pad = 0;
    return std::bit_cast<Words2>(words);
  }
}

// The pairs of words the common case writes, in key order.
constexpr size_t kEthernetPair = offsetof(FlowKey, eth_src);
constexpr size_t kVlanPair = offsetof(FlowKey, vlans);         // vlans, mpls[0..1]
constexpr size_t kIpv4Pair = offsetof(FlowKey, mpls_lse) + 8;  // mpls[2], pad, ipv4
constexpr size_t kIpv6SrcPair = offsetof(FlowKey, ipv6_src);
constexpr size_t kIpv6DstPair = offsetof(FlowKey, ipv6_dst);
constexpr size_t kNetworkPair = offsetof(FlowKey, ipv6_label);    // + arp_sha...
constexpr size_t kTransportPair = offsetof(FlowKey, tp_src) - 8;  // ...arp_op, + tp
constexpr size_t kNdBegin = offsetof(FlowKey, nd_target);         // to the end: zero
static_assert(kVlanPair == kEthernetPair + 16 && kIpv4Pair == kVlanPair + 16 &&
              kIpv6SrcPair == kIpv4Pair + 16 && kNetworkPair == kIpv6DstPair + 16 &&
              kTransportPair == kNetworkPair + 16 && kNdBegin == kTransportPair + 16 &&
              kHeaderFieldsEnd - kNdBegin == 3 * 16 + 8);
static_assert(offsetof(FlowKey, ipv4_src) == kIpv4Pair + 8);

// Fills the header fields of the key and the packet's offsets for a packet of
// the common case. For any other packet it returns false, possibly having
// written some header fields; the general parser then rewrites all of them.
[[gnu::always_inline]] inline bool extract_common_case(Packet& packet, FlowKey* key) {
  const uint8_t* frame = packet.data();
  uint32_t size = packet.size();
  constexpr uint32_t kMinSize = sizeof(EthHeader) + kIpv4MinHeader + sizeof(UdpHeader);
  if (packet.md.packet_type != 0 || size < kMinSize || size > kMaxParsedSize) return false;

  // L2. The minimum size covers a tag and the type after it.
  uint32_t l3 = sizeof(EthHeader);
  be16 type = load_be16(frame + offsetof(EthHeader, type));
  VlanTag tag{0, 0};
  if (type == hton16(ethertype::kVlan8021Q) || type == hton16(ethertype::kVlan8021AD)) {
    tag = VlanTag{type, static_cast<be16>(load_be16(frame + l3) | hton16(kVlanCfi))};
    type = load_be16(frame + l3 + sizeof(be16));
    l3 += sizeof(VlanHeader);
  }
  store_words(key, kEthernetPair, ethernet_words(frame, type));
  store_words(key, kVlanPair, Words2{vlan_word(tag), 0});

  // L3.
  const uint8_t* ip = frame + l3;
  uint32_t l3_left = size - l3;
  uint32_t l4;
  uint32_t l4_left;
  uint8_t proto;
  if (type == hton16(ethertype::kIpv4)) {
    uint32_t header_len = (ip[offsetof(Ipv4Header, version_ihl)] & 0x0f) * 4u;
    uint32_t total_len = ntoh16(load_be16(ip + offsetof(Ipv4Header, total_length)));
    if (header_len < kIpv4MinHeader || header_len > total_len || total_len > l3_left) return false;
    be16 frag_off = load_be16(ip + offsetof(Ipv4Header, frag_off));
    if (frag_off & hton16(kIpv4MoreFragments | kIpv4FragOffsetMask)) return false;
    proto = ip[offsetof(Ipv4Header, proto)];
    store_words(key, kIpv4Pair,
                Words2{0, load_unaligned<uint64_t>(ip + offsetof(Ipv4Header, src))});
    store_words(key, kIpv6SrcPair, Words2{0, 0});
    store_words(key, kIpv6DstPair, Words2{0, 0});
    uint64_t network =
        network_word(0, proto, ip[offsetof(Ipv4Header, tos)], ip[offsetof(Ipv4Header, ttl)]);
    store_words(key, kNetworkPair, Words2{network, 0});
    l4 = l3 + header_len;
    l4_left = total_len - header_len;
  } else if (type == hton16(ethertype::kIpv6)) {
    if (l3_left < kIpv6Header) return false;
    uint32_t payload_len = ntoh16(load_be16(ip + offsetof(Ipv6Header, payload_length)));
    if (payload_len > l3_left - kIpv6Header) return false;
    proto = ip[offsetof(Ipv6Header, next_header)];
    store_words(key, kIpv4Pair, Words2{0, 0});
    store_words(key, kIpv6SrcPair, load_unaligned<Words2>(ip + offsetof(Ipv6Header, src)));
    store_words(key, kIpv6DstPair, load_unaligned<Words2>(ip + offsetof(Ipv6Header, dst)));
    uint32_t version_class_label = ntoh32(load_be32(ip));
    uint64_t network = network_word(hton32(version_class_label & kIpv6LabelMask), proto,
                                    static_cast<uint8_t>(version_class_label >> 20),
                                    ip[offsetof(Ipv6Header, hop_limit)]);
    store_words(key, kNetworkPair, Words2{network, 0});
    l4 = l3 + kIpv6Header;
    l4_left = payload_len;
  } else {
    return false;
  }

  // L4.
  const uint8_t* transport = frame + l4;
  be16 tcp_flags = 0;
  if (proto == ipproto::kUdp) {
    if (l4_left < sizeof(UdpHeader)) return false;
  } else if (proto == ipproto::kTcp) {
    if (l4_left < sizeof(TcpHeader)) return false;
    be16 offset_flags = load_be16(transport + offsetof(TcpHeader, offset_flags));
    uint32_t header_len = (ntoh16(offset_flags) >> 12) * 4;
    if (header_len < sizeof(TcpHeader) || header_len > l4_left) return false;
    tcp_flags = offset_flags & hton16(kTcpFlagsMask);
  } else {
    return false;
  }
  store_words(key, kTransportPair, Words2{0, transport_word(load_be32(transport), tcp_flags)});
  store_zero16(reinterpret_cast<uint8_t*>(key) + kNdBegin, std::make_index_sequence<3>());
  store_unaligned<uint64_t>(reinterpret_cast<uint8_t*>(key) + kHeaderFieldsEnd - 8, 0);

  packet.l2_5_offset = Packet::kNoOffset;
  packet.l3_offset = static_cast<uint16_t>(l3);
  packet.l4_offset = static_cast<uint16_t>(l4);
  return true;
}

// ---------------------------------------------------------------- general case

template <int kMaxVlans>
inline void parse_frame(Packet& packet, FlowKey* key) {
  Cursor c{packet.data(), 0, std::min(packet.size(), kMaxParsedSize)};
  be32 packet_type = packet.md.packet_type;
  if (__builtin_expect(packet_type == 0, 1)) {
    if (c.left() < sizeof(EthHeader)) return;
    uint16_t type = parse_ethernet<kMaxVlans>(c, key);
    parse_l3(packet, c, type, key);
    return;
  }
  // Without Ethernet the frame starts at L3; only EtherType-named types
  // (namespace 1) say what that L3 header is.
  uint32_t type = ntoh32(packet_type);
  if ((type >> 16) != 1) return;
  parse_l3(packet, c, static_cast<uint16_t>(type), key);
}

// The common case takes at most one tag, which every limit parses. The
// limit is a template argument, chosen once per batch, so the tag loop keeps
// a constant bound.
template <int kMaxVlans>
[[gnu::always_inline]] inline void extract_one(Packet& packet, FlowKey* key) {
  copy_metadata(packet, key);
  if (__builtin_expect(extract_common_case(packet, key), 1)) return;
  clear_header_fields(key);
  packet.reset_offsets();
  parse_frame<kMaxVlans>(packet, key);
}

template <int kMaxVlans>
void extract_batch(const PacketBatch& batch, FlowKey* keys) {
  size_t n = batch.size();
  for (size_t i = 0; i < n; ++i) {
    // The next packet's headers (and the one after's metadata) are fetched
    // while this one is parsed.
    if (i + 1 < n) __builtin_prefetch(batch[i + 1]->data());
    if (i + 2 < n) __builtin_prefetch(&batch[i + 2]->md);
    extract_one<kMaxVlans>(*batch[i], &keys[i]);
  }
}

static_assert(kMaxVlanTags == 2, "extract_key and extract_keys choose among 1 and 2 tags");

}  // namespace

void extract_key(Packet& packet, FlowKey* key, int max_vlan_headers) {
  // A lone key may be fresh memory whose old Geneve length means nothing:
  // an impossible length makes copy_metadata() clear the whole option area.
  key->md.tunnel.geneve_length = 0xff;
  if (max_vlan_headers == 1) {
    extract_one<1>(packet, key);
  } else {
    extract_one<kMaxVlanTags>(packet, key);
  }
}

void extract_keys(const PacketBatch& batch, FlowKey* keys, int max_vlan_headers) {
  if (max_vlan_headers == 1) {
    extract_batch<1>(batch, keys);
  } else {
    extract_batch<kMaxVlanTags>(batch, keys);
  }
}

}  // namespace flowpath
