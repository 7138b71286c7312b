// RcuHashIndex<Node>: a hash index of Node pointers for one writer at a time
// and any number of lock-free readers.
//
// Layout: an array of 64-byte buckets, each holding 5 (hash, node) entries and
// a "displaced" count. A node lives in its home bucket (hash & mask) or, when
// that is full, in its other bucket (a remix of the hash); the home bucket
// counts such nodes so a miss reads one cache line unless the home bucket
// ever overflowed. The hashes sit next to the pointers, so a miss never
// touches a node. When both of a new node's buckets are full, a node at home
// in one of them moves to its other bucket to make room (one step of cuckoo
// hashing), which lets the table fill to its load limit instead of doubling
// at a fifth full. (The idea of hashes in cache-line buckets comes from OVS's
// cmap; unlike cmap, a node only ever moves away from its home bucket, so a
// reader needs no retry: see move_one_out().)
//
// Concurrency: entries are written as (hash, then node with release); a
// reader that races a change sees the old or the new entry and checks every
// candidate node itself, so it can miss a node being inserted or deleted at
// that moment but never returns a wrong one. Resizing builds a whole new array
// and publishes it with one release store; the old array is left untouched
// and freed after a grace period, so readers that still use it see a
// consistent, slightly old index. No node carries links, so a node can be in
// several indexes and no resize has to wait for the previous one's readers.
//
// Hash collisions: more than 10 nodes with one 32-bit hash cannot all fit in
// their two buckets, and doubling would not help. A node that does not fit in
// a table at most a quarter full goes to a small "stash" list that belongs to
// the array (so readers see buckets and stash as one snapshot); changing the
// stash republishes the array. Normal traffic never needs it; it keeps a
// flood of colliding flows from growing the array without bound.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/page_memory.h"
#include "common/rcu.h"

namespace flowpath {

template <typename Node>
class RcuHashIndex {
 public:
  static constexpr int kWays = 5;

  struct alignas(64) Bucket {
    std::atomic<uint32_t> hashes[kWays];
    // Nodes whose home is this bucket but that live elsewhere (their other
    // bucket or the stash).
    std::atomic<uint32_t> displaced;
    std::atomic<Node*> nodes[kWays];
  };
  static_assert(sizeof(Bucket) == 64);

  struct StashEntry {
    uint32_t hash;
    Node* node;
  };

 private:
  struct Array {
    rcu::DeferredFree deferred;
    uint32_t mask;  // bucket count - 1 (a power of two minus one)
    Bucket* buckets;
    std::vector<StashEntry> stash;  // immutable once published

    // Zeroed memory is an empty bucket (hashes 0, displaced 0, nodes null);
    // arrays of a page or more are mapped, so a table that shrinks gives
    // their memory back.
    explicit Array(uint32_t n_buckets)
        : mask(n_buckets - 1),
          buckets(static_cast<Bucket*>(allocate_zeroed(size_t{n_buckets} * sizeof(Bucket)))) {}
    ~Array() { free_zeroed(buckets, size_t{bucket_count()} * sizeof(Bucket)); }
    uint32_t bucket_count() const { return mask + 1; }
  };

 public:
  // The second bucket choice: mostly the high hash bits, so it is independent
  // of the home bucket for tables below 64k buckets.
  static uint32_t other_hash(uint32_t hash) { return std::rotr(hash, 16) * 0x9e3779b1u; }

  // A reader's snapshot of the index: take it once per operation (or batch)
  // inside a read section.
  class View {
   public:
    const Bucket& home(uint32_t hash) const { return buckets_[hash & mask_]; }
    uint32_t bucket_count() const { return mask_ + 1; }
    const Bucket& other(uint32_t hash) const { return buckets_[other_hash(hash) & mask_]; }

    // The first node with this hash for which matches(node) holds. The home
    // bucket is scanned inline (it answers almost every lookup); the rest
    // is out of line, so the hot loops that call this stay small.
    template <typename Matches>
    [[gnu::always_inline]] Node* find(uint32_t hash, Matches&& matches) const {
      const Bucket& bucket = home(hash);
      if (Node* node = scan(bucket, hash, matches)) return node;
      if (__builtin_expect(bucket.displaced.load(std::memory_order_relaxed) == 0, 1))
        return nullptr;
      return find_elsewhere(hash, matches);
    }

    // Prefetches, for the home bucket's entries with this hash, the address
    // node_part(node) gives (the part of the node the match check reads).
    template <typename NodePart>
    void prefetch_candidates(uint32_t hash, NodePart&& node_part) const {
      const Bucket& bucket = home(hash);
      for (uint32_t ways = matching_ways(bucket, hash); ways != 0; ways &= ways - 1) {
        if (Node* node = bucket.nodes[std::countr_zero(ways)].load(std::memory_order_acquire))
          __builtin_prefetch(node_part(node));
      }
    }

   private:
    friend class RcuHashIndex;
    explicit View(const Array* array)
        : buckets_(array->buckets),
          mask_(array->mask),
          stash_(array->stash.data()),
          stash_size_(array->stash.size()) {}

    // Bit w set if way w holds `hash`: computed without branches, so the
    // usual outcome (no way, or one) costs one predictable test.
    [[gnu::always_inline]] static uint32_t matching_ways(const Bucket& bucket, uint32_t hash) {
      static_assert(kWays == 5 && offsetof(Bucket, hashes) == 0 &&
                    sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));
#if defined(__SSE2__)
      // SSE2 is part of every x86-64: ways 0-3 in one compare. Each 4-byte
      // lane of the aligned 16-byte load reads one whole hash, as a relaxed
      // load would: a racing writer leaves an old or a new hash, and every
      // candidate node is checked by the caller anyway.
      const __m128i first4 = _mm_load_si128(reinterpret_cast<const __m128i*>(&bucket.hashes[0]));
      const __m128i equal = _mm_cmpeq_epi32(first4, _mm_set1_epi32(static_cast<int>(hash)));
      uint32_t ways = static_cast<uint32_t>(_mm_movemask_ps(_mm_castsi128_ps(equal)));
#else
      uint32_t ways = 0;
      for (int w = 0; w < 4; ++w)
        ways |= static_cast<uint32_t>(bucket.hashes[w].load(std::memory_order_relaxed) == hash)
                << w;
#endif
      ways |= static_cast<uint32_t>(bucket.hashes[4].load(std::memory_order_relaxed) == hash) << 4;
      return ways;
    }

    template <typename Matches>
    [[gnu::noinline]] Node* find_elsewhere(uint32_t hash, Matches& matches) const {
      if (Node* node = scan(other(hash), hash, matches)) return node;
      for (size_t i = 0; i < stash_size_; ++i)
        if (stash_[i].hash == hash && matches(stash_[i].node)) return stash_[i].node;
      return nullptr;
    }

    template <typename Matches>
    [[gnu::always_inline]] static Node* scan(const Bucket& bucket, uint32_t hash,
                                             Matches& matches) {
      for (uint32_t ways = matching_ways(bucket, hash); ways != 0; ways &= ways - 1) {
        Node* node = bucket.nodes[std::countr_zero(ways)].load(std::memory_order_acquire);
        if (node != nullptr && matches(node)) return node;
      }
      return nullptr;
    }

    const Bucket* buckets_;
    uint32_t mask_;
    const StashEntry* stash_;
    size_t stash_size_;
  };

  // `max_load_percent`: how full the index may get before it doubles (it
  // halves below an eighth of that). Indexes on the forwarding path keep the
  // default, where almost every node sits in its home bucket and a miss
  // reads one line; control-path indexes can run fuller to save memory.
  explicit RcuHashIndex(uint32_t max_load_percent = kDefaultMaxLoadPercent)
      : array_(new Array(kMinBuckets)), max_load_percent_(max_load_percent) {}
  // Only once no reader can reach the index any more.
  ~RcuHashIndex() { delete array_.load(std::memory_order_relaxed); }
  RcuHashIndex(const RcuHashIndex&) = delete;
  RcuHashIndex& operator=(const RcuHashIndex&) = delete;

  View view() const { return View(array_.load(std::memory_order_acquire)); }

  // ---- Writer side: the caller serialises all calls below.

  size_t size() const { return size_; }
  size_t bucket_count() const { return current()->bucket_count(); }
  size_t stash_size() const { return current()->stash.size(); }
  size_t footprint_bytes() const {
    return bucket_count() * sizeof(Bucket) + current()->stash.capacity() * sizeof(StashEntry);
  }

  void insert(Node* node, uint32_t hash) {
    ++size_;
    if (size_ * 100 > capacity(current()) * max_load_percent_) {
      rebuild(current()->bucket_count() * 2, StashEntry{hash, node}, nullptr);
    } else if (!place(current(), node, hash)) {
      // Both buckets full and no node could move: rebuild bigger, or stash
      // it if the table is sparse (colliding hashes).
      rebuild(current()->bucket_count(), StashEntry{hash, node}, nullptr);
    }
  }

  // Removes `node` (inserted with `hash`); false if it is not in the index.
  bool remove(const Node* node, uint32_t hash) {
    Array* array = current();
    Bucket& home = array->buckets[hash & array->mask];
    Bucket& other = array->buckets[other_hash(hash) & array->mask];
    if (clear_entry(home, node)) {
      // found at home
    } else if (&other != &home && clear_entry(other, node)) {
      count_displaced(home, -1);
    } else if (in_stash(array, node)) {
      --size_;
      rebuild(array->bucket_count(), StashEntry{0, nullptr}, node);
      return true;
    } else {
      return false;
    }
    --size_;
    uint32_t buckets = array->bucket_count();
    if (buckets > kMinBuckets && size_ * 100 < capacity(array) * max_load_percent_ / 8)
      rebuild(buckets / 2, StashEntry{0, nullptr}, nullptr);
    return true;
  }

  // Calls visit(node, hash) for every node (writer side only).
  template <typename Visit>
  void for_each(Visit&& visit) const {
    const Array* array = current();
    for (uint32_t b = 0; b <= array->mask; ++b) {
      const Bucket& bucket = array->buckets[b];
      for (int w = 0; w < kWays; ++w) {
        Node* node = bucket.nodes[w].load(std::memory_order_relaxed);
        if (node != nullptr) visit(node, bucket.hashes[w].load(std::memory_order_relaxed));
      }
    }
    for (const StashEntry& entry : array->stash) visit(entry.node, entry.hash);
  }

  // Empties the index (the nodes themselves are the caller's).
  void clear() {
    publish(new Array(kMinBuckets));
    size_ = 0;
  }

 private:
  static constexpr uint32_t kMinBuckets = 2;
  // Half-full tables keep almost every node in its home bucket.
  static constexpr uint32_t kDefaultMaxLoadPercent = 50;
  // A node that fails to fit while the table is at most this full is stashed
  // instead of growing the table further.
  static constexpr size_t kStashLoadPercent = 25;

  static size_t capacity(const Array* array) { return size_t{array->bucket_count()} * kWays; }

  Array* current() const { return array_.load(std::memory_order_relaxed); }

  static bool in_stash(const Array* array, const Node* node) {
    for (const StashEntry& entry : array->stash)
      if (entry.node == node) return true;
    return false;
  }

  static bool place_in(Bucket& bucket, Node* node, uint32_t hash) {
    for (int w = 0; w < kWays; ++w) {
      if (bucket.nodes[w].load(std::memory_order_relaxed) != nullptr) continue;
      bucket.hashes[w].store(hash, std::memory_order_relaxed);
      bucket.nodes[w].store(node, std::memory_order_release);
      return true;
    }
    return false;
  }

  static bool clear_entry(Bucket& bucket, const Node* node) {
    for (int w = 0; w < kWays; ++w) {
      if (bucket.nodes[w].load(std::memory_order_relaxed) != node) continue;
      bucket.nodes[w].store(nullptr, std::memory_order_release);
      return true;
    }
    return false;
  }

  static void count_displaced(Bucket& home, int delta) {
    home.displaced.store(home.displaced.load(std::memory_order_relaxed) + delta,
                         std::memory_order_relaxed);
  }

  static Bucket& home_of(Array* array, uint32_t hash) { return array->buckets[hash & array->mask]; }
  static Bucket& other_of(Array* array, uint32_t hash) {
    return array->buckets[other_hash(hash) & array->mask];
  }

  static bool has_room(const Bucket& bucket) {
    for (int w = 0; w < kWays; ++w)
      if (bucket.nodes[w].load(std::memory_order_relaxed) == nullptr) return true;
    return false;
  }

  // Places a node in its home bucket, else its other bucket. When both are
  // full, a node that sits in its own home bucket (one of the two) moves to
  // its other bucket to make room: without that, a 5-way table with two
  // choices fills only to about 20 % before some pair of buckets is full.
  static bool place(Array* array, Node* node, uint32_t hash) {
    Bucket& home = home_of(array, hash);
    if (place_in(home, node, hash)) return true;
    Bucket& other = other_of(array, hash);
    if (&other == &home) return false;
    // Count first: a reader that finds the node through `other` must also
    // have had a reason to look there.
    count_displaced(home, +1);
    if (place_in(other, node, hash)) return true;
    count_displaced(home, -1);
    if (move_one_out(array, home)) return place_in(home, node, hash);
    count_displaced(home, +1);
    if (move_one_out(array, other)) return place_in(other, node, hash);
    count_displaced(home, -1);
    return false;
  }

  // Frees a way of `full` by moving one of its nodes that is at home there to
  // that node's other bucket, if that has room. Only such moves are made:
  // the node is in its new bucket (and its home counts it displaced) before
  // it leaves the old one, so a concurrent reader finds it in one or the
  // other. (A move back home would have a window in which a reader could
  // miss it: gone from the other bucket, displaced count already lowered.)
  static bool move_one_out(Array* array, Bucket& full) {
    for (int w = 0; w < kWays; ++w) {
      Node* node = full.nodes[w].load(std::memory_order_relaxed);
      const uint32_t hash = full.hashes[w].load(std::memory_order_relaxed);
      if (node == nullptr || &home_of(array, hash) != &full) continue;
      Bucket& target = other_of(array, hash);
      if (&target == &full || !has_room(target)) continue;
      count_displaced(full, +1);
      place_in(target, node, hash);
      full.nodes[w].store(nullptr, std::memory_order_release);
      return true;
    }
    return false;
  }

  // Builds a new array of at least n_buckets buckets holding the current
  // nodes, plus `added` (if its node is set) and minus `removed`, and
  // publishes it. Nodes that fit nowhere go to the stash once the new array
  // is sparse enough that growing further would not be the cure.
  void rebuild(uint32_t n_buckets, StashEntry added, const Node* removed) {
    for (;; n_buckets *= 2) {
      auto* fresh = new Array(n_buckets);
      std::vector<StashEntry> overflow;
      auto add = [&](Node* node, uint32_t hash) {
        if (node == removed) return;
        if (!place(fresh, node, hash)) overflow.push_back({hash, node});
      };
      for_each(add);
      if (added.node != nullptr) add(added.node, added.hash);
      if (!overflow.empty() && size_ * 100 > capacity(fresh) * kStashLoadPercent) {
        delete fresh;  // never published: grow and try again
        continue;
      }
      for (const StashEntry& entry : overflow)
        count_displaced(fresh->buckets[entry.hash & fresh->mask], +1);
      fresh->stash = std::move(overflow);
      publish(fresh);
      return;
    }
  }

  void publish(Array* fresh) {
    Array* old = array_.exchange(fresh, std::memory_order_acq_rel);
    rcu::free_after_grace_period<Array, rcu::delete_object<Array>>(old, &old->deferred);
  }

  std::atomic<Array*> array_;
  const uint32_t max_load_percent_;
  size_t size_ = 0;
};

}  // namespace flowpath
