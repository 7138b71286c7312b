#include "tunnel/tunnel_decap.h"

#include <cstddef>
#include <cstring>

#include "packet/checksum.h"
#include "packet/headers.h"

namespace flowpath::tunnel {

namespace {

constexpr uint32_t kEthLength = sizeof(EthHeader);
constexpr uint32_t kVxlanLength = 8;
constexpr uint32_t kGreBaseLength = 4;  // flags and protocol
constexpr uint16_t kGreProtocolEthernet = 0x6558;  // transparent Ethernet bridging

// The outer IP header, checked, for a packet of IP protocol `proto`; fills
// md.tunnel's IP fields. *l4: the offset of what follows the IP header,
// *end: where the IP packet ends (Ethernet padding excluded).
DecapError pop_ip(Packet& p, uint8_t proto, uint32_t* l4_out, uint32_t* end) {
  const uint8_t* frame = p.data();
  const uint32_t size = p.size();
  if (size < kEthLength) return DecapError::kTruncated;
  const uint16_t type = ntoh16(load_unaligned<be16>(frame + 12));
  TunnelMetadata& tunnel = p.md.tunnel;
  const uint8_t* ip = frame + kEthLength;
  uint32_t l4;
  if (type == ethertype::kIpv4) {
    if (size < kEthLength + sizeof(Ipv4Header)) return DecapError::kTruncated;
    if (ip[0] != 0x45) return DecapError::kIpHeader;  // version 4, no options
    if (ipv4_header_checksum(ip, sizeof(Ipv4Header)) !=
        load_unaligned<be16>(ip + offsetof(Ipv4Header, checksum)))
      return DecapError::kIpHeader;
    const uint32_t total = ntoh16(load_unaligned<be16>(ip + offsetof(Ipv4Header, total_length)));
    if (total < sizeof(Ipv4Header)) return DecapError::kIpHeader;
    if (total > size - kEthLength) return DecapError::kTruncated;
    const uint16_t frag = ntoh16(load_unaligned<be16>(ip + offsetof(Ipv4Header, frag_off)));
    if (frag & (kIpv4MoreFragments | kIpv4FragOffsetMask)) return DecapError::kFragment;
    if (ip[offsetof(Ipv4Header, proto)] != proto) return DecapError::kNotUdp;
    tunnel.ipv4_src = load_unaligned<be32>(ip + offsetof(Ipv4Header, src));
    tunnel.ipv4_dst = load_unaligned<be32>(ip + offsetof(Ipv4Header, dst));
    tunnel.tos = ip[offsetof(Ipv4Header, tos)];
    tunnel.ttl = ip[offsetof(Ipv4Header, ttl)];
    l4 = kEthLength + sizeof(Ipv4Header);
    *end = kEthLength + total;
  } else if (type == ethertype::kIpv6) {
    if (size < kEthLength + sizeof(Ipv6Header)) return DecapError::kTruncated;
    const uint32_t first = ntoh32(load_unaligned<be32>(ip));
    if ((first >> 28) != 6) return DecapError::kIpHeader;
    const uint32_t payload_length =
        ntoh16(load_unaligned<be16>(ip + offsetof(Ipv6Header, payload_length)));
    if (payload_length > size - kEthLength - sizeof(Ipv6Header)) return DecapError::kTruncated;
    if (ip[offsetof(Ipv6Header, next_header)] != proto) return DecapError::kNotUdp;
    std::memcpy(tunnel.ipv6_src, ip + offsetof(Ipv6Header, src), 16);
    std::memcpy(tunnel.ipv6_dst, ip + offsetof(Ipv6Header, dst), 16);
    tunnel.tos = static_cast<uint8_t>(first >> 20);
    tunnel.ttl = ip[offsetof(Ipv6Header, hop_limit)];
    l4 = kEthLength + sizeof(Ipv6Header);
    *end = l4 + payload_length;
  } else {
    return DecapError::kNotIp;
  }
  *l4_out = l4;
  return DecapError::kNone;
}

// The outer IP and UDP headers, checked; fills md.tunnel's IP and UDP
// fields. *payload: the offset of what follows the UDP header, *end: where
// the IP packet ends (Ethernet padding excluded).
DecapError pop_ip_udp(Packet& p, uint32_t* payload, uint32_t* end) {
  uint32_t l4 = 0;
  if (DecapError e = pop_ip(p, ipproto::kUdp, &l4, end); e != DecapError::kNone) return e;
  const uint8_t* frame = p.data();
  const uint16_t type = ntoh16(load_unaligned<be16>(frame + 12));
  TunnelMetadata& tunnel = p.md.tunnel;
  if (*end - l4 < sizeof(UdpHeader)) return DecapError::kTruncated;
  const uint8_t* udp = frame + l4;
  const uint32_t udp_length = ntoh16(load_unaligned<be16>(udp + offsetof(UdpHeader, length)));
  if (udp_length < sizeof(UdpHeader) || udp_length > *end - l4) return DecapError::kTruncated;
  *end = l4 + udp_length;
  const be16 checksum = load_unaligned<be16>(udp + offsetof(UdpHeader, checksum));
  // A sender that left this UDP checksum to the device (a veth with
  // checksum offload, received with its virtio-net header) handed over a
  // packet whose checksum is right by construction: the field holds only
  // the pseudo-header sum. As Open vSwitch's dp_packet_l4_checksum_partial.
  const bool partial = (p.offload.needs & offload::kPartialChecksum) != 0 &&
                       p.offload.l4_offset == l4 &&
                       p.offload.checksum_offset == offsetof(UdpHeader, checksum);
  // A sender that left the inner packet's checksum to the device (Linux's
  // local checksum offload: its vxlan device over a veth) computed the outer
  // UDP checksum over the inner packet as it will be once finished, so it
  // cannot verify before that: it is right by construction too. The inner
  // packet keeps its partial checksum (inner_checksum_partial()).
  const bool inner_partial = (p.offload.needs & offload::kPartialChecksum) != 0 &&
                             p.offload.l4_offset >= l4 + sizeof(UdpHeader);
  if (partial || (inner_partial && checksum != 0)) {
    tunnel.flags |= kTunnelFlagCsum;
  } else if (checksum != 0) {
    const uint64_t pseudo =
        type == ethertype::kIpv4
            ? pseudo_header_ipv4(tunnel.ipv4_src, tunnel.ipv4_dst, ipproto::kUdp, udp_length)
            : pseudo_header_ipv6(tunnel.ipv6_src, tunnel.ipv6_dst, ipproto::kUdp, udp_length);
    be16 expected = transport_checksum(pseudo, udp, udp_length, offsetof(UdpHeader, checksum));
    if (expected == 0) expected = 0xffff;
    if (expected != checksum) return DecapError::kUdpChecksum;
    tunnel.flags |= kTunnelFlagCsum;
  }
  tunnel.tp_src = load_unaligned<be16>(udp + offsetof(UdpHeader, src));
  tunnel.tp_dst = load_unaligned<be16>(udp + offsetof(UdpHeader, dst));
  *payload = l4 + sizeof(UdpHeader);
  return DecapError::kNone;
}

// After pull(): is the packet's partial checksum one of the inner frame's
// (its start inside the frame, past an Ethernet header)?
bool inner_checksum_partial(const Packet& p) {
  if ((p.offload.needs & offload::kPartialChecksum) == 0) return false;
  const uint32_t start = p.offload.l4_offset;
  return start >= kEthLength && start < 0x8000 &&
         start + p.offload.checksum_offset + 2u <= p.size();
}

// As Open vSwitch's pkt_metadata_init_tnl() and pkt_metadata_init_conn().
void clear_tunnel_and_conntrack(PacketMetadata& md) {
  static constexpr TunnelMetadata kNoTunnel{};
  static constexpr ConntrackTuple kNoTuple{};
  md.tunnel = kNoTunnel;
  md.ct_state = 0;
  md.ct_zone = 0;
  md.ct_mark = 0;
  std::memset(md.ct_label, 0, sizeof md.ct_label);
  md.ct_orig_tuple = kNoTuple;
}

// What follows a tunnel header of `header_length` bytes at `payload`, up to
// `end`, becomes the packet: an inner Ethernet frame.
void keep_inner_frame(Packet& p, uint32_t payload, uint32_t header_length, uint32_t end) {
  p.md.packet_type = 0;  // an Ethernet frame follows
  p.truncate(end);       // Ethernet padding of the outer frame is not the inner frame's
  p.pull(payload + header_length);
  p.reset_offsets();
  p.rss_hash = 0;  // the outer flow's hash says nothing about the inner one
  // What the outer packet left to a device is not the inner one's, but for a
  // checksum partial in the inner packet itself: it stays partial (pull()
  // moved its offsets), for the output port to finish or take.
  if (inner_checksum_partial(p)) {
    p.offload.needs = offload::kPartialChecksum;
  } else {
    p.offload.clear();
  }
}

}  // namespace

bool geneve_options_well_formed(const uint8_t* options, uint32_t length) {
  if (length % 4 != 0 || length > static_cast<uint32_t>(kGeneveMaxLength)) return false;
  uint32_t offset = 0;
  while (offset < length) {  // both multiples of 4: a whole option header is there
    const uint32_t option_length = 4 + 4 * uint32_t{options[offset + 3] & 0x1fu};
    if (option_length > length - offset) return false;
    offset += option_length;
  }
  return true;
}

DecapError pop_geneve(Packet& p) {
  clear_tunnel_and_conntrack(p.md);
  uint32_t payload = 0, end = 0;
  if (DecapError e = pop_ip_udp(p, &payload, &end); e != DecapError::kNone) return e;
  if (end - payload < kGeneveHeaderLength) return DecapError::kTruncated;
  const uint8_t* geneve = p.data() + payload;
  const uint32_t options_length = uint32_t{geneve[0] & 0x3fu} * 4;
  if (end - payload < kGeneveHeaderLength + options_length + kEthLength)
    return DecapError::kTruncated;
  if ((geneve[0] >> 6) != 0) return DecapError::kTunnelHeader;  // version 0 only
  if (ntoh16(load_unaligned<be16>(geneve + 2)) != kGeneveProtocolEthernet)
    return DecapError::kTunnelHeader;
  const uint8_t* options = geneve + kGeneveHeaderLength;
  if (!geneve_options_well_formed(options, options_length)) return DecapError::kTunnelHeader;
  const uint32_t vni_word = ntoh32(load_unaligned<be32>(geneve + 4));
  TunnelMetadata& tunnel = p.md.tunnel;
  tunnel.tun_id = hton64(uint64_t{vni_word >> 8});
  tunnel.flags |= kTunnelFlagKey;
  if (geneve[1] & kGeneveOam) tunnel.flags |= kTunnelFlagOam;
  std::memcpy(p.geneve_options, options, options_length);
  tunnel.geneve_length = static_cast<uint8_t>(options_length);
  keep_inner_frame(p, payload, kGeneveHeaderLength + options_length, end);
  return DecapError::kNone;
}

DecapError pop_gre(Packet& p) {
  clear_tunnel_and_conntrack(p.md);
  uint32_t gre_offset = 0, end = 0;
  if (DecapError e = pop_ip(p, ipproto::kGre, &gre_offset, &end); e != DecapError::kNone) return e;
  if (end - gre_offset < kGreBaseLength) return DecapError::kTruncated;
  const uint8_t* gre = p.data() + gre_offset;
  const uint16_t flags = ntoh16(load_unaligned<be16>(gre));
  if (flags & ~(kGreFlagChecksum | kGreFlagKey | kGreFlagSequence))
    return DecapError::kTunnelHeader;  // routing, strict source route, recursion, version
  const uint32_t header_length = kGreBaseLength + ((flags & kGreFlagChecksum) ? 4 : 0) +
                                 ((flags & kGreFlagKey) ? 4 : 0) +
                                 ((flags & kGreFlagSequence) ? 4 : 0);
  if (end - gre_offset < header_length + kEthLength) return DecapError::kTruncated;
  if (ntoh16(load_unaligned<be16>(gre + 2)) != kGreProtocolEthernet)
    return DecapError::kTunnelHeader;
  TunnelMetadata& tunnel = p.md.tunnel;
  const uint8_t* option = gre + kGreBaseLength;
  if (flags & kGreFlagChecksum) {
    // Over the GRE header (with its checksum) and the payload: 0 when right.
    if (internet_checksum(gre, end - gre_offset) != 0) return DecapError::kGreChecksum;
    tunnel.flags |= kTunnelFlagCsum;
    option += 4;
  }
  if (flags & kGreFlagKey) {
    tunnel.tun_id = hton64(uint64_t{ntoh32(load_unaligned<be32>(option))});
    tunnel.flags |= kTunnelFlagKey;
  }
  keep_inner_frame(p, gre_offset, header_length, end);
  return DecapError::kNone;
}

DecapError pop_vxlan(Packet& p) {
  clear_tunnel_and_conntrack(p.md);
  uint32_t payload = 0, end = 0;
  if (DecapError e = pop_ip_udp(p, &payload, &end); e != DecapError::kNone) return e;
  if (end - payload < kVxlanLength + kEthLength) return DecapError::kTruncated;
  const uint8_t* vxlan = p.data() + payload;
  const uint32_t flags = ntoh32(load_unaligned<be32>(vxlan));
  const uint32_t vni_word = ntoh32(load_unaligned<be32>(vxlan + 4));
  if (flags != kVxlanFlagVni || (vni_word & 0xff) != 0) return DecapError::kTunnelHeader;
  p.md.tunnel.tun_id = hton64(uint64_t{vni_word >> 8});
  p.md.tunnel.flags |= kTunnelFlagKey;
  keep_inner_frame(p, payload, kVxlanLength, end);
  return DecapError::kNone;
}

}  // namespace flowpath::tunnel
