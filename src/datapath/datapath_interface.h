// The datapath interface ("dpif" in Open vSwitch): everything the control
// plane and the slow path do to datapaths — create and delete them, attach
// ports, put/get/delete/dump megaflows, execute packets — in one place, with
// every input checked and every failure explained.
//
// Control operations are serialised by one mutex and never stop the
// forwarding threads: ports and flows are published with RCU, port
// assignments with ForwardingThread::set_ports(). The mutex guards the map of
// datapaths and the port assignment; flow and packet operations hold it only
// to find their datapath. The slow path uses a DatapathHandle instead, which
// never takes it (see datapath_handle.h).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "datapath/datapath.h"
#include "datapath/datapath_handle.h"
#include "datapath/flow_api.h"
#include "datapath/forwarding_thread.h"
#include "datapath/packet_executor.h"
#include "datapath/upcall_handler.h"

namespace flowpath {

struct DatapathConfig {
  // One entry per forwarding thread: the CPU it is pinned to, or none.
  std::vector<std::optional<unsigned>> forwarding_cpus = {std::nullopt};
  uint32_t upcall_depth_per_port = UpcallQueue::kDefaultDepthPerPort;
  // How every forwarding thread waits for packets.
  PollPolicy poll_policy;
  // The slow path; nullptr drops every upcall (and counts it).
  std::shared_ptr<UpcallHandler> upcall_handler;
  // The owner drives every datapath from its own thread (fpctl replay): no
  // forwarding thread polls the ports and no handler thread takes upcalls;
  // the owner receives, runs PacketProcessor::process and passes upcalls to
  // the handler with handle_upcalls(). forwarding_cpus is ignored.
  bool caller_driven = false;
  // The local port (0) a new datapath gets; unset: an internal port (a TAP
  // device) named after the datapath.
  std::function<VportSpec(const std::string& dp)> local_port;
  // Threads taking each datapath's upcalls (Open vSwitch's
  // n-handler-threads); 0: default_handler_threads().
  unsigned handler_threads = 0;
  // What a new datapath starts with, unless its DatapathOptions say
  // otherwise: the exact-match cache off, upcalls not rate limited.
  bool emc = false;
  uint64_t upcall_rate = 0;
  // The exact-match cache inserts 1 in this many keys (Open vSwitch's
  // emc-insert-inv-prob, default 100); 0: it inserts none.
  uint32_t emc_insert_inv_prob = ExactMatchCache::kDefaultInverseProbability;
};

// Handler threads per datapath when none is configured: the cores this
// process may run on, less a quarter of them (and one) left to the
// revalidator, and at least one; Open vSwitch shares its cores the same way.
unsigned default_handler_threads();

// A datapath's settings that may change while it runs (fpctl set-dp, the
// JSON-RPC method dp.set); what is unset stays as it is.
struct DatapathSettings {
  std::optional<int> vlan_limit;      // DatapathOptions::vlan_limit
  std::optional<size_t> flow_limit;   // Datapath::set_flow_limit
  std::optional<uint64_t> upcall_rate;  // upcalls per second admitted; 0: unlimited
  std::optional<bool> emc;            // the forwarding threads' exact-match cache
  // Its insertion probability, 1/N (Open vSwitch's emc-insert-inv-prob; 0:
  // no insertion, the entries cached stay and still hit).
  std::optional<uint32_t> emc_insert_inv_prob;
};
// Checks settings without a datapath: Ok, or the first bad one, named.
Status check_datapath_settings(const DatapathSettings& settings);

struct DatapathOptions {
  // The datapath's devices (local port, tap and internal ports) outlive the
  // process: they stay, addresses and routes intact, when flowpathd stops
  // or dies, and are attached again when the datapath is created anew.
  // delete_datapath() and remove_port() remove them. For datapaths that are
  // restored at start (bridges kept in the state file).
  bool keep_devices = false;
  // Whether the flow table accepts overlapping megaflows (datapath option
  // flow-overlap=allow|refuse). kAllow is Open vSwitch's userspace datapath:
  // only a flow whose own key an existing flow matches is refused. kRefuse
  // keeps every megaflow disjoint, so a packet never has two candidates.
  FlowOverlap flow_overlap = FlowOverlap::kAllow;
  // Open vSwitch's other_config:vlan-limit: VLAN tags a packet's key takes
  // (default 1, as Open vSwitch; 0 for as many as a key holds, 2). A QinQ
  // packet's inner tag then stays in the payload: its key ends at
  // eth_type(TPID) inside the outer tag's encap, and datapath flows with two
  // tags are refused. See docs/datapath.md.
  int vlan_limit = kDefaultVlanLimit;
  // The flow limit, upcall rate limit and exact-match cache (use and
  // insertion probability): unset, the
  // interface's (DatapathConfig) defaults.
  DatapathSettings settings;
};

// What add_port() does when the interface a port opens by name (afpacket,
// afxdp) does not exist: refuse (ovs-dpctl add-if), or keep the port absent
// until the interface appears (ovs-vsctl add-port, a bridge restored at
// start).
enum class MissingInterface : uint8_t { kRefuse, kWait };

// One port attach_interface() or detach_interface() acted on.
struct InterfacePortChange {
  std::string dp;
  uint32_t port_no = 0;
  std::string error;  // why it could not be attached (it stays absent), or ""
};

class DatapathInterface {
 public:
  static constexpr size_t kMaxNameLength = 15;  // a TAP device name (IFNAMSIZ - 1)
  // What a frame may carry beyond its ports' MTU: Ethernet header and two tags.
  static constexpr uint32_t kMaxFrameOverhead = 14 + 2 * 4;

  explicit DatapathInterface(DatapathConfig config = {});
  // Stops every thread, closes every datapath: ports closed, devices removed
  // except those of datapaths created with keep_devices.
  ~DatapathInterface();
  DatapathInterface(const DatapathInterface&) = delete;
  DatapathInterface& operator=(const DatapathInterface&) = delete;

  // ---- Datapaths
  // Creates a datapath with its local port 0: an internal (TAP) port named
  // after it.
  Status create_datapath(const std::string& name, const DatapathOptions& options = {});
  // Deletes it for good: every device it created is removed, kept or not.
  Status delete_datapath(const std::string& name);
  std::vector<std::string> datapath_names() const;
  Result<DatapathStats> datapath_stats(const std::string& dp) const;
  // Changes the vlan-limit (DatapathOptions::vlan_limit) of a datapath.
  Status set_vlan_limit(const std::string& dp, int vlan_limit);
  Result<int> vlan_limit(const std::string& dp) const;
  // Changes the settings given, all or none: every one is checked first.
  Status set_settings(const std::string& dp, const DatapathSettings& settings);
  // Every setting of a datapath, as it is now.
  Result<DatapathSettings> settings(const std::string& dp) const;
  unsigned handler_threads() const;
  // Threads taking each datapath's upcalls from now on (Open vSwitch's
  // n-handler-threads; 0: default_handler_threads()), for every datapath,
  // running or to come: threads are added, or the last ones stopped after
  // they finish their batch. Forwarding goes on meanwhile. Refuses more than
  // kMaxHandlerThreads, and caller-driven interfaces (they have no threads).
  static constexpr unsigned kMaxHandlerThreads = 64;
  Status set_handler_threads(unsigned threads);

  // ---- Ports. `spec.options` may carry port_no=N to choose the number.
  Result<uint32_t> add_port(const std::string& dp, const VportSpec& spec,
                            MissingInterface missing = MissingInterface::kRefuse);
  // Reopens the port with new options, keeping its number.
  Status set_port(const std::string& dp, const VportSpec& spec);
  // `port` is a name or a number.
  Status remove_port(const std::string& dp, const std::string& port);
  Result<std::vector<PortInfo>> list_ports(const std::string& dp) const;

  // ---- Interfaces coming and going (the daemon's rtnetlink monitor).
  // Interface `name` exists now: every absent port waiting for it is opened
  // and attached (traffic flows, no stale error).
  std::vector<InterfacePortChange> attach_interface(const std::string& name);
  // Interface `name` is gone: every port that opened it by name is detached
  // (descriptor closed, nothing polled) and kept, absent, with `reason`.
  std::vector<InterfacePortChange> detach_interface(const std::string& name,
                                                    const std::string& reason);
  // Interface `name`'s MTU is now `mtu`: every attached port of it that works
  // with another MTU is reopened (its rings are sized for the MTU; a port
  // with mtu=N sets N again, as Open vSwitch's mtu_request does).
  std::vector<InterfacePortChange> interface_mtu_changed(const std::string& name, uint32_t mtu);
  // Interface `name`'s link is up again: the error its ports recorded when
  // it went down (PortInfo::last_error) no longer holds and is cleared.
  void interface_link_up(const std::string& name);

  // A handle on one datapath for the slow path (see datapath_handle.h).
  Result<std::shared_ptr<DatapathHandle>> open_handle(const std::string& dp) const;

  // ---- Flows (for the control plane: these find the datapath under the
  // mutex and then work as its handle does)
  Result<MegaflowPutResult> put_flow(const std::string& dp, const MegaflowPut& put);
  Result<FlowEntry> get_flow(const std::string& dp, const Ufid& ufid) const;
  Result<FlowEntry> get_flow(const std::string& dp, const Match& match) const;
  Result<FlowEntry> delete_flow(const std::string& dp, const Ufid& ufid);
  Result<FlowEntry> delete_flow(const std::string& dp, const Match& match);
  Status flush_flows(const std::string& dp);
  Result<std::vector<FlowEntry>> dump_flows(const std::string& dp) const;
  // A dump in chunks: appends the next flows from `cursor` (at most
  // `max_flows`) to `out` and advances it; the dump is over when
  // cursor->done(). Fails only if the datapath does not exist (any more).
  Status dump_flows(const std::string& dp, FlowDumpCursor* cursor, size_t max_flows,
                    std::vector<FlowEntry>* out) const;

  // ---- Packets
  // A packet-out: what became of the packet (sent, queued to the slow
  // path, dropped and why).
  Result<ExecuteOutcome> execute(const std::string& dp, std::span<const uint8_t> frame,
                                 const PacketMetadata& md, std::span<const uint8_t> actions);

  // ---- The fast-path trace (fpctl trace-packets; packet_trace.h)
  // Arms a trace on `dp`; returns its id. Errors: no such datapath, a trace
  // already armed there, a count or timeout out of range, a port that is
  // not the datapath's.
  Result<uint64_t> start_trace(const std::string& dp, TraceRequest request);
  struct TraceProgress {
    bool armed = false;     // still selecting packets
    uint64_t claimed = 0;   // packets traced (records made or being made)
    uint64_t count = 0;     // packets wanted
    uint64_t ring_full = 0; // wanted packets left untraced: a thread's ring was full
    bool expired = false;   // the timeout passed before `count` packets came
  };
  // Appends trace `id`'s new records to `out`. `stop`: disarms the trace
  // and frees it after taking its last records.
  Result<TraceProgress> collect_trace(const std::string& dp, uint64_t id,
                                      std::vector<TraceRecord>* out, bool stop);
  // The flow a packet with `key` hits now (the classifier, caches left
  // aside): what a traced miss installed.
  Result<FlowEntry> lookup_flow(const std::string& dp, const FlowKey& key) const;

  // ---- Meters
  Status set_meter(const std::string& dp, uint32_t meter_id, const MeterConfig& config);
  Status remove_meter(const std::string& dp, uint32_t meter_id);
  // Packets and bytes that reached the meter and exceeded each band.
  Result<MeterStats> meter_stats(const std::string& dp, uint32_t meter_id);

  // ---- Connection tracking
  // Runs fn on datapath `dp`'s connection tracker, serialised with the other
  // control operations (the datapath cannot go away meanwhile).
  Status with_conntrack(const std::string& dp,
                        const std::function<void(conntrack::Conntrack&)>& fn);

  // ---- Caller-driven datapaths (DatapathConfig::caller_driven)
  // Hands every upcall queued on `dp` to the upcall handler, on this thread,
  // as the handler thread of a threaded datapath does; returns how many.
  Result<size_t> handle_upcalls(const std::string& dp);

  // ---- Threads
  // Each forwarding thread's own counters, with what it counted in every
  // datapath (lookups, drops) summed.
  std::vector<ForwardingThreadStats> thread_stats() const;
  // What every other thread (handlers, packet-outs) counted, over datapaths.
  DatapathCounts other_thread_counts() const;
  std::vector<std::optional<unsigned>> forwarding_cpus() const;
  // Pins the forwarding threads to `cpus` (one entry per thread, none:
  // unpinned), at once and without stopping them (Open vSwitch's
  // pmd-cpu-mask). flowpath changes where its threads run, not how many
  // there are: a list of another length is refused, as is a CPU this
  // process may not use. Nothing changes on error.
  Status set_forwarding_cpus(const std::vector<std::optional<unsigned>>& cpus);

  // For tests: the datapath object (valid until deleted).
  Datapath* find(const std::string& name) const;

 private:
  struct Entry {
    std::shared_ptr<Datapath> dp;
    std::vector<std::unique_ptr<UpcallHandlerThread>> handlers;
  };
  Result<Datapath*> lookup(const std::string& name) const;  // mutex_ held
  // delete_datapath(), or with release_devices false what the destructor
  // does: kept devices stay for the next process.
  Status close_datapath(const std::string& name, bool release_devices);
  // Finds a datapath and lets go of the mutex.
  Result<DatapathHandle> handle(const std::string& name) const;
  Result<uint32_t> resolve_port(const Datapath& dp, const std::string& port) const;
  bool interface_in_use(const std::string& name, std::string* where) const;
  // Reassigns every port's receive side to the forwarding threads.
  void rebalance();  // mutex_ held
  void free_port(DatapathPort* port);  // after rebalance; waits a grace period
  // Closes port `number` and opens it again with `spec` (same number);
  // puts the old one back if that fails. mutex_ held.
  Status reopen_port(Datapath& dp, uint32_t number, const VportSpec& spec);

  DatapathConfig config_;
  cpu_set_t process_cpus_;  // where an unpinned forwarding thread runs
  unsigned handler_threads_ = 1;
  std::shared_ptr<UpcallHandler> handler_;
  // Held across grace periods (remove_port, set_port): never lock it inside
  // an rcu::ReadSection, or that section and the grace period wait for each
  // other. Take it first, then enter the section.
  mutable std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> datapaths_;
  std::vector<std::unique_ptr<ForwardingThread>> threads_;
  uint64_t next_trace_id_ = 1;  // mutex_
  std::mutex executor_mutex_;  // guards executor_ (packet-outs), never held with mutex_
  PacketExecutor executor_;
};

}  // namespace flowpath
