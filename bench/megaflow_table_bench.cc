// Megaflow table lookup rate: 1, 5 and 20 subtables (masks) holding 1 or
// 10,000 flows each, looked up one key at a time and in batches of 32.
// Traffic hits flows chosen uniformly over all subtables, so a lookup
// searches (S + 1) / 2 subtables on average; one read section per 32 keys,
// as a forwarding thread would take per packet batch. Timings include
// writing the 32 keys' varying fields (a few stores per key).
#include <benchmark/benchmark.h>

#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "table/megaflow_table.h"

namespace flowpath {
namespace {

constexpr size_t kBatch = 32;
// Packets cycled through, as compact field values: a batch's keys are written
// into one reused 32-key buffer each time, as extraction would, so the keys
// are in L1 and the measure is the table's own memory traffic.
constexpr size_t kPackets = 16384;

// Mask number m: in_port and ipv4_dst always, plus the fields the bits of m
// select, so every m below 32 is a distinct mask.
FlowMask mask_number(uint32_t m) {
  FlowMask mask = FlowMask::wildcard_all();
  mask.bits.md.in_port = ~uint32_t{0};
  mask.bits.ipv4_dst = ~uint32_t{0};
  if (m & 1) mask.bits.eth_type = 0xffff;
  if (m & 2) mask.bits.nw_proto = 0xff;
  if (m & 4) mask.bits.tp_dst = 0xffff;
  if (m & 8) mask.bits.nw_tos = 0xff;
  if (m & 16) std::memset(mask.bits.eth_src.bytes, 0xff, sizeof mask.bits.eth_src.bytes);
  return mask;
}

// What differs between packets: the flow hit (subtable s, flow f) and noise
// in fields no mask uses (source address and port, TTL), as in real traffic.
struct PacketFields {
  uint32_t subtable;
  uint32_t flow;
  uint32_t noise;
};

void fill_constant_fields(FlowKey* key) {
  key->clear();
  key->eth_src = EthAddr{{0x02, 0, 0, 0, 0, 1}};
  key->eth_type = hton16(0x0800);
  key->nw_proto = 6;
  key->tp_dst = hton16(80);
}

void fill_packet_fields(FlowKey* key, const PacketFields& p) {
  key->md.in_port = p.subtable;
  key->ipv4_src = hton32(0x0a000000 | (p.noise & 0xffff));
  key->ipv4_dst = hton32(0xc0000000 | p.flow);
  key->nw_ttl = static_cast<uint8_t>(p.noise >> 16);
  key->tp_src = hton16(static_cast<uint16_t>(1024 + p.noise % 50000));
}

struct Setup {
  MegaflowTable table;
  std::vector<PacketFields> packets;

  Setup(uint32_t subtables, uint32_t flows_per_subtable) {
    (void)table.set_flow_limit(MegaflowTable::kMaxFlowLimit);
    const uint8_t actions[8] = {8, 0, 1, 0, 1, 0, 0, 0};
    for (uint32_t s = 0; s < subtables; ++s) {
      for (uint32_t f = 0; f < flows_per_subtable; ++f) {
        Match match;
        fill_constant_fields(&match.key);
        fill_packet_fields(&match.key, {s, f, 0});
        match.mask = mask_number(s);
        auto put = table.put({match, std::nullopt, actions, PutMode::kCreate, false});
        if (!put.ok()) std::abort();
      }
    }
    std::mt19937 rng(1);
    packets.reserve(kPackets);
    for (size_t k = 0; k < kPackets; ++k)
      packets.push_back({static_cast<uint32_t>(rng() % subtables),
                         static_cast<uint32_t>(rng() % flows_per_subtable),
                         static_cast<uint32_t>(rng())});
  }
};

// Tables are built once per size: benchmark runs each case several times.
Setup& setup_for(const benchmark::State& state) {
  static std::map<std::pair<int64_t, int64_t>, std::unique_ptr<Setup>> setups;
  auto& setup = setups[{state.range(0), state.range(1)}];
  if (!setup)
    setup = std::make_unique<Setup>(static_cast<uint32_t>(state.range(0)),
                                    static_cast<uint32_t>(state.range(1)));
  return *setup;
}

void BM_Lookup(benchmark::State& state) {
  Setup& setup = setup_for(state);
  FlowKey keys[kBatch];
  for (FlowKey& key : keys) fill_constant_fields(&key);
  size_t next = 0;
  uint64_t hits = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < kBatch; ++i) fill_packet_fields(&keys[i], setup.packets[next + i]);
    rcu::ReadSection read;
    for (size_t i = 0; i < kBatch; ++i) {
      Megaflow* flow = setup.table.lookup(keys[i]).flow;
      hits += flow != nullptr;
    }
    next = (next + kBatch) % kPackets;
  }
  if (hits != state.iterations() * kBatch) state.SkipWithError("lookup missed");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
}

void BM_LookupBatch(benchmark::State& state) {
  Setup& setup = setup_for(state);
  FlowKey keys[kBatch];
  for (FlowKey& key : keys) fill_constant_fields(&key);
  size_t next = 0;
  uint64_t hits = 0;
  Megaflow* flows[kBatch];
  for (auto _ : state) {
    for (size_t i = 0; i < kBatch; ++i) fill_packet_fields(&keys[i], setup.packets[next + i]);
    rcu::ReadSection read;
    uint64_t hit_map = setup.table.lookup_batch(std::span<const FlowKey>(keys, kBatch), flows);
    hits += static_cast<uint64_t>(__builtin_popcountll(hit_map));
    benchmark::DoNotOptimize(flows);
    next = (next + kBatch) % kPackets;
  }
  if (hits != state.iterations() * kBatch) state.SkipWithError("lookup missed");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
}

void table_sizes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"subtables", "flows_each"});
  for (int subtables : {1, 5, 20})
    for (int flows : {1, 10000}) b->Args({subtables, flows});
}

BENCHMARK(BM_Lookup)->Apply(table_sizes);
BENCHMARK(BM_LookupBatch)->Apply(table_sizes);

}  // namespace
}  // namespace flowpath

BENCHMARK_MAIN();
