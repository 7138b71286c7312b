// OFPT_BARRIER_REQUEST / OFPT_BARRIER_REPLY (types 18/19 in OpenFlow 1.0,
// 20/21 later): no body; the reply says every earlier message is done.
#pragma once

#include "openflow/wire/ofp_header.h"

namespace flowpath::openflow::wire {

Bytes encode_barrier_request(uint8_t version, uint32_t xid);
Bytes encode_barrier_reply(uint8_t version, uint32_t xid);

// Messages without a body: features, get-config, port-desc (before 1.5),
// desc, table, group-features, meter-features, table-desc requests, TLV table
// request, flow monitor paused/resumed... The raw is chosen for `version`;
// nullopt when `type` has no bodiless form in that version.
std::optional<Bytes> encode_empty_message(OfpType type, uint8_t version, uint32_t xid);

}  // namespace flowpath::openflow::wire
