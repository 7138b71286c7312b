// fpctl's bridge verbs as OVSDB transactions, for a flowpathd whose bridges
// belong to a database (--ovsdb): add-br, del-br, add-port, del-port,
// set-controller/del-controller, set-fail-mode/del-fail-mode and the MAC
// table settings become the rows and columns ovs-vsctl would write, built
// against the monitored replica. Each returns the operations (RFC 7047
// section 5.2), an empty array when there is nothing to do (--may-exist,
// --if-exists), or an error that names what was wrong, as ovs-vsctl would
// say it. A setting with no column in the Open_vSwitch schema is refused.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "ofproto/bridge_config.h"
#include "ovsdb/replica.h"

namespace flowpath::ovsdb {

Result<Json> add_bridge_operations(const Replica& replica, const std::string& bridge, bool may_exist);
Result<Json> del_bridge_operations(const Replica& replica, const std::string& bridge, bool if_exists);
// `words` as fpctl add-port takes them (tag=10, type=internal, ...).
Result<Json> add_port_operations(const Replica& replica, const std::string& bridge,
                                 const std::string& port, const std::vector<std::string>& words,
                                 bool may_exist);
// `bridge` may be empty: the bridge that has the port.
Result<Json> del_port_operations(const Replica& replica, const std::string& bridge,
                                 const std::string& port);
// Replaces the bridge's Controller rows (none: del-controller). Unset
// values leave the columns empty (Open vSwitch's defaults).
Result<Json> set_controller_operations(const Replica& replica, const std::string& bridge,
                                       const std::vector<std::string>& targets,
                                       std::optional<uint32_t> inactivity_probe_ms,
                                       std::optional<uint32_t> max_backoff_ms);
Result<Json> set_fail_mode_operations(const Replica& replica, const std::string& bridge,
                                      std::optional<ofproto::FailMode> mode);
// Bridge other_config:mac-table-size and mac-aging-time.
Result<Json> set_mac_table_operations(const Replica& replica, const std::string& bridge,
                                      std::optional<size_t> size, std::optional<uint32_t> aging);

// The Bridge row named `bridge`, if the replica has one.
std::optional<std::string> find_bridge_uuid(const Replica& replica, const std::string& bridge);

}  // namespace flowpath::ovsdb
