#include "ofproto/rule_table.h"

#include <algorithm>
#include <variant>

namespace flowpath::ofproto {

namespace {

bool passes_filters(const Rule& rule, const FlowModSpec& filter) {
  if ((rule.cookie & filter.cookie_mask) != (filter.cookie & filter.cookie_mask)) return false;
  if (filter.out_port != kOfppAny && !actions_output_to(rule.actions, filter.out_port)) return false;
  if (filter.out_group != kOfgAny && !actions_use_group(rule.actions, filter.out_group))
    return false;
  return true;
}

// Is `rule`'s match at least as specific as `filter` and consistent with it?
bool refines(const OfMatch& rule, const OfMatch& filter) {
  for (size_t i = 0; i < OfFlow::kWords; ++i) {
    uint64_t fm = filter.mask.words()[i];
    if ((rule.mask.words()[i] & fm) != fm) return false;
    if ((rule.value.words()[i] & fm) != filter.value.words()[i]) return false;
  }
  return true;
}

}  // namespace

classifier::RuleNode* RuleTable::insert(RulePtr rule, Version version) {
  uint64_t cookie = rule->cookie;
  if (rule->idle_timeout || rule->hard_timeout) ++n_timed_;
  classifier::RuleNode* node = classifier_.insert(std::move(rule), version);
  by_cookie_.emplace(cookie, node);
  return node;
}

void RuleTable::erase(classifier::RuleNode* node) {
  by_cookie_.erase({node->rule->cookie, node});
  if (node->rule->idle_timeout || node->rule->hard_timeout) --n_timed_;
  classifier_.erase(node);
}

void RuleTable::select(const FlowModSpec& filter, bool strict, Version version,
                       std::vector<RulePtr>* out) const {
  auto take = [&](const classifier::RuleNode& node) {
    if (passes_filters(*node.rule, filter)) out->push_back(node.rule);
  };
  if (strict) {
    if (const classifier::RuleNode* node = find_exact(filter.match, filter.priority, version))
      take(*node);
    return;
  }
  if (filter.cookie_mask == ~uint64_t{0} && (filter.cookie != 0 || filter.match.catch_all())) {
    // One cookie: its rules, from the index (cookie 0, everyone's default,
    // is a poor index when the match can narrow the walk down instead).
    for (auto it = by_cookie_.lower_bound({filter.cookie, nullptr});
         it != by_cookie_.end() && it->first == filter.cookie; ++it) {
      const classifier::RuleNode& node = *it->second;
      if (node.visible_in(version) && refines(node.rule->match, filter.match)) take(node);
    }
    return;
  }
  classifier_.for_each_refining(filter.match, version, take);
}

void RuleTable::all(Version version, std::vector<RulePtr>* out) const {
  classifier_.for_each(version, [&](const classifier::RuleNode& node) { out->push_back(node.rule); });
}

void sort_rules(std::vector<RulePtr>* rules) {
  std::sort(rules->begin(), rules->end(), [](const RulePtr& a, const RulePtr& b) {
    if (a->table != b->table) return a->table < b->table;
    if (a->priority != b->priority) return a->priority > b->priority;
    return a->sequence < b->sequence;
  });
}

bool actions_output_to(const std::vector<OfAction>& actions, uint32_t port) {
  for (const OfAction& a : actions)
    if (const auto* out = std::get_if<action::Output>(&a); out && out->port == port) return true;
  return false;
}

bool actions_use_group(const std::vector<OfAction>& actions, uint32_t group_id) {
  for (const OfAction& a : actions)
    if (const auto* g = std::get_if<action::Group>(&a); g && g->group_id == group_id) return true;
  return false;
}

}  // namespace flowpath::ofproto
