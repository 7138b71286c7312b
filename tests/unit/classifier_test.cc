// The rule classifier against the linear scan it replaced
// (classifier_reference.h): the same rule for every flow, megaflows (the
// bits a lookup reports examined) that are sound — every flow that agrees on
// them meets the same rule — and at least as wide as the scan's; versions.
#include "ofproto/classifier/classifier.h"

#include <gtest/gtest.h>

#include <bit>
#include <random>
#include <string>
#include <vector>

#include "classifier_reference.h"
#include "common/rcu.h"
#include "openflow/flow_mod.h"

namespace flowpath::ofproto {
namespace {

using classifier::Classifier;

RulePtr make_rule(const std::string& match_text, uint16_t priority, uint64_t sequence) {
  auto match = parse_of_match(match_text);
  EXPECT_TRUE(match.ok()) << match_text << ": " << (match.ok() ? "" : match.error());
  auto rule = std::make_shared<Rule>();
  rule->priority = priority;
  rule->match = match.ok() ? *match : OfMatch{};
  rule->sequence = sequence;
  return rule;
}

unsigned popcount(const OfFlow& flow) {
  unsigned n = 0;
  for (size_t i = 0; i < OfFlow::kWords; ++i) n += static_cast<unsigned>(std::popcount(flow.words()[i]));
  return n;
}

std::string ip4(uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string(a >> 16 & 255) + "." +
         std::to_string(a >> 8 & 255) + "." + std::to_string(a & 255);
}

std::string mac(uint64_t m) {
  char text[18];
  std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", static_cast<unsigned>(m >> 40 & 255),
                static_cast<unsigned>(m >> 32 & 255), static_cast<unsigned>(m >> 24 & 255),
                static_cast<unsigned>(m >> 16 & 255), static_cast<unsigned>(m >> 8 & 255),
                static_cast<unsigned>(m & 255));
  return text;
}

// A rule set and the classifier holding it.
class ClassifierTest : public ::testing::Test {
 public:
  void add(const std::string& match, uint16_t priority) {
    RulePtr rule = make_rule(match, priority, sequence_++);
    for (const RulePtr& other : rules_)
      if (other->priority == rule->priority && other->match == rule->match) return;  // duplicate
    rules_.push_back(rule);
    classifier_.insert(rule, 1);
  }

  void TestBody() override {}

 protected:
  void finish() {
    classifier_.publish();
    std::stable_sort(rules_.begin(), rules_.end(), [](const RulePtr& a, const RulePtr& b) {
      return a->priority > b->priority;
    });
  }

  const Rule* lookup(const OfFlow& flow, OfFlow* wc) {
    rcu::ReadSection section;
    return classifier_.lookup(flow, 1, wc);
  }

  // A flow near the rules: one rule's value with some of its matched bits
  // flipped and the rest random, or a flow built from the pools the rules
  // were drawn from.
  OfFlow near_flow(std::mt19937_64& random) {
    OfFlow flow;
    flow.clear();
    const RulePtr& rule = rules_[random() % rules_.size()];
    for (size_t i = 0; i < OfFlow::kWords; ++i) {
      uint64_t noise = random() & random();  // sparse
      flow.words()[i] = (rule->match.value.words()[i] | (noise & ~rule->match.mask.words()[i]));
    }
    switch (random() % 4) {
      case 0:
        break;  // a hit (unless a higher rule takes it)
      case 1: {  // one matched bit flipped
        size_t word = random() % OfFlow::kWords;
        for (size_t tries = 0; tries < OfFlow::kWords && !rule->match.mask.words()[word]; ++tries)
          word = (word + 1) % OfFlow::kWords;
        uint64_t m = rule->match.mask.words()[word];
        if (m) {
          int bits = std::popcount(m), pick = static_cast<int>(random() % static_cast<uint64_t>(bits));
          uint64_t b = m;
          for (int k = 0; k < pick; ++k) b &= b - 1;
          flow.words()[word] ^= b & -b;
        }
        break;
      }
      default: {  // several matched bits flipped
        for (size_t i = 0; i < OfFlow::kWords; ++i)
          flow.words()[i] ^= rule->match.mask.words()[i] & random() & random() & random();
        break;
      }
    }
    return flow;
  }

  // Lookups of `n` flows: the classifier finds the scan's rule; every flow
  // that agrees with one on its megaflow's bits meets the same rule; totals of
  // the bits both un-wildcard go to `bits_new`/`bits_old`, and the flows for
  // which the classifier un-wildcards a bit the scan does not to `narrower`.
  void check(size_t n, uint64_t seed) {
    std::mt19937_64 random(seed);
    for (size_t f = 0; f < n; ++f) {
      OfFlow flow = near_flow(random);
      OfFlow wc, old_wc;
      wc.clear();
      old_wc.clear();
      const Rule* expected = reference::linear_lookup(rules_, flow, &old_wc);
      const Rule* found = lookup(flow, &wc);
      ASSERT_EQ(found ? found->priority : -1, expected ? expected->priority : -1) << "flow " << f;
      if (expected) {
        ASSERT_TRUE(found->match.matches(flow));
      }
      bits_new_ += popcount(wc);
      bits_old_ += popcount(old_wc);
      for (size_t i = 0; i < OfFlow::kWords; ++i) {
        if (wc.words()[i] & ~old_wc.words()[i]) {
          ++narrower_;
          break;
        }
      }
      // Soundness: flows that differ only outside the megaflow.
      for (int k = 0; k < 8; ++k) {
        OfFlow other = flow;
        for (size_t i = 0; i < OfFlow::kWords; ++i) other.words()[i] ^= random() & ~wc.words()[i];
        const Rule* again = reference::linear_lookup(rules_, other, nullptr);
        ASSERT_EQ(again, expected) << "flow " << f << ": the megaflow covers a flow that meets "
                                   << (again ? again->priority : -1) << " instead of "
                                   << (expected ? expected->priority : -1);
      }
    }
  }

  Classifier classifier_;
  std::vector<RulePtr> rules_;
  uint64_t sequence_ = 0;
  uint64_t bits_new_ = 0, bits_old_ = 0, narrower_ = 0;
};

TEST_F(ClassifierTest, EmptyTableMissesAndExaminesNothing) {
  finish();
  OfFlow flow, wc;
  flow.clear();
  wc.clear();
  EXPECT_EQ(lookup(flow, &wc), nullptr);
  EXPECT_EQ(popcount(wc), 0u);
}

// Realistic tables, one kind of rule each and all together. For each, the
// classifier finds the scan's rule for every flow, its megaflows are sound,
// and in total they un-wildcard no more bits than the scan's.
enum Kind { kL2, kPortAndMac, kRoutes, kAcl, kMaskedPorts, kIpv6Routes, kRegisters, kKinds };

void add_kind(ClassifierTest* test, Kind kind, std::mt19937_64& random) {
  switch (kind) {
    case kL2:
      for (int i = 0; i < 300; ++i) test->add("dl_dst=" + mac(0x020000000000 | (random() & 0xffffff)), 100);
      break;
    case kPortAndMac:
      for (int i = 0; i < 100; ++i)
        test->add("in_port=" + std::to_string(1 + random() % 4) + ",dl_src=" +
                      mac(0x020000000000 | (random() & 0xfff)),
                  150);
      break;
    case kRoutes:
      for (int len : {8, 16, 24, 32})
        for (int i = 0; i < 80; ++i)
          test->add("ip,nw_dst=" + ip4(0x0a000000 | static_cast<uint32_t>(random() & 0xffffff)) + "/" +
                        std::to_string(len),
                    static_cast<uint16_t>(1000 + len));
      break;
    case kAcl:
      for (int i = 0; i < 200; ++i)
        test->add("tcp,nw_src=" + ip4(0xc0a80000 | static_cast<uint32_t>(random() & 0xff00)) +
                      "/24,tp_dst=" + std::to_string(random() % 64 + 1),
                  2000);
      break;
    case kMaskedPorts:
      for (int i = 0; i < 50; ++i)
        test->add("udp,tp_dst=" + std::to_string(0x1000 * (random() % 16)) + "/0xf000", 1900);
      break;
    case kIpv6Routes:
      for (int i = 0; i < 50; ++i)
        test->add("ipv6,ipv6_dst=2001:db8:" + std::to_string(random() % 64) + "::/48", 1800);
      break;
    case kRegisters:
      for (int i = 0; i < 50; ++i)
        test->add("reg0=" + std::to_string(random() % 16) + ",udp,tp_src=" + std::to_string(random() % 8),
                  2100);
      break;
    case kKinds:
      break;
  }
}

class ClassifierKindTest : public ClassifierTest, public ::testing::WithParamInterface<int> {};

TEST_P(ClassifierKindTest, AgreesWithLinearScanSoundAndAsWide) {
  std::mt19937_64 random(7 + static_cast<uint64_t>(GetParam()));
  for (int kind = 0; kind < kKinds; ++kind)
    if (GetParam() == kKinds || GetParam() == kind) add_kind(this, static_cast<Kind>(kind), random);
  add("", 0);
  finish();
  check(3000, 11);
  std::printf("megaflow bits: classifier %llu, linear scan %llu; flows with a bit the scan leaves out: %llu\n",
              static_cast<unsigned long long>(bits_new_), static_cast<unsigned long long>(bits_old_),
              static_cast<unsigned long long>(narrower_));
  EXPECT_LE(bits_new_, bits_old_);
}

// Each kind alone (0..6), then all of them in one table (7).
INSTANTIATE_TEST_SUITE_P(Tables, ClassifierKindTest, ::testing::Range(0, kKinds + 1));

}  // namespace
}  // namespace flowpath::ofproto
