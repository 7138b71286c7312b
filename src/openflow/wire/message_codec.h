// Every message type at once: decodes a message's body with the decoder its
// type calls for and encodes the result back in the same form. Fuzzers and
// the byte-for-byte tests use it to hold each decoder and encoder to the
// other; a switch can use decode_message_body() to check a message it will
// only store (bundles) or pass on.
#pragma once

#include <vector>

#include "openflow/wire/flow_mod.h"
#include "openflow/wire/ofp_header.h"

namespace flowpath::openflow::wire {

// The session's `protocol` matters for OpenFlow 1.0 flow mods (whether their
// command carries a table id).
WireStatus decode_message_body(const OfpMessage& msg, const Protocol& protocol);

// The message decoded and encoded again, in the form it came in (raw,
// version, xid, multipart flags): the same bytes for every message Open
// vSwitch sends, as far as the model keeps what it says (the doc lists the
// exceptions). Fails with the decoder's error, or when the encoder refuses
// what the decoder accepted.
WireResult<Bytes> reencode_message(const OfpMessage& msg, const Protocol& protocol);

}  // namespace flowpath::openflow::wire
