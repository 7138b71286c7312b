// A table of 100,000 rules over 20 masks (tests/unit/rule_set_generator.h):
// added in one batch, looked up with the same results and sound megaflows as
// the linear scan, half of it deleted again; and translations that look the
// table up while the batch goes in see all of it or none of it.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include "classifier_reference.h"
#include "common/rcu.h"
#include "ofproto/rule_batch.h"
#include "ofproto/rule_tables.h"
#include "openflow/flow_mod.h"
#include "rule_set_generator.h"

namespace flowpath::ofproto {
namespace {

constexpr uint32_t kRules = 100000;

std::vector<RulePtr> parse_rules(uint32_t count) {
  std::vector<RulePtr> rules;
  rules.reserve(count);
  uint64_t sequence = 0;
  for (const std::string& line : test::rule_set(count)) {
    auto spec = parse_flow_mod(line, FlowModCommand::kAdd);
    EXPECT_TRUE(spec.ok()) << line << ": " << (spec.ok() ? "" : spec.error());
    if (!spec.ok()) continue;
    auto rule = std::make_shared<Rule>();
    rule->priority = spec->priority;
    rule->match = spec->match;
    rule->actions = spec->actions;
    rule->sequence = sequence++;
    rules.push_back(std::move(rule));
  }
  return rules;
}

std::vector<RulePtr> by_priority(std::vector<RulePtr> rules) {
  std::stable_sort(rules.begin(), rules.end(),
                   [](const RulePtr& a, const RulePtr& b) { return a->priority > b->priority; });
  return rules;
}

// Flows near the rules (a rule's value, or it with one matched bit flipped,
// noise elsewhere) looked up in `table` and by the linear scan over `sorted`:
// the same rule, and a megaflow that covers only flows meeting that rule.
void check_lookups(const RuleTables& tables, const std::vector<RulePtr>& sorted, size_t n,
                   uint64_t seed) {
  std::mt19937_64 random(seed);
  for (size_t f = 0; f < n; ++f) {
    const Rule& rule = *sorted[random() % sorted.size()];
    OfFlow flow;
    for (size_t i = 0; i < OfFlow::kWords; ++i)
      flow.words()[i] = rule.match.value.words()[i] | (random() & random() & ~rule.match.mask.words()[i]);
    if (f % 2) {
      size_t word = 0;
      while (!rule.match.mask.words()[word]) ++word;
      uint64_t m = rule.match.mask.words()[word];
      flow.words()[word] ^= m & -m;
    }
    OfFlow wc;
    wc.clear();
    const Rule* found;
    {
      rcu::ReadSection section;
      found = tables[0].lookup(flow, tables.version(), &wc);
    }
    const Rule* expected = reference::linear_lookup(sorted, flow, nullptr);
    ASSERT_EQ(found ? found->priority : -1, expected ? expected->priority : -1) << "flow " << f;
    if (found) {
      ASSERT_TRUE(found->match.matches(flow));
    }
    OfFlow other = flow;
    for (size_t i = 0; i < OfFlow::kWords; ++i) other.words()[i] ^= random() & ~wc.words()[i];
    const Rule* again = reference::linear_lookup(sorted, other, nullptr);
    ASSERT_EQ(again ? again->priority : -1, expected ? expected->priority : -1)
        << "flow " << f << ": its megaflow covers a flow that meets another rule";
  }
}

TEST(RuleTablesScale, HundredThousandRulesInOneBatch) {
  std::vector<RulePtr> rules = parse_rules(kRules);
  ASSERT_EQ(rules.size(), kRules);
  RuleTables tables;
  {
    std::lock_guard lock(tables.mutex());
    RuleBatch batch(tables);
    for (const RulePtr& rule : rules)
      ASSERT_EQ(batch.add(rule), nullptr) << "a duplicate rule in the set";
    batch.commit();
  }
  EXPECT_EQ(tables[0].size(), kRules);
  EXPECT_EQ(tables[0].subtable_count(), size_t{test::kRuleSetMasks});
  std::vector<RulePtr> sorted = by_priority(rules);
  check_lookups(tables, sorted, 40, 1);

  // Half of them go in one batch (every other rule of each mask).
  std::vector<RulePtr> kept;
  {
    std::lock_guard lock(tables.mutex());
    RuleBatch batch(tables);
    for (size_t i = 0; i < rules.size(); ++i) {
      if ((i / test::kRuleSetMasks) % 2) {
        batch.remove(*rules[i]);
      } else {
        kept.push_back(rules[i]);
      }
    }
    batch.commit();
  }
  EXPECT_EQ(tables[0].size(), kept.size());
  check_lookups(tables, by_priority(kept), 40, 2);

  // The rest, by a non-strict delete of everything.
  {
    std::lock_guard lock(tables.mutex());
    RuleBatch batch(tables);
    FlowModSpec all;
    all.table = kTableAll;
    for (const RulePtr& rule : batch.select(all, false)) batch.remove(*rule);
    batch.commit();
  }
  EXPECT_EQ(tables[0].size(), 0u);
  EXPECT_EQ(tables[0].subtable_count(), 0u);
}

// While 100,000 rules go in, a reader keeps looking up a flow that only the
// last rule of the batch matches: it never waits for the batch, and sees the
// rule only once the whole batch is there.
TEST(RuleTablesScale, LookupsGoOnAndSeeTheBatchWhole) {
  std::vector<RulePtr> rules = parse_rules(kRules);
  RuleTables tables;
  const Rule& last = *rules.back();
  OfFlow flow = last.match.value;
  std::atomic<bool> done{false};
  std::atomic<uint64_t> lookups{0}, torn{0};
  std::thread reader([&] {
    while (!done.load()) {
      rcu::ReadSection section;
      Version version = tables.version();
      const Rule* found = tables[0].lookup(flow, version, nullptr);
      // A version that has the last rule has all of them.
      if (found && tables[0].lookup(rules.front()->match.value, version, nullptr) == nullptr)
        torn.fetch_add(1);
      lookups.fetch_add(1);
    }
  });
  while (lookups.load() == 0) std::this_thread::yield();  // the reader is running
  {
    std::lock_guard lock(tables.mutex());
    RuleBatch batch(tables);
    for (const RulePtr& rule : rules) batch.add(rule);
    {
      rcu::ReadSection section;
      EXPECT_EQ(tables[0].lookup(flow, tables.version(), nullptr), nullptr);
    }
    batch.commit();
  }
  {
    rcu::ReadSection section;
    EXPECT_EQ(tables[0].lookup(flow, tables.version(), nullptr), &last);
  }
  uint64_t at_commit = lookups.load();
  while (lookups.load() < at_commit + 10) std::this_thread::yield();
  done.store(true);
  reader.join();
  EXPECT_EQ(torn.load(), 0u);
}

}  // namespace
}  // namespace flowpath::ofproto
