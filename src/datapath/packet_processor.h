// The per-batch pipeline of a datapath, run by a forwarding thread (or by a
// handler thread executing a packet-out): extract keys, look the batch up in
// the megaflow table, group hits by flow, execute each flow's actions once
// for its packets, buffer output per port and send once per port, and queue
// misses to userspace.
//
// One PacketProcessor per thread: it owns the thread's scratch state (keys,
// per-port output buffers, recirculation queue) and is the ActionContext the
// executor calls back into. Nothing here allocates per packet.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "actions/action_execute.h"
#include "datapath/datapath.h"
#include "flow/flow_key.h"
#include "common/netlink.h"
#include "packet/packet_batch.h"

namespace flowpath {

class TraceActionObserver;

// A thread's own view, over every datapath it served (pmd-stats-show).
// Drops are counted per datapath (Datapath::counters()).
struct ProcessorStats {
  uint64_t packets = 0;        // received packets processed (recirculations not counted)
  uint64_t batches = 0;        // received batches processed: packets / batches is their fill
  uint64_t hits = 0;           // all layers: emc_hits + smc_hits + megaflow hits
  uint64_t emc_hits = 0;
  uint64_t smc_hits = 0;
  uint64_t misses = 0;
  uint64_t lost = 0;           // misses whose upcall never reached the slow path
  uint64_t recirculations = 0;
  // Subtables searched by the packets the classifier found a megaflow for,
  // up to and including the one that matched (cache hits and misses not
  // included): "avg. subtable lookups per megaflow hit".
  uint64_t megaflow_hit_lookups = 0;
  uint64_t sent_packets = 0;   // handed to ports' send()
  uint64_t sent_batches = 0;   // send() calls
  uint64_t userspace_upcalls = 0;  // userspace() upcalls queued
};

// What became of the packets of an execute(): sent out of ports, queued to
// the slow path (userspace(), or a miss after a recirculation), or dropped
// (copies included).
struct ExecuteOutcome {
  uint64_t sent = 0;
  uint64_t upcalls = 0;
  DropCounts drops;
};

class PacketProcessor final : public ActionContext {
 public:
  static constexpr int kMaxRecirculationDepth = 6;  // as Open vSwitch
  static constexpr size_t kMaxPendingPorts = 16;

  // `thread`: the forwarding thread's index, whose flow caches (per
  // datapath) it uses; -1 for none (packet-outs).
  explicit PacketProcessor(PacketPool& pool, int thread = -1);

  // Processes a batch received on one of `dp`'s ports (consumes it).
  // Call inside an rcu::ReadSection.
  void process(Datapath& dp, PacketBatch& batch);

  // Executes `actions` on `batch` (a packet-out) in datapath `dp`; consumes
  // the batch and says what became of it (drops are also counted in the
  // datapath). Call inside an rcu::ReadSection.
  ExecuteOutcome execute(Datapath& dp, PacketBatch& batch, std::span<const uint8_t> actions);

  const ProcessorStats& processor_stats() const { return stats_; }

  // ActionContext.
  void output(uint32_t port, PacketBatch& batch) override;
  void userspace(const PacketBatch& batch, const UserspaceRequest& request) override;
  void recirculate(PacketBatch& batch, uint32_t recirc_id) override;
  uint32_t meter(uint32_t meter_id, const PacketBatch& batch) override;
  uint32_t conntrack(PacketBatch& batch, std::span<const uint8_t> attributes,
                     DropReason* why) override;
  bool conntrack_more(PacketBatch& batch) override;
  bool tunnel_pop(PacketBatch& batch, uint32_t tunnel_port) override;

 private:
  struct PendingOutput {
    DatapathPort* port = nullptr;
    PacketBatch batch;
  };

  // The packets of one flow in the batch being executed.
  struct FlowGroup {
    Megaflow* flow;
    uint32_t packets;
    uint64_t bytes;
    uint16_t tcp_flags;
    uint8_t slot;  // in group_slots_
    uint8_t run;   // index in runs_
  };
  static constexpr uint32_t kGroupSlotBits = 6;  // twice the batch size: short probes
  static constexpr uint32_t kGroupSlots = uint32_t{1} << kGroupSlotBits;

  // The fast-path trace (packet_processor_trace.cc): the batch's packets
  // `trace` wants are taken out and run one by one after the others, each
  // recording what was done with it.
  void process_traced(PacketTrace& trace, PacketBatch& batch);
  void trace_packet(Packet& packet, TraceRecord& record);
  void trace_pass(PacketBatch& batch, TraceRecord& record, TraceActionObserver& observer);
  void run_traced_recirculations(TraceRecord& record, TraceActionObserver& observer);

  // Looks up and executes one batch; misses go to userspace.
  void classify_and_execute(PacketBatch& batch);
  // Updates the hit flows' statistics and executes their actions on the
  // packets of `received` whose bit is set in `hit_map`.
  void execute_hits(const PacketBatch& received, uint64_t hit_map);
  // The group of `flow` in this batch, created if new.
  uint8_t find_or_add_group(Megaflow* flow, size_t* n_groups);
  // Fills flows_ for keys_[0..n) through the caches, then the classifier;
  // returns the hit bitmap.
  uint64_t lookup(size_t n);
  void upcall_misses(const PacketBatch& batch, uint64_t hit_map);
  static void finish_checksum_for_upcall(Packet& p);
  void run_recirculations();
  void send(DatapathPort& port, PacketBatch& batch);
  void flush_outputs();
  void flush_outputs_traced();  // the same, not inlined (for the traced path's file)
  void drop(PacketBatch& batch, DropReason why);  // releases and counts, clears the batch

  Datapath* dp_ = nullptr;
  DatapathCounters* counters_ = nullptr;  // dp_'s slot for this thread
  int thread_ = -1;
  std::array<FlowKey, PacketBatch::kMaxSize> keys_{};  // valid keys: extract_keys reuses them
  std::array<Megaflow*, PacketBatch::kMaxSize> flows_;
  // Which layer answered the last lookup(): the packets the exact-match and
  // signature caches hit, and the subtables the classifier searched.
  uint64_t last_emc_hits_ = 0;
  uint64_t last_smc_hits_ = 0;
  uint64_t last_subtables_searched_ = 0;
  // Grouping scratch (execute_hits): groups, a flow -> group table that is
  // empty between batches, and the packets per distinct action list.
  std::array<FlowGroup, PacketBatch::kMaxSize> groups_;
  std::array<Megaflow*, kGroupSlots> group_slots_{};
  std::array<uint8_t, kGroupSlots> group_index_{};
  std::array<PacketBatch, PacketBatch::kMaxSize> runs_;
  std::array<std::span<const uint8_t>, PacketBatch::kMaxSize> run_actions_;
  std::array<PendingOutput, kMaxPendingPorts> pending_;
  size_t n_pending_ = 0;
  // Packets waiting to go through the table again, and how deep they are.
  std::array<PacketBatch, 4> recirc_queue_;
  size_t n_recirc_ = 0;
  int recirc_depth_ = 0;
  // Datagrams ct() reassembled and tracked whose fragments are still to be
  // sent on (conntrack_more()), newest last; `call` is the ct() call that
  // completed them, so a ct() in the actions after another drains only its own.
  struct PendingDatagram {
    conntrack::FragmentStore* store;
    uint32_t datagram;
    Packet* whole;  // the tracked whole packet: its metadata goes to the fragments
    uint64_t call;
  };
  static constexpr size_t kMaxPendingDatagrams = 64;
  // Sends `d`'s fragments on into `batch` while it has room; true when all went.
  bool emit_fragments(const PendingDatagram& d, PacketBatch& batch);
  std::array<PendingDatagram, kMaxPendingDatagrams> pending_datagrams_;
  size_t n_pending_datagrams_ = 0;
  uint64_t ct_call_ = 0;     // ct() calls so far
  uint64_t ct_current_ = 0;  // the call conntrack_more() drains
  std::vector<uint8_t> key_attrs_;  // scratch for upcall keys (capacity reused)
  ProcessorStats stats_;
};

}  // namespace flowpath
