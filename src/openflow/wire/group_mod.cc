// Group mods (see group_mod.h).
#include "openflow/wire/group_mod.h"

#include "openflow/nxm_field.h"
#include "openflow/wire/action_codec.h"

namespace flowpath::openflow::wire {

namespace {

bool known_command(uint16_t c) {
  return c == 0 || c == 1 || c == 2 || c == 3 || c == 5 || c == 0x8000;
}

bool has_liveness(const GroupBucket& b) {
  return b.watch_port != kOfppAny || b.watch_group != kOfgAny;
}

WireStatus check_group_mod(const GroupMod& gm, uint8_t raw_type) {
  WIRE_TRY_ASSIGN(type, group_type_from_wire(raw_type));
  const GroupSpec& g = gm.group;
  if (type == GroupType::kIndirect && gm.command != GroupModCommand::kDelete &&
      g.buckets.size() != 1)
    return wire_error(OfpErrorCode::OFPGMFC_INVALID_GROUP,
                      "group_mod: an indirect group has exactly one bucket, not " +
                          std::to_string(g.buckets.size()));
  const auto command = static_cast<uint16_t>(gm.command);
  if (!known_command(command))
    return wire_error(OfpErrorCode::OFPGMFC_BAD_COMMAND,
                      "group_mod: command " + std::to_string(command) + " is unknown");
  if (gm.command == GroupModCommand::kRemoveBucket && !g.buckets.empty())
    return wire_error(OfpErrorCode::OFPGMFC_BAD_BUCKET,
                      "group_mod: remove-bucket carries no buckets");
  for (const GroupBucket& b : g.buckets) {
    if (b.weight && type != GroupType::kSelect && gm.command != GroupModCommand::kInsertBucket)
      return wire_error(OfpErrorCode::OFPGMFC_INVALID_GROUP,
                        "group_mod: only select group buckets have a weight");
    if ((type == GroupType::kAll || type == GroupType::kIndirect) && has_liveness(b))
      return wire_error(OfpErrorCode::OFPGMFC_WATCH_UNSUPPORTED,
                        "group_mod: only fast failover and select buckets watch ports or groups");
    if (type == GroupType::kFastFailover && !has_liveness(b))
      return wire_error(OfpErrorCode::OFPGMFC_INVALID_GROUP,
                        "group_mod: a fast failover bucket must watch a port or a group");
  }
  return Ok{};
}

WireResult<GroupMod> decode_ofp11(WireReader& r, uint8_t version, uint8_t* raw_type) {
  GroupMod gm;
  WIRE_TRY_ASSIGN(command, r.u16("command"));
  WIRE_TRY_ASSIGN(type, r.u8("type"));
  WIRE_TRY(r.skip(1, "pad"));
  WIRE_TRY_ASSIGN(group_id, r.u32("group_id"));
  *raw_type = type;
  gm.command = static_cast<GroupModCommand>(command);
  gm.group.group_id = group_id;
  WIRE_TRY_ASSIGN(buckets, decode_buckets(r.rest(), version, type));
  gm.group.buckets = std::move(buckets);
  // OpenFlow 1.3.5 prescribes an error for a delete with buckets.
  if (version >= kOfp13 && command == 2 && !gm.group.buckets.empty())
    return wire_error(OfpErrorCode::OFPGMFC_INVALID_GROUP,
                      "group_mod: a delete carries no buckets");
  return gm;
}

WireResult<GroupMod> decode_ofp15(WireReader& r, uint8_t version, uint8_t* raw_type) {
  GroupMod gm;
  WIRE_TRY_ASSIGN(command, r.u16("command"));
  WIRE_TRY_ASSIGN(type, r.u8("type"));
  WIRE_TRY(r.skip(1, "pad"));
  WIRE_TRY_ASSIGN(group_id, r.u32("group_id"));
  WIRE_TRY_ASSIGN(bucket_array_len, r.u16("bucket_array_len"));
  WIRE_TRY(r.skip(2, "pad"));
  WIRE_TRY_ASSIGN(bucket_id, r.u32("command_bucket_id"));
  *raw_type = type;
  gm.command = static_cast<GroupModCommand>(command);
  gm.group.group_id = group_id;
  gm.command_bucket_id = bucket_id;
  bool bucket_id_ok = bucket_id == kBucketAll;
  if (command == 3 || command == 5)
    bucket_id_ok = bucket_id <= kBucketMax || bucket_id == kBucketFirst ||
                   bucket_id == kBucketLast || (command == 5 && bucket_id == kBucketAll);
  if (!bucket_id_ok)
    return wire_error(OfpErrorCode::OFPGMFC_BAD_BUCKET,
                      "group_mod: command bucket id " + std::to_string(bucket_id) +
                          " is out of range for command " + std::to_string(command));
  if (bucket_array_len > r.remaining())
    return wire_error(OfpErrorCode::OFPBRC_BAD_LEN,
                      "group_mod: bucket_array_len " + std::to_string(bucket_array_len) +
                          " exceeds the " + std::to_string(r.remaining()) + " bytes left");
  WIRE_TRY_ASSIGN(bucket_bytes, r.pull(bucket_array_len, "buckets"));
  WIRE_TRY_ASSIGN(buckets, decode_buckets(bucket_bytes, version, type));
  gm.group.buckets = std::move(buckets);
  const bool allows_method = command == 0 || command == 1 || command == 0x8000;
  if (!r.empty() && !known_command(command))
    return wire_error(OfpErrorCode::OFPGMFC_BAD_COMMAND,
                      "group_mod: command " + std::to_string(command) + " is unknown");
  WIRE_TRY(decode_group_properties(r.rest(), type, allows_method, gm.group));
  return gm;
}

}  // namespace

WireResult<GroupMod> decode_group_mod(const OfpMessage& msg) {
  WireReader r(msg.body, OfpErrorCode::OFPBRC_BAD_LEN, "group_mod");
  uint8_t raw_type = 0;
  auto gm = uses_ofp15_buckets(msg.version) ? decode_ofp15(r, msg.version, &raw_type)
                                            : decode_ofp11(r, msg.version, &raw_type);
  if (!gm.ok()) return gm;
  WIRE_TRY(check_group_mod(*gm, raw_type));
  gm->group.type = static_cast<GroupType>(raw_type);
  return gm;
}

std::optional<std::string> group_mod_encoding_problem(const GroupMod& gm, uint8_t version) {
  if (!uses_ofp15_buckets(version) && !gm.group.selection_method.empty())
    return "a selection method needs OpenFlow 1.5 (or 1.0's NXT_GROUP_MOD)";
  for (const GroupBucket& b : gm.group.buckets)
    if (auto problem = actions_encoding_problem(b.actions, version, false)) return problem;
  for (const OfFieldInfo* f : gm.group.fields)
    if (!nxm_field_for(*f, version))
      return "selection field " + std::string(f->name) + " has no OXM header";
  return std::nullopt;
}

WireResult<Bytes> encode_group_mod(const GroupMod& gm, uint8_t version, uint32_t xid) {
  if (auto problem = group_mod_encoding_problem(gm, version))
    return wire_error(OfpErrorCode::OFPBRC_BAD_VERSION, "group_mod: " + *problem);
  Bytes out;
  const bool ofp15 = uses_ofp15_buckets(version);
  const size_t start = start_message(
      out, version == kOfp10 ? OfpRaw::NXT_GROUP_MOD
                             : (ofp15 ? OfpRaw::OFPT15_GROUP_MOD : OfpRaw::OFPT11_GROUP_MOD),
      version, xid);
  WireWriter w(&out);
  const size_t body = w.size();
  w.put_u16(static_cast<uint16_t>(gm.command));
  w.put_u8(static_cast<uint8_t>(gm.group.type));
  w.put_u8(0);
  w.put_u32(gm.group.group_id);
  if (ofp15) {
    w.put_u16(0);  // bucket_array_len
    w.put_u16(0);
    w.put_u32(gm.command_bucket_id);
  }
  const size_t buckets = w.size();
  encode_buckets(w, gm.group.buckets, gm.group.type, version);
  if (ofp15) {
    w.patch_u16(body + 8, static_cast<uint16_t>(w.size() - buckets));
    encode_group_properties(w, gm.group, version);
  }
  finish_message(out, start);
  return out;
}

}  // namespace flowpath::openflow::wire
