// Table descriptions (OpenFlow 1.4+ OFPMP_TABLE_DESC: each table's
// configuration with its eviction and vacancy properties) and OFPT_TABLE_STATUS
// (a table's vacancy crossed a threshold).
#pragma once

#include <optional>
#include <vector>

#include "openflow/wire/multipart.h"
#include "openflow/wire/table_mod.h"

namespace flowpath::openflow::wire {

struct TableDesc {
  uint8_t table_id = 0;
  uint32_t config = 0;  // kTableConfig* bits
  std::optional<uint32_t> eviction_flags;
  std::optional<TableVacancy> vacancy;
};

Bytes encode_table_desc_request(uint8_t version, uint32_t xid);
std::vector<Bytes> encode_table_desc_reply(const std::vector<TableDesc>& tables, uint8_t version,
                                           uint32_t xid);
WireResult<std::vector<TableDesc>> decode_table_desc_reply(const OfpMessage& msg);

enum class TableStatusReason : uint8_t { kVacancyDown = 3, kVacancyUp = 4 };
struct TableStatus {
  TableStatusReason reason = TableStatusReason::kVacancyDown;
  TableDesc desc;
};
// OFPBPC_BAD_VALUE for reasons other than the vacancy events.
WireResult<TableStatus> decode_table_status(const OfpMessage& msg);
Bytes encode_table_status(const TableStatus& status, uint8_t version);

}  // namespace flowpath::openflow::wire
