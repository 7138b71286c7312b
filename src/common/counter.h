// Event counters that other threads read while they are being counted.
//
// A counter with one writer (a forwarding thread's own slot) is added to with
// a plain load, add and store: no locked read-modify-write on the hot path,
// and readers still see whole values. A counter that several threads add to
// (handlers, the control path) uses an atomic add. Which one a counter is
// is fixed when it is made (CounterWriters); readers sum the slots.
#pragma once

#include <atomic>
#include <cstdint>

namespace flowpath {

enum class CounterWriters : uint8_t {
  kOne,   // only one thread ever adds (the owner of a per-thread slot)
  kMany,  // any thread may add
};

class Counter {
 public:
  uint64_t read() const { return value_.load(std::memory_order_relaxed); }

  // For a counter only the calling thread adds to.
  void add_single_writer(uint64_t n) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  // For a counter any thread may add to.
  void add_shared(uint64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  void add(uint64_t n, CounterWriters writers) {
    if (writers == CounterWriters::kOne) {
      add_single_writer(n);
    } else {
      add_shared(n);
    }
  }

 private:
  std::atomic<uint64_t> value_{0};
};

}  // namespace flowpath
