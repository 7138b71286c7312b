// A batch of rule changes (the flow mods of one add-flows, mod-flows or
// del-flows, a bundle, the rules a timeout expires) applied to a bridge's
// tables atomically: the changes are made in the version after the published
// one, invisible to translations, and commit() publishes that version, so a
// translation sees the whole batch or none of it and never waits for it.
// A batch destroyed without commit() leaves the tables as they were.
//
// Queries on a batch (select, overlaps) see the tables as the batch would
// leave them, so a flow mod sees the ones before it in the same batch, as
// when Open vSwitch applies them one by one.
//
// The caller holds RuleTables::mutex() for the batch's whole life.
#pragma once

#include <bitset>
#include <vector>

#include "ofproto/rule_tables.h"
#include "openflow/flow_mod.h"

namespace flowpath::ofproto {

// A new rule from a flow mod (or a flow learn(...) built), created at `now`
// (ms), with its place in the bridge's order of rules.
RulePtr make_rule(FlowModSpec spec, uint64_t now, uint64_t sequence);

// What a batch did to the tables, net of rules it both added and removed:
// what undoing it takes out and puts back (RuleBatch::revert).
struct RuleChanges {
  std::vector<RulePtr> added;
  std::vector<RulePtr> removed;
  bool empty() const { return added.empty() && removed.empty(); }
};

class RuleBatch {
 public:
  explicit RuleBatch(RuleTables& tables);
  ~RuleBatch();
  RuleBatch(const RuleBatch&) = delete;
  RuleBatch& operator=(const RuleBatch&) = delete;

  // The version the batch's changes become visible in.
  Version version() const { return version_; }

  // Adds `rule` to its table. A rule with the same match and priority
  // leaves the table and is returned; with `keep_counters` the new rule
  // takes over its counters.
  RulePtr add(RulePtr rule, bool keep_counters = false);
  // Removes `rule` (a rule of the tables).
  void remove(const Rule& rule);
  // Puts `rule` in place of `old` (a modify: same table, match and priority).
  void replace(const Rule& old, RulePtr rule);

  // The rules a modify/delete/dump filter selects (RuleTable::select), in
  // the filter's table or all of them.
  std::vector<RulePtr> select(const FlowModSpec& filter, bool strict) const;
  // Would a rule with `match` at `priority` in `table` overlap another?
  bool overlaps(uint8_t table, const OfMatch& match, uint16_t priority) const;

  // The batch's changes so far (call before commit()).
  RuleChanges changes() const;
  // Undoes `changes` of a committed batch: takes out what it added and puts
  // back what it removed, in this batch.
  void revert(const RuleChanges& changes);

  // Publishes the changes. If rules left, waits for a grace period (no
  // translation can still hold them) and frees them. Rules whose learn
  // action says delete_learned take the flows they learned with them
  // (rule_batch_learned.cc), unless a rule that stays learns the same.
  void commit();

 private:
  classifier::RuleNode* node_of(const Rule& rule) const;
  void publish_touched();
  void delete_learned_flows();  // rule_batch_learned.cc

  RuleTables& tables_;
  const Version version_;
  std::vector<classifier::RuleNode*> added_;
  std::vector<classifier::RuleNode*> removed_;
  std::bitset<RuleTables::kCount> touched_;
  bool committed_ = false;
};

}  // namespace flowpath::ofproto
