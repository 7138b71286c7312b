#include "table/signature_cache.h"

#include <bit>
#include <cassert>

#include "common/rcu.h"

namespace flowpath {

SignatureCache::SignatureCache(const MegaflowTable& table, const Config& config)
    : table_(table),
      bucket_mask_([&] {
        uint32_t buckets = config.entries / kWays;
        if (buckets < 1) buckets = 1;
        if (buckets > (uint32_t{1} << 28)) buckets = uint32_t{1} << 28;
        return std::bit_ceil(buckets) - 1;
      }()),
      random_(config.seed),
      buckets_(new Bucket[size_t{bucket_mask_} + 1]) {
  invalidate_all();
}

void SignatureCache::invalidate_all() {
  for (uint32_t b = 0; b <= bucket_mask_; ++b) {
    for (uint32_t way = 0; way < kWays; ++way) {
      buckets_[b].signatures[way] = 0;
      buckets_[b].slots[way] = kEmptySlot;
    }
  }
}

size_t SignatureCache::occupied() const {
  size_t used = 0;
  for (uint32_t b = 0; b <= bucket_mask_; ++b)
    for (uint32_t way = 0; way < kWays; ++way) used += buckets_[b].slots[way] != kEmptySlot;
  return used;
}

Megaflow* SignatureCache::lookup(const FlowKey& key, uint32_t hash) {
  assert(rcu::in_read_section());
  return find(key, hash);
}

uint64_t SignatureCache::lookup_batch(const FlowKey* const keys[], const uint32_t hashes[],
                                      size_t n, Megaflow* flows[], uint64_t wanted) {
  assert(rcu::in_read_section());
  assert(n <= kMaxBatch);
  if (n < 64) wanted &= (uint64_t{1} << n) - 1;
  for (uint64_t m = wanted; m != 0; m &= m - 1)
    __builtin_prefetch(&bucket(hashes[std::countr_zero(m)]));
  uint64_t hits = 0;
  for (uint64_t m = wanted; m != 0; m &= m - 1) {
    const int i = std::countr_zero(m);
    flows[i] = find(*keys[i], hashes[i]);
    if (flows[i] != nullptr) hits |= uint64_t{1} << i;
  }
  return hits;
}

void SignatureCache::insert(uint32_t hash, const Megaflow& flow) {
  Bucket& target = bucket(hash);
  const uint16_t sig = signature(hash);
  const uint32_t slot = flow.slot();
  // The same signature most likely means the same traffic: point it at the
  // new flow rather than keep two ways for it. Else use a free way, else
  // evict one at random.
  uint32_t chosen = kWays;
  for (uint32_t way = 0; way < kWays && chosen == kWays; ++way)
    if (target.slots[way] != kEmptySlot && target.signatures[way] == sig) chosen = way;
  for (uint32_t way = 0; way < kWays && chosen == kWays; ++way)
    if (target.slots[way] == kEmptySlot) chosen = way;
  if (chosen == kWays) chosen = random_.next() % kWays;
  target.signatures[chosen] = sig;
  target.slots[chosen] = slot;
  ++counters_.inserts;
}

}  // namespace flowpath
