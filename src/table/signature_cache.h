// SignatureCache (SMC): the second lookup layer of a forwarding thread,
// between the ExactMatchCache and the MegaflowTable. One per thread, not
// thread-safe, bound to one table.
//
// Design, and why:
//  - Far more entries than the EMC for the same memory: an entry is a 16-bit
//    signature of the packet hash and the 32-bit slot of the megaflow the key
//    hit, in 4-way buckets (four signatures, then four slots: 24 bytes,
//    padded to 32 so two buckets share a cache line and none straddles one).
//    One probe reads one line of the cache.
//  - A signature can be shared by many keys, so an entry is only a guess:
//    the flow in the slot (MegaflowTable::flow_in_slot(), which is empty once
//    remove()/flush() returned) must match the key under its own mask, a
//    compare over the flow's packed words. The cache can miss, never return
//    a deleted flow or one that does not match. With overlapping flows it
//    returns the flow the key hit when it was inserted (or a matching flow
//    that took over the slot), which need not be the one a table lookup
//    finds first now: as in Open vSwitch, a packet matching several flows
//    gets one of them.
//  - Inserted on every megaflow hit that missed the EMC (no probability: an
//    insert is two stores).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "flow/flow_key.h"
#include "table/exact_match_cache.h"
#include "table/megaflow.h"
#include "table/megaflow_table.h"

namespace flowpath {

class SignatureCache {
 public:
  static constexpr uint32_t kWays = 4;
  static constexpr uint32_t kDefaultEntries = uint32_t{1} << 20;
  static constexpr size_t kMaxBatch = 64;

  struct Config {
    uint32_t entries = kDefaultEntries;  // rounded up to a power of two, at least kWays
    uint64_t seed = 1;                   // for the choice of victims
  };

  // The cache refers to `table`, which must outlive it.
  explicit SignatureCache(const MegaflowTable& table) : SignatureCache(table, Config{}) {}
  SignatureCache(const MegaflowTable& table, const Config& config);
  SignatureCache(const SignatureCache&) = delete;
  SignatureCache& operator=(const SignatureCache&) = delete;

  uint32_t capacity() const { return (bucket_mask_ + 1) * kWays; }

  // ---- Read side: inside an rcu::ReadSection.

  // The flow for `key` (with packet hash `hash`), or nullptr.
  Megaflow* lookup(const FlowKey& key, uint32_t hash);
  // Looks up keys[0..n) (n <= kMaxBatch) whose bit is set in `wanted`
  // (all ones for every key); sets flows[i] to the hit or nullptr for those
  // and returns the bitmap of hits. The others' flows[i] are left untouched,
  // so the EMC's misses can be passed straight on.
  uint64_t lookup_batch(const FlowKey* const keys[], const uint32_t hashes[], size_t n,
                        Megaflow* flows[], uint64_t wanted = ~uint64_t{0});

  // Remembers that the key with packet hash `hash` hit `flow` (a flow
  // returned by the table in the current read section).
  void insert(uint32_t hash, const Megaflow& flow);

  void invalidate_all();

  const CacheCounters& counters() const { return counters_; }
  void clear_counters() { counters_ = {}; }
  size_t occupied() const;

 private:
  static constexpr uint32_t kEmptySlot = ~uint32_t{0};

  struct alignas(32) Bucket {
    uint16_t signatures[kWays];
    uint32_t slots[kWays];  // kEmptySlot if unused
  };
  static_assert(sizeof(Bucket) == 32);

  static uint16_t signature(uint32_t hash) { return static_cast<uint16_t>(hash >> 16); }

  // lookup() without the checks, inlined into lookup_batch().
  [[gnu::always_inline]] Megaflow* find(const FlowKey& key, uint32_t hash) {
    const Bucket& candidates = bucket(hash);
    const uint16_t sig = signature(hash);
    // Several ways may carry the signature (different keys, same signature):
    // any of them whose flow matches is an answer. With overlapping flows it
    // may differ from the table's own first hit, which Open vSwitch's caches
    // allow too: a packet gets some live flow that matches it.
    for (uint32_t way = 0; way < kWays; ++way) {
      if (candidates.signatures[way] != sig || candidates.slots[way] == kEmptySlot) continue;
      if (Megaflow* flow = live_flow_matching(table_, candidates.slots[way], key)) {
        ++counters_.hits;
        return flow;
      }
      ++counters_.stale;
    }
    ++counters_.misses;
    return nullptr;
  }
  Bucket& bucket(uint32_t hash) { return buckets_[hash & bucket_mask_]; }

  const MegaflowTable& table_;
  uint32_t bucket_mask_;
  CacheRandom random_;
  CacheCounters counters_;
  std::unique_ptr<Bucket[]> buckets_;
};

}  // namespace flowpath
