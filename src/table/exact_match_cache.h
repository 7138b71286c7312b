// ExactMatchCache (EMC): the first lookup layer of a forwarding thread, in
// front of the SignatureCache and the MegaflowTable. One per thread, not
// thread-safe, bound to one table.
//
// Design, and why:
//  - Entries hold the whole packet key (cache-line aligned) and the slot of
//    the megaflow it hit, indexed by a 32-bit packet hash the caller supplies
//    (hash_key() or an RSS hash: equal keys must give equal hashes). Two
//    candidate entries per hash, so two hot keys that share an index can
//    both stay.
//  - A hit needs the whole key to be equal (the fixed words, and the Geneve
//    option words only when the key has options), then the flow to be alive.
//  - Alive check without touching freed memory: an entry stores the flow's
//    slot number, never a pointer it would dereference later. At lookup the
//    slot is read through MegaflowTable::flow_in_slot() (safe under RCU);
//    remove()/flush() empty the slot before they return, so a deleted flow is
//    never returned afterwards. A slot reused by a newer flow is accepted only
//    if that flow matches the key (a cheap masked compare over the flow's
//    packed words). The answer is always a live flow that matches the key;
//    when flows overlap (MegaflowTable allows it, as Open vSwitch does) it is
//    the one the key hit when cached, not necessarily the table's first hit
//    now, as in Open vSwitch's EMC.
//  - Probabilistic insertion (1 in `inverse_probability` offers, as Open
//    vSwitch): traffic with more keys than entries then keeps a stable part
//    of the cache instead of evicting everything on every packet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "flow/flow_key.h"
#include "table/megaflow.h"
#include "table/megaflow_table.h"
#include "table/subtable.h"

namespace flowpath {

// The live flow in `slot` if it matches `key`, else nullptr. Read side.
inline Megaflow* live_flow_matching(const MegaflowTable& table, uint32_t slot,
                                    const FlowKey& key) {
  Megaflow* flow = table.flow_in_slot(slot);
  if (flow == nullptr || !flow->subtable()->matches(*flow, key)) return nullptr;
  return flow;
}

// A small, seedable xorshift generator: the caches' insertion and eviction
// choices must not cost a library call per packet, and tests need them
// reproducible.
class CacheRandom {
 public:
  explicit CacheRandom(uint64_t seed) : state_(seed == 0 ? 0x9e3779b97f4a7c15ULL : seed) {}
  uint32_t next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return static_cast<uint32_t>(state_ >> 32);
  }

 private:
  uint64_t state_;
};

struct CacheCounters {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t inserts = 0;  // entries written (new or replaced)
  uint64_t stale = 0;    // key or signature found, but its flow was deleted or did not match

  friend bool operator==(const CacheCounters&, const CacheCounters&) = default;
};

class ExactMatchCache {
 public:
  static constexpr uint32_t kDefaultEntries = 8192;
  static constexpr uint32_t kDefaultInverseProbability = 100;
  static constexpr size_t kMaxBatch = 64;

  struct Config {
    uint32_t entries = kDefaultEntries;  // rounded up to a power of two, at least 2
    // Insert on 1 of this many offer() calls; 1 = always, 0 = never.
    uint32_t inverse_probability = kDefaultInverseProbability;
    uint64_t seed = 1;
  };

  // The cache refers to `table`, which must outlive it.
  explicit ExactMatchCache(const MegaflowTable& table) : ExactMatchCache(table, Config{}) {}
  ExactMatchCache(const MegaflowTable& table, const Config& config);
  ExactMatchCache(const ExactMatchCache&) = delete;
  ExactMatchCache& operator=(const ExactMatchCache&) = delete;

  uint32_t capacity() const { return mask_ + 1; }
  uint32_t inverse_probability() const { return inverse_probability_; }
  void set_inverse_probability(uint32_t inverse_probability) {
    inverse_probability_ = inverse_probability;
  }

  // ---- Read side: inside an rcu::ReadSection; the flow returned stays
  // valid until the section ends.

  // The cached flow for `key` (whose packet hash is `hash`), or nullptr.
  Megaflow* lookup(const FlowKey& key, uint32_t hash);

  // Looks up keys[0..n) (n <= kMaxBatch) with their hashes; sets flows[i] to
  // the hit or nullptr and returns the bitmap of hits.
  uint64_t lookup_batch(const FlowKey* const keys[], const uint32_t hashes[], size_t n,
                        Megaflow* flows[]);

  // Remembers that `key` hit `flow` (a flow returned by the table or a cache
  // in the current read section), with probability 1 / inverse_probability.
  // Returns true if it was inserted.
  bool offer(const FlowKey& key, uint32_t hash, const Megaflow& flow);
  // The same, always.
  void insert(const FlowKey& key, uint32_t hash, const Megaflow& flow);

  // Forgets every entry (needed only to drop memory of old traffic: deleted
  // flows are caught by the alive check anyway).
  void invalidate_all();

  const CacheCounters& counters() const { return counters_; }
  void clear_counters() { counters_ = {}; }
  // Entries in use (a scan; for tests and statistics).
  size_t occupied() const;

 private:
  static constexpr uint32_t kEmptySlot = ~uint32_t{0};

  struct alignas(64) Entry {
    FlowKey key;
    uint32_t hash;
    uint32_t slot;  // the flow's MegaflowTable slot, kEmptySlot if unused
    // Where the flow was, for prefetching only: never dereferenced, since
    // the flow may have been freed since (the slot is the truth).
    const Megaflow* flow_hint;
  };

  uint32_t first_index(uint32_t hash) const { return hash & mask_; }
  uint32_t second_index(uint32_t hash) const { return ((hash >> 16) | (hash << 16)) & mask_; }
  Megaflow* probe(Entry& entry, const FlowKey& key, uint32_t hash);

  const MegaflowTable& table_;
  uint32_t mask_;
  uint32_t inverse_probability_;
  CacheRandom random_;
  CacheCounters counters_;
  std::unique_ptr<Entry[]> entries_;
};

}  // namespace flowpath
