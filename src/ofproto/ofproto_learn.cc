// Ofproto: the flows learn actions asked for, added after translation as
// Open vSwitch's ofproto_flow_mod_learn adds them. A flow already in its
// table with the same match, priority, cookie, timeouts, flags and actions
// is refreshed (its hard timeout starts again); anything else is added,
// replacing a rule with the same match and priority. With a limit, a new
// flow is not added while the table holds that many rules with the learn
// action's cookie.
#include <spdlog/spdlog.h>

#include "ofproto/bridge.h"
#include "ofproto/ofproto.h"
#include "ofproto/rule_batch.h"
#include "ofproto/rule_references.h"

namespace flowpath::ofproto {

namespace {

bool same_rule(const Rule& rule, const FlowModSpec& spec) {
  return rule.cookie == spec.cookie && rule.idle_timeout == spec.idle_timeout &&
         rule.hard_timeout == spec.hard_timeout && rule.send_flow_removed == spec.send_flow_rem &&
         rule.importance == 0 && !rule.reset_counts && !rule.no_packet_counts &&
         !rule.no_byte_counts && rule.actions == spec.actions;
}

}  // namespace

bool Ofproto::apply_learned(Bridge& bridge, std::span<const LearnedFlow> flows, uint64_t now_ms) {
  if (flows.empty()) return false;
  bool changed = false;
  std::shared_lock state(bridge.state_mutex);
  std::lock_guard rules(bridge.state.tables.mutex());
  RuleBatch batch(bridge.state.tables);
  for (const LearnedFlow& flow : flows) {
    const FlowModSpec& spec = flow.spec;
    const RuleTable& table = bridge.state.tables[spec.table];
    if (const auto* node = table.find_exact(spec.match, spec.priority, batch.version());
        node && same_rule(*node->rule, spec)) {
      node->rule->counters->refreshed_ms.store(now_ms, std::memory_order_relaxed);
      continue;
    }
    if (flow.limit) {
      FlowModSpec filter;
      filter.table = spec.table;
      filter.cookie = spec.cookie;
      filter.cookie_mask = ~uint64_t{0};
      if (batch.select(filter, false).size() >= flow.limit) {
        spdlog::debug("bridge {}: learn limit {} for cookie {:#x} in table {} reached",
                      bridge.name, flow.limit, spec.cookie, spec.table);
        continue;
      }
    }
    if (auto st = check_rule_references(bridge.state, spec.actions, spec.table); !st.ok()) {
      spdlog::debug("bridge {}: a learned flow is refused: {}", bridge.name, st.error().detail);
      continue;
    }
    batch.add(make_rule(spec, now_ms, bridge.state.next_rule_sequence++));
    changed = true;
  }
  if (changed) batch.commit();
  return changed;
}

}  // namespace flowpath::ofproto
