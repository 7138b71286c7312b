// The rules an ovs-ofctl action list obeys as a whole, checked once the list
// is parsed (Open vSwitch's ofpacts_verify, for text): conjunction goes with
// nothing but note, and OpenFlow 1.3's instructions come in their fixed order.
// The wire codec checks the same for what arrives over OpenFlow
// (wire/action_codec.cc).
#include <string>

#include "openflow/of_action.h"
#include "openflow/of_text_internal.h"

namespace flowpath::openflow::of_text {

namespace {

// A rule with conjunction actions is one dimension of a conjunctive match:
// the classifier never runs its actions, so anything but a note beside them
// would be dead. Nested lists (clone, write_actions) are checked on their own.
Status check_conjunction_alone(const std::vector<OfAction>& actions) {
  bool conjunction = false;
  for (const OfAction& a : actions) conjunction |= std::holds_alternative<action::Conjunction>(a);
  if (!conjunction) return Ok{};
  for (const OfAction& a : actions)
    if (!std::holds_alternative<action::Conjunction>(a) && !std::holds_alternative<action::Note>(a))
      return make_error("\"conjunction\" may only go with \"note\", not with \"" +
                        std::string(action_name(a)) + "\"");
  return Ok{};
}

// OpenFlow 1.3 runs instructions in a fixed order (meter, apply-actions,
// write-metadata, goto-table) and allows each once; the text must be written
// in that order, as ovs-ofctl requires.
Status check_instruction_order(const std::vector<OfAction>& actions) {
  bool seen_meter = false, seen_metadata = false, seen_action = false;
  for (size_t i = 0; i < actions.size(); ++i) {
    const OfAction& a = actions[i];
    if (std::holds_alternative<action::GotoTable>(a)) {
      if (i + 1 != actions.size()) return make_error("goto_table must be the last instruction");
    } else if (std::holds_alternative<action::WriteMetadata>(a)) {
      if (seen_metadata) return make_error("write_metadata may appear only once");
      seen_metadata = true;
    } else if (std::holds_alternative<action::Meter>(a)) {
      if (seen_meter) return make_error("meter may appear only once");
      if (seen_action || seen_metadata)
        return make_error("meter must come before every action and write_metadata");
      seen_meter = true;
    } else {
      seen_action = true;
      if (seen_metadata)
        return make_error(
            "write_metadata must come after every action (only goto_table may follow it)");
    }
  }
  return Ok{};
}

}  // namespace

Status verify_action_list(const std::vector<OfAction>& actions) {
  if (Status s = check_conjunction_alone(actions); !s) return s;
  return check_instruction_order(actions);
}

}  // namespace flowpath::openflow::of_text
