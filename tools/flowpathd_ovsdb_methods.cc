#include "flowpathd_ovsdb_methods.h"

#include "ovsdb/vsctl_transaction.h"

namespace flowpath::tools {

namespace {

using control::Json;

// ovs-vsctl's own default wait is unbounded; fpctl's calls are not.
constexpr int kTransactionTimeoutMs = 20000;

Result<Json> done() { return Json{{"done", true}}; }

}  // namespace

void add_ovsdb_bridge_methods(control::JsonRpcDispatcher& d, ovsdb::SwitchAgent& agent,
                              ofproto::Ofproto& of) {
  using ovsdb::Replica;
  d.add("br.add", [&agent](const Json& p) -> Result<Json> {
    TRY_ASSIGN(bridge, control::get_string(p, "bridge"));
    TRY_ASSIGN(may_exist, control::get_optional_bool(p, "may_exist", false));
    TRY_STATUS(agent.transact(
        [=](const Replica& r) { return ovsdb::add_bridge_operations(r, bridge, may_exist); },
        kTransactionTimeoutMs));
    return done();
  });
  d.add("br.del", [&agent](const Json& p) -> Result<Json> {
    TRY_ASSIGN(bridge, control::get_string(p, "bridge"));
    TRY_ASSIGN(if_exists, control::get_optional_bool(p, "if_exists", false));
    TRY_STATUS(agent.transact(
        [=](const Replica& r) { return ovsdb::del_bridge_operations(r, bridge, if_exists); },
        kTransactionTimeoutMs));
    return done();
  });
  d.add("br.set", [&agent](const Json& p) -> Result<Json> {
    TRY_ASSIGN(bridge, control::get_string(p, "bridge"));
    std::optional<size_t> size;
    std::optional<uint32_t> aging;
    if (p.contains("mac_table_size")) {
      TRY_ASSIGN(value, control::get_unsigned(p, "mac_table_size", 1'000'000));
      size = static_cast<size_t>(value);
    }
    if (p.contains("mac_aging")) {
      TRY_ASSIGN(value, control::get_unsigned(p, "mac_aging", 1'000'000));
      aging = static_cast<uint32_t>(value);
    }
    if (!size && !aging) return control::invalid_params("give \"mac_table_size\" or \"mac_aging\"");
    TRY_STATUS(agent.transact(
        [=](const Replica& r) { return ovsdb::set_mac_table_operations(r, bridge, size, aging); },
        kTransactionTimeoutMs));
    return done();
  });
  d.add("br.port.add", [&agent, &of](const Json& p) -> Result<Json> {
    TRY_ASSIGN(bridge, control::get_string(p, "bridge"));
    TRY_ASSIGN(port, control::get_string(p, "port"));
    std::vector<std::string> words;
    if (p.contains("settings")) {
      if (!p["settings"].is_array()) return control::invalid_params("\"settings\" must be a list of strings");
      for (const Json& word : p["settings"]) {
        if (!word.is_string()) return control::invalid_params("\"settings\" must be a list of strings");
        words.push_back(word.get<std::string>());
      }
    }
    TRY_ASSIGN(may_exist, control::get_optional_bool(p, "may_exist", false));
    TRY_STATUS(agent.transact(
        [=](const Replica& r) { return ovsdb::add_port_operations(r, bridge, port, words, may_exist); },
        kTransactionTimeoutMs));
    // Applied: the port is open, or the reconciler kept why not (the
    // Interface's error column, as ovs-vsctl reports it).
    TRY_ASSIGN(ports, of.list_ports(bridge));
    for (const ofproto::PortStatus& status : ports)
      if (status.config.name == port) return Json{{"ofport", status.ofport}};
    return make_error("port " + port + " was written to the database, but flowpathd could not "
                      "open it: see ovs-vsctl get Interface " + port + " error");
  });
  d.add("br.port.del", [&agent](const Json& p) -> Result<Json> {
    TRY_ASSIGN(bridge, control::get_optional_string(p, "bridge", ""));
    if (!p.contains("port") || !p["port"].is_string())
      return control::invalid_params("\"port\" must be an interface name (in OVSDB mode)");
    std::string port = p["port"].get<std::string>();
    TRY_STATUS(agent.transact(
        [=](const Replica& r) { return ovsdb::del_port_operations(r, bridge, port); },
        kTransactionTimeoutMs));
    return done();
  });
  d.add("br.controller.set", [&agent](const Json& p) -> Result<Json> {
    TRY_ASSIGN(bridge, control::get_string(p, "bridge"));
    std::vector<std::string> targets;
    if (!p.contains("targets") || !p["targets"].is_array())
      return control::invalid_params("\"targets\" must be a list of strings");
    for (const Json& target : p["targets"]) {
      if (!target.is_string()) return control::invalid_params("\"targets\" must be a list of strings");
      targets.push_back(target.get<std::string>());
    }
    std::optional<uint32_t> probe, backoff;
    if (p.contains("inactivity_probe_ms")) {
      TRY_ASSIGN(value, control::get_unsigned(p, "inactivity_probe_ms", 3'600'000));
      probe = static_cast<uint32_t>(value);
    }
    if (p.contains("max_backoff_ms")) {
      TRY_ASSIGN(value, control::get_unsigned(p, "max_backoff_ms", 3'600'000));
      backoff = static_cast<uint32_t>(value);
    }
    TRY_STATUS(agent.transact(
        [=](const Replica& r) {
          return ovsdb::set_controller_operations(r, bridge, targets, probe, backoff);
        },
        kTransactionTimeoutMs));
    return done();
  });
  d.add("br.fail_mode.set", [&agent](const Json& p) -> Result<Json> {
    TRY_ASSIGN(bridge, control::get_string(p, "bridge"));
    std::optional<ofproto::FailMode> mode;
    if (p.contains("mode") && !p["mode"].is_null()) {
      TRY_ASSIGN(text, control::get_string(p, "mode"));
      mode = ofproto::parse_fail_mode(text);
      if (!mode)
        return control::invalid_params("\"mode\" must be \"standalone\" or \"secure\", not \"" + text + "\"");
    }
    TRY_STATUS(agent.transact(
        [=](const Replica& r) { return ovsdb::set_fail_mode_operations(r, bridge, mode); },
        kTransactionTimeoutMs));
    return done();
  });
}

}  // namespace flowpath::tools
