// Group statistics and group features (multipart): per-group and per-bucket
// packet and byte counts (OpenFlow 1.3+ with duration; NXST_GROUP brings
// them to OpenFlow 1.0), and the switch's group capabilities.
#pragma once

#include <vector>

#include "openflow/wire/multipart.h"

namespace flowpath::openflow::wire {

// kGroupAll (group_buckets.h) asks for every group.
Bytes encode_group_stats_request(uint32_t group_id, uint8_t version, uint32_t xid);
WireResult<uint32_t> decode_group_stats_request(const OfpMessage& msg);

struct BucketCounter {
  uint64_t packet_count = 0, byte_count = 0;
  friend bool operator==(const BucketCounter&, const BucketCounter&) = default;
};
struct GroupStats {
  uint32_t group_id = 0;
  uint32_t ref_count = 0;
  uint64_t packet_count = 0, byte_count = 0;
  uint32_t duration_sec = ~0u, duration_nsec = ~0u;
  std::vector<BucketCounter> buckets;
  friend bool operator==(const GroupStats&, const GroupStats&) = default;
};
std::vector<Bytes> encode_group_stats_reply(const std::vector<GroupStats>& groups,
                                            uint8_t version, uint32_t xid);
WireResult<std::vector<GroupStats>> decode_group_stats_reply(const OfpMessage& msg);

struct GroupFeatures {
  uint32_t types = 0;         // bit N: group type N
  uint32_t capabilities = 0;  // OFPGFC_*: 1 select weight, 2 select liveness, 4 chaining, 8 chaining checks
  uint32_t max_groups[4] = {};
  uint32_t actions[4] = {};   // per type, bit N: action type N of the version
  friend bool operator==(const GroupFeatures&, const GroupFeatures&) = default;
};
Bytes encode_group_features_request(uint8_t version, uint32_t xid);
Bytes encode_group_features_reply(const GroupFeatures& f, uint8_t version, uint32_t xid);
WireResult<GroupFeatures> decode_group_features_reply(const OfpMessage& msg);

}  // namespace flowpath::openflow::wire
