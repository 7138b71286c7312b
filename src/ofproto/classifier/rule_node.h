// What the classifier keeps per rule and per distinct match, and the
// versions that say which rules a lookup sees.
//
// Versions (as Open vSwitch's classifier has them): every rule is visible
// from the version it was added in until the version it was removed in. A
// batch of flow mods adds and removes rules in the next version, invisible to
// lookups, and publishes that version when it is complete, so readers see the
// whole batch or none of it and never wait for it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "common/rcu.h"
#include "ofproto/classifier/conjunction.h"
#include "ofproto/rule.h"

namespace flowpath::ofproto::classifier {

using Version = uint64_t;
inline constexpr Version kVersionNever = ~Version{0};

class Subtable;
struct MatchEntry;

// One rule in a subtable.
struct RuleNode {
  RulePtr rule;
  Subtable* subtable = nullptr;  // where it is (write side)
  MatchEntry* entry = nullptr;
  int priority = 0;  // rule->priority, kept beside the link for the lookup
  // Non-null for a soft match: a rule of conjunction actions (conjunction.h).
  std::unique_ptr<const ConjunctionSet> conjunctions;
  Version add_version = 0;
  std::atomic<Version> remove_version{kVersionNever};
  // The next rule with the same match, in descending priority.
  std::atomic<RuleNode*> next{nullptr};
  rcu::DeferredFree free_link;

  bool visible_in(Version version) const {
    return add_version <= version && version < remove_version.load(std::memory_order_acquire);
  }
};

// The rules of one subtable that have one masked value, highest priority
// first. The value follows the struct: one word per word of the subtable's
// mask, in the subtable's order.
struct alignas(8) MatchEntry {
  uint32_t hash = 0;
  std::atomic<RuleNode*> head{nullptr};
  rcu::DeferredFree free_link;

  uint64_t* values() { return reinterpret_cast<uint64_t*>(this + 1); }
  const uint64_t* values() const { return reinterpret_cast<const uint64_t*>(this + 1); }

  static MatchEntry* create(size_t n_values);
  static void destroy(MatchEntry* entry);  // the entry only, not its rules
};

}  // namespace flowpath::ofproto::classifier
