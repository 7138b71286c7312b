// Ofproto: flow mods in the OpenFlow model, from ovs-ofctl text (fpctl) or
// from the wire. Adds check their whole batch before changing anything;
// modify and delete select rules as OpenFlow's loose and strict commands do.
// Errors carry OpenFlow's codes so that a flow mod from the wire is answered
// with the standard error.
#include <fmt/format.h>

#include "common/clock.h"
#include "ofproto/bridge.h"
#include "ofproto/ofproto.h"
#include "ofproto/rule_batch.h"
#include "ofproto/rule_references.h"
#include "ofproto/rules_undo.h"
#include "openflow/wire/flow_removed.h"

namespace flowpath::ofproto {

namespace {

using wire::OfpErrorCode;
using wire::wire_error;

std::string batch_error(size_t index, size_t count, const std::string& message) {
  return count > 1 ? fmt::format("line {}: {}", index + 1, message) : message;
}

}  // namespace

wire::WireStatus Ofproto::add_rules_locked(Bridge& bridge, RuleBatch& batch,
                                           std::vector<FlowModSpec>& specs) {
  uint64_t now = monotonic_ms();
  for (size_t i = 0; i < specs.size(); ++i) {
    FlowModSpec& spec = specs[i];
    if (spec.table > kMaxTableId)
      return wire_error(OfpErrorCode::OFPFMFC_BAD_TABLE_ID,
                        batch_error(i, specs.size(), fmt::format("no table {}", spec.table)));
    if (auto st = check_rule_references(bridge.state, spec.actions, spec.table); !st.ok())
      return wire_error(st.error().code, batch_error(i, specs.size(), st.error().detail));
    if (spec.check_overlap && batch.overlaps(spec.table, spec.match, spec.priority))
      return wire_error(OfpErrorCode::OFPFMFC_OVERLAP,
                        batch_error(i, specs.size(),
                                    "the rule overlaps an existing rule of the same priority "
                                    "(check_overlap)"));
    batch.add(make_rule(std::move(spec), now, bridge.state.next_rule_sequence++));
  }
  return Ok{};
}

wire::WireResult<size_t> Ofproto::flow_mod_locked(Bridge& bridge, RuleBatch& batch,
                                                  const FlowModRequest& request,
                                                  RemovedRules* removed) {
  const FlowModSpec& spec = request.spec;
  bool strict = request.command == FlowModCommand::kModifyStrict ||
                request.command == FlowModCommand::kDeleteStrict;
  switch (request.command) {
    case FlowModCommand::kAdd: {
      std::vector<FlowModSpec> one{spec};
      if (auto st = add_rules_locked(bridge, batch, one); !st.ok()) return st.error();
      return size_t{1};
    }
    case FlowModCommand::kModify:
    case FlowModCommand::kModifyStrict: {
      for (int t = 0; t <= kMaxTableId; ++t) {
        if (spec.table != kTableAll && spec.table != t) continue;
        if (auto st = check_rule_references(bridge.state, spec.actions, t); !st.ok())
          return st.error();
      }
      std::vector<RulePtr> selected = batch.select(spec, strict);
      if (selected.empty() && request.add_if_none && spec.cookie_mask == 0) {
        // OpenFlow: a modify that matches nothing adds the rule (not when
        // it selects by cookie).
        FlowModSpec add = spec;
        if (add.table == kTableAll) add.table = 0;
        if (request.new_cookie) add.cookie = *request.new_cookie;
        std::vector<FlowModSpec> one{std::move(add)};
        if (auto st = add_rules_locked(bridge, batch, one); !st.ok()) return st.error();
        return size_t{1};
      }
      for (const RulePtr& old : selected) {
        auto rule = std::make_shared<Rule>(*old);
        rule->actions = spec.actions;
        if (request.new_cookie) rule->cookie = *request.new_cookie;
        if (spec.reset_counts) rule->counters = std::make_shared<RuleCounters>();
        batch.replace(*old, std::move(rule));
      }
      return selected.size();
    }
    case FlowModCommand::kDelete:
    case FlowModCommand::kDeleteStrict: {
      size_t count = 0;
      for (const RulePtr& rule : batch.select(spec, strict)) {
        batch.remove(*rule);
        removed->emplace_back(rule, wire::flow_removed_reason::kDelete);
        ++count;
      }
      return count;
    }
    case FlowModCommand::kFilter:
      break;
  }
  return wire_error(OfpErrorCode::OFPFMFC_BAD_COMMAND, "a filter is not a flow mod");
}

wire::WireResult<size_t> Ofproto::flow_mod(const std::string& bridge_name,
                                           const FlowModRequest& request) {
  std::lock_guard config(config_mutex_);
  std::shared_lock bridges(bridges_mutex_);
  auto found = find_bridge(bridge_name);
  if (!found.ok()) return wire_error(OfpErrorCode::OFPBRC_EPERM, found.error());
  Bridge& bridge = **found;
  RulesUndo before = snapshot_rules(bridge);
  size_t count = 0;
  {
    // As the text path: translations go on while the batch is built and see
    // it whole once committed; a refused flow mod leaves the tables as they were.
    std::shared_lock state(bridge.state_mutex);
    std::lock_guard rules(bridge.state.tables.mutex());
    RuleBatch batch(bridge.state.tables);
    RemovedRules removed;
    auto done = flow_mod_locked(bridge, batch, request, &removed);
    if (!done.ok()) return done.error();
    count = *done;
    if (!count) return count;
    before.rules = batch.changes();
    batch.commit();
    queue_removed(bridge, removed);
  }
  // Acknowledged once the state file has it (each flow mod is written
  // through; a barrier reply therefore follows a durable change).
  if (auto saved = commit_change(bridge, bridges, put_back(bridge, before)); !saved.ok())
    return wire_error(OfpErrorCode::OFPBRC_EPERM, "not saved: " + saved.error());
  return count;
}

void Ofproto::queue_removed(Bridge& bridge, const RemovedRules& removed) {
  uint64_t now = monotonic_ms();
  for (const auto& [rule, reason] : removed) queue_rule_removed(bridge, rule, reason, now);
}

Result<std::vector<RulePtr>> Ofproto::find_rules(const std::string& bridge_name,
                                                 const FlowModSpec& filter) const {
  std::shared_lock bridges(bridges_mutex_);
  TRY_ASSIGN(bridge, find_bridge(bridge_name));
  std::vector<RulePtr> rules;
  {
    std::shared_lock state(bridge->state_mutex);
    std::lock_guard lock(bridge->state.tables.mutex());
    Version version = bridge->state.tables.version();
    for (int t = 0; t <= kMaxTableId; ++t) {
      if (filter.table != kTableAll && filter.table != t) continue;
      const RuleTable& table = bridge->state.tables[static_cast<size_t>(t)];
      if (table.size()) table.select(filter, false, version, &rules);
    }
  }
  sort_rules(&rules);
  return rules;
}

Result<std::vector<TableCounts>> Ofproto::table_counts(const std::string& bridge_name) const {
  FlowModSpec all;
  all.table = kTableAll;
  TRY_ASSIGN(rules, find_rules(bridge_name, all));
  std::vector<TableCounts> out(kMaxTableId + 1);
  for (const RulePtr& rule : rules) {
    TableCounts& c = out[rule->table];
    ++c.rules;
    c.matched += rule->counters->packets.load(std::memory_order_relaxed);
    c.lookups = c.matched;
  }
  return out;
}

}  // namespace flowpath::ofproto
