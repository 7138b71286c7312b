// Meters (OpenFlow 1.3+): OFPT_METER_MOD and the meter statistics,
// configuration and features multipart messages.
#pragma once

#include <vector>

#include "openflow/of_group.h"
#include "openflow/wire/multipart.h"

namespace flowpath::openflow::wire {

inline constexpr uint32_t kMeterMax = 0xffff0000;         // OFPM13_MAX
inline constexpr uint32_t kMeterSlowpath = 0xfffffffd;    // OFPM13_SLOWPATH
inline constexpr uint32_t kMeterController = 0xfffffffe;  // OFPM13_CONTROLLER
inline constexpr uint32_t kMeterAll = 0xffffffff;         // OFPM13_ALL

enum class MeterModCommand : uint16_t { kAdd = 0, kModify = 1, kDelete = 2 };

struct MeterMod {
  MeterModCommand command = MeterModCommand::kAdd;
  MeterSpec meter;  // a delete carries only the id
};

// OFPMMFC_BAD_COMMAND, OFPMMFC_BAD_FLAGS (kbps and pktps together),
// OFPMMFC_BAD_BAND for band types other than drop and dscp_remark,
// OFPBRC_BAD_LEN for bands of the wrong size.
WireResult<MeterMod> decode_meter_mod(const OfpMessage& msg);
Bytes encode_meter_mod(const MeterMod& mm, uint8_t version, uint32_t xid);

// Meter statistics and configuration requests name a meter (kMeterAll: every
// meter).
enum class MeterRequestKind : uint8_t { kStats, kConfig, kFeatures };
Bytes encode_meter_request(MeterRequestKind kind, uint32_t meter_id, uint8_t version,
                           uint32_t xid);
WireResult<uint32_t> decode_meter_request(const OfpMessage& msg);  // stats or config

struct MeterBandStats {
  uint64_t packet_count = 0;
  uint64_t byte_count = 0;
  friend bool operator==(const MeterBandStats&, const MeterBandStats&) = default;
};
struct MeterStats {
  uint32_t meter_id = 0;
  uint32_t flow_count = 0;
  uint64_t packet_in_count = 0;
  uint64_t byte_in_count = 0;
  uint32_t duration_sec = 0;
  uint32_t duration_nsec = 0;
  std::vector<MeterBandStats> bands;
  friend bool operator==(const MeterStats&, const MeterStats&) = default;
};
std::vector<Bytes> encode_meter_stats_reply(const std::vector<MeterStats>& stats,
                                            uint8_t version, uint32_t xid);
WireResult<std::vector<MeterStats>> decode_meter_stats_reply(const OfpMessage& msg);

std::vector<Bytes> encode_meter_config_reply(const std::vector<MeterSpec>& meters,
                                             uint8_t version, uint32_t xid);
WireResult<std::vector<MeterSpec>> decode_meter_config_reply(const OfpMessage& msg);

struct MeterFeatures {
  uint32_t max_meters = 0;
  uint32_t band_types = 0;    // bit N: band type N (1 drop, 2 dscp_remark)
  uint32_t capabilities = 0;  // meter flags: 1 kbps, 2 pktps, 4 burst, 8 stats
  uint8_t max_bands = 0;
  uint8_t max_color = 0;
  friend bool operator==(const MeterFeatures&, const MeterFeatures&) = default;
};
Bytes encode_meter_features_reply(const MeterFeatures& f, uint8_t version, uint32_t xid);
WireResult<MeterFeatures> decode_meter_features_reply(const OfpMessage& msg);

}  // namespace flowpath::openflow::wire
