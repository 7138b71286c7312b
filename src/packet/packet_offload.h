// Offload state of a packet: work a sender's stack left for the device, as a
// virtio-net header describes it (Linux's CHECKSUM_PARTIAL and GSO, Open
// vSwitch's dp_packet offload flags). A port that speaks virtio-net headers
// (afpacket with PACKET_VNET_HDR, tap/internal with IFF_VNET_HDR) fills it
// on receive; on output a port that takes the offload gets the packet as it
// is with its header, any other gets it finished in software
// (offload_finish.h). Extraction and flow matching never look at it.
//
// Offsets count from the start of the frame (Packet::data()) and move with
// Packet::push()/pull() like the parser's offsets.
#pragma once

#include <cstdint>

namespace flowpath {

// What a packet still needs, and what a port can take (Vport): one bit each.
namespace offload {
inline constexpr uint8_t kPartialChecksum = 1 << 0;  // the L4 checksum is left to finish
inline constexpr uint8_t kTcp4Segmentation = 1 << 1;  // a TCP/IPv4 super-frame
inline constexpr uint8_t kTcp6Segmentation = 1 << 2;  // a TCP/IPv6 super-frame
inline constexpr uint8_t kUdpSegmentation = 1 << 3;   // a UDP super-frame (UDP GSO)
inline constexpr uint8_t kSegmentation = kTcp4Segmentation | kTcp6Segmentation | kUdpSegmentation;
// A super-frame encapsulated in UDP (tnl_push of VXLAN or Geneve) after its
// sender left it to the device: the outer IP header sits at
// outer_l3_offset, the outer UDP header right after it. Segmenting it fixes
// the outer lengths and checksums of each segment too (Linux's
// SKB_GSO_UDP_TUNNEL); always with kSoftwareOnly.
inline constexpr uint8_t kUdpTunnel = 1 << 6;
// The same in GRE (tnl_push of GRE): the GRE header right after the outer
// IP header; segmenting it also sets each segment's GRE checksum when the
// header has one (the C flag). Always with kSoftwareOnly.
inline constexpr uint8_t kGreTunnel = 1 << 5;
inline constexpr uint8_t kTunnel = kUdpTunnel | kGreTunnel;
// Set by actions that leave a frame no device can finish (MPLS pushed over
// an offloaded packet): finished in software whatever the port takes.
inline constexpr uint8_t kSoftwareOnly = 1 << 7;
inline constexpr uint8_t kAll = kPartialChecksum | kSegmentation;
}  // namespace offload

struct PacketOffload {
  uint8_t needs = 0;            // offload:: bits; 0: a plain, finished frame
  bool ecn = false;             // the TCP super-frame's sender uses ECN (CWR on the first segment)
  uint16_t segment_size = 0;    // payload bytes per segment (the MSS), with kSegmentation
  uint16_t l3_offset = 0;       // IP header, with kSegmentation
  uint16_t l4_offset = 0;       // checksum start: the transport header
  uint16_t checksum_offset = 0; // checksum field, from l4_offset (TCP 16, UDP 6)
  uint16_t outer_l3_offset = 0; // the outer IP header, with kUdpTunnel or kGreTunnel

  void clear() { *this = PacketOffload{}; }
  void shift(int delta) {
    l3_offset = static_cast<uint16_t>(l3_offset + delta);
    l4_offset = static_cast<uint16_t>(l4_offset + delta);
    if ((needs & offload::kTunnel) != 0)
      outer_l3_offset = static_cast<uint16_t>(outer_l3_offset + delta);
  }
};
static_assert(sizeof(PacketOffload) == 12);

}  // namespace flowpath
