// One fast-path trace (fpctl trace-packets): the packets it wants (received
// on a port, matching a BPF filter, the next N of them, until a deadline)
// and one TraceRing per forwarding thread for their records.
//
// The control side creates it and arms it on a datapath
// (Datapath::start_trace); forwarding threads read the armed pointer once
// per batch and, only when it is set, ask begin() for a record slot per
// packet. A thread disarms it itself once the count is reached or the
// deadline passed; the control side collects records meanwhile and frees
// the trace after a grace period (Datapath::stop_trace).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "datapath/packet_filter.h"
#include "datapath/trace_ring.h"

namespace flowpath {

struct TraceRequest {
  static constexpr uint32_t kMaxCount = 10000;
  static constexpr uint64_t kMaxTimeoutMs = 3600 * 1000;

  std::optional<uint32_t> port;        // only packets received on this port
  uint32_t count = 1;                  // how many packets to trace (1..kMaxCount)
  std::optional<PacketFilter> filter;  // only packets it matches
  uint64_t timeout_ms = 10000;         // the trace disarms itself after this long
};

class PacketTrace {
 public:
  // Records each forwarding thread can hold before the control side takes
  // them (fewer when fewer packets are wanted).
  static constexpr uint32_t kRingCapacity = 16;

  // `threads`: forwarding threads that may trace (their indexes 0..threads).
  PacketTrace(uint64_t id, TraceRequest request, unsigned threads, uint64_t now_ms);

  uint64_t id() const { return id_; }
  const TraceRequest& request() const { return request_; }
  uint64_t deadline_ms() const { return deadline_ms_; }

  // ---- Forwarding thread `thread`.
  // The slot for a packet received on `in_port`, or nullptr when the trace
  // does not want it (another port, the filter refuses it, enough packets
  // traced) or the thread's ring is full. The thread fills the slot, then
  // calls publish().
  TraceRecord* begin(unsigned thread, uint32_t in_port, std::span<const uint8_t> frame);
  void publish(unsigned thread) { rings_[thread]->publish(); }
  // Is the trace over: every packet claimed, or the deadline passed?
  bool over(uint64_t now_ms) const {
    return claimed_.load(std::memory_order_relaxed) >= request_.count || now_ms >= deadline_ms_;
  }

  // ---- The control side (one caller at a time).
  // Appends every record published since the last call, in no particular
  // order across threads (TraceRecord::sequence orders them).
  size_t collect(std::vector<TraceRecord>* out);
  // Packets claimed so far (published or being filled).
  uint64_t claimed() const {
    uint64_t n = claimed_.load(std::memory_order_relaxed);
    return n < request_.count ? n : request_.count;
  }
  // Wanted packets left untraced because a thread's ring was full.
  uint64_t ring_full() const { return ring_full_.load(std::memory_order_relaxed); }

 private:
  uint64_t id_;
  TraceRequest request_;
  uint64_t deadline_ms_;
  std::vector<std::unique_ptr<TraceRing>> rings_;  // one per forwarding thread
  std::atomic<uint64_t> claimed_{0};
  std::atomic<uint64_t> ring_full_{0};
};

}  // namespace flowpath
