#include "ofproto/classifier/stage_index.h"

#include <bit>
#include <cassert>
#include <cstring>
#include <new>

namespace flowpath::ofproto::classifier {

namespace {

constexpr size_t kMinCapacity = 8;

// A slot holds key << 32 | count; 0 is an empty slot, so the key is never 0.
uint64_t key_of(uint32_t hash) { return hash ? hash : 1; }
uint64_t slot_key(uint64_t slot) { return slot >> 32; }
uint32_t slot_count(uint64_t slot) { return static_cast<uint32_t>(slot); }

uint64_t load(const uint64_t& slot) {
  return std::atomic_ref<const uint64_t>(slot).load(std::memory_order_acquire);
}
void store(uint64_t& slot, uint64_t value) {
  std::atomic_ref<uint64_t>(slot).store(value, std::memory_order_release);
}

}  // namespace

StageIndex::~StageIndex() {
  if (Slots* s = slots_.load(std::memory_order_relaxed)) release(s);
}

StageIndex::Slots* StageIndex::allocate(size_t capacity) {
  void* memory = ::operator new(sizeof(Slots) + capacity * sizeof(uint64_t));
  auto* slots = new (memory) Slots;
  slots->mask = capacity - 1;
  std::memset(static_cast<void*>(slots->slot()), 0, capacity * sizeof(uint64_t));
  return slots;
}

void StageIndex::release(Slots* slots) {
  slots->~Slots();
  ::operator delete(slots);
}

bool StageIndex::contains(uint32_t hash) const {
  const Slots* s = slots_.load(std::memory_order_acquire);
  if (!s) return false;
  uint64_t key = key_of(hash);
  for (size_t i = hash & s->mask;; i = (i + 1) & s->mask) {
    uint64_t slot = load(s->slot()[i]);
    if (slot == 0) return false;
    if (slot_key(slot) == key) return slot_count(slot) > 0;
  }
}

void StageIndex::rebuild(size_t capacity) {
  Slots* old = slots_.load(std::memory_order_relaxed);
  Slots* fresh = allocate(capacity);
  if (old) {
    for (size_t i = 0; i <= old->mask; ++i) {
      uint64_t slot = old->slot()[i];
      if (slot_count(slot) == 0) continue;
      size_t j = slot_key(slot) & fresh->mask;
      while (fresh->slot()[j]) j = (j + 1) & fresh->mask;
      fresh->slot()[j] = slot;
    }
  }
  tombstones_ = 0;
  slots_.store(fresh, std::memory_order_release);
  if (old) rcu::free_after_grace_period<Slots, release>(old, &old->free_link);
}

void StageIndex::add(uint32_t hash) {
  Slots* s = slots_.load(std::memory_order_relaxed);
  if (!s || (live_ + tombstones_ + 1) * 2 > s->mask + 1) {
    rebuild(std::max(kMinCapacity, std::bit_ceil((live_ + 1) * 4)));
    s = slots_.load(std::memory_order_relaxed);
  }
  uint64_t key = key_of(hash);
  uint64_t* free_slot = nullptr;
  for (size_t i = hash & s->mask;; i = (i + 1) & s->mask) {
    uint64_t& slot = s->slot()[i];
    if (slot == 0) {
      if (!free_slot) free_slot = &slot;
      break;
    }
    if (slot_key(slot) == key) {
      if (slot_count(slot) == 0) {
        --tombstones_;
        ++live_;
      }
      store(slot, slot + 1);
      return;
    }
    if (slot_count(slot) == 0 && !free_slot) free_slot = &slot;
  }
  if (*free_slot) --tombstones_;  // reusing another key's tombstone
  ++live_;
  store(*free_slot, key << 32 | 1);
}

void StageIndex::remove(uint32_t hash) {
  Slots* s = slots_.load(std::memory_order_relaxed);
  assert(s);
  if (!s) return;
  uint64_t key = key_of(hash);
  for (size_t i = hash & s->mask;; i = (i + 1) & s->mask) {
    uint64_t& slot = s->slot()[i];
    assert(slot != 0 && "removing a hash that was never added");
    if (slot == 0) return;
    if (slot_key(slot) != key) continue;
    assert(slot_count(slot) > 0);
    store(slot, slot - 1);
    if (slot_count(slot) == 0) {
      --live_;
      ++tombstones_;
    }
    break;
  }
  size_t capacity = s->mask + 1;
  if (capacity > kMinCapacity && live_ * 8 < capacity)
    rebuild(std::max(kMinCapacity, std::bit_ceil(live_ * 4 + 1)));
}

}  // namespace flowpath::ofproto::classifier
