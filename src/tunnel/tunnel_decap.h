// tnl_pop on a packet: the outer Ethernet, IP and UDP headers and the tunnel
// header come off, and what they said is recorded in the packet's tunnel
// metadata (tun_id, outer addresses, tos, ttl, UDP ports, flags), as Open
// vSwitch's userspace datapath does before it recirculates the inner frame
// on the tunnel port.
//
// Everything is checked, because the frame comes from the wire: a frame cut
// short anywhere, an IPv4 header with options or a bad checksum, an IP
// length past the frame, a fragment, a UDP checksum that does not verify,
// VXLAN flags other than just the VNI flag, or an inner frame shorter than
// an Ethernet header, is refused (the caller drops it, counted).
//
// Hot path: one call per packet, no allocation.
#pragma once

#include <cstdint>

#include "packet/packet.h"

namespace flowpath::tunnel {

inline constexpr uint16_t kVxlanPort = 4789;  // IANA
inline constexpr uint32_t kVxlanFlagVni = 0x08000000;  // the I flag, host order

// Why a decapsulation failed (tests and the fuzz target tell them apart; the
// datapath counts them all as one drop reason).
enum class DecapError : uint8_t {
  kNone,
  kTruncated,        // a header is cut short
  kNotIp,            // the outer EtherType is not IPv4 or IPv6 (a VLAN tag included)
  kIpHeader,         // wrong version, IPv4 options, bad IPv4 checksum, IP length past the frame
  kFragment,         // an IPv4 fragment
  kNotUdp,           // the IP protocol / next header is not UDP
  kUdpChecksum,      // non-zero UDP checksum that does not verify
  kTunnelHeader,     // VXLAN flags other than the VNI flag, or reserved bits set
};

// Decapsulates one VXLAN packet in place (md.in_port is left to the caller).
// On success the frame is the inner Ethernet frame and md.tunnel describes
// the outer headers; conntrack metadata is cleared as for a new packet.
DecapError pop_vxlan(Packet& p);

}  // namespace flowpath::tunnel
