// Queue statistics: requests (a port or every port, a queue or every queue)
// and replies of OpenFlow 1.0, 1.3 (with duration) and 1.4+ (length-prefixed
// entries with properties, none defined).
#pragma once

#include <vector>

#include "openflow/wire/multipart.h"

namespace flowpath::openflow::wire {

inline constexpr uint32_t kQueueAll = 0xffffffff;  // OFPQ_ALL

struct QueueStatsRequest {
  uint32_t port_no = 0xffffffff;  // OFPP_ANY: every port
  uint32_t queue_id = kQueueAll;
  friend bool operator==(const QueueStatsRequest&, const QueueStatsRequest&) = default;
};

// All-ones: not known.
struct QueueStats {
  uint32_t port_no = 0;
  uint32_t queue_id = 0;
  uint64_t tx_bytes = ~0ull, tx_packets = ~0ull, tx_errors = ~0ull;
  uint32_t duration_sec = ~0u, duration_nsec = ~0u;  // OpenFlow 1.3+
  friend bool operator==(const QueueStats&, const QueueStats&) = default;
};

// OpenFlow 1.0 says "every port" with OFPP_ALL; the request reads back as
// OFPP_ANY.
Bytes encode_queue_stats_request(const QueueStatsRequest& request, uint8_t version, uint32_t xid);
WireResult<QueueStatsRequest> decode_queue_stats_request(const OfpMessage& msg);

std::vector<Bytes> encode_queue_stats_reply(const std::vector<QueueStats>& queues,
                                            uint8_t version, uint32_t xid);
WireResult<std::vector<QueueStats>> decode_queue_stats_reply(const OfpMessage& msg);

}  // namespace flowpath::openflow::wire
