// The outer header of a tnl_push action, built by the slow path from a
// tunnel port's options, the route to its remote end and the next hop's
// Ethernet address, as Open vSwitch's native tunnelling builds it
// (netdev-native-tnl.c): Ethernet, IPv4 (ID 0, DF from df_default, the
// header checksum over a zero total length) or IPv6 (no flow label), UDP
// (source port 0 and the lengths left for the datapath; checksum 0xffff as
// the "compute one" mark when csum=true), then the VXLAN header with the
// VNI flag, or the Geneve header (version 0, no options, O and C clear,
// protocol 0x6558, the VNI). The datapath fills in the per-packet fields
// (tunnel_encap.h). GRE: build_gre_header().
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "packet/headers.h"
#include "tunnel/route_table.h"
#include "tunnel/tunnel_config.h"

namespace flowpath::tunnel {

// The outer header of a UDP tunnel (VXLAN, Geneve).
struct VxlanHeaderParams {
  EthAddr eth_dst{}, eth_src{};
  Address ip_src{}, ip_dst{};  // both IPv4-mapped, or both IPv6
  uint8_t tos = 0;
  uint8_t ttl = 64;
  bool dont_fragment = true;
  uint16_t dst_port = 4789;
  bool udp_checksum = false;
  uint32_t vni = 0;  // 24 bits
};

// The header bytes (50 for IPv4, 70 for IPv6).
std::vector<uint8_t> build_vxlan_header(const VxlanHeaderParams& params);
// The same outer headers (dst_port is the caller's: 6081 by default) and
// an 8-byte Geneve header without options.
std::vector<uint8_t> build_geneve_header(const VxlanHeaderParams& params);

// A GRE tunnel's outer header, as Open vSwitch's netdev_gre_build_header
// builds it for an Ethernet packet: Ethernet, IPv4 (protocol 47, ID 0, DF
// from df_default) or IPv6 (next header 47), then GRE version 0 with
// protocol 0x6558 (transparent Ethernet bridging), the C flag and a zero
// checksum word when `checksum` (the datapath computes it per packet), the
// K flag and the key when `key` is set. Never the S flag (sequence numbers
// are not supported).
struct GreHeaderParams {
  EthAddr eth_dst{}, eth_src{};
  Address ip_src{}, ip_dst{};  // both IPv4-mapped, or both IPv6
  uint8_t tos = 0;
  uint8_t ttl = 64;
  bool dont_fragment = true;
  bool checksum = false;
  std::optional<uint32_t> key;
};

// The header bytes: 38 (IPv4) or 58 (IPv6), plus 4 for each of checksum and key.
std::vector<uint8_t> build_gre_header(const GreHeaderParams& params);

// The outer header a tunnel port of `type` pushes, and the ODP tunnel type
// (odp::kVport*) it is pushed as. `params` holds the addresses, tos, ttl,
// DF, UDP port and checksum and the VNI; a GRE port takes `gre_checksum`
// and its key only when it has one (`gre_key`), and is an ip6gre type on an
// IPv6 underlay, as Open vSwitch's.
struct PortHeader {
  std::vector<uint8_t> header;
  uint32_t odp_type = 0;
};
PortHeader build_port_header(TunnelType type, const VxlanHeaderParams& params, bool gre_checksum,
                             std::optional<uint32_t> gre_key);

// The payload of an ActionPushTunnel (odp::kActionTunnelPush) carrying
// `header` of `tnl_type` (odp::kVport*), for tunnel port `tnl_port` and
// underlay port `out_port`.
std::vector<uint8_t> tunnel_push_payload(uint32_t tnl_port, uint32_t out_port, uint32_t tnl_type,
                                         const std::vector<uint8_t>& header);

}  // namespace flowpath::tunnel
