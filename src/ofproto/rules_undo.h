// The undo of a change to a bridge's rules, groups and meters whose state
// file could not be written (Ofproto::commit_change): fpctl's verbs, flow
// mods from the wire and the controller changes that flush the tables.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>

#include "ofproto/bridge.h"
#include "ofproto/rule_batch.h"

namespace flowpath::ofproto {

// What undoes a change of a bridge's rules, groups and meters if it cannot
// be saved: the rule changes it made (recorded from its batch; only those,
// so a change to one rule of 100,000 costs one rule), and the groups and
// meters as they were (few).
struct RulesUndo {
  RuleChanges rules;
  std::map<uint32_t, std::shared_ptr<const GroupEntry>> groups;
  std::map<uint32_t, MeterSpec> meters;
  uint64_t next_rule_sequence;
};

inline RulesUndo snapshot_rules(const Bridge& bridge) {
  std::shared_lock lock(bridge.state_mutex);
  return RulesUndo{{}, bridge.state.groups, bridge.state.meters, bridge.state.next_rule_sequence};
}

// The undo of a rule, group or meter change.
inline std::function<void()> put_back(Bridge& bridge, RulesUndo& undo) {
  return [&bridge, &undo] {
    std::unique_lock lock(bridge.state_mutex);
    if (!undo.rules.empty()) {
      std::lock_guard rules(bridge.state.tables.mutex());
      RuleBatch batch(bridge.state.tables);
      batch.revert(undo.rules);
      batch.commit();
    }
    bridge.state.groups = std::move(undo.groups);
    bridge.state.meters = std::move(undo.meters);
    bridge.state.next_rule_sequence = undo.next_rule_sequence;
  };
}

}  // namespace flowpath::ofproto
