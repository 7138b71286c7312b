// Conjunctive matches (Open vSwitch's conjunction action and conj_id field,
// ovs-fields(7) "Conjunctive Match Fields").
//
// A rule whose actions are conjunction(ID,K/N) actions (and notes) is one
// flow of dimension K of the conjunctive match ID: a "soft" match. The
// classifier never returns it. A lookup collects the highest-priority soft
// matches above the best ordinary ("hard") match; at the highest such
// priority P, conjunctive match ID is met when for every dimension K of N at
// least one matching soft rule of priority P has conjunction(ID,K/N). Then
// the table is searched again with conj_id set to ID, soft rules ignored, and
// that search's rule is the answer. When no conjunction is met at P (or no
// rule answers its conj_id), soft rules of P fall back to the next rule with
// the same match, and the next lower soft priority is tried, down to the hard
// match.
//
// Each soft rule's match was looked at by its subtable like any other, so
// the lookup's wildcards say what the decision depended on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "ofproto/rule.h"

namespace flowpath::ofproto::classifier {

struct ConjunctionClause {
  uint32_t id;
  uint8_t clause;     // K - 1
  uint8_t n_clauses;  // N
};

// The conjunction actions of one soft rule.
struct ConjunctionSet {
  uint8_t min_n_clauses = 64;
  std::vector<ConjunctionClause> clauses;
};

// The rule's conjunction set, or null when the rule is not a soft match (no
// conjunction action).
std::unique_ptr<const ConjunctionSet> make_conjunction_set(const Rule& rule);

// What a lookup that was decided by a conjunctive match reports (for trace).
struct ConjunctionMatch {
  bool matched = false;
  uint32_t id = 0;
  int priority = 0;             // of the soft rules
  uint8_t n_clauses = 0;
  std::vector<const Rule*> soft_rules;  // the matching rules of each dimension
};

// The dimensions met so far at one priority, per (ID, N): a conjunction of a
// different N under the same ID is another conjunction. No heap allocation
// for up to kStub conjunctions.
class ConjunctionTally {
 public:
  // Adds the clause; true when it completes its conjunction the first time.
  bool add(const ConjunctionClause& c);

 private:
  struct Entry {
    uint32_t id;
    uint8_t n_clauses;
    bool complete;
    uint64_t clauses;  // bit K-1 per dimension met
  };
  Entry* find(uint32_t id, uint8_t n_clauses);
  static constexpr size_t kStub = 16;
  Entry stub_[kStub];
  size_t n_stub_ = 0;
  std::vector<Entry> more_;
};

// The soft matches one lookup collects (one per subtable at most). No heap
// allocation for up to kStub of them.
template <typename T>
class SoftList {
 public:
  void push(T value) {
    if (n_ < kStub) stub_[n_] = value;
    else more_.push_back(value);
    ++n_;
  }
  size_t size() const { return n_; }
  T& operator[](size_t i) { return i < kStub ? stub_[i] : more_[i - kStub]; }
  // Removes element i, moving the last one into its place.
  void remove(size_t i) {
    (*this)[i] = (*this)[n_ - 1];
    if (n_ > kStub) more_.pop_back();
    --n_;
  }

 private:
  static constexpr size_t kStub = 64;
  T stub_[kStub];
  size_t n_ = 0;
  std::vector<T> more_;
};

}  // namespace flowpath::ofproto::classifier
