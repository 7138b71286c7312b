// Ofproto: rules, groups and meters (the ovs-ofctl side), and trace.
#include <fmt/format.h>
#include "common/log_modules.h"

#include "common/log_modules.h"

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <variant>

#include "odp/odp_action_text.h"
#include "common/clock.h"
#include "odp/odp_flow.h"
#include "ofproto/bridge.h"
#include "ofproto/id_filter.h"
#include "openflow/of_group.h"
#include "ofproto/ofproto.h"
#include "ofproto/rule_batch.h"
#include "ofproto/rules_undo.h"
#include "ofproto/rule_references.h"
#include "ofproto/xlate.h"
#include "openflow/wire/flow_removed.h"

namespace flowpath::ofproto {

namespace {

std::string line_error(size_t index, size_t count, const std::string& message) {
  return count > 1 ? fmt::format("line {}: {}", index + 1, message) : message;
}

}  // namespace

Status Ofproto::add_flows(const std::string& bridge_name, const std::vector<std::string>& lines) {
  std::lock_guard config(config_mutex_);
  std::shared_lock bridges(bridges_mutex_);
  auto found = find_bridge(bridge_name);
  if (!found.ok()) return make_error(found.error());
  RulesUndo before = snapshot_rules(**found);
  if (auto st = add_flows_locked(**found, lines, &before.rules); !st.ok()) return st;
  return commit_change(**found, bridges, put_back(**found, before));
}

Status Ofproto::add_flows_locked(Bridge& bridge, const std::vector<std::string>& lines,
                                 RuleChanges* changes) {
  PortNameResolver ports = port_resolver(bridge);
  std::vector<FlowModSpec> specs;
  specs.reserve(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    auto spec = parse_flow_mod(lines[i], FlowModCommand::kAdd, ports);
    if (!spec.ok()) return make_error(line_error(i, lines.size(), spec.error()));
    specs.push_back(std::move(*spec));
  }
  // Translations go on while the rules go in: they see the batch once it
  // is whole (RuleBatch), and a refused line leaves the tables unchanged.
  std::shared_lock state(bridge.state_mutex);
  std::lock_guard rules(bridge.state.tables.mutex());
  RuleBatch batch(bridge.state.tables);
  if (auto st = add_rules_locked(bridge, batch, specs); !st.ok())
    return make_error(st.error().detail);
  if (changes) *changes = batch.changes();
  batch.commit();
  bridge.changed();
  return Ok{};
}

Result<size_t> Ofproto::mod_flows(const std::string& bridge_name, const std::string& line,
                                  bool strict) {
  FlowModRequest request;
  request.command = strict ? FlowModCommand::kModifyStrict : FlowModCommand::kModify;
  TRY_ASSIGN(spec, parse_flow_text(bridge_name, line, request.command));
  request.spec = std::move(spec);
  request.add_if_none = false;  // fpctl mod-flows reports 0 rather than adding
  auto changed = flow_mod(bridge_name, request);
  if (!changed.ok()) return make_error(changed.error().detail);
  return *changed;
}

Result<size_t> Ofproto::del_flows(const std::string& bridge_name, const std::string& filter,
                                  bool strict) {
  FlowModRequest request;
  request.command = strict ? FlowModCommand::kDeleteStrict : FlowModCommand::kDelete;
  TRY_ASSIGN(spec, parse_flow_text(bridge_name, filter, request.command));
  request.spec = std::move(spec);
  auto changed = flow_mod(bridge_name, request);
  if (!changed.ok()) return make_error(changed.error().detail);
  return *changed;
}

Result<FlowModSpec> Ofproto::parse_flow_text(const std::string& bridge_name,
                                             const std::string& text,
                                             FlowModCommand command) const {
  std::shared_lock bridges(bridges_mutex_);
  TRY_ASSIGN(bridge, find_bridge(bridge_name));
  return parse_flow_mod(text, command, port_resolver(*bridge));
}

void Ofproto::expire_rules(Bridge& bridge, uint64_t now_ms) {
  size_t count = 0;
  {
    std::shared_lock state(bridge.state_mutex);
    std::lock_guard rules(bridge.state.tables.mutex());
    RuleBatch batch(bridge.state.tables);
    std::vector<RulePtr> all;
    for (const RuleTable& table : bridge.state.tables)
      if (table.timed_count()) table.all(batch.version(), &all);
    for (const RulePtr& rule : all) {
      const uint64_t modified = std::max(rule->created_ms, rule->counters->refreshed_ms.load());
      bool hard = rule->hard_timeout && now_ms >= modified + rule->hard_timeout * 1000ull;
      uint64_t used = std::max(rule->counters->last_used_ms.load(std::memory_order_relaxed),
                               rule->created_ms);
      bool idle = rule->idle_timeout && now_ms >= used + rule->idle_timeout * 1000ull;
      if (!hard && !idle) continue;
      queue_rule_removed(bridge, rule, idle ? wire::flow_removed_reason::kIdleTimeout
                                            : wire::flow_removed_reason::kHardTimeout, now_ms);
      module_log(LogModule::kOfproto).debug("bridge {}: rule in table {} priority {} expired", bridge.name, rule->table,
                    rule->priority);
      batch.remove(*rule);
      ++count;
    }
    if (!count) return;
    batch.commit();
  }
  bridge.changed();
}

Result<std::vector<RuleInfo>> Ofproto::dump_flows(const std::string& bridge_name,
                                                  const std::string& filter) const {
  TRY_ASSIGN(spec, parse_flow_text(bridge_name, filter, FlowModCommand::kFilter));
  TRY_ASSIGN(rules, find_rules(bridge_name, spec));
  uint64_t now = monotonic_ms();
  std::vector<RuleInfo> out;
  out.reserve(rules.size());
  for (const RulePtr& rule : rules) {
    RuleInfo info;
    info.table = rule->table;
    info.priority = rule->priority;
    info.cookie = rule->cookie;
    info.idle_timeout = rule->idle_timeout;
    info.hard_timeout = rule->hard_timeout;
    info.packets = rule->counters->packets.load(std::memory_order_relaxed);
    info.bytes = rule->counters->bytes.load(std::memory_order_relaxed);
    info.duration_ms = now - std::min(now, rule->created_ms);
    uint64_t used = rule->counters->last_used_ms.load(std::memory_order_relaxed);
    info.idle_ms = now - std::min(now, std::max(used, rule->created_ms));
    info.match = format_of_match(rule->match, rule->priority);
    info.actions = format_of_actions(rule->actions);
    out.push_back(std::move(info));
  }
  return out;
}

// ---- Groups

Status Ofproto::add_group(const std::string& bridge_name, const std::string& text, bool modify) {
  PortNameResolver ports;
  {
    std::shared_lock bridges(bridges_mutex_);
    TRY_ASSIGN(bridge, find_bridge(bridge_name));
    ports = port_resolver(*bridge);
  }
  TRY_ASSIGN(spec, parse_group_spec(text, ports));
  wire::GroupMod gm;
  gm.command = modify ? wire::GroupModCommand::kModify : wire::GroupModCommand::kAdd;
  gm.group = std::move(spec);
  if (auto st = group_mod(bridge_name, gm); !st.ok()) return make_error(st.error().detail);
  return Ok{};
}

Status Ofproto::del_groups(const std::string& bridge_name, const std::string& text) {
  {
    std::shared_lock bridges(bridges_mutex_);
    TRY_ASSIGN(bridge, find_bridge(bridge_name));
    (void)bridge;
  }
  TRY_ASSIGN(filter, parse_id_filter(text, "group_id", "del-groups", 0, kOfppMax));
  wire::GroupMod gm;
  gm.command = wire::GroupModCommand::kDelete;
  gm.group.group_id = filter ? *filter : wire::kGroupAll;
  if (auto st = group_mod(bridge_name, gm); !st.ok()) return make_error(st.error().detail);
  return Ok{};
}

Result<std::vector<GroupInfo>> Ofproto::dump_groups(const std::string& bridge_name) const {
  std::shared_lock bridges(bridges_mutex_);
  auto found = find_bridge(bridge_name);
  if (!found.ok()) return make_error(found.error());
  const Bridge& bridge = **found;
  std::shared_lock lock(bridge.state_mutex);
  uint64_t now = monotonic_ms();
  std::vector<RulePtr> all;
  {
    std::lock_guard rules(bridge.state.tables.mutex());
    Version version = bridge.state.tables.version();
    for (const RuleTable& table : bridge.state.tables)
      if (table.size()) table.all(version, &all);
  }
  std::vector<GroupInfo> out;
  for (const auto& [id, group] : bridge.state.groups) {
    GroupInfo info;
    info.text = format_group_spec(group->spec);
    info.packets = group->counters->packets.load();
    info.bytes = group->counters->bytes.load();
    info.spec = group->spec;
    info.duration_ms = now - std::min(now, group->created_ms);
    for (const RulePtr& rule : all) info.rules += actions_use_group(rule->actions, id) ? 1 : 0;
    out.push_back(std::move(info));
  }
  return out;
}

// ---- Trace

Result<TraceResult> Ofproto::trace(const std::string& bridge_name, const std::string& text) const {
  std::shared_lock bridges(bridges_mutex_);
  auto found = find_bridge(bridge_name);
  if (!found.ok()) return make_error(found.error());
  Bridge& bridge = **found;
  FlowKey key;
  key.clear();
  if (text.find('(') != std::string::npos) {
    auto parsed = parse_exact_key(text);
    if (!parsed.ok()) return make_error("bad flow: " + parsed.error());
    key = parsed->match.key;
  } else {
    auto match = parse_of_match(text, port_resolver(bridge));
    if (!match.ok()) return make_error("bad flow: " + match.error());
    key = match->value.key;
  }
  TraceResult out;
  out.lines.push_back("Flow: " + format_key(key));
  out.lines.push_back("");
  XlateOptions options;
  options.may_learn = false;
  options.now_ms = monotonic_ms();
  options.trace = &out.lines;
  XlateResult result;
  {
    std::shared_lock lock(bridge.state_mutex);
    result = translate(bridge.state, key, options);
  }
  Match megaflow{key, result.mask};
  megaflow.normalize();
  out.megaflow = format_flow(megaflow);
  out.datapath_actions = format_odp_actions(result.odp_actions);
  if (result.error) out.lines.push_back("Translation failed: " + result.error_message);
  return out;
}

}  // namespace flowpath::ofproto
