// Table features (OpenFlow 1.3+ multipart): per table, its name, metadata
// bits, capacity and properties saying which instructions, next tables,
// actions, set-field fields, match fields and wildcards it supports, for
// ordinary flows and for the table-miss flow. A request with a body asks the
// switch to change its tables (Open vSwitch refuses most changes).
#pragma once

#include <string>
#include <vector>

#include "openflow/nxm_field.h"
#include "openflow/wire/multipart.h"

namespace flowpath::openflow::wire {

struct TableFeatureField {
  const NxmField* field = nullptr;  // nullptr: a field flowpath does not know (replies)
  bool masked = false;              // match property: arbitrary masks allowed
  // The header as the wire gave it (4 bytes, or 8 for experimenter fields),
  // so what a switch announces is passed on unchanged; 0 for fields built
  // from `field`.
  uint64_t raw_header = 0;
  friend bool operator==(const TableFeatureField&, const TableFeatureField&) = default;
};

// What a table supports for ordinary flows or its table-miss flow.
struct TableFlowFeatures {
  uint32_t instructions = 0;        // bit N: instruction type N (1 goto_table ... 6 meter)
  std::vector<uint8_t> next_tables;  // tables goto_table may name
  uint32_t write_actions = 0;       // bit N: action type N of the message's version
  uint32_t apply_actions = 0;
  std::vector<TableFeatureField> write_setfield, apply_setfield;
  friend bool operator==(const TableFlowFeatures&, const TableFlowFeatures&) = default;
};

struct TableFeatures {
  uint8_t table_id = 0;
  uint8_t command = 0;  // OpenFlow 1.5: 0 replace, 1 modify, 2 enable, 3 disable
  std::string name;     // up to 31 bytes
  uint64_t metadata_match = 0, metadata_write = 0;
  uint32_t capabilities = 0;  // 1.4+: kTableConfigEviction, kTableConfigVacancyEvents
  uint32_t max_entries = 0;
  // Without properties (allowed in OpenFlow 1.5 requests) the rest is unset.
  bool any_properties = false;
  TableFlowFeatures flows, miss;  // miss defaults to `flows` when not given
  std::vector<TableFeatureField> match, wildcards;
  friend bool operator==(const TableFeatures&, const TableFeatures&) = default;
};

// A request without body asks for every table's features.
Bytes encode_table_features_request(uint8_t version, uint32_t xid);
// Request bodies (read strictly: unknown properties, instructions and fields
// are errors) or replies (read loosely, as a controller would); either way
// every length is checked (OFPBPC_BAD_LEN, OFPTFFC_BAD_FEATURES for repeated
// or missing required properties, OFPTFFC_BAD_TABLE for table 0xff).
WireResult<std::vector<TableFeatures>> decode_table_features(const OfpMessage& msg);
// Properties in Open vSwitch's order; `request`: a table-features request
// with a body, else a reply.
std::vector<Bytes> encode_table_features(const std::vector<TableFeatures>& tables, bool request,
                                         uint8_t version, uint32_t xid);

}  // namespace flowpath::openflow::wire
