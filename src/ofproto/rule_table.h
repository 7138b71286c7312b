// One OpenFlow table: rules kept in priority order, looked up with wildcard
// tracking. A lookup reports, in `wc`, the bits of the flow it had to look
// at: all bits of the rule that matched, and for every higher-priority rule
// that did not match just enough bits to prove it (a prefix of one field
// where the flow differs from the rule, preferring bits already examined).
// Any packet that agrees with the flow on those bits meets the same rule,
// which is what makes a megaflow built from `wc` correct.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "openflow/flow_mod.h"
#include "ofproto/rule.h"

namespace flowpath::ofproto {

// The OpenFlow model (matches, actions, groups, flow mods) is the slow
// path's vocabulary.
using namespace openflow;  // NOLINT(google-build-using-namespace)

class RuleTable {
 public:
  // Highest-priority rule matching `flow` (ties: the earlier rule), or null.
  // `wc` gains the bits examined; it may be null (no tracking).
  const Rule* lookup(const OfFlow& flow, OfFlow* wc) const;

  // Inserts, replacing a rule with an identical match and priority (whose
  // counters are kept when `keep_counters`). Returns the replaced rule.
  RulePtr insert(RulePtr rule, bool keep_counters = false);
  // Would `rule` overlap a rule of the same priority (some packet matches both)?
  bool overlaps(const Rule& rule) const;

  // The rules selected by a modify/delete/dump filter: non-strict selects
  // rules at least as specific as the filter's match; strict selects the rule
  // with exactly that match and priority. Cookie, out_port and out_group
  // filters apply.
  std::vector<RulePtr> select(const FlowModSpec& filter, bool strict) const;
  void remove(const Rule* rule);
  void replace(const Rule* old_rule, RulePtr new_rule);

  const std::vector<RulePtr>& rules() const { return rules_; }
  size_t size() const { return rules_.size(); }

 private:
  std::vector<RulePtr> rules_;  // priority descending, then sequence ascending
};

// Does any action in the list (recursively through nothing else: groups are
// checked by the caller) output to `port` (OpenFlow number)?
bool actions_output_to(const std::vector<OfAction>& actions, uint32_t port);
bool actions_use_group(const std::vector<OfAction>& actions, uint32_t group_id);

// Adds to `wc` a minimal set of bits of `flow` that shows `match` fails on
// it (callers have checked that it does). Exposed for tests.
void unwildcard_mismatch(const OfMatch& match, const OfFlow& flow, OfFlow* wc);

}  // namespace flowpath::ofproto
