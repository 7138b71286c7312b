// Output actions: output (1.0 and 1.1+ forms), enqueue, output to a register
// (output_reg, output_reg2), truncated output, controller and controller2
// (userdata, pause, meter), group, set_queue and pop_queue.
#include "openflow/wire/action_internal.h"
#include "openflow/wire/ofp_property.h"
#include "openflow/wire/port_desc.h"

namespace flowpath::openflow::wire::action_wire {

namespace {

enum : uint16_t {
  kNxac2ptMaxLen = 0,
  kNxac2ptControllerId = 1,
  kNxac2ptReason = 2,
  kNxac2ptUserdata = 3,
  kNxac2ptPause = 4,
  kNxac2ptMeterId = 5,
};

// Output ports: ordinary ports below 0xff00 and the reserved ports IN_PORT
// through LOCAL (not ANY/NONE).
WireStatus check_output_port(const RawAction& a, uint32_t port) {
  if (port < 0xff00 || (port >= kOfppInPort && port <= kOfppLocal)) return Ok{};
  return a.error(OfpErrorCode::OFPBAC_BAD_OUT_PORT,
                 "port " + std::to_string(port) + " is not a valid output port");
}

WireResult<uint32_t> port_of11(const RawAction& a, uint32_t port) {
  if (port < 0xff00 || port >= 0xfffffff8u) return port;
  return a.error(OfpErrorCode::OFPBAC_BAD_OUT_PORT,
                 "port " + std::to_string(port) + " is neither ordinary nor reserved");
}

WireStatus decode_controller2(const RawAction& a, Actions& out) {
  if (!all_zero(a.bytes.subspan(10, 6)))
    return a.error(OfpErrorCode::NXBRC_MUST_BE_ZERO, "padding is not zero");
  action::Controller c;
  c.controller2_form = true;
  PropertyReader props(a.bytes.subspan(16), "NXAST_CONTROLLER2");
  while (!props.empty()) {
    WIRE_TRY_ASSIGN(p, props.next());
    switch (p.type) {
      case kNxac2ptMaxLen: {
        WIRE_TRY_ASSIGN(v, props.u16(p));
        c.max_len = v;
        break;
      }
      case kNxac2ptControllerId: {
        WIRE_TRY_ASSIGN(v, props.u16(p));
        c.controller_id = v;
        break;
      }
      case kNxac2ptReason: {
        WIRE_TRY_ASSIGN(v, props.u8(p));
        c.reason = v;
        break;
      }
      case kNxac2ptUserdata: c.userdata.assign(p.body.begin(), p.body.end()); break;
      case kNxac2ptPause: {
        WIRE_TRY(props.flag(p));
        c.pause = true;
        break;
      }
      case kNxac2ptMeterId: {
        WIRE_TRY_ASSIGN(v, props.u32(p));
        c.meter_id = v;
        break;
      }
      default: WIRE_TRY(props.unknown(p, false));
    }
  }
  out.emplace_back(std::move(c));
  return Ok{};
}

}  // namespace

WireStatus decode_output_family(const RawAction& a, Actions& out) {
  const uint8_t* p = a.bytes.data();
  switch (a.info->raw) {
    case ActionRaw::OFPAT10_OUTPUT: {
      uint32_t port = port_from_ofp10(get_u16(p + 4));
      WIRE_TRY(check_output_port(a, port));
      out.emplace_back(action::Output{port, get_u16(p + 6)});
      return Ok{};
    }
    case ActionRaw::OFPAT11_OUTPUT: {
      WIRE_TRY_ASSIGN(port, port_of11(a, get_u32(p + 4)));
      WIRE_TRY(check_output_port(a, port));
      out.emplace_back(action::Output{port, get_u16(p + 8)});
      return Ok{};
    }
    case ActionRaw::OFPAT10_ENQUEUE: {
      uint32_t port = port_from_ofp10(get_u16(p + 4));
      if (port >= 0xff00 && port != kOfppInPort && port != kOfppLocal)
        return a.error(OfpErrorCode::OFPBAC_BAD_OUT_PORT,
                       "cannot enqueue to port " + std::to_string(port));
      out.emplace_back(action::Enqueue{port, get_u32(p + 12)});
      return Ok{};
    }
    case ActionRaw::NXAST_OUTPUT_REG: {
      if (!all_zero(a.bytes.subspan(18, 6)))
        return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT, "reserved bytes are not zero");
      uint16_t ofs_n = get_u16(p + 10);
      WIRE_TRY_ASSIGN(src, subfield_from_header(a, get_u32(p + 12), ofs_n >> 6, (ofs_n & 63) + 1));
      out.emplace_back(action::OutputReg{src, get_u16(p + 16), false});
      return Ok{};
    }
    case ActionRaw::NXAST_OUTPUT_REG2: {
      uint16_t ofs_n = get_u16(p + 10);
      WireReader r = a.reader(14);
      WIRE_TRY_ASSIGN(src, pull_subfield_header(a, r, ofs_n >> 6, (ofs_n & 63) + 1));
      if (!all_zero(r.rest())) return a.error(OfpErrorCode::NXBRC_MUST_BE_ZERO, "padding is not zero");
      out.emplace_back(action::OutputReg{src, get_u16(p + 12), true});
      return Ok{};
    }
    case ActionRaw::NXAST_OUTPUT_TRUNC: {
      uint32_t max_len = get_u32(p + 12);
      if (max_len < 14)
        return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT,
                       "max_len " + std::to_string(max_len) + " is shorter than an Ethernet header");
      out.emplace_back(action::OutputTrunc{port_from_ofp10(get_u16(p + 10)), max_len});
      return Ok{};
    }
    case ActionRaw::NXAST_CONTROLLER: {
      action::Controller c;
      c.max_len = get_u16(p + 10);
      c.controller_id = get_u16(p + 12);
      c.reason = p[14];
      out.emplace_back(std::move(c));
      return Ok{};
    }
    case ActionRaw::NXAST_CONTROLLER2: return decode_controller2(a, out);
    case ActionRaw::NXAST_GROUP:
    case ActionRaw::OFPAT11_GROUP:
      out.emplace_back(action::Group{static_cast<uint32_t>(a.arg)});
      return Ok{};
    case ActionRaw::NXAST_SET_QUEUE:
    case ActionRaw::OFPAT11_SET_QUEUE:
      out.emplace_back(action::SetQueue{static_cast<uint32_t>(a.arg)});
      return Ok{};
    case ActionRaw::NXAST_POP_QUEUE: out.emplace_back(action::PopQueue{}); return Ok{};
    default: return a.error(OfpErrorCode::OFPBAC_BAD_TYPE, "not an output action");
  }
}

void encode_action(const action::Output& a, ActionEncoder& e) {
  if (e.version == kOfp10) {
    size_t s = e.put_raw(ActionRaw::OFPAT10_OUTPUT);
    put_u16_at(e.w.at(s + 4), port_to_ofp10(a.port));
    put_u16_at(e.w.at(s + 6), a.max_len);
  } else {
    size_t s = e.put_raw(ActionRaw::OFPAT11_OUTPUT);
    put_u32_at(e.w.at(s + 4), a.port);
    put_u16_at(e.w.at(s + 8), a.max_len);
  }
}

void encode_action(const action::Enqueue& a, ActionEncoder& e) {
  if (e.version == kOfp10) {
    size_t s = e.put_raw(ActionRaw::OFPAT10_ENQUEUE);
    put_u16_at(e.w.at(s + 4), port_to_ofp10(a.port));
    put_u32_at(e.w.at(s + 12), a.queue);
    return;
  }
  // OpenFlow 1.1+ has no enqueue: set the queue, output, restore the queue.
  e.put_raw(ActionRaw::OFPAT11_SET_QUEUE, a.queue);
  encode_action(action::Output{a.port, 0xffff}, e);
  e.put_raw(ActionRaw::NXAST_POP_QUEUE);
}

void encode_action(const action::OutputReg& a, ActionEncoder& e) {
  const uint32_t header = nxm_header32(*a.src.field);
  if (a.reg2_form || !header) {
    size_t s = e.put_raw(ActionRaw::NXAST_OUTPUT_REG2);
    put_u16_at(e.w.at(s + 10), ofs_nbits(a.src.ofs, a.src.n_bits));
    put_u16_at(e.w.at(s + 12), a.max_len);
    Bytes h;
    WireWriter hw(&h);
    put_nxm_header(hw, *nxm_field_for(*a.src.field, 0), false);
    std::copy(h.begin(), h.end(), e.w.at(s + 14));
    return;
  }
  size_t s = e.put_raw(ActionRaw::NXAST_OUTPUT_REG);
  put_u16_at(e.w.at(s + 10), ofs_nbits(a.src.ofs, a.src.n_bits));
  put_u32_at(e.w.at(s + 12), header);
  put_u16_at(e.w.at(s + 16), a.max_len);
}

void encode_action(const action::OutputTrunc& a, ActionEncoder& e) {
  size_t s = e.put_raw(ActionRaw::NXAST_OUTPUT_TRUNC);
  put_u16_at(e.w.at(s + 10), port_to_ofp10(a.port));
  put_u32_at(e.w.at(s + 12), a.max_len);
}

void encode_action(const action::Controller& a, ActionEncoder& e) {
  if (!a.userdata.empty() || a.pause || a.meter_id != 0xffffffff || a.controller2_form) {
    size_t s = e.put_raw(ActionRaw::NXAST_CONTROLLER2);
    if (a.max_len != 0xffff) put_property_u16(e.w, kNxac2ptMaxLen, a.max_len);
    if (a.controller_id) put_property_u16(e.w, kNxac2ptControllerId, a.controller_id);
    if (a.reason != 1) put_property_u8(e.w, kNxac2ptReason, a.reason);
    if (!a.userdata.empty()) put_property_bytes(e.w, kNxac2ptUserdata, a.userdata);
    if (a.pause) put_property_flag(e.w, kNxac2ptPause);
    if (a.meter_id != 0xffffffff) put_property_u32(e.w, kNxac2ptMeterId, a.meter_id);
    e.finish(s);
    return;
  }
  size_t s = e.put_raw(ActionRaw::NXAST_CONTROLLER);
  put_u16_at(e.w.at(s + 10), a.max_len);
  put_u16_at(e.w.at(s + 12), a.controller_id);
  *e.w.at(s + 14) = a.reason;
}

void encode_action(const action::Group& a, ActionEncoder& e) {
  e.put_raw(e.version == kOfp10 ? ActionRaw::NXAST_GROUP : ActionRaw::OFPAT11_GROUP, a.group_id);
}

void encode_action(const action::SetQueue& a, ActionEncoder& e) {
  e.put_raw(e.version == kOfp10 ? ActionRaw::NXAST_SET_QUEUE : ActionRaw::OFPAT11_SET_QUEUE,
            a.queue_id);
}

void encode_action(const action::PopQueue&, ActionEncoder& e) {
  e.put_raw(ActionRaw::NXAST_POP_QUEUE);
}

}  // namespace flowpath::openflow::wire::action_wire
