// OFPT_ECHO_REQUEST / OFPT_ECHO_REPLY (see echo.h).
#include "openflow/wire/echo.h"

namespace flowpath::openflow::wire {

WireResult<Echo> decode_echo(const OfpMessage& msg) {
  if (msg.type != OfpType::kEchoRequest && msg.type != OfpType::kEchoReply)
    return wire_error(OfpErrorCode::OFPBRC_BAD_TYPE, "not an echo message");
  return Echo{msg.type == OfpType::kEchoReply, Bytes(msg.body.begin(), msg.body.end())};
}

Bytes encode_echo(const Echo& echo, uint8_t version, uint32_t xid) {
  Bytes out;
  size_t start = start_message(
      out, echo.reply ? OfpRaw::OFPT_ECHO_REPLY : OfpRaw::OFPT_ECHO_REQUEST, version, xid);
  WireWriter(&out).put_bytes(echo.data);
  finish_message(out, start);
  return out;
}

Bytes encode_echo_reply(const OfpMessage& request) {
  return encode_echo(Echo{true, Bytes(request.body.begin(), request.body.end())},
                     request.version, request.xid);
}

}  // namespace flowpath::openflow::wire
