// The switch's side of an OpenFlow session: which asynchronous messages a
// connection gets, by kind, role, version and asynchronous configuration.
#include <gtest/gtest.h>

#include "ofproto/openflow_session.h"

namespace flowpath::ofproto {
namespace {

using wire::AsyncMessage;
using wire::ControllerRole;
namespace reason = wire::packet_in_reason;

TEST(OpenFlowSessionTest, ControllersGetPacketInsPortStatusAndFlowRemovedByDefault) {
  auto s = OpenFlowSession::for_kind(OpenFlowSession::Kind::kController, wire::kOfp13);
  EXPECT_EQ(s.miss_send_len, 128);
  EXPECT_TRUE(s.receives(AsyncMessage::kPacketIn, reason::kAction));
  EXPECT_TRUE(s.receives(AsyncMessage::kPacketIn, reason::kNoMatch));
  EXPECT_FALSE(s.receives(AsyncMessage::kPacketIn, reason::kInvalidTtl));
  EXPECT_TRUE(s.receives(AsyncMessage::kPortStatus, 2));
  EXPECT_TRUE(s.receives(AsyncMessage::kFlowRemoved, 3));   // group delete, 1.3
  EXPECT_FALSE(s.receives(AsyncMessage::kFlowRemoved, 4));  // meter delete is 1.4's
  auto v14 = OpenFlowSession::for_kind(OpenFlowSession::Kind::kController, wire::kOfp14);
  EXPECT_TRUE(v14.receives(AsyncMessage::kFlowRemoved, 4));
}

TEST(OpenFlowSessionTest, SlavesOnlyGetPortStatus) {
  auto s = OpenFlowSession::for_kind(OpenFlowSession::Kind::kController, wire::kOfp13);
  s.role = ControllerRole::kSecondary;
  EXPECT_FALSE(s.receives(AsyncMessage::kPacketIn, reason::kAction));
  EXPECT_FALSE(s.receives(AsyncMessage::kFlowRemoved, 0));
  EXPECT_TRUE(s.receives(AsyncMessage::kPortStatus, 0));
  s.role = ControllerRole::kPrimary;
  EXPECT_TRUE(s.receives(AsyncMessage::kPacketIn, reason::kAction));
}

TEST(OpenFlowSessionTest, ServiceConnectionsGetNothingUntilTheySetMissSendLen) {
  auto s = OpenFlowSession::for_kind(OpenFlowSession::Kind::kService, wire::kOfp10);
  EXPECT_EQ(s.miss_send_len, 0);
  EXPECT_FALSE(s.receives(AsyncMessage::kPortStatus, 0));
  EXPECT_FALSE(s.packet_in_reason(reason::kAction, false, false));
  s.miss_send_len = 0xffff;  // as ovs-ofctl monitor does
  EXPECT_TRUE(s.receives(AsyncMessage::kPortStatus, 0));
  EXPECT_EQ(s.packet_in_reason(reason::kAction, false, false), reason::kAction);
}

TEST(OpenFlowSessionTest, TableMissesAsEachVersionSeesThem) {
  auto v10 = OpenFlowSession::for_kind(OpenFlowSession::Kind::kController, wire::kOfp10);
  auto v13 = OpenFlowSession::for_kind(OpenFlowSession::Kind::kController, wire::kOfp13);
  // A miss without a table-miss rule: only OpenFlow 1.0-1.2 send it up.
  EXPECT_EQ(v10.packet_in_reason(reason::kNoMatch, true, false), reason::kNoMatch);
  EXPECT_FALSE(v13.packet_in_reason(reason::kNoMatch, true, false));
  // A table-miss rule's controller action: no_match from 1.3, action before.
  EXPECT_EQ(v10.packet_in_reason(reason::kAction, false, true), reason::kAction);
  EXPECT_EQ(v13.packet_in_reason(reason::kAction, false, true), reason::kNoMatch);
  // A controller with an id gets no implicit misses.
  v10.controller_id = 7;
  EXPECT_FALSE(v10.packet_in_reason(reason::kNoMatch, true, false));
}

TEST(OpenFlowSessionTest, AsyncConfigMasksDecide) {
  auto s = OpenFlowSession::for_kind(OpenFlowSession::Kind::kController, wire::kOfp13);
  s.async.primary[static_cast<int>(AsyncMessage::kPacketIn)] = 1u << reason::kAction;
  EXPECT_FALSE(s.packet_in_reason(reason::kAction, false, true));  // explicit miss = no_match
  EXPECT_EQ(s.packet_in_reason(reason::kAction, false, false), reason::kAction);
  EXPECT_EQ(role_name(ControllerRole::kPrimary), "master");
  EXPECT_EQ(role_name(ControllerRole::kSecondary), "slave");
  EXPECT_EQ(role_name(ControllerRole::kEqual), "equal");
}

}  // namespace
}  // namespace flowpath::ofproto
