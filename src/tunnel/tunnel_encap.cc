#include "tunnel/tunnel_encap.h"

#include <cstddef>
#include <cstring>

#include "flow/odp_abi.h"
#include "packet/checksum.h"
#include "packet/headers.h"
#include "packet/offload_finish.h"

namespace flowpath::tunnel {

namespace {
constexpr size_t kPrefixLength = 16;  // ActionPushTunnel's four u32s
constexpr size_t kEthLength = sizeof(EthHeader);
constexpr size_t kGreBaseLength = 4;
constexpr uint16_t kGreFlagChecksum = 0x8000;
constexpr uint16_t kGreFlagKey = 0x2000;
constexpr uint16_t kGreFlagSequence = 0x1000;

bool is_gre(uint32_t tnl_type) {
  return tnl_type == odp::kVportGre || tnl_type == odp::kVportIp6gre;
}

// The GRE flags of a GRE tnl_push payload (validated), or 0.
uint16_t gre_flags(std::span<const uint8_t> payload) {
  if (payload.size() < kPrefixLength + kEthLength) return 0;
  uint32_t tnl_type = 0;
  std::memcpy(&tnl_type, payload.data() + 12, 4);
  if (!is_gre(tnl_type)) return 0;
  const uint8_t* eth = payload.data() + kPrefixLength;
  const bool ipv6 = ntoh16(load_unaligned<be16>(eth + 12)) == ethertype::kIpv6;
  const size_t l4 = kPrefixLength + kEthLength + (ipv6 ? sizeof(Ipv6Header) : sizeof(Ipv4Header));
  if (payload.size() < l4 + kGreBaseLength) return 0;
  return ntoh16(load_unaligned<be16>(payload.data() + l4));
}

// EncapHeader::ipv4_sum of the header bytes `header` (at least Ethernet and IPv4).
uint64_t ipv4_template_sum(std::span<const uint8_t> header) {
  uint8_t ip[sizeof(Ipv4Header)];
  std::memcpy(ip, header.data() + kEthLength, sizeof ip);
  store_unaligned<be16>(ip + offsetof(Ipv4Header, total_length), 0);
  store_unaligned<be16>(ip + offsetof(Ipv4Header, checksum), 0);
  return checksum_add(0, ip, sizeof ip);
}

// The outer IPv4 header's total length and checksum.
void set_ipv4_length(uint8_t* ip, const EncapHeader& header, uint32_t total_length) {
  const be16 length = hton16(static_cast<uint16_t>(total_length));
  const uint64_t sum = header.ipv4_sum != 0 ? header.ipv4_sum : ipv4_template_sum(header.bytes);
  store_unaligned<be16>(ip + offsetof(Ipv4Header, total_length), length);
  store_unaligned<be16>(ip + offsetof(Ipv4Header, checksum),
                        checksum_finish(sum + static_cast<uint16_t>(length)));
}
}  // namespace

bool can_push(uint32_t tnl_type) {
  return tnl_type == odp::kVportVxlan || tnl_type == odp::kVportGeneve || is_gre(tnl_type);
}

const char* push_refusal(std::span<const uint8_t> payload) {
  if (gre_flags(payload) & kGreFlagSequence)
    return "tnl_push: this datapath does not push gre headers with sequence numbers "
           "(flags 0x1000)";
  return nullptr;
}

bool decode_encap_header(std::span<const uint8_t> payload, EncapHeader* out) {
  if (payload.size() < kPrefixLength) return false;
  uint32_t header_len = 0;
  std::memcpy(&out->tnl_port, payload.data(), 4);
  std::memcpy(&out->out_port, payload.data() + 4, 4);
  std::memcpy(&header_len, payload.data() + 8, 4);
  std::memcpy(&out->tnl_type, payload.data() + 12, 4);
  if (!can_push(out->tnl_type) || header_len != payload.size() - kPrefixLength) return false;
  out->bytes = payload.subspan(kPrefixLength);
  if (out->bytes.size() < kEthLength) return false;
  const uint16_t type = ntoh16(load_unaligned<be16>(out->bytes.data() + 12));
  out->ipv6 = type == ethertype::kIpv6;
  if (!out->ipv6 && type != ethertype::kIpv4) return false;
  const size_t l4 = kEthLength + (out->ipv6 ? sizeof(Ipv6Header) : sizeof(Ipv4Header));
  out->l4_offset = static_cast<uint16_t>(l4);
  out->gre = is_gre(out->tnl_type);
  if (out->bytes.size() < l4) return false;
  if (!out->ipv6) out->ipv4_sum = ipv4_template_sum(out->bytes);
  if (!out->gre) return out->bytes.size() >= l4 + sizeof(UdpHeader);
  if (out->bytes.size() < l4 + kGreBaseLength) return false;
  const uint16_t flags = ntoh16(load_unaligned<be16>(out->bytes.data() + l4));
  if (flags & kGreFlagSequence) return false;  // push_refusal()
  const size_t length = kGreBaseLength + ((flags & kGreFlagChecksum) ? 4 : 0) +
                        ((flags & kGreFlagKey) ? 4 : 0);
  if (out->bytes.size() != l4 + length) return false;
  out->gre_checksum = (flags & kGreFlagChecksum) != 0;
  return true;
}

namespace {
// GRE: the IP length fields and, with the C flag, the GRE checksum over the
// GRE header and everything after it (a super-frame's segments get theirs
// when they are cut).
void push_gre_lengths(uint8_t* frame, uint32_t size, const EncapHeader& header, bool super_frame) {
  const uint32_t l4_length = size - header.l4_offset;
  uint8_t* ip = frame + kEthLength;
  if (header.ipv6) {
    store_unaligned<be16>(ip + offsetof(Ipv6Header, payload_length),
                          hton16(static_cast<uint16_t>(l4_length)));
  } else {
    set_ipv4_length(ip, header, l4_length + sizeof(Ipv4Header));
  }
  if (!header.gre_checksum || super_frame) return;
  uint8_t* gre = frame + header.l4_offset;
  store_unaligned<be16>(gre + kGreBaseLength, 0);
  store_unaligned<be16>(gre + kGreBaseLength, internet_checksum(gre, l4_length));
}
}  // namespace

void push_encap_header(Packet& p, const EncapHeader& header, uint32_t flow_hash) {
  // What the inner packet's sender left to the device: a partial checksum is
  // finished now, as the outer UDP checksum covers it; a super-frame stays
  // one, to be cut in software on output (Segmenter), which then sets the
  // outer lengths and checksums of each segment.
  const bool super_frame = (p.offload.needs & offload::kSegmentation) != 0;
  if (p.offload.needs != 0 && !super_frame) {
    finish_checksum(p);
    p.offload.clear();
  }
  const uint32_t length = static_cast<uint32_t>(header.bytes.size());
  uint8_t* frame = p.push(length);
  std::memcpy(frame, header.bytes.data(), length);
  p.md.packet_type = 0;  // the result is an Ethernet frame
  p.reset_offsets();
  p.l3_offset = kEthLength;
  p.l4_offset = header.l4_offset;
  if (super_frame) {
    p.offload.needs |= (header.gre ? offload::kGreTunnel : offload::kUdpTunnel) |
                       offload::kSoftwareOnly;
    p.offload.outer_l3_offset = kEthLength;
  }
  if (header.gre) {
    push_gre_lengths(p.data(), p.size(), header, super_frame);
    return;
  }

  // From the UDP header to the end: what the IP header's length covers
  // beyond itself, and what the UDP length covers. Headers sit at any byte
  // position, so fields are stored unaligned.
  const uint32_t l4_length = p.size() - header.l4_offset;
  uint8_t* udp = frame + header.l4_offset;
  uint8_t* ip = frame + kEthLength;
  store_unaligned<be16>(udp + offsetof(UdpHeader, src), source_port_of_hash(flow_hash));
  store_unaligned<be16>(udp + offsetof(UdpHeader, length), hton16(static_cast<uint16_t>(l4_length)));
  const bool udp_checksum = load_unaligned<be16>(udp + offsetof(UdpHeader, checksum)) != 0;
  uint64_t pseudo_header;
  if (header.ipv6) {
    store_unaligned<be16>(ip + offsetof(Ipv6Header, payload_length),
                          hton16(static_cast<uint16_t>(l4_length)));
    if (!udp_checksum || super_frame) return;
    pseudo_header = pseudo_header_ipv6(ip + offsetof(Ipv6Header, src),
                                       ip + offsetof(Ipv6Header, dst), ipproto::kUdp, l4_length);
  } else {
    set_ipv4_length(ip, header, l4_length + sizeof(Ipv4Header));
    if (!udp_checksum || super_frame) return;
    pseudo_header = pseudo_header_ipv4(load_unaligned<be32>(ip + offsetof(Ipv4Header, src)),
                                       load_unaligned<be32>(ip + offsetof(Ipv4Header, dst)),
                                       ipproto::kUdp, l4_length);
  }
  be16 checksum = transport_checksum(pseudo_header, udp, l4_length, offsetof(UdpHeader, checksum));
  store_unaligned<be16>(udp + offsetof(UdpHeader, checksum), checksum == 0 ? be16{0xffff} : checksum);
}

}  // namespace flowpath::tunnel
