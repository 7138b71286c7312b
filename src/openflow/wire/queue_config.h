// Queue configuration: OFPT_QUEUE_GET_CONFIG_REQUEST/REPLY (OpenFlow
// 1.0-1.3: every queue of a port with its min/max rate properties) and
// OpenFlow 1.4's OFPMP_QUEUE_DESC (a port's queues, or one queue).
#pragma once

#include <vector>

#include "openflow/wire/multipart.h"
#include "openflow/wire/queue_stats.h"

namespace flowpath::openflow::wire {

struct QueueConfigRequest {
  uint32_t port_no = 0xffffffff;  // OFPP_ANY: every port (1.1+)
  uint32_t queue_id = kQueueAll;  // 1.4+; earlier versions ask for all
  friend bool operator==(const QueueConfigRequest&, const QueueConfigRequest&) = default;
};

inline constexpr uint16_t kNoQueueRate = 0xffff;
struct QueueConfig {
  uint32_t port_no = 0;
  uint32_t queue_id = 0;
  uint16_t min_rate = kNoQueueRate;  // tenths of a percent of the port's speed
  uint16_t max_rate = kNoQueueRate;  // OpenFlow 1.2+
  friend bool operator==(const QueueConfig&, const QueueConfig&) = default;
};

Bytes encode_queue_config_request(const QueueConfigRequest& request, uint8_t version,
                                  uint32_t xid);
// OFPQOFC_BAD_PORT for a port that is not an ordinary one (OFPP_ANY allowed
// from 1.1), OFPBRC_BAD_PORT for one that is no port at all.
WireResult<QueueConfigRequest> decode_queue_config_request(const OfpMessage& msg);

// Before 1.4 a reply covers one port: every queue must have `port_no`.
std::vector<Bytes> encode_queue_config_reply(uint32_t port_no,
                                             const std::vector<QueueConfig>& queues,
                                             uint8_t version, uint32_t xid);
WireResult<std::vector<QueueConfig>> decode_queue_config_reply(const OfpMessage& msg);

}  // namespace flowpath::openflow::wire
