// Switch configuration messages (see switch_config.h).
#include "openflow/wire/switch_config.h"

namespace flowpath::openflow::wire {

namespace {

constexpr uint16_t kFragMask = 3;

Bytes encode(OfpRaw raw, const SwitchConfig& c, uint8_t version, uint32_t xid) {
  Bytes out;
  WireWriter w(&out);
  size_t start = start_message(out, raw, version, xid);
  w.put_u16(static_cast<uint16_t>(c.frag));
  w.put_u16(c.miss_send_len);
  finish_message(out, start);
  return out;
}

}  // namespace

Bytes encode_get_config_request(uint8_t version, uint32_t xid) {
  Bytes out;
  size_t start = start_message(out, OfpRaw::OFPT_GET_CONFIG_REQUEST, version, xid);
  finish_message(out, start);
  return out;
}

WireResult<SwitchConfig> decode_switch_config(const OfpMessage& msg) {
  if (msg.raw != OfpRaw::OFPT_GET_CONFIG_REPLY && msg.raw != OfpRaw::OFPT_SET_CONFIG)
    return wire_error(OfpErrorCode::OFPBRC_BAD_TYPE, "not a switch configuration");
  const uint16_t flags = get_u16(msg.body.data());
  if (flags & ~kFragMask)
    return wire_error(OfpErrorCode::OFPSCFC_BAD_FLAGS,
                      "switch_config: flags " + std::to_string(flags) + " are unknown");
  return SwitchConfig{static_cast<FragHandling>(flags & kFragMask), get_u16(msg.body.data() + 2)};
}

Bytes encode_get_config_reply(const SwitchConfig& c, uint8_t version, uint32_t xid) {
  return encode(OfpRaw::OFPT_GET_CONFIG_REPLY, c, version, xid);
}

Bytes encode_set_config(const SwitchConfig& c, uint8_t version, uint32_t xid) {
  return encode(OfpRaw::OFPT_SET_CONFIG, c, version, xid);
}

}  // namespace flowpath::openflow::wire
