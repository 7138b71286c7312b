// Flow key extraction: parses a packet's headers (setting its layer offsets)
// and fills a FlowKey from the headers plus the packet's metadata. Never
// fails and never drops: malformed or truncated headers give the "empty"
// fields Open vSwitch's datapath gives (see flow_key.h for the conventions).
#pragma once

#include "flow/flow_key.h"
#include "packet/packet.h"
#include "packet/packet_batch.h"

namespace flowpath {

// How many VLAN headers a key takes (Open vSwitch's other_config:vlan-limit):
// tags past that many stay in the payload, the next TPID becoming the key's
// EtherType. Open vSwitch's default is 1; 0 means as many as a key holds.
inline constexpr int kDefaultVlanLimit = 1;
// The number of tags a limit parses: 1..kMaxVlanTags.
constexpr int vlan_headers_for_limit(int vlan_limit) {
  return vlan_limit <= 0 || vlan_limit > kMaxVlanTags ? kMaxVlanTags : vlan_limit;
}

// Extracts the key of one packet, taking up to `max_vlan_headers` VLAN tags
// (1..kMaxVlanTags; a datapath passes vlan_headers_for_limit of its limit).
// Overwrites every byte of *key.
void extract_key(Packet& packet, FlowKey* key, int max_vlan_headers = kMaxVlanTags);

// Extracts keys[i] for batch[i], i < batch.size(). Overwrites every byte of
// each key, which must start as a valid key (cleared, or from an earlier
// extraction): the Geneve option bytes past its old md.tunnel.geneve_length
// are zero by FlowKey's invariant, so only those the old length covered are
// cleared. Reusing one array of keys for every batch keeps this cheap.
void extract_keys(const PacketBatch& batch, FlowKey* keys, int max_vlan_headers);

}  // namespace flowpath
