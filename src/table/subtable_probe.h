// Batch probes of one Subtable, specialised by the number of key words its
// mask uses. Internal to MegaflowTable::lookup_batch() (and its tests).
//
// Why specialise: with the word count a compile-time constant the hash and
// the compare are straight-line code (-O2 unrolls no loop by itself), and
// the subtable's word map is copied into locals first. The copy matters as
// much as the unrolling: the build uses -fno-strict-aliasing, so any store
// (flows[i] = ...) may alias the subtable's map and a loop over it reloads
// the map for every key. Masks of 1 to kMaxSpecialisedWords words (in_port
// and L2: 4; an IPv4 match with metadata: 7 or 8) get their own code; wider
// ones the generic loop. Measured with callgrind on flowpath-replay: the
// lookup of profile b went from 270 to 150 instructions per packet.
#pragma once

#include <bit>
#include <cstdint>

#include "flow/flow_key.h"
#include "table/megaflow.h"
#include "table/subtable.h"

namespace flowpath::subtable_probe {

inline constexpr uint32_t kMaxSpecialisedWords = 10;

// Subtables with at most this many buckets (16 KB) are probed without the
// prefetch passes: likely in cache, where prefetching would only add work.
inline constexpr uint32_t kCacheResidentBuckets = 256;

// A subtable's word map in locals. N = 0: any word count, read at run time.
template <uint32_t N>
class WordMap {
 public:
  explicit WordMap(const Subtable& subtable)
      : count_(N != 0 ? N : static_cast<uint32_t>(subtable.word_count())) {
    for (uint32_t j = 0; j < count_; ++j) {
      index_[j] = subtable.word_index(j);
      mask_[j] = subtable.mask_word(j);
    }
  }

  // Equals Subtable::hash(key).
  [[gnu::always_inline]] uint32_t hash(const FlowKey& key) const {
    const uint64_t* words = key.words();
    uint64_t h = 0;
    if constexpr (N != 0) {
      // -O2 does not unroll loops by itself.
#pragma GCC unroll 16
      for (uint32_t j = 0; j < N; ++j)
        h = hash_mix_word(h, (words[index_[j]] & mask_[j]) ^ index_[j]);
    } else {
      for (uint32_t j = 0; j < count_; ++j)
        h = hash_mix_word(h, (words[index_[j]] & mask_[j]) ^ index_[j]);
    }
    return hash_finish(h);
  }

  // Equals Subtable::matches(flow, key).
  [[gnu::always_inline]] bool matches(const Megaflow& flow, const FlowKey& key) const {
    const uint64_t* words = key.words();
    const uint64_t* packed = flow.packed_words();
    uint64_t diff = 0;
    if constexpr (N != 0) {
#pragma GCC unroll 16
      for (uint32_t j = 0; j < N; ++j) diff |= (words[index_[j]] & mask_[j]) ^ packed[j];
    } else {
      for (uint32_t j = 0; j < count_; ++j) diff |= (words[index_[j]] & mask_[j]) ^ packed[j];
    }
    return diff == 0;
  }

 private:
  static constexpr uint32_t kCapacity = N != 0 ? N : FlowKey::kWords;
  uint32_t count_;
  uint32_t index_[kCapacity];
  uint64_t mask_[kCapacity];
};

// Probes `subtable` for the keys whose bit is set in `pending`; sets
// flows[i] for each hit and returns the bitmap of hits.
template <uint32_t N>
uint64_t probe_batch(const Subtable& subtable, const FlowKey* const keys[], uint64_t pending,
                     Megaflow* flows[]) {
  const WordMap<N> map(subtable);
  const Subtable::FlowIndex::View view = subtable.flows().view();
  uint64_t hits = 0;
  auto probe = [&](int i, uint32_t hash) __attribute__((always_inline)) {
    const FlowKey& key = *keys[i];
    Megaflow* flow =
        view.find(hash, [&](const Megaflow* candidate) { return map.matches(*candidate, key); });
    if (flow != nullptr) {
      flows[i] = flow;
      hits |= uint64_t{1} << i;
    }
  };
  // Hash every pending key first: the hashes are independent chains of
  // multiplies that the CPU overlaps, where hashing each key just before its
  // probe leaves every probe waiting for its own hash.
  uint32_t hashes[64];
  for (uint64_t m = pending; m != 0; m &= m - 1) {
    const int i = std::countr_zero(m);
    hashes[i] = map.hash(*keys[i]);
  }
  if (view.bucket_count() > kCacheResidentBuckets) {
    // A large subtable: start loading every home bucket, then the key words
    // of the flows those buckets point to, then compare: by then most of it
    // has arrived. (For a small one, likely in cache, this is only work.)
    for (uint64_t m = pending; m != 0; m &= m - 1)
      __builtin_prefetch(&view.home(hashes[std::countr_zero(m)]));
    for (uint64_t m = pending; m != 0; m &= m - 1) {
      view.prefetch_candidates(hashes[std::countr_zero(m)],
                               [](const Megaflow* flow) { return flow->packed_words(); });
    }
  }
  for (uint64_t m = pending; m != 0; m &= m - 1) {
    const int i = std::countr_zero(m);
    probe(i, hashes[i]);
  }
  return hits;
}

// probe_batch() with the code for the subtable's word count.
inline uint64_t probe_batch_dispatch(const Subtable& subtable, const FlowKey* const keys[],
                                     uint64_t pending, Megaflow* flows[]) {
  switch (subtable.word_count()) {
    case 1: return probe_batch<1>(subtable, keys, pending, flows);
    case 2: return probe_batch<2>(subtable, keys, pending, flows);
    case 3: return probe_batch<3>(subtable, keys, pending, flows);
    case 4: return probe_batch<4>(subtable, keys, pending, flows);
    case 5: return probe_batch<5>(subtable, keys, pending, flows);
    case 6: return probe_batch<6>(subtable, keys, pending, flows);
    case 7: return probe_batch<7>(subtable, keys, pending, flows);
    case 8: return probe_batch<8>(subtable, keys, pending, flows);
    case 9: return probe_batch<9>(subtable, keys, pending, flows);
    case 10: return probe_batch<10>(subtable, keys, pending, flows);
    default: return probe_batch<0>(subtable, keys, pending, flows);
  }
}
static_assert(kMaxSpecialisedWords == 10, "probe_batch_dispatch() lists each count");

}  // namespace flowpath::subtable_probe
