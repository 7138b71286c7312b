// A subtable's rules by masked value: a hash map from a 32-bit hash to
// MatchEntry pointers that readers probe under RCU while one writer changes
// it. Open addressing with linear probing; a slot is the hash and the entry
// pointer, written hash first and pointer last, so a reader that sees the
// pointer sees the hash. A removed entry leaves a tombstone until the next
// rebuild; rebuilding publishes a new slot array and frees the old one after
// a grace period. Entries themselves are never moved.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "common/rcu.h"
#include "ofproto/classifier/rule_node.h"

namespace flowpath::ofproto::classifier {

class MatchMap {
 public:
  MatchMap() = default;
  ~MatchMap();  // frees the slots, not the entries
  MatchMap(const MatchMap&) = delete;
  MatchMap& operator=(const MatchMap&) = delete;

  // The entry with `hash` for which equal(entry) holds, or null. Readers call
  // it inside an rcu::ReadSection; the writer calls it too.
  template <typename Equal>
  MatchEntry* find(uint32_t hash, Equal&& equal) const {
    const Slots* s = slots_.load(std::memory_order_acquire);
    if (!s) return nullptr;
    for (size_t i = hash & s->mask;; i = (i + 1) & s->mask) {
      const Slot& slot = s->slot()[i];
      uintptr_t p = slot.entry.load(std::memory_order_acquire);
      if (p == kEmpty) return nullptr;
      if (p == kTombstone || slot.hash.load(std::memory_order_relaxed) != hash) continue;
      auto* entry = reinterpret_cast<MatchEntry*>(p);
      if (equal(*entry)) return entry;
    }
  }

  // Write side. insert() requires that no equal entry is present.
  void insert(MatchEntry* entry);
  void erase(MatchEntry* entry);
  size_t size() const { return live_; }

  // Every entry (the writer, or a reader inside a read section).
  template <typename Fn>
  void for_each(Fn&& fn) const {
    const Slots* s = slots_.load(std::memory_order_acquire);
    if (!s) return;
    for (size_t i = 0; i <= s->mask; ++i) {
      uintptr_t p = s->slot()[i].entry.load(std::memory_order_acquire);
      if (p != kEmpty && p != kTombstone) fn(*reinterpret_cast<MatchEntry*>(p));
    }
  }

 private:
  static constexpr uintptr_t kEmpty = 0;
  static constexpr uintptr_t kTombstone = 1;

  struct Slot {
    std::atomic<uint32_t> hash{0};
    std::atomic<uintptr_t> entry{kEmpty};
  };
  struct Slots {
    size_t mask;  // capacity - 1
    rcu::DeferredFree free_link;
    Slot* slot() { return reinterpret_cast<Slot*>(this + 1); }
    const Slot* slot() const { return reinterpret_cast<const Slot*>(this + 1); }
  };
  static Slots* allocate(size_t capacity);
  static void release(Slots* slots);
  void rebuild(size_t capacity);

  std::atomic<Slots*> slots_{nullptr};
  size_t live_ = 0;
  size_t tombstones_ = 0;
};

}  // namespace flowpath::ofproto::classifier
