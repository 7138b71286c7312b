// Table statistics (OpenFlow 1.0 ovs-ofctl asks for them before any flow
// mod, for table names), table features (the same for OpenFlow 1.3+) and
// table descriptions (ovs-ofctl mod-table asks first): what every one of
// the bridge's tables holds and supports.
#include "ofproto/openflow_handler_internal.h"
#include "openflow/nxm_field.h"
#include "openflow/wire/error_message.h"
#include "openflow/wire/table_desc.h"
#include "openflow/wire/table_features.h"
#include "openflow/wire/table_stats.h"

namespace flowpath::ofproto {

using wire::Bytes;
using wire::OfpMessage;

namespace {

// Instructions: goto_table, write_metadata, write_actions, apply_actions,
// clear_actions, meter.
constexpr uint32_t kInstructions = 0x7e;

// OpenFlow 1.0 wildcards every table supports: all of them.
constexpr uint32_t kOfp10AllWildcards = 0x3fffff;

}  // namespace

std::vector<Bytes> handle_table_stats(Ofproto& ofproto, const std::string& bridge,
                                      const OfpMessage& msg, const Bytes& message) {
  auto counts = ofproto.table_counts(bridge);
  if (!counts.ok())
    return {wire::encode_error_reply(wire::OfpErrorCode::OFPBRC_EPERM, message)};
  std::vector<wire::TableStats> tables;
  for (int t = 0; t <= kMaxTableId - 1; ++t) {
    const TableCounts& c = (*counts)[static_cast<size_t>(t)];
    wire::TableStats s;
    s.table_id = static_cast<uint8_t>(t);
    s.name = "table" + std::to_string(t);
    s.wildcards = kOfp10AllWildcards;
    s.max_entries = 1000000;
    s.active_count = c.rules;
    s.lookup_count = c.lookups;
    s.matched_count = c.matched;
    tables.push_back(std::move(s));
  }
  return wire::encode_table_stats_reply(tables, msg.version, msg.xid);
}

std::vector<Bytes> handle_table_features(const OfpMessage& msg, const Bytes& message) {
  if (!msg.body.empty())  // a request with a body asks to change the tables
    return {wire::encode_error_reply(wire::OfpErrorCode::OFPTFFC_EPERM, message)};
  std::vector<wire::TableFeatureField> match, wildcards, setfield;
  for (const NxmField& f : all_nxm_fields()) {
    if (!f.field || nxm_field_for(*f.field, msg.version) != &f) continue;
    match.push_back(wire::TableFeatureField{&f, f.field->maskable, 0});
    if (f.field->maskable) wildcards.push_back(wire::TableFeatureField{&f, false, 0});
    if (f.field->writable) setfield.push_back(wire::TableFeatureField{&f, false, 0});
  }
  std::vector<wire::TableFeatures> tables;
  for (int t = 0; t <= kMaxTableId - 1; ++t) {
    wire::TableFeatures tf;
    tf.table_id = static_cast<uint8_t>(t);
    tf.name = "table" + std::to_string(t);
    tf.metadata_match = ~uint64_t{0};
    tf.metadata_write = ~uint64_t{0};
    tf.max_entries = 1000000;
    tf.any_properties = true;
    tf.flows.instructions = t == kMaxTableId - 1 ? kInstructions & ~(1u << 1) : kInstructions;
    for (int next = t + 1; next <= kMaxTableId - 1; ++next)
      tf.flows.next_tables.push_back(static_cast<uint8_t>(next));
    tf.flows.write_actions = kActionTypes;
    tf.flows.apply_actions = kActionTypes;
    tf.flows.write_setfield = setfield;
    tf.flows.apply_setfield = setfield;
    tf.miss = tf.flows;
    tf.match = match;
    tf.wildcards = wildcards;
    tables.push_back(std::move(tf));
  }
  return wire::encode_table_features(tables, false, msg.version, msg.xid);
}

std::vector<Bytes> handle_table_desc(const OfpMessage& msg) {
  // No table evicts rules or sends vacancy events (table mods may not ask
  // them to): every table's configuration is empty, with no properties.
  std::vector<wire::TableDesc> tables;
  for (int t = 0; t <= kMaxTableId - 1; ++t) {
    wire::TableDesc d;
    d.table_id = static_cast<uint8_t>(t);
    tables.push_back(d);
  }
  return wire::encode_table_desc_reply(tables, msg.version, msg.xid);
}

}  // namespace flowpath::ofproto
