// Table statistics (OFPST_TABLE / OFPMP_TABLE): per table, active entries,
// lookups and matches; OpenFlow 1.0 adds the table's name, supported
// wildcards and capacity.
#pragma once

#include <string>
#include <vector>

#include "openflow/wire/multipart.h"

namespace flowpath::openflow::wire {

struct TableStats {
  uint8_t table_id = 0;
  std::string name;          // OpenFlow 1.0, up to 31 bytes
  uint32_t wildcards = 0;    // OpenFlow 1.0: OFPFW10_* bits the table supports
  uint32_t max_entries = 0;  // OpenFlow 1.0
  uint32_t active_count = 0;
  uint64_t lookup_count = 0;
  uint64_t matched_count = 0;
  friend bool operator==(const TableStats&, const TableStats&) = default;
};

Bytes encode_table_stats_request(uint8_t version, uint32_t xid);
std::vector<Bytes> encode_table_stats_reply(const std::vector<TableStats>& tables,
                                            uint8_t version, uint32_t xid);
WireResult<std::vector<TableStats>> decode_table_stats_reply(const OfpMessage& msg);

}  // namespace flowpath::openflow::wire
