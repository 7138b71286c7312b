// Pieces shared by the Netlink key encoder and decoder (key_netlink*.cc):
// attribute names for messages, the packet-shape predicates that decide which
// attributes a key carries, and the nested tunnel and NSH attributes.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "common/result.h"
#include "flow/flow_key.h"
#include "flow/key_netlink.h"
#include "common/netlink.h"
#include "flow/odp_abi.h"

namespace flowpath::key_netlink {

// in_port of a key that names no port (Open vSwitch's ODPP_NONE): such a key
// carries no in_port attribute.
inline constexpr uint32_t kNoInPort = 0xffffffff;

// The ODP text name of a key attribute ("ipv4", "ct_label"), or "key<N>" for
// a type Open vSwitch 3.1 does not know.
std::string key_attr_name(uint16_t type);

inline bool is_vlan_tpid(be16 type) {
  return type == hton16(ethertype::kVlan8021Q) || type == hton16(ethertype::kVlan8021AD);
}
inline bool is_mpls(be16 type) {
  return type == hton16(ethertype::kMplsUnicast) || type == hton16(ethertype::kMplsMulticast);
}
inline bool is_ipv4(const FlowKey& key) { return key.eth_type == hton16(ethertype::kIpv4); }
inline bool is_ipv6(const FlowKey& key) { return key.eth_type == hton16(ethertype::kIpv6); }
inline bool is_ethernet(const FlowKey& key) { return key.md.packet_type == 0; }

// IPv4 or IPv6 with a transport header (not a later fragment).
inline bool has_transport(const FlowKey& key) {
  return (is_ipv4(key) || is_ipv6(key)) && !(key.nw_frag & kFragLater);
}

// An ICMPv6 Neighbor Solicitation or Advertisement (code 0): the key carries
// the ND attributes.
inline bool is_neighbor_discovery(const FlowKey& key) {
  return is_ipv6(key) && key.nw_proto == ipproto::kIcmpv6 &&
         (key.tp_src == hton16(kNdNeighborSolicit) || key.tp_src == hton16(kNdNeighborAdvert)) &&
         key.tp_dst == 0;
}

// ICMP type and code are 8 bits wide, so a mask covers them fully when the
// low byte of tp_src / tp_dst is all ones.
inline bool icmp_fully_masked(const FlowKey& mask) {
  return (ntoh16(mask.tp_src) & 0xff) == 0xff && (ntoh16(mask.tp_dst) & 0xff) == 0xff;
}

// Labels in the mpls attribute: up to and including the bottom of stack, or
// all kMaxMplsLabels when none of them is the bottom (a deeper or cut stack).
int mpls_label_count(const FlowKey& key);

// The key carries the conntrack original tuple (ct_tuple4 / ct_tuple6 by
// eth_type) when conntrack tracked the packet to a valid connection.
bool has_ct_tuple(const FlowKey& key);

// The key carries a tunnel attribute when an outer address is known.
bool tunnel_has_address(const TunnelMetadata& tunnel);
// Any tunnel or Geneve mask bit set.
bool tunnel_mask_nonzero(const FlowKey& mask);

// Collects the first problem that makes a key's fitness less than perfect.
// Missing attributes (too little) outrank extra ones (too much).
struct FitnessReport {
  KeyFitness fitness = KeyFitness::kPerfect;
  std::string detail;

  void too_little(std::string why) {
    if (fitness == KeyFitness::kTooLittle) return;
    fitness = KeyFitness::kTooLittle;
    detail = std::move(why);
  }
  void too_much(std::string why) {
    if (fitness != KeyFitness::kPerfect) return;
    fitness = KeyFitness::kTooMuch;
    detail = std::move(why);
  }
};

// ---- tunnel (OVS_KEY_ATTR_TUNNEL and its nested OVS_TUNNEL_KEY_ATTR_*)

// Appends the tunnel attribute: `data` gives the values (the key, or the
// mask), `key` the layouts that depend on the key (Geneve length, ERSPAN
// version).
void encode_tunnel(const FlowKey& data, const FlowKey& key, bool is_mask, NetlinkWriter& out);
// Parses a key's tunnel attribute payload into key->md.tunnel and
// key->geneve_options. Unknown nested attributes are reported to `fitness`.
Status decode_tunnel_key(std::span<const uint8_t> payload, FlowKey* key, FitnessReport* fitness);
// Parses a mask's tunnel attribute payload for `key` into `mask`.
Status decode_tunnel_mask(std::span<const uint8_t> payload, const FlowKey& key, FlowKey* mask);

// ---- NSH (OVS_KEY_ATTR_NSH and its nested OVS_NSH_KEY_ATTR_*)

void encode_nsh(const FlowKey& data, const FlowKey& key, bool is_mask, NetlinkWriter& out);
Status decode_nsh_key(std::span<const uint8_t> payload, FlowKey* key, FitnessReport* fitness);
Status decode_nsh_mask(std::span<const uint8_t> payload, FlowKey* mask);

}  // namespace flowpath::key_netlink
