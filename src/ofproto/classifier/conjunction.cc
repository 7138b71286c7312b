#include "ofproto/classifier/conjunction.h"

#include <algorithm>
#include <variant>

namespace flowpath::ofproto::classifier {

std::unique_ptr<const ConjunctionSet> make_conjunction_set(const Rule& rule) {
  auto set = std::make_unique<ConjunctionSet>();
  for (const OfAction& a : rule.actions) {
    const auto* c = std::get_if<action::Conjunction>(&a);
    if (!c) continue;  // notes: the flow mod was refused if anything else came with them
    set->clauses.push_back(ConjunctionClause{c->id, c->clause, c->n_clauses});
    set->min_n_clauses = std::min(set->min_n_clauses, c->n_clauses);
  }
  if (set->clauses.empty()) return nullptr;
  return set;
}

ConjunctionTally::Entry* ConjunctionTally::find(uint32_t id, uint8_t n_clauses) {
  for (size_t i = 0; i < n_stub_; ++i)
    if (stub_[i].id == id && stub_[i].n_clauses == n_clauses) return &stub_[i];
  for (Entry& e : more_)
    if (e.id == id && e.n_clauses == n_clauses) return &e;
  Entry fresh{id, n_clauses, false, 0};
  if (n_stub_ < kStub) {
    stub_[n_stub_] = fresh;
    return &stub_[n_stub_++];
  }
  more_.push_back(fresh);
  return &more_.back();
}

bool ConjunctionTally::add(const ConjunctionClause& c) {
  if (c.n_clauses < 2 || c.n_clauses > 64 || c.clause >= c.n_clauses) return false;
  Entry* e = find(c.id, c.n_clauses);
  if (e->complete) return false;
  e->clauses |= uint64_t{1} << c.clause;
  const uint64_t all = c.n_clauses == 64 ? ~uint64_t{0} : (uint64_t{1} << c.n_clauses) - 1;
  if (e->clauses != all) return false;
  e->complete = true;
  return true;
}

}  // namespace flowpath::ofproto::classifier
