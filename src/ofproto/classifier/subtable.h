// A subtable: the rules of one OpenFlow table that share one mask (a tuple of
// tuple space search). Its rules are found by hashing a flow's bits under the
// mask; a lookup goes stage by stage (metadata, L2, L3, L4), each stage's
// index saying whether any rule agrees with the flow so far, and consults the
// prefix tries before a stage that holds a tracked prefix, so that a miss
// un-wildcards as few bits as tell the flow apart from every rule here.
//
// A subtable also keeps tries of its rules' values (ValueTrie): one per field
// of its mask, and one on the whole masked value (when it has at most 16
// bytes), protocol fields last. On a miss a flow that leaves one of them after
// some leading bits differs there from every rule, so those bits alone prove
// the miss; the cheapest proof is taken. That is what the linear scan before
// the classifier achieved rule by rule (a prefix of the field where a flow
// differs), at the cost of a few trie walks per miss: a miss on a MAC table
// un-wildcards the first ~log2(rules) bits of eth_dst, not all 48, a TCP flow
// on a table of UDP rules a few bits of nw_proto, an ACL miss a prefix of the
// one address or port no rule has.
//
// Read under RCU while one writer (the classifier's) changes it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "ofproto/classifier/flow_stages.h"
#include "ofproto/classifier/match_map.h"
#include "ofproto/classifier/prefix_trie.h"
#include "ofproto/classifier/rule_node.h"
#include "ofproto/classifier/stage_index.h"
#include "ofproto/classifier/value_trie.h"

namespace flowpath::ofproto::classifier {

// One prefix trie's answer for the flow being looked up, computed the first
// time a subtable needs it.
struct TrieAnswer {
  bool done = false;
  unsigned mask_bits = 0;  // leading bits of the field the answer depends on
  PrefixLengths lengths;   // prefix lengths with a rule that matches the flow
};

// What one lookup carries from subtable to subtable.
struct LookupContext {
  const OfFlow& flow;
  Version version;
  OfFlow* wc;  // bits examined; null when not tracked
  const std::array<PrefixTrie, kPrefixFields>& tries;
  std::array<TrieAnswer, kPrefixFields> answers{};
};

class Subtable {
 public:
  explicit Subtable(const OfFlow& mask);
  ~Subtable();  // frees the entries and rules still here (no reader can see it)
  Subtable(const Subtable&) = delete;
  Subtable& operator=(const Subtable&) = delete;

  const OfFlow& mask() const { return mask_; }

  // ---- Read side (inside an rcu::ReadSection)

  // The highest-priority rule here that matches the flow and is visible in
  // the context's version, or null; adds to the context's wc the bits that
  // decided it.
  const RuleNode* lookup(LookupContext& context) const;

  // ---- Write side

  void insert(RuleNode* node);
  // Unlinks the rule and frees it (and its entry, once empty) after a grace
  // period.
  void erase(RuleNode* node);
  // The entry whose value equals `value` under this subtable's mask.
  MatchEntry* find_entry(const OfFlow& value) const;
  // Does the entry's value agree with `value` on `mask` (within this
  // subtable's mask)?
  bool entry_agrees(const MatchEntry& entry, const OfFlow& value, const OfFlow& mask) const;

  bool empty() const { return n_rules_ == 0; }
  size_t size() const { return n_rules_; }
  int max_priority() const { return priorities_.empty() ? -1 : priorities_.rbegin()->first; }
  bool has_priority(int priority) const { return priorities_.count(priority) != 0; }
  unsigned prefix_length(size_t field) const { return trie_plen_[field]; }

  template <typename Fn>
  void for_each_entry(Fn&& fn) const {
    entries_.for_each(fn);
  }

  rcu::DeferredFree free_link;  // for the classifier, when it retires the subtable

 private:
  uint32_t hash_value(const OfFlow& value, std::array<uint32_t, kStages>* range_hashes) const;
  // A prefix trie of the table that proves no rule here matches, before
  // range `range`: the field and the number of its leading bits that prove
  // it. Field kPrefixFields when none does.
  struct FieldProof {
    size_t field = kPrefixFields;
    unsigned bits = 0;
  };
  FieldProof field_trie_proof(size_t range, LookupContext& context) const;
  // No rule here matches: adds to the context's wc the cheapest proof of
  // `field_proof` and the value tries, or else the mask's words [0, fold_end).
  const RuleNode* miss(LookupContext& context, size_t fold_end, FieldProof field_proof) const;
  void fold(size_t end, OfFlow* wc) const;  // un-wildcards compact words [0, end)

  OfFlow mask_;
  // The mask's non-zero words, grouped by stage: word_[i] is the index into
  // OfFlow, bits_[i] its mask.
  uint8_t n_words_ = 0;
  std::array<uint8_t, OfFlow::kWords> word_{};
  std::array<uint64_t, OfFlow::kWords> bits_{};
  // Ranges: the non-empty stages, in order; range r ends at range_end_[r].
  uint8_t n_ranges_ = 0;
  std::array<uint8_t, kStages> range_end_{};
  // indices_[r]: hashes of ranges 0..r of every rule (all ranges but the last).
  std::array<StageIndex, kStages - 1> indices_;
  // Prefix length of the mask on each tracked field, and the range it is in.
  std::array<uint8_t, kPrefixFields> trie_plen_{};
  std::array<uint8_t, kPrefixFields> trie_range_{};
  // The value tries: one per field of the mask (the first n_field_tries_),
  // then the whole value's.
  std::vector<std::unique_ptr<ValueTrie>> value_tries_;
  size_t n_field_tries_ = 0;

  MatchMap entries_;
  std::map<int, uint32_t> priorities_;  // rules per priority (write side)
  size_t n_rules_ = 0;
};

}  // namespace flowpath::ofproto::classifier
