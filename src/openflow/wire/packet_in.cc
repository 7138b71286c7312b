// Packet-ins and NXT_RESUME (see packet_in.h).
#include "openflow/wire/packet_in.h"

#include "openflow/nxm_field.h"
#include "openflow/wire/match_nxm.h"
#include "openflow/wire/ofp_property.h"
#include "openflow/wire/port_desc.h"

namespace flowpath::openflow::wire {

namespace {

enum : uint16_t {
  kPropPacket = 0,
  kPropFullLen = 1,
  kPropBufferId = 2,
  kPropTableId = 3,
  kPropCookie = 4,
  kPropReason = 5,
  kPropMetadata = 6,
  kPropUserdata = 7,
  kPropContinuation = 8,
};

uint8_t reason_for(uint8_t reason, uint8_t version) {
  if (reason >= packet_in_reason::kActionSet && version < kOfp14) return packet_in_reason::kAction;
  return reason;
}

void set_in_port(OfMatch& m, uint32_t of_port) {
  const OfFieldInfo& f = *find_field("in_port_oxm");
  store_nxm_number(f, of_port, m.value.bytes() + f.offset);
  store_nxm_mask_number(f, 0xffffffffu, m.mask.bytes() + f.offset);
}

uint32_t in_port_of(const OfMatch& m) {
  const OfFieldInfo& f = *find_field("in_port_oxm");
  return static_cast<uint32_t>(nxm_number(f, m.value.bytes() + f.offset));
}

// Properties of NXT_PACKET_IN2 and NXT_RESUME.
WireResult<PacketIn> decode_properties(ByteView body, bool loose, std::string_view what) {
  PacketIn pin;
  bool have_packet = false;
  PropertyReader props(body, what);
  while (!props.empty()) {
    WIRE_TRY_ASSIGN(p, props.next());
    switch (p.type) {
      case kPropPacket:
        pin.packet.assign(p.body.begin(), p.body.end());
        have_packet = true;
        break;
      case kPropFullLen: {
        WIRE_TRY_ASSIGN(v, props.u32(p));
        pin.total_len = v;
        break;
      }
      case kPropBufferId: {
        WIRE_TRY_ASSIGN(v, props.u32(p));
        pin.buffer_id = v;
        break;
      }
      case kPropTableId: {
        WIRE_TRY_ASSIGN(v, props.u8(p));
        pin.table_id = v;
        break;
      }
      case kPropCookie: {
        WIRE_TRY_ASSIGN(v, props.u64(p));
        pin.cookie = v;
        break;
      }
      case kPropReason: {
        WIRE_TRY_ASSIGN(v, props.u8(p));
        pin.reason = v;
        break;
      }
      case kPropMetadata: {
        WIRE_TRY_ASSIGN(m, decode_nxm_match(p.body, !loose));
        pin.metadata = m;
        break;
      }
      case kPropUserdata: pin.userdata.assign(p.body.begin(), p.body.end()); break;
      case kPropContinuation:
        // Nested properties start 8-byte aligned: skip the header's padding.
        if (p.body.size() < 4)
          return wire_error(OfpErrorCode::OFPBPC_BAD_LEN,
                            std::string(what) + ": continuation property cut short");
        pin.continuation.assign(p.body.begin() + 4, p.body.end());
        break;
      default: WIRE_TRY(props.unknown(p, loose));
    }
  }
  if (!have_packet || pin.packet.empty())
    return wire_error(OfpErrorCode::OFPBRC_BAD_LEN, std::string(what) + " has no packet");
  if (pin.total_len && pin.total_len < pin.packet.size())
    return wire_error(OfpErrorCode::OFPBRC_BAD_LEN,
                      std::string(what) + ": full length " + std::to_string(pin.total_len) +
                          " is less than the " + std::to_string(pin.packet.size()) +
                          " bytes included");
  if (pin.total_len == pin.packet.size()) pin.total_len = 0;
  return pin;
}

void put_properties(WireWriter& w, const PacketIn& pin, uint8_t version) {
  put_property_bytes(w, kPropPacket, pin.packet);
  if (pin.full_length() != pin.packet.size()) put_property_u32(w, kPropFullLen, pin.full_length());
  put_property_u8(w, kPropTableId, pin.table_id);
  if (pin.cookie != kNoCookie) put_property_u64(w, kPropCookie, pin.cookie);
  put_property_u8(w, kPropReason, reason_for(pin.reason, version));
  size_t s = start_property(w, kPropMetadata);
  put_nxm_match(w, pin.metadata, version);
  end_property(w, s);
}

void put_continuation(WireWriter& w, const Bytes& continuation) {
  if (continuation.empty()) return;
  size_t s = start_property(w, kPropContinuation);
  w.put_zeros(4);
  w.put_bytes(continuation);
  end_property(w, s);
}

}  // namespace

WireResult<PacketIn> decode_packet_in(const OfpMessage& msg, bool loose) {
  WireReader r(msg.body, OfpErrorCode::OFPBRC_BAD_LEN, "packet_in");
  PacketIn pin;
  switch (msg.raw) {
    case OfpRaw::OFPT10_PACKET_IN: {
      WIRE_TRY_ASSIGN(b, r.pull(10, "ofp_packet_in"));
      pin.buffer_id = get_u32(b.data());
      pin.total_len = get_u16(b.data() + 4);
      set_in_port(pin.metadata, port_from_ofp10(get_u16(b.data() + 6)));
      pin.reason = b[8];
      break;
    }
    case OfpRaw::OFPT13_PACKET_IN: {
      WIRE_TRY_ASSIGN(b, r.pull(16, "ofp_packet_in"));
      pin.buffer_id = get_u32(b.data());
      pin.total_len = get_u16(b.data() + 4);
      pin.reason = b[6];
      pin.table_id = b[7];
      pin.cookie = get_u64(b.data() + 8);
      WIRE_TRY_ASSIGN(m, pull_oxm_match(r, !loose));
      pin.metadata = m;
      WIRE_TRY(r.skip(2, "padding"));
      break;
    }
    case OfpRaw::NXT_PACKET_IN: {
      WIRE_TRY_ASSIGN(b, r.pull(24, "nx_packet_in"));
      pin.buffer_id = get_u32(b.data());
      pin.total_len = get_u16(b.data() + 4);
      pin.reason = b[6];
      pin.table_id = b[7];
      pin.cookie = get_u64(b.data() + 8);
      const uint16_t match_len = get_u16(b.data() + 16);
      WIRE_TRY_ASSIGN(entries, r.pull(round_up8(match_len), "nx_match"));
      WIRE_TRY_ASSIGN(m, decode_nxm_match(entries.subspan(0, match_len), !loose));
      pin.metadata = m;
      WIRE_TRY(r.skip(2, "padding"));
      break;
    }
    case OfpRaw::NXT_PACKET_IN2: return decode_properties(msg.body, loose, "NXT_PACKET_IN2");
    default: return wire_error(OfpErrorCode::OFPBRC_BAD_TYPE, "not a packet-in");
  }
  ByteView data = r.rest();
  pin.packet.assign(data.begin(), data.end());
  if (pin.total_len == pin.packet.size()) pin.total_len = 0;
  return pin;
}

Bytes encode_packet_in(const PacketIn& pin, uint8_t version, PacketInFormat format,
                       uint32_t xid) {
  Bytes out;
  WireWriter w(&out);
  size_t start;
  const auto total = static_cast<uint16_t>(std::min<uint32_t>(pin.full_length(), 0xffff));
  if (format == PacketInFormat::kNxt2) {
    start = start_message(out, OfpRaw::NXT_PACKET_IN2, version, xid);
    put_properties(w, pin, version);
    put_continuation(w, pin.continuation);
    if (!pin.userdata.empty()) put_property_bytes(w, kPropUserdata, pin.userdata);
    finish_message(out, start);
    return out;
  }
  if (format == PacketInFormat::kNxt) {
    start = start_message(out, OfpRaw::NXT_PACKET_IN, version, xid);
    w.put_u32(pin.buffer_id);
    w.put_u16(total);
    w.put_u8(reason_for(pin.reason, version));
    w.put_u8(pin.table_id);
    w.put_u64(pin.cookie);
    const size_t match_len_at = w.size();
    w.put_u16(0);
    w.put_zeros(6);
    const size_t match_start = w.size();
    w.patch_u16(match_len_at, static_cast<uint16_t>(put_nxm_match(w, pin.metadata, 0)));
    w.pad_to_8(match_start);
    w.put_zeros(2);
  } else if (version == kOfp10) {
    start = start_message(out, OfpRaw::OFPT10_PACKET_IN, version, xid);
    w.put_u32(pin.buffer_id);
    w.put_u16(total);
    w.put_u16(port_to_ofp10(in_port_of(pin.metadata)));
    w.put_u8(reason_for(pin.reason, version));
    w.put_u8(0);
  } else {
    start = start_message(out, OfpRaw::OFPT13_PACKET_IN, version, xid);
    w.put_u32(pin.buffer_id);
    w.put_u16(total);
    w.put_u8(reason_for(pin.reason, version));
    w.put_u8(pin.table_id);
    w.put_u64(pin.cookie);
    put_oxm_match(w, pin.metadata, version);
    w.put_zeros(2);
  }
  w.put_bytes(pin.packet);
  finish_message(out, start);
  return out;
}

WireResult<PacketIn> decode_resume(const OfpMessage& msg) {
  if (msg.raw != OfpRaw::NXT_RESUME)
    return wire_error(OfpErrorCode::OFPBRC_BAD_TYPE, "not an NXT_RESUME");
  return decode_properties(msg.body, false, "NXT_RESUME");
}

Bytes encode_resume(const PacketIn& pin, uint8_t version, uint32_t xid) {
  Bytes out;
  WireWriter w(&out);
  size_t start = start_message(out, OfpRaw::NXT_RESUME, version, xid);
  put_properties(w, pin, version);
  put_continuation(w, pin.continuation);
  finish_message(out, start);
  return out;
}

}  // namespace flowpath::openflow::wire
