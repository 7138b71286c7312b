// Ofproto: a bridge's OpenFlow controllers and fail mode (ovs-vsctl
// set-controller, set-fail-mode), the connection manager's report on them,
// and the asynchronous events (port and rule changes) it sends on.
#include <fmt/format.h>
#include "common/log_modules.h"

#include <set>

#include "common/clock.h"
#include "ofproto/bridge.h"
#include "ofproto/ofproto.h"
#include "ofproto/rule_batch.h"
#include "ofproto/rules_undo.h"
#include "openflow/channel/endpoint.h"

namespace flowpath::ofproto {

namespace {

// Open vSwitch allows at least 5 s between probes; flowpath lets tests and
// impatient operators go down to 1 s.
constexpr uint32_t kMinInactivityProbeMs = 1000;
constexpr uint32_t kMinMaxBackoffMs = 1000;
// Events queued while no connection takes them are dropped beyond this.
constexpr size_t kMaxQueuedEvents = 4096;

Status check_settings(const ControllerSettings& settings) {
  std::set<std::string> seen;
  for (const std::string& target : settings.targets) {
    auto endpoint = openflow::channel::parse_endpoint(target);
    if (!endpoint.ok()) return make_error("controller " + endpoint.error());
    if (!seen.insert(endpoint->to_string()).second)
      return make_error("controller \"" + target + "\" is given twice");
  }
  if (settings.inactivity_probe_ms && settings.inactivity_probe_ms < kMinInactivityProbeMs)
    return make_error(fmt::format("inactivity probe {} ms: at least {} ms, or 0 for none",
                                  settings.inactivity_probe_ms, kMinInactivityProbeMs));
  if (settings.max_backoff_ms < kMinMaxBackoffMs)
    return make_error(fmt::format("max backoff {} ms: at least {} ms", settings.max_backoff_ms,
                                  kMinMaxBackoffMs));
  return Ok{};
}

}  // namespace

void Ofproto::flush_openflow_locked(Bridge& bridge, RuleChanges* changes) {
  {
    std::unique_lock state(bridge.state_mutex);
    bridge.state.groups.clear();
    bridge.state.meters.clear();
    std::lock_guard rules(bridge.state.tables.mutex());
    RuleBatch batch(bridge.state.tables);
    std::vector<RulePtr> all;
    for (const RuleTable& table : bridge.state.tables)
      if (table.size()) table.all(batch.version(), &all);
    for (const RulePtr& rule : all) batch.remove(*rule);
    if (bridge.controllers.targets.empty() &&
        bridge.fail_mode.value_or(FailMode::kStandalone) == FailMode::kStandalone) {
      auto rule = std::make_shared<Rule>();
      rule->priority = 0;
      rule->actions.push_back(action::Output{kOfppNormal});
      rule->created_ms = monotonic_ms();
      rule->counters->last_used_ms.store(rule->created_ms);
      rule->sequence = bridge.state.next_rule_sequence++;
      batch.add(std::move(rule));
    }
    *changes = batch.changes();
    batch.commit();
  }
  bridge.changed();
}

Status Ofproto::set_controllers(const std::string& bridge_name, ControllerSettings settings) {
  TRY_STATUS(check_settings(settings));
  std::lock_guard config(config_mutex_);
  std::shared_lock bridges(bridges_mutex_);
  TRY_ASSIGN(bridge, find_bridge(bridge_name));
  bool had, has;
  ControllerSettings old;
  {
    std::lock_guard guard(bridge->controller_mutex);
    if (bridge->controllers == settings) return Ok{};
    old = bridge->controllers;
    had = !bridge->controllers.targets.empty();
    bridge->controllers = std::move(settings);
    has = !bridge->controllers.targets.empty();
  }
  RulesUndo before = snapshot_rules(*bridge);
  if (had != has && !restoring_) flush_openflow_locked(*bridge, &before.rules);
  Bridge* changed = bridge;
  TRY_STATUS(commit_change(*bridge, bridges, [&] {
    put_back(*changed, before)();
    std::lock_guard guard(changed->controller_mutex);
    changed->controllers = old;
  }));
  module_log(LogModule::kOfproto).info("bridge {}: controllers {}", bridge_name,
               has ? fmt::format("{}", fmt::join(changed->controllers.targets, " ")) : "none");
  if (change_observer_) change_observer_();
  return Ok{};
}

Result<ControllerSettings> Ofproto::get_controllers(const std::string& bridge_name) const {
  std::shared_lock bridges(bridges_mutex_);
  TRY_ASSIGN(bridge, find_bridge(bridge_name));
  std::lock_guard guard(bridge->controller_mutex);
  return bridge->controllers;
}

Status Ofproto::set_fail_mode(const std::string& bridge_name, std::optional<FailMode> mode) {
  std::lock_guard config(config_mutex_);
  std::shared_lock bridges(bridges_mutex_);
  TRY_ASSIGN(bridge, find_bridge(bridge_name));
  auto effective = [](std::optional<FailMode> m) { return m.value_or(FailMode::kStandalone); };
  bool changed;
  std::optional<FailMode> old;
  {
    std::lock_guard guard(bridge->controller_mutex);
    if (bridge->fail_mode == mode) return Ok{};
    old = bridge->fail_mode;
    changed = effective(bridge->fail_mode) != effective(mode);
    bridge->fail_mode = mode;
  }
  RulesUndo before = snapshot_rules(*bridge);
  if (changed && bridge->controllers.targets.empty() && !restoring_)
    flush_openflow_locked(*bridge, &before.rules);
  Bridge* target = bridge;
  TRY_STATUS(commit_change(*bridge, bridges, [&] {
    put_back(*target, before)();
    std::lock_guard guard(target->controller_mutex);
    target->fail_mode = old;
  }));
  module_log(LogModule::kOfproto).info("bridge {}: fail mode {}", bridge_name, mode ? to_string(*mode) : "unset");
  if (change_observer_) change_observer_();
  return Ok{};
}

Result<std::optional<FailMode>> Ofproto::get_fail_mode(const std::string& bridge_name) const {
  std::shared_lock bridges(bridges_mutex_);
  TRY_ASSIGN(bridge, find_bridge(bridge_name));
  std::lock_guard guard(bridge->controller_mutex);
  return bridge->fail_mode;
}

void Ofproto::report_controllers(const std::string& bridge_name, ControllerReport report) {
  std::shared_lock bridges(bridges_mutex_);
  auto found = find_bridge(bridge_name);
  if (!found.ok()) return;
  Bridge& bridge = **found;
  {
    std::lock_guard guard(bridge.controller_mutex);
    bridge.controller_status = std::move(report.controllers);
  }
  bool changed = false;
  {
    std::shared_lock state(bridge.state_mutex);
    changed = bridge.state.fail_open != report.fail_open ||
              bridge.state.packet_in_on_miss != report.packet_in_on_miss;
  }
  if (!changed) return;
  {
    std::unique_lock state(bridge.state_mutex);
    if (bridge.state.fail_open != report.fail_open)
      module_log(LogModule::kOfproto).warn("bridge {}: {}", bridge_name,
                   report.fail_open ? "no controller reachable: fail-open, forwarding with NORMAL"
                                    : "a controller is back: leaving fail-open");
    bridge.state.fail_open = report.fail_open;
    bridge.state.packet_in_on_miss = report.packet_in_on_miss;
  }
  bridge.changed();
  bridges.unlock();
  revalidate_now();  // megaflows translated under the old behaviour go
}

Result<std::vector<ControllerStatus>> Ofproto::controller_status(const std::string& bridge_name) const {
  std::shared_lock bridges(bridges_mutex_);
  TRY_ASSIGN(bridge, find_bridge(bridge_name));
  std::lock_guard guard(bridge->controller_mutex);
  return bridge->controller_status;
}

// ---- Asynchronous events

void Ofproto::queue_port_change(Bridge& bridge, uint8_t reason, const BridgePort& port) {
  PortChange change;
  change.reason = reason;
  change.port.config = port.config;
  change.port.dp_port = port.dp_port;
  change.port.ofport = dp_port_to_of(port.dp_port);
  change.port.link_up = port.link_up;
  change.port.stats = {};
  {
    std::lock_guard guard(bridge.packet_in_mutex);
    if (bridge.port_changes.size() >= kMaxQueuedEvents) return;
    bridge.port_changes.push_back(std::move(change));
  }
  if (change_observer_) change_observer_();
}

void Ofproto::queue_rule_removed(Bridge& bridge, const RulePtr& rule, uint8_t reason,
                                 uint64_t now_ms) {
  if (!rule->send_flow_removed) return;
  {
    std::lock_guard guard(bridge.packet_in_mutex);
    if (bridge.rules_removed.size() >= kMaxQueuedEvents) return;
    bridge.rules_removed.push_back(RuleRemoved{rule, reason, now_ms});
  }
  if (change_observer_) change_observer_();
}

Result<AsyncBacklog> Ofproto::take_async(const std::string& bridge_name, bool packet_ins) {
  std::shared_lock bridges(bridges_mutex_);
  TRY_ASSIGN(bridge, find_bridge(bridge_name));
  AsyncBacklog out;
  std::lock_guard guard(bridge->packet_in_mutex);
  if (packet_ins) {
    out.packet_ins.assign(std::make_move_iterator(bridge->packet_ins.begin()),
                          std::make_move_iterator(bridge->packet_ins.end()));
    bridge->packet_ins.clear();
  }
  out.port_changes.swap(bridge->port_changes);
  out.rules_removed.swap(bridge->rules_removed);
  return out;
}

}  // namespace flowpath::ofproto
