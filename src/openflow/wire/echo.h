// OFPT_ECHO_REQUEST and OFPT_ECHO_REPLY: liveness probes carrying arbitrary
// data, which the reply returns unchanged.
#pragma once

#include "openflow/wire/ofp_header.h"

namespace flowpath::openflow::wire {

struct Echo {
  bool reply = false;
  Bytes data;
};

WireResult<Echo> decode_echo(const OfpMessage& msg);
Bytes encode_echo(const Echo& echo, uint8_t version, uint32_t xid);
// The reply to an echo request: same version, xid and data.
Bytes encode_echo_reply(const OfpMessage& request);

}  // namespace flowpath::openflow::wire
