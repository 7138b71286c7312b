// OFPT_PACKET_OUT (see packet_out.h).
#include "openflow/wire/packet_out.h"

#include "openflow/nxm_field.h"
#include "openflow/wire/action_codec.h"
#include "openflow/wire/match_nxm.h"
#include "openflow/wire/port_desc.h"

namespace flowpath::openflow::wire {

namespace {

// Pipeline fields: metadata that exists before the packet is parsed.
bool is_pipeline_field(const OfFieldInfo& f) {
  return f.offset < offsetof(OfFlow, key) + offsetof(FlowKey, eth_src) ||
         f.offset >= offsetof(OfFlow, metadata);
}

const OfFieldInfo& in_port_field() { return *find_field("in_port_oxm"); }

}  // namespace

WireResult<PacketOut> decode_packet_out(const OfpMessage& msg) {
  PacketOut po;
  WireReader r(msg.body, OfpErrorCode::OFPBRC_BAD_LEN, "packet_out");
  uint16_t actions_len;
  if (msg.raw == OfpRaw::OFPT10_PACKET_OUT) {
    WIRE_TRY_ASSIGN(b, r.pull(8, "ofp_packet_out"));
    po.buffer_id = get_u32(b.data());
    po.in_port = port_from_ofp10(get_u16(b.data() + 4));
    actions_len = get_u16(b.data() + 6);
  } else if (msg.raw == OfpRaw::OFPT11_PACKET_OUT) {
    WIRE_TRY_ASSIGN(b, r.pull(16, "ofp_packet_out"));
    po.buffer_id = get_u32(b.data());
    WIRE_TRY_ASSIGN(port, port_from_ofp11(get_u32(b.data() + 4), "packet_out in_port"));
    po.in_port = port;
    actions_len = get_u16(b.data() + 8);
  } else if (msg.raw == OfpRaw::OFPT15_PACKET_OUT) {
    WIRE_TRY_ASSIGN(b, r.pull(8, "ofp_packet_out"));
    po.buffer_id = get_u32(b.data());
    actions_len = get_u16(b.data() + 4);
    WIRE_TRY_ASSIGN(m, pull_oxm_match(r, false));
    const OfFieldInfo& port = in_port_field();
    if (all_zero(ByteView(m.mask.bytes() + port.offset, port.bytes)))
      return wire_error(OfpErrorCode::OFPBRC_BAD_PORT, "packet_out: the match has no in_port");
    for (const OfFieldInfo& f : all_fields())
      if (!is_pipeline_field(f) && !all_zero(ByteView(m.mask.bytes() + f.offset, f.bytes)))
        return wire_error(OfpErrorCode::OFPBRC_PIPELINE_FIELDS_ONLY,
                          "packet_out: " + std::string(f.name) + " is not a pipeline field");
    po.in_port = static_cast<uint32_t>(nxm_number(port, m.value.bytes() + port.offset));
    std::memset(m.value.bytes() + port.offset, 0, port.bytes);
    std::memset(m.mask.bytes() + port.offset, 0, port.bytes);
    po.metadata = m;
  } else {
    return wire_error(OfpErrorCode::OFPBRC_BAD_TYPE, "not a packet_out");
  }
  if (actions_len % 8 || actions_len > r.remaining())
    return wire_error(OfpErrorCode::OFPBRC_BAD_LEN,
                      "packet_out: actions length " + std::to_string(actions_len) +
                          (actions_len % 8 ? " is not a multiple of 8" : " overruns the message"));
  WIRE_TRY_ASSIGN(actions_bytes, r.pull(actions_len, "actions"));
  WIRE_TRY_ASSIGN(actions, decode_actions(actions_bytes, msg.version));
  po.actions = std::move(actions);
  const uint32_t p = po.in_port;
  if (p >= 0xff00 && p != kOfppLocal && p != kOfppAny && p != kOfppController)
    return wire_error(OfpErrorCode::OFPBRC_BAD_PORT,
                      "packet_out: in_port " + std::to_string(p) + " is not allowed");
  if (po.buffer_id == kNoBuffer) {
    ByteView data = r.rest();
    po.packet.assign(data.begin(), data.end());
  }
  return po;
}

Bytes encode_packet_out(const PacketOut& po, uint8_t version, uint32_t xid) {
  Bytes out;
  WireWriter w(&out);
  size_t start, actions_len_at, actions_start;
  if (version == kOfp10) {
    start = start_message(out, OfpRaw::OFPT10_PACKET_OUT, version, xid);
    w.put_u32(po.buffer_id);
    w.put_u16(port_to_ofp10(po.in_port));
    actions_len_at = w.size();
    w.put_u16(0);
  } else if (version < kOfp15) {
    start = start_message(out, OfpRaw::OFPT11_PACKET_OUT, version, xid);
    w.put_u32(po.buffer_id);
    w.put_u32(po.in_port);
    actions_len_at = w.size();
    w.put_u16(0);
    w.put_zeros(6);
  } else {
    start = start_message(out, OfpRaw::OFPT15_PACKET_OUT, version, xid);
    w.put_u32(po.buffer_id);
    actions_len_at = w.size();
    w.put_u16(0);
    w.put_zeros(2);
    OfMatch m = po.metadata;
    const OfFieldInfo& port = in_port_field();
    store_nxm_number(port, po.in_port, m.value.bytes() + port.offset);
    store_nxm_mask_number(port, 0xffffffffu, m.mask.bytes() + port.offset);
    put_oxm_match(w, m, version);
  }
  actions_start = w.size();
  encode_actions(w, po.actions, version, nullptr);
  w.patch_u16(actions_len_at, static_cast<uint16_t>(w.size() - actions_start));
  if (po.buffer_id == kNoBuffer) w.put_bytes(po.packet);
  finish_message(out, start);
  return out;
}

}  // namespace flowpath::openflow::wire
