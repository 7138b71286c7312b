// How the rule classifier cuts an OfFlow: the stages of a staged lookup and
// the fields it keeps prefix tries for.
//
// Staged lookup (as Open vSwitch's classifier does it): a subtable checks a
// flow stage by stage — metadata (ports, registers, tunnel), then L2, L3 and
// L4 — and when no rule of the subtable agrees with the flow on the stages so
// far it stops there, so only the bits of those stages go into the megaflow
// and a miss on, say, an IP address leaves the transport ports wildcarded.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "openflow/of_flow.h"

namespace flowpath::ofproto::classifier {

using openflow::OfFlow;

enum class Stage : uint8_t { kMetadata, kL2, kL3, kL4 };
inline constexpr size_t kStages = 4;

// The stage of word `word` of an OfFlow: FlowKey metadata, Geneve options and
// the pipeline fields (OpenFlow metadata, registers) are metadata; Ethernet,
// VLAN and MPLS are L2; IP, ARP and NSH are L3; ports, TCP flags and ND L4.
Stage stage_of_word(size_t word);

// A field the classifier keeps a prefix trie for. A rule that matches a CIDR
// prefix of it (nw_dst=10.0.0.0/8) has the prefix recorded in its table's
// trie; a flow whose address starts with none of a subtable's prefixes is
// told apart from that subtable by the few leading bits where it leaves the
// trie, instead of the whole address.
struct PrefixField {
  const char* name;    // as ovs-ofctl names it
  uint16_t offset;     // in OfFlow, bytes (network byte order)
  uint8_t bytes;       // 4 or 16
  uint16_t eth_type;   // a flow must have this EtherType (host order) to use the trie
};

// nw_dst, nw_src, ipv6_dst, ipv6_src (Open vSwitch tracks the first two by default).
inline constexpr size_t kPrefixFields = 4;
const std::array<PrefixField, kPrefixFields>& prefix_fields();

// Is byte `offset` of an OfFlow part of a protocol field (EtherType, VLAN
// TPID, IP protocol, fragment flags)? Most rules of a subtable share those,
// so a subtable's trie of whole values keys on them last: a flow then leaves
// it in an address or port, and the proof of a miss leaves them wildcarded.
bool is_protocol_byte(size_t offset);

// The field of an OfFlow that byte `offset` belongs to (bytes of no named
// field are a field each).
struct FieldSpan {
  uint16_t offset;
  uint8_t bytes;
};
FieldSpan field_at(size_t offset);

// The length of the CIDR prefix `mask` has on `field`: 0 when the mask has
// no bit there or is not a prefix (10.0.0.0/255.0.255.0).
unsigned prefix_length(const OfFlow& mask, const PrefixField& field);

}  // namespace flowpath::ofproto::classifier
