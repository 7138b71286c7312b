// Asynchronous message configuration (see async_config.h).
#include "openflow/wire/async_config.h"

#include "openflow/wire/ofp_property.h"

namespace flowpath::openflow::wire {

namespace {

constexpr uint32_t kFixedPresent = 0x3f;  // packet-in, port-status, flow-removed, both roles

OfpRaw set_raw(const AsyncConfig& c, uint8_t version) {
  if (version >= kOfp14) return OfpRaw::OFPT14_SET_ASYNC;
  if (c.present & ~kFixedPresent) return OfpRaw::NXT_SET_ASYNC_CONFIG2;
  return version >= kOfp13 ? OfpRaw::OFPT13_SET_ASYNC : OfpRaw::NXT_SET_ASYNC_CONFIG;
}

bool uses_properties(OfpRaw raw) {
  return raw == OfpRaw::OFPT14_SET_ASYNC || raw == OfpRaw::OFPT14_GET_ASYNC_REPLY ||
         raw == OfpRaw::NXT_SET_ASYNC_CONFIG2;
}

// Fixed form: packet-in, port-status, flow-removed masks, primary then
// secondary for each.
void put_fixed(WireWriter& w, const AsyncConfig& c, uint8_t version) {
  for (int type = 0; type < 3; ++type) {
    const uint32_t allowed = async_reasons_allowed(static_cast<AsyncMessage>(type), version);
    w.put_u32(c.primary[type] & allowed);
    w.put_u32(c.secondary[type] & allowed);
  }
}

void put_properties(WireWriter& w, const AsyncConfig& c, uint8_t version, uint32_t present) {
  for (int prop = 0; prop < 2 * kAsyncMessages; ++prop) {
    if (!(present & (1u << prop))) continue;
    const int type = prop / 2;
    const uint32_t mask = (prop & 1) ? c.primary[type] : c.secondary[type];
    put_property_u32(w, static_cast<uint16_t>(prop),
                     mask & async_reasons_allowed(static_cast<AsyncMessage>(type), version));
  }
}

Bytes encode(OfpRaw raw, const AsyncConfig& c, uint8_t version, uint32_t xid, uint32_t present) {
  Bytes out;
  const size_t start = start_message(out, raw, version, xid);
  WireWriter w(&out);
  if (uses_properties(raw)) put_properties(w, c, version, present);
  else put_fixed(w, c, version);
  finish_message(out, start);
  return out;
}

}  // namespace

uint32_t async_reasons_allowed(AsyncMessage type, uint8_t version) {
  switch (type) {
    case AsyncMessage::kPacketIn: return version >= kOfp14 ? 0x3f : 0x7;
    case AsyncMessage::kPortStatus: return 0x7;
    case AsyncMessage::kFlowRemoved: return 0x3f;
    case AsyncMessage::kRoleStatus: return 0x7;
    case AsyncMessage::kTableStatus: return 0x18;
    case AsyncMessage::kRequestForward: return 0x3;
  }
  return 0;
}

WireResult<AsyncConfig> decode_async_config(const OfpMessage& msg, bool loose) {
  AsyncConfig c;
  if (!uses_properties(msg.raw)) {
    const uint8_t* p = msg.body.data();  // 24 bytes, checked by the framing
    for (int type = 0; type < 3; ++type) {
      const uint32_t allowed = async_reasons_allowed(static_cast<AsyncMessage>(type), msg.version);
      c.primary[type] = get_u32(p + 8 * type) & allowed;
      c.secondary[type] = get_u32(p + 8 * type + 4) & allowed;
    }
    c.present = kFixedPresent;
    return c;
  }
  PropertyReader props(msg.body, "async config property", 8, 0xfffe);
  while (!props.empty()) {
    WIRE_TRY_ASSIGN(prop, props.next());
    if (prop.type >= 2 * kAsyncMessages) {
      auto unknown = props.unknown(prop, loose);
      if (!unknown.ok() && unknown.error().code == OfpErrorCode::OFPBPC_BAD_TYPE)
        return wire_error(OfpErrorCode::OFPACFC_UNSUPPORTED, unknown.error().detail);
      WIRE_TRY(unknown);
      continue;
    }
    WIRE_TRY_ASSIGN(mask, props.u32(prop));
    const int type = prop.type / 2;
    const uint32_t allowed = async_reasons_allowed(static_cast<AsyncMessage>(type), msg.version);
    if ((mask & ~allowed) && !loose)
      return wire_error(OfpErrorCode::OFPACFC_INVALID,
                        "async config: property " + std::to_string(prop.type) + " has reasons " +
                            std::to_string(mask & ~allowed) + " that " +
                            version_name(msg.version) + " does not define");
    ((prop.type & 1) ? c.primary : c.secondary)[type] = mask & allowed;
    c.present |= 1u << prop.type;
  }
  return c;
}

Bytes encode_set_async_config(const AsyncConfig& config, uint8_t version, uint32_t xid) {
  return encode(set_raw(config, version), config, version, xid, config.present);
}

Bytes encode_get_async_request(uint8_t version, uint32_t xid) {
  Bytes out;
  const size_t start = start_message(
      out, version >= kOfp14 ? OfpRaw::OFPT14_GET_ASYNC_REQUEST : OfpRaw::OFPT13_GET_ASYNC_REQUEST,
      version, xid);
  finish_message(out, start);
  return out;
}

Bytes encode_get_async_reply(const AsyncConfig& config, uint8_t version, uint32_t xid) {
  return encode(version >= kOfp14 ? OfpRaw::OFPT14_GET_ASYNC_REPLY : OfpRaw::OFPT13_GET_ASYNC_REPLY,
                config, version, xid, (1u << (2 * kAsyncMessages)) - 1);
}

}  // namespace flowpath::openflow::wire
