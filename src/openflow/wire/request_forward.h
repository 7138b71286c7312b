// Request forwarding (OFPT_REQUESTFORWARD of OpenFlow 1.4, the ONF extension
// for 1.3, Nicira's for earlier versions): a switch tells its other
// controllers about a group or meter mod one controller made, by sending the
// mod itself.
#pragma once

#include <variant>

#include "openflow/wire/group_mod.h"
#include "openflow/wire/meter.h"

namespace flowpath::openflow::wire {

struct RequestForward {
  uint32_t xid = 0;  // the forwarded request's
  std::variant<GroupMod, MeterMod> request;
};

// OFPBFC_MSG_BAD_LEN when the inner message does not fit, OFPBRC_BAD_VERSION
// when its version differs, OFPBRC_BAD_TYPE for messages other than group
// and meter mods, and the inner message's own errors.
WireResult<RequestForward> decode_request_forward(const OfpMessage& msg);
WireResult<Bytes> encode_request_forward(const RequestForward& rf, uint8_t version);

}  // namespace flowpath::openflow::wire
