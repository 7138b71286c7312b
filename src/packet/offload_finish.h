// Finishing in software what a packet's sender left to the device
// (packet_offload.h), for a port that cannot take the offload: the partial
// checksum completed, a super-frame cut into segments of its segment size
// (TCP over IPv4 or IPv6, UDP), as Linux's skb_checksum_help() and GSO do.
// Nothing here allocates from the heap: segments come from a packet pool.
#pragma once

#include <cstdint>

#include "packet/packet.h"
#include "packet/packet_pool.h"

namespace flowpath {

// Completes the partial L4 checksum in place (the field holds the
// pseudo-header sum, as Linux leaves it) and clears kPartialChecksum. A
// packet too short for its checksum field loses the offload and is left as
// it is.
void finish_checksum(Packet& p);

// Cuts a super-frame into frames of at most offload.segment_size payload
// bytes after its headers, each a complete frame: IPv4 total length, ID
// (+1 per segment) and header checksum; IPv6 payload length; TCP sequence
// number, flags (FIN and PSH on the last segment only, CWR on the first)
// and checksum; UDP length and checksum. Headers before the IP header
// (Ethernet, VLAN tags, MPLS labels) are copied as they are. A super-frame
// in a UDP tunnel (offload::kUdpTunnel) gets the outer IPv4 total length, ID
// and checksum or IPv6 payload length, and the outer UDP length and, when
// the tunnel sends one (a non-zero field), checksum of each segment set too;
// one in GRE (offload::kGreTunnel) the outer IP fields and, when the GRE
// header has the C flag, the GRE checksum.
class Segmenter {
 public:
  explicit Segmenter(const Packet& super_frame);

  // False when the super-frame's headers do not describe a TCP or UDP
  // super-frame of its segmentation type (the packet cannot be cut).
  bool valid() const { return valid_; }
  // Segments still to make.
  uint32_t remaining() const { return valid_ ? segments_ - next_ : 0; }
  // The next segment, allocated from `pool` (the class that fits it), or
  // nullptr when none is left or the pool is exhausted.
  Packet* next(PacketPool& pool);

 private:
  bool find_outer_headers();
  void set_outer_headers(uint8_t* frame, uint32_t size) const;

  const Packet& frame_;
  bool valid_ = false;
  bool ipv6_ = false;
  bool tcp_ = false;
  bool outer_ipv6_ = false;
  bool outer_gre_ = false;        // the outer header is GRE (kGreTunnel), not UDP
  uint32_t outer_l4_offset_ = 0;  // the outer UDP or GRE header, with kTunnel; else 0
  uint32_t header_length_ = 0;  // up to the end of the TCP or UDP header
  uint32_t payload_length_ = 0;
  uint32_t segment_size_ = 0;
  uint32_t segments_ = 0;
  uint32_t next_ = 0;
};

}  // namespace flowpath
