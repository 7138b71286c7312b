#include "ofproto/classifier/match_map.h"

#include <bit>
#include <cassert>
#include <new>

namespace flowpath::ofproto::classifier {

namespace {
constexpr size_t kMinCapacity = 8;
}  // namespace

MatchEntry* MatchEntry::create(size_t n_values) {
  void* memory = ::operator new(sizeof(MatchEntry) + n_values * sizeof(uint64_t));
  return new (memory) MatchEntry;
}

void MatchEntry::destroy(MatchEntry* entry) {
  entry->~MatchEntry();
  ::operator delete(entry);
}

MatchMap::~MatchMap() {
  if (Slots* s = slots_.load(std::memory_order_relaxed)) release(s);
}

MatchMap::Slots* MatchMap::allocate(size_t capacity) {
  void* memory = ::operator new(sizeof(Slots) + capacity * sizeof(Slot));
  auto* slots = new (memory) Slots;
  slots->mask = capacity - 1;
  for (size_t i = 0; i < capacity; ++i) new (&slots->slot()[i]) Slot;
  return slots;
}

void MatchMap::release(Slots* slots) {
  // Slot is trivially destructible (atomics of integers).
  slots->~Slots();
  ::operator delete(slots);
}

void MatchMap::rebuild(size_t capacity) {
  Slots* old = slots_.load(std::memory_order_relaxed);
  Slots* fresh = allocate(capacity);
  if (old) {
    for (size_t i = 0; i <= old->mask; ++i) {
      uintptr_t p = old->slot()[i].entry.load(std::memory_order_relaxed);
      if (p == kEmpty || p == kTombstone) continue;
      uint32_t hash = old->slot()[i].hash.load(std::memory_order_relaxed);
      size_t j = hash & fresh->mask;
      while (fresh->slot()[j].entry.load(std::memory_order_relaxed) != kEmpty)
        j = (j + 1) & fresh->mask;
      fresh->slot()[j].hash.store(hash, std::memory_order_relaxed);
      fresh->slot()[j].entry.store(p, std::memory_order_relaxed);
    }
  }
  tombstones_ = 0;
  slots_.store(fresh, std::memory_order_release);
  if (old) rcu::free_after_grace_period<Slots, release>(old, &old->free_link);
}

void MatchMap::insert(MatchEntry* entry) {
  Slots* s = slots_.load(std::memory_order_relaxed);
  if (!s || (live_ + tombstones_ + 1) * 2 > s->mask + 1) {
    rebuild(std::max(kMinCapacity, std::bit_ceil((live_ + 1) * 4)));
    s = slots_.load(std::memory_order_relaxed);
  }
  size_t i = entry->hash & s->mask;
  for (;; i = (i + 1) & s->mask) {
    uintptr_t p = s->slot()[i].entry.load(std::memory_order_relaxed);
    if (p == kEmpty || p == kTombstone) {
      if (p == kTombstone) --tombstones_;
      break;
    }
  }
  s->slot()[i].hash.store(entry->hash, std::memory_order_relaxed);
  s->slot()[i].entry.store(reinterpret_cast<uintptr_t>(entry), std::memory_order_release);
  ++live_;
}

void MatchMap::erase(MatchEntry* entry) {
  Slots* s = slots_.load(std::memory_order_relaxed);
  assert(s);
  if (!s) return;
  auto target = reinterpret_cast<uintptr_t>(entry);
  for (size_t i = entry->hash & s->mask;; i = (i + 1) & s->mask) {
    uintptr_t p = s->slot()[i].entry.load(std::memory_order_relaxed);
    assert(p != kEmpty && "erasing an entry that is not in the map");
    if (p == kEmpty) return;
    if (p != target) continue;
    s->slot()[i].entry.store(kTombstone, std::memory_order_release);
    --live_;
    ++tombstones_;
    break;
  }
  size_t capacity = s->mask + 1;
  if (capacity > kMinCapacity && live_ * 8 < capacity)
    rebuild(std::max(kMinCapacity, std::bit_ceil(live_ * 4 + 1)));
}

}  // namespace flowpath::ofproto::classifier
