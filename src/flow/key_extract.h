// Flow key extraction: parses a packet's headers (setting its layer offsets)
// and fills a FlowKey from the headers plus the packet's metadata. Never
// fails and never drops: malformed or truncated headers give the "empty"
// fields Open vSwitch's datapath gives (see flow_key.h for the conventions).
#pragma once

#include "flow/flow_key.h"
#include "packet/packet.h"
#include "packet/packet_batch.h"

namespace flowpath {

// Extracts the key of one packet. Overwrites every byte of *key.
void extract_key(Packet& packet, FlowKey* key);

// Extracts keys[i] for batch[i], i < batch.size().
void extract_keys(const PacketBatch& batch, FlowKey* keys);

}  // namespace flowpath
