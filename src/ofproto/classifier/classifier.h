// The rule classifier of one OpenFlow table: tuple space search over
// subtables (one per distinct mask) kept in descending order of their highest
// priority, so a lookup stops at the first subtable that cannot beat the
// match it has; staged lookup inside each subtable; prefix tries on nw_dst,
// nw_src, ipv6_dst and ipv6_src; versioned rules.
//
// Conjunctive matches (conjunction.h): rules of conjunction actions are
// never returned themselves; together they select the rule that matches
// conj_id.
//
// Wildcard tracking: a lookup adds to `wc` the bits of the flow it had to
// look at. Any flow that agrees with it on those bits meets the same rule,
// which is what makes a megaflow built from `wc` correct; the stages and
// tries keep those bits few (see Subtable).
//
// Concurrency: lookups run under RCU and never wait; one writer at a time
// (the caller's lock) inserts and erases. A rule is visible to lookups in the
// versions [added, removed); the writer publishes a version only after
// publish(), so every structure a lookup of that version needs is in place.
// A rule's memory is freed a grace period after erase().
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <memory>
#include <unordered_map>
#include <vector>

#include "ofproto/classifier/conjunction.h"
#include "ofproto/classifier/flow_stages.h"
#include "ofproto/classifier/prefix_trie.h"
#include "ofproto/classifier/rule_node.h"
#include "ofproto/classifier/subtable.h"

namespace flowpath::ofproto::classifier {

using openflow::OfMatch;

class Classifier {
 public:
  Classifier();
  ~Classifier();  // no lookup may be running
  Classifier(const Classifier&) = delete;
  Classifier& operator=(const Classifier&) = delete;

  // ---- Read side (inside an rcu::ReadSection)

  // The highest-priority rule visible in `version` that matches `flow`, or
  // null. `wc` (may be null) gains the bits examined. `conjunction` (may be
  // null) says whether a conjunctive match decided it, and how.
  const Rule* lookup(const OfFlow& flow, Version version, OfFlow* wc,
                     ConjunctionMatch* conjunction = nullptr) const;

  // ---- Write side (one writer at a time, never inside a read section)

  // Adds a rule, visible from `version` on (until its remove_version).
  RuleNode* insert(RulePtr rule, Version version);
  // Unlinks a rule; it is freed a grace period later. Call only when no
  // lookup can need it any more (see RuleBatch).
  void erase(RuleNode* node);
  // Makes the subtable order match the rules inserted and erased so far.
  // Call before publishing a version that makes inserted rules visible.
  void publish();

  // The node that holds `rule` (this very object), or null.
  RuleNode* find(const Rule& rule) const;
  // The rule with exactly this match and priority visible in `version`.
  RuleNode* find_exact(const OfMatch& match, int priority, Version version) const;
  // Is there a rule of `priority` visible in `version` that some flow
  // matches together with `match`?
  bool overlaps(const OfMatch& match, int priority, Version version) const;

  // fn(RuleNode&) for every rule visible in `version`.
  template <typename Fn>
  void for_each(Version version, Fn&& fn) const {
    for (Subtable* subtable : subtables_) visit_entries(*subtable, version, fn);
  }
  // fn(RuleNode&) for every rule visible in `version` whose match is at
  // least as specific as `filter` and agrees with it (OpenFlow's non-strict
  // modify and delete).
  template <typename Fn>
  void for_each_refining(const OfMatch& filter, Version version, Fn&& fn) const {
    for (Subtable* subtable : subtables_) {
      bool covers = true, equal = true;
      for (size_t i = 0; i < OfFlow::kWords && covers; ++i) {
        uint64_t s = subtable->mask().words()[i], f = filter.mask.words()[i];
        covers = (s & f) == f;
        equal = equal && s == f;
      }
      if (!covers) continue;
      if (equal) {  // one entry at most
        if (MatchEntry* entry = subtable->find_entry(filter.value))
          visit_nodes(*entry, version, fn);
        continue;
      }
      subtable->for_each_entry([&](MatchEntry& entry) {
        if (subtable->entry_agrees(entry, filter.value, filter.mask)) visit_nodes(entry, version, fn);
      });
    }
  }

  size_t size() const { return n_rules_; }  // rules present, visible or not
  size_t subtable_count() const { return subtables_.size(); }

 private:
  // Subtables in lookup order: highest max priority first.
  struct Order {
    struct Item {
      int max_priority;
      const Subtable* subtable;
    };
    size_t n = 0;
    rcu::DeferredFree free_link;
    Item* items() { return reinterpret_cast<Item*>(this + 1); }
    const Item* items() const { return reinterpret_cast<const Item*>(this + 1); }
    static Order* create(size_t n);
    static void destroy(Order* order);
  };

  // `allow_soft`: soft matches count (false for the conj_id search, as in
  // Open vSwitch, so the search cannot recurse).
  const RuleNode* lookup_node(const OfFlow& flow, Version version, OfFlow* wc, bool allow_soft,
                              ConjunctionMatch* conjunction) const;
  // The soft match loop (classifier_conjunction.cc): `soft` holds the soft
  // matches above `hard`'s priority.
  const RuleNode* resolve_soft(const OfFlow& flow, Version version, OfFlow* wc,
                               const RuleNode* hard, SoftList<const RuleNode*>& soft,
                               ConjunctionMatch* conjunction) const;
  Subtable* find_subtable(const OfFlow& mask) const;
  static uint64_t mask_hash(const OfFlow& mask);

  template <typename Fn>
  static void visit_nodes(MatchEntry& entry, Version version, Fn& fn) {
    for (RuleNode* node = entry.head.load(std::memory_order_acquire); node;
         node = node->next.load(std::memory_order_acquire))
      if (node->visible_in(version)) fn(*node);
  }
  template <typename Fn>
  static void visit_entries(const Subtable& subtable, Version version, Fn& fn) {
    subtable.for_each_entry([&](MatchEntry& entry) { visit_nodes(entry, version, fn); });
  }

  std::array<PrefixTrie, kPrefixFields> tries_;
  std::atomic<Order*> order_{nullptr};

  // Write side.
  std::vector<Subtable*> subtables_;  // in creation order
  std::unordered_multimap<uint64_t, Subtable*> by_mask_;
  std::vector<Subtable*> retired_;  // emptied: freed once the order without them is out
  bool order_stale_ = false;
  size_t n_rules_ = 0;
};

}  // namespace flowpath::ofproto::classifier
