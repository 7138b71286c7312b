// Which asynchronous messages a controller receives, per message type and
// role: NXT_SET_ASYNC_CONFIG and OpenFlow 1.3's OFPT_SET_ASYNC /
// OFPT_GET_ASYNC_REPLY (fixed masks for packet-in, port-status and
// flow-removed), and OpenFlow 1.4's properties (also NXT_SET_ASYNC_CONFIG2)
// that add role-status, table-status and requestforward and may set only
// some of the masks.
#pragma once

#include "openflow/wire/ofp_header.h"

namespace flowpath::openflow::wire {

enum class AsyncMessage : uint8_t {
  kPacketIn, kPortStatus, kFlowRemoved, kRoleStatus, kTableStatus, kRequestForward,
};
inline constexpr int kAsyncMessages = 6;

struct AsyncConfig {
  // Bit N: send the message for reason N (packet-in: 0 no match, 1 action,
  // 2 invalid ttl, 3 action set, 4 group, 5 packet-out; ...).
  uint32_t primary[kAsyncMessages] = {};    // to primary and equal controllers
  uint32_t secondary[kAsyncMessages] = {};  // to secondary controllers
  // Which masks the message set (bit 2*type for secondary, 2*type+1 for
  // primary, as OpenFlow 1.4 numbers its properties); the fixed forms set
  // the first six.
  uint32_t present = 0;
  friend bool operator==(const AsyncConfig&, const AsyncConfig&) = default;
};

// The reasons `version` can express for a message type.
uint32_t async_reasons_allowed(AsyncMessage type, uint8_t version);

// Set-async or get-async reply in any form. Reasons a version does not define
// are dropped from the fixed forms; in properties they are OFPACFC_INVALID
// unless `loose`, and unknown properties OFPACFC_UNSUPPORTED unless `loose`.
WireResult<AsyncConfig> decode_async_config(const OfpMessage& msg, bool loose);
// Set-async: NXT_SET_ASYNC_CONFIG (1.0), OFPT13_SET_ASYNC (1.3; or
// NXT_SET_ASYNC_CONFIG2 when a mask beyond the first three message types is
// present), OFPT14_SET_ASYNC (1.4+, the present masks as properties).
Bytes encode_set_async_config(const AsyncConfig& config, uint8_t version, uint32_t xid);
Bytes encode_get_async_request(uint8_t version, uint32_t xid);
// The reply to a get-async request: every mask.
Bytes encode_get_async_reply(const AsyncConfig& config, uint8_t version, uint32_t xid);

}  // namespace flowpath::openflow::wire
