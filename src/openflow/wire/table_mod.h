// OFPT_TABLE_MOD: a table's configuration (OpenFlow 1.3: a config word no
// flag of which is defined; 1.4+: eviction and vacancy events, with
// eviction-flags and vacancy-threshold properties).
#pragma once

#include <optional>

#include "openflow/wire/ofp_header.h"

namespace flowpath::openflow::wire {

inline constexpr uint32_t kTableConfigEviction = 1 << 2;       // OFPTC14_EVICTION
inline constexpr uint32_t kTableConfigVacancyEvents = 1 << 3;  // OFPTC14_VACANCY_EVENTS

struct TableVacancy {
  uint8_t down = 0;     // percent, <= up
  uint8_t up = 0;       // percent, <= 100
  uint8_t current = 0;  // table descriptions: the vacancy now (zero in table mods)
  friend bool operator==(const TableVacancy&, const TableVacancy&) = default;
};

struct TableMod {
  uint8_t table_id = 0;  // 0xff: every table
  uint32_t config = 0;   // as sent (1.4+: kTableConfig* bits)
  std::optional<uint32_t> eviction_flags;  // 1.4+ OFPTMPT14_EVICTION
  std::optional<TableVacancy> vacancy;     // 1.4+ OFPTMPT14_VACANCY
};

// The properties table mods and table descriptions share (eviction flags,
// vacancy); `table_mod` checks vacancy thresholds as a table mod must have
// them.
WireStatus decode_table_properties(ByteView bytes, bool table_mod,
                                   std::optional<uint32_t>& eviction_flags,
                                   std::optional<TableVacancy>& vacancy);
void encode_table_properties(WireWriter& w, const std::optional<uint32_t>& eviction_flags,
                             const std::optional<TableVacancy>& vacancy);

// OFPBPC_BAD_LEN / BAD_VALUE for malformed vacancy thresholds,
// OFPBRC_BAD_TYPE for unknown properties (as Open vSwitch answers).
WireResult<TableMod> decode_table_mod(const OfpMessage& msg);
// OpenFlow 1.3+ (OFPBRC_BAD_VERSION before).
WireResult<Bytes> encode_table_mod(const TableMod& tm, uint8_t version, uint32_t xid);

}  // namespace flowpath::openflow::wire
