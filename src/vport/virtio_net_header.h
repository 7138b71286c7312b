// The virtio-net header (struct VirtioNetHeader, 10 bytes) that AF_PACKET
// sockets with PACKET_VNET_HDR and TAP devices with IFF_VNET_HDR put in
// front of every frame: a frame's offload state (packet_offload.h) as the
// kernel hands it over and takes it back. Fields are in the host's byte
// order (the legacy virtio layout Linux uses for both on little-endian
// hosts).
#pragma once

#include <cstdint>

#include "packet/packet.h"

namespace flowpath {

// struct virtio_net_hdr of <linux/virtio_net.h>, which C++ cannot include
// (a member there is named `class`).
struct VirtioNetHeader {
  uint8_t flags;
  uint8_t gso_type;
  uint16_t header_length;
  uint16_t gso_size;
  uint16_t checksum_start;
  uint16_t checksum_offset;
};
static_assert(sizeof(VirtioNetHeader) == 10);

namespace virtio {
inline constexpr uint8_t kNeedsChecksum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
inline constexpr uint8_t kGsoNone = 0;
inline constexpr uint8_t kGsoTcp4 = 1;
inline constexpr uint8_t kGsoUdp = 3;  // UFO: IP fragmentation, not taken
inline constexpr uint8_t kGsoTcp6 = 4;
inline constexpr uint8_t kGsoUdpL4 = 5;  // Linux 6.2
inline constexpr uint8_t kGsoEcn = 0x80;
}  // namespace virtio

inline constexpr uint32_t kVirtioNetHeaderSize = sizeof(VirtioNetHeader);

// The offloads (packet_offload.h) a device given virtio-net headers
// finishes itself: partial checksums and TCP segmentation. (UDP
// segmentation, VIRTIO_NET_HDR_GSO_UDP_L4, needs Linux 6.2: left to
// software.)
inline constexpr uint8_t kVirtioNetOffloads =
    offload::kPartialChecksum | offload::kTcp4Segmentation | offload::kTcp6Segmentation;

// Sets p.offload from the header of the frame now in `p`. `vlan_inserted`
// is 4 when the port put back a VLAN tag the kernel had taken out of the
// frame (the header's offsets do not count it), 0 otherwise. False when the
// header asks for something this datapath cannot finish (UFO, an unknown
// GSO type, offsets outside the frame): the caller drops the frame.
bool read_virtio_net_header(const VirtioNetHeader& header, uint32_t vlan_inserted, Packet& p);

// The header for sending `p`: its offloads, or none.
void write_virtio_net_header(const Packet& p, VirtioNetHeader* header);

}  // namespace flowpath
