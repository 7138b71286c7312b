// Port status and port mod (see port_status.h).
#include "openflow/wire/port_status.h"

#include "openflow/nxm_field.h"
#include "openflow/wire/ofp_property.h"

namespace flowpath::openflow::wire {

namespace {

constexpr uint16_t kPortModPropEthernet = 0;

}  // namespace

WireResult<PortStatus> decode_port_status(const OfpMessage& msg) {
  WireReader r(msg.body, OfpErrorCode::OFPBRC_BAD_LEN, "port_status");
  WIRE_TRY_ASSIGN(reason, r.u8("reason"));
  WIRE_TRY(r.skip(7, "padding"));
  if (reason > 2)
    return wire_error(OfpErrorCode::NXBRC_BAD_REASON,
                      "port_status: reason " + std::to_string(reason) + " is unknown");
  WIRE_TRY_ASSIGN(desc, decode_port_desc(r, msg.version));
  return PortStatus{static_cast<PortReason>(reason), desc};
}

Bytes encode_port_status(const PortStatus& ps, uint8_t version, uint32_t xid) {
  Bytes out;
  WireWriter w(&out);
  OfpRaw raw = version == kOfp10   ? OfpRaw::OFPT10_PORT_STATUS
               : version < kOfp14 ? OfpRaw::OFPT11_PORT_STATUS
                                  : OfpRaw::OFPT14_PORT_STATUS;
  size_t start = start_message(out, raw, version, xid);
  w.put_u8(static_cast<uint8_t>(ps.reason));
  w.put_zeros(7);
  encode_port_desc(ps.desc, version, w);
  finish_message(out, start);
  return out;
}

WireResult<PortMod> decode_port_mod(const OfpMessage& msg) {
  PortMod pm;
  WireReader r(msg.body, OfpErrorCode::OFPBRC_BAD_LEN, "port_mod");
  if (msg.raw == OfpRaw::OFPT10_PORT_MOD) {
    WIRE_TRY_ASSIGN(b, r.pull(24, "ofp_port_mod"));
    pm.port_no = port_from_ofp10(get_u16(b.data()));
    std::copy(b.begin() + 2, b.begin() + 8, pm.hw_addr);
    pm.config = get_u32(b.data() + 8) & port_config::kAll10;
    pm.mask = get_u32(b.data() + 12) & port_config::kAll10;
    pm.advertise = port_features::from_ofp10(get_u32(b.data() + 16));
  } else {
    WIRE_TRY_ASSIGN(b, r.pull(msg.raw == OfpRaw::OFPT11_PORT_MOD ? 32 : 24, "ofp_port_mod"));
    WIRE_TRY_ASSIGN(port, port_from_ofp11(get_u32(b.data()), "port_mod"));
    pm.port_no = port;
    std::copy(b.begin() + 8, b.begin() + 14, pm.hw_addr);
    pm.config = get_u32(b.data() + 16) & port_config::kAll11;
    pm.mask = get_u32(b.data() + 20) & port_config::kAll11;
    if (msg.raw == OfpRaw::OFPT11_PORT_MOD) {
      pm.advertise = get_u32(b.data() + 24);
    } else {
      PropertyReader props(r.rest(), "port_mod");
      while (!props.empty()) {
        WIRE_TRY_ASSIGN(p, props.next());
        if (p.type == kPortModPropEthernet) {
          WIRE_TRY_ASSIGN(v, props.u32(p));
          pm.advertise = v;
        } else {
          WIRE_TRY(props.unknown(p, false));
        }
      }
    }
  }
  pm.config &= pm.mask;
  return pm;
}

Bytes encode_port_mod(const PortMod& pm, uint8_t version, uint32_t xid) {
  Bytes out;
  WireWriter w(&out);
  size_t start;
  if (version == kOfp10) {
    start = start_message(out, OfpRaw::OFPT10_PORT_MOD, version, xid);
    w.put_u16(port_to_ofp10(pm.port_no));
    w.put_bytes(pm.hw_addr, 6);
    w.put_u32(pm.config & port_config::kAll10);
    w.put_u32(pm.mask & port_config::kAll10);
    w.put_u32(port_features::to_ofp10(pm.advertise));
    w.put_zeros(4);
  } else {
    start = start_message(out, version < kOfp14 ? OfpRaw::OFPT11_PORT_MOD : OfpRaw::OFPT14_PORT_MOD,
                          version, xid);
    w.put_u32(pm.port_no);
    w.put_zeros(4);
    w.put_bytes(pm.hw_addr, 6);
    w.put_zeros(2);
    w.put_u32(pm.config & port_config::kAll11);
    w.put_u32(pm.mask & port_config::kAll11);
    if (version < kOfp14) {
      w.put_u32(pm.advertise);
      w.put_zeros(4);
    } else if (pm.advertise) {
      put_property_u32(w, kPortModPropEthernet, pm.advertise);
    }
  }
  finish_message(out, start);
  return out;
}

}  // namespace flowpath::openflow::wire
