// FlowKey: the fixed-layout key of the datapath, one field per field of the
// Open vSwitch datapath flow key. A FlowMask has the same layout with 1-bits
// where a megaflow cares. The layout is made of 64-bit words so the
// classifier and caches hash and compare keys word by word, and only over the
// words a mask uses.
//
// Conventions (those of Open vSwitch's struct flow, so ODP attributes map
// one-to-one):
//  - Packet-derived fields are in network byte order; metadata in host order.
//  - vlans[i].tci has kVlanCfi (0x1000) set when tag i is present; tpid is the
//    TPID that introduced it. A VLAN header that is truncated leaves
//    eth_type = its TPID and vlans[i].tci = 0 (ODP: "vlan(0),encap()").
//  - eth_type is the innermost EtherType after VLAN tags. 802.3 frames give
//    ethertype::kNone (0x05ff) unless they carry LLC/SNAP with OUI 0, which
//    gives the SNAP EtherType. A frame too short for an Ethernet header is
//    all zero past the metadata.
//  - ARP/RARP: ipv4_src/ipv4_dst are SPA/TPA, arp_op the opcode (low 8 bits
//    only, as in OVS), arp_sha/arp_tha the hardware addresses.
//  - nw_frag holds kFragAny | kFragLater bits (not the ODP enum).
//  - ICMP/ICMPv6 type and code are in tp_src / tp_dst as hton16(value).
//  - tcp_flags: the 12 flag bits of the TCP header, network order.
//  - Geneve options live at the end (geneve_options); bytes past
//    md.tunnel.geneve_length are always zero, so whole-key compares work.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "common/hash.h"
#include "packet/byte_order.h"
#include "packet/headers.h"
#include "packet/packet.h"

namespace flowpath {

inline constexpr uint8_t kFragAny = 1 << 0;
inline constexpr uint8_t kFragLater = 1 << 1;
inline constexpr uint8_t kFragMask = kFragAny | kFragLater;

inline constexpr int kMaxVlanTags = 2;
inline constexpr int kMaxMplsLabels = 3;

// How many VLAN headers a key takes (Open vSwitch's other_config:vlan-limit):
// tags past that many stay in the payload, the next TPID becoming the key's
// EtherType. Open vSwitch's default is 1; 0 means as many as a key holds.
inline constexpr int kDefaultVlanLimit = 1;
// The number of tags a limit parses: 1..kMaxVlanTags.
constexpr int vlan_headers_for_limit(int vlan_limit) {
  return vlan_limit <= 0 || vlan_limit > kMaxVlanTags ? kMaxVlanTags : vlan_limit;
}

struct VlanTag {
  be16 tpid;
  be16 tci;
};

struct alignas(8) FlowKey {
  // ---- metadata (copied from the packet): bytes [0, 168)
  PacketMetadata md;

  // ---- L2: [168, 208)
  EthAddr eth_src;
  EthAddr eth_dst;
  be16 eth_type;
  uint16_t pad_l2;
  VlanTag vlans[kMaxVlanTags];
  be32 mpls_lse[kMaxMplsLabels];
  uint32_t pad_mpls;

  // ---- L3: [208, 272)
  be32 ipv4_src;  // also ARP SPA
  be32 ipv4_dst;  // also ARP TPA
  uint8_t ipv6_src[16];
  uint8_t ipv6_dst[16];
  be32 ipv6_label;  // 20 low bits
  uint8_t nw_proto;
  uint8_t nw_tos;   // DSCP and ECN
  uint8_t nw_ttl;
  uint8_t nw_frag;  // kFragAny | kFragLater
  EthAddr arp_sha;
  EthAddr arp_tha;
  be16 arp_op;
  uint16_t pad_l3;

  // ---- L4 and ND: [272, 312)
  be16 tp_src;
  be16 tp_dst;
  be16 tcp_flags;
  uint8_t nd_options_type;
  uint8_t pad_l4;
  uint8_t nd_target[16];
  EthAddr nd_sll;
  EthAddr nd_tll;
  be32 nd_reserved;

  // ---- NSH: [312, 336)
  uint8_t nsh_flags;
  uint8_t nsh_ttl;
  uint8_t nsh_mdtype;
  uint8_t nsh_np;
  be32 nsh_path_hdr;  // SPI << 8 | SI
  be32 nsh_context[4];

  // ---- Geneve options: [336, 592)
  uint8_t geneve_options[kGeneveMaxLength];
  uint32_t pad_tail;

  static constexpr size_t kWords = 592 / 8;
  // Words [0, kFixedWords) hold everything but the Geneve options.
  static constexpr size_t kFixedWords = 336 / 8;
  // The index of the word holding byte `offset` (use with offsetof).
  static constexpr size_t word_of(size_t offset) { return offset / 8; }

  const uint64_t* words() const { return reinterpret_cast<const uint64_t*>(this); }
  uint64_t* words() { return reinterpret_cast<uint64_t*>(this); }

  void clear() { std::memset(static_cast<void*>(this), 0, sizeof *this); }
  friend bool operator==(const FlowKey& a, const FlowKey& b) {
    return std::memcmp(&a, &b, sizeof a) == 0;
  }
};
static_assert(sizeof(FlowKey) == 592);
static_assert(offsetof(FlowKey, eth_src) == 168);
static_assert(offsetof(FlowKey, ipv4_src) == 208);
static_assert(offsetof(FlowKey, tp_src) == 272);
static_assert(offsetof(FlowKey, nsh_flags) == 312);
static_assert(offsetof(FlowKey, geneve_options) == 336);

// A mask over FlowKey: 1-bits are significant.
struct FlowMask {
  FlowKey bits;

  static FlowMask exact() {
    FlowMask m;
    std::memset(static_cast<void*>(&m.bits), 0xff, sizeof m.bits);
    return m;
  }
  static FlowMask wildcard_all() {
    FlowMask m;
    m.bits.clear();
    return m;
  }
  friend bool operator==(const FlowMask& a, const FlowMask& b) { return a.bits == b.bits; }

  // Bitmap of the 64-bit words of the key that have any mask bit set.
  // Bit i is word i; FlowKey::kWords <= 128 so two 64-bit halves suffice.
  struct WordMap {
    uint64_t lo = 0, hi = 0;
  };
  WordMap word_map() const;
};

// A megaflow: key and mask, kept normalised (key & mask == key).
struct Match {
  FlowKey key;
  FlowMask mask;

  void normalize();
  friend bool operator==(const Match& a, const Match& b) {
    return a.key == b.key && a.mask == b.mask;
  }
};

// Does `key` match `match` (key & mask == match.key)?
bool match_equal(const Match& match, const FlowKey& key);
// Masked compare of two keys.
bool equal_masked(const FlowKey& a, const FlowKey& b, const FlowMask& mask);
// Hash of key & mask; equal masked keys hash equally.
uint32_t hash_masked(const FlowKey& key, const FlowMask& mask, uint32_t basis);
// Hash of a whole key.
uint32_t hash_key(const FlowKey& key, uint32_t basis);
// out = key & mask.
void apply_mask(const FlowKey& key, const FlowMask& mask, FlowKey* out);

// The mask that a key extracted from a packet implies: every field the parser
// found (and would have to compare to keep the packet's identity) and nothing
// else, e.g. no L4 ports for a later fragment, no ND fields for an echo
// request. Metadata fields are included; the tunnel only when present.
FlowMask minimal_mask(const FlowKey& key);

}  // namespace flowpath
