// Controller roles: OFPT_ROLE_REQUEST/REPLY (OpenFlow 1.2+), Open vSwitch's
// NXT_ROLE_REQUEST/REPLY (any version), and the role-status message that
// tells a controller its role changed (ONFT_ROLE_STATUS in 1.3,
// OFPT_ROLE_STATUS from 1.4).
#pragma once

#include <optional>

#include "openflow/wire/ofp_header.h"

namespace flowpath::openflow::wire {

// OpenFlow 1.2's numbering (Nicira's is one less, without "no change").
enum class ControllerRole : uint32_t { kNoChange = 0, kEqual = 1, kPrimary = 2, kSecondary = 3 };

struct RoleMessage {
  ControllerRole role = ControllerRole::kNoChange;
  // Requests: absent when the role is "no change" (its generation id is
  // meaningless); replies: absent when the switch sends all-ones. Nicira's
  // messages carry none.
  std::optional<uint64_t> generation_id;
};

// Request or reply, either form. OFPRRFC_BAD_ROLE for an unknown role
// (and for "no change" in Nicira's form, which cannot say it).
WireResult<RoleMessage> decode_role_message(const OfpMessage& msg);
// OpenFlow 1.0-1.1 (and `nicira` in any version) use Nicira's form, which
// cannot say "no change": OFPRRFC_BAD_ROLE then.
WireResult<Bytes> encode_role_request(const RoleMessage& role, uint8_t version, bool nicira,
                                      uint32_t xid);
// The reply in the form of `request` (its raw, version and xid).
WireResult<Bytes> encode_role_reply(const RoleMessage& role, const OfpMessage& request);

enum class RoleStatusReason : uint8_t { kPrimaryRequest = 0, kConfig = 1, kExperimenter = 2 };
struct RoleStatus {
  ControllerRole role = ControllerRole::kEqual;
  uint8_t reason = 0;  // RoleStatusReason (others are passed on)
  uint64_t generation_id = ~uint64_t{0};
};
WireResult<RoleStatus> decode_role_status(const OfpMessage& msg);
// nullopt before OpenFlow 1.3 (no form to carry it).
std::optional<Bytes> encode_role_status(const RoleStatus& status, uint8_t version);

}  // namespace flowpath::openflow::wire
