// OFPT_PACKET_OUT: a packet (or a buffered one, which flowpath never has) and
// the actions to run it through. OpenFlow 1.0 and 1.1-1.4 name the input
// port; 1.5 carries it and other pipeline fields as an OXM match.
#pragma once

#include <vector>

#include "openflow/of_action.h"
#include "openflow/wire/flow_mod.h"

namespace flowpath::openflow::wire {

struct PacketOut {
  uint32_t buffer_id = kNoBuffer;
  uint32_t in_port = kOfppController;  // OpenFlow port (LOCAL, CONTROLLER and ANY allowed)
  OfMatch metadata;                    // OpenFlow 1.5: other pipeline fields (packet_type too)
  std::vector<OfAction> actions;
  Bytes packet;                        // empty when buffer_id names a buffer
};

// Checks the input port (OFPBRC_BAD_PORT), the actions, and that a 1.5
// match holds pipeline fields only (OFPBRC_PIPELINE_FIELDS_ONLY).
WireResult<PacketOut> decode_packet_out(const OfpMessage& msg);
Bytes encode_packet_out(const PacketOut& po, uint8_t version, uint32_t xid);

}  // namespace flowpath::openflow::wire
