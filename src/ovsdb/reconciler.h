// Carries out what the database asks (a SwitchIntent) through the same
// Ofproto calls as fpctl's bridge verbs, and reads back the status
// ovs-vswitchd writes: per Interface ofport, ifindex, mac_in_use, link_state,
// admin_state, mtu, statistics and error; per Bridge datapath_id and
// datapath_version; per Controller is_connected, role and status (state,
// last_error, sec_since_connect/disconnect) from the bridge's connection
// manager, or why the row was not applied; and cur_cfg = next_cfg.
//
// Reconciling is idempotent: what is already as asked is left alone, so a
// port keeps its counters and learned MACs across unrelated changes. A port
// whose settings change is deleted and added again.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ofproto/ofproto.h"
#include "tunnel/underlay.h"
#include "ovsdb/vswitch_config.h"

namespace flowpath::ovsdb {

// What an Open_vSwitch other_config key that is absent means: flowpathd's
// own start settings (flowpathd --emc, --emc-insert-inv-prob), which the
// database's keys override while they are set.
struct SwitchDefaults {
  bool emc = false;
  uint32_t emc_insert_inv_prob = 100;
  unsigned handler_threads = 0;  // 0: DatapathInterface's default
  // flowpathd --cpus or --threads: one entry per forwarding thread.
  std::vector<std::optional<unsigned>> forwarding_cpus;
  bool operator==(const SwitchDefaults&) const = default;
};

class Reconciler {
 public:
  // `underlay` (may be null): the route table tunnel interfaces' status
  // (tunnel_egress_iface) is read from.
  explicit Reconciler(ofproto::Ofproto& ofproto, SwitchDefaults defaults = {},
                      tunnel::Underlay* underlay = nullptr)
      : ofproto_(ofproto), defaults_(std::move(defaults)), underlay_(underlay) {}

  // Applies `intent`; every failure is logged and kept for the status.
  void apply(const SwitchIntent& intent);

  // The "update" operations of a transaction that writes the status of every
  // row of `intent` whose monitored status in `replica` differs from now,
  // statistics included when `with_statistics`, and cur_cfg = next_cfg.
  // Empty when nothing needs writing.
  Json status_operations(const SwitchIntent& intent, const Replica& replica,
                         bool with_statistics) const;

  // Forgets what was applied (the ports stay), e.g. to reapply after
  // flowpathd's bridges changed behind its back. Not needed on reconnect.
  const std::map<std::string, std::string>& interface_errors() const { return errors_; }

 private:
  void apply_bridge(const BridgeIntent& bridge, bool created);
  // Open_vSwitch other_config:flow-limit and vlan-limit on a bridge's
  // datapath (Open vSwitch's defaults, 200000 and 1, when a key goes), and
  // the exact-match cache emc_ chose.
  void apply_datapath_settings(const SwitchIntent& intent, const std::string& bridge);
  // other_config:emc-insert-inv-prob as the datapaths' (emc on/off, 1/N):
  // N > 0 is on with 1/N, 0 is off; absent, the defaults; refused, what runs.
  void choose_emc(const SwitchIntent& intent);
  // other_config:n-handler-threads for every datapath: absent, the
  // defaults; refused, what runs.
  void apply_handler_threads(const SwitchIntent& intent);
  // other_config:pmd-cpu-mask: the forwarding threads' CPUs; absent, the
  // start setting; refused (a bad mask, or one the datapath interface
  // cannot apply), what runs.
  void apply_forwarding_cpus(const SwitchIntent& intent);
  // The Bridge's controller column and fail_mode, through the same Ofproto
  // calls as fpctl set-controller and set-fail-mode.
  void apply_controllers(const BridgeIntent& bridge);
  void apply_ports(const SwitchIntent& intent);
  void add_controller_status(const BridgeIntent& bridge, const Replica& replica, bool with_times,
                             Json& operations) const;

  ofproto::Ofproto& ofproto_;
  SwitchDefaults defaults_;
  // The exact-match cache every bridge's datapath is given (use, 1/N).
  struct EmcSetting {
    bool on = false;
    uint32_t inverse_probability = 100;
    bool operator==(const EmcSetting&) const = default;
  };
  std::optional<EmcSetting> emc_;
  std::optional<unsigned> handler_threads_;  // as last applied (0: the default)
  // The forwarding CPUs last asked for (applied or refused: told once).
  std::optional<std::vector<std::optional<unsigned>>> forwarding_cpus_;
  tunnel::Underlay* underlay_;
  // Interface name -> the settings it was added with (on which bridge).
  struct Applied {
    std::string bridge;
    ofproto::PortConfig config;
  };
  std::map<std::string, Applied> applied_;
  std::map<std::string, std::string> errors_;  // Interface UUID -> error
  std::map<std::string, std::string> controller_errors_;  // Controller UUID -> why not applied
  std::map<std::string, std::string> bridge_hwaddr_;  // bridge -> hwaddr applied
  // bridge -> the flow-limit, vlan-limit and EMC its datapath was given
  struct AppliedDatapathSettings {
    uint64_t flow_limit = 0;
    int vlan_limit = 0;
    EmcSetting emc;
    bool operator==(const AppliedDatapathSettings&) const = default;
  };
  std::map<std::string, AppliedDatapathSettings> bridge_datapath_settings_;
  std::vector<std::string> last_problems_;  // logged once until they change
};

// Two port settings that open the same port the same way.
bool same_port_settings(const ofproto::PortConfig& a, const ofproto::PortConfig& b);

}  // namespace flowpath::ovsdb
