#include "ovsdb/vsctl_transaction.h"

#include <algorithm>

#include "openflow/channel/endpoint.h"
#include "ovsdb/vswitch_config.h"

namespace flowpath::ovsdb {

namespace {

Json named(const std::string& name) { return Json::array({"named-uuid", name}); }

Json where_uuid(const std::string& uuid) {
  return Json::array({Json::array({"_uuid", "==", encode_uuid(uuid)})});
}

Result<std::string> root_uuid(const Replica& replica) {
  const Table& roots = replica.table("Open_vSwitch");
  if (roots.empty())
    return make_error("the database has no Open_vSwitch row (run ovs-vsctl init)");
  return roots.begin()->first;
}

std::string name_of(const Row& row) {
  auto name = optional_string(Replica::column(row, "name"), "name");
  return name.ok() && *name ? **name : "";
}

// The bridge whose ports include `port_uuid` ("" if none).
std::string bridge_of_port(const Replica& replica, const std::string& port_uuid) {
  for (const auto& [uuid, row] : replica.table("Bridge")) {
    auto ports = uuid_set(Replica::column(row, "ports"), "ports");
    if (ports.ok() && std::find(ports->begin(), ports->end(), port_uuid) != ports->end())
      return name_of(row);
  }
  return "";
}

Result<std::string> bridge_uuid(const Replica& replica, const std::string& bridge) {
  auto uuid = find_bridge_uuid(replica, bridge);
  if (!uuid) return make_error("no bridge named " + bridge);
  return *uuid;
}

}  // namespace

std::optional<std::string> find_bridge_uuid(const Replica& replica, const std::string& bridge) {
  for (const auto& [uuid, row] : replica.table("Bridge"))
    if (name_of(row) == bridge) return uuid;
  return std::nullopt;
}

Result<Json> add_bridge_operations(const Replica& replica, const std::string& bridge, bool may_exist) {
  TRY_ASSIGN(root, root_uuid(replica));
  if (find_bridge_uuid(replica, bridge)) {
    if (may_exist) return Json::array();
    return make_error("cannot create a bridge named " + bridge +
                      " because a bridge named " + bridge + " already exists");
  }
  for (const char* table : {"Port", "Interface"})
    for (const auto& [uuid, row] : replica.table(table))
      if (name_of(row) == bridge)
        return make_error("cannot create a bridge named " + bridge + " because " +
                          (table == std::string("Port") ? "a port" : "an interface") +
                          " named " + bridge + " already exists");
  Json operations = Json::array();
  operations.push_back({{"op", "insert"},
                        {"table", "Interface"},
                        {"row", {{"name", bridge}, {"type", "internal"}}},
                        {"uuid-name", "iface"}});
  operations.push_back({{"op", "insert"},
                        {"table", "Port"},
                        {"row", {{"name", bridge}, {"interfaces", named("iface")}}},
                        {"uuid-name", "port"}});
  operations.push_back({{"op", "insert"},
                        {"table", "Bridge"},
                        {"row", {{"name", bridge}, {"ports", named("port")}}},
                        {"uuid-name", "bridge"}});
  operations.push_back(
      {{"op", "mutate"},
       {"table", "Open_vSwitch"},
       {"where", where_uuid(root)},
       {"mutations", Json::array({Json::array({"bridges", "insert", encode_set({named("bridge")})})})}});
  return operations;
}

Result<Json> del_bridge_operations(const Replica& replica, const std::string& bridge, bool if_exists) {
  TRY_ASSIGN(root, root_uuid(replica));
  auto uuid = find_bridge_uuid(replica, bridge);
  if (!uuid) {
    if (if_exists) return Json::array();
    return make_error("no bridge named " + bridge);
  }
  // Bridge, Port, Interface and Controller rows are not roots: the server
  // removes them once nothing refers to them.
  Json operations = Json::array();
  operations.push_back({{"op", "mutate"},
                        {"table", "Open_vSwitch"},
                        {"where", where_uuid(root)},
                        {"mutations", Json::array({Json::array(
                                          {"bridges", "delete", encode_set({encode_uuid(*uuid)})})})}});
  return operations;
}

Result<Json> add_port_operations(const Replica& replica, const std::string& bridge,
                                 const std::string& port, const std::vector<std::string>& words,
                                 bool may_exist) {
  TRY_ASSIGN(br, bridge_uuid(replica, bridge));
  for (const auto& [uuid, row] : replica.table("Port")) {
    if (name_of(row) != port) continue;
    std::string owner = bridge_of_port(replica, uuid);
    if (may_exist && owner == bridge) return Json::array();
    return make_error("cannot create a port named " + port + " because a port named " + port +
                      " already exists" + (owner.empty() ? "" : " on bridge " + owner));
  }
  for (const auto& [uuid, row] : replica.table("Interface"))
    if (name_of(row) == port)
      return make_error("cannot create an interface named " + port +
                        " because an interface named " + port + " already exists");
  auto config = ofproto::parse_port_settings(port, words);
  if (!config.ok()) return make_error("port " + port + ": " + config.error());

  Json iface = {{"name", port}};
  if (config->type != "afpacket" && vport_type_for(config->type) == config->type) {
    iface["type"] = config->type;
  } else if (config->type != "afpacket") {
    return make_error("port " + port + ": type=" + config->type +
                      " has no Interface type in the Open_vSwitch schema; it cannot be written "
                      "to the database");
  }
  // A tunnel's options are checked now, as fpctl add-port checks them
  // without a database: a port that cannot be opened is not written.
  if (auto tunnel = tunnel_config_of(*config); !tunnel.ok()) return make_error(tunnel.error());
  if (!config->admin_up)
    return make_error("port " + port + ": admin=down has no column in the database; add the port, "
                      "then take it down with fpctl mod-port (ovs-ofctl mod-port)");
  std::map<std::string, std::string> options;
  for (const auto& [key, value] : config->options) {
    if (key == "mtu") {
      iface["mtu_request"] = std::stoll(value);  // checked by parse_port_settings
    } else {
      options[key] = value;
    }
  }
  if (!options.empty()) iface["options"] = encode_string_map(options);
  if (config->ofport) iface["ofport_request"] = config->ofport;

  Json port_row = {{"name", port}, {"interfaces", named("iface")}};
  if (config->tag) port_row["tag"] = *config->tag;
  if (!config->trunks.empty()) {
    std::vector<Json> trunks(config->trunks.begin(), config->trunks.end());
    port_row["trunks"] = encode_set(std::move(trunks));
  }
  if (config->vlan_mode) port_row["vlan_mode"] = std::string(ofproto::to_string(*config->vlan_mode));

  Json operations = Json::array();
  operations.push_back({{"op", "insert"}, {"table", "Interface"}, {"row", iface}, {"uuid-name", "iface"}});
  operations.push_back({{"op", "insert"}, {"table", "Port"}, {"row", port_row}, {"uuid-name", "port"}});
  operations.push_back(
      {{"op", "mutate"},
       {"table", "Bridge"},
       {"where", where_uuid(br)},
       {"mutations", Json::array({Json::array({"ports", "insert", encode_set({named("port")})})})}});
  return operations;
}

Result<Json> del_port_operations(const Replica& replica, const std::string& bridge,
                                 const std::string& port) {
  for (const auto& [uuid, row] : replica.table("Port")) {
    if (name_of(row) != port) continue;
    std::string owner = bridge_of_port(replica, uuid);
    if (owner.empty()) break;
    if (!bridge.empty() && owner != bridge)
      return make_error("bridge " + bridge + " does not have a port " + port + " (it is on " +
                        owner + ")");
    if (owner == port) return make_error("cannot delete port " + port + " because it is the local port of bridge " + owner + " (use del-br)");
    TRY_ASSIGN(br, bridge_uuid(replica, owner));
    Json operations = Json::array();
    operations.push_back(
        {{"op", "mutate"},
         {"table", "Bridge"},
         {"where", where_uuid(br)},
         {"mutations", Json::array({Json::array({"ports", "delete", encode_set({encode_uuid(uuid)})})})}});
    return operations;
  }
  if (!bridge.empty()) TRY_STATUS(bridge_uuid(replica, bridge));
  return make_error("no port named " + port);
}

Result<Json> set_controller_operations(const Replica& replica, const std::string& bridge,
                                       const std::vector<std::string>& targets,
                                       std::optional<uint32_t> inactivity_probe_ms,
                                       std::optional<uint32_t> max_backoff_ms) {
  TRY_ASSIGN(br, bridge_uuid(replica, bridge));
  if (max_backoff_ms && *max_backoff_ms < 1000)
    return make_error("max backoff " + std::to_string(*max_backoff_ms) +
                      " ms: the database takes at least 1000 ms");
  Json operations = Json::array();
  std::vector<Json> rows;
  for (size_t i = 0; i < targets.size(); ++i) {
    if (auto endpoint = openflow::channel::parse_endpoint(targets[i]); !endpoint.ok())
      return make_error("controller " + endpoint.error());
    Json row = {{"target", targets[i]}};
    if (inactivity_probe_ms) row["inactivity_probe"] = *inactivity_probe_ms;
    if (max_backoff_ms) row["max_backoff"] = *max_backoff_ms;
    std::string name = "controller" + std::to_string(i);
    operations.push_back({{"op", "insert"}, {"table", "Controller"}, {"row", row}, {"uuid-name", name}});
    rows.push_back(named(name));
  }
  operations.push_back({{"op", "update"},
                        {"table", "Bridge"},
                        {"where", where_uuid(br)},
                        {"row", {{"controller", encode_set(std::move(rows))}}}});
  return operations;
}

Result<Json> set_fail_mode_operations(const Replica& replica, const std::string& bridge,
                                      std::optional<ofproto::FailMode> mode) {
  TRY_ASSIGN(br, bridge_uuid(replica, bridge));
  Json value = mode ? Json(std::string(ofproto::to_string(*mode))) : encode_set({});
  return Json::array({Json{{"op", "update"},
                           {"table", "Bridge"},
                           {"where", where_uuid(br)},
                           {"row", {{"fail_mode", value}}}}});
}

Result<Json> set_mac_table_operations(const Replica& replica, const std::string& bridge,
                                      std::optional<size_t> size, std::optional<uint32_t> aging) {
  TRY_ASSIGN(br, bridge_uuid(replica, bridge));
  std::vector<Json> keys;
  std::map<std::string, std::string> values;
  if (size) {
    keys.push_back("mac-table-size");
    values["mac-table-size"] = std::to_string(*size);
  }
  if (aging) {
    keys.push_back("mac-aging-time");
    values["mac-aging-time"] = std::to_string(*aging);
  }
  if (keys.empty()) return make_error("give the MAC table's size or aging time");
  Json mutations = Json::array({Json::array({"other_config", "delete", encode_set(std::move(keys))}),
                                Json::array({"other_config", "insert", encode_string_map(values)})});
  return Json::array({Json{{"op", "mutate"},
                           {"table", "Bridge"},
                           {"where", where_uuid(br)},
                           {"mutations", mutations}}});
}

}  // namespace flowpath::ovsdb
