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
  // One dimension of a conjunctive match: the classifier carries it out.
  std::vector<OfAction> dimension = {action::Conjunction{1, 0, 2}, action::Note{{1, 2}}};
  EXPECT_TRUE(check_rule_references(state, dimension, 0).ok());
}

TEST(RuleReferences, AnActionTranslationLacksIsRefusedByName) {
  BridgeState state;
  for (const OfAction& a : {OfAction{action::Sample{}},
                            OfAction{action::FinTimeout{}}}) {
    std::vector<OfAction> actions = {action::Output{2}, a};
    auto status = check_rule_references(state, actions, 0);
    ASSERT_FALSE(status.ok()) << action_name(a);
    EXPECT_EQ(status.error().code, OfpErrorCode::OFPBAC_BAD_TYPE);
    EXPECT_NE(status.error().detail.find(std::string(action_name(a)) + " is not supported yet"),
              std::string::npos)
        << status.error().detail;
  }
}

TEST(RuleReferences, ExtensionActionsAndWhatTheyNestAreChecked) {
  BridgeState state;
  std::vector<OfAction> runs = {action::Exit{}, action::Multipath{}, action::SetQueue{1},
                                action::Clone{{OfAction{action::Output{1}}}},
                                action::WriteActions{{OfAction{action::Output{1}}}}};
  EXPECT_TRUE(check_rule_references(state, runs, 0).ok());
  // A clone or an action set holding an action the bridge cannot run.
  for (const OfAction& a : {OfAction{action::Clone{{OfAction{action::FinTimeout{}}}}},
                            OfAction{action::WriteActions{{OfAction{action::Sample{}}}}}}) {
    std::vector<OfAction> actions = {a};
    auto status = check_rule_references(state, actions, 0);
    ASSERT_FALSE(status.ok());
    EXPECT_NE(status.error().detail.find("is not supported yet"), std::string::npos)
        << status.error().detail;
  }
}

TEST(RuleReferences, LearnRunsButNotItsResultDstOrFinTimeouts) {
  BridgeState state;
  std::vector<OfAction> runs = {action::Learn{}, action::Clone{{OfAction{action::Learn{}}}}};
  EXPECT_TRUE(check_rule_references(state, runs, 0).ok());
  action::Learn with_result;
  with_result.flags = 4;  // write_result
  action::Learn with_fin;
  with_fin.fin_idle_timeout = 5;
  for (const OfAction& a : {OfAction{with_result}, OfAction{action::Clone{{OfAction{with_fin}}}}}) {
    std::vector<OfAction> actions = {a};
    auto status = check_rule_references(state, actions, 0);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error().code, OfpErrorCode::OFPBAC_BAD_ARGUMENT);
    EXPECT_TRUE(status.error().detail.find("result_dst is not supported") != std::string::npos ||
                status.error().detail.find("fin_hard_timeout are not supported") != std::string::npos)
        << status.error().detail;
  }
}

}  // namespace
}  // namespace flowpath::ofproto
