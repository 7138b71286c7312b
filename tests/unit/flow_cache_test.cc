// Tests of the per-thread flow caches (ExactMatchCache, SignatureCache):
// hits, misses, probabilistic insertion, collisions, eviction, the alive
// check after remove()/flush(), and a differential test of the whole lookup
// chain (EMC -> SMC -> MegaflowTable) against a linear scan over all flows.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "megaflow_test_helpers.h"
#include "table/exact_match_cache.h"
#include "table/signature_cache.h"

namespace flowpath {
namespace {

using megaflow_test::add;
using megaflow_test::Fields;
using megaflow_test::make_key;
using megaflow_test::make_match;
using megaflow_test::MaskSpec;
using megaflow_test::output_port;
using megaflow_test::ufid_of;

// A match on in_port, eth_type and the destination /24 of `ip_dst`.
Match dst24(uint32_t ip_dst) {
  Fields f;
  f.ip_dst = ip_dst;
  return make_match(f, MaskSpec{.dst_prefix = 24});
}

FlowKey key_to(uint32_t ip_dst, uint16_t tp_src = 1234) {
  Fields f;
  f.ip_dst = ip_dst;
  f.tp_src = tp_src;
  return make_key(f);
}

ExactMatchCache::Config emc_config(uint32_t entries, uint32_t inverse_probability,
                                   uint64_t seed = 1) {
  ExactMatchCache::Config config;
  config.entries = entries;
  config.inverse_probability = inverse_probability;
  config.seed = seed;
  return config;
}

SignatureCache::Config smc_config(uint32_t entries, uint64_t seed = 1) {
  SignatureCache::Config config;
  config.entries = entries;
  config.seed = seed;
  return config;
}

// ------------------------------------------------------------------- EMC

TEST(ExactMatchCache, RoundsCapacityToPowerOfTwo) {
  MegaflowTable table;
  EXPECT_EQ(ExactMatchCache(table).capacity(), 8192u);
  EXPECT_EQ(ExactMatchCache(table, emc_config(1000, 1)).capacity(), 1024u);
  EXPECT_EQ(ExactMatchCache(table, emc_config(0, 1)).capacity(), 2u);
}

TEST(ExactMatchCache, MissThenHitAfterInsert) {
  MegaflowTable table;
  ASSERT_TRUE(add(table, dst24(0x0a000100), 7).ok());
  ExactMatchCache emc(table, emc_config(64, 1));
  rcu::ReadSection section;
  const FlowKey key = key_to(0x0a000105);
  const uint32_t hash = hash_key(key, 0);
  EXPECT_EQ(emc.lookup(key, hash), nullptr);
  Megaflow* flow = table.lookup(key).flow;
  ASSERT_NE(flow, nullptr);
  emc.insert(key, hash, *flow);
  EXPECT_EQ(emc.lookup(key, hash), flow);
  EXPECT_EQ(output_port(emc.lookup(key, hash)->actions()), 7u);
  // Another key of the same megaflow is not an exact match.
  const FlowKey other = key_to(0x0a000106);
  EXPECT_EQ(emc.lookup(other, hash_key(other, 0)), nullptr);
  EXPECT_EQ(emc.counters(), (CacheCounters{.hits = 2, .misses = 2, .inserts = 1, .stale = 0}));
  EXPECT_EQ(emc.occupied(), 1u);
}

TEST(ExactMatchCache, SameHashDifferentKeyIsAMiss) {
  MegaflowTable table;
  ASSERT_TRUE(add(table, dst24(0x0a000100), 1).ok());
  ExactMatchCache emc(table, emc_config(64, 1));
  rcu::ReadSection section;
  const FlowKey a = key_to(0x0a000101);
  const FlowKey b = key_to(0x0a000102);
  emc.insert(a, 42, *table.lookup(a).flow);
  EXPECT_EQ(emc.lookup(b, 42), nullptr);
  EXPECT_NE(emc.lookup(a, 42), nullptr);
}

TEST(ExactMatchCache, GeneveOptionsAreCompared) {
  MegaflowTable table;
  ASSERT_TRUE(add(table, dst24(0x0a000100), 1).ok());
  ExactMatchCache emc(table, emc_config(64, 1));
  rcu::ReadSection section;
  FlowKey a = key_to(0x0a000101);
  a.md.tunnel.geneve_length = 8;
  a.geneve_options[5] = 1;
  FlowKey b = a;
  b.geneve_options[5] = 2;
  emc.insert(a, 42, *table.lookup(a).flow);
  EXPECT_EQ(emc.lookup(b, 42), nullptr);
  EXPECT_NE(emc.lookup(a, 42), nullptr);
}

TEST(ExactMatchCache, TwoWaysThenRandomEviction) {
  MegaflowTable table;
  ASSERT_TRUE(add(table, dst24(0x0a000100), 1).ok());
  ExactMatchCache emc(table, emc_config(64, 1));
  rcu::ReadSection section;
  const FlowKey keys[3] = {key_to(0x0a000101), key_to(0x0a000102), key_to(0x0a000103)};
  const Megaflow* flow = table.lookup(keys[0]).flow;
  // One hash for all three: its two candidate entries hold two keys.
  const uint32_t hash = 0x00010002;
  emc.insert(keys[0], hash, *flow);
  emc.insert(keys[1], hash, *flow);
  EXPECT_NE(emc.lookup(keys[0], hash), nullptr);
  EXPECT_NE(emc.lookup(keys[1], hash), nullptr);
  emc.insert(keys[2], hash, *flow);
  EXPECT_EQ(emc.occupied(), 2u);
  EXPECT_NE(emc.lookup(keys[2], hash), nullptr);
  const bool first_kept = emc.lookup(keys[0], hash) != nullptr;
  const bool second_kept = emc.lookup(keys[1], hash) != nullptr;
  EXPECT_NE(first_kept, second_kept);
  // Re-inserting a present key refreshes it in place.
  emc.insert(keys[2], hash, *flow);
  EXPECT_EQ(emc.occupied(), 2u);
  EXPECT_EQ(emc.lookup(keys[0], hash) != nullptr, first_kept);
}

size_t count_inserts(uint32_t inverse_probability, uint64_t seed, size_t offers) {
  MegaflowTable table;
  EXPECT_TRUE(add(table, dst24(0x0a000100), 1).ok());
  ExactMatchCache emc(table, emc_config(64, inverse_probability, seed));
  rcu::ReadSection section;
  const FlowKey key = key_to(0x0a000101);
  const Megaflow* flow = table.lookup(key).flow;
  size_t inserted = 0;
  for (size_t i = 0; i < offers; ++i) inserted += emc.offer(key, 5, *flow);
  EXPECT_EQ(emc.counters().inserts, inserted);
  return inserted;
}

TEST(ExactMatchCache, InsertionProbability) {
  EXPECT_EQ(count_inserts(0, 1, 10000), 0u);
  EXPECT_EQ(count_inserts(1, 1, 10000), 10000u);
  const size_t one_in_100 = count_inserts(100, 7, 100000);
  EXPECT_GE(one_in_100, 850u);
  EXPECT_LE(one_in_100, 1150u);
  EXPECT_EQ(count_inserts(100, 7, 100000), one_in_100);  // reproducible from the seed
  const size_t one_in_4 = count_inserts(4, 3, 100000);
  EXPECT_GE(one_in_4, 24000u);
  EXPECT_LE(one_in_4, 26000u);
}

TEST(ExactMatchCache, DeletedFlowIsNeverReturned) {
  MegaflowTable table;
  auto put = add(table, dst24(0x0a000100), 1);
  ASSERT_TRUE(put.ok());
  ExactMatchCache emc(table, emc_config(64, 1));
  const FlowKey key = key_to(0x0a000101);
  {
    rcu::ReadSection section;
    emc.insert(key, 9, *table.lookup(key).flow);
    ASSERT_NE(emc.lookup(key, 9), nullptr);
  }
  ASSERT_TRUE(table.remove(ufid_of(put)).ok());
  rcu::wait_for_deferred_frees();  // the flow's memory is gone: the cache must not read it
  rcu::ReadSection section;
  EXPECT_EQ(emc.lookup(key, 9), nullptr);
  EXPECT_EQ(emc.counters().stale, 1u);
  EXPECT_EQ(emc.occupied(), 0u);  // the dead entry was freed
}

TEST(ExactMatchCache, FlushedFlowIsNeverReturned) {
  MegaflowTable table;
  ASSERT_TRUE(add(table, dst24(0x0a000100), 1).ok());
  ExactMatchCache emc(table, emc_config(64, 1));
  const FlowKey key = key_to(0x0a000101);
  rcu::ReadSection section;
  emc.insert(key, 9, *table.lookup(key).flow);
  table.flush();
  EXPECT_EQ(emc.lookup(key, 9), nullptr);
}

TEST(ExactMatchCache, ReusedSlotCountsOnlyIfTheNewFlowMatches) {
  MegaflowTable table;
  auto first = add(table, dst24(0x0a000100), 1);
  ASSERT_TRUE(first.ok());
  ExactMatchCache emc(table, emc_config(64, 1));
  const FlowKey key = key_to(0x0a000101);
  uint32_t slot;
  {
    rcu::ReadSection section;
    Megaflow* flow = table.lookup(key).flow;
    slot = flow->slot();
    emc.insert(key, 9, *flow);
  }
  // A flow for other traffic takes the freed slot: not a hit.
  ASSERT_TRUE(table.remove(ufid_of(first)).ok());
  auto unrelated = add(table, dst24(0x0b000100), 2);
  ASSERT_TRUE(unrelated.ok());
  {
    rcu::ReadSection section;
    ASSERT_EQ(table.get(ufid_of(unrelated))->slot(), slot);
    EXPECT_EQ(emc.lookup(key, 9), nullptr);
  }
  // A wider flow that does match the key, in the same slot again: the
  // table's answer, so a hit.
  emc.insert(key, 9, *[&] {
    rcu::ReadSection section;
    return table.lookup(key_to(0x0b000101)).flow;
  }());
  ASSERT_TRUE(table.remove(ufid_of(unrelated)).ok());
  Fields wide;
  wide.ip_dst = 0x0a000000;
  ASSERT_TRUE(add(table, make_match(wide, MaskSpec{.dst_prefix = 8}), 3).ok());
  rcu::ReadSection section;
  Megaflow* hit = emc.lookup(key, 9);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->slot(), slot);
  EXPECT_EQ(output_port(hit->actions()), 3u);
}

TEST(ExactMatchCache, BatchLookupAndInvalidateAll) {
  MegaflowTable table;
  ASSERT_TRUE(add(table, dst24(0x0a000100), 1).ok());
  ExactMatchCache emc(table, emc_config(256, 1));
  rcu::ReadSection section;
  FlowKey keys[32];
  const FlowKey* pointers[32];
  uint32_t hashes[32];
  Megaflow* flows[32];
  for (int i = 0; i < 32; ++i) {
    keys[i] = key_to(0x0a000100 + static_cast<uint32_t>(i));
    pointers[i] = &keys[i];
    hashes[i] = hash_key(keys[i], 0);
    if (i % 3 == 0) emc.insert(keys[i], hashes[i], *table.lookup(keys[i]).flow);
  }
  uint64_t expected = 0;
  for (int i = 0; i < 32; i += 3) expected |= uint64_t{1} << i;
  EXPECT_EQ(emc.lookup_batch(pointers, hashes, 32, flows), expected);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(flows[i] != nullptr, i % 3 == 0) << i;
  emc.invalidate_all();
  EXPECT_EQ(emc.occupied(), 0u);
  EXPECT_EQ(emc.lookup_batch(pointers, hashes, 32, flows), 0u);
}

// ------------------------------------------------------------------- SMC

TEST(SignatureCache, Capacity) {
  MegaflowTable table;
  EXPECT_EQ(SignatureCache(table).capacity(), 1u << 20);
  EXPECT_EQ(SignatureCache(table, smc_config(1000)).capacity(), 1024u);
  EXPECT_EQ(SignatureCache(table, smc_config(1)).capacity(), 4u);
}

TEST(SignatureCache, MissThenHitForAnyKeyOfTheFlow) {
  MegaflowTable table;
  ASSERT_TRUE(add(table, dst24(0x0a000100), 4).ok());
  SignatureCache smc(table, smc_config(1024));
  rcu::ReadSection section;
  const FlowKey key = key_to(0x0a000101);
  EXPECT_EQ(smc.lookup(key, 0x12345678), nullptr);
  smc.insert(0x12345678, *table.lookup(key).flow);
  Megaflow* hit = smc.lookup(key, 0x12345678);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(output_port(hit->actions()), 4u);
  EXPECT_EQ(smc.lookup(key, 0x12345679), nullptr);  // other bucket
  EXPECT_EQ(smc.lookup(key, 0x12355678), nullptr);  // other signature
  EXPECT_EQ(smc.counters(), (CacheCounters{.hits = 1, .misses = 3, .inserts = 1, .stale = 0}));
}

TEST(SignatureCache, SignatureCollisionWithAnotherFlowIsValidatedAway) {
  MegaflowTable table;
  ASSERT_TRUE(add(table, dst24(0x0a000100), 1).ok());
  ASSERT_TRUE(add(table, dst24(0x0a000200), 2).ok());
  SignatureCache smc(table, smc_config(1024));
  rcu::ReadSection section;
  const FlowKey a = key_to(0x0a000101);
  const FlowKey b = key_to(0x0a000201);
  smc.insert(77, *table.lookup(a).flow);
  EXPECT_EQ(smc.lookup(b, 77), nullptr);
  EXPECT_EQ(smc.counters().stale, 1u);
  EXPECT_NE(smc.lookup(a, 77), nullptr);
  // The same signature is re-pointed rather than duplicated.
  smc.insert(77, *table.lookup(b).flow);
  EXPECT_EQ(smc.occupied(), 1u);
  EXPECT_EQ(output_port(smc.lookup(b, 77)->actions()), 2u);
  EXPECT_EQ(smc.lookup(a, 77), nullptr);
}

TEST(SignatureCache, FullBucketEvictsOneWay) {
  MegaflowTable table;
  std::vector<FlowKey> keys;
  for (uint32_t i = 0; i < 5; ++i) {
    ASSERT_TRUE(add(table, dst24(0x0a000100 + (i << 8)), i).ok());
    keys.push_back(key_to(0x0a000101 + (i << 8)));
  }
  SignatureCache smc(table, smc_config(1024));
  rcu::ReadSection section;
  // Same bucket (low bits), five signatures.
  auto hash_of = [](uint32_t i) { return ((i + 1) << 16) | 3; };
  for (uint32_t i = 0; i < 5; ++i) smc.insert(hash_of(i), *table.lookup(keys[i]).flow);
  EXPECT_EQ(smc.occupied(), 4u);
  int hits = 0;
  for (uint32_t i = 0; i < 5; ++i) hits += smc.lookup(keys[i], hash_of(i)) != nullptr;
  EXPECT_EQ(hits, 4);
  EXPECT_NE(smc.lookup(keys[4], hash_of(4)), nullptr);  // the newest is kept
}

TEST(SignatureCache, DeletedFlowIsNeverReturned) {
  MegaflowTable table;
  auto put = add(table, dst24(0x0a000100), 1);
  ASSERT_TRUE(put.ok());
  SignatureCache smc(table, smc_config(1024));
  const FlowKey key = key_to(0x0a000101);
  {
    rcu::ReadSection section;
    smc.insert(5, *table.lookup(key).flow);
  }
  ASSERT_TRUE(table.remove(ufid_of(put)).ok());
  rcu::wait_for_deferred_frees();
  rcu::ReadSection section;
  EXPECT_EQ(smc.lookup(key, 5), nullptr);
}

TEST(SignatureCache, BatchLooksUpOnlyWantedKeys) {
  MegaflowTable table;
  ASSERT_TRUE(add(table, dst24(0x0a000100), 1).ok());
  SignatureCache smc(table, smc_config(4096));
  rcu::ReadSection section;
  FlowKey keys[8];
  const FlowKey* pointers[8];
  uint32_t hashes[8];
  Megaflow* flows[8];
  Megaflow* const marker = reinterpret_cast<Megaflow*>(uintptr_t{64});
  for (int i = 0; i < 8; ++i) {
    keys[i] = key_to(0x0a000100 + static_cast<uint32_t>(i));
    pointers[i] = &keys[i];
    hashes[i] = hash_key(keys[i], 0);
    flows[i] = marker;
    smc.insert(hashes[i], *table.lookup(keys[i]).flow);
  }
  EXPECT_EQ(smc.lookup_batch(pointers, hashes, 8, flows, 0b10100110), 0b10100110u);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(flows[i] == marker, ((0b10100110 >> i) & 1) == 0) << i;
}

// ---------------------------------------------------------- differential

// The whole per-thread lookup chain, as a forwarding thread would run it.
struct Pipeline {
  const MegaflowTable& table;
  ExactMatchCache emc;
  SignatureCache smc;
  uint32_t hash_bits;  // kept bits of the packet hash: few bits force collisions

  Pipeline(const MegaflowTable& t, const ExactMatchCache::Config& e,
           const SignatureCache::Config& s, uint32_t bits)
      : table(t), emc(t, e), smc(t, s), hash_bits(bits) {}

  void lookup(const FlowKey* const keys[], size_t n, Megaflow* flows[]) {
    uint32_t hashes[32];
    for (size_t i = 0; i < n; ++i) hashes[i] = hash_key(*keys[i], 0) & hash_bits;
    const uint64_t all = (uint64_t{1} << n) - 1;
    const uint64_t emc_hits = emc.lookup_batch(keys, hashes, n, flows);
    const uint64_t smc_hits = smc.lookup_batch(keys, hashes, n, flows, all & ~emc_hits);
    const FlowKey* rest[32];
    size_t index[32];
    size_t m = 0;
    for (size_t i = 0; i < n; ++i) {
      if ((emc_hits | smc_hits) >> i & 1) continue;
      index[m] = i;
      rest[m++] = keys[i];
    }
    Megaflow* found[32];
    table.lookup_batch(rest, m, found);
    for (size_t j = 0; j < m; ++j) {
      flows[index[j]] = found[j];
      if (found[j] != nullptr) smc.insert(hashes[index[j]], *found[j]);
    }
    for (size_t i = 0; i < n; ++i)
      if (!(emc_hits >> i & 1) && flows[i] != nullptr) emc.offer(*keys[i], hashes[i], *flows[i]);
  }
};

// Random traffic fields from small ranges, so flows and keys collide often.
Fields random_fields(std::mt19937& rng) {
  Fields f;
  f.in_port = 1 + rng() % 2;
  f.ip_src = 0x0a000000 | (rng() % 4) << 8 | rng() % 4;
  f.ip_dst = 0xc0a80000 | (rng() % 4) << 8 | rng() % 8;
  f.proto = (rng() % 2) ? 6 : 17;
  f.tp_src = static_cast<uint16_t>(1000 + rng() % 4);
  f.tp_dst = static_cast<uint16_t>(80 + rng() % 3);
  return f;
}

const MaskSpec kMasks[] = {
    {.dst_prefix = 32},
    {.dst_prefix = 24, .proto = true},
    {.src_prefix = 24, .dst_prefix = 16},
    {.dst_prefix = 32, .proto = true, .tp_dst = true},
    {.src_prefix = 32, .dst_prefix = 24, .tp_src = true},
    {.in_port = true, .eth_type = true},
};

// The reference: every flow whose match the key satisfies, by a scan.
std::vector<const Megaflow*> linear_lookup(const MegaflowTable& table, const FlowKey& key) {
  MegaflowDumpCursor cursor;
  std::vector<const Megaflow*> found;
  Megaflow* batch[64];
  while (!cursor.done) {
    size_t n = table.dump(&cursor, batch);
    for (size_t i = 0; i < n; ++i)
      if (match_equal(batch[i]->match(), key)) found.push_back(batch[i]);
  }
  return found;
}

struct DifferentialCase {
  uint32_t emc_entries;
  uint32_t inverse_probability;
  uint32_t smc_entries;
  uint32_t hash_bits;
  uint32_t seed;
  FlowOverlap overlap = FlowOverlap::kRefuse;
};

class FlowCacheDifferential : public testing::TestWithParam<DifferentialCase> {};
constexpr FlowOverlap kAllow = FlowOverlap::kAllow;

// With FlowOverlap::kRefuse a key matches at most one flow, which every layer
// must return. With kAllow (Open vSwitch's rule) a key may match several: the
// answer must be one of them, never a deleted flow, and a miss only when none
// matches.
TEST_P(FlowCacheDifferential, CachedLookupEqualsLinearScan) {
  const DifferentialCase c = GetParam();
  std::mt19937 rng(c.seed);
  MegaflowTable table;
  table.set_flow_overlap(c.overlap);
  Pipeline pipeline(table, emc_config(c.emc_entries, c.inverse_probability, c.seed),
                    smc_config(c.smc_entries, c.seed), c.hash_bits);
  std::vector<Ufid> installed;
  auto put_random = [&] {
    const MaskSpec& spec = kMasks[rng() % std::size(kMasks)];
    auto put = add(table, make_match(random_fields(rng), spec), rng() % 1000);
    if (put.ok()) installed.push_back(put->ufid);  // refusals are fine
  };
  for (int i = 0; i < 40; ++i) put_random();

  // A pool of keys reused across rounds, so the caches have something to hit.
  std::vector<FlowKey> pool;
  for (int i = 0; i < 300; ++i) pool.push_back(make_key(random_fields(rng)));

  size_t checked = 0, hits = 0, overlapping = 0;
  for (int round = 0; round < 150; ++round) {
    for (int b = 0; b < 4; ++b) {
      FlowKey keys[32];
      const FlowKey* pointers[32];
      Megaflow* flows[32];
      const size_t n = 1 + rng() % 32;
      for (size_t i = 0; i < n; ++i) {
        keys[i] = pool[rng() % pool.size()];
        pointers[i] = &keys[i];
      }
      rcu::ReadSection section;
      pipeline.lookup(pointers, n, flows);
      for (size_t i = 0; i < n; ++i) {
        const std::vector<const Megaflow*> expected = linear_lookup(table, keys[i]);
        if (c.overlap == FlowOverlap::kRefuse) {
          ASSERT_LE(expected.size(), 1u) << "overlapping flows";
        }
        if (expected.empty()) {
          ASSERT_EQ(flows[i], nullptr) << "round " << round << " key " << i;
        } else {
          ASSERT_NE(std::find(expected.begin(), expected.end(), flows[i]), expected.end())
              << "round " << round << " key " << i << ": not a live flow matching the key";
        }
        ++checked;
        hits += !expected.empty();
        overlapping += expected.size() > 1;
      }
    }
    // Change the table between batches: deletes and new flows.
    const int removes = static_cast<int>(rng() % 3);
    for (int r = 0; r < removes && !installed.empty(); ++r) {
      const size_t victim = rng() % installed.size();
      ASSERT_TRUE(table.remove(installed[victim]).ok());
      installed.erase(installed.begin() + static_cast<ptrdiff_t>(victim));
    }
    const int puts = static_cast<int>(rng() % 3);
    for (int p = 0; p < puts; ++p) put_random();
    if (round % 50 == 49) table.flush(), installed.clear();
    if (round % 50 == 49)
      for (int i = 0; i < 40; ++i) put_random();
  }
  // The run must have exercised every layer, hits and stale entries.
  EXPECT_GT(hits, checked / 10);
  EXPECT_LT(hits, checked);
  EXPECT_GT(pipeline.emc.counters().hits, 0u);
  EXPECT_GT(pipeline.smc.counters().hits, 0u);
  EXPECT_GT(pipeline.emc.counters().stale + pipeline.smc.counters().stale, 0u);
  if (c.overlap == FlowOverlap::kAllow) {
    EXPECT_GT(overlapping, checked / 50);
  }
}

INSTANTIATE_TEST_SUITE_P(Configurations, FlowCacheDifferential,
                         testing::Values(DifferentialCase{8192, 100, 1 << 20, ~0u, 1},
                                         DifferentialCase{64, 2, 64, ~0u, 2},
                                         DifferentialCase{16, 1, 16, ~0u, 3},
                                         // Few hash bits: many keys per entry and signature.
                                         DifferentialCase{64, 1, 256, 0x000f000f, 4},
                                         DifferentialCase{8, 1, 8, 0x00010001, 5},
                                         // Overlapping flows, Open vSwitch's rule.
                                         DifferentialCase{8192, 100, 1 << 20, ~0u, 6, kAllow},
                                         DifferentialCase{16, 1, 16, ~0u, 7, kAllow},
                                         DifferentialCase{64, 1, 256, 0x000f000f, 8, kAllow}));

// ---------------------------------------------------------- concurrency

// A writer replaces flow i by flow i + 1 (same match, so the same slot and
// often the same memory) over and over; a reader forwarding through the
// caches must never see a flow after its remove() returned. Every 1000th
// flow the writer waits for two lookups of the reader, so the reader sees
// flows (and EMC hits) however the threads are scheduled on a loaded machine.
TEST(FlowCacheConcurrency, NoDeletedFlowAfterRemoveReturned) {
  MegaflowTable table;
  const Match match = dst24(0x0a000100);
  const FlowKey key = key_to(0x0a000101);
  ASSERT_TRUE(add(table, match, 0).ok());
  std::atomic<uint32_t> removed{0};  // flows 0..removed-1 are gone
  std::atomic<uint64_t> lookups_done{0};
  std::atomic<bool> done{false};
  constexpr uint32_t kFlows = 20000;

  std::thread writer([&] {
    for (uint32_t i = 0; i < kFlows; ++i) {
      if (!table.remove(match).ok()) std::abort();
      removed.store(i + 1, std::memory_order_release);
      if (!add(table, match, i + 1).ok()) std::abort();
      if (i % 1000 == 0) {
        // The lookup in progress may have started before the add: 3 more
        // make 2 that start after it.
        const uint64_t target = lookups_done.load(std::memory_order_acquire) + 3;
        while (lookups_done.load(std::memory_order_acquire) < target) std::this_thread::yield();
      }
    }
    done.store(true, std::memory_order_release);
  });

  Pipeline pipeline(table, emc_config(64, 1), smc_config(64), ~0u);
  uint64_t lookups = 0, violations = 0, found = 0;
  while (!done.load(std::memory_order_acquire)) {
    const uint32_t gone = removed.load(std::memory_order_acquire);
    {
      rcu::ReadSection section;
      const FlowKey* pointers[1] = {&key};
      Megaflow* flows[1];
      pipeline.lookup(pointers, 1, flows);
      if (flows[0] != nullptr) {
        ++found;
        if (output_port(flows[0]->actions()) < gone) ++violations;
      }
    }
    lookups_done.store(++lookups, std::memory_order_release);
  }
  writer.join();
  EXPECT_EQ(violations, 0u) << "of " << lookups << " lookups";
  EXPECT_GE(found, 40u);
  EXPECT_GT(pipeline.emc.counters().hits, 0u);
}

// Overlapping flows under churn: a narrow flow stays while a wider one over
// it is deleted and created again and again (Open vSwitch accepts the wider
// one: the narrow flow does not match its key). A reader whose key matches
// both must always get a flow (the narrow one, or a wider one not yet
// deleted), never a deleted one, whichever layer answers.
TEST(FlowCacheConcurrency, OverlappingFlowsUnderChurn) {
  MegaflowTable table;
  const Match narrow = dst24(0x0a000100);  // 10.0.1.0/24, port 0
  const Match wide = make_match(Fields{.ip_dst = 0x0a000000}, MaskSpec{.dst_prefix = 16});
  const FlowKey key = key_to(0x0a000105);
  ASSERT_TRUE(add(table, narrow, 0).ok());
  ASSERT_TRUE(add(table, wide, 1).ok());
  std::atomic<uint32_t> removed{0};  // wide flows with ports 1..removed are gone
  std::atomic<uint64_t> lookups_done{0};
  std::atomic<bool> done{false};
  constexpr uint32_t kFlows = 10000;

  std::thread writer([&] {
    for (uint32_t i = 1; i <= kFlows; ++i) {
      if (!table.remove(wide).ok()) std::abort();
      removed.store(i, std::memory_order_release);
      if (!add(table, wide, i + 1).ok()) std::abort();
      if (i % 500 == 0) {
        table.rank_subtables();  // either flow may come first
        const uint64_t target = lookups_done.load(std::memory_order_acquire) + 3;
        while (lookups_done.load(std::memory_order_acquire) < target) std::this_thread::yield();
      }
    }
    done.store(true, std::memory_order_release);
  });

  Pipeline pipeline(table, emc_config(64, 1), smc_config(64), ~0u);
  uint64_t lookups = 0, violations = 0, misses = 0, narrow_hits = 0;
  while (!done.load(std::memory_order_acquire)) {
    const uint32_t gone = removed.load(std::memory_order_acquire);
    {
      rcu::ReadSection section;
      const FlowKey* pointers[1] = {&key};
      Megaflow* flows[1];
      pipeline.lookup(pointers, 1, flows);
      if (flows[0] == nullptr) {
        ++misses;
      } else {
        const uint32_t port = output_port(flows[0]->actions());
        if (port != 0 && port <= gone) ++violations;
        if (!match_equal(flows[0]->match(), key)) ++violations;
        narrow_hits += port == 0;
      }
    }
    lookups_done.store(++lookups, std::memory_order_release);
  }
  writer.join();
  EXPECT_EQ(violations, 0u) << "of " << lookups << " lookups";
  EXPECT_EQ(misses, 0u) << "the narrow flow was there all along";
  EXPECT_GE(lookups, 40u);
  EXPECT_EQ(table.count(), 2u);
  (void)narrow_hits;
}

}  // namespace
}  // namespace flowpath
