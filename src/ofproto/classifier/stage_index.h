// The index of one stage of a subtable: how many of its rules hash to each
// value of the stages so far (a counting set of 32-bit hashes). A lookup asks
// only "might any rule agree with this flow up to here?"; a hash collision
// makes the answer "maybe", which only costs the next stage's probe.
//
// Open addressing with linear probing, each slot one 64-bit word (hash << 32 |
// count) that readers load atomically under RCU while one writer changes it.
// Growing or shrinking builds a new slot array and publishes it; the old one
// is freed after a grace period.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "common/rcu.h"

namespace flowpath::ofproto::classifier {

class StageIndex {
 public:
  StageIndex() = default;
  ~StageIndex();
  StageIndex(const StageIndex&) = delete;
  StageIndex& operator=(const StageIndex&) = delete;

  // Read side (inside an rcu::ReadSection).
  bool contains(uint32_t hash) const;

  // Write side.
  void add(uint32_t hash);
  void remove(uint32_t hash);
  size_t size() const { return live_; }  // distinct hashes

 private:
  struct Slots {
    size_t mask;  // capacity - 1
    rcu::DeferredFree free_link;
    uint64_t* slot() { return reinterpret_cast<uint64_t*>(this + 1); }
    const uint64_t* slot() const { return reinterpret_cast<const uint64_t*>(this + 1); }
  };
  static Slots* allocate(size_t capacity);
  static void release(Slots* slots);
  void rebuild(size_t capacity);

  std::atomic<Slots*> slots_{nullptr};
  size_t live_ = 0;        // slots with a count
  size_t tombstones_ = 0;  // slots whose count went to zero
};

}  // namespace flowpath::ofproto::classifier
