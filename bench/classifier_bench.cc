// The rule classifier at scale: 100,000 rules over 20 masks
// (tests/unit/rule_set_generator.h) added in one batch, and lookups with
// wildcard tracking that hit or miss, against the linear scan that OpenFlow
// tables were before (tests/unit/classifier_reference.h).
//
//   build/bench/classifier_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <random>

#include "classifier_reference.h"
#include "common/rcu.h"
#include "ofproto/rule_batch.h"
#include "ofproto/rule_tables.h"
#include "openflow/flow_mod.h"
#include "rule_set_generator.h"

namespace flowpath::ofproto {
namespace {

const std::vector<RulePtr>& rules(uint32_t count) {
  static std::map<uint32_t, std::vector<RulePtr>> sets;
  auto& set = sets[count];
  if (set.empty()) {
    uint64_t sequence = 0;
    for (const std::string& line : test::rule_set(count)) {
      auto spec = parse_flow_mod(line, FlowModCommand::kAdd);
      if (!spec.ok()) std::abort();
      auto rule = std::make_shared<Rule>();
      rule->priority = spec->priority;
      rule->match = spec->match;
      rule->actions = spec->actions;
      rule->sequence = sequence++;
      set.push_back(std::move(rule));
    }
  }
  return set;
}

void fill(RuleTables* tables, const std::vector<RulePtr>& set) {
  std::lock_guard lock(tables->mutex());
  RuleBatch batch(*tables);
  for (const RulePtr& rule : set) batch.add(rule);
  batch.commit();
}

// 1,024 flows: rule values (hits) or IPv4/IPv6/other flows that no rule
// matches (misses).
std::vector<OfFlow> flows(const std::vector<RulePtr>& set, bool hit) {
  std::mt19937_64 random(5);
  std::vector<OfFlow> out(1024);
  for (OfFlow& flow : out) {
    if (hit) {
      flow = set[random() % set.size()]->match.value;
      continue;
    }
    flow.clear();
    static const uint16_t kTypes[] = {0x0800, 0x86dd, 0x0806, 0x88cc};
    flow.key.eth_type = hton16(kTypes[random() % 4]);
    flow.key.nw_proto = (random() % 2) ? 6 : 17;
    flow.key.ipv4_src = hton32(0xac100000 | static_cast<uint32_t>(random() & 0xffff));
    flow.key.ipv4_dst = hton32(0xac110000 | static_cast<uint32_t>(random() & 0xffff));
    flow.key.tp_src = hton16(static_cast<uint16_t>(random()));
    flow.key.tp_dst = hton16(static_cast<uint16_t>(random()));
    flow.key.eth_dst.bytes[0] = 0xaa;
    flow.key.eth_dst.bytes[5] = static_cast<uint8_t>(random());
  }
  return out;
}

void BM_AddRules(benchmark::State& state) {
  const auto& set = rules(static_cast<uint32_t>(state.range(0)));
  for (auto _ : state) {
    auto tables = std::make_unique<RuleTables>();
    fill(tables.get(), set);
    benchmark::DoNotOptimize((*tables)[0].size());
    state.PauseTiming();  // freeing them is not what is measured
    tables.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_AddRules)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

// del-flows of everything: select, remove, commit (and free).
void BM_DeleteAllRules(benchmark::State& state) {
  const auto& set = rules(static_cast<uint32_t>(state.range(0)));
  for (auto _ : state) {
    state.PauseTiming();
    auto tables = std::make_unique<RuleTables>();
    fill(tables.get(), set);
    state.ResumeTiming();
    {
      std::lock_guard lock(tables->mutex());
      RuleBatch batch(*tables);
      FlowModSpec all;
      all.table = kTableAll;
      for (const RulePtr& rule : batch.select(all, false)) batch.remove(*rule);
      batch.commit();
    }
    benchmark::DoNotOptimize((*tables)[0].size());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_DeleteAllRules)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

void lookup(benchmark::State& state, bool hit, bool track) {
  const auto& set = rules(static_cast<uint32_t>(state.range(0)));
  static std::map<uint32_t, std::unique_ptr<RuleTables>> tables_by_size;
  auto& tables = tables_by_size[static_cast<uint32_t>(state.range(0))];
  if (!tables) {
    tables = std::make_unique<RuleTables>();
    fill(tables.get(), set);
  }
  std::vector<OfFlow> batch = flows(set, hit);
  size_t i = 0, found = 0;
  rcu::ReadSection section;
  Version version = tables->version();
  for (auto _ : state) {
    OfFlow wc;
    wc.clear();
    found += (*tables)[0].lookup(batch[i++ & 1023], version, track ? &wc : nullptr) != nullptr;
    benchmark::DoNotOptimize(wc);
  }
  state.counters["hit_rate"] = static_cast<double>(found) / static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations());
}
void BM_LookupHit(benchmark::State& state) { lookup(state, true, true); }
void BM_LookupMiss(benchmark::State& state) { lookup(state, false, true); }
void BM_LookupHitNoWildcards(benchmark::State& state) { lookup(state, true, false); }
BENCHMARK(BM_LookupHit)->Arg(10000)->Arg(100000);
BENCHMARK(BM_LookupMiss)->Arg(10000)->Arg(100000);
BENCHMARK(BM_LookupHitNoWildcards)->Arg(100000);

// Before the classifier: the linear scan with its wildcard tracking.
void BM_LinearScanMiss(benchmark::State& state) {
  std::vector<RulePtr> sorted = rules(static_cast<uint32_t>(state.range(0)));
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const RulePtr& a, const RulePtr& b) { return a->priority > b->priority; });
  std::vector<OfFlow> batch = flows(sorted, false);
  size_t i = 0;
  for (auto _ : state) {
    OfFlow wc;
    wc.clear();
    benchmark::DoNotOptimize(reference::linear_lookup(sorted, batch[i++ & 1023], &wc));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LinearScanMiss)->Arg(10000)->Arg(100000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace flowpath::ofproto

BENCHMARK_MAIN();
