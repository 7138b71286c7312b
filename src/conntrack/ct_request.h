// The datapath's ct() action (OVS_ACTION_ATTR_CT, its nested
// OVS_CT_ATTR_* attributes) decoded for the tracker, once per batch.
//
// What the tracker does not implement yet is refused here, with the
// reason, so that a datapath never accepts a ct() it would then ignore:
// helper (FTP/TFTP ALGs) and timeout (named timeout policies). nat is
// decoded into CtRequest::nat. eventmask only filters Netlink events, which a
// userspace datapath does not send: accepted, as Open vSwitch's userspace
// datapath does.
#pragma once

#include <cstdint>
#include <span>

#include "common/result.h"
#include "conntrack/conntrack.h"

namespace flowpath::conntrack {

// `attributes` is the action's payload, already structurally valid
// (validate_actions()).
Result<CtRequest> decode_ct_action(std::span<const uint8_t> attributes);

}  // namespace flowpath::conntrack
