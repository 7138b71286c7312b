// Table features (see table_features.h).
#include "openflow/wire/table_features.h"

#include "openflow/wire/nxm_entry.h"
#include "openflow/wire/ofp_property.h"

namespace flowpath::openflow::wire {

namespace {

constexpr size_t kTableFeaturesLen = 64;
constexpr size_t kTableNameLen = 32;
enum : uint16_t {
  kInstructions = 0, kInstructionsMiss = 1, kNextTables = 2, kNextTablesMiss = 3,
  kWriteActions = 4, kWriteActionsMiss = 5, kApplyActions = 6, kApplyActionsMiss = 7,
  kMatch = 8, kWildcards = 10, kWriteSetfield = 12, kWriteSetfieldMiss = 13,
  kApplySetfield = 14, kApplySetfieldMiss = 15,
};
constexpr uint32_t kRequired = 1u << kInstructions | 1u << kNextTables | 1u << kWriteActions |
                               1u << kApplyActions | 1u << kMatch | 1u << kWildcards |
                               1u << kWriteSetfield | 1u << kApplySetfield;

// A list of 4-byte-or-longer ids (instruction or action types), unpadded.
WireResult<uint32_t> decode_ids(ByteView body, bool instructions, bool loose) {
  PropertyReader ids(body, instructions ? "table features instruction" : "table features action",
                     1, 0xffff);
  uint32_t bits = 0;
  while (!ids.empty()) {
    WIRE_TRY_ASSIGN(id, ids.next());
    if (id.type == 0xffff) continue;  // experimenter ids are not kept
    const bool known = instructions ? (id.type >= 1 && id.type <= 6) : id.type < 32;
    if (known) bits |= 1u << id.type;
    else if (!loose)
      return wire_error(OfpErrorCode::OFPBIC_UNKNOWN_INST,
                        "table features: instruction type " + std::to_string(id.type) +
                            " is unknown");
  }
  return bits;
}

void put_ids(WireWriter& w, uint16_t type, uint32_t bits) {
  const size_t start = start_property(w, type);
  for (unsigned i = 0; i < 32; ++i)
    if (bits & (1u << i)) {
      w.put_u16(static_cast<uint16_t>(i));
      w.put_u16(4);
    }
  end_property(w, start);
}

// Field headers; `allow_masks` for the match property.
WireResult<std::vector<TableFeatureField>> decode_fields(ByteView body, bool allow_masks,
                                                         bool loose) {
  WireReader r(body, OfpErrorCode::OFPBMC_BAD_LEN, "table features fields");
  std::vector<TableFeatureField> out;
  while (!r.empty()) {
    const size_t header_len =
        r.remaining() >= 4 && get_u16(r.peek()) == kOxmClassExperimenter ? 8 : 4;
    uint64_t raw = 0;
    if (r.remaining() >= header_len)
      raw = header_len == 8 ? get_u64(r.peek()) : get_u32(r.peek());
    bool masked = false;
    auto field = pull_nxm_header(r, NxmContext::kMatch, &masked);
    if (!field.ok()) {
      if (loose && field.error().code == OfpErrorCode::OFPBMC_BAD_FIELD) {
        out.push_back({nullptr, ((raw >> (header_len == 8 ? 40 : 8)) & 1) != 0, raw});
        continue;
      }
      return field.error();
    }
    if (masked && !allow_masks)
      return wire_error(OfpErrorCode::OFPBMC_BAD_MASK,
                        "table features: " + std::string((*field)->name) +
                            " may not be masked here");
    out.push_back({*field, masked, raw});
  }
  return out;
}

void put_fields(WireWriter& w, uint16_t type, const std::vector<TableFeatureField>& fields) {
  const size_t start = start_property(w, type);
  for (const TableFeatureField& f : fields) {
    if (f.raw_header > 0xffffffffu) w.put_u64(f.raw_header);
    else if (f.raw_header) w.put_u32(static_cast<uint32_t>(f.raw_header));
    else if (f.field) put_nxm_header(w, *f.field, f.masked);
  }
  end_property(w, start);
}

void put_flow_features(WireWriter& w, const TableFlowFeatures& f, uint16_t miss) {
  put_ids(w, static_cast<uint16_t>(kInstructions + miss), f.instructions);
  const size_t start = start_property(w, static_cast<uint16_t>(kNextTables + miss));
  for (uint8_t t : f.next_tables) w.put_u8(t);
  end_property(w, start);
  put_ids(w, static_cast<uint16_t>(kWriteActions + miss), f.write_actions);
  put_fields(w, static_cast<uint16_t>(kWriteSetfield + miss), f.write_setfield);
  put_ids(w, static_cast<uint16_t>(kApplyActions + miss), f.apply_actions);
  put_fields(w, static_cast<uint16_t>(kApplySetfield + miss), f.apply_setfield);
}

WireStatus decode_property(const Property& p, bool loose, TableFeatures& tf) {
  const bool miss = p.type & 1;
  TableFlowFeatures& f = miss ? tf.miss : tf.flows;
  switch (p.type) {
    case kInstructions:
    case kInstructionsMiss: {
      WIRE_TRY_ASSIGN(bits, decode_ids(p.body, true, loose));
      f.instructions = bits;
      return Ok{};
    }
    case kNextTables:
    case kNextTablesMiss:
      f.next_tables.clear();
      for (uint8_t t : p.body) {
        if (t == 0xff)
          return wire_error(OfpErrorCode::OFPBPC_BAD_VALUE, "table features: next table 255");
        f.next_tables.push_back(t);
      }
      return Ok{};
    case kWriteActions:
    case kWriteActionsMiss:
    case kApplyActions:
    case kApplyActionsMiss: {
      WIRE_TRY_ASSIGN(bits, decode_ids(p.body, false, loose));
      (p.type <= kWriteActionsMiss ? f.write_actions : f.apply_actions) = bits;
      return Ok{};
    }
    case kMatch: {
      WIRE_TRY_ASSIGN(fields, decode_fields(p.body, true, loose));
      tf.match = std::move(fields);
      return Ok{};
    }
    case kWildcards:
    case kWriteSetfield:
    case kWriteSetfieldMiss:
    case kApplySetfield:
    case kApplySetfieldMiss: {
      WIRE_TRY_ASSIGN(fields, decode_fields(p.body, false, loose));
      if (p.type == kWildcards) tf.wildcards = std::move(fields);
      else if (p.type <= kWriteSetfieldMiss) f.write_setfield = std::move(fields);
      else f.apply_setfield = std::move(fields);
      return Ok{};
    }
    default:
      return wire_error(OfpErrorCode::OFPBPC_BAD_TYPE,
                        "table features: unknown property " + std::to_string(p.type));
  }
}

WireResult<TableFeatures> decode_entry(ByteView e, uint8_t version, bool loose) {
  TableFeatures tf;
  WireReader r(e, OfpErrorCode::OFPBPC_BAD_LEN, "table features");
  WIRE_TRY(r.skip(2, "length"));
  WIRE_TRY_ASSIGN(table_id, r.u8("table_id"));
  WIRE_TRY_ASSIGN(command, r.u8("command"));
  WIRE_TRY(r.skip(4, "pad"));
  WIRE_TRY_ASSIGN(name, r.string(kTableNameLen, "name"));
  WIRE_TRY_ASSIGN(metadata_match, r.u64("metadata_match"));
  WIRE_TRY_ASSIGN(metadata_write, r.u64("metadata_write"));
  WIRE_TRY_ASSIGN(capabilities, r.u32("capabilities"));
  WIRE_TRY_ASSIGN(max_entries, r.u32("max_entries"));
  if (version >= kOfp15 && command > 3)
    return wire_error(OfpErrorCode::OFPTFFC_BAD_COMMAND,
                      "table features: command " + std::to_string(command) + " is unknown");
  if (table_id == 0xff)
    return wire_error(OfpErrorCode::OFPTFFC_BAD_TABLE, "table features: table 255");
  tf.table_id = table_id;
  tf.command = version >= kOfp15 ? command : 0;
  tf.name = name;
  tf.metadata_match = metadata_match;
  tf.metadata_write = metadata_write;
  tf.capabilities = capabilities;
  tf.max_entries = max_entries;
  tf.any_properties = !r.empty();
  PropertyReader props(r.rest(), "table features property");
  uint32_t seen = 0;
  while (!props.empty()) {
    WIRE_TRY_ASSIGN(p, props.next());
    if (p.type < 32) {
      if (seen & (1u << p.type))
        return wire_error(OfpErrorCode::OFPTFFC_BAD_FEATURES,
                          "table features: property " + std::to_string(p.type) + " repeated");
      seen |= 1u << p.type;
    }
    if (p.type > kApplySetfieldMiss || p.type == 9 || p.type == 11) {
      WIRE_TRY(props.unknown(p, loose));
      continue;
    }
    WIRE_TRY(decode_property(p, loose, tf));
  }
  const uint32_t missing = (seen & kRequired) ^ kRequired;
  if (missing && (tf.any_properties || version < kOfp15))
    return wire_error(OfpErrorCode::OFPTFFC_BAD_FEATURES,
                      "table features: required properties are missing");
  if (tf.any_properties) {
    if (!(seen & (1u << kInstructionsMiss))) tf.miss.instructions = tf.flows.instructions;
    if (!(seen & (1u << kNextTablesMiss))) tf.miss.next_tables = tf.flows.next_tables;
    if (!(seen & (1u << kWriteActionsMiss))) tf.miss.write_actions = tf.flows.write_actions;
    if (!(seen & (1u << kApplyActionsMiss))) tf.miss.apply_actions = tf.flows.apply_actions;
    if (!(seen & (1u << kWriteSetfieldMiss))) tf.miss.write_setfield = tf.flows.write_setfield;
    if (!(seen & (1u << kApplySetfieldMiss))) tf.miss.apply_setfield = tf.flows.apply_setfield;
  }
  return tf;
}

}  // namespace

Bytes encode_table_features_request(uint8_t version, uint32_t xid) {
  return encode_multipart_request(OfpRaw::OFPST13_TABLE_FEATURES_REQUEST, version, xid);
}

WireResult<std::vector<TableFeatures>> decode_table_features(const OfpMessage& msg) {
  const bool loose = msg.raw == OfpRaw::OFPST13_TABLE_FEATURES_REPLY;
  std::vector<TableFeatures> out;
  size_t pos = 0;
  while (pos < msg.body.size()) {
    const size_t left = msg.body.size() - pos;
    if (left < kTableFeaturesLen)
      return wire_error(OfpErrorCode::OFPBPC_BAD_LEN,
                        "table features: " + std::to_string(left) + " leftover bytes");
    const size_t len = get_u16(msg.body.data() + pos);
    if (len < kTableFeaturesLen || len % 8 || len > left)
      return wire_error(OfpErrorCode::OFPBPC_BAD_LEN,
                        "table features: entry length " + std::to_string(len));
    WIRE_TRY_ASSIGN(tf, decode_entry(msg.body.subspan(pos, len), msg.version, loose));
    out.push_back(std::move(tf));
    pos += len;
  }
  return out;
}

std::vector<Bytes> encode_table_features(const std::vector<TableFeatures>& tables, bool request,
                                         uint8_t version, uint32_t xid) {
  MultipartReply reply(request ? OfpRaw::OFPST13_TABLE_FEATURES_REQUEST
                               : OfpRaw::OFPST13_TABLE_FEATURES_REPLY,
                       version, xid);
  WireWriter& w = reply.writer();
  for (const TableFeatures& tf : tables) {
    reply.begin_entry();
    const size_t start = w.size();
    w.put_u16(0);
    w.put_u8(tf.table_id);
    w.put_u8(version >= kOfp15 ? tf.command : 0);
    w.put_zeros(4);
    w.put_string(tf.name, kTableNameLen);
    w.put_u64(tf.metadata_match);
    w.put_u64(tf.metadata_write);
    w.put_u32(version >= kOfp14 ? tf.capabilities : 0);
    w.put_u32(tf.max_entries);
    if (tf.any_properties) {
      put_flow_features(w, tf.flows, 0);
      put_flow_features(w, tf.miss, 1);
      put_fields(w, kMatch, tf.match);
      put_fields(w, kWildcards, tf.wildcards);
    }
    w.patch_length16(start, start);
    reply.end_entry();
  }
  return reply.finish();
}

}  // namespace flowpath::openflow::wire
