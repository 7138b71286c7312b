#include "control/ofproto_rpc.h"

#include <cstdio>
#include <map>
#include <set>

#include "common/clock.h"
#include "openflow/of_flow.h"

namespace flowpath::control {

namespace {

using ofproto::Ofproto;

Json done() { return Json::object(); }

Json vport_stats_json(const VportStats& s) {
  return Json{{"rx_packets", s.rx_packets}, {"rx_bytes", s.rx_bytes},
              {"rx_errors", s.rx_errors},   {"rx_dropped", s.rx_dropped},
              {"tx_packets", s.tx_packets}, {"tx_bytes", s.tx_bytes},
              {"tx_errors", s.tx_errors},   {"tx_dropped", s.tx_dropped}};
}

Json port_json(const ofproto::PortStatus& port) {
  const ofproto::PortConfig& c = port.config;
  Json options = Json::object();
  for (const auto& [key, value] : c.options) options[key] = value;
  Json out{{"name", c.name},
              {"ofport", port.ofport},
              {"dp_port", port.dp_port},
              {"type", c.type},
              {"options", options},
              {"tag", c.tag ? Json(*c.tag) : Json()},
              {"trunks", c.trunks},
              {"vlan_mode", std::string(ofproto::to_string(c.effective_vlan_mode()))},
              {"admin_up", c.admin_up},
              {"link_up", port.link_up},
              {"stats", vport_stats_json(port.stats)}};
  // "absent": the port waits for its interface (absent_reason says why).
  out["state"] = port.absent ? "absent" : port.link_up ? "up" : "down";
  if (port.absent) out["absent_reason"] = port.absent_reason;
  return out;
}

Json rule_json(const ofproto::RuleInfo& r) {
  return Json{{"table", r.table},
              {"priority", r.priority},
              {"cookie", r.cookie},
              {"idle_timeout", r.idle_timeout},
              {"hard_timeout", r.hard_timeout},
              {"packets", r.packets},
              {"bytes", r.bytes},
              {"duration_ms", r.duration_ms},
              {"idle_ms", r.idle_ms},
              {"match", r.match},
              {"actions", r.actions}};
}

std::string mac_text(const EthAddr& mac) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", mac.bytes[0], mac.bytes[1],
                mac.bytes[2], mac.bytes[3], mac.bytes[4], mac.bytes[5]);
  return buf;
}

std::string hex_text(const std::vector<uint8_t>& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

// OpenFlow packet-in reasons (OFPR_*), by number.
const char* packet_in_reason(uint8_t reason) {
  static const char* const kNames[] = {"no_match", "action", "invalid_ttl",
                                       "action_set", "group", "packet_out"};
  return reason < std::size(kNames) ? kNames[reason] : "unknown";
}

// A list of strings under `name` (absent: empty when `optional`).
Result<std::vector<std::string>> get_string_list(const Json& p, const char* name, bool optional) {
  auto it = p.find(name);
  if (it == p.end()) {
    if (optional) return std::vector<std::string>{};
    return invalid_params(std::string("missing \"") + name + "\"");
  }
  if (!it->is_array()) {
    return invalid_params(std::string("\"") + name + "\" must be an array of strings");
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& item = (*it)[i];
    if (!item.is_string()) {
      return invalid_params(std::string("\"") + name + "\"[" + std::to_string(i) +
                            "] must be a string");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

// The interface name that a request's "port" names: the name itself, "LOCAL"
// (the bridge's own port), or an OpenFlow port number of `bridge`.
Result<std::string> port_param(const Ofproto& of, const std::string& bridge, const Json& p) {
  auto it = p.find("port");
  if (it == p.end()) return invalid_params("missing \"port\"");
  bool by_number = it->is_number_unsigned() || (it->is_number_integer() && it->get<int64_t>() >= 0);
  if (!by_number && !it->is_string()) {
    return invalid_params("\"port\" must be an interface name or an OpenFlow port number");
  }
  if (it->is_string() && it->get<std::string>() != "LOCAL") return it->get<std::string>();
  if (bridge.empty()) return invalid_params("a port given by number needs \"bridge\"");
  uint64_t number = by_number ? it->get<uint64_t>() : ofproto::kOfppLocal;
  auto ports = of.list_ports(bridge);
  if (!ports.ok()) return make_error(ports.error());
  for (const ofproto::PortStatus& port : *ports) {
    if (port.ofport == number) return port.config.name;
  }
  if (number == ofproto::kOfppLocal) return make_error("bridge " + bridge + " has no LOCAL port");
  return make_error("bridge " + bridge + " has no port with OpenFlow number " +
                    std::to_string(number));
}

// A method that takes {bridge} and nothing else worth checking.
template <typename F>
RpcMethod with_bridge(F&& body) {
  return [body = std::forward<F>(body)](const Json& p) -> Result<Json> {
    TRY_ASSIGN(bridge, get_string(p, "bridge"));
    return body(bridge, p);
  };
}

Json fail_mode_json(std::optional<ofproto::FailMode> mode) {
  return mode ? Json(std::string(ofproto::to_string(*mode))) : Json(nullptr);
}

// Each controller target's connection state, as ovs-vsctl list controller
// shows it (is_connected, role, status: state, last_error, sec_since_*).
Result<Json> controllers_json(const Ofproto& of, const std::string& bridge) {
  TRY_ASSIGN(settings, of.get_controllers(bridge));
  TRY_ASSIGN(status, of.controller_status(bridge));
  uint64_t now = monotonic_ms();
  Json out = Json::array();
  for (const std::string& target : settings.targets) {
    Json c{{"target", target}, {"is_connected", false}, {"state", "CONNECTING"}};
    for (const ofproto::ControllerStatus& s : status) {
      if (s.target != target) continue;
      c["is_connected"] = s.connected;
      c["state"] = s.state;
      if (!s.role.empty()) c["role"] = s.role;
      if (!s.last_error.empty()) c["last_error"] = s.last_error;
      if (s.connected_at_ms) c["sec_since_connect"] = (now - std::min(now, s.connected_at_ms)) / 1000;
      if (s.disconnected_at_ms)
        c["sec_since_disconnect"] = (now - std::min(now, s.disconnected_at_ms)) / 1000;
      if (s.state == "LISTENING") c["n_connections"] = s.connections;
      if (s.bound_port) c["bound_port"] = s.bound_port;
    }
    out.push_back(std::move(c));
  }
  return out;
}

void add_bridge_methods(JsonRpcDispatcher& d, Ofproto& of) {
  d.add("br.add", with_bridge([&of](const std::string& bridge, const Json& p) -> Result<Json> {
    TRY_ASSIGN(may_exist, get_optional_bool(p, "may_exist", false));
    TRY_STATUS(of.add_bridge(bridge, may_exist));
    return done();
  }));
  d.add("br.del", with_bridge([&of](const std::string& bridge, const Json& p) -> Result<Json> {
    TRY_ASSIGN(if_exists, get_optional_bool(p, "if_exists", false));
    TRY_STATUS(of.del_bridge(bridge, if_exists));
    return done();
  }));
  d.add("br.list", [&of](const Json&) -> Result<Json> { return Json(of.list_bridges()); });
  d.add("br.get", with_bridge([&of](const std::string& bridge, const Json&) -> Result<Json> {
    TRY_ASSIGN(config, of.bridge_config(bridge));
    TRY_ASSIGN(controllers, controllers_json(of, bridge));
    Json ports = Json::array();
    for (const ofproto::PortConfig& port : config.ports) ports.push_back(port.name);
    return Json{{"name", config.name},
                {"mac_table_size", config.mac_table_size},
                {"mac_aging", config.mac_aging_seconds},
                {"max_idle_ms", config.max_idle_ms},
                {"ports", ports},
                {"flows", config.flows},
                {"groups", config.groups},
                {"meters", config.meters},
                {"fail_mode", fail_mode_json(config.fail_mode)},
                {"controllers", controllers}};
  }));
  d.add("br.set", with_bridge([&of](const std::string& bridge, const Json& p) -> Result<Json> {
    std::optional<size_t> size;
    std::optional<uint32_t> aging;
    if (p.contains("mac_table_size")) {
      TRY_ASSIGN(value, get_unsigned(p, "mac_table_size", SIZE_MAX));
      size = static_cast<size_t>(value);
    }
    if (p.contains("mac_aging")) {
      TRY_ASSIGN(value, get_unsigned(p, "mac_aging", UINT32_MAX));
      aging = static_cast<uint32_t>(value);
    }
    if (!size && !aging) return invalid_params("give \"mac_table_size\" or \"mac_aging\"");
    TRY_STATUS(of.set_mac_table(bridge, size, aging));
    return done();
  }));
}

// ovs-vsctl set-controller / get-controller / set-fail-mode and the
// controllers' connection state.
void add_controller_methods(JsonRpcDispatcher& d, Ofproto& of) {
  d.add("br.controller.set", with_bridge([&of](const std::string& bridge, const Json& p) -> Result<Json> {
    ofproto::ControllerSettings settings;
    TRY_ASSIGN(targets, get_string_list(p, "targets", true));
    settings.targets = targets;
    if (p.contains("inactivity_probe_ms")) {
      TRY_ASSIGN(value, get_unsigned(p, "inactivity_probe_ms", UINT32_MAX));
      settings.inactivity_probe_ms = static_cast<uint32_t>(value);
    }
    if (p.contains("max_backoff_ms")) {
      TRY_ASSIGN(value, get_unsigned(p, "max_backoff_ms", UINT32_MAX));
      settings.max_backoff_ms = static_cast<uint32_t>(value);
    }
    TRY_STATUS(of.set_controllers(bridge, std::move(settings)));
    return done();
  }));
  d.add("br.controller.get", with_bridge([&of](const std::string& bridge, const Json&) -> Result<Json> {
    TRY_ASSIGN(settings, of.get_controllers(bridge));
    TRY_ASSIGN(status, controllers_json(of, bridge));
    return Json{{"targets", settings.targets},
                {"inactivity_probe_ms", settings.inactivity_probe_ms},
                {"max_backoff_ms", settings.max_backoff_ms},
                {"status", status}};
  }));
  d.add("br.fail_mode.set", with_bridge([&of](const std::string& bridge, const Json& p) -> Result<Json> {
    std::optional<ofproto::FailMode> mode;
    if (p.contains("mode") && !p["mode"].is_null()) {
      TRY_ASSIGN(text, get_string(p, "mode"));
      mode = ofproto::parse_fail_mode(text);
      if (!mode) return invalid_params("\"mode\" must be \"standalone\" or \"secure\", not \"" + text + "\"");
    }
    TRY_STATUS(of.set_fail_mode(bridge, mode));
    return done();
  }));
  d.add("br.fail_mode.get", with_bridge([&of](const std::string& bridge, const Json&) -> Result<Json> {
    TRY_ASSIGN(mode, of.get_fail_mode(bridge));
    return Json{{"fail_mode", fail_mode_json(mode)}};
  }));
}

void add_port_methods(JsonRpcDispatcher& d, Ofproto& of) {
  d.add("br.port.add", with_bridge([&of](const std::string& bridge, const Json& p) -> Result<Json> {
    TRY_ASSIGN(name, get_string(p, "port"));
    TRY_ASSIGN(words, get_string_list(p, "settings", true));
    TRY_ASSIGN(may_exist, get_optional_bool(p, "may_exist", false));
    auto config = ofproto::parse_port_settings(name, words);
    if (!config.ok()) return make_error("port " + name + ": " + config.error());
    if (may_exist) {
      // As ovs-vsctl --may-exist: a port already on this bridge is success
      // (its settings are left as they are).
      TRY_ASSIGN(ports, of.list_ports(bridge));
      for (const ofproto::PortStatus& port : ports) {
        if (port.config.name == name) return Json{{"ofport", port.ofport}};
      }
    }
    TRY_ASSIGN(ofport, of.add_port(bridge, *config));
    return Json{{"ofport", ofport}};
  }));
  d.add("br.port.del", [&of](const Json& p) -> Result<Json> {
    TRY_ASSIGN(bridge, get_optional_string(p, "bridge", ""));
    TRY_ASSIGN(port, port_param(of, bridge, p));
    TRY_STATUS(of.del_port(bridge, port));
    return done();
  });
  d.add("br.port.list", with_bridge([&of](const std::string& bridge, const Json&) -> Result<Json> {
    TRY_ASSIGN(ports, of.list_ports(bridge));
    Json out = Json::array();
    for (const ofproto::PortStatus& port : ports) out.push_back(port_json(port));
    return out;
  }));
  d.add("br.port.mod", with_bridge([&of](const std::string& bridge, const Json& p) -> Result<Json> {
    TRY_ASSIGN(port, port_param(of, bridge, p));
    TRY_ASSIGN(admin, get_string(p, "admin"));
    if (admin != "up" && admin != "down") {
      return invalid_params("\"admin\" must be \"up\" or \"down\", not \"" + admin + "\"");
    }
    TRY_STATUS(of.set_port_admin(bridge, port, admin == "up"));
    return done();
  }));
  d.add("of.ports.dump", with_bridge([&of](const std::string& bridge, const Json& p) -> Result<Json> {
    std::optional<std::string> only;
    if (p.contains("port")) {
      TRY_ASSIGN(name, port_param(of, bridge, p));
      only = name;
    }
    TRY_ASSIGN(ports, of.list_ports(bridge));
    Json out = Json::array();
    for (const ofproto::PortStatus& port : ports) {
      if (only && port.config.name != *only) continue;
      out.push_back(Json{{"ofport", port.ofport},
                         {"name", port.config.name},
                         {"stats", vport_stats_json(port.stats)}});
    }
    if (only && out.empty()) return make_error("bridge " + bridge + " has no port " + *only);
    return out;
  }));
}

void add_rule_methods(JsonRpcDispatcher& d, Ofproto& of) {
  d.add("of.flows.add", with_bridge([&of](const std::string& bridge, const Json& p) -> Result<Json> {
    TRY_ASSIGN(flows, get_string_list(p, "flows", false));
    TRY_STATUS(of.add_flows(bridge, flows));
    return Json{{"count", flows.size()}};
  }));
  d.add("of.flows.mod", with_bridge([&of](const std::string& bridge, const Json& p) -> Result<Json> {
    TRY_ASSIGN(flow, get_string(p, "flow"));
    TRY_ASSIGN(strict, get_optional_bool(p, "strict", false));
    TRY_ASSIGN(count, of.mod_flows(bridge, flow, strict));
    return Json{{"count", count}};
  }));
  d.add("of.flows.del", with_bridge([&of](const std::string& bridge, const Json& p) -> Result<Json> {
    TRY_ASSIGN(filter, get_optional_string(p, "filter", ""));
    TRY_ASSIGN(strict, get_optional_bool(p, "strict", false));
    TRY_ASSIGN(count, of.del_flows(bridge, filter, strict));
    return Json{{"count", count}};
  }));
  // Written out in chunks between other clients' requests (see json_stream.h).
  d.add_streaming("of.flows.dump", [&of](const Json& p) -> Result<std::unique_ptr<JsonStream>> {
    TRY_ASSIGN(bridge, get_string(p, "bridge"));
    TRY_ASSIGN(filter, get_optional_string(p, "filter", ""));
    TRY_ASSIGN(rules, of.dump_flows(bridge, filter));
    return make_array_stream(std::move(rules), rule_json);
  });

  d.add("of.groups.add", with_bridge([&of](const std::string& bridge, const Json& p) -> Result<Json> {
    TRY_ASSIGN(group, get_string(p, "group"));
    TRY_ASSIGN(modify, get_optional_bool(p, "modify", false));
    TRY_STATUS(of.add_group(bridge, group, modify));
    return done();
  }));
  d.add("of.groups.del", with_bridge([&of](const std::string& bridge, const Json& p) -> Result<Json> {
    TRY_ASSIGN(group, get_optional_string(p, "group", ""));
    TRY_STATUS(of.del_groups(bridge, group));
    return done();
  }));
  d.add("of.groups.dump", with_bridge([&of](const std::string& bridge, const Json&) -> Result<Json> {
    TRY_ASSIGN(groups, of.dump_groups(bridge));
    Json out = Json::array();
    for (const ofproto::GroupInfo& g : groups) {
      out.push_back(Json{{"text", g.text}, {"packets", g.packets}, {"bytes", g.bytes}});
    }
    return out;
  }));
  d.add("of.meters.add", with_bridge([&of](const std::string& bridge, const Json& p) -> Result<Json> {
    TRY_ASSIGN(meter, get_string(p, "meter"));
    TRY_STATUS(of.add_meter(bridge, meter));
    return done();
  }));
  d.add("of.meters.del", with_bridge([&of](const std::string& bridge, const Json& p) -> Result<Json> {
    TRY_ASSIGN(meter, get_optional_string(p, "meter", ""));
    TRY_STATUS(of.del_meters(bridge, meter));
    return done();
  }));
  d.add("of.meters.dump", with_bridge([&of](const std::string& bridge, const Json&) -> Result<Json> {
    TRY_ASSIGN(meters, of.dump_meters(bridge));
    return Json(meters);
  }));
  d.add("of.packet_ins", with_bridge([&of](const std::string& bridge, const Json&) -> Result<Json> {
    TRY_ASSIGN(packets, of.take_packet_ins(bridge));
    Json out = Json::array();
    for (const ofproto::PacketIn& pi : packets) {
      out.push_back(Json{{"in_port", pi.in_port},
                         {"reason", packet_in_reason(pi.reason)},
                         {"table", pi.table},
                         {"cookie", pi.cookie},
                         {"packet", hex_text(pi.packet)}});
    }
    return out;
  }));
}

void add_switching_methods(JsonRpcDispatcher& d, Ofproto& of) {
  d.add_streaming("fdb.show", [&of](const Json& p) -> Result<std::unique_ptr<JsonStream>> {
    TRY_ASSIGN(bridge, get_string(p, "bridge"));
    TRY_ASSIGN(entries, of.fdb(bridge));
    TRY_ASSIGN(ports, of.list_ports(bridge));
    std::map<uint32_t, std::string> names;
    for (const ofproto::PortStatus& port : ports) names[port.ofport] = port.config.name;
    auto to_json = [names = std::move(names)](const ofproto::MacLearningTable::Entry& e) {
      // The table may hold either numbering of the local port; both print as LOCAL.
      uint32_t ofport = e.port == 0 ? ofproto::kOfppLocal : e.port;
      auto name = names.find(ofport);
      return Json{{"port", ofport},
                  {"port_name", name == names.end() ? Json() : Json(name->second)},
                  {"vlan", e.vlan},
                  {"mac", mac_text(e.mac)},
                  {"age", e.age_ms / 1000},
                  {"age_ms", e.age_ms}};
    };
    return make_array_stream(std::move(entries), std::move(to_json));
  });
  d.add("fdb.flush", with_bridge([&of](const std::string& bridge, const Json&) -> Result<Json> {
    TRY_STATUS(of.fdb_flush(bridge));
    return done();
  }));
  d.add("trace", with_bridge([&of](const std::string& bridge, const Json& p) -> Result<Json> {
    TRY_ASSIGN(flow, get_string(p, "flow"));
    TRY_ASSIGN(trace, of.trace(bridge, flow));
    return Json{{"lines", trace.lines},
                {"datapath_actions", trace.datapath_actions},
                {"megaflow", trace.megaflow}};
  }));
  d.add("upcall.show", [&of](const Json&) -> Result<Json> {
    Json out = Json::array();
    for (const Ofproto::UpcallStatus& u : of.upcall_status()) {
      out.push_back(Json{{"bridge", u.bridge},
                         {"flows", u.flows},
                         {"flows_max", u.flows_max},
                         {"flow_limit", u.flow_limit},
                         {"flow_limit_configured", u.flow_limit_configured},
                         {"dump_duration_us", u.last_dump_us},
                         {"max_idle_ms", u.max_idle_ms},
                         {"ukeys", u.ukeys},
                         {"handler_threads", u.handler_threads},
                         {"upcall_rate", u.upcall_rate},
                         {"upcalls_rate_limited", u.upcalls_rate_limited},
                         {"upcalls_queued", u.upcalls_queued}});
    }
    return out;
  });
  d.add("ofproto.stats", [&of](const Json&) -> Result<Json> {
    Ofproto::Stats s = of.stats();
    return Json{{"upcalls", s.upcalls},
                {"flows_installed", s.flows_installed},
                {"install_failures", s.install_failures},
                {"revalidation_rounds", s.revalidation_rounds},
                {"flows_deleted_idle", s.flows_deleted_idle},
                {"flows_modified", s.flows_modified},
                {"flows_deleted_changed", s.flows_deleted_changed},
                {"dump_duration_us", s.dump_duration_us},
                {"last_dump_duration_us", s.last_dump_duration_us}};
  });
}

}  // namespace

void add_ofproto_methods(JsonRpcDispatcher& dispatcher, Ofproto& ofproto) {
  add_bridge_methods(dispatcher, ofproto);
  add_port_methods(dispatcher, ofproto);
  add_controller_methods(dispatcher, ofproto);
  add_rule_methods(dispatcher, ofproto);
  add_switching_methods(dispatcher, ofproto);
}

bool is_ofproto_query(std::string_view method) {
  static const std::set<std::string_view> kQueries = {
      "br.list",        "br.get",         "br.port.list", "of.flows.dump",
      "of.groups.dump", "of.meters.dump", "of.ports.dump", "fdb.show",
      "trace",          "ofproto.stats", "of.packet_ins", "upcall.show"};
  return kQueries.count(method) != 0;
}

}  // namespace flowpath::control
