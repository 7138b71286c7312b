// Ofproto: rules, groups and meters (the ovs-ofctl side), and trace.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <spdlog/spdlog.h>

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
#include "openflow/of_group.h"
#include "ofproto/ofproto.h"
#include "ofproto/rule_batch.h"
#include "ofproto/rules_undo.h"
#include "ofproto/rule_references.h"
#include "ofproto/xlate.h"
#include "openflow/wire/flow_removed.h"

namespace flowpath::ofproto {

namespace {

// The filter of del-groups / del-meters: "" or "KEY=all" (every one) or
// "KEY=N" with 1 <= N <= max (0 allowed when min is 0).
Result<std::optional<uint32_t>> parse_id_filter(const std::string& text, std::string_view key,
                                                const char* verb, uint64_t min, uint64_t max) {
  const std::string prefix = std::string(key) + "=";
  if (text.empty() || text == prefix + "all") return std::optional<uint32_t>{};
  if (text.rfind(prefix, 0) != 0)
    return make_error(std::string(verb) + " takes " + prefix + "N or nothing, not \"" + text + "\"");
  std::string_view digits = std::string_view(text).substr(prefix.size());
  uint64_t id = 0;
  bool ok = !digits.empty() && digits.size() <= 10;
  for (char c : digits) {
    ok = ok && c >= '0' && c <= '9';
    id = id * 10 + static_cast<uint64_t>(c - '0');
  }
  if (!ok || id < min || id > max)
    return make_error(fmt::format("bad {} \"{}\" (expected {}..{})", key, digits, min, max));
  return std::optional<uint32_t>{static_cast<uint32_t>(id)};
}

std::string line_error(size_t index, size_t count, const std::string& message) {
  return count > 1 ? fmt::format("line {}: {}", index + 1, message) : message;
}

// A meter as the datapath takes it.
Result<MeterConfig> datapath_meter(const MeterSpec& spec) {
  MeterConfig config;
  config.packets_per_second = spec.pktps;
  for (const MeterBandSpec& band : spec.bands) {
    if (band.rate > UINT32_MAX || band.burst_size > UINT32_MAX)
      return make_error("meter band rate or burst is too large");
    MeterBandConfig b;
    b.rate = static_cast<uint32_t>(band.rate);
    b.burst_size = static_cast<uint32_t>(band.burst_size);
    config.bands.push_back(b);
  }
  return config;
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
      bool hard = rule->hard_timeout && now_ms >= rule->created_ms + rule->hard_timeout * 1000ull;
      uint64_t used = std::max(rule->counters->last_used_ms.load(std::memory_order_relaxed),
                               rule->created_ms);
      bool idle = rule->idle_timeout && now_ms >= used + rule->idle_timeout * 1000ull;
      if (!hard && !idle) continue;
      queue_rule_removed(bridge, rule, idle ? wire::flow_removed_reason::kIdleTimeout
                                            : wire::flow_removed_reason::kHardTimeout, now_ms);
      spdlog::debug("bridge {}: rule in table {} priority {} expired", bridge.name, rule->table,
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
  std::lock_guard config(config_mutex_);
  std::shared_lock bridges(bridges_mutex_);
  auto found = find_bridge(bridge_name);
  if (!found.ok()) return make_error(found.error());
  Bridge& bridge = **found;
  auto spec = parse_group_spec(text, port_resolver(bridge));
  if (!spec.ok()) return make_error(spec.error());
  RulesUndo before = snapshot_rules(bridge);
  {
    std::unique_lock lock(bridge.state_mutex);
    auto it = bridge.state.groups.find(spec->group_id);
    if (!modify && it != bridge.state.groups.end())
      return make_error(fmt::format("group {} already exists", spec->group_id));
    if (modify && it == bridge.state.groups.end())
      return make_error(fmt::format("group {} does not exist", spec->group_id));
    for (const GroupBucket& bucket : spec->buckets) {
      for (const OfAction& a : bucket.actions)
        if (const auto* g = std::get_if<action::Group>(&a); g && g->group_id == spec->group_id)
          return make_error(fmt::format("group {} refers to itself", spec->group_id));
      if (auto st = check_rule_references(bridge.state, bucket.actions, -1); !st.ok())
        return make_error(st.error().detail);
    }
    auto entry = std::make_shared<GroupEntry>();
    entry->spec = std::move(*spec);
    if (modify) entry->counters = it->second->counters;
    bridge.state.groups[entry->spec.group_id] = std::move(entry);
  }
  return commit_change(bridge, bridges, put_back(bridge, before));
}

Status Ofproto::del_groups(const std::string& bridge_name, const std::string& text) {
  std::lock_guard config(config_mutex_);
  std::shared_lock bridges(bridges_mutex_);
  auto found = find_bridge(bridge_name);
  if (!found.ok()) return make_error(found.error());
  Bridge& bridge = **found;
  auto filter = parse_id_filter(text, "group_id", "del-groups", 0, kOfppMax);
  if (!filter.ok()) return make_error(filter.error());
  std::optional<uint32_t> only = *filter;
  RulesUndo before = snapshot_rules(bridge);
  {
    std::unique_lock lock(bridge.state_mutex);
    std::set<uint32_t> removed;
    for (auto it = bridge.state.groups.begin(); it != bridge.state.groups.end();) {
      if (!only || it->first == *only) {
        removed.insert(it->first);
        it = bridge.state.groups.erase(it);
      } else {
        ++it;
      }
    }
    // OpenFlow: deleting a group deletes the rules that use it.
    std::lock_guard rules(bridge.state.tables.mutex());
    RuleBatch batch(bridge.state.tables);
    std::vector<RulePtr> all;
    for (const RuleTable& table : bridge.state.tables)
      if (table.size()) table.all(batch.version(), &all);
    for (const RulePtr& rule : all)
      for (uint32_t id : removed)
        if (actions_use_group(rule->actions, id)) {
          batch.remove(*rule);
          queue_rule_removed(bridge, rule, wire::flow_removed_reason::kGroupDelete, monotonic_ms());
          break;
        }
    before.rules = batch.changes();
    batch.commit();
  }
  return commit_change(bridge, bridges, put_back(bridge, before));
}

Result<std::vector<GroupInfo>> Ofproto::dump_groups(const std::string& bridge_name) const {
  std::shared_lock bridges(bridges_mutex_);
  auto found = find_bridge(bridge_name);
  if (!found.ok()) return make_error(found.error());
  std::shared_lock lock((*found)->state_mutex);
  std::vector<GroupInfo> out;
  for (const auto& [id, group] : (*found)->state.groups)
    out.push_back(GroupInfo{format_group_spec(group->spec), group->counters->packets.load(),
                            group->counters->bytes.load()});
  return out;
}

// ---- Meters (a datapath meter with the same number)

Status Ofproto::add_meter(const std::string& bridge_name, const std::string& text) {
  std::lock_guard config(config_mutex_);
  std::shared_lock bridges(bridges_mutex_);
  auto found = find_bridge(bridge_name);
  if (!found.ok()) return make_error(found.error());
  Bridge& bridge = **found;
  auto spec = parse_meter_spec(text);
  if (!spec.ok()) return make_error(spec.error());
  TRY_ASSIGN(dp_config, datapath_meter(*spec));
  RulesUndo before = snapshot_rules(bridge);
  if (auto st = dpif_->set_meter(bridge_name, spec->meter_id, dp_config); !st.ok())
    return make_error(st.error());
  {
    std::unique_lock lock(bridge.state_mutex);
    bridge.state.meters[spec->meter_id] = *spec;
  }
  uint32_t id = spec->meter_id;
  std::optional<MeterSpec> old;
  if (auto it = before.meters.find(id); it != before.meters.end()) old = it->second;
  return commit_change(bridge, bridges, [&] {
    put_back(bridge, before)();
    // The datapath's meter as it was: the old one, or none.
    Status undone = Ok{};
    if (old) {
      auto old_config = datapath_meter(*old);
      undone = old_config.ok() ? dpif_->set_meter(bridge_name, id, *old_config) : make_error(old_config.error());
    } else {
      undone = dpif_->remove_meter(bridge_name, id);
    }
    if (!undone.ok())
      spdlog::warn("bridge {}: putting meter {} back: {}", bridge_name, id, undone.error());
  });
}

Status Ofproto::del_meters(const std::string& bridge_name, const std::string& text) {
  std::lock_guard config(config_mutex_);
  std::shared_lock bridges(bridges_mutex_);
  auto found = find_bridge(bridge_name);
  if (!found.ok()) return make_error(found.error());
  Bridge& bridge = **found;
  auto filter = parse_id_filter(text, "meter", "del-meters", 1, 0xffff0000u);
  if (!filter.ok()) return make_error(filter.error());
  std::optional<uint32_t> only = *filter;
  RulesUndo before = snapshot_rules(bridge);
  std::set<uint32_t> removed;
  {
    std::unique_lock lock(bridge.state_mutex);
    for (auto it = bridge.state.meters.begin(); it != bridge.state.meters.end();) {
      if (!only || it->first == *only) {
        removed.insert(it->first);
        it = bridge.state.meters.erase(it);
      } else {
        ++it;
      }
    }
  }
  TRY_STATUS(commit_change(bridge, bridges, put_back(bridge, before)));
  // Saved without them: now the datapath lets them go.
  for (uint32_t id : removed) (void)dpif_->remove_meter(bridge_name, id);
  return Ok{};
}

Result<std::vector<std::string>> Ofproto::dump_meters(const std::string& bridge_name) const {
  std::shared_lock bridges(bridges_mutex_);
  auto found = find_bridge(bridge_name);
  if (!found.ok()) return make_error(found.error());
  std::shared_lock lock((*found)->state_mutex);
  std::vector<std::string> out;
  for (const auto& [id, meter] : (*found)->state.meters) out.push_back(format_meter_spec(meter));
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
