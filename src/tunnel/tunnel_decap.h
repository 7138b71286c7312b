// tnl_pop on a packet: the outer Ethernet, IP and UDP headers and the tunnel
// header come off, and what they said is recorded in the packet's tunnel
// metadata (tun_id, outer addresses, tos, ttl, UDP ports, flags), as Open
// vSwitch's userspace datapath does before it recirculates the inner frame
// on the tunnel port.
//
// GRE (protocol 47) likewise, without the UDP header.
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
inline constexpr uint16_t kGenevePort = 6081;  // IANA
inline constexpr uint32_t kGeneveHeaderLength = 8;  // before the options
inline constexpr uint16_t kGeneveProtocolEthernet = 0x6558;  // transparent Ethernet bridging
inline constexpr uint8_t kGeneveOam = 0x80;       // byte 1: O, the OAM (control) bit
inline constexpr uint8_t kGeneveCritical = 0x40;  // byte 1: C, critical options present
inline constexpr uint16_t kGreFlagChecksum = 0x8000;  // C
inline constexpr uint16_t kGreFlagKey = 0x2000;       // K
inline constexpr uint16_t kGreFlagSequence = 0x1000;  // S

// Why a decapsulation failed (tests and the fuzz target tell them apart; the
// datapath counts them all as one drop reason).
enum class DecapError : uint8_t {
  kNone,
  kTruncated,        // a header is cut short
  kNotIp,            // the outer EtherType is not IPv4 or IPv6 (a VLAN tag included)
  kIpHeader,         // wrong version, IPv4 options, bad IPv4 checksum, IP length past the frame
  kFragment,         // an IPv4 fragment
  kNotUdp,           // the IP protocol / next header is not UDP (GRE: not 47)
  kUdpChecksum,      // non-zero UDP checksum that does not verify
  kGreChecksum,      // a GRE checksum (C flag) that does not verify
  kTunnelHeader,     // VXLAN flags other than the VNI flag, or reserved bits set;
                     // Geneve: a version other than 0, a protocol other than
                     // Ethernet, or options whose lengths do not fill the
                     // options' length exactly
};

// Decapsulates one VXLAN packet in place (md.in_port is left to the caller).
// On success the frame is the inner Ethernet frame and md.tunnel describes
// the outer headers; conntrack metadata is cleared as for a new packet.
DecapError pop_vxlan(Packet& p);

// Decapsulates one Geneve packet in place, as Open vSwitch's userspace
// datapath does: tun_id is the VNI, flags key (and oam when the O bit is
// set, csum when the UDP checksum was there), and the options, in their
// wire form, go to p.geneve_options / md.tunnel.geneve_length (the key's
// tunnel(...,geneve(...)) as Open vSwitch prints it). The C bit is not
// recorded (Open vSwitch's userspace datapath does not either).
DecapError pop_geneve(Packet& p);

// Decapsulates one GRE packet (IPv4 protocol 47 or IPv6 next header 47)
// in place, as Open vSwitch's netdev_gre_pop_header: flags C, K and S only
// (version 0), protocol 0x6558 (an Ethernet frame follows; Open vSwitch's
// layer-3 GRE ports, which take other protocols, do not exist here), the
// checksum verified when the C flag is set, the key (K) as tun_id with the
// key flag, the csum flag with C; a sequence number (S) is skipped.
DecapError pop_gre(Packet& p);

// Whether `length` bytes of Geneve options are whole options: each a
// 4-byte header (class, type, 3 reserved bits, 5 bits of length in 4-byte
// words) and its data, the last ending exactly at `length`.
bool geneve_options_well_formed(const uint8_t* options, uint32_t length);

}  // namespace flowpath::tunnel
