// Packets dropped, counted by reason.
//
// DropCounters are the live counters: a datapath keeps one set per
// forwarding thread (one writer each, no locked instructions) and one that
// any thread may add to; ports keep their own. Adds happen once per batch
// and reason, never per packet where a batch will do. DropCounts is a plain
// snapshot, summed over sets on read.
#pragma once

#include <array>
#include <cstdint>

#include "common/counter.h"
#include "packet/drop_reason.h"

namespace flowpath {

struct DropCounts {
  std::array<uint64_t, kDropReasonCount> count{};

  uint64_t operator[](DropReason why) const { return count[index_of(why)]; }
  uint64_t total() const {
    uint64_t n = 0;
    for (uint64_t c : count) n += c;
    return n;
  }
  DropCounts& operator+=(const DropCounts& other) {
    for (size_t i = 0; i < kDropReasonCount; ++i) count[i] += other.count[i];
    return *this;
  }
  DropCounts operator-(const DropCounts& earlier) const {
    DropCounts d;
    for (size_t i = 0; i < kDropReasonCount; ++i) d.count[i] = count[i] - earlier.count[i];
    return d;
  }
};

class DropCounters {
 public:
  explicit DropCounters(CounterWriters writers = CounterWriters::kMany) : writers_(writers) {}
  DropCounters(const DropCounters&) = delete;
  DropCounters& operator=(const DropCounters&) = delete;

  void add(DropReason why, uint64_t n) { counters_[index_of(why)].add(n, writers_); }
  uint64_t get(DropReason why) const { return counters_[index_of(why)].read(); }
  DropCounts snapshot() const {
    DropCounts s;
    for (size_t i = 0; i < kDropReasonCount; ++i) s.count[i] = counters_[i].read();
    return s;
  }

 private:
  CounterWriters writers_;
  std::array<Counter, kDropReasonCount> counters_;
};

}  // namespace flowpath
