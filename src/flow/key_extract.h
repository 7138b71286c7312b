// Flow key extraction: parses a packet's headers (setting its layer offsets)
// and fills a FlowKey from the headers plus the packet's metadata. Never
// fails and never drops: malformed or truncated headers give the "empty"
// fields Open vSwitch's datapath gives (see flow_key.h for the conventions).
#pragma once

#include "flow/flow_key.h"
#include "packet/packet.h"
#include "packet/packet_batch.h"

namespace flowpath {

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
