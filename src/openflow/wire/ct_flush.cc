// Connection-tracking flush requests (see ct_flush.h).
#include "openflow/wire/ct_flush.h"

#include <cstring>

#include "openflow/wire/ofp_property.h"

namespace flowpath::openflow::wire {

namespace {

enum : uint16_t { kOrigTuple = 0, kReplyTuple = 1, kZone = 2 };
enum : uint16_t {
  kTupleSrc = 0, kTupleDst = 1, kTupleSrcPort = 2, kTupleDstPort = 3, kTupleIcmpId = 4,
  kTupleIcmpType = 5, kTupleIcmpCode = 6,
};
constexpr uint8_t kIpprotoIcmp = 1, kIpprotoIcmpv6 = 58;

// 0 none, 4 IPv4-mapped, 6 IPv6.
int address_family(const uint8_t* a) {
  static const uint8_t kZero[16] = {};
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (!std::memcmp(a, kZero, 16)) return 0;
  return std::memcmp(a, kMapped, 12) ? 6 : 4;
}

WireStatus decode_address(const Property& p, uint8_t* out, int& family) {
  if (p.body.size() < 16)
    return wire_error(OfpErrorCode::OFPBPC_BAD_LEN, "ct flush: address of " +
                                                        std::to_string(p.body.size()) + " bytes");
  std::memcpy(out, p.body.data(), 16);
  const int f = address_family(out);
  if (family && f && family != f)
    return wire_error(OfpErrorCode::OFPBPC_BAD_VALUE,
                      "ct flush: IPv4 and IPv6 addresses in one request");
  family = f;
  return Ok{};
}

WireStatus decode_tuple(const Property& prop, CtFlushTuple& t, int& family) {
  // Nested properties start 8 bytes into the property (4 bytes of padding).
  if (prop.body.size() < 4)
    return wire_error(OfpErrorCode::OFPBPC_BAD_LEN, "ct flush: tuple property too short");
  PropertyReader nested(prop.body.subspan(4), "ct flush tuple");
  while (!nested.empty()) {
    WIRE_TRY_ASSIGN(p, nested.next());
    switch (p.type) {
      case kTupleSrc: WIRE_TRY(decode_address(p, t.src, family)); break;
      case kTupleDst: WIRE_TRY(decode_address(p, t.dst, family)); break;
      case kTupleSrcPort: {
        WIRE_TRY_ASSIGN(v, nested.u16(p));
        t.src_port = v;
        break;
      }
      case kTupleDstPort: {
        WIRE_TRY_ASSIGN(v, nested.u16(p));
        t.dst_port = v;
        break;
      }
      case kTupleIcmpId: {
        WIRE_TRY_ASSIGN(v, nested.u16(p));
        t.icmp_id = v;
        break;
      }
      case kTupleIcmpType: {
        WIRE_TRY_ASSIGN(v, nested.u8(p));
        t.icmp_type = v;
        break;
      }
      case kTupleIcmpCode: {
        WIRE_TRY_ASSIGN(v, nested.u8(p));
        t.icmp_code = v;
        break;
      }
      default: break;  // unknown tuple members are ignored, as Open vSwitch does
    }
  }
  return Ok{};
}

void encode_tuple(WireWriter& w, const CtFlushTuple& t, uint16_t type, uint8_t ip_proto) {
  Bytes nested_bytes;
  WireWriter n(&nested_bytes);
  if (address_family(t.src)) put_property_bytes(n, kTupleSrc, ByteView(t.src, 16));
  if (address_family(t.dst)) put_property_bytes(n, kTupleDst, ByteView(t.dst, 16));
  if (ip_proto == kIpprotoIcmp || ip_proto == kIpprotoIcmpv6) {
    put_property_u16(n, kTupleIcmpId, t.icmp_id);
    put_property_u8(n, kTupleIcmpType, t.icmp_type);
    put_property_u8(n, kTupleIcmpCode, t.icmp_code);
  } else {
    if (t.src_port) put_property_u16(n, kTupleSrcPort, t.src_port);
    if (t.dst_port) put_property_u16(n, kTupleDstPort, t.dst_port);
  }
  if (nested_bytes.empty()) return;
  const size_t start = start_property(w, type);
  w.put_zeros(4);
  w.put_bytes(nested_bytes);
  end_property(w, start);
}

}  // namespace

WireResult<uint16_t> decode_ct_flush_zone(const OfpMessage& msg) {
  return get_u16(msg.body.data() + 6);  // six bytes of padding, then the zone
}

Bytes encode_ct_flush_zone(uint16_t zone, uint8_t version, uint32_t xid) {
  Bytes out;
  const size_t start = start_message(out, OfpRaw::NXT_CT_FLUSH_ZONE, version, xid);
  WireWriter w(&out);
  w.put_zeros(6);
  w.put_u16(zone);
  finish_message(out, start);
  return out;
}

WireResult<CtFlush> decode_ct_flush(const OfpMessage& msg) {
  CtFlush f;
  if (!all_zero(msg.body.subspan(1, 7)))
    return wire_error(OfpErrorCode::NXBRC_MUST_BE_ZERO, "ct flush: padding is not zero");
  f.ip_proto = msg.body[0];
  int family = 0;
  PropertyReader props(msg.body.subspan(8), "ct flush property");
  while (!props.empty()) {
    WIRE_TRY_ASSIGN(p, props.next());
    if (p.type == kOrigTuple) {
      WIRE_TRY(decode_tuple(p, f.orig, family));
    } else if (p.type == kReplyTuple) {
      WIRE_TRY(decode_tuple(p, f.reply, family));
    } else if (p.type == kZone) {
      WIRE_TRY_ASSIGN(zone, props.u16(p));
      f.zone = zone;
    }  // unknown properties are ignored, as Open vSwitch does
  }
  return f;
}

Bytes encode_ct_flush(const CtFlush& flush, uint8_t version, uint32_t xid) {
  Bytes out;
  const size_t start = start_message(out, OfpRaw::NXT_CT_FLUSH, version, xid);
  WireWriter w(&out);
  w.put_u8(flush.ip_proto);
  w.put_zeros(7);
  encode_tuple(w, flush.orig, kOrigTuple, flush.ip_proto);
  encode_tuple(w, flush.reply, kReplyTuple, flush.ip_proto);
  if (flush.zone) put_property_u16(w, kZone, *flush.zone);
  finish_message(out, start);
  return out;
}

}  // namespace flowpath::openflow::wire
