// Flow-removed notifications: OFPT_FLOW_REMOVED of OpenFlow 1.0 (ofp_match),
// 1.1-1.4 (OXM), 1.5 (OXM and OXS statistics) and Nicira's
// NXT_FLOW_REMOVED (NXM).
#pragma once

#include "openflow/of_flow.h"
#include "openflow/wire/flow_mod.h"

namespace flowpath::openflow::wire {

namespace flow_removed_reason {
inline constexpr uint8_t kIdleTimeout = 0;
inline constexpr uint8_t kHardTimeout = 1;
inline constexpr uint8_t kDelete = 2;
inline constexpr uint8_t kGroupDelete = 3;
inline constexpr uint8_t kMeterDelete = 4;  // OpenFlow 1.4+; "delete" before
inline constexpr uint8_t kEviction = 5;     // OpenFlow 1.4+
}  // namespace flow_removed_reason

struct FlowRemoved {
  OfMatch match;
  uint16_t priority = 0;
  uint64_t cookie = 0;
  uint8_t reason = flow_removed_reason::kDelete;
  uint8_t table_id = 0xff;  // 0xff: not known (OpenFlow 1.0)
  uint32_t duration_sec = 0, duration_nsec = 0;
  uint16_t idle_timeout = 0, hard_timeout = 0;  // hard_timeout: not in OpenFlow 1.0 or NXM
  uint64_t packet_count = 0, byte_count = 0;
};

WireResult<FlowRemoved> decode_flow_removed(const OfpMessage& msg);
// The protocol picks OFPT_FLOW_REMOVED's form or NXT_FLOW_REMOVED (OpenFlow
// 1.0 with NXM). Fails when OpenFlow 1.0's ofp_match cannot carry the match.
WireResult<Bytes> encode_flow_removed(const FlowRemoved& fr, const Protocol& protocol,
                                      uint32_t xid = 0);

}  // namespace flowpath::openflow::wire
