// OFPT_ERROR (see error_message.h).
#include "openflow/wire/error_message.h"

namespace flowpath::openflow::wire {

namespace {

constexpr uint16_t kNxetVendor = 0xb0c2;    // OpenFlow 1.0/1.1 vendor error type
constexpr uint16_t kNxvcVendorError = 0;    // its code
constexpr uint16_t kOfpetExperimenter = 0xffff;

}  // namespace

WireResult<ErrorMessage> decode_error_message(const OfpMessage& msg) {
  WireReader r(msg.body, OfpErrorCode::OFPBRC_BAD_LEN, "error");
  ErrorMessage out;
  WIRE_TRY_ASSIGN(type, r.u16("type"));
  WIRE_TRY_ASSIGN(code, r.u16("code"));
  out.triplet = ErrorTriplet{0, type, code};
  if (type == kNxetVendor && code == kNxvcVendorError) {
    WIRE_TRY_ASSIGN(vendor, r.u32("vendor"));
    WIRE_TRY_ASSIGN(vendor_type, r.u16("vendor type"));
    WIRE_TRY_ASSIGN(vendor_code, r.u16("vendor code"));
    out.triplet = ErrorTriplet{vendor, vendor_type, vendor_code};
  } else if (type == kOfpetExperimenter) {
    WIRE_TRY_ASSIGN(experimenter, r.u32("experimenter"));
    out.triplet = ErrorTriplet{experimenter, code, 0};
  }
  out.code = error_from_triplet(out.triplet, msg.version);
  ByteView rest = r.rest();
  out.data.assign(rest.begin(), rest.end());
  return out;
}

Bytes encode_error(OfpErrorCode code, uint8_t version, uint32_t xid, ByteView data) {
  if (!version_supported(version)) version = kOfp10;
  std::optional<ErrorTriplet> triplet = error_triplet(code, version);
  if (!triplet) triplet = error_triplet(OfpErrorCode::NXBRC_UNENCODABLE_ERROR, version);
  Bytes out;
  size_t start = start_message(out, OfpRaw::OFPT_ERROR, version, xid);
  WireWriter w(&out);
  if (triplet->vendor == 0) {
    w.put_u16(triplet->type);
    w.put_u16(triplet->code);
  } else if (version < kOfp12) {
    w.put_u16(kNxetVendor);
    w.put_u16(kNxvcVendorError);
    w.put_u32(triplet->vendor);
    w.put_u16(triplet->type);
    w.put_u16(triplet->code);
  } else {
    w.put_u16(kOfpetExperimenter);
    w.put_u16(triplet->type);
    w.put_u32(triplet->vendor);
  }
  size_t room = 0xffff - (out.size() - start);
  w.put_bytes(data.subspan(0, std::min(room, data.size())));
  finish_message(out, start);
  return out;
}

Bytes encode_error_reply(OfpErrorCode code, ByteView request) {
  uint8_t version = request.size() >= 1 ? request[0] : kOfp10;
  uint32_t xid = request.size() >= 8 ? get_u32(request.data() + 4) : 0;
  return encode_error(code, version, xid, request);
}

}  // namespace flowpath::openflow::wire
