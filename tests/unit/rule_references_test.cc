// What a rule may refer to and ask for when it is added: every action must
// be one the bridge carries out, or the rule is refused with OpenFlow's
// error, never installed with the action skipped.
#include "ofproto/rule_references.h"

#include <gtest/gtest.h>

namespace flowpath::ofproto {
namespace {

using openflow::wire::OfpErrorCode;

TEST(RuleReferences, ActionsTheBridgeRunsAreAccepted) {
  BridgeState state;
  std::vector<OfAction> actions = {action::Output{2}, action::Note{{1, 2}}, action::CtClear{}};
  EXPECT_TRUE(check_rule_references(state, actions, 0).ok());
}

TEST(RuleReferences, AnActionTranslationLacksIsRefusedByName) {
  BridgeState state;
  for (const OfAction& a : {OfAction{action::Learn{}}, OfAction{action::Exit{}},
                            OfAction{action::Clone{{OfAction{action::Output{1}}}}},
                            OfAction{action::Multipath{}}, OfAction{action::FinTimeout{}}}) {
    std::vector<OfAction> actions = {action::Output{2}, a};
    auto status = check_rule_references(state, actions, 0);
    ASSERT_FALSE(status.ok()) << action_name(a);
    EXPECT_EQ(status.error().code, OfpErrorCode::OFPBAC_BAD_TYPE);
    EXPECT_NE(status.error().detail.find(std::string(action_name(a)) + " is not supported yet"),
              std::string::npos)
        << status.error().detail;
  }
}

}  // namespace
}  // namespace flowpath::ofproto
