// Open vSwitch's session-control extensions (see nx_control.h).
#include "openflow/wire/nx_control.h"

namespace flowpath::openflow::wire {

namespace {

Bytes message(OfpRaw raw, uint8_t version, uint32_t xid, const uint8_t* body, size_t n) {
  Bytes out;
  const size_t start = start_message(out, raw, version, xid);
  out.insert(out.end(), body, body + n);
  finish_message(out, start);
  return out;
}

}  // namespace

WireResult<FlowFormat> decode_set_flow_format(const OfpMessage& msg) {
  const uint32_t format = get_u32(msg.body.data());  // the framing fixed the length
  if (format != 0 && format != 2)
    return wire_error(OfpErrorCode::OFPBRC_EPERM,
                      "NXT_SET_FLOW_FORMAT: flow format " + std::to_string(format) +
                          " is unknown (0 openflow10, 2 nxm)");
  return static_cast<FlowFormat>(format);
}

Bytes encode_set_flow_format(FlowFormat format, uint32_t xid) {
  uint8_t body[4];
  put_u32_at(body, static_cast<uint32_t>(format));
  return message(OfpRaw::NXT_SET_FLOW_FORMAT, kOfp10, xid, body, sizeof body);
}

WireResult<bool> decode_flow_mod_table_id(const OfpMessage& msg) {
  // Any nonzero byte enables, as in Open vSwitch; the padding is not checked.
  return msg.body[0] != 0;
}

Bytes encode_flow_mod_table_id(bool enable, uint8_t version, uint32_t xid) {
  uint8_t body[8] = {static_cast<uint8_t>(enable)};
  return message(OfpRaw::NXT_FLOW_MOD_TABLE_ID, version, xid, body, sizeof body);
}

WireResult<PacketInFormat> decode_set_packet_in_format(const OfpMessage& msg) {
  const uint32_t format = get_u32(msg.body.data());
  if (format > 2)
    return wire_error(OfpErrorCode::OFPBRC_EPERM,
                      "NXT_SET_PACKET_IN_FORMAT: format " + std::to_string(format) +
                          " is unknown (0 standard, 1 nxt_packet_in, 2 nxt_packet_in2)");
  return static_cast<PacketInFormat>(format);
}

Bytes encode_set_packet_in_format(PacketInFormat format, uint8_t version, uint32_t xid) {
  uint8_t body[4];
  put_u32_at(body, static_cast<uint8_t>(format));
  return message(OfpRaw::NXT_SET_PACKET_IN_FORMAT, version, xid, body, sizeof body);
}

WireResult<uint16_t> decode_set_controller_id(const OfpMessage& msg) {
  return get_u16(msg.body.data() + 6);  // six bytes of padding, then the id
}

Bytes encode_set_controller_id(uint16_t id, uint8_t version, uint32_t xid) {
  uint8_t body[8] = {};
  put_u16_at(body + 6, id);
  return message(OfpRaw::NXT_SET_CONTROLLER_ID, version, xid, body, sizeof body);
}

}  // namespace flowpath::openflow::wire
