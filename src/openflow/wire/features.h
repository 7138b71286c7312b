// OFPT_FEATURES_REQUEST/REPLY: the switch's datapath id, buffers, tables,
// capabilities, and in OpenFlow 1.0 its ports (1.3+ moved them to port-desc
// multipart replies).
#pragma once

#include <vector>

#include "openflow/wire/ofp_header.h"
#include "openflow/wire/port_desc.h"

namespace flowpath::openflow::wire {

// Capabilities in one form for every version (bit 3 is STP in OpenFlow 1.0,
// group statistics later; here they have their own bits).
namespace capability {
inline constexpr uint32_t kFlowStats = 1 << 0;
inline constexpr uint32_t kTableStats = 1 << 1;
inline constexpr uint32_t kPortStats = 1 << 2;
inline constexpr uint32_t kStp = 1 << 3;          // 1.0 only
inline constexpr uint32_t kGroupStats = 1 << 4;   // 1.1+
inline constexpr uint32_t kIpReasm = 1 << 5;
inline constexpr uint32_t kQueueStats = 1 << 6;
inline constexpr uint32_t kArpMatchIp = 1 << 7;   // 1.0-1.1
inline constexpr uint32_t kPortBlocked = 1 << 8;  // 1.2+
inline constexpr uint32_t kBundles = 1 << 9;      // 1.4+
inline constexpr uint32_t kFlowMonitoring = 1 << 10;  // 1.4+
}  // namespace capability

struct FeaturesReply {
  uint64_t datapath_id = 0;
  uint32_t n_buffers = 0;
  uint8_t n_tables = 0;
  uint8_t auxiliary_id = 0;      // 1.3+
  uint32_t capabilities = 0;     // capability::*
  uint32_t ofp10_actions = 0;    // 1.0: supported action types (bit N = OFPAT10 type N)
  std::vector<PortDesc> ports;   // 1.0 only
};

Bytes encode_features_request(uint8_t version, uint32_t xid);
WireResult<FeaturesReply> decode_features_reply(const OfpMessage& msg);
Bytes encode_features_reply(const FeaturesReply& f, uint8_t version, uint32_t xid);

}  // namespace flowpath::openflow::wire
