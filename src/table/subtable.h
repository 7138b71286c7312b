// Subtable: the flows of a MegaflowTable that share one mask (one "tuple" of
// the tuple-space search). Internal to the table; exposed for its tests.
#pragma once

#include <atomic>
#include <cstdint>

#include "flow/flow_key.h"
#include "table/megaflow.h"
#include "table/rcu_hash_index.h"

namespace flowpath {

class Subtable {
 public:
  using FlowIndex = RcuHashIndex<Megaflow>;
  // matches() compares masks of up to this many words branch-free over all of them.
  static constexpr uint32_t kPaddedWords = 8;

  explicit Subtable(const FlowMask& mask);
  Subtable(const Subtable&) = delete;
  Subtable& operator=(const Subtable&) = delete;

  const FlowMask& mask() const { return mask_; }
  // How many 64-bit key words the mask uses; hashing and compares read only those.
  size_t word_count() const { return word_count_; }
  uint32_t word_index(size_t i) const { return word_index_[i]; }
  uint64_t mask_word(size_t i) const { return mask_words_[i]; }

  // Equals hash_masked(key, mask(), 0) (same mixing, used words only).
  uint32_t hash(const FlowKey& key) const {
    const uint64_t* words = key.words();
    uint64_t h = 0;
    for (uint32_t i = 0; i < word_count_; ++i) {
      uint32_t w = word_index_[i];
      h = hash_mix_word(h, (words[w] & mask_words_[i]) ^ w);
    }
    return hash_finish(h);
  }

  // hash() of a key whose packed words (pack()) are `packed`.
  uint32_t hash_packed(const uint64_t* packed) const {
    uint64_t h = 0;
    for (uint32_t i = 0; i < word_count_; ++i) h = hash_mix_word(h, packed[i] ^ word_index_[i]);
    return hash_finish(h);
  }

  // key & mask == flow's key? The caches call this for every hit, where
  // consecutive packets often belong to subtables of different word counts:
  // masks of up to kPaddedWords words are compared over exactly that many,
  // in straight-line code with no branch on the count (the words past the
  // mask's own have mask 0 and index 0, so they compare equal whatever the
  // flow holds there; a flow's allocation always extends that far, as
  // Megaflow::create() asserts). Wider masks take the loop.
  bool matches(const Megaflow& flow, const FlowKey& key) const {
    const uint64_t* words = key.words();
    const uint64_t* packed = flow.packed_words();
    uint64_t diff = 0;
    if (__builtin_expect(word_count_ <= kPaddedWords, 1)) {
#pragma GCC unroll 16
      for (uint32_t i = 0; i < kPaddedWords; ++i)
        diff |= (words[word_index_[i]] ^ packed[i]) & mask_words_[i];
    } else {
      for (uint32_t i = 0; i < word_count_; ++i)
        diff |= (words[word_index_[i]] ^ packed[i]) & mask_words_[i];
    }
    return diff == 0;
  }

  // Writes the masked words of `key`, in this subtable's order, to `out`.
  void pack(const FlowKey& key, uint64_t* out) const {
    for (uint32_t i = 0; i < word_count_; ++i)
      out[i] = key.words()[word_index_[i]] & mask_words_[i];
  }

  // The flow matching `key` (with its precomputed hash), read side.
  Megaflow* find(const FlowKey& key, uint32_t hash) const {
    return flows_.view().find(hash, [&](const Megaflow* flow) { return matches(*flow, key); });
  }
  Megaflow* find(const FlowKey& key) const { return find(key, hash(key)); }

  FlowIndex& flows() { return flows_; }
  const FlowIndex& flows() const { return flows_; }

  // Hit counting for ranking. The increment is a plain load and store, not a
  // locked add: several threads may lose a few counts to each other, which
  // ranking tolerates, and no forwarding thread pays for an atomic RMW.
  void count_hits(uint64_t n) {
    hits_.store(hits_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  // Hits since the last take_hits_since_ranking() (writer side). The counter
  // is never reset, so a racing increment cannot resurrect old counts.
  uint64_t hits_since_ranking() const {
    uint64_t now = hits();
    return now > ranked_hits_ ? now - ranked_hits_ : 0;
  }
  uint64_t take_hits_since_ranking() {
    uint64_t delta = hits_since_ranking();
    ranked_hits_ = hits();
    return delta;
  }

 private:
  // Hot: read by every probe.
  uint32_t word_count_ = 0;
  // Zero past word_count_ (matches() relies on it).
  uint8_t word_index_[FlowKey::kWords] = {};
  uint64_t mask_words_[FlowKey::kWords] = {};
  FlowIndex flows_;
  // Written by forwarding threads: its own cache line.
  alignas(64) std::atomic<uint64_t> hits_{0};
  uint64_t ranked_hits_ = 0;  // writer only
  alignas(64) FlowMask mask_;
};

}  // namespace flowpath
