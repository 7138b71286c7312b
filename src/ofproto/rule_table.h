// One OpenFlow table: its rules in a classifier (lookups with wildcard
// tracking, see ofproto/classifier/classifier.h) and what flow mods and dumps
// ask of them — strict and non-strict selection with cookie, out_port and
// out_group filters, overlap checks — through a cookie index and the
// classifier's subtables rather than a scan where they can.
//
// Lookups run under RCU and never wait for a change. Everything else is the
// write side: the RuleTables mutex held, and rules change only through a
// RuleBatch (ofproto/rule_batch.h), which makes a batch of changes visible to
// lookups at once.
#pragma once

#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include "ofproto/classifier/classifier.h"
#include "ofproto/rule.h"
#include "openflow/flow_mod.h"

namespace flowpath::ofproto {

// The OpenFlow model (matches, actions, groups, flow mods) is the slow
// path's vocabulary.
using namespace openflow;  // NOLINT(google-build-using-namespace)

using classifier::Version;

class RuleTable {
 public:
  // ---- Read side (inside an rcu::ReadSection; translate() holds one)

  // The highest-priority rule matching `flow` visible in `version`, or
  // null. `wc` (may be null) gains the bits examined; `conjunction` (may be
  // null) says whether a conjunctive match chose the rule.
  const Rule* lookup(const OfFlow& flow, Version version, OfFlow* wc,
                     classifier::ConjunctionMatch* conjunction = nullptr) const {
    return classifier_.lookup(flow, version, wc, conjunction);
  }

  // ---- Write side and walks (RuleTables mutex held)

  classifier::RuleNode* insert(RulePtr rule, Version version);
  void erase(classifier::RuleNode* node);  // see Classifier::erase
  void publish() { classifier_.publish(); }

  classifier::RuleNode* find(const Rule& rule) const { return classifier_.find(rule); }
  // The rule with this match and priority visible in `version`, or null.
  classifier::RuleNode* find_exact(const OfMatch& match, uint16_t priority, Version version) const {
    return classifier_.find_exact(match, priority, version);
  }
  // Would a rule with `match` at `priority` overlap one visible in
  // `version` (some packet matches both)?
  bool overlaps(const OfMatch& match, uint16_t priority, Version version) const {
    return classifier_.overlaps(match, priority, version);
  }

  // The rules visible in `version` that a modify/delete/dump filter selects:
  // non-strict selects rules at least as specific as the filter's match;
  // strict the rule with exactly that match and priority. Cookie, out_port
  // and out_group filters apply. Appended to `out` unsorted.
  void select(const FlowModSpec& filter, bool strict, Version version,
              std::vector<RulePtr>* out) const;
  // Every rule visible in `version`.
  void all(Version version, std::vector<RulePtr>* out) const;

  size_t size() const { return classifier_.size(); }  // visible or not
  size_t timed_count() const { return n_timed_; }     // of those, with a timeout
  size_t subtable_count() const { return classifier_.subtable_count(); }

 private:
  classifier::Classifier classifier_;
  // (cookie, rule): the rules of one cookie without a walk of the table.
  std::set<std::pair<uint64_t, classifier::RuleNode*>> by_cookie_;
  size_t n_timed_ = 0;
};

// Table, then priority descending, then insertion order: how dumps list rules.
void sort_rules(std::vector<RulePtr>* rules);

// Does any action in the list (recursively through nothing else: groups are
// checked by the caller) output to `port` (OpenFlow number)?
bool actions_output_to(const std::vector<OfAction>& actions, uint32_t port);
bool actions_use_group(const std::vector<OfAction>& actions, uint32_t group_id);

}  // namespace flowpath::ofproto
