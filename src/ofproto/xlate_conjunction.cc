// Translation's view of conjunctive matches: the classifier decides them
// (classifier/conjunction.h); trace says which rules of which dimensions
// made the conjunction before the conj_id rule's own line.
#include <fmt/format.h>

#include <algorithm>

#include "ofproto/xlate_context.h"

namespace flowpath::ofproto {

void XlateContext::trace_conjunction(uint8_t table, const classifier::ConjunctionMatch& conjunction) {
  trace(fmt::format("{}{}. conjunction({}) matched at priority {}: all {} dimensions met", indent(),
                    table, conjunction.id, conjunction.priority, conjunction.n_clauses));
  for (const Rule* soft : conjunction.soft_rules) {
    std::string clauses;
    for (const OfAction& a : soft->actions)
      if (const auto* c = std::get_if<action::Conjunction>(&a);
          c && c->id == conjunction.id && c->n_clauses == conjunction.n_clauses)
        clauses += fmt::format("{}{}/{}", clauses.empty() ? "" : ",", c->clause + 1, c->n_clauses);
    trace(fmt::format("{}    dimension {}: {}", indent(), clauses,
                      format_of_match(soft->match, soft->priority)));
  }
  trace(fmt::format("{}    looked up again with conj_id={}", indent(), conjunction.id));
}

}  // namespace flowpath::ofproto
