#include "ofproto/rule_batch.h"

#include <cassert>

#include "common/rcu.h"

namespace flowpath::ofproto {

RulePtr make_rule(FlowModSpec spec, uint64_t now, uint64_t sequence) {
  auto rule = std::make_shared<Rule>();
  rule->table = spec.table;
  rule->priority = spec.priority;
  rule->cookie = spec.cookie;
  rule->idle_timeout = spec.idle_timeout;
  rule->hard_timeout = spec.hard_timeout;
  rule->send_flow_removed = spec.send_flow_rem;
  rule->reset_counts = spec.reset_counts;
  rule->no_packet_counts = spec.no_packet_counts;
  rule->no_byte_counts = spec.no_byte_counts;
  rule->importance = spec.importance;
  rule->match = std::move(spec.match);
  rule->actions = std::move(spec.actions);
  rule->created_ms = now;
  rule->counters->last_used_ms.store(now);
  rule->sequence = sequence;
  return rule;
}

using classifier::kVersionNever;
using classifier::RuleNode;

RuleBatch::RuleBatch(RuleTables& tables) : tables_(tables), version_(tables.version() + 1) {}

RuleBatch::~RuleBatch() {
  if (committed_) return;
  // Undo: rules it removed are back in every version, rules it added go
  // (they were never visible).
  for (RuleNode* node : removed_)
    if (node->add_version != version_)
      node->remove_version.store(kVersionNever, std::memory_order_release);
  for (RuleNode* node : added_) tables_[node->rule->table].erase(node);
  publish_touched();
}

RuleNode* RuleBatch::node_of(const Rule& rule) const {
  RuleNode* node = tables_[rule.table].find(rule);
  assert(node && node->visible_in(version_) && "not a rule of these tables");
  return node;
}

RulePtr RuleBatch::add(RulePtr rule, bool keep_counters) {
  RuleTable& table = tables_[rule->table];
  RulePtr old;
  if (RuleNode* existing = table.find_exact(rule->match, rule->priority, version_)) {
    old = existing->rule;
    existing->remove_version.store(version_, std::memory_order_release);
    removed_.push_back(existing);
    if (keep_counters) {
      auto copy = std::make_shared<Rule>(*rule);
      copy->counters = old->counters;
      rule = std::move(copy);
    }
  }
  touched_.set(rule->table);
  added_.push_back(table.insert(std::move(rule), version_));
  return old;
}

void RuleBatch::remove(const Rule& rule) {
  RuleNode* node = node_of(rule);
  if (!node) return;
  node->remove_version.store(version_, std::memory_order_release);
  removed_.push_back(node);
  touched_.set(rule.table);
}

void RuleBatch::replace(const Rule& old, RulePtr rule) {
  assert(old.table == rule->table && old.priority == rule->priority && old.match == rule->match);
  remove(old);
  touched_.set(rule->table);
  added_.push_back(tables_[rule->table].insert(std::move(rule), version_));
}

std::vector<RulePtr> RuleBatch::select(const FlowModSpec& filter, bool strict) const {
  std::vector<RulePtr> out;
  for (size_t t = 0; t < RuleTables::kCount; ++t) {
    if (filter.table != kTableAll && filter.table != t) continue;
    const RuleTable& table = tables_[t];
    if (table.size() == 0) continue;
    table.select(filter, strict, version_, &out);
  }
  return out;
}

bool RuleBatch::overlaps(uint8_t table, const OfMatch& match, uint16_t priority) const {
  return tables_[table].overlaps(match, priority, version_);
}

RuleChanges RuleBatch::changes() const {
  RuleChanges out;
  for (const RuleNode* node : added_)
    if (node->remove_version.load(std::memory_order_relaxed) != version_)
      out.added.push_back(node->rule);
  for (const RuleNode* node : removed_)
    if (node->add_version != version_) out.removed.push_back(node->rule);
  return out;
}

void RuleBatch::revert(const RuleChanges& changes) {
  for (const RulePtr& rule : changes.added) remove(*rule);
  for (const RulePtr& rule : changes.removed) add(rule);
}

void RuleBatch::publish_touched() {
  for (size_t t = 0; t < RuleTables::kCount; ++t)
    if (touched_.test(t)) tables_[t].publish();
}

void RuleBatch::commit() {
  assert(!committed_);
  delete_learned_flows();
  publish_touched();
  tables_.version_.store(version_, std::memory_order_release);
  committed_ = true;
  if (removed_.empty()) return;
  // A translation that read the version before this one may still look at
  // the rules that left; once every read section of that time is over, none
  // can, and they go.
  rcu::wait_for_grace_period();
  for (RuleNode* node : removed_) tables_[node->rule->table].erase(node);
  publish_touched();
}

}  // namespace flowpath::ofproto
