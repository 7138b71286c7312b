// PacketProcessor's traced path (fpctl trace-packets): only batches that
// arrive while a trace is armed on their datapath come here. The packets the
// trace wants leave the batch, the rest go the usual way, then each traced
// packet runs alone (its own lookups, recirculations and flush), so that
// every step and every drop of that run is its own, and writes what
// happened into its record slot. Nothing here allocates or locks.
#include <time.h>

#include <cstring>

#include "common/clock.h"
#include "datapath/packet_processor.h"
#include "flow/key_extract.h"
#include "flow/odp_abi.h"
#include "table/megaflow_table.h"

namespace flowpath {

// Records each action with its result: packets left, what it dropped and
// why (from the run's own drop counters), ct_state after ct(), the port of
// an output.
class TraceActionObserver final : public ActionObserver {
 public:
  TraceActionObserver(TraceRecord& record, const DropCounters& drops)
      : record_(record), drops_(drops) {}

  // The actions of pass `pass` start: `actions` is the list executed.
  void start_pass(uint32_t pass, std::span<const uint8_t> actions) {
    pass_ = pass;
    base_ = actions.data();
    seen_ = drops_.snapshot();
  }

  void action_done(const NetlinkAttr& action, int depth, size_t before, size_t after,
                   const Packet* first) override {
    const DropCounts now = drops_.snapshot();
    TraceRecord& r = record_;
    if (action.type == odp::kActionOutput && before != 0 && action.size() >= sizeof(uint32_t)) {
      if (r.n_outputs < TraceRecord::kMaxOutputs) r.outputs[r.n_outputs++] = action.get<uint32_t>();
    }
    if (r.n_actions == TraceRecord::kMaxActions) {
      r.actions_truncated = true;
      seen_ = now;
      return;
    }
    TraceAction& a = r.actions[r.n_actions++];
    a = TraceAction{};
    a.pass = static_cast<uint8_t>(pass_);
    a.depth = static_cast<uint8_t>(depth);
    a.type = action.type;
    a.offset = static_cast<uint32_t>(action.data() - kNlaHeaderLen - base_);
    a.size = static_cast<uint32_t>(action.size() + kNlaHeaderLen);
    a.packets_before = static_cast<uint8_t>(before);
    a.packets_after = static_cast<uint8_t>(after);
    for (size_t i = 0; i < kDropReasonCount; ++i) {
      const uint64_t n = now.count[i] - seen_.count[i];
      if (n == 0) continue;
      if (!a.dropped) a.drop_reason = static_cast<DropReason>(i);
      a.dropped = true;
      a.drops += static_cast<uint32_t>(n);
    }
    if (action.type == odp::kActionCt && first != nullptr) a.ct_state = first->md.ct_state;
    seen_ = now;
  }

 private:
  TraceRecord& record_;
  const DropCounters& drops_;
  uint32_t pass_ = 0;
  const uint8_t* base_ = nullptr;
  DropCounts seen_;
};

void PacketProcessor::process_traced(PacketTrace& trace, PacketBatch& batch) {
  Packet* traced[PacketBatch::kMaxSize];
  TraceRecord* records[PacketBatch::kMaxSize];
  size_t n_traced = 0;
  if (trace.over(monotonic_ms())) {
    dp_->disarm_trace(&trace);  // its deadline passed: no more packets for it
  } else if (thread_ >= 0) {  // only forwarding threads have a ring
    Packet** slots = batch.data();
    size_t kept = 0;
    for (Packet* p : batch) {
      TraceRecord* record = trace.begin(static_cast<unsigned>(thread_), p->md.in_port,
                                        {p->data(), p->size()});
      if (record != nullptr) {
        traced[n_traced] = p;
        records[n_traced++] = record;
      } else {
        slots[kept++] = p;
      }
    }
    batch.resize(kept);
  }
  classify_and_execute(batch);
  run_recirculations();
  flush_outputs_traced();
  for (size_t i = 0; i < n_traced; ++i) {
    trace_packet(*traced[i], *records[i]);
    trace.publish(static_cast<unsigned>(thread_));
  }
  if (n_traced != 0 && trace.over(monotonic_ms())) dp_->disarm_trace(&trace);
}

void PacketProcessor::trace_packet(Packet& packet, TraceRecord& r) {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  r.time_ns = static_cast<uint64_t>(now.tv_sec) * 1000000000u + static_cast<uint64_t>(now.tv_nsec);
  r.n_passes = 0;
  r.passes_truncated = false;
  r.n_actions = 0;
  r.actions_truncated = false;
  r.n_outputs = 0;
  // This packet's drops are counted apart first, to record them.
  DropCounters own_drops(CounterWriters::kOne);
  set_drop_counters(&own_drops);
  const ProcessorStats before = stats_;
  recirc_depth_ = 0;
  TraceActionObserver observer(r, own_drops);
  PacketBatch one;
  one.add(&packet);
  trace_pass(one, r, observer);
  run_traced_recirculations(r, observer);
  flush_outputs_traced();
  set_drop_counters(&counters_->drops());
  r.drops = own_drops.snapshot();
  for (size_t i = 0; i < kDropReasonCount; ++i) {
    if (r.drops.count[i] != 0) counters_->count_drops(static_cast<DropReason>(i), r.drops.count[i]);
  }
  r.sent = stats_.sent_packets - before.sent_packets - r.drops[DropReason::kTxFailure];
  r.upcalls = (stats_.misses - before.misses) - (stats_.lost - before.lost) +
              (stats_.userspace_upcalls - before.userspace_upcalls);
}

// One table pass per packet of `batch` (a recirculated batch holds more
// than one when clone() or sample() copied the packet).
void PacketProcessor::trace_pass(PacketBatch& batch, TraceRecord& r,
                                 TraceActionObserver& observer) {
  for (Packet* p : batch) {
    PacketBatch one;
    one.add(p);
    if (r.n_passes == TraceRecord::kMaxPasses) r.passes_truncated = true;
    else ++r.n_passes;
    const uint32_t index = r.n_passes - 1;
    TracePass& pass = r.passes[index];
    const bool record = !r.passes_truncated;
    extract_keys(one, keys_.data(), dp_->vlan_headers());
    const uint64_t hit = lookup(1);
    if (record) {
      pass.key = keys_[0];
      pass.subtables_searched = static_cast<uint32_t>(last_subtables_searched_);
      pass.layer = !hit                 ? TraceLayer::kMiss
                   : last_emc_hits_ & 1 ? TraceLayer::kExactMatchCache
                   : last_smc_hits_ & 1 ? TraceLayer::kSignatureCache
                                        : TraceLayer::kClassifier;
      pass.upcall = TraceUpcall::kNone;
      pass.actions_size = 0;
    }
    if (!hit) {
      const uint64_t lost = stats_.lost;
      upcall_misses(one, 0);
      if (record) pass.upcall = stats_.lost != lost ? TraceUpcall::kLost : TraceUpcall::kQueued;
      continue;
    }
    Megaflow* flow = flows_[0];
    const FlowKey& key = keys_[0];
    flow->record(1, p->size(), monotonic_ms(),
                 ntoh16(key.tcp_flags | hton16(key.nd_options_type)));
    const std::span<const uint8_t> actions = flow->actions();
    if (record) {
      pass.ufid = flow->ufid();
      pass.match = flow->match();
      pass.actions_size = static_cast<uint32_t>(actions.size());
      std::memcpy(pass.actions, actions.data(),
                  std::min<size_t>(actions.size(), TracePass::kMaxActionBytes));
    }
    observer.start_pass(index, actions);
    execute_actions(one, actions, *this, &observer);
  }
  batch.clear();
}

void PacketProcessor::run_traced_recirculations(TraceRecord& r, TraceActionObserver& observer) {
  while (n_recirc_ > 0) {
    if (++recirc_depth_ > kMaxRecirculationDepth) {
      for (size_t b = 0; b < n_recirc_; ++b) drop(recirc_queue_[b], DropReason::kRecircDepth);
      n_recirc_ = 0;
      return;
    }
    std::array<PacketBatch, 4> round;
    const size_t n_round = n_recirc_;
    for (size_t b = 0; b < n_round; ++b) {
      round[b] = recirc_queue_[b];
      recirc_queue_[b].clear();
    }
    n_recirc_ = 0;
    for (size_t b = 0; b < n_round; ++b) trace_pass(round[b], r, observer);
  }
}

}  // namespace flowpath
