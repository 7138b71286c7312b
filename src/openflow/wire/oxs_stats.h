// OpenFlow 1.5's OXS statistics (ofp_stats: a length, then TLVs for
// duration, idle time, packet, byte and flow counts), which flow-removed
// messages and flow and aggregate statistics carry in 1.5.
#pragma once

#include "openflow/wire/ofp_buffer.h"

namespace flowpath::openflow::wire {

// All-ones: not present.
struct OxsStats {
  uint32_t duration_sec = ~0u;
  uint32_t duration_nsec = ~0u;
  uint32_t idle_age = ~0u;  // seconds
  uint64_t packet_count = ~0ull;
  uint64_t byte_count = ~0ull;
  uint32_t flow_count = ~0u;
};

// Reads a padded ofp_stats; unknown statistics are skipped.
WireResult<OxsStats> pull_oxs_stats(WireReader& r);
void put_oxs_stats(WireWriter& w, const OxsStats& stats);

}  // namespace flowpath::openflow::wire
