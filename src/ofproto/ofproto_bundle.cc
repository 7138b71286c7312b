// Ofproto: an OpenFlow bundle's commit. Its flow mods and group mods are
// applied in order into one rule batch (RuleBatch: translations see all of
// it or none of it) while the groups change under the bridge's state lock;
// the first refusal throws the batch away and puts the groups back, so the
// bridge is as it was, and the caller learns which message failed.
#include "common/clock.h"
#include "ofproto/bridge.h"
#include "ofproto/ofproto.h"
#include "ofproto/rule_batch.h"
#include "ofproto/rules_undo.h"

namespace flowpath::ofproto {

wire::WireStatus Ofproto::commit_bundle(const std::string& bridge_name,
                                        const std::vector<BundleItem>& items, size_t* failed) {
  std::lock_guard config(config_mutex_);
  std::shared_lock bridges(bridges_mutex_);
  auto found = find_bridge(bridge_name);
  if (!found.ok()) return wire::wire_error(wire::OfpErrorCode::OFPBRC_EPERM, found.error());
  Bridge& bridge = **found;
  RulesUndo before = snapshot_rules(bridge);
  {
    // Exclusive: a group mod changes the groups in place, and no translation
    // may see a bundle's groups before its rules.
    std::unique_lock state(bridge.state_mutex);
    std::lock_guard rules(bridge.state.tables.mutex());
    RuleBatch batch(bridge.state.tables);
    RemovedRules removed;
    const uint64_t next_sequence = bridge.state.next_rule_sequence;
    for (size_t i = 0; i < items.size(); ++i) {
      wire::WireStatus st = Ok{};
      if (items[i].flow_mod) {
        auto done = flow_mod_locked(bridge, batch, *items[i].flow_mod, &removed);
        if (!done.ok()) st = done.error();
      } else if (items[i].group_mod) {
        st = group_mod_locked(bridge, batch, *items[i].group_mod, &removed);
      }
      if (!st.ok()) {
        // The batch is dropped uncommitted; the groups go back.
        bridge.state.groups = before.groups;
        bridge.state.next_rule_sequence = next_sequence;
        if (failed) *failed = i;
        return st.error();
      }
    }
    before.rules = batch.changes();
    batch.commit();
    queue_removed(bridge, removed);
  }
  if (auto saved = commit_change(bridge, bridges, put_back(bridge, before)); !saved.ok())
    return wire::wire_error(wire::OfpErrorCode::OFPBFC_MSG_FAILED, "not saved: " + saved.error());
  return Ok{};
}

}  // namespace flowpath::ofproto
