#include "conntrack/nat_packet.h"

#include <cstring>

#include "packet/byte_order.h"
#include "packet/checksum.h"
#include "packet/headers.h"

namespace flowpath::conntrack {

namespace {

be16 load16(const uint8_t* p) { return load_unaligned<be16>(p); }
void store16(uint8_t* p, be16 v) { store_unaligned<be16>(p, v); }
be32 load32(const uint8_t* p) { return load_unaligned<be32>(p); }

// A transport checksum field and what it covers.
struct TransportChecksum {
  uint8_t* field = nullptr;
  bool pseudo_header = false;  // covers the addresses
  bool zero_is_none = false;   // UDP
  bool partial = false;        // left for offload: the pseudo-header sum only
};

TransportChecksum transport_checksum_of(const Packet& p, uint8_t proto, bool ipv6, uint8_t* l4,
                                        uint32_t length) {
  TransportChecksum c;
  uint32_t offset = 0;
  switch (proto) {
    case kProtoTcp: offset = 16; c.pseudo_header = true; break;
    case kProtoUdp: offset = 6; c.pseudo_header = true; c.zero_is_none = true; break;
    case kProtoUdpLite:
    case kProtoDccp: offset = 6; c.pseudo_header = true; break;
    case kProtoIcmp: if (ipv6) return c; offset = 2; break;
    case kProtoIcmpv6: if (!ipv6) return c; offset = 2; c.pseudo_header = true; break;
    default: return c;
  }
  if (offset + 2 > length) return c;  // a quote cut before the checksum
  c.field = l4 + offset;
  c.partial = (p.offload.needs & offload::kPartialChecksum) != 0 &&
              c.field == p.data() + p.offload.l4_offset + p.offload.checksum_offset;
  return c;
}

void store_checksum(const TransportChecksum& c, be16 sum) {
  store16(c.field, c.zero_is_none && sum == 0 ? static_cast<be16>(0xffff) : sum);
}

void update_for_address(const TransportChecksum& c, const uint8_t* old_address,
                        const uint8_t* new_address, bool ipv6) {
  if (c.field == nullptr || !c.pseudo_header) return;
  be16 sum = load16(c.field);
  if (c.partial) {
    // The complement of an update of its complement.
    be16 complement = static_cast<be16>(~sum);
    complement = ipv6 ? checksum_update128(complement, old_address, new_address)
                      : checksum_update32(complement, load32(old_address), load32(new_address));
    store16(c.field, static_cast<be16>(~complement));
    return;
  }
  if (c.zero_is_none && sum == 0) return;
  store_checksum(c, ipv6 ? checksum_update128(sum, old_address, new_address)
                         : checksum_update32(sum, load32(old_address), load32(new_address)));
}

void update_for_word(const TransportChecksum& c, be16 old_word, be16 new_word) {
  if (c.field == nullptr || c.partial) return;  // a partial sum does not cover ports
  be16 sum = load16(c.field);
  if (c.zero_is_none && sum == 0) return;
  store_checksum(c, checksum_update16(sum, old_word, new_word));
}

// Sets one IP address field (`l3` is its header) and the checksums over it.
void set_address(uint8_t* l3, bool ipv6, uint8_t* field, const uint8_t* address,
                 const TransportChecksum& c) {
  const size_t n = ipv6 ? 16 : 4;
  if (std::memcmp(field, address, n) == 0) return;
  update_for_address(c, field, address, ipv6);
  if (!ipv6) {
    uint8_t* header_sum = l3 + offsetof(Ipv4Header, checksum);
    store16(header_sum, checksum_update32(load16(header_sum), load32(field), load32(address)));
  }
  std::memcpy(field, address, n);
}

void set_word(uint8_t* field, be16 value, const TransportChecksum& c) {
  const be16 old = load16(field);
  if (old == value) return;
  update_for_word(c, old, value);
  store16(field, value);
}

uint8_t* src_field(uint8_t* l3, bool ipv6) {
  return l3 + (ipv6 ? offsetof(Ipv6Header, src) : offsetof(Ipv4Header, src));
}
uint8_t* dst_field(uint8_t* l3, bool ipv6) {
  return l3 + (ipv6 ? offsetof(Ipv6Header, dst) : offsetof(Ipv4Header, dst));
}

// Sets an SCTP packet's ports. Its CRC32c covers no addresses but covers
// the ports and has no incremental form: it is computed before and after,
// and the stored value keeps whatever error it had (stored ^ old ^ new, as
// Open vSwitch's packet_set_sctp_port does), unless the packet is cut short
// (an ICMP error's quote) or its CRC is left to a device (`partial`).
void set_sctp_ports(uint8_t* sctp, uint32_t length, bool whole, bool partial,
                    const ConnectionKey& want) {
  if (length < 4) return;
  if (load16(sctp) == want.src_port && load16(sctp + 2) == want.dst_port) return;
  const bool crc = whole && !partial && length >= sizeof(SctpHeader);
  uint8_t* field = sctp + offsetof(SctpHeader, checksum);
  const uint32_t old_correct = crc ? sctp_checksum(sctp, length) : 0;
  store16(sctp, want.src_port);
  store16(sctp + 2, want.dst_port);
  if (!crc) return;
  const uint32_t stored = load_unaligned<uint32_t>(field);
  store_unaligned<uint32_t>(field, stored ^ old_correct ^ sctp_checksum(sctp, length));
}

// Rewrites the IP header at l3 and its transport header at l4 (`length`
// bytes of it present; `whole`: the transport packet is all there) to
// carry `want`'s addresses and identifiers.
void rewrite(const Packet& p, uint8_t* l3, uint8_t* l4, uint32_t length, bool whole, uint8_t proto,
             const ConnectionKey& want) {
  const bool ipv6 = want.ipv6 != 0;
  const TransportChecksum c = transport_checksum_of(p, proto, ipv6, l4, length);
  set_address(l3, ipv6, src_field(l3, ipv6), want.src, c);
  set_address(l3, ipv6, dst_field(l3, ipv6), want.dst, c);
  if (want.is_icmp()) {
    if (length >= 6) set_word(l4 + 4, want.src_port, c);  // the identifier
  } else if (proto == kProtoTcp || proto == kProtoUdp) {
    if (length >= 4) {
      set_word(l4, want.src_port, c);
      set_word(l4 + 2, want.dst_port, c);
    }
  } else if (proto == kProtoSctp) {
    const bool partial = (p.offload.needs & offload::kPartialChecksum) != 0 &&
                         p.data() + p.offload.l4_offset == l4;
    set_sctp_ports(l4, length, whole, partial, want);
  }
}

}  // namespace

void nat_rewrite(Packet& packet, const PacketTuple& t, const ConnectionKey& want) {
  uint8_t* base = packet.data();
  uint8_t* l3 = base + packet.l3_offset;
  uint8_t* l4 = base + (t.l4 - base);
  rewrite(packet, l3, l4, t.l4_length, true, t.key.proto, want);
  packet.rss_hash = 0;
}

void nat_rewrite_related(Packet& packet, const PacketTuple& t, bool outer_src,
                         const uint8_t address[16], const ConnectionKey& quoted) {
  uint8_t* base = packet.data();
  uint8_t* l3 = base + packet.l3_offset;
  uint8_t* l4 = base + (t.l4 - base);
  const bool ipv6 = t.key.ipv6 != 0;
  const TransportChecksum none;  // the ICMP checksum is computed anew below
  set_address(l3, ipv6, outer_src ? src_field(l3, ipv6) : dst_field(l3, ipv6), address, none);
  // The quoted packet: its IP header follows the 8-byte ICMP header
  // (extract_tuple() checked that it is whole).
  uint8_t* inner = l4 + 8;
  const uint32_t inner_available = t.l4_length - 8;
  uint32_t header_length = sizeof(Ipv6Header);
  uint8_t proto = quoted.proto;
  if (!ipv6) {
    header_length = (inner[0] & 0x0f) * 4u;
  } else {
    // Walk the quoted extension headers as extract_tuple() did.
    uint8_t next = inner[offsetof(Ipv6Header, next_header)];
    while ((next == ipproto::kHopByHop || next == ipproto::kRouting || next == ipproto::kDstOpts ||
            next == ipproto::kAuth || next == ipproto::kFragment) &&
           header_length + 8 <= inner_available) {
      const uint8_t* ext = inner + header_length;
      header_length += next == ipproto::kAuth ? (ext[1] + 2u) * 4
                       : next == ipproto::kFragment ? 8u
                                                     : (ext[1] + 1u) * 8;
      next = ext[0];
    }
  }
  // Whether the quote holds the whole packet: its IP length says.
  const uint32_t quoted_total =
      ipv6 ? sizeof(Ipv6Header) + ntoh16(load16(inner + offsetof(Ipv6Header, payload_length)))
           : ntoh16(load16(inner + offsetof(Ipv4Header, total_length)));
  const bool whole = quoted_total <= inner_available && quoted_total >= header_length;
  if (header_length <= inner_available)
    rewrite(packet, inner, inner + header_length,
            (whole ? quoted_total : inner_available) - header_length, whole, proto, quoted);
  // The ICMP checksum covers the quoted packet: computed anew.
  store16(l4 + 2, 0);
  if (ipv6) {
    store16(l4 + 2, transport_checksum(pseudo_header_ipv6(src_field(l3, true), dst_field(l3, true),
                                                          kProtoIcmpv6, t.l4_length),
                                       l4, t.l4_length, 2));
  } else {
    store16(l4 + 2, internet_checksum(l4, t.l4_length));
  }
  packet.rss_hash = 0;
}

}  // namespace flowpath::conntrack
