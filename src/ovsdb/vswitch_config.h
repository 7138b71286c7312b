// What the Open_vSwitch database asks of the switch, read from the replica:
// the root row's bridges, their ports and interfaces, controllers, and the
// other_config keys flowpath knows. A row that does not decode, or asks for
// something flowpath cannot do, carries its error instead of being dropped:
// an Interface's error goes to its `error` column, as ovs-vswitchd does.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ofproto/bridge_config.h"
#include "tunnel/tunnel_config.h"
#include "ovsdb/replica.h"

namespace flowpath::ovsdb {

// The columns flowpathd monitors, per table (what `monitor` asks for).
const std::map<std::string, std::vector<std::string>>& monitored_columns();

struct InterfaceIntent {
  std::string uuid;
  std::string name;
  std::string type;  // the Interface's own type text ("" = system)
  bool local = false;  // the bridge's own interface (name == bridge, type internal)
  // The port to open: valid when `error` is empty.
  ofproto::PortConfig port;
  // A tunnel interface's (vxlan, geneve) options, as the port will use them.
  std::optional<tunnel::TunnelConfig> tunnel;
  // The ofport the database last showed: without ofport_request, a port
  // gets it back when flowpathd restarts (as in ovs-vswitchd), if free.
  uint32_t previous_ofport = 0;
  std::string error;
};

struct PortIntent {
  std::string uuid;
  std::string name;
  std::vector<InterfaceIntent> interfaces;
};

// A Controller row. flowpath connects to (or listens on) `target` with the
// row's max_backoff and inactivity_probe; a row that asks for something
// flowpath does not do (in-band control, rate limits, a local IP...) is not
// applied and carries why in `error` (written to status:last_error).
struct ControllerIntent {
  std::string uuid;
  std::string target;
  uint32_t max_backoff_ms = 8000;       // Open vSwitch's defaults
  uint32_t inactivity_probe_ms = 5000;  // 0: no probes
  std::string error;
};

struct BridgeIntent {
  std::string uuid;
  std::string name;
  std::string fail_mode;  // "", "standalone" or "secure" (the schema allows no other)
  std::optional<uint64_t> datapath_id;  // other_config:datapath-id
  std::optional<std::string> hwaddr;    // other_config:hwaddr (xx:xx:xx:xx:xx:xx)
  std::optional<size_t> mac_table_size;
  std::optional<uint32_t> mac_aging_seconds;
  std::vector<PortIntent> ports;
  std::vector<ControllerIntent> controllers;
  std::vector<std::string> problems;  // logged; a Bridge has no error column
};

// An other_config key whose bad value is refused: the running value stays
// (unlike a key that is absent, which means the default).
template <class T>
struct CheckedKey {
  std::optional<T> value;  // the key's value, when present and valid
  bool invalid = false;    // present but refused (the reason is in problems)
  bool operator==(const CheckedKey&) const = default;
};

struct SwitchIntent {
  std::string root_uuid;  // the Open_vSwitch row ("" when the table is empty)
  int64_t next_cfg = 0;
  std::optional<uint32_t> max_idle_ms;  // other_config:max-idle
  std::optional<uint64_t> flow_limit;   // other_config:flow-limit (datapath flows per bridge)
  std::optional<int> vlan_limit;        // other_config:vlan-limit (0: as many as a key holds)
  // other_config:emc-insert-inv-prob: the exact-match cache takes 1 in N new
  // keys; 0 disables it (no insertion, no lookup), as in Open vSwitch.
  CheckedKey<uint32_t> emc_insert_inv_prob;
  // other_config:n-handler-threads: threads taking each bridge's upcalls
  // (0: the default, as in Open vSwitch).
  CheckedKey<unsigned> handler_threads;
  // other_config:pmd-cpu-mask: the CPUs of the forwarding threads, one each.
  CheckedKey<std::vector<unsigned>> forwarding_cpus;
  std::vector<BridgeIntent> bridges;
  std::vector<std::string> problems;
};

// Reads the replica. Never fails as a whole: problems stay with their rows.
SwitchIntent read_switch_intent(const Replica& replica);

// OVS's Interface types that flowpath opens, and the vport type each becomes:
// "" and "system" (an existing Linux device: afpacket), "internal", "tap",
// "afxdp", "vxlan", "geneve". Others (gre, patch, dpdk...) are refused.
std::optional<std::string> vport_type_for(const std::string& interface_type);
// Those types as Open_vSwitch:iface_types lists them (and the error of an
// unsupported type): system, internal, tap, afxdp, vxlan, geneve.
const std::vector<std::string>& supported_interface_types();

// The tunnel configuration of `port` when its type is a tunnel (vxlan,
// geneve), read from its options by the parser fpctl add-port's ports go
// through (tunnel::parse_tunnel_config); nullopt for other types. The error
// names the port and the option: "vxlan port vx0: option exts is not
// supported (supported: ...)".
Result<std::optional<tunnel::TunnelConfig>> tunnel_config_of(const ofproto::PortConfig& port);

// other_config:emc-insert-inv-prob: a decimal 0..4294967295, or why not.
Result<uint32_t> parse_emc_insert_inv_prob(const std::string& text);

// other_config:n-handler-threads: a decimal 0..64 (0: the default), or why not.
Result<unsigned> parse_handler_threads(const std::string& text);

// other_config:datapath-id: exactly 16 hex digits, optionally after "0x".
std::optional<uint64_t> parse_datapath_id(const std::string& text);

}  // namespace flowpath::ovsdb
