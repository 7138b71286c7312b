// Bundles (see bundle.h).
#include "openflow/wire/bundle.h"

namespace flowpath::openflow::wire {

namespace {

bool bundlable(OfpType type) {
  return type == OfpType::kFlowMod || type == OfpType::kPortMod || type == OfpType::kGroupMod ||
         type == OfpType::kPacketOut;
}

}  // namespace

WireResult<BundleControl> decode_bundle_control(const OfpMessage& msg) {
  // Properties after the fixed part are ignored, as Open vSwitch does.
  const uint8_t* p = msg.body.data();
  return BundleControl{get_u32(p), get_u16(p + 4), get_u16(p + 6)};
}

WireResult<Bytes> encode_bundle_control(const BundleControl& bc, uint8_t version, uint32_t xid) {
  if (version < kOfp13)
    return wire_error(OfpErrorCode::OFPBRC_BAD_VERSION, "bundles need OpenFlow 1.3 or later");
  Bytes out;
  const size_t start = start_message(
      out, version == kOfp13 ? OfpRaw::ONFT13_BUNDLE_CONTROL : OfpRaw::OFPT14_BUNDLE_CONTROL,
      version, xid);
  WireWriter w(&out);
  w.put_u32(bc.bundle_id);
  w.put_u16(bc.type);
  w.put_u16(bc.flags);
  finish_message(out, start);
  return out;
}

WireResult<BundleAdd> decode_bundle_add(const OfpMessage& msg) {
  BundleAdd add;
  add.bundle_id = get_u32(msg.body.data());
  add.flags = get_u16(msg.body.data() + 6);
  ByteView inner = msg.body.subspan(8);
  if (inner.size() < kOfpHeaderLen)
    return wire_error(OfpErrorCode::OFPBFC_MSG_BAD_LEN,
                      "bundle_add: " + std::to_string(inner.size()) +
                          " bytes are too few for a message");
  if (inner[0] != msg.version)
    return wire_error(OfpErrorCode::OFPBFC_BAD_VERSION,
                      "bundle_add: the message is " + version_name(inner[0]) +
                          ", the bundle-add " + version_name(msg.version));
  const size_t inner_len = message_length(inner);
  if (inner_len < kOfpHeaderLen || inner_len > inner.size())
    return wire_error(OfpErrorCode::OFPBFC_MSG_BAD_LEN,
                      "bundle_add: message length " + std::to_string(inner_len) + " with " +
                          std::to_string(inner.size()) + " bytes left");
  if (get_u32(inner.data() + 4) != msg.xid)
    return wire_error(OfpErrorCode::OFPBFC_MSG_BAD_XID,
                      "bundle_add: the message's xid differs from the bundle-add's");
  auto decoded = decode_message(inner.first(inner_len));
  if (!decoded.ok())
    return wire_error(OfpErrorCode::OFPBFC_MSG_UNSUP,
                      "bundle_add: the message does not decode: " + decoded.error().to_string());
  if (!bundlable(decoded->type))
    return wire_error(OfpErrorCode::OFPBFC_MSG_UNSUP,
                      "bundle_add: " + std::string(type_name(decoded->type)) +
                          " may not be bundled");
  add.message = *decoded;
  return add;
}

WireResult<Bytes> encode_bundle_add(uint32_t bundle_id, uint16_t flags, ByteView message,
                                    uint8_t version) {
  if (version < kOfp13)
    return wire_error(OfpErrorCode::OFPBRC_BAD_VERSION, "bundles need OpenFlow 1.3 or later");
  if (message.size() < kOfpHeaderLen || message.size() + 16 + 8 > 65535)
    return wire_error(OfpErrorCode::OFPBFC_MSG_BAD_LEN, "bundle_add: the message does not fit");
  Bytes out;
  const size_t start = start_message(out,
                                     version == kOfp13 ? OfpRaw::ONFT13_BUNDLE_ADD_MESSAGE
                                                       : OfpRaw::OFPT14_BUNDLE_ADD_MESSAGE,
                                     version, get_u32(message.data() + 4));
  WireWriter w(&out);
  w.put_u32(bundle_id);
  w.put_u16(0);
  w.put_u16(flags);
  w.put_bytes(message);
  finish_message(out, start);
  return out;
}

}  // namespace flowpath::openflow::wire
