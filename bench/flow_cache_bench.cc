// Per-thread flow cache lookup rates: ExactMatchCache and SignatureCache
// hits for 1, 1,000 and 100,000 distinct keys, in batches of 32 (one read
// section per batch, as a forwarding thread), with the megaflow table's own
// batch lookup on the same traffic for comparison.
//
// Traffic: keys vary in ipv4_src, tp_src and ipv4_dst; the table holds 1,024
// flows matching in_port + exact ipv4_dst, so every key hits one of them.
// Each batch's keys are written into one reused 32-key buffer (as packet
// extraction would) from compact per-packet fields; the packet hash is
// precomputed per packet, as a NIC's RSS hash would be delivered.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <random>
#include <vector>

#include "table/exact_match_cache.h"
#include "table/megaflow_table.h"
#include "table/signature_cache.h"

namespace flowpath {
namespace {

constexpr size_t kBatch = 32;
constexpr uint32_t kFlows = 1024;
// Packets replayed: a random sequence over the distinct keys.
constexpr size_t kPackets = 1 << 16;

struct PacketFields {
  uint32_t ip_src;
  uint32_t ip_dst;
  uint16_t tp_src;
  uint32_t hash;
};

void fill_constant_fields(FlowKey* key) {
  key->clear();
  key->md.in_port = 1;
  key->eth_type = hton16(0x0800);
  key->nw_proto = 17;
  key->tp_dst = hton16(53);
}

void fill_packet_fields(FlowKey* key, const PacketFields& p) {
  key->ipv4_src = hton32(p.ip_src);
  key->ipv4_dst = hton32(p.ip_dst);
  key->tp_src = hton16(p.tp_src);
}

struct Setup {
  MegaflowTable table;
  std::vector<PacketFields> distinct;
  std::vector<uint32_t> sequence;  // indices into distinct

  explicit Setup(uint32_t keys) {
    const uint8_t actions[8] = {8, 0, 1, 0, 2, 0, 0, 0};
    for (uint32_t f = 0; f < kFlows; ++f) {
      Match match;
      fill_constant_fields(&match.key);
      match.key.ipv4_dst = hton32(0xc0a80000 | f);
      match.mask = FlowMask::wildcard_all();
      match.mask.bits.md.in_port = ~uint32_t{0};
      match.mask.bits.ipv4_dst = ~uint32_t{0};
      if (!table.put({match, std::nullopt, actions, PutMode::kCreate, false}).ok()) std::abort();
    }
    std::mt19937 rng(7);
    FlowKey key;
    fill_constant_fields(&key);
    for (uint32_t k = 0; k < keys; ++k) {
      PacketFields p{0x0a000000 | (k >> 8), 0xc0a80000 | (k % kFlows),
                     static_cast<uint16_t>(1024 + (k & 0xff)), 0};
      fill_packet_fields(&key, p);
      p.hash = hash_key(key, 0);
      distinct.push_back(p);
    }
    for (size_t i = 0; i < kPackets; ++i) sequence.push_back(rng() % keys);
  }
};

struct Batch {
  FlowKey keys[kBatch];
  const FlowKey* pointers[kBatch];
  uint32_t hashes[kBatch];
  Megaflow* flows[kBatch];

  Batch() {
    for (size_t i = 0; i < kBatch; ++i) {
      fill_constant_fields(&keys[i]);
      pointers[i] = &keys[i];
    }
  }
  void load(const Setup& setup, size_t* position) {
    for (size_t i = 0; i < kBatch; ++i) {
      const PacketFields& p = setup.distinct[setup.sequence[*position]];
      *position = (*position + 1) % kPackets;
      fill_packet_fields(&keys[i], p);
      hashes[i] = p.hash;
    }
  }
};

// Args: distinct keys, EMC entries.
void BM_ExactMatchCacheHits(benchmark::State& state) {
  Setup setup(static_cast<uint32_t>(state.range(0)));
  ExactMatchCache::Config config;
  config.entries = static_cast<uint32_t>(state.range(1));
  auto emc = std::make_unique<ExactMatchCache>(setup.table, config);
  Batch batch;
  {
    rcu::ReadSection section;
    FlowKey key;
    fill_constant_fields(&key);
    for (const PacketFields& p : setup.distinct) {
      fill_packet_fields(&key, p);
      emc->insert(key, p.hash, *setup.table.lookup(key).flow);
    }
  }
  emc->clear_counters();
  size_t position = 0;
  for (auto _ : state) {
    batch.load(setup, &position);
    rcu::ReadSection section;
    uint64_t hits = emc->lookup_batch(batch.pointers, batch.hashes, kBatch, batch.flows);
    benchmark::DoNotOptimize(hits);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
  const CacheCounters& c = emc->counters();
  state.counters["hit_rate"] = static_cast<double>(c.hits) / static_cast<double>(c.hits + c.misses);
}
BENCHMARK(BM_ExactMatchCacheHits)
    ->Args({1, 8192})
    ->Args({1000, 8192})
    ->Args({100000, 8192})
    ->Args({100000, 262144});

// Args: distinct keys (SMC at its default 1M entries).
void BM_SignatureCacheHits(benchmark::State& state) {
  Setup setup(static_cast<uint32_t>(state.range(0)));
  auto smc = std::make_unique<SignatureCache>(setup.table);
  Batch batch;
  {
    rcu::ReadSection section;
    FlowKey key;
    fill_constant_fields(&key);
    for (const PacketFields& p : setup.distinct) {
      fill_packet_fields(&key, p);
      smc->insert(p.hash, *setup.table.lookup(key).flow);
    }
  }
  smc->clear_counters();
  size_t position = 0;
  for (auto _ : state) {
    batch.load(setup, &position);
    rcu::ReadSection section;
    uint64_t hits = smc->lookup_batch(batch.pointers, batch.hashes, kBatch, batch.flows);
    benchmark::DoNotOptimize(hits);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
  const CacheCounters& c = smc->counters();
  state.counters["hit_rate"] = static_cast<double>(c.hits) / static_cast<double>(c.hits + c.misses);
}
BENCHMARK(BM_SignatureCacheHits)->Arg(1)->Arg(1000)->Arg(100000);

// The megaflow table alone on the same traffic (one subtable), for scale.
void BM_MegaflowTableBatch(benchmark::State& state) {
  Setup setup(static_cast<uint32_t>(state.range(0)));
  Batch batch;
  size_t position = 0;
  for (auto _ : state) {
    batch.load(setup, &position);
    rcu::ReadSection section;
    uint64_t hits = setup.table.lookup_batch(batch.pointers, kBatch, batch.flows);
    benchmark::DoNotOptimize(hits);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
}
BENCHMARK(BM_MegaflowTableBatch)->Arg(1)->Arg(1000)->Arg(100000);

}  // namespace
}  // namespace flowpath

BENCHMARK_MAIN();
