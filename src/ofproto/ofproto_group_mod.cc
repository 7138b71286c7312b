// Ofproto: group mods in the OpenFlow model (from the wire, and from fpctl's
// add-group/mod-group/del-groups text): add, modify, add-or-modify, delete,
// insert and remove buckets, with OpenFlow's error codes as Open vSwitch's
// ofproto gives them. A refused group mod leaves the groups and rules as
// they were.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "common/clock.h"
#include "ofproto/bridge.h"
#include "ofproto/ofproto.h"
#include "ofproto/rule_batch.h"
#include "ofproto/rule_references.h"
#include "ofproto/rules_undo.h"
#include "openflow/wire/flow_removed.h"

namespace flowpath::ofproto {

namespace {

using wire::GroupMod;
using wire::GroupModCommand;
using wire::OfpErrorCode;
using wire::wire_error;

const GroupBucket* find_bucket(const std::vector<GroupBucket>& buckets, uint32_t id) {
  for (const GroupBucket& b : buckets)
    if (b.bucket_id == id) return &b;
  return nullptr;
}

// The buckets of `old` with `added` inserted as OpenFlow 1.5's
// insert-bucket puts them: first, last, or after bucket `where`.
wire::WireResult<std::vector<GroupBucket>> insert_buckets(const std::vector<GroupBucket>& old,
                                                          const std::vector<GroupBucket>& added,
                                                          uint32_t where) {
  if (where <= wire::kBucketMax && !find_bucket(old, where))
    return wire_error(OfpErrorCode::OFPGMFC_UNKNOWN_BUCKET,
                      fmt::format("no bucket {} to insert after", where));
  std::set<uint32_t> ids;
  for (const GroupBucket& b : old) ids.insert(b.bucket_id);
  for (const GroupBucket& b : added)
    if (!ids.insert(b.bucket_id).second)
      return wire_error(OfpErrorCode::OFPGMFC_BUCKET_EXISTS,
                        fmt::format("bucket {} exists already", b.bucket_id));
  std::vector<GroupBucket> out;
  if (where == wire::kBucketFirst) {
    out = added;
    out.insert(out.end(), old.begin(), old.end());
  } else if (where == wire::kBucketLast || where > wire::kBucketMax) {
    out = old;
    out.insert(out.end(), added.begin(), added.end());
  } else {
    for (const GroupBucket& b : old) {
      out.push_back(b);
      if (b.bucket_id == where) out.insert(out.end(), added.begin(), added.end());
    }
  }
  return out;
}

wire::WireResult<std::vector<GroupBucket>> remove_bucket(const std::vector<GroupBucket>& old,
                                                         uint32_t which) {
  if (which == wire::kBucketAll) return std::vector<GroupBucket>{};
  std::vector<GroupBucket> out = old;
  if (which == wire::kBucketFirst) {
    if (!out.empty()) out.erase(out.begin());
  } else if (which == wire::kBucketLast) {
    if (!out.empty()) out.pop_back();
  } else {
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const GroupBucket& b) { return b.bucket_id == which; });
    if (it == out.end())
      return wire_error(OfpErrorCode::OFPGMFC_UNKNOWN_BUCKET,
                        fmt::format("no bucket {} to remove", which));
    out.erase(it);
  }
  return out;
}

void groups_used_by(const std::vector<OfAction>& actions, std::vector<uint32_t>* out) {
  for (const OfAction& a : actions) {
    if (const auto* g = std::get_if<action::Group>(&a)) out->push_back(g->group_id);
    else if (const auto* c = std::get_if<action::Clone>(&a)) groups_used_by(c->actions, out);
    else if (const auto* w = std::get_if<action::WriteActions>(&a)) groups_used_by(w->actions, out);
  }
}

// Would `group` (about to replace the one with its id) reach itself
// through the group actions of its buckets and those of the groups they name?
bool chains_back(const BridgeState& state, const GroupSpec& group) {
  std::vector<uint32_t> pending;
  for (const GroupBucket& b : group.buckets) groups_used_by(b.actions, &pending);
  std::set<uint32_t> seen;
  while (!pending.empty()) {
    uint32_t id = pending.back();
    pending.pop_back();
    if (id == group.group_id) return true;
    if (!seen.insert(id).second) continue;
    auto it = state.groups.find(id);
    if (it == state.groups.end()) continue;
    for (const GroupBucket& b : it->second->spec.buckets) groups_used_by(b.actions, &pending);
  }
  return false;
}

}  // namespace

wire::WireStatus Ofproto::group_mod_locked(Bridge& bridge, RuleBatch& batch, const GroupMod& gm,
                                           RemovedRules* removed) {
  BridgeState& state = bridge.state;
  const uint32_t id = gm.group.group_id;
  if (gm.command == GroupModCommand::kDelete) {
    std::set<uint32_t> gone;
    for (const auto& [gid, entry] : state.groups)
      if (id == wire::kGroupAll || gid == id) gone.insert(gid);
    if (gone.empty()) return Ok{};  // deleting what does not exist is no error
    for (uint32_t gid : gone) state.groups.erase(gid);
    // OpenFlow: deleting a group deletes the rules that use it.
    std::vector<RulePtr> all;
    for (const RuleTable& table : state.tables)
      if (table.size()) table.all(batch.version(), &all);
    for (const RulePtr& rule : all)
      for (uint32_t gid : gone)
        if (actions_use_group(rule->actions, gid)) {
          batch.remove(*rule);
          removed->emplace_back(rule, wire::flow_removed_reason::kGroupDelete);
          break;
        }
    return Ok{};
  }
  if (id > wire::kGroupMax)
    return wire_error(OfpErrorCode::OFPGMFC_INVALID_GROUP,
                      fmt::format("group id {:#x} is reserved (at most {:#x})", id, wire::kGroupMax));
  auto it = state.groups.find(id);
  const bool exists = it != state.groups.end();
  bool add = false;
  switch (gm.command) {
    case GroupModCommand::kAdd:
      if (exists)
        return wire_error(OfpErrorCode::OFPGMFC_GROUP_EXISTS,
                          fmt::format("group {} already exists", id));
      add = true;
      break;
    case GroupModCommand::kAddOrModify:
      add = !exists;
      break;
    case GroupModCommand::kModify:
    case GroupModCommand::kInsertBucket:
    case GroupModCommand::kRemoveBucket:
      if (!exists)
        return wire_error(OfpErrorCode::OFPGMFC_UNKNOWN_GROUP,
                          fmt::format("group {} does not exist", id));
      break;
    default:
      return wire_error(OfpErrorCode::OFPGMFC_BAD_COMMAND,
                        fmt::format("unknown group mod command {}",
                                    static_cast<unsigned>(gm.command)));
  }
  GroupSpec spec = gm.group;
  if (gm.command == GroupModCommand::kInsertBucket || gm.command == GroupModCommand::kRemoveBucket) {
    // Only the buckets change: the type and selection method stay.
    const GroupSpec& old = it->second->spec;
    auto buckets = gm.command == GroupModCommand::kInsertBucket
                       ? insert_buckets(old.buckets, gm.group.buckets, gm.command_bucket_id)
                       : remove_bucket(old.buckets, gm.command_bucket_id);
    if (!buckets.ok()) return buckets.error();
    spec = old;
    spec.buckets = std::move(*buckets);
    if (spec.type == GroupType::kIndirect && spec.buckets.size() != 1)
      return wire_error(OfpErrorCode::OFPGMFC_BAD_BUCKET,
                        fmt::format("indirect group {} would have {} buckets (it must have one)",
                                    id, spec.buckets.size()));
  }
  for (const GroupBucket& bucket : spec.buckets) {
    std::vector<uint32_t> used;
    groups_used_by(bucket.actions, &used);
    if (std::count(used.begin(), used.end(), id))
      return wire_error(OfpErrorCode::OFPGMFC_LOOP, fmt::format("group {} refers to itself", id));
    if (auto st = check_rule_references(state, bucket.actions, -1); !st.ok()) return st.error();
  }
  if (!add && chains_back(state, spec))
    return wire_error(OfpErrorCode::OFPGMFC_LOOP,
                      fmt::format("group {} would reach itself through the groups it uses", id));
  auto entry = std::make_shared<GroupEntry>();
  entry->spec = std::move(spec);
  if (add) {
    entry->created_ms = monotonic_ms();
  } else {
    entry->counters = it->second->counters;
    entry->created_ms = it->second->created_ms;
  }
  state.groups[id] = std::move(entry);
  return Ok{};
}

wire::WireStatus Ofproto::group_mod(const std::string& bridge_name, const GroupMod& gm) {
  std::lock_guard config(config_mutex_);
  std::shared_lock bridges(bridges_mutex_);
  auto found = find_bridge(bridge_name);
  if (!found.ok()) return wire_error(OfpErrorCode::OFPBRC_EPERM, found.error());
  Bridge& bridge = **found;
  RulesUndo before = snapshot_rules(bridge);
  {
    std::unique_lock state(bridge.state_mutex);
    std::lock_guard rules(bridge.state.tables.mutex());
    RuleBatch batch(bridge.state.tables);
    RemovedRules removed;
    if (auto st = group_mod_locked(bridge, batch, gm, &removed); !st.ok()) {
      bridge.state.groups = before.groups;  // a refusal changed nothing
      return st.error();
    }
    before.rules = batch.changes();
    batch.commit();
    queue_removed(bridge, removed);
  }
  if (auto saved = commit_change(bridge, bridges, put_back(bridge, before)); !saved.ok())
    return wire_error(OfpErrorCode::OFPGMFC_EPERM, "not saved: " + saved.error());
  return Ok{};
}

}  // namespace flowpath::ofproto
