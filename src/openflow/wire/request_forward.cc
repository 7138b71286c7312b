// Request forwarding (see request_forward.h).
#include "openflow/wire/request_forward.h"

namespace flowpath::openflow::wire {

WireResult<RequestForward> decode_request_forward(const OfpMessage& msg) {
  ByteView inner = msg.body;
  if (inner.size() < kOfpHeaderLen)
    return wire_error(OfpErrorCode::OFPBFC_MSG_BAD_LEN, "requestforward: no room for a message");
  const size_t len = message_length(inner);
  if (len < kOfpHeaderLen || len > inner.size())
    return wire_error(OfpErrorCode::OFPBFC_MSG_BAD_LEN,
                      "requestforward: message length " + std::to_string(len) + " with " +
                          std::to_string(inner.size()) + " bytes");
  if (inner[0] != msg.version)
    return wire_error(OfpErrorCode::OFPBRC_BAD_VERSION,
                      "requestforward: the forwarded message is " + version_name(inner[0]));
  WIRE_TRY_ASSIGN(m, decode_message(inner.first(len)));
  RequestForward rf;
  rf.xid = m.xid;
  if (m.type == OfpType::kGroupMod) {
    WIRE_TRY_ASSIGN(gm, decode_group_mod(m));
    rf.request = std::move(gm);
  } else if (m.type == OfpType::kMeterMod) {
    WIRE_TRY_ASSIGN(mm, decode_meter_mod(m));
    rf.request = std::move(mm);
  } else {
    return wire_error(OfpErrorCode::OFPBRC_BAD_TYPE,
                      "requestforward: " + std::string(type_name(m.type)) +
                          " is neither a group nor a meter mod");
  }
  return rf;
}

WireResult<Bytes> encode_request_forward(const RequestForward& rf, uint8_t version) {
  Bytes inner;
  if (const auto* gm = std::get_if<GroupMod>(&rf.request)) {
    WIRE_TRY_ASSIGN(bytes, encode_group_mod(*gm, version, rf.xid));
    inner = std::move(bytes);
  } else {
    if (version < kOfp13)
      return wire_error(OfpErrorCode::OFPBRC_BAD_VERSION, "meter mods need OpenFlow 1.3");
    inner = encode_meter_mod(std::get<MeterMod>(rf.request), version, rf.xid);
  }
  const OfpRaw raw = version < kOfp13    ? OfpRaw::NXT_REQUESTFORWARD
                     : version == kOfp13 ? OfpRaw::ONFT13_REQUESTFORWARD
                                         : OfpRaw::OFPT14_REQUESTFORWARD;
  Bytes out;
  const size_t start = start_message(out, raw, version, 0);
  out.insert(out.end(), inner.begin(), inner.end());
  finish_message(out, start);
  return out;
}

}  // namespace flowpath::openflow::wire
