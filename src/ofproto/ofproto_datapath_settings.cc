// Ofproto: the settings of a bridge's datapath (flow limit, upcall rate
// limit, exact-match cache and its insertion probability, vlan-limit) and its max-idle, changed at run
// time and kept in the state file; and upcall/show, what the upcall layer
// (its revalidator and handlers) makes of them.
#include "ofproto/bridge.h"
#include "ofproto/ofproto.h"

namespace flowpath::ofproto {

DatapathSettings to_datapath_settings(const BridgeConfig::DatapathSettingsConfig& config) {
  DatapathSettings settings;
  if (config.vlan_limit) settings.vlan_limit = static_cast<int>(*config.vlan_limit);
  if (config.flow_limit) settings.flow_limit = static_cast<size_t>(*config.flow_limit);
  settings.upcall_rate = config.upcall_rate;
  settings.emc = config.emc;
  settings.emc_insert_inv_prob = config.emc_insert_inv_prob;
  return settings;
}

namespace {

constexpr uint32_t kMinMaxIdleMs = 500;

void merge(BridgeConfig::DatapathSettingsConfig& config, const DatapathSettings& change) {
  if (change.vlan_limit) config.vlan_limit = static_cast<uint32_t>(*change.vlan_limit);
  if (change.flow_limit) config.flow_limit = *change.flow_limit;
  if (change.upcall_rate) config.upcall_rate = *change.upcall_rate;
  if (change.emc) config.emc = *change.emc;
  if (change.emc_insert_inv_prob) config.emc_insert_inv_prob = *change.emc_insert_inv_prob;
}

// What `change` sets, as `before` had it.
DatapathSettings undo_of(const DatapathSettings& change, const DatapathSettings& before) {
  DatapathSettings undo;
  if (change.vlan_limit) undo.vlan_limit = before.vlan_limit;
  if (change.flow_limit) undo.flow_limit = before.flow_limit;
  if (change.upcall_rate) undo.upcall_rate = before.upcall_rate;
  if (change.emc) undo.emc = before.emc;
  if (change.emc_insert_inv_prob) undo.emc_insert_inv_prob = before.emc_insert_inv_prob;
  return undo;
}

}  // namespace

Status Ofproto::set_datapath_settings(const std::string& bridge_name,
                                      const DatapathSettings& settings,
                                      std::optional<uint32_t> max_idle_ms) {
  std::lock_guard config(config_mutex_);
  if (auto st = check_datapath_settings(settings); !st.ok()) return st;
  if (max_idle_ms && *max_idle_ms < kMinMaxIdleMs)
    return make_error("max-idle " + std::to_string(*max_idle_ms) + " ms is below 500 ms");
  if (!dpif_) return make_error("the slow path is not attached to a datapath interface");
  std::shared_lock bridges(bridges_mutex_);
  TRY_ASSIGN(found, find_bridge(bridge_name));
  Bridge& bridge = *found;
  TRY_ASSIGN(before, dpif_->settings(bridge.name));
  const BridgeConfig::DatapathSettingsConfig old_config = bridge.datapath_settings;
  const uint32_t old_max_idle = bridge.max_idle_ms;
  if (auto st = dpif_->set_settings(bridge.name, settings); !st.ok()) return st;
  merge(bridge.datapath_settings, settings);
  if (max_idle_ms) bridge.max_idle_ms = *max_idle_ms;
  bridges.unlock();  // the config mutex keeps the bridge
  Status saved = save_state();
  if (!saved) {  // unchanged unless on disk
    (void)dpif_->set_settings(bridge.name, undo_of(settings, before));
    bridge.datapath_settings = old_config;
    bridge.max_idle_ms = old_max_idle;
  } else if (max_idle_ms) {
    (void)upcalls_->set_max_idle(bridge_name, *max_idle_ms);
  }
  revalidate_now();
  return saved;
}

Status Ofproto::set_handler_threads(unsigned threads) {
  if (!dpif_) return make_error("the slow path is not attached to a datapath interface");
  return dpif_->set_handler_threads(threads);
}

Status Ofproto::set_forwarding_cpus(const std::vector<std::optional<unsigned>>& cpus) {
  if (!dpif_) return make_error("the slow path is not attached to a datapath interface");
  return dpif_->set_forwarding_cpus(cpus);
}

std::vector<Ofproto::UpcallStatus> Ofproto::upcall_status() const {
  std::vector<UpcallStatus> out;
  // The upcall layer is asked with no lock of ours held (lock order: ofproto.h).
  for (const std::string& name : list_bridges()) {
    UpcallStatus s;
    s.bridge = name;
    auto upcalls = upcalls_->status(name);
    if (!upcalls) continue;  // deleted meanwhile
    s.flows_max = upcalls->flows_max;
    s.last_dump_us = upcalls->last_dump_us;
    s.max_idle_ms = upcalls->max_idle_ms;
    s.ukeys = upcalls->ukeys;
    if (dpif_) {
      if (auto stats = dpif_->datapath_stats(name); stats.ok()) {
        s.flows = stats->flows;
        s.flow_limit = stats->flow_limit;
        s.flow_limit_configured = stats->flow_limit_configured;
        s.handler_threads = stats->handler_threads;
        s.upcall_rate = stats->upcall_rate;
        s.upcalls_rate_limited = stats->drops.count[index_of(DropReason::kUpcallRateLimited)];
        s.upcalls_queued = stats->upcalls_queued;
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace flowpath::ofproto
