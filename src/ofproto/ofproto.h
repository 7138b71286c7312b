// Ofproto: the OpenFlow layer of the slow path. It owns the bridges (each on
// a datapath of the same name), their rule tables, groups, meters and MAC
// tables. Beneath it, the upcall layer (upcall/upcall_layer.h, Open
// vSwitch's udpif) is the datapaths' UpcallHandler: it handles upcalls,
// keeps the ukeys of the megaflows it installed and runs the revalidator,
// and asks each bridge's BridgeTranslator (bridge_translator.h) what a flow
// does. Ofproto creates the upcall layer, registers each bridge's datapath
// with it, and passes its controls (revalidate_now(), stats()) through.
//
// Every configuration change is written to the state file, from which
// restore() rebuilds bridges, ports, rules, groups and meters at start. A
// change is acknowledged only once the file holding it is on disk; when it
// cannot be written, the change is undone and the caller gets the error.
//
// Lock order, the upcall layer's included. A lock may be taken while holding
// those above it, never one above while holding one below:
//
//   1. config_mutex_            serialises configuration changes
//   2. UpcallLayer's datapaths mutex   shared by upcall handlers (a batch)
//                               and the revalidator (a pass), across the
//                               BridgeTranslator calls that take 3-7;
//                               exclusive (add/remove a datapath) only with
//                               config_mutex_ held and no lock below
//   3. bridges_mutex_           guards the map; shared by translators
//                               (a neighbour request's packet_out())
//   4. Bridge::state_mutex      a bridge's rules, groups, meters, ports
//   5. the rule tables' mutex   (RuleTables::mutex(), writers of the tables)
//   6. Bridge::packet_in_mutex, Bridge::controller_mutex   leaves
//   7. UpcallLayer's per-datapath ukey mutex   held only for ukey
//                               bookkeeping; under it only
//                               BridgeTranslator::credit(), which takes no lock
//   UpcallLayer's revalidator mutex   a leaf: revalidate_now() may be called
//                               holding any of the above
//
// The MAC learning table has its own internal lock (a leaf). Ofproto calls
// the upcall layer's status() and set_max_idle() (which take 2 shared and
// call nothing) holding at most config_mutex_.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "common/lock_file.h"
#include "common/result.h"
#include "datapath/datapath_interface.h"
#include "datapath/upcall_handler.h"
#include "ofproto/bridge_config.h"
#include "openflow/flow_mod.h"
#include "openflow/wire/group_mod.h"
#include "openflow/wire/meter.h"
#include "openflow/wire/ofp_error.h"
#include "ofproto/rule.h"
#include "ofproto/mac_learning.h"
#include "ofproto/xlate.h"
#include "tunnel/underlay.h"
#include "upcall/upcall_layer.h"

namespace flowpath::ofproto {

// The OpenFlow model (matches, actions, groups, flow mods) is the slow
// path's vocabulary.
using namespace openflow;  // NOLINT(google-build-using-namespace)

class Bridge;
struct RuleChanges;
class RuleBatch;
struct BridgePort;

struct OfprotoOptions {
  std::string state_file;                  // empty: nothing is persisted
  uint32_t revalidate_interval_ms = 500;   // one revalidation round at least this often
};

class BridgeTranslator;

struct RuleInfo {
  uint8_t table;
  uint16_t priority;
  uint64_t cookie;
  uint16_t idle_timeout, hard_timeout;
  uint64_t packets, bytes;
  uint64_t duration_ms;
  uint64_t idle_ms;  // since the rule last matched a packet (or since added)
  std::string match;    // format_of_match (with priority)
  std::string actions;  // format_of_actions
};

struct PortStatus {
  PortConfig config;
  uint32_t ofport;     // OpenFlow number (kOfppLocal for the bridge's own port)
  uint32_t dp_port;
  bool link_up;
  VportStats stats;
  // The port waits for its interface, which does not exist (yet).
  bool absent = false;
  std::string absent_reason;
};

struct GroupInfo {
  std::string text;  // format_group_spec
  uint64_t packets = 0, bytes = 0;
  GroupSpec spec;
  uint64_t duration_ms = 0;  // since it was added
  uint32_t rules = 0;        // rules whose actions use it
};

struct MeterInfo {
  MeterSpec spec;
  uint64_t duration_ms = 0;  // since it was added or last changed
  uint32_t rules = 0;        // rules whose actions use it
  uint64_t packets = 0, bytes = 0;  // reached the meter
  struct Band {
    uint64_t packets = 0, bytes = 0;  // exceeded the band (dropped)
  };
  std::vector<Band> bands;
};


struct TraceResult {
  std::vector<std::string> lines;  // human-readable, as ofproto/trace prints
  std::string datapath_actions;    // ODP text
  std::string megaflow;            // ODP text of the megaflow (key and mask)
};

struct PacketIn {  // CONTROLLER actions and table misses, queued for the OpenFlow channel
  uint32_t in_port;  // OpenFlow number
  uint8_t reason;    // OpenFlow 1.4's numbers (0 no_match, 1 action, ...)
  bool explicit_miss = false;  // sent by a table-miss rule (no_match from OpenFlow 1.3)
  uint8_t table;
  uint64_t cookie;   // ~0: a table miss, no rule
  uint16_t controller_id = 0;  // only connections with this id get it
  uint32_t total_len = 0;      // the whole packet's length
  std::vector<uint8_t> packet;    // max_len bytes at most
  std::vector<uint8_t> userdata;  // controller(userdata=...)
};

// A port added (reason 0), deleted (1) or changed (2: admin state or link),
// for OpenFlow port-status messages.
struct PortChange {
  uint8_t reason;
  PortStatus port;
};

// A rule that left its table, for flow-removed messages (only rules with
// send_flow_rem are reported). `reason`: OpenFlow's (0 idle timeout, 1 hard
// timeout, 2 delete, 3 group delete).
struct RuleRemoved {
  std::shared_ptr<const Rule> rule;
  uint8_t reason;
  uint64_t removed_ms;  // monotonic_ms()
};

// What a bridge has queued for its OpenFlow connections.
struct AsyncBacklog {
  std::vector<PacketIn> packet_ins;
  std::vector<PortChange> port_changes;
  std::vector<RuleRemoved> rules_removed;
};

// One controller target as the connection manager sees it (fpctl show,
// ovs-vsctl's Controller status).
struct ControllerStatus {
  std::string target;
  bool connected = false;
  std::string state;       // ACTIVE, CONNECTING, BACKOFF, LISTENING
  std::string role;        // equal, master, slave (of an active connection)
  std::string last_error;  // why the last connection attempt or connection failed
  uint64_t connected_at_ms = 0;     // monotonic_ms() it connected at, while connected
  uint64_t disconnected_at_ms = 0;  // while not: when it was last connected (0: never)
  uint32_t connections = 0;         // passive targets: connections accepted and open
  uint16_t bound_port = 0;          // ptcp: the port it listens on
  friend bool operator==(const ControllerStatus&, const ControllerStatus&) = default;
};

// The connection manager's report on a bridge's controllers.
struct ControllerReport {
  std::vector<ControllerStatus> controllers;
  // Standalone bridge whose controllers have all been unreachable for three
  // inactivity probe intervals: NORMAL forwards, as Open vSwitch's fail-open.
  bool fail_open = false;
  // An OpenFlow 1.0 controller (id 0) is connected: a table miss sends a
  // packet-in (OpenFlow 1.3+ needs an explicit table-miss rule).
  bool packet_in_on_miss = false;
  friend bool operator==(const ControllerReport&, const ControllerReport&) = default;
};

// One OpenFlow table's counters: its rules, and the packets they matched
// (from the statistics the revalidator pushes to rules). Packets that missed
// every rule are not counted per table, so lookups = matched.
struct TableCounts {
  uint32_t rules = 0;
  uint64_t lookups = 0, matched = 0;
};

// A flow mod in the model (from fpctl text or the wire).
struct FlowModRequest {
  FlowModCommand command = FlowModCommand::kAdd;  // kAdd .. kDeleteStrict
  FlowModSpec spec;
  std::optional<uint64_t> new_cookie;  // modify: the cookie selected rules get
  // Modify: OpenFlow adds the rule when none matched (unless the request
  // selects by cookie).
  bool add_if_none = true;
};

// One message of a bundle: a flow mod or a group mod.
struct BundleItem {
  std::optional<FlowModRequest> flow_mod;
  std::optional<wire::GroupMod> group_mod;
};

class Ofproto final {
 public:
  explicit Ofproto(OfprotoOptions options = {});
  ~Ofproto();  // stops the revalidator

  // The datapaths' upcall handler: the upcall layer beneath this slow path.
  // Give it to the DatapathInterface (DatapathConfig::upcall_handler), then
  // attach() to that interface.
  std::shared_ptr<UpcallHandler> upcall_handler() const { return upcalls_; }
  // Binds to the datapath interface that calls upcall_handler(), and starts
  // the revalidator.
  void attach(DatapathInterface& dpif);
  // Makes the state file this process's: locks PATH.lock (a second daemon on
  // the same file is refused, told the first one's pid; the lock and its
  // directory as LockFile takes them) and removes the temporary file of a
  // save a crash interrupted. Call it before restore(); without it nothing
  // stops two processes from writing the same file.
  Status lock_state_file();
  // Rebuilds every bridge of the state file. Errors for single items
  // (a port whose interface is gone) are logged and skipped, not fatal.
  Status restore();
  void stop();  // stops the revalidator (idempotent)
  // Called (from any thread, after the change) when bridges come or go,
  // controllers change, or packet-ins, port or rule changes are queued: the
  // OpenFlow connection manager follows them. Set before attach().
  void set_change_observer(std::function<void()> observer) { change_observer_ = std::move(observer); }
  // Native tunnelling's routes and neighbour cache, for output to tunnel
  // ports (xlate_tunnel.cc). Set before the first bridge is added; without
  // it, output to a tunnel port drops.
  void set_underlay(tunnel::Underlay* underlay) { underlay_ = underlay; }

  // ---- Bridges (ovs-vsctl)
  Status add_bridge(const std::string& name, bool may_exist = false);
  Status del_bridge(const std::string& name, bool if_exists = false);
  std::vector<std::string> list_bridges() const;
  Result<uint32_t> add_port(const std::string& bridge, const PortConfig& port);  // → ofport
  // `bridge` may be empty: the bridge that has the port.
  Status del_port(const std::string& bridge, const std::string& port);
  Result<std::vector<PortStatus>> list_ports(const std::string& bridge) const;
  // Interface `name` changed (the daemon's rtnetlink monitor): `link_up`
  // is its carrier now (false when it is gone). Every bridge port of that
  // interface takes it at once: an OpenFlow port-status (OFPPR_MODIFY)
  // when the link state changed or `modified` (its MTU or Ethernet address
  // did), and fast-failover groups and NORMAL see the new liveness.
  void interface_changed(const std::string& name, bool link_up, bool modified);
  Status set_port_admin(const std::string& bridge, const std::string& port, bool up);
  Result<BridgeConfig> bridge_config(const std::string& bridge) const;
  Status set_mac_table(const std::string& bridge, std::optional<size_t> size,
                       std::optional<uint32_t> aging_seconds);
  // Datapath flows of the bridge idle this long are removed (Open vSwitch's
  // other_config:max-idle); 500 ms at least.
  Status set_max_idle(const std::string& bridge, uint32_t max_idle_ms);
  // The settings of the bridge's datapath and its max-idle, all or none,
  // kept in the state file (ofproto_datapath_settings.cc). Errors: a bad
  // setting (named), no such bridge, the state file cannot be written (then
  // nothing changed).
  Status set_datapath_settings(const std::string& bridge, const DatapathSettings& settings,
                               std::optional<uint32_t> max_idle_ms = std::nullopt);
  // Threads taking each bridge's upcalls (Open vSwitch's
  // other_config:n-handler-threads; 0: the default), through the datapath
  // interface, for every datapath. Not kept in the state file: a start
  // setting (flowpathd --handler-threads) or the database's.
  Status set_handler_threads(unsigned threads);
  // Where the forwarding threads run (Open vSwitch's pmd-cpu-mask), through
  // the datapath interface (DatapathInterface::set_forwarding_cpus).
  Status set_forwarding_cpus(const std::vector<std::optional<unsigned>>& cpus);
  // upcall/show: per bridge, its datapath's flows against the flow limit
  // (the adaptive one and the setting), the last dump's duration, handler
  // threads and the upcall rate limit.
  struct UpcallStatus {
    std::string bridge;
    uint64_t flows = 0, flows_max = 0;
    uint64_t flow_limit = 0, flow_limit_configured = 0;
    uint64_t last_dump_us = 0;
    uint32_t max_idle_ms = 0;
    uint64_t ukeys = 0;
    unsigned handler_threads = 0;
    uint64_t upcall_rate = 0;
    uint64_t upcalls_rate_limited = 0;
    uint64_t upcalls_queued = 0;
  };
  std::vector<UpcallStatus> upcall_status() const;

  // ---- Rules (ovs-ofctl). Text as parse_flow_mod takes it. A batch is
  // checked whole first: one bad line changes nothing.
  Status add_flows(const std::string& bridge, const std::vector<std::string>& lines);
  Result<size_t> mod_flows(const std::string& bridge, const std::string& line, bool strict);
  Result<size_t> del_flows(const std::string& bridge, const std::string& filter, bool strict);
  Result<std::vector<RuleInfo>> dump_flows(const std::string& bridge,
                                           const std::string& filter) const;

  // The same in the model, with OpenFlow's error codes: the number of rules
  // added, modified or deleted.
  wire::WireResult<size_t> flow_mod(const std::string& bridge, const FlowModRequest& request);
  // The rules a filter selects (table, match non-strictly, cookie, out_port,
  // out_group), in table then priority order.
  Result<std::vector<RulePtr>> find_rules(const std::string& bridge,
                                          const FlowModSpec& filter) const;

  // A packet-out: `actions` on `frame` as if it came in on `in_port`
  // (OpenFlow number; kOfppController for a controller's own packet).
  wire::WireStatus packet_out(const std::string& bridge, uint32_t in_port,
                              const std::vector<OfAction>& actions,
                              std::span<const uint8_t> frame);

  Result<std::vector<TableCounts>> table_counts(const std::string& bridge) const;

  Status add_group(const std::string& bridge, const std::string& text, bool modify = false);
  Status del_groups(const std::string& bridge, const std::string& text);  // "" = all
  Result<std::vector<GroupInfo>> dump_groups(const std::string& bridge) const;
  Status add_meter(const std::string& bridge, const std::string& text);
  Status del_meters(const std::string& bridge, const std::string& text);  // "" = all
  Result<std::vector<std::string>> dump_meters(const std::string& bridge) const;

  // ---- Groups, meters and bundles in the model, with OpenFlow's errors
  // (ofproto_group_mod.cc, ofproto_meter_mod.cc, ofproto_bundle.cc). A
  // refused change leaves the bridge as it was. Deleting a group or a meter
  // deletes the rules that use it, as Open vSwitch does.
  wire::WireStatus group_mod(const std::string& bridge, const wire::GroupMod& gm);
  wire::WireStatus meter_mod(const std::string& bridge, const wire::MeterMod& mm);
  Result<std::vector<MeterInfo>> meters(const std::string& bridge) const;
  // Applies every item in order, all or nothing: on the first refusal the
  // bridge is left as before and `failed` (if given) is the item's index.
  wire::WireStatus commit_bundle(const std::string& bridge, const std::vector<BundleItem>& items,
                                 size_t* failed = nullptr);

  Result<std::vector<MacLearningTable::Entry>> fdb(const std::string& bridge) const;
  Status fdb_flush(const std::string& bridge);
  Result<std::vector<PacketIn>> take_packet_ins(const std::string& bridge);
  // Everything queued for the OpenFlow connections (packet-ins only with
  // `packet_ins`; otherwise they stay for take_packet_ins()).
  Result<AsyncBacklog> take_async(const std::string& bridge, bool packet_ins);

  // ---- OpenFlow controllers and fail mode (ovs-vsctl; ofproto_controllers.cc)
  // Empty targets: no controller (del-controller). Going from no controller
  // to some, or back, deletes every rule, group and meter, as Open vSwitch
  // does; so does changing the fail mode of a bridge without controllers.
  // A bridge left without controllers in standalone mode gets the rule
  // priority=0,actions=NORMAL.
  Status set_controllers(const std::string& bridge, ControllerSettings settings);
  Result<ControllerSettings> get_controllers(const std::string& bridge) const;
  Status set_fail_mode(const std::string& bridge, std::optional<FailMode> mode);
  Result<std::optional<FailMode>> get_fail_mode(const std::string& bridge) const;
  // The connection manager's report (from its thread).
  void report_controllers(const std::string& bridge, ControllerReport report);
  Result<std::vector<ControllerStatus>> controller_status(const std::string& bridge) const;

  // ofproto/trace: `flow` is ODP key text ("in_port(1),eth(...),...") or an
  // ovs-ofctl match ("in_port=1,dl_src=...,tcp,tp_dst=22") for a packet;
  // nothing is learned or installed.
  Result<TraceResult> trace(const std::string& bridge, const std::string& flow) const;

  // Revalidator controls and counters (the upcall layer's).
  void revalidate_now() { upcalls_->revalidate_now(); }  // wakes the revalidator, returns at once
  // Blocks until a full revalidation round has started and ended after this call.
  void wait_revalidation_round() { upcalls_->wait_revalidation_round(); }
  using Stats = upcall::UpcallStats;
  Stats stats() const { return upcalls_->stats(); }

  // Upcalls of `dp` handled as its handler threads would (benchmarks).
  void handle(const DatapathHandle& dp, std::span<Upcall> upcalls) { upcalls_->handle(dp, upcalls); }

 private:
  // Configuration (ofproto.cc, ofproto_rules.cc)
  Result<Bridge*> find_bridge(const std::string& name) const;  // bridges_mutex_ held
  // Writes the state file (config_mutex_ held, bridges_mutex_ not): Ok once
  // it is on disk, or why not. Ok at once without a state file or while
  // restoring.
  Status save_state();
  // The end of every bridge change (config_mutex_ held): flows translated
  // before it are stale, the map lock goes, the state file is written and
  // the revalidator woken. If the file cannot be written, `undo` puts the
  // bridge back as it was (config_mutex_ still held, no other lock) and the
  // error is returned.
  Status commit_change(Bridge& bridge, std::shared_lock<std::shared_mutex>& bridges,
                       const std::function<void()>& undo);
  BridgeConfig snapshot_config(const Bridge& bridge) const;
  PortNameResolver port_resolver(const Bridge& bridge) const;
  // `changes` (if given) gets what the batch did, for an undo.
  Status add_flows_locked(Bridge& bridge, const std::vector<std::string>& lines,
                          RuleChanges* changes = nullptr);
  // Deletes every rule, group and meter; then, without controllers in
  // standalone mode, adds priority=0,actions=NORMAL (config mutex held).
  // `changes` gets what it did to the rules, for an undo.
  void flush_openflow_locked(Bridge& bridge, RuleChanges* changes);
  // Queues an asynchronous event and tells the connection manager.
  void queue_port_change(Bridge& bridge, uint8_t reason, const BridgePort& port);
  void queue_rule_removed(Bridge& bridge, const RulePtr& rule, uint8_t reason, uint64_t now_ms);
  // fpctl's flow text read against the bridge's port names.
  Result<FlowModSpec> parse_flow_text(const std::string& bridge, const std::string& text,
                                      FlowModCommand command) const;
  // The tables' mutex held; a refused spec leaves the batch uncommitted.
  wire::WireStatus add_rules_locked(Bridge& bridge, RuleBatch& batch,
                                    std::vector<FlowModSpec>& specs);
  // Rules a change deletes, with the flow-removed reason, reported once
  // the change is committed (queue_removed).
  using RemovedRules = std::vector<std::pair<RulePtr, uint8_t>>;
  void queue_removed(Bridge& bridge, const RemovedRules& removed);
  // One flow mod into `batch` (the tables' mutex held); the rules it deletes
  // go to `removed`.
  wire::WireResult<size_t> flow_mod_locked(Bridge& bridge, RuleBatch& batch,
                                           const FlowModRequest& request, RemovedRules* removed);
  // One group mod (the state lock held exclusively, the tables' mutex held):
  // the groups change in place, the rules a delete takes go into `batch`
  // and `removed`.
  wire::WireStatus group_mod_locked(Bridge& bridge, RuleBatch& batch, const wire::GroupMod& gm,
                                    RemovedRules* removed);

  // What the upcall layer asks of a bridge (bridge_translator.cc).
  friend class BridgeTranslator;
  // Rules past their idle or hard timeout go (the revalidator's, at the end
  // of each full round; ofproto_rules.cc).
  void expire_rules(Bridge& bridge, uint64_t now_ms);
  // Adds or refreshes the flows learn actions asked for (ofproto_learn.cc);
  // true when a table changed. The bridges' lock held, no other.
  bool apply_learned(Bridge& bridge, std::span<const LearnedFlow> flows, uint64_t now_ms);

  OfprotoOptions options_;
  std::function<void()> change_observer_;
  tunnel::Underlay* underlay_ = nullptr;
  DatapathInterface* dpif_ = nullptr;

  mutable std::mutex config_mutex_;          // serialises configuration changes
  mutable std::shared_mutex bridges_mutex_;  // guards the map (not the bridges)
  std::map<std::string, std::unique_ptr<Bridge>, std::less<>> bridges_;
  bool restoring_ = false;
  std::unique_ptr<LockFile> state_lock_;  // lock_state_file()

  // The upcall layer beneath: one for every bridge's datapath.
  const std::shared_ptr<upcall::UpcallLayer> upcalls_;
};

// A bridge's datapath settings from the state file, as the datapath takes them.
DatapathSettings to_datapath_settings(const BridgeConfig::DatapathSettingsConfig& config);

// The datapath interface a slow path drives, wired as flowpathd and fpctl
// replay run them: `ofproto`'s upcall layer is the upcall handler of every
// datapath it creates (config.upcall_handler is replaced) and `ofproto` is
// attached to it. Destroy
// the interface before the slow path, after ofproto->stop().
std::unique_ptr<DatapathInterface> make_datapath_interface(const std::shared_ptr<Ofproto>& ofproto,
                                                           DatapathConfig config);

}  // namespace flowpath::ofproto
