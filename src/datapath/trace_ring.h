// A forwarding thread's buffer of trace records: a single-producer,
// single-consumer ring of TraceRecord slots, allocated on the control side
// when a trace is armed. The thread claims the next free slot, fills it in
// place and publishes it with one release store; the control side copies
// published records out and frees their slots. No lock, no allocation on
// the thread's side; a full ring leaves the packet untraced.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "datapath/trace_record.h"

namespace flowpath {

class TraceRing {
 public:
  explicit TraceRing(uint32_t capacity)
      : capacity_(capacity == 0 ? 1 : capacity), slots_(new TraceRecord[capacity_]) {}
  TraceRing(const TraceRing&) = delete;
  TraceRing& operator=(const TraceRing&) = delete;

  uint32_t capacity() const { return capacity_; }

  // ---- The forwarding thread (the only writer). It may claim several
  // slots before it publishes them; it publishes them in the order claimed.
  bool full() const { return claimed_ - tail_.load(std::memory_order_acquire) == capacity_; }
  // The next free slot, or nullptr when every slot holds a record the
  // control side has not taken yet (or is claimed).
  TraceRecord* claim() {
    if (full()) return nullptr;
    return &slots_[claimed_++ % capacity_];
  }
  // Makes the oldest claimed, unpublished slot's record visible to the
  // control side.
  void publish() { head_.store(head_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

  // ---- The control side (the only reader).
  // Copies the oldest published record to `out` and frees its slot; false
  // when there is none.
  bool take(TraceRecord* out) {
    const uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (head_.load(std::memory_order_acquire) == tail) return false;
    *out = slots_[tail % capacity_];
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

 private:
  const uint32_t capacity_;
  std::unique_ptr<TraceRecord[]> slots_;
  alignas(64) uint64_t claimed_ = 0;           // slots claimed (the writer's own)
  std::atomic<uint64_t> head_{0};              // records published
  alignas(64) std::atomic<uint64_t> tail_{0};  // records taken
};

}  // namespace flowpath
