// What the fast-path trace (fpctl trace-packets) records of one packet: what
// a forwarding thread did with it, written by that thread into a slot of
// its preallocated TraceRing (plain fixed-size data: no allocation, no
// pointer into the datapath that could outlive a grace period). The control
// side turns it into text and JSON (control/trace_rpc.cc).
#pragma once

#include <cstdint>

#include "flow/flow_key.h"
#include "flow/ufid.h"
#include "packet/drop_counters.h"

namespace flowpath {

// Which layer answered a lookup.
enum class TraceLayer : uint8_t {
  kExactMatchCache,  // the thread's exact-match cache (EMC)
  kSignatureCache,   // the thread's signature cache (SMC)
  kClassifier,       // the megaflow classifier (subtables searched)
  kMiss,             // no megaflow: an upcall to the slow path
};
const char* trace_layer_name(TraceLayer layer);  // "emc", "smc", "megaflow", "miss"

// What became of a miss's upcall.
enum class TraceUpcall : uint8_t { kNone, kQueued, kLost };

// One trip of the packet through the flow table: the first, and one per
// recirculation (ct(...),recirc(N); tnl_pop).
struct TracePass {
  static constexpr uint32_t kMaxActionBytes = 1024;

  FlowKey key;                      // the key extracted for this pass
  TraceLayer layer = TraceLayer::kMiss;
  uint32_t subtables_searched = 0;  // classifier subtables probed (0 for cache hits)
  // The megaflow that matched (layer != kMiss).
  Ufid ufid;
  Match match;
  uint32_t actions_size = 0;        // the flow's whole list
  uint8_t actions[kMaxActionBytes];  // its first kMaxActionBytes bytes
  TraceUpcall upcall = TraceUpcall::kNone;
};

// One action executed (nested ones included), in the order they ran.
struct TraceAction {
  uint8_t pass = 0;        // index in TraceRecord::passes
  uint8_t depth = 0;       // 0: the flow's own list; 1+: inside clone/sample/check_pkt_len
  uint16_t type = 0;       // OVS_ACTION_ATTR_*
  uint32_t offset = 0;     // of the attribute (header included) in the pass's action list
  uint32_t size = 0;       // of the attribute, header included
  uint8_t packets_before = 0;
  uint8_t packets_after = 0;  // still in the batch: the others were handed off or dropped
  bool dropped = false;    // the action dropped packets: `drop_reason`, `drops` of them
  DropReason drop_reason = DropReason::kNoOutput;
  uint32_t drops = 0;
  uint32_t ct_state = 0;   // after ct(...): the packet's ct_state
};

struct TraceRecord {
  static constexpr uint32_t kMaxPasses = 8;    // 1 + the recirculation depth (6) + a spare
  static constexpr uint32_t kMaxActions = 64;
  static constexpr uint32_t kMaxOutputs = 16;

  uint64_t sequence = 0;    // 1 for the first packet of the trace, ...
  uint64_t time_ns = 0;     // CLOCK_REALTIME when it was received
  uint32_t thread = 0;      // the forwarding thread
  uint32_t in_port = 0;     // the port it was received on
  uint32_t length = 0;      // its length then
  uint32_t n_passes = 0;
  bool passes_truncated = false;   // more passes than kMaxPasses
  TracePass passes[kMaxPasses];
  uint32_t n_actions = 0;
  bool actions_truncated = false;  // more actions than kMaxActions
  TraceAction actions[kMaxActions];
  uint32_t n_outputs = 0;
  uint32_t outputs[kMaxOutputs];   // ports output actions handed it (or copies) to
  uint64_t sent = 0;     // copies handed to ports' send() that the port took
  uint64_t upcalls = 0;  // upcalls queued (misses, userspace())
  DropCounts drops;      // copies dropped, by reason (the names of fpctl show -s)
};

}  // namespace flowpath
