#include "vport/virtio_net_header.h"

#include <cstring>

#include "packet/headers.h"

namespace flowpath {

namespace {

constexpr uint32_t kVlanTagLength = 4;

// The offset of the IP header after the Ethernet header and any VLAN tags,
// or 0 when the frame carries something else.
uint32_t ip_header_offset(const Packet& p) {
  uint32_t type_at = 12;
  while (type_at + 2 <= p.size()) {
    const uint16_t type = static_cast<uint16_t>(p.data()[type_at] << 8 | p.data()[type_at + 1]);
    if (type == ethertype::kVlan8021Q || type == ethertype::kVlan8021AD) {
      type_at += kVlanTagLength;
      continue;
    }
    return type == ethertype::kIpv4 || type == ethertype::kIpv6 ? type_at + 2 : 0;
  }
  return 0;
}

}  // namespace

bool read_virtio_net_header(const VirtioNetHeader& header, uint32_t vlan_inserted, Packet& p) {
  PacketOffload& o = p.offload;
  o.clear();
  if ((header.flags & virtio::kNeedsChecksum) != 0) {
    o.needs = offload::kPartialChecksum;
    o.l4_offset = static_cast<uint16_t>(header.checksum_start + vlan_inserted);
    o.checksum_offset = header.checksum_offset;
    if (o.l4_offset + o.checksum_offset + 2u > p.size()) return false;
  }
  const uint8_t gso = header.gso_type & static_cast<uint8_t>(~virtio::kGsoEcn);
  if (gso == virtio::kGsoNone) return true;
  // A super-frame always leaves its checksum to the device.
  if (o.needs == 0 || header.gso_size == 0) return false;
  switch (gso) {
    case virtio::kGsoTcp4: o.needs |= offload::kTcp4Segmentation; break;
    case virtio::kGsoTcp6: o.needs |= offload::kTcp6Segmentation; break;
    case virtio::kGsoUdpL4: o.needs |= offload::kUdpSegmentation; break;
    default: return false;  // UFO (IP fragmentation) and unknown types
  }
  o.ecn = (header.gso_type & virtio::kGsoEcn) != 0;
  o.segment_size = header.gso_size;
  o.l3_offset = static_cast<uint16_t>(ip_header_offset(p));
  return o.l3_offset != 0 && o.l3_offset < o.l4_offset;
}

void write_virtio_net_header(const Packet& p, VirtioNetHeader* header) {
  std::memset(header, 0, sizeof *header);
  const PacketOffload& o = p.offload;
  if (o.needs == 0) [[likely]] return;
  if ((o.needs & offload::kPartialChecksum) != 0) {
    header->flags = virtio::kNeedsChecksum;
    header->checksum_start = o.l4_offset;
    header->checksum_offset = o.checksum_offset;
  }
  if ((o.needs & offload::kSegmentation) == 0) return;
  header->gso_type = (o.needs & offload::kTcp4Segmentation) != 0   ? virtio::kGsoTcp4
                     : (o.needs & offload::kTcp6Segmentation) != 0 ? virtio::kGsoTcp6
                                                                    : virtio::kGsoUdpL4;
  if (o.ecn) header->gso_type |= virtio::kGsoEcn;
  header->gso_size = o.segment_size;
  // Up to the end of the transport header, as Linux fills it in.
  const uint32_t tcp_length = o.l4_offset + 12u < p.size() ? (p.data()[o.l4_offset + 12] >> 4) * 4u : 0;
  header->header_length = static_cast<uint16_t>(
      o.l4_offset + ((o.needs & offload::kUdpSegmentation) != 0 ? 8u : tcp_length));
}

}  // namespace flowpath
