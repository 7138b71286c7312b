#include "ovsdb/reconciler.h"

#include "common/log_modules.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "common/clock.h"
#include "vport/netdev.h"

namespace flowpath::ovsdb {

namespace {

constexpr int64_t kLocalOfport = 65534;  // OFPP_LOCAL as the Interface table numbers it
constexpr const char* kDatapathVersion = "flowpath userspace datapath";

std::string mac_text(const std::array<uint8_t, 6>& mac) {
  char text[18];
  std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                mac[4], mac[5]);
  return text;
}

std::array<uint8_t, 6> parse_mac(const std::string& text) {  // checked by the intent
  std::array<uint8_t, 6> mac{};
  for (size_t i = 0; i < 6; ++i) mac[i] = static_cast<uint8_t>(std::stoul(text.substr(i * 3, 2), nullptr, 16));
  return mac;
}

// The device columns of an Interface that has a Linux device.
void add_device_status(const std::string& name, Json& row) {
  auto index = interface_index(name);
  row["ifindex"] = index.ok() ? Json(*index) : encode_set({});
  auto mac = interface_mac(name);
  row["mac_in_use"] = mac.ok() ? Json(mac_text(*mac)) : encode_set({});
  auto mtu = interface_mtu(name);
  row["mtu"] = mtu.ok() ? Json(*mtu) : encode_set({});
}

// The status ovs-vswitchd writes for a tunnel interface (netdev-vport's
// get_status): the underlay device the route to remote_ip leaves by, and
// its carrier; nothing when remote_ip is flow or no route reaches it.
Json tunnel_status(const tunnel::TunnelConfig& config, tunnel::Underlay* underlay) {
  std::map<std::string, std::string> status;
  if (underlay && config.remote_ip.fixed()) {
    if (auto remote = tunnel::parse_address(config.remote_ip.to_string()))
      if (auto route = underlay->route_to(*remote, monotonic_ms()); route && !route->device.empty()) {
        auto up = interface_link_up(route->device);
        status["tunnel_egress_iface"] = route->device;
        status["tunnel_egress_iface_carrier"] = up.ok() && *up ? "up" : "down";
      }
  }
  return encode_string_map(status);
}

Json statistics_of(const VportStats& stats) {
  return encode_integer_map({{"rx_packets", static_cast<int64_t>(stats.rx_packets)},
                             {"rx_bytes", static_cast<int64_t>(stats.rx_bytes)},
                             {"rx_errors", static_cast<int64_t>(stats.rx_errors)},
                             {"rx_dropped", static_cast<int64_t>(stats.rx_dropped)},
                             {"tx_packets", static_cast<int64_t>(stats.tx_packets)},
                             {"tx_bytes", static_cast<int64_t>(stats.tx_bytes)},
                             {"tx_errors", static_cast<int64_t>(stats.tx_errors)},
                             {"tx_dropped", static_cast<int64_t>(stats.tx_dropped)}});
}

Json update_operation(const std::string& table, const std::string& uuid, Json row) {
  return Json{{"op", "update"},
              {"table", table},
              {"where", Json::array({Json::array({"_uuid", "==", encode_uuid(uuid)})})},
              {"row", std::move(row)}};
}

// The columns of `wanted` whose value differs from the replica's row.
Json changed_columns(const Replica& replica, const std::string& table, const std::string& uuid,
                     const Json& wanted, const std::vector<std::string>& always = {}) {
  const Row* current = replica.row(table, uuid);
  Json changed = Json::object();
  for (const auto& [column, value] : wanted.items()) {
    bool force = std::find(always.begin(), always.end(), column) != always.end();
    if (force || !current || Replica::column(*current, column) != value) changed[column] = value;
  }
  return changed;
}

}  // namespace

bool same_port_settings(const ofproto::PortConfig& a, const ofproto::PortConfig& b) {
  return a.name == b.name && a.type == b.type && a.options == b.options && a.ofport == b.ofport &&
         a.tag == b.tag && a.trunks == b.trunks && a.vlan_mode == b.vlan_mode;
}

void Reconciler::apply(const SwitchIntent& intent) {
  std::vector<std::string> problems = intent.problems;
  for (const BridgeIntent& bridge : intent.bridges)
    for (const std::string& problem : bridge.problems)
      problems.push_back("bridge " + bridge.name + ": " + problem);
  std::vector<std::string> existing = ofproto_.list_bridges();
  for (const std::string& name : existing) {
    bool wanted = std::any_of(intent.bridges.begin(), intent.bridges.end(),
                              [&](const BridgeIntent& b) { return b.name == name; });
    if (wanted) continue;
    if (auto st = ofproto_.del_bridge(name, true); !st.ok())
      module_log(LogModule::kOvsdb).error("ovsdb: deleting bridge {}: {}", name, st.error());
    for (auto it = applied_.begin(); it != applied_.end();)
      it = it->second.bridge == name ? applied_.erase(it) : std::next(it);
    bridge_hwaddr_.erase(name);
    bridge_datapath_settings_.erase(name);
  }
  controller_errors_.clear();
  choose_emc(intent);
  apply_handler_threads(intent);
  apply_forwarding_cpus(intent);
  for (const BridgeIntent& bridge : intent.bridges) {
    bool created = std::find(existing.begin(), existing.end(), bridge.name) == existing.end();
    apply_bridge(bridge, created);
    apply_controllers(bridge);
    for (const ControllerIntent& controller : bridge.controllers)
      if (auto error = controller_errors_.find(controller.uuid); error != controller_errors_.end())
        problems.push_back("bridge " + bridge.name + ": controller " + controller.target +
                           " not applied: " + error->second);
    // Open vSwitch's default when the key goes.
    if (auto st = ofproto_.set_max_idle(bridge.name, intent.max_idle_ms.value_or(10000)); !st.ok())
      module_log(LogModule::kOvsdb).error("ovsdb: bridge {}: {}", bridge.name, st.error());
    apply_datapath_settings(intent, bridge.name);
  }
  apply_ports(intent);
  if (problems != last_problems_)
    for (const std::string& problem : problems) module_log(LogModule::kOvsdb).warn("ovsdb: {}", problem);
  last_problems_ = std::move(problems);
}

void Reconciler::apply_handler_threads(const SwitchIntent& intent) {
  unsigned wanted = defaults_.handler_threads;
  // 0 is the default, as in Open vSwitch: the same as no key.
  if (const auto& key = intent.handler_threads; key.value) {
    if (*key.value != 0) wanted = *key.value;
  } else if (key.invalid && handler_threads_) {
    return;  // refused (logged with the problems): what runs stays
  }
  if (handler_threads_ == wanted) return;
  if (auto st = ofproto_.set_handler_threads(wanted); !st.ok()) {
    module_log(LogModule::kOvsdb).error("ovsdb: n-handler-threads {}: {}", wanted, st.error());
    return;
  }
  handler_threads_ = wanted;
}

void Reconciler::apply_forwarding_cpus(const SwitchIntent& intent) {
  std::vector<std::optional<unsigned>> wanted = defaults_.forwarding_cpus;
  if (const auto& key = intent.forwarding_cpus; key.value) {
    wanted.assign(key.value->begin(), key.value->end());
  } else if (key.invalid) {
    return;  // refused (logged with the problems): what runs stays
  }
  if (wanted.empty() || forwarding_cpus_ == wanted) return;
  forwarding_cpus_ = wanted;
  if (auto st = ofproto_.set_forwarding_cpus(wanted); !st.ok())
    module_log(LogModule::kOvsdb).warn("ovsdb: other_config:pmd-cpu-mask not applied, the "
                                       "running value stays: {}", st.error());
}

void Reconciler::choose_emc(const SwitchIntent& intent) {
  EmcSetting wanted{defaults_.emc, defaults_.emc_insert_inv_prob};
  if (const auto& key = intent.emc_insert_inv_prob; key.value) {
    wanted = EmcSetting{*key.value != 0, *key.value};
  } else if (key.invalid && emc_) {
    return;  // refused (logged with the problems): what runs stays
  }
  if (emc_ && *emc_ == wanted) return;
  const char* from = intent.emc_insert_inv_prob.value ? "other_config:emc-insert-inv-prob"
                                                       : "flowpathd's --emc, --emc-insert-inv-prob";
  if (!wanted.on)
    module_log(LogModule::kOvsdb).info("ovsdb: exact-match cache off ({})", from);
  else if (wanted.inverse_probability == 0)
    module_log(LogModule::kOvsdb).info("ovsdb: exact-match cache on, no insertion ({})", from);
  else
    module_log(LogModule::kOvsdb).info("ovsdb: exact-match cache on, insertion probability 1/{} "
                                       "(~{:.2f}%) ({})", wanted.inverse_probability,
                                       100.0 / wanted.inverse_probability, from);
  emc_ = wanted;
}

void Reconciler::apply_datapath_settings(const SwitchIntent& intent, const std::string& bridge) {
  const AppliedDatapathSettings wanted{intent.flow_limit.value_or(200'000),
                                       intent.vlan_limit.value_or(1),
                                       emc_.value_or(EmcSetting{defaults_.emc,
                                                                defaults_.emc_insert_inv_prob})};
  auto applied = bridge_datapath_settings_.find(bridge);
  if (applied != bridge_datapath_settings_.end() && applied->second == wanted) return;
  DatapathSettings settings;
  settings.flow_limit = static_cast<size_t>(wanted.flow_limit);
  settings.vlan_limit = wanted.vlan_limit;
  settings.emc = wanted.emc.on;
  settings.emc_insert_inv_prob = wanted.emc.inverse_probability;
  if (auto st = ofproto_.set_datapath_settings(bridge, settings, std::nullopt); !st.ok()) {
    module_log(LogModule::kOvsdb).error(
        "ovsdb: bridge {}: flow-limit {}, vlan-limit {}, emc-insert-inv-prob {}: {}", bridge,
        wanted.flow_limit, wanted.vlan_limit, wanted.emc.on ? wanted.emc.inverse_probability : 0,
        st.error());
    return;
  }
  bridge_datapath_settings_[bridge] = wanted;
}

void Reconciler::apply_bridge(const BridgeIntent& bridge, bool created) {
  if (created) {
    if (auto st = ofproto_.add_bridge(bridge.name, true); !st.ok()) {
      module_log(LogModule::kOvsdb).error("ovsdb: adding bridge {}: {}", bridge.name, st.error());
      return;
    }
  }
  auto config = ofproto_.bridge_config(bridge.name);
  if (!config.ok()) return;
  // Back to Open vSwitch's defaults when a key is removed.
  size_t size = bridge.mac_table_size.value_or(8192);
  uint32_t aging = bridge.mac_aging_seconds.value_or(300);
  if (size != config->mac_table_size || aging != config->mac_aging_seconds)
    if (auto st = ofproto_.set_mac_table(bridge.name, size, aging); !st.ok())
      module_log(LogModule::kOvsdb).error("ovsdb: bridge {}: {}", bridge.name, st.error());
  if (bridge.hwaddr && bridge_hwaddr_[bridge.name] != *bridge.hwaddr) {
    if (auto st = set_interface_mac(bridge.name, parse_mac(*bridge.hwaddr)); !st.ok()) {
      module_log(LogModule::kOvsdb).error("ovsdb: bridge {}: other_config:hwaddr: {}", bridge.name, st.error());
    } else {
      bridge_hwaddr_[bridge.name] = *bridge.hwaddr;
    }
  }
}

void Reconciler::apply_controllers(const BridgeIntent& bridge) {
  // Flowpath keeps one max_backoff and inactivity_probe per bridge: the
  // first usable row sets them, a row that asks for others is not applied.
  ofproto::ControllerSettings settings;
  std::vector<const ControllerIntent*> applied;
  for (const ControllerIntent& controller : bridge.controllers) {
    if (!controller.error.empty()) {
      controller_errors_[controller.uuid] = controller.error;
      continue;
    }
    if (!applied.empty() && (controller.max_backoff_ms != settings.max_backoff_ms ||
                             controller.inactivity_probe_ms != settings.inactivity_probe_ms)) {
      controller_errors_[controller.uuid] = fmt::format(
          "max_backoff={} inactivity_probe={} differ from controller {}'s ({} and {}): flowpath "
          "has one of each per bridge",
          controller.max_backoff_ms, controller.inactivity_probe_ms, applied.front()->target,
          settings.max_backoff_ms, settings.inactivity_probe_ms);
      continue;
    }
    if (std::find(settings.targets.begin(), settings.targets.end(), controller.target) !=
        settings.targets.end()) {
      controller_errors_[controller.uuid] = "target " + controller.target + " is given twice";
      continue;
    }
    settings.max_backoff_ms = controller.max_backoff_ms;
    settings.inactivity_probe_ms = controller.inactivity_probe_ms;
    settings.targets.push_back(controller.target);
    applied.push_back(&controller);
  }
  std::sort(settings.targets.begin(), settings.targets.end());  // the set's order means nothing
  if (auto st = ofproto_.set_controllers(bridge.name, settings); !st.ok()) {
    module_log(LogModule::kOvsdb).error("ovsdb: bridge {}: controllers: {}", bridge.name, st.error());
    for (const ControllerIntent* controller : applied) controller_errors_[controller->uuid] = st.error();
  }
  // The schema allows "", standalone and secure only.
  std::optional<ofproto::FailMode> mode;
  if (!bridge.fail_mode.empty()) mode = ofproto::parse_fail_mode(bridge.fail_mode);
  if (auto st = ofproto_.set_fail_mode(bridge.name, mode); !st.ok())
    module_log(LogModule::kOvsdb).error("ovsdb: bridge {}: fail_mode: {}", bridge.name, st.error());
}

void Reconciler::apply_ports(const SwitchIntent& intent) {
  // Interface name -> (bridge, intent) for every interface flowpath should open.
  std::map<std::string, std::pair<std::string, const InterfaceIntent*>> wanted;
  errors_.clear();
  for (const BridgeIntent& bridge : intent.bridges) {
    for (const PortIntent& port : bridge.ports) {
      for (const InterfaceIntent& iface : port.interfaces) {
        if (!iface.error.empty()) {
          errors_[iface.uuid] = iface.error;
        } else if (!iface.local) {
          if (wanted.count(iface.name)) {
            errors_[iface.uuid] = "interface " + iface.name + " is already in bridge " +
                                  wanted[iface.name].first;
            continue;
          }
          wanted[iface.name] = {bridge.name, &iface};
        }
      }
    }
  }
  // Delete first: a port moving between bridges, or renumbered, must be gone
  // before it is added again.
  for (const std::string& bridge : ofproto_.list_bridges()) {
    auto ports = ofproto_.list_ports(bridge);
    if (!ports.ok()) continue;
    for (const ofproto::PortStatus& port : *ports) {
      if (port.dp_port == 0) continue;
      auto want = wanted.find(port.config.name);
      auto applied = applied_.find(port.config.name);
      bool keep = want != wanted.end() && want->second.first == bridge &&
                  applied != applied_.end() && applied->second.bridge == bridge &&
                  same_port_settings(applied->second.config, want->second.second->port);
      if (keep) continue;
      if (auto st = ofproto_.del_port(bridge, port.config.name); !st.ok())
        module_log(LogModule::kOvsdb).error("ovsdb: bridge {}: deleting port {}: {}", bridge, port.config.name, st.error());
      applied_.erase(port.config.name);
    }
  }
  // Ports that request their number first, so that a number a port only had
  // before (previous_ofport) never takes one another port asks for.
  for (bool requested : {true, false}) {
    for (const auto& [name, entry] : wanted) {
      const auto& [bridge, iface] = entry;
      if (applied_.count(name) || (iface->port.ofport != 0) != requested) continue;
      Result<uint32_t> ofport = make_error("");
      if (iface->port.ofport == 0 && iface->previous_ofport != 0) {
        ofproto::PortConfig again = iface->port;
        again.ofport = iface->previous_ofport;
        ofport = ofproto_.add_port(bridge, again);
      }
      if (!ofport.ok()) ofport = ofproto_.add_port(bridge, iface->port);
      if (!ofport.ok()) {
        module_log(LogModule::kOvsdb).error("ovsdb: bridge {}: adding port {}: {}", bridge, name, ofport.error());
        errors_[iface->uuid] = ofport.error();
        continue;
      }
      applied_[name] = Applied{bridge, iface->port};
    }
  }
}

void Reconciler::add_controller_status(const BridgeIntent& bridge, const Replica& replica,
                                       bool with_times, Json& operations) const {
  std::map<std::string, ofproto::ControllerStatus> live;
  if (auto list = ofproto_.controller_status(bridge.name); list.ok())
    for (ofproto::ControllerStatus& status : *list) live[status.target] = std::move(status);
  const uint64_t now = monotonic_ms();
  for (const ControllerIntent& controller : bridge.controllers) {
    bool connected = false;
    Json role = encode_set({});
    std::map<std::string, std::string> status;
    auto error = controller_errors_.find(controller.uuid);
    auto found = live.find(controller.target);
    if (error != controller_errors_.end()) {
      status = {{"state", "VOID"}, {"last_error", "not applied: " + error->second}};
    } else if (found != live.end() && found->second.state != "LISTENING") {
      // An active target, as ovs-vswitchd reports its rconn. A passive one
      // (ptcp:, punix:) gets no status, as in Open vSwitch.
      const ofproto::ControllerStatus& s = found->second;
      connected = s.connected;
      if (s.connected) role = Json(s.role == "equal" ? "other" : s.role);
      status["state"] = s.state;
      if (!s.last_error.empty()) status["last_error"] = s.last_error;
      if (s.connected_at_ms)
        status["sec_since_connect"] = std::to_string((now - std::min(now, s.connected_at_ms)) / 1000);
      if (s.disconnected_at_ms)
        status["sec_since_disconnect"] =
            std::to_string((now - std::min(now, s.disconnected_at_ms)) / 1000);
    }
    Json row = {{"is_connected", connected}, {"role", role}, {"status", encode_string_map(status)}};
    const Row* current = replica.row("Controller", controller.uuid);
    if (current && !with_times) {
      // The seconds move every second; between statistics rounds (5 s, as
      // ovs-vswitchd refreshes controller status) only a change of state,
      // role or error is written.
      auto written = string_map(Replica::column(*current, "status"), "status");
      if (written.ok()) {
        auto without_times = [](std::map<std::string, std::string> m) {
          m.erase("sec_since_connect");
          m.erase("sec_since_disconnect");
          return m;
        };
        if (Replica::column(*current, "is_connected") == row["is_connected"] &&
            Replica::column(*current, "role") == row["role"] &&
            without_times(*written) == without_times(status))
          continue;
      }
    }
    if (Json changed = changed_columns(replica, "Controller", controller.uuid, row); !changed.empty())
      operations.push_back(update_operation("Controller", controller.uuid, std::move(changed)));
  }
}

Json Reconciler::status_operations(const SwitchIntent& intent, const Replica& replica,
                                   bool with_statistics) const {
  Json operations = Json::array();
  if (intent.root_uuid.empty()) return operations;
  for (const BridgeIntent& bridge : intent.bridges) {
    std::map<std::string, ofproto::PortStatus> ports;
    if (auto list = ofproto_.list_ports(bridge.name); list.ok())
      for (ofproto::PortStatus& port : *list) ports[port.config.name] = std::move(port);
    const bool exists = ports.count(bridge.name) > 0;

    Json bridge_row = Json::object();
    std::optional<uint64_t> dpid = bridge.datapath_id;
    if (!dpid && exists)
      if (auto mac = interface_mac(bridge.name); mac.ok()) {
        dpid = 0;
        for (uint8_t byte : *mac) *dpid = *dpid << 8 | byte;
      }
    if (dpid) {
      char text[17];
      std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(*dpid));
      bridge_row["datapath_id"] = text;
    } else {
      bridge_row["datapath_id"] = encode_set({});
    }
    bridge_row["datapath_version"] = exists ? Json(kDatapathVersion) : encode_set({});
    if (Json changed = changed_columns(replica, "Bridge", bridge.uuid, bridge_row); !changed.empty())
      operations.push_back(update_operation("Bridge", bridge.uuid, std::move(changed)));

    add_controller_status(bridge, replica, with_statistics, operations);

    for (const PortIntent& port : bridge.ports) {
      for (const InterfaceIntent& iface : port.interfaces) {
        Json row = Json::object();
        auto error = errors_.find(iface.uuid);
        auto found = ports.find(iface.name);
        if (error != errors_.end() || found == ports.end()) {
          row["ofport"] = -1;
          row["error"] = error != errors_.end() ? error->second
                                                : "bridge " + bridge.name + " could not be created";
          for (const char* column : {"ifindex", "mac_in_use", "mtu", "link_state", "admin_state"})
            row[column] = encode_set({});
          row["status"] = encode_string_map({});
        } else {
          const ofproto::PortStatus& status = found->second;
          row["ofport"] = iface.local ? kLocalOfport : static_cast<int64_t>(status.ofport);
          // A port waiting for its interface has its number; the Interface
          // says why it carries nothing, as Open vSwitch's error column does.
          row["error"] = status.absent ? Json(status.absent_reason) : encode_set({});
          row["link_state"] = status.link_up ? "up" : "down";
          auto admin = interface_admin_up(iface.name);
          bool device_up = !admin.ok() || *admin;
          row["admin_state"] = status.config.admin_up && device_up ? "up" : "down";
          if (iface.tunnel) {
            // No device: as ovs-vswitchd shows a userspace tunnel port, ifindex
            // 0 and no MTU; flowpath's tunnel ports have no Ethernet address.
            row["ifindex"] = 0;
            row["mac_in_use"] = encode_set({});
            row["mtu"] = encode_set({});
            row["status"] = tunnel_status(*iface.tunnel, underlay_);
          } else {
            add_device_status(iface.name, row);
          }
          if (with_statistics) row["statistics"] = statistics_of(status.stats);
        }
        std::vector<std::string> always;
        if (with_statistics && row.contains("statistics")) always.push_back("statistics");
        if (Json changed = changed_columns(replica, "Interface", iface.uuid, row, always);
            !changed.empty())
          operations.push_back(update_operation("Interface", iface.uuid, std::move(changed)));
      }
    }
  }
  std::vector<Json> iface_types;
  std::vector<std::string> types = supported_interface_types();
  std::sort(types.begin(), types.end());  // as the server orders a set
  for (const std::string& type : types) iface_types.push_back(type);
  Json root = {{"cur_cfg", intent.next_cfg},
               {"iface_types", encode_set(std::move(iface_types))},
               {"datapath_types", encode_set({"netdev", "system"})}};
  if (Json changed = changed_columns(replica, "Open_vSwitch", intent.root_uuid, root); !changed.empty())
    operations.push_back(update_operation("Open_vSwitch", intent.root_uuid, std::move(changed)));
  return operations;
}

}  // namespace flowpath::ovsdb
