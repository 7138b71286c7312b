// Conjunctive matches in the rule classifier (ovs-fields(7), "Conjunctive
// Match Fields"): rules of conjunction actions are never returned; a packet
// that meets every dimension of a conjunction at a priority gets the rule
// that matches conj_id; priorities, fall-backs and overlapping dimensions as
// Open vSwitch's classifier has them; and megaflows (the bits a lookup
// reports) that are sound: every flow agreeing on them gets the same rule
// from a brute-force model of the same semantics.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/rcu.h"
#include "ofproto/classifier/classifier.h"
#include "openflow/flow_mod.h"

namespace flowpath::ofproto {
namespace {

using classifier::Classifier;
using classifier::ConjunctionMatch;

RulePtr make_rule(const std::string& match_text, uint16_t priority,
                  std::vector<OfAction> actions, uint64_t sequence) {
  auto match = parse_of_match(match_text);
  EXPECT_TRUE(match.ok()) << match_text << ": " << (match.ok() ? "" : match.error());
  auto rule = std::make_shared<Rule>();
  rule->priority = priority;
  rule->match = match.ok() ? *match : OfMatch{};
  rule->actions = std::move(actions);
  rule->sequence = sequence;
  return rule;
}

OfAction conj(uint32_t id, uint8_t k, uint8_t n) {
  return action::Conjunction{id, static_cast<uint8_t>(k - 1), n};
}
OfAction output(uint32_t port) { return action::Output{port}; }

bool is_soft(const Rule& r) {
  for (const OfAction& a : r.actions)
    if (std::holds_alternative<action::Conjunction>(a)) return true;
  return false;
}

// The semantics, by brute force over every rule: what the classifier must
// find. A rule under a higher-priority rule with the same match is hidden in
// the conj_id search (Open vSwitch looks only at the top of each match there).
std::vector<const Rule*> model_lookup_all(const std::vector<RulePtr>& rules, const OfFlow& flow,
                                          bool allow_soft) {
  std::vector<const Rule*> matching;
  for (const RulePtr& r : rules)
    if (r->match.matches(flow)) matching.push_back(r.get());
  auto top_of_match = [&](const Rule* r) {
    for (const Rule* o : matching)
      if (o != r && o->match == r->match && o->priority > r->priority) return false;
    return true;
  };
  const Rule* hard = nullptr;
  for (const Rule* r : matching) {
    if (is_soft(*r)) continue;
    if (!allow_soft && !top_of_match(r)) continue;
    if (!hard || r->priority > hard->priority) hard = r;
  }
  if (!allow_soft) return {hard};
  std::set<int, std::greater<int>> priorities;
  for (const Rule* r : matching)
    if (is_soft(*r) && (!hard || r->priority > hard->priority)) priorities.insert(r->priority);
  for (int p : priorities) {
    std::vector<const Rule*> at;
    for (const Rule* r : matching)
      if (is_soft(*r) && r->priority == p) at.push_back(r);
    std::map<std::pair<uint32_t, uint8_t>, uint64_t> met;
    for (const Rule* r : at)
      for (const OfAction& a : r->actions)
        if (const auto* c = std::get_if<action::Conjunction>(&a); c && c->n_clauses <= at.size())
          met[{c->id, c->n_clauses}] |= uint64_t{1} << c->clause;
    std::vector<const Rule*> answers;  // any of these is right (overlapping conjunctions)
    for (auto [key, bits] : met) {
      if (bits != (uint64_t{1} << key.second) - 1) continue;
      OfFlow with_id = flow;
      with_id.conj_id = key.first;
      if (const Rule* r = model_lookup_all(rules, with_id, false)[0]) answers.push_back(r);
    }
    if (!answers.empty()) return answers;
  }
  return {hard};
}

class ConjunctionTest : public ::testing::Test {
 protected:
  void add(const std::string& match, uint16_t priority, std::vector<OfAction> actions) {
    RulePtr rule = make_rule(match, priority, std::move(actions), sequence_++);
    rules_.push_back(rule);
    classifier_.insert(rule, 1);
    classifier_.publish();
  }
  OfFlow flow(const std::string& text) {
    auto match = parse_of_match(text);
    EXPECT_TRUE(match.ok()) << text;
    return match.ok() ? match->value : OfFlow{};
  }
  const Rule* lookup(const OfFlow& f, OfFlow* wc = nullptr, ConjunctionMatch* c = nullptr) {
    rcu::ReadSection section;
    return classifier_.lookup(f, 1, wc, c);
  }
  // Checks the classifier against the model, and the megaflow's soundness.
  void check(const OfFlow& f, std::mt19937_64& random) {
    OfFlow wc;
    wc.clear();
    ConjunctionMatch how;
    const Rule* found = lookup(f, &wc, &how);
    conjunctive_ += how.matched;
    std::vector<const Rule*> expected = model_lookup_all(rules_, f, true);
    ASSERT_NE(std::find(expected.begin(), expected.end(), found), expected.end())
        << "classifier found " << (found ? format_of_match(found->match, found->priority) : "none");
    for (int k = 0; k < 16; ++k) {
      OfFlow other = f;
      for (size_t i = 0; i < OfFlow::kWords; ++i) other.words()[i] ^= random() & ~wc.words()[i];
      other.conj_id = 0;
      std::vector<const Rule*> again = model_lookup_all(rules_, other, true);
      ASSERT_NE(std::find(again.begin(), again.end(), found), again.end())
          << "the megaflow covers a flow that gets another rule";
    }
  }

  Classifier classifier_;
  std::vector<RulePtr> rules_;
  uint64_t sequence_ = 0;
  int conjunctive_ = 0;  // lookups check() saw decided by a conjunction
};

// ovs-fields(7)'s example: 4 sources x 4 destinations, one conj_id rule.
TEST_F(ConjunctionTest, AdmitsExactlyTheCrossProduct) {
  const std::vector<std::string> src = {"10.0.0.1", "10.0.0.4", "10.0.0.6", "10.0.0.7"};
  const std::vector<std::string> dst = {"10.0.0.2", "10.0.0.5", "10.0.0.7", "10.0.0.8"};
  add("conj_id=1234", 100, {output(3)});
  for (const auto& s : src) add("ip,nw_src=" + s, 100, {conj(1234, 1, 2)});
  for (const auto& d : dst) add("ip,nw_dst=" + d, 100, {conj(1234, 2, 2)});
  add("", 0, {});  // drop the rest
  const RulePtr conj_rule = rules_[0];
  int admitted = 0;
  std::mt19937_64 random(1);
  for (int a = 1; a <= 9; ++a)
    for (int b = 1; b <= 9; ++b) {
      OfFlow f = flow("ip,nw_src=10.0.0." + std::to_string(a) + ",nw_dst=10.0.0." +
                      std::to_string(b));
      bool in_src = std::count(src.begin(), src.end(), "10.0.0." + std::to_string(a));
      bool in_dst = std::count(dst.begin(), dst.end(), "10.0.0." + std::to_string(b));
      ConjunctionMatch how;
      const Rule* r = lookup(f, nullptr, &how);
      ASSERT_NE(r, nullptr);
      EXPECT_EQ(r == conj_rule.get(), in_src && in_dst) << a << " -> " << b;
      EXPECT_EQ(how.matched, in_src && in_dst);
      if (how.matched) {
        ++admitted;
        EXPECT_EQ(how.id, 1234u);
        EXPECT_EQ(how.priority, 100);
        EXPECT_EQ(how.n_clauses, 2);
        ASSERT_EQ(how.soft_rules.size(), 2u);
      } else {
        EXPECT_EQ(r->priority, 0);
      }
      check(f, random);
    }
  EXPECT_EQ(admitted, 16);
}

TEST_F(ConjunctionTest, SoftRulesAreNeverReturnedThemselves) {
  add("ip,nw_src=10.0.0.1", 100, {conj(7, 1, 2), action::Note{{1, 2, 3, 4, 5, 6}}});
  add("ip,nw_dst=10.0.0.2", 100, {conj(7, 2, 2)});
  // Every dimension met, but no rule matches conj_id=7: as if nothing matched.
  EXPECT_EQ(lookup(flow("ip,nw_src=10.0.0.1,nw_dst=10.0.0.2")), nullptr);
  EXPECT_EQ(lookup(flow("ip,nw_src=10.0.0.1,nw_dst=10.0.0.3")), nullptr);
  add("ip", 10, {output(1)});
  const Rule* r = lookup(flow("ip,nw_src=10.0.0.1,nw_dst=10.0.0.2"));
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->priority, 10);
  // A packet never has a conj_id of its own: conj_id rules meet only the
  // second search.
  add("conj_id=7", 200, {output(2)});
  EXPECT_EQ(lookup(flow("ip,nw_src=10.0.0.1,nw_dst=10.0.0.3"))->priority, 10);
  EXPECT_EQ(lookup(flow("ip,nw_src=10.0.0.1,nw_dst=10.0.0.2"))->priority, 200);
}

TEST_F(ConjunctionTest, HigherHardMatchWinsLowerLoses) {
  add("conj_id=1", 100, {output(1)});
  add("ip,nw_src=10.0.0.1", 100, {conj(1, 1, 2)});
  add("tcp,tp_dst=80", 100, {conj(1, 2, 2)});
  add("tcp,nw_dst=10.0.0.9", 150, {output(9)});
  add("tcp", 50, {output(5)});
  EXPECT_EQ(lookup(flow("tcp,nw_src=10.0.0.1,nw_dst=10.0.0.9,tp_dst=80"))->priority, 150);
  EXPECT_EQ(lookup(flow("tcp,nw_src=10.0.0.1,nw_dst=10.0.0.8,tp_dst=80"))->priority, 100);
  EXPECT_EQ(lookup(flow("tcp,nw_src=10.0.0.1,nw_dst=10.0.0.8,tp_dst=81"))->priority, 50);
}

TEST_F(ConjunctionTest, ConjunctionsAtLowerPrioritiesAreTriedInTurn) {
  // Priority 100: src x port; priority 90: a wider src x port.
  add("conj_id=1", 100, {output(1)});
  add("ip,nw_src=10.0.0.1", 100, {conj(1, 1, 2)});
  add("tcp,tp_dst=80", 100, {conj(1, 2, 2)});
  add("conj_id=2", 90, {output(2)});
  add("ip,nw_src=10.0.0.0/24", 90, {conj(2, 1, 2)});
  add("tcp,tp_dst=22", 90, {conj(2, 2, 2)});
  add("tcp,tp_dst=80", 90, {conj(2, 2, 2)});  // the same match one priority down
  EXPECT_EQ(lookup(flow("tcp,nw_src=10.0.0.1,tp_dst=80"))->priority, 100);
  EXPECT_EQ(lookup(flow("tcp,nw_src=10.0.0.2,tp_dst=80"))->priority, 90);
  EXPECT_EQ(lookup(flow("tcp,nw_src=10.0.0.1,tp_dst=22"))->priority, 90);
  EXPECT_EQ(lookup(flow("tcp,nw_src=10.0.1.1,tp_dst=22")), nullptr);
  // Below a failed soft rule of the same match, an ordinary rule takes over.
  add("tcp,tp_dst=80", 80, {output(8)});
  EXPECT_EQ(lookup(flow("tcp,nw_src=10.0.1.1,tp_dst=80"))->priority, 80);
  // Ids are per priority: conj_id=1 at priority 90 is not conjunction 1 at 100.
  std::mt19937_64 random(2);
  for (const char* f : {"tcp,nw_src=10.0.0.1,tp_dst=80", "tcp,nw_src=10.0.0.2,tp_dst=80",
                        "tcp,nw_src=10.0.0.1,tp_dst=22", "tcp,nw_src=10.0.1.1,tp_dst=80"})
    check(flow(f), random);
}

TEST_F(ConjunctionTest, OverlappingDimensionsAndSharedRules) {
  // One rule in two conjunctions (ovs-fields: sets {a,b}x{d,e} and {b,c}x{f,g}).
  add("conj_id=1", 100, {output(1)});
  add("conj_id=2", 100, {output(2)});
  add("ip,nw_src=10.0.0.1", 100, {conj(1, 1, 2)});
  add("ip,nw_src=10.0.0.2", 100, {conj(1, 1, 2), conj(2, 1, 2)});
  add("ip,nw_src=10.0.0.3", 100, {conj(2, 1, 2)});
  add("ip,nw_dst=10.1.0.4", 100, {conj(1, 2, 2)});
  add("ip,nw_dst=10.1.0.5", 100, {conj(1, 2, 2)});
  add("ip,nw_dst=10.1.0.6", 100, {conj(2, 2, 2)});
  add("ip,nw_dst=10.1.0.7", 100, {conj(2, 2, 2)});
  // Flows of one dimension that overlap each other (a /24 and a host).
  add("ip,nw_dst=10.1.0.0/24", 100, {conj(3, 2, 2)});
  add("ip,nw_src=10.0.0.9", 100, {conj(3, 1, 2)});
  add("conj_id=3", 100, {output(3)});
  auto out = [&](int s, int d) {
    const Rule* r = lookup(flow("ip,nw_src=10.0.0." + std::to_string(s) + ",nw_dst=10.1.0." +
                                std::to_string(d)));
    if (!r) return 0u;
    return std::get<action::Output>(r->actions[0]).port;
  };
  EXPECT_EQ(out(1, 4), 1u);
  EXPECT_EQ(out(2, 5), 1u);
  EXPECT_EQ(out(2, 6), 2u);
  EXPECT_EQ(out(3, 7), 2u);
  EXPECT_EQ(out(1, 6), 0u);
  EXPECT_EQ(out(3, 4), 0u);
  EXPECT_EQ(out(9, 200), 3u);
  EXPECT_EQ(out(9, 4), 3u);
  EXPECT_EQ(out(8, 4), 0u);
}

TEST_F(ConjunctionTest, ThreeDimensionsAndOneRuleInTwoDimensions) {
  add("conj_id=5", 100, {output(5)});
  add("ip,nw_src=10.0.0.1", 100, {conj(5, 1, 3)});
  add("ip,nw_dst=10.0.0.2", 100, {conj(5, 2, 3)});
  add("tcp,tp_dst=443", 100, {conj(5, 3, 3)});
  EXPECT_EQ(lookup(flow("tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2,tp_dst=443"))->priority, 100);
  EXPECT_EQ(lookup(flow("tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2,tp_dst=80")), nullptr);
  EXPECT_EQ(lookup(flow("udp,nw_src=10.0.0.1,nw_dst=10.0.0.2,tp_dst=443")), nullptr);
  // A rule naming two dimensions of one conjunction counts once toward the
  // number of rules (a conjunction of N needs N matching rules), as in
  // Open vSwitch: alone it does not make the conjunction.
  add("conj_id=6", 90, {output(6)});
  add("ip,nw_src=10.9.0.1", 90, {conj(6, 1, 2), conj(6, 2, 2)});
  EXPECT_EQ(lookup(flow("ip,nw_src=10.9.0.1")), nullptr);
  add("ip,nw_dst=10.9.0.2", 90, {conj(6, 2, 2)});
  EXPECT_EQ(lookup(flow("ip,nw_src=10.9.0.1,nw_dst=10.9.0.2"))->priority, 90);
}

TEST_F(ConjunctionTest, RulesOfOtherVersionsDoNotCount) {
  add("conj_id=1", 100, {output(1)});
  add("ip,nw_src=10.0.0.1", 100, {conj(1, 1, 2)});
  RulePtr later = make_rule("ip,nw_dst=10.0.0.2", 100, {conj(1, 2, 2)}, sequence_++);
  classifier_.insert(later, 2);
  classifier_.publish();
  EXPECT_EQ(lookup(flow("ip,nw_src=10.0.0.1,nw_dst=10.0.0.2")), nullptr);  // version 1
  rcu::ReadSection section;
  EXPECT_NE(classifier_.lookup(flow("ip,nw_src=10.0.0.1,nw_dst=10.0.0.2"), 2, nullptr), nullptr);
}

// Random tables of conjunctions (2-4 dimensions over addresses, ports and
// protocols, several priorities, shared and overlapping rules, ordinary
// rules between them) against the model, with megaflow soundness.
TEST_F(ConjunctionTest, RandomTablesAgreeWithTheModelAndMegaflowsAreSound) {
  std::mt19937_64 random(18);
  const std::vector<std::string> dims = {"nw_src=10.0.0.", "nw_dst=10.0.1.", "tp_dst=", "tp_src="};
  for (int table = 0; table < 20; ++table) {
    classifier_.~Classifier();
    new (&classifier_) Classifier();
    rules_.clear();
    std::set<std::pair<std::string, int>> used;
    for (uint32_t id = 1; id <= 6; ++id) {
      uint16_t priority = static_cast<uint16_t>(100 + 10 * (random() % 3));
      uint8_t n = static_cast<uint8_t>(2 + random() % 3);
      add("conj_id=" + std::to_string(id) + (random() % 2 ? ",tcp" : ""), priority,
          {output(id)});
      for (uint8_t k = 1; k <= n; ++k)
        for (int v = 0; v < 3; ++v) {
          std::string m = "tcp," + dims[k - 1] + std::to_string(1 + random() % 4);
          if (!used.insert({m, priority}).second) continue;  // one rule per match and priority
          std::vector<OfAction> actions = {conj(id, k, n)};
          if (random() % 4 == 0) actions.push_back(conj(id + 10, k, n));
          add(m, priority, actions);
        }
    }
    for (int h = 0; h < 4; ++h) {
      std::string m = "tcp,tp_dst=" + std::to_string(1 + random() % 4);
      uint16_t priority = static_cast<uint16_t>(95 + 10 * (random() % 4));
      if (used.insert({m, priority}).second) add(m, priority, {output(100 + h)});
    }
    add("", 0, {output(99)});
    for (int f = 0; f < 200; ++f) {
      OfFlow fl = flow("tcp,nw_src=10.0.0." + std::to_string(1 + random() % 5) + ",nw_dst=10.0.1." +
                       std::to_string(1 + random() % 5) + ",tp_dst=" +
                       std::to_string(1 + random() % 5) + ",tp_src=" +
                       std::to_string(1 + random() % 5));
      check(fl, random);
    }
  }
  // The tables are dense enough that conjunctions decide many lookups.
  EXPECT_GT(conjunctive_, 400) << "of 4000 lookups";
  std::printf("%d of 4000 lookups were decided by a conjunction\n", conjunctive_);
}

}  // namespace
}  // namespace flowpath::ofproto
