// Ofproto: bridges and ports (the ovs-vsctl side), persistence, and the
// upcall layer's lifecycle (each bridge's datapath registered with it).
// Rules, groups and meters are in ofproto_rules.cc; what the upcall layer
// asks of a bridge in bridge_translator.cc.
#include "ofproto/ofproto.h"

#include "common/log_modules.h"

#include "ofproto/bridge.h"
#include "ofproto/bridge_translator.h"
#include "ofproto/rule_batch.h"
#include "openflow/of_group.h"
#include "common/clock.h"
#include "vport/netdev.h"
#include "vport/tunnel_port.h"

namespace flowpath::ofproto {

namespace {

bool valid_bridge_name(const std::string& name) {
  if (name.empty() || name.size() > DatapathInterface::kMaxNameLength) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  return true;
}

// Whether a port of this type has a Linux interface whose carrier counts.
bool has_interface(const PortConfig& port) {
  return port.type == "afpacket" || port.type == "afxdp" || port.type == "tap" ||
         port.type == "internal";
}

// Carrier of a port's Linux interface when the port is added; events keep
// it current from then on (interface_changed). Ports of other kinds (pcap
// files, tunnel ports) have none and count as up; a port whose interface
// does not exist is down.
bool read_link_up(const PortConfig& port) {
  if (!has_interface(port)) return true;
  auto up = interface_link_up(port.name);
  return up.ok() && *up;
}

}  // namespace

Ofproto::Ofproto(OfprotoOptions options)
    : options_(std::move(options)),
      upcalls_(std::make_shared<upcall::UpcallLayer>(
          upcall::UpcallLayerOptions{.revalidate_interval_ms = options_.revalidate_interval_ms})) {}

Ofproto::~Ofproto() {
  stop();
  // Upcalls that still come (the datapath interface outliving this object)
  // find no translator: they are counted as unhandled.
  upcalls_->remove_all_datapaths();
}

void Ofproto::attach(DatapathInterface& dpif) {
  dpif_ = &dpif;
  upcalls_->start();
}

std::unique_ptr<DatapathInterface> make_datapath_interface(const std::shared_ptr<Ofproto>& ofproto,
                                                           DatapathConfig config) {
  config.upcall_handler = ofproto->upcall_handler();
  auto dpif = std::make_unique<DatapathInterface>(std::move(config));
  ofproto->attach(*dpif);
  return dpif;
}

void Ofproto::stop() { upcalls_->stop(); }

Result<Bridge*> Ofproto::find_bridge(const std::string& name) const {
  auto it = bridges_.find(name);
  if (it == bridges_.end()) return make_error("no bridge named " + name);
  return it->second.get();
}

PortNameResolver Ofproto::port_resolver(const Bridge& bridge) const {
  std::map<std::string, uint32_t, std::less<>> names;
  {
    std::shared_lock lock(bridge.state_mutex);
    for (const auto& [dp_port, port] : bridge.state.ports)
      names[port.config.name] = dp_port_to_of(dp_port);
  }
  return [names = std::move(names)](std::string_view name) -> std::optional<uint32_t> {
    auto it = names.find(name);
    if (it == names.end()) return std::nullopt;
    return it->second;
  };
}

// ---- Bridges

Status Ofproto::add_bridge(const std::string& name, bool may_exist) {
  std::lock_guard config(config_mutex_);
  if (!valid_bridge_name(name))
    return make_error("invalid bridge name \"" + name +
                      "\": 1-15 characters of letters, digits, '-', '_' and '.'");
  {
    std::shared_lock lock(bridges_mutex_);
    if (bridges_.count(name)) {
      if (may_exist) return Ok{};
      return make_error("bridge " + name + " already exists");
    }
  }
  if (!dpif_) return make_error("the slow path is not attached to a datapath interface");
  // A bridge in the state file comes back at the next start; so do its
  // devices, with the addresses the host gave them.
  DatapathOptions datapath_options{.keep_devices = !options_.state_file.empty()};
  if (auto st = dpif_->create_datapath(name, datapath_options); !st.ok())
    return make_error(st.error());
  auto handle = dpif_->open_handle(name);
  if (!handle.ok()) return make_error(handle.error());
  auto bridge = std::make_unique<Bridge>(name);
  bridge->dp = std::move(*handle);
  bridge->state.underlay = underlay_;
  BridgePort local;
  local.config.name = name;
  local.config.type = "internal";
  local.dp_port = 0;
  local.link_up = true;
  bridge->state.ports.emplace(0, std::move(local));
  // A new bridge behaves as a learning switch, as Open vSwitch's do.
  auto rule = std::make_shared<Rule>();
  rule->priority = 0;
  rule->actions.push_back(action::Output{kOfppNormal});
  rule->created_ms = monotonic_ms();
  rule->sequence = bridge->state.next_rule_sequence++;
  {
    std::lock_guard rules(bridge->state.tables.mutex());
    RuleBatch batch(bridge->state.tables);
    batch.add(std::move(rule));
    batch.commit();
  }
  // The upcall layer serves the datapath before the bridge is listed (no
  // lock of ours held: lock order in ofproto.h).
  if (auto st = upcalls_->add_datapath(bridge->dp, std::make_shared<BridgeTranslator>(*this, *bridge));
      !st.ok()) {
    if (auto deleted = dpif_->delete_datapath(name); !deleted.ok())
      module_log(LogModule::kOfproto).warn("bridge {}: deleting its datapath again: {}", name, deleted.error());
    return st;
  }
  {
    std::unique_lock lock(bridges_mutex_);
    bridges_.emplace(name, std::move(bridge));
  }
  if (Status saved = save_state(); !saved) {
    upcalls_->remove_datapath(name);
    {
      std::unique_lock lock(bridges_mutex_);
      bridges_.erase(name);
    }
    if (auto st = dpif_->delete_datapath(name); !st.ok())
      module_log(LogModule::kOfproto).warn("bridge {}: deleting its datapath again: {}", name, st.error());
    return saved;
  }
  module_log(LogModule::kOfproto).info("bridge {} added", name);
  if (change_observer_) change_observer_();
  return Ok{};
}

Status Ofproto::del_bridge(const std::string& name, bool if_exists) {
  std::lock_guard config(config_mutex_);
  std::unique_ptr<Bridge> bridge;
  {
    std::unique_lock lock(bridges_mutex_);
    auto it = bridges_.find(name);
    if (it == bridges_.end()) {
      if (if_exists) return Ok{};
      return make_error("no bridge named " + name);
    }
    bridge = std::move(it->second);
    bridges_.erase(it);
  }
  // The state without the bridge is on disk before anything goes.
  if (Status saved = save_state(); !saved) {
    std::unique_lock lock(bridges_mutex_);
    bridges_.emplace(name, std::move(bridge));
    return saved;
  }
  // Handlers and the revalidator no longer see the bridge once the upcall
  // layer no longer serves its datapath; deleting the datapath joins its
  // handler thread.
  upcalls_->remove_datapath(name);
  bridge.reset();
  if (auto st = dpif_->delete_datapath(name); !st.ok())
    module_log(LogModule::kOfproto).warn("bridge {}: deleting its datapath: {}", name, st.error());
  module_log(LogModule::kOfproto).info("bridge {} deleted", name);
  if (change_observer_) change_observer_();
  return Ok{};
}

std::vector<std::string> Ofproto::list_bridges() const {
  std::shared_lock lock(bridges_mutex_);
  std::vector<std::string> out;
  for (const auto& [name, bridge] : bridges_) out.push_back(name);
  return out;
}

Result<uint32_t> Ofproto::add_port(const std::string& bridge_name, const PortConfig& requested) {
  std::lock_guard config(config_mutex_);
  std::shared_lock bridges(bridges_mutex_);
  auto found = find_bridge(bridge_name);
  if (!found.ok()) return make_error(found.error());
  Bridge& bridge = **found;
  for (const auto& [name, other] : bridges_) {
    std::shared_lock lock(other->state_mutex);
    for (const auto& [dp_port, port] : other->state.ports)
      if (port.config.name == requested.name)
        return make_error("interface " + requested.name + " is already a port of bridge " + name);
  }
  PortConfig port = requested;
  {
    std::shared_lock lock(bridge.state_mutex);
    if (port.ofport == 0) {
      uint32_t n = 1;
      while (bridge.state.ports.count(n)) ++n;
      port.ofport = n;
    } else if (bridge.state.ports.count(port.ofport)) {
      return make_error("bridge " + bridge_name + " already has a port " +
                        std::to_string(port.ofport) + " (" +
                        bridge.state.ports.at(port.ofport).config.name + ")");
    }
  }
  auto spec = parse_vport_spec(port.vport_spec());
  if (!spec.ok()) return make_error(spec.error());
  // A tunnel port's options, for the outer headers translation builds.
  std::optional<tunnel::TunnelConfig> tunnel_config;
  if (auto type = tunnel_type_of(spec->kind)) {
    tunnel::TunnelOptions options(spec->options.begin(), spec->options.end());
    options.erase("port_no");  // the OpenFlow number the spec carries for the datapath
    auto parsed = tunnel::parse_tunnel_config(*type, port.name, options);
    if (!parsed.ok()) return make_error(parsed.error());
    tunnel_config = *parsed;
  }
  // As ovs-vsctl add-port: a port whose interface does not exist yet is
  // kept, absent, and attached when the interface appears.
  auto dp_port = dpif_->add_port(bridge_name, *spec, MissingInterface::kWait);
  if (!dp_port.ok()) return make_error(dp_port.error());
  BridgePort added;
  {
    std::unique_lock lock(bridge.state_mutex);
    BridgePort entry;
    entry.config = port;
    entry.dp_port = *dp_port;
    entry.link_up = read_link_up(port);
    entry.tunnel = tunnel_config;
    added = entry;
    bridge.state.ports[*dp_port] = std::move(entry);
  }
  uint32_t number = *dp_port;
  TRY_STATUS(commit_change(bridge, bridges, [&] {
    {
      std::unique_lock lock(bridge.state_mutex);
      bridge.state.ports.erase(number);
    }
    bridge.state.mac.flush_port(number);
    if (auto st = dpif_->remove_port(bridge_name, std::to_string(number)); !st.ok())
      module_log(LogModule::kOfproto).warn("bridge {}: removing port {} again: {}", bridge_name, port.name, st.error());
  }));
  queue_port_change(bridge, 0, added);
  module_log(LogModule::kOfproto).info("bridge {}: port {} added as OpenFlow port {}", bridge_name, port.name, number);
  return number;
}

Status Ofproto::del_port(const std::string& bridge_name, const std::string& port_name) {
  std::lock_guard config(config_mutex_);
  std::shared_lock bridges(bridges_mutex_);
  Bridge* bridge = nullptr;
  uint32_t dp_port = 0;
  for (const auto& [name, b] : bridges_) {
    if (!bridge_name.empty() && name != bridge_name) continue;
    std::shared_lock lock(b->state_mutex);
    for (const auto& [number, port] : b->state.ports) {
      if (number != 0 && (port.config.name == port_name || std::to_string(number) == port_name)) {
        bridge = b.get();
        dp_port = number;
      }
    }
  }
  if (!bridge) {
    if (!bridge_name.empty() && !bridges_.count(bridge_name))
      return make_error("no bridge named " + bridge_name);
    return make_error(bridge_name.empty() ? "no bridge has a port " + port_name
                                          : "bridge " + bridge_name + " has no port " + port_name);
  }
  // The port leaves the bridge's state, and the state file, before its
  // device is closed: a change that cannot be saved is put back whole.
  BridgePort removed;
  {
    std::unique_lock lock(bridge->state_mutex);
    auto it = bridge->state.ports.find(dp_port);
    removed = std::move(it->second);
    bridge->state.ports.erase(it);
  }
  bridge->state.mac.flush_port(dp_port);
  TRY_STATUS(commit_change(*bridge, bridges, [&] {
    std::unique_lock lock(bridge->state_mutex);
    bridge->state.ports.emplace(dp_port, removed);
  }));
  if (auto st = dpif_->remove_port(bridge->name, std::to_string(dp_port)); !st.ok())
    return make_error(st.error());
  queue_port_change(*bridge, 1, removed);
  module_log(LogModule::kOfproto).info("bridge {}: port {} deleted", bridge->name, removed.config.name);
  return Ok{};
}

Result<std::vector<PortStatus>> Ofproto::list_ports(const std::string& bridge_name) const {
  std::shared_lock bridges(bridges_mutex_);
  auto found = find_bridge(bridge_name);
  if (!found.ok()) return make_error(found.error());
  Bridge& bridge = **found;
  std::map<uint32_t, PortInfo> infos;
  if (auto ports = dpif_->list_ports(bridge_name); ports.ok())
    for (PortInfo& info : *ports) infos.emplace(info.port_no, std::move(info));
  std::vector<PortStatus> out;
  std::shared_lock lock(bridge.state_mutex);
  for (const auto& [dp_port, port] : bridge.state.ports) {
    PortStatus status;
    status.config = port.config;
    status.ofport = dp_port_to_of(dp_port);
    status.dp_port = dp_port;
    status.link_up = port.link_up;
    if (auto it = infos.find(dp_port); it != infos.end()) {
      status.stats = it->second.stats;
      status.absent = it->second.absent;
      status.absent_reason = it->second.absent_reason;
    } else {
      status.stats = {};
    }
    out.push_back(std::move(status));
  }
  return out;
}

Status Ofproto::set_port_admin(const std::string& bridge_name, const std::string& port_name,
                               bool up) {
  std::lock_guard config(config_mutex_);
  std::shared_lock bridges(bridges_mutex_);
  auto found = find_bridge(bridge_name);
  if (!found.ok()) return make_error(found.error());
  Bridge& bridge = **found;
  uint32_t dp_port = 0;
  bool was_up = true;
  BridgePort changed;
  {
    std::unique_lock lock(bridge.state_mutex);
    BridgePort* target = nullptr;
    for (auto& [number, port] : bridge.state.ports)
      if (port.config.name == port_name || std::to_string(dp_port_to_of(number)) == port_name ||
          (number == 0 && port_name == "LOCAL")) {
        target = &port;
        dp_port = number;
      }
    if (!target) return make_error("bridge " + bridge_name + " has no port " + port_name);
    was_up = target->config.admin_up;
    if (was_up == up) return Ok{};
    target->config.admin_up = up;
    changed = *target;
  }
  if (!up) bridge.state.mac.flush_port(dp_port);
  TRY_STATUS(commit_change(bridge, bridges, [&] {
    std::unique_lock lock(bridge.state_mutex);
    auto it = bridge.state.ports.find(dp_port);
    if (it != bridge.state.ports.end()) it->second.config.admin_up = was_up;
  }));
  queue_port_change(bridge, 2, changed);
  return Ok{};
}

Result<BridgeConfig> Ofproto::bridge_config(const std::string& bridge_name) const {
  std::shared_lock bridges(bridges_mutex_);
  auto found = find_bridge(bridge_name);
  if (!found.ok()) return make_error(found.error());
  return snapshot_config(**found);
}

Status Ofproto::set_mac_table(const std::string& bridge_name, std::optional<size_t> size,
                              std::optional<uint32_t> aging_seconds) {
  std::lock_guard config(config_mutex_);
  if (size && (*size < 1 || *size > 1'000'000))
    return make_error("mac table size " + std::to_string(*size) + " is out of range (1-1000000)");
  if (aging_seconds && (*aging_seconds < 1 || *aging_seconds > 1'000'000))
    return make_error("mac aging time " + std::to_string(*aging_seconds) +
                      " is out of range (1-1000000 seconds)");
  std::shared_lock bridges(bridges_mutex_);
  auto found = find_bridge(bridge_name);
  if (!found.ok()) return make_error(found.error());
  MacLearningTable& mac = (*found)->state.mac;
  size_t old_size = mac.max_entries();
  uint32_t old_aging = mac.aging_seconds();
  if (size) mac.set_max_entries(*size);
  if (aging_seconds) mac.set_aging_seconds(*aging_seconds);
  bridges.unlock();
  Status saved = save_state();
  if (!saved) {
    // A smaller table forgot entries it cannot get back; they are learned again.
    mac.set_max_entries(old_size);
    mac.set_aging_seconds(old_aging);
  }
  revalidate_now();
  return saved;
}

Status Ofproto::set_max_idle(const std::string& bridge_name, uint32_t max_idle_ms) {
  std::lock_guard config(config_mutex_);
  if (max_idle_ms < 500)
    return make_error("max-idle " + std::to_string(max_idle_ms) + " ms is below 500 ms");
  std::shared_lock bridges(bridges_mutex_);
  auto found = find_bridge(bridge_name);
  if (!found.ok()) return make_error(found.error());
  Bridge& bridge = **found;
  const uint32_t old_max_idle = bridge.max_idle_ms;
  if (old_max_idle == max_idle_ms) return Ok{};
  bridge.max_idle_ms = max_idle_ms;
  bridges.unlock();
  Status saved = save_state();
  if (!saved) bridge.max_idle_ms = old_max_idle;  // unchanged unless on disk
  else (void)upcalls_->set_max_idle(bridge_name, max_idle_ms);
  revalidate_now();
  return saved;
}

Result<std::vector<MacLearningTable::Entry>> Ofproto::fdb(const std::string& bridge_name) const {
  std::shared_lock bridges(bridges_mutex_);
  auto found = find_bridge(bridge_name);
  if (!found.ok()) return make_error(found.error());
  return (*found)->state.mac.entries(monotonic_ms());
}

Status Ofproto::fdb_flush(const std::string& bridge_name) {
  std::shared_lock bridges(bridges_mutex_);
  auto found = find_bridge(bridge_name);
  if (!found.ok()) return make_error(found.error());
  (*found)->state.mac.flush();
  bridges.unlock();
  revalidate_now();
  return Ok{};
}

Result<std::vector<PacketIn>> Ofproto::take_packet_ins(const std::string& bridge_name) {
  std::shared_lock bridges(bridges_mutex_);
  auto found = find_bridge(bridge_name);
  if (!found.ok()) return make_error(found.error());
  std::lock_guard guard((*found)->packet_in_mutex);
  std::vector<PacketIn> out((*found)->packet_ins.begin(), (*found)->packet_ins.end());
  (*found)->packet_ins.clear();
  return out;
}

// ---- Persistence

BridgeConfig Ofproto::snapshot_config(const Bridge& bridge) const {
  BridgeConfig config;
  config.name = bridge.name;
  config.max_idle_ms = bridge.max_idle_ms;
  config.datapath = bridge.datapath_settings;
  config.mac_table_size = bridge.state.mac.max_entries();
  config.mac_aging_seconds = bridge.state.mac.aging_seconds();
  std::shared_lock lock(bridge.state_mutex);
  for (const auto& [dp_port, port] : bridge.state.ports) {
    if (dp_port == 0) continue;
    PortConfig p = port.config;
    p.ofport = dp_port;
    config.ports.push_back(std::move(p));
  }
  std::vector<RulePtr> rules;
  {
    std::lock_guard lock_rules(bridge.state.tables.mutex());
    for (const RuleTable& table : bridge.state.tables)
      if (table.size()) table.all(bridge.state.tables.version(), &rules);
  }
  sort_rules(&rules);
  for (const RulePtr& rule : rules) {
    std::string line = "table=" + std::to_string(rule->table);
    if (rule->cookie) line += fmt::format(",cookie={:#x}", rule->cookie);
    if (rule->idle_timeout) line += ",idle_timeout=" + std::to_string(rule->idle_timeout);
    if (rule->hard_timeout) line += ",hard_timeout=" + std::to_string(rule->hard_timeout);
    if (rule->send_flow_removed) line += ",send_flow_rem";
    line += ",priority=" + std::to_string(rule->priority);
    std::string match = format_of_match(rule->match, kDefaultPriority);
    if (!match.empty()) line += "," + match;
    line += ",actions=" + format_of_actions(rule->actions);
    config.flows.push_back(std::move(line));
  }
  for (const auto& [id, group] : bridge.state.groups) config.groups.push_back(format_group_spec(group->spec));
  for (const auto& [id, meter] : bridge.state.meters) config.meters.push_back(format_meter_spec(meter));
  std::lock_guard controllers(bridge.controller_mutex);
  config.controllers = bridge.controllers;
  config.fail_mode = bridge.fail_mode;
  return config;
}

Status Ofproto::commit_change(Bridge& bridge, std::shared_lock<std::shared_mutex>& bridges,
                              const std::function<void()>& undo) {
  bridge.changed();
  bridges.unlock();
  Status saved = save_state();
  if (!saved) {
    undo();
    bridge.changed();
  }
  revalidate_now();
  return saved;
}

Status Ofproto::save_state() {
  if (options_.state_file.empty() || restoring_) return Ok{};
  std::string problem;
  if (Status held = state_lock_ ? state_lock_->check_held() : Status(Ok{}); !held) {
    problem = held.error();
  } else {
    SwitchState state;
    {
      std::shared_lock bridges(bridges_mutex_);
      for (const auto& [name, bridge] : bridges_) state.bridges.push_back(snapshot_config(*bridge));
    }
    if (Status saved = save_state_file(options_.state_file, state); !saved) problem = saved.error();
  }
  if (problem.empty()) return Ok{};
  module_log(LogModule::kOfproto).error("saving the state file: {}; the change is undone", problem);
  return make_error("the change is undone, as it could not be saved: " + problem);
}

Status Ofproto::lock_state_file() {
  if (options_.state_file.empty() || state_lock_) return Ok{};
  TRY_ASSIGN(lock, LockFile::acquire(options_.state_file + ".lock", "state file lock"));
  state_lock_ = std::move(lock);
  auto stale = remove_stale_temporary(options_.state_file);
  if (!stale.ok()) return make_error(stale.error());
  if (*stale) module_log(LogModule::kOfproto).warn("removed {}.tmp, left by a save that a crash interrupted", options_.state_file);
  return Ok{};
}

Status Ofproto::restore() {
  if (options_.state_file.empty()) return Ok{};
  auto loaded = load_state_file(options_.state_file);
  if (!loaded.ok()) return make_error(loaded.error());
  restoring_ = true;
  for (const BridgeConfig& config : loaded->bridges) {
    if (auto st = add_bridge(config.name, true); !st.ok()) {
      module_log(LogModule::kOfproto).error("restoring bridge {}: {}", config.name, st.error());
      continue;
    }
    for (const PortConfig& port : config.ports)
      if (auto r = add_port(config.name, port); !r.ok())
        module_log(LogModule::kOfproto).error("restoring bridge {} port {}: {}", config.name, port.name, r.error());
    if (auto st = set_mac_table(config.name, config.mac_table_size, config.mac_aging_seconds); !st.ok())
      module_log(LogModule::kOfproto).error("restoring bridge {}: {}", config.name, st.error());
    if (auto st = set_datapath_settings(config.name, to_datapath_settings(config.datapath)); !st.ok())
      module_log(LogModule::kOfproto).error("restoring bridge {}: {}", config.name, st.error());
    {
      std::shared_lock bridges(bridges_mutex_);
      if (auto b = find_bridge(config.name); b.ok()) (*b)->max_idle_ms = config.max_idle_ms;
    }
    (void)upcalls_->set_max_idle(config.name, config.max_idle_ms);
    for (const std::string& meter : config.meters)
      if (auto st = add_meter(config.name, meter); !st.ok())
        module_log(LogModule::kOfproto).error("restoring bridge {} meter \"{}\": {}", config.name, meter, st.error());
    for (const std::string& group : config.groups)
      if (auto st = add_group(config.name, group); !st.ok())
        module_log(LogModule::kOfproto).error("restoring bridge {} group \"{}\": {}", config.name, group, st.error());
    if (auto st = set_fail_mode(config.name, config.fail_mode); !st.ok())
      module_log(LogModule::kOfproto).error("restoring bridge {}: {}", config.name, st.error());
    if (auto st = set_controllers(config.name, config.controllers); !st.ok())
      module_log(LogModule::kOfproto).error("restoring bridge {} controllers: {}", config.name, st.error());
    // The saved rules replace the default NORMAL rule.
    if (auto n = del_flows(config.name, "", false); !n.ok())
      module_log(LogModule::kOfproto).error("restoring bridge {}: {}", config.name, n.error());
    for (const std::string& flow : config.flows)
      if (auto st = add_flows(config.name, {flow}); !st.ok())
        module_log(LogModule::kOfproto).error("restoring bridge {} rule \"{}\": {}", config.name, flow, st.error());
    module_log(LogModule::kOfproto).info("bridge {} restored: {} ports, {} rules", config.name, config.ports.size(),
                 config.flows.size());
  }
  restoring_ = false;
  return Ok{};
}

void Ofproto::interface_changed(const std::string& name, bool link_up, bool modified) {
  std::shared_lock bridges(bridges_mutex_);
  for (const auto& [bridge_name, bridge] : bridges_) {
    std::vector<uint32_t> link_changed;
    {
      std::unique_lock lock(bridge->state_mutex);
      for (auto& [dp_port, port] : bridge->state.ports) {
        if (dp_port == 0 || port.config.name != name || !has_interface(port.config)) continue;
        if (port.link_up == link_up && !modified) continue;
        if (port.link_up != link_up) link_changed.push_back(dp_port);
        port.link_up = link_up;
        queue_port_change(*bridge, 2, port);
      }
    }
    if (link_changed.empty()) continue;
    // As for a port taken down by its administrator: what was learned
    // behind it no longer holds.
    if (!link_up)
      for (uint32_t dp_port : link_changed) bridge->state.mac.flush_port(dp_port);
    bridge->changed();
    revalidate_now();  // megaflows chosen by the old liveness go
  }
}

}  // namespace flowpath::ofproto
