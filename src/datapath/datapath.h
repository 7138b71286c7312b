// A datapath: a set of ports, a megaflow table, an upcall queue and meters.
// Packets never cross from one datapath to another except through ports the
// user connected outside.
//
// Threading: forwarding threads read ports, flows and counters inside an
// rcu::ReadSection and never block; the control path (one thread at a time,
// serialised by DatapathInterface) adds and removes ports by publishing
// pointers and freeing the old objects after a grace period.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "actions/meter.h"
#include "common/result.h"
#include "conntrack/conntrack.h"
#include "datapath/datapath_counters.h"
#include "datapath/datapath_port.h"
#include "datapath/packet_trace.h"
#include "datapath/upcall_queue.h"
#include "flow/flow_key.h"
#include "table/exact_match_cache.h"
#include "table/megaflow_table.h"
#include "table/signature_cache.h"

namespace flowpath {

// `ovs-dpctl show` figures of a datapath, and its drops by reason.
struct DatapathStats {
  uint64_t hit = 0;        // packets that matched a megaflow
  uint64_t missed = 0;     // packets that matched none (upcalls attempted)
  uint64_t lost = 0;       // misses whose upcall never reached the slow path
  uint64_t flows = 0;
  uint64_t masks = 0;
  uint64_t masks_hit = 0;  // subtables searched, over every packet looked up
  uint64_t flow_limit = 0;      // flows the table accepts now (MegaflowTable::flow_limit)
  uint64_t flow_limit_configured = 0;  // the flow-limit setting: flow_limit's ceiling
  uint64_t upcall_rate = 0;     // the upcall-rate setting: upcalls per second, 0 unlimited
  bool emc = false;             // the emc setting: forwarding threads use the exact-match cache
  uint32_t emc_insert_inv_prob = 0;  // the cache takes 1 in this many new keys; 0: none
  unsigned handler_threads = 0; // threads taking this datapath's upcalls
  FlowOverlap flow_overlap = FlowOverlap::kAllow;  // the datapath option flow-overlap
  uint64_t upcalls_queued = 0;  // upcalls waiting for the slow path, every port's ring
  DropCounts drops;        // every thread's, summed
};

// The caches of one forwarding thread for one datapath's flow table. The
// signature cache is on by default; the exact-match cache is off: measured
// on the replay profiles its 336-byte key compare costs more than it saves
// (profile b: 7.0 Mpps with it, 10.1 without; see docs/performance.md).
// Datapath::set_emc switches it for every thread; the thread reads the flag
// once per batch, and entries it cached before the flag went off are checked
// for life when it comes back on (ExactMatchCache never returns a dead flow).
struct FlowCaches {
  explicit FlowCaches(const MegaflowTable& table) : emc(table), smc(table) {}
  std::atomic<bool> use_emc{false};
  // Open vSwitch's emc-insert-inv-prob: a key the lower layers answered is
  // inserted with probability 1/N (0: never). The thread reads it once per
  // batch and hands it to its own cache (ExactMatchCache::offer).
  std::atomic<uint32_t> emc_insert_inv_prob{ExactMatchCache::kDefaultInverseProbability};
  bool use_smc = true;
  ExactMatchCache emc;
  SignatureCache smc;
};

struct PortInfo {
  uint32_t port_no;
  std::string name;
  VportKind kind;
  VportOptions options;
  VportStats stats;
  uint32_t mtu;  // the port's MTU (Vport::mtu())
  std::string last_error;  // the device's last failure (Vport::device_error()), or ""
  // No interface: the port waits for it (Datapath::add_absent_port), with
  // why it is absent ("interface veth1 does not exist").
  bool absent = false;
  std::string absent_reason;
};

class Datapath {
 public:
  static constexpr uint32_t kMaxPorts = UpcallQueue::kMaxPorts;
  static constexpr uint32_t kLocalPort = 0;

  // `forwarding_threads`: how many threads get their own flow caches.
  explicit Datapath(std::string name, unsigned forwarding_threads = 0);
  ~Datapath();  // closes every port; call only when no thread uses it
  Datapath(const Datapath&) = delete;
  Datapath& operator=(const Datapath&) = delete;

  const std::string& name() const { return name_; }

  // Deletion (DatapathInterface::delete_datapath): unpublishes and frees every
  // port, waiting for a grace period first, and marks the datapath closed;
  // the object itself lives on while a DatapathHandle holds it. Not inside a
  // read section; no forwarding thread may poll its ports any more.
  void close();
  bool closed() const { return closed_.load(std::memory_order_acquire); }

  // ---- Control path.
  // Opens the port and attaches it under `port_no` (or the lowest free number
  // from 1; 0 is the local port). Errors: number in use, name in use, the
  // device cannot be opened (the vport's message).
  Result<uint32_t> add_port(const VportSpec& spec, std::optional<uint32_t> port_no);
  // A port whose interface does not exist (yet), of a kind that opens one
  // by name (opens_interface_by_name): it takes its number (or the lowest
  // free one), keeps its spec and `reason`, and has no vport, so no thread
  // polls it and nothing is sent to it, until attach_absent_port().
  Result<uint32_t> add_absent_port(const VportSpec& spec, std::optional<uint32_t> port_no,
                                   std::string reason);
  // Opens absent port `port_no`'s vport and attaches it under its number.
  // On failure the port stays absent with the error as its reason.
  Status attach_absent_port(uint32_t port_no);
  // Detaches an attached port and keeps it, absent, under its number;
  // returns the detached port for the caller to free after every forwarding
  // thread stopped polling it and a grace period.
  Result<DatapathPort*> make_port_absent(uint32_t port_no, std::string reason);
  bool is_absent(uint32_t port_no) const { return absent_.count(port_no) != 0; }
  // Opens a port's vport as add_port() does, without attaching it.
  Result<std::unique_ptr<Vport>> open_vport(const VportSpec& spec) const;
  // Devices the datapath creates (its local port, tap and internal ports)
  // outlive it: they stay when it is closed or the process ends, and are
  // attached again when it is created anew (Vport::set_device_persistent).
  // Set before the first port is added.
  void set_keep_devices(bool keep) { keep_devices_ = keep; }
  bool keep_devices() const { return keep_devices_; }
  // The datapath is being deleted for good: its kept devices go with it.
  void release_devices();
  // Open vSwitch's other_config:vlan-limit: how many VLAN tags a packet's
  // key takes (1, Open vSwitch's default, or 2; 0 for as many as a key
  // holds). Takes effect from the next batch; flows keyed on more tags than
  // the new limit parses stop matching and expire. Errors: negative.
  Status set_vlan_limit(int vlan_limit);
  int vlan_limit() const { return vlan_limit_.load(std::memory_order_relaxed); }
  // The tags a key takes under the limit (1..kMaxVlanTags): read per batch.
  int vlan_headers() const { return vlan_headers_.load(std::memory_order_relaxed); }
  // The flow-limit setting (Open vSwitch's other_config:flow-limit): the
  // most megaflows the table holds. The table's own limit
  // (MegaflowTable::flow_limit) is the one puts meet now: set to this, then
  // moved by adapt_flow_limit(). Errors: 0, or above the table's capacity.
  Status set_flow_limit(size_t limit);
  size_t configured_flow_limit() const { return flow_limit_configured_.load(std::memory_order_relaxed); }
  // The slow path's adaptive limit (the revalidator, from its dump times):
  // the table's limit becomes `wanted`, bounded by the setting above and
  // below by kMinAdaptiveFlowLimit (or the setting, if lower). Returns the
  // limit applied.
  static constexpr size_t kMinAdaptiveFlowLimit = 1000;
  size_t adapt_flow_limit(size_t wanted);
  // The exact-match cache of every forwarding thread, on or off.
  void set_emc(bool on);
  bool emc() const { return emc_.load(std::memory_order_relaxed); }
  // The exact-match cache's insertion probability, 1/N (0: no insertion).
  void set_emc_insert_inv_prob(uint32_t inverse_probability);
  uint32_t emc_insert_inv_prob() const { return emc_insert_inv_prob_.load(std::memory_order_relaxed); }
  // Detaches the port from the table; returns it so the caller can free it
  // after every forwarding thread stopped polling it and a grace period
  // (nullptr for an absent port, which is simply forgotten).
  Result<DatapathPort*> detach_port(uint32_t port_no);
  // Replaces port `port_no` by `replacement` (same number), returning the old.
  // Both attach the port's receive drops (runts) to the datapath's counters.
  DatapathPort* swap_port(uint32_t port_no, DatapathPort* replacement);
  Result<uint32_t> port_number(const std::string& name) const;
  std::vector<PortInfo> ports() const;
  std::vector<DatapathPort*> port_objects() const;

  // ---- Read side (inside an rcu::ReadSection).
  DatapathPort* port(uint32_t port_no) const {
    return port_no < kMaxPorts ? ports_[port_no].load(std::memory_order_acquire) : nullptr;
  }
  MegaflowTable& flows() { return flows_; }
  const MegaflowTable& flows() const { return flows_; }
  UpcallQueue& upcalls() { return upcalls_; }
  const UpcallQueue& upcalls() const { return upcalls_; }
  // The caches of forwarding thread `thread`, or nullptr (no caches: plain
  // classifier lookups, as for packet-outs).
  FlowCaches* caches(int thread) {
    return thread >= 0 && static_cast<size_t>(thread) < caches_.size() ? caches_[thread].get()
                                                                       : nullptr;
  }

  // The connection tracker of the ct() action (one per datapath, as in
  // Open vSwitch's userspace datapath).
  conntrack::Conntrack& conntrack() { return conntrack_; }

  // Meters are shared by every thread; access is serialised per batch.
  uint32_t run_meter(uint32_t meter_id, const PacketBatch& batch);
  Status set_meter(uint32_t meter_id, const MeterConfig& config);
  Status remove_meter(uint32_t meter_id);
  Result<MeterStats> meter_stats(uint32_t meter_id) const;

  // ---- The fast-path trace (fpctl trace-packets; packet_trace.h).
  // The armed trace or nullptr: a forwarding thread reads it once per batch.
  PacketTrace* armed_trace() const { return armed_trace_.load(std::memory_order_acquire); }
  // A forwarding thread found `trace` over: no thread looks at it again.
  void disarm_trace(PacketTrace* trace) {
    armed_trace_.compare_exchange_strong(trace, nullptr, std::memory_order_acq_rel);
  }
  unsigned forwarding_threads() const { return static_cast<unsigned>(caches_.size()); }
  // Control side. Arms `trace`; refuses while another trace is armed (it
  // names the trace and when it ends). A trace that is over is freed first.
  // Not inside a read section (it may wait for a grace period).
  Status start_trace(std::unique_ptr<PacketTrace> trace);
  // Runs `fn` on trace `id` (armed or over, not yet stopped) under the
  // trace lock; errors: no such trace.
  Status with_trace(uint64_t id, const std::function<void(PacketTrace&)>& fn);
  // Disarms trace `id`, waits until no thread can be filling a record, runs
  // `fn` on it (the last records) and frees it. Not inside a read section.
  Status stop_trace(uint64_t id, const std::function<void(PacketTrace&)>& fn);

  // ---- Counters.
  // The slot `thread` counts into: a forwarding thread's own (it alone
  // writes it), or for any other thread (-1) the shared one.
  DatapathCounters& counters(int thread) {
    return thread >= 0 && static_cast<size_t>(thread) < thread_counters_.size()
               ? *thread_counters_[thread]
               : shared_counters_;
  }
  // An upcall that never reached the slow path: counted in `drops` (a
  // slot's) and against its input port, when the port still exists.
  void count_upcall_lost(DropCounters& drops, uint32_t in_port, DropReason why, uint64_t n);
  // What forwarding thread `thread` counted here (zero for an unknown one),
  // and what every other thread did.
  DatapathCounts thread_counts(unsigned thread) const;
  DatapathCounts shared_counts() const { return shared_counters_.read(); }
  DatapathStats stats() const;

 private:
  std::string name_;
  bool keep_devices_ = false;
  std::atomic<int> vlan_limit_{kDefaultVlanLimit};
  std::atomic<int> vlan_headers_{vlan_headers_for_limit(kDefaultVlanLimit)};
  std::atomic<size_t> flow_limit_configured_{MegaflowTable::kDefaultFlowLimit};
  std::atomic<bool> emc_{false};
  std::atomic<uint32_t> emc_insert_inv_prob_{ExactMatchCache::kDefaultInverseProbability};
  // The number a new port gets: `port_no` if free, else the lowest free one
  // from 1; refuses a name already in use.
  Result<uint32_t> choose_port_number(const VportSpec& spec, std::optional<uint32_t> port_no) const;
  void attach(uint32_t number, std::unique_ptr<Vport> vport, const VportSpec& spec);

  struct AbsentPort {
    VportSpec spec;
    std::string reason;
  };

  std::unique_ptr<std::atomic<DatapathPort*>[]> ports_;
  // Ports without an interface, by number. Control path only (the callers
  // serialise, as for every port change); forwarding threads never see them.
  std::map<uint32_t, AbsentPort> absent_;
  MegaflowTable flows_;
  std::vector<std::unique_ptr<FlowCaches>> caches_;  // one per forwarding thread
  UpcallQueue upcalls_;
  conntrack::Conntrack conntrack_;
  mutable std::mutex meter_mutex_;
  MeterTable meters_;
  std::vector<std::unique_ptr<DatapathCounters>> thread_counters_;  // one per forwarding thread
  DatapathCounters shared_counters_{CounterWriters::kMany};
  std::atomic<bool> closed_{false};
  // The trace: owned here, published to the forwarding threads while armed.
  // trace_mutex_ serialises the control side; threads never take it.
  std::mutex trace_mutex_;
  std::unique_ptr<PacketTrace> trace_;
  std::atomic<PacketTrace*> armed_trace_{nullptr};
};

}  // namespace flowpath
