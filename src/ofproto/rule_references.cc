#include "ofproto/rule_references.h"

#include <fmt/format.h>

#include <type_traits>
#include <variant>

#include "openflow/of_learn.h"

namespace flowpath::ofproto {

using openflow::wire::OfpErrorCode;
using openflow::wire::wire_error;

namespace {

// controller(pause) would need continuations (NXT_RESUME), which the slow
// path does not have: refused rather than sent as a plain packet-in.
bool pauses(const std::vector<OfAction>& actions) {
  for (const OfAction& a : actions) {
    if (const auto* c = std::get_if<action::Controller>(&a); c && c->pause) return true;
    if (const auto* c = std::get_if<action::Clone>(&a); c && pauses(c->actions)) return true;
    if (const auto* w = std::get_if<action::WriteActions>(&a); w && pauses(w->actions)) return true;
  }
  return false;
}

// The first action, here or nested, that translation does not carry out
// yet (the codec and the text syntax read more than the bridge runs): such a
// rule is refused, never installed with the action silently skipped.
const OfAction* untranslated(const std::vector<OfAction>& actions) {
  for (const OfAction& a : actions) {
    const bool runs = std::visit(
        [](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          return std::is_same_v<T, action::Output> || std::is_same_v<T, action::Controller> ||
                 std::is_same_v<T, action::SetField> || std::is_same_v<T, action::SetVlanVid> ||
                 std::is_same_v<T, action::SetVlanPcp> || std::is_same_v<T, action::PushVlan> ||
                 std::is_same_v<T, action::PopVlan> || std::is_same_v<T, action::PushMpls> ||
                 std::is_same_v<T, action::PopMpls> || std::is_same_v<T, action::DecTtl> ||
                 std::is_same_v<T, action::SetMplsTtl> || std::is_same_v<T, action::DecMplsTtl> ||
                 std::is_same_v<T, action::Resubmit> || std::is_same_v<T, action::GotoTable> ||
                 std::is_same_v<T, action::WriteMetadata> || std::is_same_v<T, action::Group> ||
                 std::is_same_v<T, action::Meter> || std::is_same_v<T, action::Conntrack> ||
                 std::is_same_v<T, action::CtClear> || std::is_same_v<T, action::RegMove> ||
                 std::is_same_v<T, action::StackPush> || std::is_same_v<T, action::StackPop> ||
                 std::is_same_v<T, action::OutputReg> || std::is_same_v<T, action::OutputTrunc> ||
                 std::is_same_v<T, action::Exit> || std::is_same_v<T, action::Clone> ||
                 std::is_same_v<T, action::CheckPktLarger> ||
                 std::is_same_v<T, action::WriteActions> ||
                 std::is_same_v<T, action::ClearActions> ||
                 std::is_same_v<T, action::Multipath> || std::is_same_v<T, action::Bundle> ||
                 std::is_same_v<T, action::SetQueue> || std::is_same_v<T, action::PopQueue> ||
                 std::is_same_v<T, action::Enqueue> || std::is_same_v<T, action::SetTunnel> ||
                 std::is_same_v<T, action::Conjunction> ||  // the classifier's (conjunction.h)
                 std::is_same_v<T, action::Learn> ||
                 std::is_same_v<T, action::Note>;  // a note does nothing
        },
        static_cast<const OfActionVariant&>(a));
    if (!runs) return &a;
    // What clone and write_actions hold runs too.
    const std::vector<OfAction>* nested = nullptr;
    if (const auto* c = std::get_if<action::Clone>(&a)) nested = &c->actions;
    if (const auto* w = std::get_if<action::WriteActions>(&a)) nested = &w->actions;
    if (nested)
      if (const OfAction* inner = untranslated(*nested)) return inner;
  }
  return nullptr;
}

// What a learn action asks that translation does not do
// (check_learn_supported), here or nested.
Status learn_supported(const std::vector<OfAction>& actions) {
  for (const OfAction& a : actions) {
    Status st = Ok{};
    if (const auto* l = std::get_if<action::Learn>(&a)) st = check_learn_supported(*l);
    else if (const auto* c = std::get_if<action::Clone>(&a)) st = learn_supported(c->actions);
    else if (const auto* w = std::get_if<action::WriteActions>(&a)) st = learn_supported(w->actions);
    if (!st.ok()) return st;
  }
  return Ok{};
}

}  // namespace

openflow::wire::WireStatus check_rule_references(const BridgeState& state,
                                                 const std::vector<OfAction>& actions, int table,
                                                 const std::map<uint32_t, GroupSpec>* pending_groups) {
  if (pauses(actions))
    return wire_error(OfpErrorCode::OFPBAC_BAD_ARGUMENT,
                      "controller(pause) is not supported (no continuations)");
  if (Status st = learn_supported(actions); !st.ok())
    return wire_error(OfpErrorCode::OFPBAC_BAD_ARGUMENT, st.error());
  if (const OfAction* a = untranslated(actions))
    return wire_error(OfpErrorCode::OFPBAC_BAD_TYPE,
                      fmt::format("{} is not supported yet: the bridge cannot carry it out "
                                  "(docs/openflow.md)",
                                  action_name(*a)));
  for (const OfAction& a : actions) {
    if (const auto* g = std::get_if<action::Group>(&a)) {
      bool known = state.groups.count(g->group_id) ||
                   (pending_groups && pending_groups->count(g->group_id));
      if (!known)
        return wire_error(OfpErrorCode::OFPBAC_BAD_OUT_GROUP,
                          fmt::format("group {} does not exist", g->group_id));
    } else if (const auto* m = std::get_if<action::Meter>(&a)) {
      if (!state.meters.count(m->meter_id))
        return wire_error(OfpErrorCode::OFPMMFC_UNKNOWN_METER,
                          fmt::format("meter {} does not exist", m->meter_id));
    } else if (const auto* t = std::get_if<action::GotoTable>(&a)) {
      if (table >= 0 && t->table <= table)
        return wire_error(OfpErrorCode::OFPBIC_BAD_TABLE_ID,
                          fmt::format("goto_table:{} from table {}: tables can only go forward",
                                      t->table, table));
    }
  }
  return Ok{};
}

}  // namespace flowpath::ofproto
