// A bridge's configuration as ovs-vsctl sets it and the state file keeps it:
// ports with their OpenFlow numbers and VLAN modes, table sizes, and the
// rules, groups and meters in ovs-ofctl text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "vport/vport.h"

namespace flowpath::ofproto {

// Open vSwitch's vlan_mode values. Without vlan_mode, a port with a tag is
// kAccess and a port without one is kTrunk.
enum class VlanMode : uint8_t { kTrunk, kAccess, kNativeTagged, kNativeUntagged };
std::string_view to_string(VlanMode mode);  // "trunk", "access", "native-tagged", "native-untagged"

struct PortConfig {
  std::string name;                 // interface name
  std::string type = "afpacket";    // afpacket, afxdp, tap, internal, pcap
  std::vector<std::pair<std::string, std::string>> options;  // other vport options (k=v)
  uint32_t ofport = 0;              // 0: choose the lowest free number
  std::optional<uint16_t> tag;      // access VLAN, or the native VLAN
  std::vector<uint16_t> trunks;     // empty: every VLAN
  std::optional<VlanMode> vlan_mode;  // unset: from tag (see VlanMode)
  bool admin_up = true;

  VlanMode effective_vlan_mode() const;
  // The vport spec to open it with ("IFACE,type=T,k=v,...").
  std::string vport_spec() const;
};

// "add-port BR IFACE [type=T] [tag=N] [trunks=N,M,...] [vlan_mode=M]
// [ofport_request=N] [mtu_request=N] [KEY=VALUE...]": the words after IFACE.
// Checks ranges (VLAN 0..4095, ofport 1..1023) and combinations (access
// needs a tag, a native mode needs a tag, trunks with access is refused).
// mtu_request=N (Open vSwitch's spelling) is the vport option mtu=N; other
// KEY=VALUE words are vport options, checked when the port opens.
Result<PortConfig> parse_port_settings(std::string_view name, const std::vector<std::string>& words);

// VLAN rules of the NORMAL action for one port (VLAN 0 stands for
// "untagged" on trunks, as in Open vSwitch):
// The VLAN a frame received on `port` belongs to, given its 802.1Q VID
// (nullopt: untagged; a priority tag is VID 0); nullopt when the port
// must drop it.
std::optional<uint16_t> input_vlan(const PortConfig& port, std::optional<uint16_t> vid);
// Does `port` carry `vlan`?
bool port_carries_vlan(const PortConfig& port, uint16_t vlan);
// Must a frame of `vlan` leave `port` with a tag? (Only meaningful when
// port_carries_vlan().)
bool output_tagged(const PortConfig& port, uint16_t vlan);

// What a bridge does while no controller is connected (ovs-vsctl
// set-fail-mode): standalone, the default, forwards as a learning switch
// (NORMAL); secure leaves forwarding to the rules the controllers installed.
enum class FailMode : uint8_t { kStandalone, kSecure };
std::string_view to_string(FailMode mode);  // "standalone", "secure"
std::optional<FailMode> parse_fail_mode(std::string_view text);

// The OpenFlow controllers of a bridge (ovs-vsctl set-controller): active
// targets ("tcp:IP[:PORT]", "unix:PATH") the bridge connects to and passive
// ones ("ptcp:[PORT][:IP]", "punix:PATH") it listens on.
struct ControllerSettings {
  std::vector<std::string> targets;
  // Open vSwitch's inactivity_probe (an echo request after this long without
  // a message; the connection is dropped after as long again) and
  // max_backoff (the longest wait between connection attempts), in ms.
  uint32_t inactivity_probe_ms = 5000;
  uint32_t max_backoff_ms = 8000;
  friend bool operator==(const ControllerSettings&, const ControllerSettings&) = default;
};

struct BridgeConfig {
  std::string name;
  std::vector<PortConfig> ports;   // the local port is implicit
  size_t mac_table_size = 8192;
  uint32_t mac_aging_seconds = 300;
  uint32_t max_idle_ms = 10000;    // datapath flows idle this long are removed
  // The settings of the bridge's datapath that were set (fpctl set-dp on the
  // bridge's datapath, the JSON-RPC methods dp.set and br.set); unset ones
  // are flowpathd's defaults. The datapath checks them when they apply.
  struct DatapathSettingsConfig {
    std::optional<uint32_t> vlan_limit;
    std::optional<uint64_t> flow_limit;
    std::optional<uint64_t> upcall_rate;  // upcalls per second, 0: unlimited
    std::optional<bool> emc;
    std::optional<uint32_t> emc_insert_inv_prob;  // 1/N of new keys enter the EMC; 0: none
    friend bool operator==(const DatapathSettingsConfig&, const DatapathSettingsConfig&) = default;
  } datapath;
  std::vector<std::string> flows;  // "table=0,priority=0,actions=NORMAL" (no statistics)
  std::vector<std::string> groups;
  std::vector<std::string> meters;
  ControllerSettings controllers;
  std::optional<FailMode> fail_mode;  // unset: standalone (ovs-vsctl get-fail-mode prints nothing)
};

struct SwitchState {
  std::vector<BridgeConfig> bridges;
};

// The state file (TOML). A missing file is an empty state; a file that does
// not parse is an error naming the line. save writes PATH.tmp, flushes it to
// disk, renames it over PATH and flushes the directory: when it returns Ok
// the new state survives a crash or a power cut, and a crash before that
// leaves the old file whole.
Result<SwitchState> load_state_file(const std::string& path);
Status save_state_file(const std::string& path, const SwitchState& state);
// What load_state_file() does with the file's text; `source` names it in
// messages. (The fuzzer's entry point.)
Result<SwitchState> parse_state_text(std::string_view text, const std::string& source);
// The text save_state_file() writes.
Result<std::string> format_state_text(const SwitchState& state);
// Removes PATH.tmp, the temporary file of a save that a crash interrupted;
// returns whether there was one.
Result<bool> remove_stale_temporary(const std::string& path);

}  // namespace flowpath::ofproto
