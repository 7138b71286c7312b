// The soft match loop of Classifier::lookup: which conjunctive match, if any,
// the soft matches a lookup collected add up to (conjunction.h).
#include <algorithm>

#include "ofproto/classifier/classifier.h"

namespace flowpath::ofproto::classifier {

namespace {

// The next rule with the same match as `node`, visible in `version`.
const RuleNode* next_visible(const RuleNode* node, Version version) {
  for (const RuleNode* next = node->next.load(std::memory_order_acquire); next;
       next = next->next.load(std::memory_order_acquire))
    if (next->visible_in(version)) return next;
  return nullptr;
}

}  // namespace

const RuleNode* Classifier::resolve_soft(const OfFlow& flow, Version version, OfFlow* wc,
                                         const RuleNode* hard, SoftList<const RuleNode*>& soft,
                                         ConjunctionMatch* conjunction) const {
  int hard_priority = hard ? hard->priority : -1;
  for (;;) {
    // Soft matches at or below the hard match cannot win any more; null ones
    // fell back to nothing.
    for (size_t i = 0; i < soft.size();) {
      if (!soft[i] || soft[i]->priority <= hard_priority) soft.remove(i);
      else ++i;
    }
    if (soft.size() == 0) break;
    int priority = -1;
    size_t n_at_priority = 0;
    for (size_t i = 0; i < soft.size(); ++i) {
      if (soft[i]->priority > priority) {
        priority = soft[i]->priority;
        n_at_priority = 1;
      } else if (soft[i]->priority == priority) {
        ++n_at_priority;
      }
    }
    // At this priority: every conjunction whose dimensions all have a
    // matching rule is a candidate, in the order its last dimension came in.
    // A conjunction of N dimensions needs N rules at least.
    ConjunctionTally tally;
    for (size_t i = 0; i < soft.size(); ++i) {
      const RuleNode* node = soft[i];
      if (node->priority != priority || node->conjunctions->min_n_clauses > n_at_priority) continue;
      for (const ConjunctionClause& c : node->conjunctions->clauses) {
        if (c.n_clauses > n_at_priority || !tally.add(c)) continue;
        OfFlow with_id = flow;
        with_id.conj_id = c.id;
        const RuleNode* found = lookup_node(with_id, version, wc, false, nullptr);
        if (!found) continue;  // as if the conjunction had not matched
        if (conjunction) {
          conjunction->matched = true;
          conjunction->id = c.id;
          conjunction->priority = priority;
          conjunction->n_clauses = c.n_clauses;
          conjunction->soft_rules.clear();
          for (size_t j = 0; j < soft.size(); ++j) {
            if (soft[j]->priority != priority) continue;
            for (const ConjunctionClause& d : soft[j]->conjunctions->clauses)
              if (d.id == c.id && d.n_clauses == c.n_clauses) {
                conjunction->soft_rules.push_back(soft[j]->rule.get());
                break;
              }
          }
        }
        return found;
      }
    }
    // Nothing at this priority: each of its soft rules gives way to the
    // next rule with the same match, which is soft again or a hard match.
    for (size_t i = 0; i < soft.size(); ++i) {
      if (soft[i]->priority != priority) continue;
      const RuleNode* next = next_visible(soft[i], version);
      if (next && !next->conjunctions) {
        if (next->priority > hard_priority) {
          hard = next;
          hard_priority = next->priority;
        }
        next = nullptr;
      }
      soft[i] = next;
    }
  }
  return hard;
}

}  // namespace flowpath::ofproto::classifier
