// A datapath's packet counters: lookups and drops by reason. The datapath
// keeps one slot per forwarding thread, which only that thread adds to (plain
// stores, no locked instructions on the hot path), and one shared slot for
// every other thread (handlers, packet-outs from the control path), which
// uses atomic adds. Readers sum the slots.
#pragma once

#include <cstdint>

#include "common/counter.h"
#include "packet/drop_counters.h"

namespace flowpath {

// What one slot, or the sum of them, holds.
struct DatapathCounts {
  uint64_t hit = 0;          // packets that matched a megaflow
  uint64_t missed = 0;       // packets that matched none (upcalls attempted)
  uint64_t lost = 0;         // misses whose upcall never reached the slow path
  uint64_t masks_hit = 0;    // subtables searched, over every packet looked up
  DropCounts drops;

  DatapathCounts& operator+=(const DatapathCounts& other) {
    hit += other.hit;
    missed += other.missed;
    lost += other.lost;
    masks_hit += other.masks_hit;
    drops += other.drops;
    return *this;
  }
};

// Cache-line aligned so that forwarding threads never write the same line.
class alignas(64) DatapathCounters {
 public:
  explicit DatapathCounters(CounterWriters writers) : writers_(writers), drops_(writers) {}

  // Once per looked-up batch.
  void count_lookups(uint64_t hits, uint64_t misses, uint64_t subtables_searched) {
    if (writers_ == CounterWriters::kOne) [[likely]] {
      hit_.add_single_writer(hits);
      missed_.add_single_writer(misses);
      masks_hit_.add_single_writer(subtables_searched);
    } else {
      if (hits != 0) hit_.add_shared(hits);
      if (misses != 0) missed_.add_shared(misses);
      if (subtables_searched != 0) masks_hit_.add_shared(subtables_searched);
    }
  }
  void count_lost_misses(uint64_t n) { lost_.add(n, writers_); }
  void count_drops(DropReason why, uint64_t n) { drops_.add(why, n); }
  DropCounters& drops() { return drops_; }

  DatapathCounts read() const {
    DatapathCounts c;
    c.hit = hit_.read();
    c.missed = missed_.read();
    c.lost = lost_.read();
    c.masks_hit = masks_hit_.read();
    c.drops = drops_.snapshot();
    return c;
  }

 private:
  CounterWriters writers_;
  Counter hit_, missed_, lost_, masks_hit_;
  DropCounters drops_;
};

}  // namespace flowpath
