// tnl_push on a packet: the outer header the slow path built (Ethernet, IPv4
// or IPv6, UDP, then the tunnel's own header) goes in front of the frame and
// the fields that depend on the packet are filled in, as Open vSwitch's
// userspace datapath does: IP total/payload length and IPv4 checksum, UDP
// length, the UDP source port from the inner flow's hash (ECMP entropy, in
// Open vSwitch's range 32768..60999) and the UDP checksum when the header
// asks for one (a non-zero checksum in the template; csum=true). GRE: the IP
// fields, and the GRE checksum when the header has the C flag (csum=true),
// as Open vSwitch's netdev_gre_push_header.
//
// Hot path: decode_encap_header() runs once per action and batch,
// push_encap_header() once per packet; neither allocates.
#pragma once

#include <cstdint>
#include <span>

#include "packet/byte_order.h"
#include "packet/packet.h"

namespace flowpath::tunnel {

// Open vSwitch's default tunnel source port range (tnl_udp_port_min/max).
inline constexpr uint16_t kSourcePortMin = 32768;
inline constexpr uint16_t kSourcePortMax = 61000;  // exclusive

// The UDP source port for a flow hash: the hash scaled into the range, so
// the high bits decide (as Open vSwitch computes it).
inline be16 source_port_of_hash(uint32_t hash) {
  uint64_t scaled = (uint64_t{hash} * (kSourcePortMax - kSourcePortMin)) >> 32;
  return hton16(static_cast<uint16_t>(scaled + kSourcePortMin));
}

// A tnl_push header as the executor pushes it.
struct EncapHeader {
  std::span<const uint8_t> bytes;  // Ethernet + IP + UDP + tunnel header, or + GRE
  uint32_t tnl_type = 0;           // odp::kVport*
  uint32_t tnl_port = 0;
  uint32_t out_port = 0;
  uint16_t l4_offset = 0;  // the UDP (GRE) header within `bytes`
  bool ipv6 = false;
  bool gre = false;           // GRE (no UDP header)
  bool gre_checksum = false;  // the GRE header has the C flag
  // IPv4: the one's complement sum of the outer IPv4 header's words but its
  // total length and checksum (never 0: the version word is in it), taken
  // once per action by decode_encap_header, so a packet's header checksum
  // costs an addition and no read-back of the bytes just written. 0: not
  // taken (push_encap_header takes it from `bytes`).
  uint64_t ipv4_sum = 0;
};

// Is tnl_push of `tnl_type` (odp::kVport*) executed here? The UDP tunnels
// whose header needs nothing per packet beyond UDP and IP: VXLAN and
// Geneve; and GRE over IPv4 or IPv6 (kVportGre, kVportIp6gre) without
// sequence numbers. ERSPAN and GTP-U (its length field) are not yet.
bool can_push(uint32_t tnl_type);

// Why this datapath cannot push a header can_push() accepts the type of:
// a GRE header with the S flag (Open vSwitch numbers each port's packets;
// this datapath does not). nullptr when it can.
const char* push_refusal(std::span<const uint8_t> payload);

// Decodes an ActionPushTunnel payload that validate_actions() accepted;
// false when it is malformed or of a type can_push() refuses.
bool decode_encap_header(std::span<const uint8_t> payload, EncapHeader* out);

// Pushes `header` in front of `p` (the caller made sure of the headroom:
// p.headroom() >= header.bytes.size()) and fills the per-packet fields;
// `flow_hash` is the inner packet's. The packet becomes an Ethernet frame
// with its layer offsets at the new outer headers.
void push_encap_header(Packet& p, const EncapHeader& header, uint32_t flow_hash);

}  // namespace flowpath::tunnel
