// OFPT_ERROR: an error with the standard (type, code) of its version, or one
// of Open vSwitch's Nicira/ONF extension errors, and the data that goes with
// it (the start of the failed request, or text for hello failures).
#pragma once

#include <optional>

#include "openflow/wire/ofp_header.h"

namespace flowpath::openflow::wire {

struct ErrorMessage {
  std::optional<OfpErrorCode> code;  // nullopt: numbers no known error has
  ErrorTriplet triplet;              // as numbered on the wire
  Bytes data;
};

WireResult<ErrorMessage> decode_error_message(const OfpMessage& msg);

// An error reply to `request` (a whole message): its version and xid, and as
// data the request itself (up to 64 KiB in all). An error `version` cannot
// express is sent as NXBRC_UNENCODABLE_ERROR.
Bytes encode_error_reply(OfpErrorCode code, ByteView request);
// An error in `version` with `data` (hello failures carry text).
Bytes encode_error(OfpErrorCode code, uint8_t version, uint32_t xid, ByteView data);

}  // namespace flowpath::openflow::wire
