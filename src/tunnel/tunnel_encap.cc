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
}  // namespace

bool can_push(uint32_t tnl_type) {
  return tnl_type == odp::kVportVxlan || tnl_type == odp::kVportGeneve;
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
  if (out->bytes.size() < l4 + sizeof(UdpHeader)) return false;
  out->l4_offset = static_cast<uint16_t>(l4);
  return true;
}

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
    p.offload.needs |= offload::kUdpTunnel | offload::kSoftwareOnly;
    p.offload.outer_l3_offset = kEthLength;
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
    store_unaligned<be16>(ip + offsetof(Ipv4Header, total_length),
                          hton16(static_cast<uint16_t>(l4_length + sizeof(Ipv4Header))));
    store_unaligned<be16>(ip + offsetof(Ipv4Header, checksum),
                          ipv4_header_checksum(ip, sizeof(Ipv4Header)));
    if (!udp_checksum || super_frame) return;
    pseudo_header = pseudo_header_ipv4(load_unaligned<be32>(ip + offsetof(Ipv4Header, src)),
                                       load_unaligned<be32>(ip + offsetof(Ipv4Header, dst)),
                                       ipproto::kUdp, l4_length);
  }
  be16 checksum = transport_checksum(pseudo_header, udp, l4_length, offsetof(UdpHeader, checksum));
  store_unaligned<be16>(udp + offsetof(UdpHeader, checksum), checksum == 0 ? be16{0xffff} : checksum);
}

}  // namespace flowpath::tunnel
