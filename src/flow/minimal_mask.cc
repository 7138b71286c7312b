// minimal_mask(): the mask of an exact-match megaflow for one packet, chosen
// like Open vSwitch's flow_wildcards_init_for_packet(). It covers
//  - the metadata: in_port, skb_priority, skb_mark, recirc_id, dp_hash, the
//    conntrack state/zone/mark/label and packet_type, always;
//  - the tunnel, only when the packet came through one (md.tunnel.present()):
//    every tunnel field, tun_id only when the key flag says there is one,
//    and Geneve option bytes only up to geneve_length;
//  - exactly the header fields the parser fills for this kind of packet, as
//    told by packet_type, eth_type, nw_proto and nw_frag: Ethernet addresses,
//    EtherType and the VLAN tags up to the first absent one; MPLS labels up
//    to bottom-of-stack; ARP addresses and opcode; the NSH fields; IP
//    addresses, tos, ttl, protocol, fragment bits (and the IPv6 label); the
//    conntrack original tuple of the same IP version; transport ports (and
//    TCP flags) unless the packet is a later fragment; ND target, link-layer
//    addresses, reserved word and option type for neighbor solicitations and
//    advertisements.
// Padding bytes are never in the mask. Fields absent from the packet (a cut
// header) are still masked: "this packet has no ports" is part of its identity.
#include <cstring>

#include "flow/flow_key.h"

namespace flowpath {

namespace {

template <typename Field>
void mask_all(Field& field) {
  std::memset(static_cast<void*>(&field), 0xff, sizeof field);
}

void mask_tunnel(const TunnelMetadata& tunnel, TunnelMetadata& mask) {
  if (tunnel.flags & kTunnelFlagKey) mask_all(mask.tun_id);
  mask_all(mask.ipv4_src);
  mask_all(mask.ipv4_dst);
  mask_all(mask.ipv6_src);
  mask_all(mask.ipv6_dst);
  mask_all(mask.tp_src);
  mask_all(mask.tp_dst);
  mask_all(mask.flags);
  mask_all(mask.tos);
  mask_all(mask.ttl);
  mask_all(mask.gbp_id);
  mask_all(mask.gbp_flags);
  mask_all(mask.geneve_length);
  mask_all(mask.erspan_version);
  mask_all(mask.erspan_dir);
  mask_all(mask.erspan_hwid);
  mask_all(mask.erspan_index);
  mask_all(mask.gtpu_flags);
  mask_all(mask.gtpu_msgtype);
}

void mask_metadata(const FlowKey& key, FlowMask* mask) {
  PacketMetadata& md = mask->bits.md;
  mask_all(md.in_port);
  mask_all(md.skb_priority);
  mask_all(md.skb_mark);
  mask_all(md.recirc_id);
  mask_all(md.dp_hash);
  mask_all(md.ct_state);
  mask_all(md.ct_zone);
  mask_all(md.ct_mark);
  mask_all(md.ct_label);
  mask_all(md.packet_type);
  if (key.md.tunnel.present()) {
    mask_tunnel(key.md.tunnel, md.tunnel);
    size_t length = key.md.tunnel.geneve_length;
    if (length > sizeof mask->bits.geneve_options) length = sizeof mask->bits.geneve_options;
    std::memset(mask->bits.geneve_options, 0xff, length);
  }
}

// The conntrack original-direction tuple is a property of IP packets only;
// IPv4 uses the first 4 bytes of each address.
void mask_conntrack_tuple(bool ipv6, bool neighbor_discovery, FlowMask* mask) {
  ConntrackTuple& tuple = mask->bits.md.ct_orig_tuple;
  // Open vSwitch leaves the addresses out for ND, which conntrack never sees.
  if (!neighbor_discovery) {
    size_t address_len = ipv6 ? sizeof tuple.src : sizeof(be32);
    std::memset(tuple.src, 0xff, address_len);
    std::memset(tuple.dst, 0xff, address_len);
  }
  mask_all(tuple.src_port);
  mask_all(tuple.dst_port);
  mask_all(tuple.proto);
}

bool is_neighbor_discovery(const FlowKey& key) {
  return key.nw_proto == ipproto::kIcmpv6 && !(key.nw_frag & kFragLater) &&
         (key.tp_src == hton16(kNdNeighborSolicit) || key.tp_src == hton16(kNdNeighborAdvert)) &&
         key.tp_dst == 0;
}

// IPv4 and IPv6: the fields common to both, then the transport layer.
void mask_ip(const FlowKey& key, bool ipv6, FlowMask* mask) {
  FlowKey& m = mask->bits;
  mask_all(m.nw_proto);
  mask_all(m.nw_tos);
  mask_all(m.nw_ttl);
  m.nw_frag = kFragMask;
  bool nd = ipv6 && is_neighbor_discovery(key);
  mask_conntrack_tuple(ipv6, nd, mask);

  if (key.nw_frag & kFragLater) return;  // no transport header in later fragments
  switch (key.nw_proto) {
    case ipproto::kTcp:
      mask_all(m.tcp_flags);
      [[fallthrough]];
    case ipproto::kUdp:
    case ipproto::kSctp:
      mask_all(m.tp_src);
      mask_all(m.tp_dst);
      break;
    case ipproto::kIcmp:
      if (ipv6) break;
      mask_all(m.tp_src);
      mask_all(m.tp_dst);
      break;
    case ipproto::kIcmpv6:
      if (!ipv6) break;
      mask_all(m.tp_src);
      mask_all(m.tp_dst);
      if (nd) {
        mask_all(m.nd_target);
        mask_all(m.nd_sll);
        mask_all(m.nd_tll);
        mask_all(m.nd_reserved);
        mask_all(m.nd_options_type);
      }
      break;
    default:
      break;
  }
}

// The EtherType that says what follows L2, and whether there is an Ethernet
// header at all.
uint16_t payload_type(const FlowKey& key, FlowMask* mask) {
  FlowKey& m = mask->bits;
  if (key.md.packet_type == 0) {
    mask_all(m.eth_src);
    mask_all(m.eth_dst);
    mask_all(m.eth_type);
    // Tag 0 is always in: "no VLAN" is matched as tci 0.
    for (int i = 0; i < kMaxVlanTags; ++i) {
      mask_all(m.vlans[i]);
      if (key.vlans[i].tci == 0) break;
    }
    return ntoh16(key.eth_type);
  }
  uint32_t packet_type = ntoh32(key.md.packet_type);
  if ((packet_type >> 16) != 1) return 0;
  // The EtherType comes from packet_type; it is masked so that keys of L3
  // packets compare on it like Ethernet ones do.
  mask_all(m.eth_type);
  return static_cast<uint16_t>(packet_type);
}

}  // namespace

FlowMask minimal_mask(const FlowKey& key) {
  FlowMask mask = FlowMask::wildcard_all();
  FlowKey& m = mask.bits;
  mask_metadata(key, &mask);

  uint16_t type = payload_type(key, &mask);
  switch (type) {
    case ethertype::kIpv4:
      mask_all(m.ipv4_src);
      mask_all(m.ipv4_dst);
      mask_ip(key, false, &mask);
      break;
    case ethertype::kIpv6:
      mask_all(m.ipv6_src);
      mask_all(m.ipv6_dst);
      mask_all(m.ipv6_label);
      mask_ip(key, true, &mask);
      break;
    case ethertype::kArp:
    case ethertype::kRarp:
      mask_all(m.ipv4_src);
      mask_all(m.ipv4_dst);
      mask_all(m.arp_op);
      mask_all(m.arp_sha);
      mask_all(m.arp_tha);
      break;
    case ethertype::kMplsUnicast:
    case ethertype::kMplsMulticast:
      for (int i = 0; i < kMaxMplsLabels; ++i) {
        mask_all(m.mpls_lse[i]);
        if (key.mpls_lse[i] & hton32(kMplsBosMask)) break;
      }
      break;
    case ethertype::kNsh:
      mask_all(m.nsh_flags);
      mask_all(m.nsh_ttl);
      mask_all(m.nsh_mdtype);
      mask_all(m.nsh_np);
      mask_all(m.nsh_path_hdr);
      mask_all(m.nsh_context);
      break;
    default:
      break;
  }
  return mask;
}

}  // namespace flowpath
