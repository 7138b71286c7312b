#include "ovsdb/vswitch_config.h"

#include <algorithm>
#include <charconv>
#include <cstdint>

#include "datapath/cpu_mask.h"
#include "openflow/channel/endpoint.h"
#include "vport/tunnel_port.h"

namespace flowpath::ovsdb {

namespace {

// Settings parse_port_settings reads from its words: an Interface option
// with one of these keys would be taken for the column of the same name.
constexpr const char* kReservedOptionKeys[] = {"type", "tag", "trunks", "vlan_mode",
                                               "ofport_request", "admin", "port_no",
                                               "mtu_request", "mtu"};

// Open_vSwitch:other_config keys of ovs-vswitchd that flowpath does not
// apply (yet); a row that sets one is told so in the log.
constexpr const char* kUnappliedSwitchKeys[] = {"dpdk-init"};

// The most handler threads a datapath takes (DatapathInterface::kMaxHandlerThreads).
constexpr uint64_t kMaxHandlerThreads = 64;

// The largest flow-limit a datapath takes (MegaflowTable::kMaxFlowLimit).
constexpr uint64_t kMaxFlowLimit = 4'194'304;

std::optional<uint64_t> parse_unsigned(const std::string& text, uint64_t max) {
  uint64_t value = 0;
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || err != std::errc() || end != text.data() + text.size() || value > max)
    return std::nullopt;
  return value;
}

bool is_mac_text(const std::string& text) {
  if (text.size() != 17) return false;
  for (size_t i = 0; i < 17; ++i) {
    if (i % 3 == 2) {
      if (text[i] != ':') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(text[i]))) {
      return false;
    }
  }
  return true;
}

// The settings words of "add-port BR IFACE ..." that the Port and Interface
// rows stand for; parse_port_settings then checks them exactly as it checks
// fpctl's.
Result<ofproto::PortConfig> port_config(const Row& port, const Row& iface, const std::string& name,
                                        const std::string& vport_type) {
  std::vector<std::string> words{"type=" + vport_type};
  TRY_ASSIGN(tag, optional_integer(Replica::column(port, "tag"), "tag"));
  if (tag) words.push_back("tag=" + std::to_string(*tag));
  TRY_ASSIGN(trunks, integer_set(Replica::column(port, "trunks"), "trunks"));
  if (!trunks.empty()) {
    std::string list;
    for (int64_t vlan : trunks) list += (list.empty() ? "" : ",") + std::to_string(vlan);
    words.push_back("trunks=" + list);
  }
  TRY_ASSIGN(vlan_mode, optional_string(Replica::column(port, "vlan_mode"), "vlan_mode"));
  if (vlan_mode) words.push_back("vlan_mode=" + *vlan_mode);
  TRY_ASSIGN(ofport_request,
             optional_integer(Replica::column(iface, "ofport_request"), "ofport_request"));
  if (ofport_request) words.push_back("ofport_request=" + std::to_string(*ofport_request));
  TRY_ASSIGN(mtu_request, optional_integer(Replica::column(iface, "mtu_request"), "mtu_request"));
  if (mtu_request) words.push_back("mtu_request=" + std::to_string(*mtu_request));
  TRY_ASSIGN(options, string_map(Replica::column(iface, "options"), "options"));
  for (const auto& [key, value] : options) {
    for (const char* reserved : kReservedOptionKeys)
      if (key == reserved)
        return make_error("options:" + key + " is not an interface option (it is a column)");
    words.push_back(key + "=" + value);
  }
  return ofproto::parse_port_settings(name, words);
}

InterfaceIntent read_interface(const Row& port_row, const Row& iface, const std::string& uuid,
                               const std::string& bridge_name, size_t interfaces_in_port) {
  InterfaceIntent intent;
  intent.uuid = uuid;
  auto name = optional_string(Replica::column(iface, "name"), "name");
  intent.name = name.ok() && *name ? **name : "";
  auto type = optional_string(Replica::column(iface, "type"), "type");
  if (!type.ok()) {
    intent.error = type.error();
    return intent;
  }
  intent.type = type->value_or("");
  if (intent.name.empty()) {
    intent.error = "the interface has no name";
    return intent;
  }
  if (intent.name == bridge_name) {
    intent.local = true;
    if (intent.type != "internal")
      intent.error = "the bridge's own interface " + intent.name + " must have type internal, not \"" +
                     intent.type + "\"";
    return intent;
  }
  if (interfaces_in_port > 1) {
    intent.error = "bonds (a port with " + std::to_string(interfaces_in_port) +
                   " interfaces) are not supported by flowpath";
    return intent;
  }
  auto vport_type = vport_type_for(intent.type);
  if (!vport_type) {
    std::string supported;
    for (const std::string& known : supported_interface_types())
      supported += (supported.empty() ? "" : ", ") + known;
    intent.error = "interface type \"" + intent.type + "\" is not supported by flowpath "
                   "(supported: " + supported + ")";
    return intent;
  }
  auto config = port_config(port_row, iface, intent.name, *vport_type);
  if (!config.ok()) {
    intent.error = config.error();
    return intent;
  }
  auto tunnel = tunnel_config_of(*config);
  if (!tunnel.ok()) {
    intent.error = tunnel.error();
    return intent;
  }
  intent.tunnel = std::move(*tunnel);
  intent.port = std::move(*config);
  if (auto ofport = optional_integer(Replica::column(iface, "ofport"), "ofport");
      ofport.ok() && ofport->value_or(0) > 0 && **ofport <= 1023)
    intent.previous_ofport = static_cast<uint32_t>(**ofport);
  return intent;
}

// The Controller columns of ovs-vswitchd that flowpath does not carry out:
// any value in one of them refuses the row.
constexpr const char* kUnsupportedControllerColumns[] = {
    "type", "local_ip", "local_netmask", "local_gateway", "controller_queue_size",
    "controller_rate_limit", "controller_burst_limit"};

ControllerIntent read_controller(const Row& row, const std::string& uuid) {
  ControllerIntent intent;
  intent.uuid = uuid;
  auto target = optional_string(Replica::column(row, "target"), "target");
  if (!target.ok() || !*target) {
    intent.error = target.ok() ? "the controller has no target" : target.error();
    return intent;
  }
  intent.target = **target;
  if (auto endpoint = openflow::channel::parse_endpoint(intent.target); !endpoint.ok()) {
    intent.error = "target " + endpoint.error();
    return intent;
  }
  for (const char* column : kUnsupportedControllerColumns) {
    const Json& value = Replica::column(row, column);
    auto elements = decode_set(value);
    if (!elements.ok() || !elements->empty()) {
      intent.error = std::string(column) + "=" + describe(value) + " is not supported by flowpath";
      return intent;
    }
  }
  auto mode = optional_string(Replica::column(row, "connection_mode"), "connection_mode");
  if (!mode.ok() || (*mode && **mode != "out-of-band")) {
    intent.error = mode.ok() ? "connection_mode=" + **mode +
                                   " is not supported by flowpath (its controller connections "
                                   "never go through the bridge: out-of-band)"
                             : mode.error();
    return intent;
  }
  auto async = Replica::column(row, "enable_async_messages");
  if (auto elements = decode_set(async);
      !elements.ok() || (elements->size() == 1 && !((*elements)[0].is_boolean() && (*elements)[0].get<bool>()))) {
    intent.error = "enable_async_messages=" + describe(async) + " is not supported by flowpath";
    return intent;
  }
  // A column the peer did not send reads as the empty set (Replica::column).
  const Json& other_value = Replica::column(row, "other_config");
  auto absent = decode_set(other_value);
  auto other = absent.ok() && absent->empty() ? Result(std::map<std::string, std::string>{})
                                              : string_map(other_value, "other_config");
  if (!other.ok()) {
    intent.error = other.error();
    return intent;
  }
  if (!other->empty()) {
    intent.error = "other_config:" + other->begin()->first + " is not supported by flowpath";
    return intent;
  }
  // As ovs-vswitchd: both in ms in the database; a probe under a second is
  // a second.
  auto backoff = optional_integer(Replica::column(row, "max_backoff"), "max_backoff");
  if (!backoff.ok() || (*backoff && (**backoff < 1000 || **backoff > 3'600'000))) {
    intent.error = backoff.ok() ? "max_backoff=" + std::to_string(**backoff) +
                                      " is not 1000..3600000 ms"
                                : backoff.error();
    return intent;
  }
  if (*backoff) intent.max_backoff_ms = static_cast<uint32_t>(**backoff);
  auto probe = optional_integer(Replica::column(row, "inactivity_probe"), "inactivity_probe");
  if (!probe.ok() || (*probe && (**probe < 0 || **probe > 3'600'000))) {
    intent.error = probe.ok() ? "inactivity_probe=" + std::to_string(**probe) +
                                    " is not 0..3600000 ms"
                              : probe.error();
    return intent;
  }
  if (*probe) intent.inactivity_probe_ms = **probe == 0 ? 0 : std::max<uint32_t>(1000, static_cast<uint32_t>(**probe));
  return intent;
}

BridgeIntent read_bridge(const Replica& replica, const Row& row, const std::string& uuid) {
  BridgeIntent bridge;
  bridge.uuid = uuid;
  auto name = optional_string(Replica::column(row, "name"), "name");
  if (!name.ok() || !*name) {
    bridge.problems.push_back(name.ok() ? "the bridge has no name" : name.error());
    return bridge;
  }
  bridge.name = **name;
  if (auto fail_mode = optional_string(Replica::column(row, "fail_mode"), "fail_mode"); fail_mode.ok())
    bridge.fail_mode = fail_mode->value_or("");
  if (auto dp_type = optional_string(Replica::column(row, "datapath_type"), "datapath_type");
      dp_type.ok() && dp_type->value_or("") != "" && **dp_type != "system" && **dp_type != "netdev")
    bridge.problems.push_back("datapath_type \"" + **dp_type +
                              "\" is not one of system, netdev: flowpath's datapath is used");
  if (auto config = string_map(Replica::column(row, "other_config"), "other_config"); !config.ok()) {
    bridge.problems.push_back(config.error());
  } else {
    for (const auto& [key, value] : *config) {
      if (key == "datapath-id") {
        bridge.datapath_id = parse_datapath_id(value);
        if (!bridge.datapath_id)
          bridge.problems.push_back("other_config:datapath-id=" + value +
                                    " is not 16 hex digits; ignored");
      } else if (key == "hwaddr") {
        if (is_mac_text(value)) {
          bridge.hwaddr = value;
        } else {
          bridge.problems.push_back("other_config:hwaddr=" + value +
                                    " is not an Ethernet address; ignored");
        }
      } else if (key == "mac-table-size") {
        if (auto size = parse_unsigned(value, 1'000'000); size && *size > 0) {
          bridge.mac_table_size = *size;
        } else {
          bridge.problems.push_back("other_config:mac-table-size=" + value +
                                    " is not 1..1000000; ignored");
        }
      } else if (key == "mac-aging-time") {
        if (auto aging = parse_unsigned(value, 1'000'000); aging && *aging > 0) {
          bridge.mac_aging_seconds = static_cast<uint32_t>(*aging);
        } else {
          bridge.problems.push_back("other_config:mac-aging-time=" + value +
                                    " is not 1..1000000 seconds; ignored");
        }
      }
    }
  }
  for (const char* column : {"mirrors", "netflow", "sflow", "ipfix"}) {
    auto refs = uuid_set(Replica::column(row, column), column);
    if (refs.ok() && !refs->empty())
      bridge.problems.push_back(std::string(column) + " are not supported by flowpath; not applied");
  }
  for (const char* column : {"stp_enable", "rstp_enable", "mcast_snooping_enable"}) {
    const Json& value = Replica::column(row, column);
    if (value.is_boolean() && value.get<bool>())
      bridge.problems.push_back(std::string(column) + "=true is not supported by flowpath; not applied");
  }

  if (auto controllers = uuid_set(Replica::column(row, "controller"), "controller"); !controllers.ok()) {
    bridge.problems.push_back(controllers.error());
  } else {
    for (const std::string& controller_uuid : *controllers) {
      const Row* controller = replica.row("Controller", controller_uuid);
      if (!controller) continue;
      bridge.controllers.push_back(read_controller(*controller, controller_uuid));
    }
  }

  auto ports = uuid_set(Replica::column(row, "ports"), "ports");
  if (!ports.ok()) {
    bridge.problems.push_back(ports.error());
    return bridge;
  }
  for (const std::string& port_uuid : *ports) {
    const Row* port_row = replica.row("Port", port_uuid);
    if (!port_row) continue;  // a reference the server will complete or drop
    PortIntent port;
    port.uuid = port_uuid;
    if (auto port_name = optional_string(Replica::column(*port_row, "name"), "name"); port_name.ok())
      port.name = port_name->value_or("");
    auto interfaces = uuid_set(Replica::column(*port_row, "interfaces"), "interfaces");
    if (!interfaces.ok()) {
      bridge.problems.push_back("port " + port.name + ": " + interfaces.error());
      continue;
    }
    for (const std::string& iface_uuid : *interfaces) {
      const Row* iface = replica.row("Interface", iface_uuid);
      if (!iface) continue;
      port.interfaces.push_back(
          read_interface(*port_row, *iface, iface_uuid, bridge.name, interfaces->size()));
    }
    bridge.ports.push_back(std::move(port));
  }
  return bridge;
}

}  // namespace

const std::map<std::string, std::vector<std::string>>& monitored_columns() {
  static const std::map<std::string, std::vector<std::string>> kColumns = {
      {"Open_vSwitch", {"bridges", "next_cfg", "cur_cfg", "other_config", "iface_types",
                        "datapath_types"}},
      {"Bridge", {"name", "ports", "controller", "fail_mode", "datapath_type", "other_config",
                  "mirrors", "netflow", "sflow", "ipfix", "stp_enable", "rstp_enable",
                  "mcast_snooping_enable", "datapath_id", "datapath_version"}},
      {"Port", {"name", "interfaces", "tag", "trunks", "vlan_mode"}},
      {"Interface", {"name", "type", "options", "ofport_request", "mtu_request", "ofport", "error",
                     "ifindex", "mac_in_use", "link_state", "admin_state", "mtu",
                     "status"}},
      {"Controller", {"target", "max_backoff", "inactivity_probe", "connection_mode", "type",
                      "local_ip", "local_netmask", "local_gateway", "enable_async_messages",
                      "controller_queue_size", "controller_rate_limit", "controller_burst_limit",
                      "other_config", "is_connected", "role", "status"}},
  };
  return kColumns;
}

const std::vector<std::string>& supported_interface_types() {
  static const std::vector<std::string> kTypes = {"system", "internal", "tap", "afxdp", "vxlan",
                                                  "geneve", "gre"};
  return kTypes;
}

std::optional<std::string> vport_type_for(const std::string& interface_type) {
  if (interface_type.empty() || interface_type == "system") return "afpacket";
  const auto& types = supported_interface_types();
  if (std::find(types.begin(), types.end(), interface_type) != types.end()) return interface_type;
  return std::nullopt;
}

Result<uint32_t> parse_emc_insert_inv_prob(const std::string& text) {
  // Open vSwitch reads it as a decimal unsigned number and takes its
  // default for anything else; flowpath refuses what is not one.
  if (auto inverse = parse_unsigned(text, UINT32_MAX)) return static_cast<uint32_t>(*inverse);
  return make_error("other_config:emc-insert-inv-prob=\"" + text +
                    "\" is not a decimal integer 0..4294967295 (the inverse of the insertion "
                    "probability; 0 disables the exact-match cache)");
}

Result<unsigned> parse_handler_threads(const std::string& text) {
  // Open vSwitch takes anything that is not a positive number for its
  // default; flowpath refuses it, except 0, which means the default there too.
  if (auto threads = parse_unsigned(text, kMaxHandlerThreads)) return static_cast<unsigned>(*threads);
  return make_error("other_config:n-handler-threads=\"" + text +
                    "\" is not a decimal integer 0.." + std::to_string(kMaxHandlerThreads) +
                    " (threads per datapath; 0: the default)");
}

Result<std::optional<tunnel::TunnelConfig>> tunnel_config_of(const ofproto::PortConfig& port) {
  auto kind = vport_kind_from_string(port.type);
  if (!kind.ok()) return make_error(kind.error());
  std::optional<tunnel::TunnelType> type = tunnel_type_of(*kind);
  if (!type) return std::optional<tunnel::TunnelConfig>{};
  tunnel::TunnelOptions options(port.options.begin(), port.options.end());
  auto config = tunnel::parse_tunnel_config(*type, port.name, options);
  if (!config.ok()) return make_error(config.error());
  return std::optional<tunnel::TunnelConfig>{std::move(*config)};
}

std::optional<uint64_t> parse_datapath_id(const std::string& text) {
  std::string_view digits = text;
  if (digits.starts_with("0x") || digits.starts_with("0X")) digits.remove_prefix(2);
  if (digits.size() != 16) return std::nullopt;
  uint64_t value = 0;
  auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), value, 16);
  if (err != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

SwitchIntent read_switch_intent(const Replica& replica) {
  SwitchIntent intent;
  const Table& roots = replica.table("Open_vSwitch");
  if (roots.empty()) return intent;
  if (roots.size() > 1)
    intent.problems.push_back("the Open_vSwitch table has " + std::to_string(roots.size()) +
                              " rows; the first is used");
  const auto& [root_uuid, root] = *roots.begin();
  intent.root_uuid = root_uuid;
  if (auto next_cfg = optional_integer(Replica::column(root, "next_cfg"), "next_cfg"); next_cfg.ok())
    intent.next_cfg = next_cfg->value_or(0);
  if (auto config = string_map(Replica::column(root, "other_config"), "other_config"); config.ok()) {
    for (const auto& [key, value] : *config) {
      if (key == "max-idle") {
        if (auto ms = parse_unsigned(value, 86'400'000); ms && *ms >= 500) {
          intent.max_idle_ms = static_cast<uint32_t>(*ms);
        } else {
          intent.problems.push_back("other_config:max-idle=" + value +
                                    " is not 500..86400000 ms; ignored");
        }
      } else if (key == "flow-limit") {
        if (auto limit = parse_unsigned(value, kMaxFlowLimit); limit && *limit >= 1) {
          intent.flow_limit = *limit;
        } else {
          intent.problems.push_back("other_config:flow-limit=" + value + " is not 1.." +
                                    std::to_string(kMaxFlowLimit) + "; ignored");
        }
      } else if (key == "vlan-limit") {
        // As ovs-vswitchd: 0 is as many tags as a key holds, and a number
        // above that is the same as that (flowpath's keys hold two).
        if (auto limit = parse_unsigned(value, INT32_MAX)) {
          intent.vlan_limit = static_cast<int>(std::min<uint64_t>(*limit, 2));
        } else {
          intent.problems.push_back("other_config:vlan-limit=" + value +
                                    " is not a number of VLAN tags; ignored");
        }
      } else if (key == "n-handler-threads") {
        if (auto threads = parse_handler_threads(value); threads.ok()) {
          intent.handler_threads.value = *threads;
        } else {
          intent.handler_threads.invalid = true;
          intent.problems.push_back(threads.error() + "; not applied, the running value stays");
        }
      } else if (key == "pmd-cpu-mask") {
        if (auto cpus = parse_cpu_mask(value); cpus.ok()) {
          intent.forwarding_cpus.value = *cpus;
        } else {
          intent.forwarding_cpus.invalid = true;
          intent.problems.push_back("other_config:pmd-cpu-mask: " + cpus.error() +
                                    "; not applied, the running value stays");
        }
      } else if (key == "n-revalidator-threads") {
        // flowpath has one revalidator per bridge, dumping its datapath in
        // one pass; the key is checked, and told that it has no effect.
        intent.problems.push_back("other_config:n-revalidator-threads=" + value +
                                  " is not applied: flowpath runs one revalidator thread per "
                                  "bridge");
      } else if (key == "emc-insert-inv-prob") {
        if (auto inverse = parse_emc_insert_inv_prob(value); inverse.ok()) {
          intent.emc_insert_inv_prob.value = *inverse;
        } else {
          intent.emc_insert_inv_prob.invalid = true;
          intent.problems.push_back(inverse.error() + "; not applied, the running value stays");
        }
      }
      for (const char* unapplied : kUnappliedSwitchKeys)
        if (key == unapplied)
          intent.problems.push_back("other_config:" + key + "=" + value +
                                    " is not applied by flowpath yet");
    }
  } else {
    intent.problems.push_back(config.error());
  }
  auto bridges = uuid_set(Replica::column(root, "bridges"), "bridges");
  if (!bridges.ok()) {
    intent.problems.push_back(bridges.error());
    return intent;
  }
  for (const std::string& bridge_uuid : *bridges) {
    const Row* row = replica.row("Bridge", bridge_uuid);
    if (!row) continue;
    BridgeIntent bridge = read_bridge(replica, *row, bridge_uuid);
    if (!bridge.name.empty()) intent.bridges.push_back(std::move(bridge));
  }
  return intent;
}

}  // namespace flowpath::ovsdb
