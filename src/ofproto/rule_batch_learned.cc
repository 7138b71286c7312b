// RuleBatch: learn(...,delete_learned). When the last rule whose learn
// action says delete_learned for a (table, cookie) leaves, the flows in that
// table with that cookie go with it, as Open vSwitch's learned cookies do.
// Rules the batch removes that way are removed in the same batch, so a
// translation sees the learning rule and its flows go together.
#include <set>
#include <utility>
#include <variant>

#include "ofproto/rule_batch.h"

namespace flowpath::ofproto {

namespace {

using Cookie = std::pair<uint8_t, uint64_t>;  // (table, cookie) of learned flows

void learned_cookies(const std::vector<OfAction>& actions, std::set<Cookie>* out) {
  for (const OfAction& a : actions) {
    if (const auto* l = std::get_if<action::Learn>(&a); l && (l->flags & 2))
      out->emplace(l->table, l->cookie);
    else if (const auto* c = std::get_if<action::Clone>(&a))
      learned_cookies(c->actions, out);
    else if (const auto* w = std::get_if<action::WriteActions>(&a))
      learned_cookies(w->actions, out);
  }
}

}  // namespace

void RuleBatch::delete_learned_flows() {
  // Rules the batch removes may themselves delete what they learned: one
  // round per generation.
  for (size_t done = 0; done < removed_.size();) {
    std::set<Cookie> gone;
    for (; done < removed_.size(); ++done)
      if (removed_[done]->add_version != version_) learned_cookies(removed_[done]->rule->actions, &gone);
    if (gone.empty()) return;
    // A rule that stays with the same learn keeps the flows.
    for (const RuleTable& table : tables_) {
      if (gone.empty()) break;
      if (table.size() == 0) continue;
      std::vector<RulePtr> staying;
      table.all(version_, &staying);
      for (const RulePtr& rule : staying) {
        std::set<Cookie> kept;
        learned_cookies(rule->actions, &kept);
        for (const Cookie& c : kept) gone.erase(c);
      }
    }
    for (const auto& [table, cookie] : gone) {
      FlowModSpec filter;
      filter.table = table;
      filter.cookie = cookie;
      filter.cookie_mask = ~uint64_t{0};
      for (const RulePtr& rule : select(filter, false)) remove(*rule);
    }
  }
}

}  // namespace flowpath::ofproto
