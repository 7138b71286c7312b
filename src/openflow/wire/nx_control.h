// Open vSwitch's session-control extensions: NXT_SET_FLOW_FORMAT (ofp_match
// or NXM in OpenFlow 1.0), NXT_FLOW_MOD_TABLE_ID (flow mod commands carry a
// table id), NXT_SET_PACKET_IN_FORMAT (which packet-in form the controller
// wants), NXT_SET_CONTROLLER_ID (the id packet-ins to this controller carry)
// and NXT_FLOW_AGE.
#pragma once

#include "openflow/wire/ofp_header.h"
#include "openflow/wire/packet_in.h"  // PacketInFormat

namespace flowpath::openflow::wire {

enum class FlowFormat : uint32_t { kOpenFlow10 = 0, kNxm = 2 };

// OFPBRC_EPERM for formats Open vSwitch does not define.
WireResult<FlowFormat> decode_set_flow_format(const OfpMessage& msg);
Bytes encode_set_flow_format(FlowFormat format, uint32_t xid);  // OpenFlow 1.0 only

// Whether flow mod commands carry a table id from now on.
WireResult<bool> decode_flow_mod_table_id(const OfpMessage& msg);
Bytes encode_flow_mod_table_id(bool enable, uint8_t version, uint32_t xid);

WireResult<PacketInFormat> decode_set_packet_in_format(const OfpMessage& msg);
Bytes encode_set_packet_in_format(PacketInFormat format, uint8_t version, uint32_t xid);

WireResult<uint16_t> decode_set_controller_id(const OfpMessage& msg);
Bytes encode_set_controller_id(uint16_t id, uint8_t version, uint32_t xid);

}  // namespace flowpath::openflow::wire
