#include "table/exact_match_cache.h"

#include <bit>
#include <cassert>
#include <cstring>

#include "common/rcu.h"

namespace flowpath {

namespace {

// Whole-key equality. Option bytes past geneve_length are zero in every key,
// and geneve_length is in the fixed words, so the option words need comparing
// only as far as the options go.
bool keys_equal(const FlowKey& a, const FlowKey& b) {
  constexpr size_t kFixedBytes = FlowKey::kFixedWords * sizeof(uint64_t);
  if (std::memcmp(&a, &b, kFixedBytes) != 0) return false;
  const size_t option_bytes = a.md.tunnel.geneve_length;
  return option_bytes == 0 ||
         std::memcmp(a.geneve_options, b.geneve_options, option_bytes) == 0;
}

uint32_t round_up_to_power_of_two(uint32_t n) {
  if (n < 2) return 2;
  return n > (uint32_t{1} << 31) ? uint32_t{1} << 31 : std::bit_ceil(n);
}

}  // namespace

ExactMatchCache::ExactMatchCache(const MegaflowTable& table, const Config& config)
    : table_(table),
      mask_(round_up_to_power_of_two(config.entries) - 1),
      inverse_probability_(config.inverse_probability),
      random_(config.seed),
      entries_(new Entry[size_t{mask_} + 1]) {
  invalidate_all();
}

void ExactMatchCache::invalidate_all() {
  for (uint32_t i = 0; i <= mask_; ++i) {
    entries_[i].slot = kEmptySlot;
    entries_[i].hash = 0;
    entries_[i].flow_hint = nullptr;
  }
}

size_t ExactMatchCache::occupied() const {
  size_t used = 0;
  for (uint32_t i = 0; i <= mask_; ++i) used += entries_[i].slot != kEmptySlot;
  return used;
}

Megaflow* ExactMatchCache::probe(Entry& entry, const FlowKey& key, uint32_t hash) {
  if (entry.slot == kEmptySlot || entry.hash != hash || !keys_equal(entry.key, key))
    return nullptr;
  Megaflow* flow = live_flow_matching(table_, entry.slot, key);
  if (flow == nullptr) {
    // The flow was deleted (or its slot now holds another flow): free the
    // entry so the next insert can use it.
    ++counters_.stale;
    entry.slot = kEmptySlot;
  }
  return flow;
}

Megaflow* ExactMatchCache::lookup(const FlowKey& key, uint32_t hash) {
  assert(rcu::in_read_section());
  Megaflow* flow = probe(entries_[first_index(hash)], key, hash);
  if (flow == nullptr) flow = probe(entries_[second_index(hash)], key, hash);
  if (flow != nullptr)
    ++counters_.hits;
  else
    ++counters_.misses;
  return flow;
}

uint64_t ExactMatchCache::lookup_batch(const FlowKey* const keys[], const uint32_t hashes[],
                                       size_t n, Megaflow* flows[]) {
  assert(rcu::in_read_section());
  assert(n <= kMaxBatch);
  // Start loading, for the whole batch, the lines a hit in the first
  // candidate reads (its hash and slot, and the key's fixed words) and the
  // second candidate's hash line, so their latencies overlap.
  constexpr size_t kLine = 64;
  constexpr size_t kFixedBytes = FlowKey::kFixedWords * sizeof(uint64_t);
  for (size_t i = 0; i < n; ++i) {
    const Entry& first = entries_[first_index(hashes[i])];
    __builtin_prefetch(&first.hash);
    const char* bytes = reinterpret_cast<const char*>(&first.key);
    for (size_t offset = 0; offset < kFixedBytes; offset += kLine)
      __builtin_prefetch(bytes + offset);
    __builtin_prefetch(&entries_[second_index(hashes[i])].hash);
  }
  // Then the flows those entries name: their header and packed key words,
  // which the alive check reads (and the caller's actions and statistics).
  // A hint of a deleted flow is harmless: a prefetch never faults.
  for (size_t i = 0; i < n; ++i) {
    const Entry& first = entries_[first_index(hashes[i])];
    if (first.hash == hashes[i]) {
      // An empty entry's hint is null; `null + 1` would be undefined, so the
      // second line's address is computed as an integer.
      const auto hint = reinterpret_cast<uintptr_t>(first.flow_hint);
      __builtin_prefetch(first.flow_hint);
      __builtin_prefetch(reinterpret_cast<const void*>(hint + sizeof(Megaflow)));
    }
  }
  uint64_t hits = 0;
  for (size_t i = 0; i < n; ++i) {
    flows[i] = lookup(*keys[i], hashes[i]);
    if (flows[i] != nullptr) hits |= uint64_t{1} << i;
  }
  return hits;
}

bool ExactMatchCache::offer(const FlowKey& key, uint32_t hash, const Megaflow& flow) {
  if (inverse_probability_ == 0) return false;
  if (inverse_probability_ > 1 && random_.next() % inverse_probability_ != 0) return false;
  insert(key, hash, flow);
  return true;
}

void ExactMatchCache::insert(const FlowKey& key, uint32_t hash, const Megaflow& flow) {
  Entry* first = &entries_[first_index(hash)];
  Entry* second = &entries_[second_index(hash)];
  Entry* target;
  // Refresh an entry that already holds this key; else fill an empty one;
  // else evict one of the two at random, so neither way is favoured.
  if (first->slot != kEmptySlot && first->hash == hash && keys_equal(first->key, key))
    target = first;
  else if (second->slot != kEmptySlot && second->hash == hash && keys_equal(second->key, key))
    target = second;
  else if (first->slot == kEmptySlot)
    target = first;
  else if (second->slot == kEmptySlot)
    target = second;
  else
    target = (random_.next() & 1) ? second : first;
  target->key = key;
  target->hash = hash;
  target->slot = flow.slot();
  target->flow_hint = &flow;
  ++counters_.inserts;
}

}  // namespace flowpath
