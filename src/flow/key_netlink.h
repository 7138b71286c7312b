// The Netlink form of flow keys and masks (OVS_KEY_ATTR_*), converted to and
// from FlowKey / FlowMask with the rules of the Open vSwitch datapath:
// which attributes a key carries, the nested VLAN "encap", the nested tunnel
// attributes, and the fitness of a key that says more or less than expected.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "common/result.h"
#include "flow/flow_key.h"
#include "common/netlink.h"

namespace flowpath {

// How well a Netlink key matched what the datapath expects for that packet
// (Open vSwitch's "odp_key_fitness").
enum class KeyFitness {
  kPerfect,    // exactly the attributes expected
  kTooMuch,    // more attributes than expected (e.g. unknown ones): usable,
               // but the flow may match less than its creator meant
  kTooLittle,  // attributes missing that the packet's headers imply
};
const char* to_string(KeyFitness f);

struct DecodedKey {
  FlowKey key;
  KeyFitness fitness = KeyFitness::kPerfect;
  std::string detail;  // for kTooMuch/kTooLittle: which attribute and why
};

// Appends the attributes of `key` (the form an upcall carries and
// dump-flows prints): metadata, then the packet's headers from the outside
// in, stopping where the packet's headers stop. With the megaflow's `mask`,
// optional attributes whose value is zero (tcp_flags) are still written when
// the mask covers them, so key and mask attributes pair up. Up to
// `max_vlan_headers` tags (the datapath's vlan-limit, as decode_key) are
// written; a TPID past them is the key's last attribute.
void encode_key(const FlowKey& key, NetlinkWriter& out, const FlowMask* mask = nullptr,
                int max_vlan_headers = kMaxVlanTags);

// Appends the mask attributes for a megaflow: `key` decides which attributes
// exist (as for encode_key) and `mask` gives their payloads.
void encode_mask(const FlowMask& mask, const FlowKey& key, NetlinkWriter& out,
                 int max_vlan_headers = kMaxVlanTags);

// Parses a key. Errors (malformed lengths, bad nesting, duplicate attributes,
// values no packet could produce) name the attribute and the problem.
// `max_vlan_headers` is the datapath's vlan-limit as a count of tags
// (vlan_headers_for_limit): a key goes no deeper, as keys extracted under
// that limit do; one with a tag past it fits "too much".
Result<DecodedKey> decode_key(std::span<const uint8_t> attrs,
                              int max_vlan_headers = kMaxVlanTags);

// Parses a mask for `key`. An empty span means "exact match on the key's
// attributes". Attributes absent from a non-empty mask are wildcarded.
Result<FlowMask> decode_mask(std::span<const uint8_t> attrs, const FlowKey& key);

}  // namespace flowpath
