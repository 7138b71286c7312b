// Translation of the actions that run other actions on a copy of the
// packet or later: clone(...), check_pkt_larger(N)->DST[bit] (both branches
// of the datapath's check_pkt_len), and the OpenFlow 1.1+ action set
// (write_actions, clear_actions), run when the pipeline ends. As in Open
// vSwitch, a nested translation starts from the pipeline's flow, stack and
// action set, and leaves them as they were.
#include <fmt/format.h>

#include <type_traits>
#include <variant>

#include "flow/odp_abi.h"
#include "ofproto/xlate_context.h"

namespace flowpath::ofproto {

namespace {

// Can the datapath actions of `actions` be undone by later set actions
// (Open vSwitch's reversible_actions)? Then a clone needs no datapath
// clone(): its actions go inline and the flow is restored afterwards.
bool reversible(std::span<const OfAction> actions) {
  for (const OfAction& a : actions) {
    const bool irreversible = std::visit(
        [](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          return std::is_same_v<T, action::Conntrack> || std::is_same_v<T, action::Meter> ||
                 std::is_same_v<T, action::Nat> || std::is_same_v<T, action::OutputTrunc> ||
                 std::is_same_v<T, action::Decap> || std::is_same_v<T, action::DecNshTtl>;
        },
        static_cast<const OfActionVariant&>(a));
    if (irreversible) return false;
  }
  return true;
}

// Where an action goes in the action set (OpenFlow 1.3 5.10, in Open
// vSwitch's order): one slot each for the header actions, in this order;
// the set and move actions, all of them, in the order written; then one
// final action, the highest of ct < ct_clear < resubmit < output < group.
constexpr int kNoSlot = -1;
constexpr int kSetOrMove = 100;
int action_set_slot(const OfAction& a) {
  return std::visit(
      [](const auto& x) -> int {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, action::PopVlan>) return 0;
        else if constexpr (std::is_same_v<T, action::PopMpls>) return 1;
        else if constexpr (std::is_same_v<T, action::Decap>) return 2;
        else if constexpr (std::is_same_v<T, action::PushMpls>) return 3;
        else if constexpr (std::is_same_v<T, action::PushVlan>) return 4;
        else if constexpr (std::is_same_v<T, action::DecTtl>) return 5;
        else if constexpr (std::is_same_v<T, action::DecMplsTtl>) return 6;
        else if constexpr (std::is_same_v<T, action::DecNshTtl>) return 7;
        else if constexpr (std::is_same_v<T, action::Conntrack>) return 10;
        else if constexpr (std::is_same_v<T, action::CtClear>) return 11;
        else if constexpr (std::is_same_v<T, action::Resubmit>) return 12;
        else if constexpr (std::is_same_v<T, action::Output>) return 13;
        else if constexpr (std::is_same_v<T, action::Group>) return 14;
        else if constexpr (std::is_same_v<T, action::SetField> ||
                           std::is_same_v<T, action::RegMove> ||
                           std::is_same_v<T, action::SetVlanVid> ||
                           std::is_same_v<T, action::SetVlanPcp> ||
                           std::is_same_v<T, action::SetMplsTtl> ||
                           std::is_same_v<T, action::SetQueue> ||
                           std::is_same_v<T, action::SetTunnel>)
          return kSetOrMove;
        else return kNoSlot;
      },
      static_cast<const OfActionVariant&>(a));
}
constexpr int kHeaderSlots = 8;
constexpr int kFirstFinal = 10;

}  // namespace

XlateContext::Nested XlateContext::save_nested() const {
  return Nested{flow_, action_set_, stack_};
}

void XlateContext::restore_nested(Nested&& saved) {
  flow_ = saved.flow;
  action_set_ = std::move(saved.action_set);
  stack_ = std::move(saved.stack);
}

void XlateContext::do_clone(std::span<const OfAction> actions) {
  Nested saved = save_nested();
  if (reversible(actions)) {
    // Inline: later outputs commit whatever the clone changed back.
    if (tracing()) trace(indent() + "clone: inline (its actions can be undone)");
    ++depth_;
    do_actions(actions, table_, 0);
    run_action_set();
    --depth_;
  } else {
    commit();  // what the packet already is goes outside the clone, once
    const FlowKey saved_base = base_;
    if (tracing()) trace(indent() + "clone: datapath clone()");
    const size_t nest = out_.begin_nested(odp::kActionClone);
    const size_t start = out_.size();
    ++depth_;
    do_actions(actions, table_, 0);
    run_action_set();
    --depth_;
    if (out_.size() == start) out_.truncate(nest);
    else out_.end_nested(nest);
    base_ = saved_base;
  }
  restore_nested(std::move(saved));
}

void XlateContext::do_check_pkt_larger(const action::CheckPktLarger& check,
                                       std::span<const OfAction> rest) {
  // The rest of this action list, translated twice: once for packets longer
  // than pkt_len (the destination bit 1), once for the others (0).
  commit();
  Nested saved = save_nested();
  const FlowKey saved_base = base_;
  const bool saved_exit = exit_;
  if (tracing())
    trace(fmt::format("{}check_pkt_larger({}): both branches follow", indent(), check.pkt_len));
  const size_t nest = out_.begin_nested(odp::kActionCheckPktLen);
  out_.put_u16(odp::kCheckPktLenPktLen, check.pkt_len);
  for (int larger = 1; larger >= 0; --larger) {
    if (tracing())
      trace(fmt::format("{}{} than {} bytes:", indent(), larger ? "longer" : "not longer",
                        check.pkt_len));
    const size_t branch = out_.begin_nested(larger ? odp::kCheckPktLenActionsIfGreater
                                                   : odp::kCheckPktLenActionsIfLessEqual);
    // Only the pipeline's copy: the datapath decides, not the megaflow.
    subfield_value(check.dst, larger ? 1 : 0).apply_to(flow_);
    ++depth_;
    do_actions(rest, table_, 0);
    run_action_set();
    --depth_;
    out_.end_nested(branch);
    restore_nested(Nested(saved));
    base_ = saved_base;
    exit_ = saved_exit;
  }
  out_.end_nested(nest);
}

void XlateContext::write_actions(std::span<const OfAction> actions) {
  for (const OfAction& a : actions) action_set_.push_back(a);
  if (tracing()) trace(indent() + "action set is now " + format_of_actions(action_set_));
}

void XlateContext::clear_actions() {
  if (tracing()) trace(indent() + "action set was " + format_of_actions(action_set_));
  action_set_.clear();
}

void XlateContext::run_action_set() {
  if (action_set_.empty() || stop_ || exit_) {
    action_set_.clear();
    return;
  }
  const OfAction* slots[kHeaderSlots] = {};
  const OfAction* final_action = nullptr;
  int final_slot = -1;
  std::vector<OfAction> list;
  std::vector<OfAction> set_or_move;
  for (const OfAction& a : action_set_) {
    const int slot = action_set_slot(a);
    if (slot >= 0 && slot < kHeaderSlots) {
      slots[slot] = &a;
    } else if (slot >= kFirstFinal && slot < kSetOrMove) {
      if (slot >= final_slot) {
        final_action = &a;
        final_slot = slot;
      }
    } else if (slot == kSetOrMove) {
      set_or_move.push_back(a);
    }
  }
  // Without an output, group, resubmit or ct the set does nothing.
  if (final_action) {
    for (const OfAction* a : slots)
      if (a) list.push_back(*a);
    for (OfAction& a : set_or_move) list.push_back(std::move(a));
    list.push_back(*final_action);
  }
  action_set_.clear();
  if (list.empty()) return;
  if (tracing()) trace(indent() + "executing the action set: " + format_of_actions(list));
  do_actions(list, table_, 0);
}

}  // namespace flowpath::ofproto
