// Meters (see meter.h).
#include "openflow/wire/meter.h"

namespace flowpath::openflow::wire {

namespace {

constexpr uint16_t kFlagKbps = 1, kFlagPktps = 2, kFlagBurst = 4, kFlagStats = 8;
constexpr size_t kBandLen = 16;
constexpr size_t kMeterConfigLen = 8;
constexpr size_t kMeterStatsLen = 40;
constexpr size_t kBandStatsLen = 16;

uint16_t meter_flags(const MeterSpec& m) {
  return static_cast<uint16_t>((m.pktps ? kFlagPktps : kFlagKbps) | (m.burst ? kFlagBurst : 0) |
                               (m.stats ? kFlagStats : 0));
}

void set_meter_flags(MeterSpec& m, uint16_t flags) {
  m.pktps = flags & kFlagPktps;
  m.burst = flags & kFlagBurst;
  m.stats = flags & kFlagStats;
}

WireResult<std::vector<MeterBandSpec>> decode_bands(ByteView bytes) {
  std::vector<MeterBandSpec> bands;
  size_t pos = 0;
  while (bytes.size() - pos >= kBandLen) {
    const uint8_t* p = bytes.data() + pos;
    // Every band type Open vSwitch knows is 16 bytes long.
    if (get_u16(p + 2) != kBandLen)
      return wire_error(OfpErrorCode::OFPBRC_BAD_LEN,
                        "meter band of length " + std::to_string(get_u16(p + 2)) +
                            " (16 expected)");
    MeterBandSpec band;
    const uint16_t type = get_u16(p);
    if (type != static_cast<uint16_t>(OfMeterBandType::kDrop) &&
        type != static_cast<uint16_t>(OfMeterBandType::kDscpRemark))
      return wire_error(OfpErrorCode::OFPMMFC_BAD_BAND,
                        "meter band type " + std::to_string(type) + " is not supported");
    band.type = static_cast<OfMeterBandType>(type);
    band.rate = get_u32(p + 4);
    band.burst_size = get_u32(p + 8);
    band.prec_level = band.type == OfMeterBandType::kDscpRemark ? p[12] : 0;
    bands.push_back(band);
    pos += kBandLen;
  }
  if (pos != bytes.size())
    return wire_error(OfpErrorCode::OFPBRC_BAD_LEN,
                      "meter bands end with " + std::to_string(bytes.size() - pos) +
                          " leftover bytes");
  return bands;
}

void encode_bands(WireWriter& w, const std::vector<MeterBandSpec>& bands) {
  for (const MeterBandSpec& b : bands) {
    w.put_u16(static_cast<uint16_t>(b.type));
    w.put_u16(kBandLen);
    w.put_u32(static_cast<uint32_t>(b.rate));
    w.put_u32(static_cast<uint32_t>(b.burst_size));
    w.put_u8(b.prec_level);
    w.put_zeros(3);
  }
}

}  // namespace

WireResult<MeterMod> decode_meter_mod(const OfpMessage& msg) {
  WireReader r(msg.body, OfpErrorCode::OFPBRC_BAD_LEN, "meter_mod");
  WIRE_TRY_ASSIGN(command, r.u16("command"));
  WIRE_TRY_ASSIGN(flags, r.u16("flags"));
  WIRE_TRY_ASSIGN(meter_id, r.u32("meter_id"));
  if (command > 2)
    return wire_error(OfpErrorCode::OFPMMFC_BAD_COMMAND,
                      "meter_mod: command " + std::to_string(command) + " is unknown");
  MeterMod mm;
  mm.command = static_cast<MeterModCommand>(command);
  mm.meter.meter_id = meter_id;
  if (mm.command == MeterModCommand::kDelete) return mm;
  if ((flags & kFlagKbps) && (flags & kFlagPktps))
    return wire_error(OfpErrorCode::OFPMMFC_BAD_FLAGS,
                      "meter_mod: a meter counts kbps or pktps, not both");
  set_meter_flags(mm.meter, flags);
  WIRE_TRY_ASSIGN(bands, decode_bands(r.rest()));
  mm.meter.bands = std::move(bands);
  return mm;
}

Bytes encode_meter_mod(const MeterMod& mm, uint8_t version, uint32_t xid) {
  Bytes out;
  const size_t start = start_message(out, OfpRaw::OFPT13_METER_MOD, version, xid);
  WireWriter w(&out);
  w.put_u16(static_cast<uint16_t>(mm.command));
  const bool del = mm.command == MeterModCommand::kDelete;
  w.put_u16(del ? 0 : meter_flags(mm.meter));
  w.put_u32(mm.meter.meter_id);
  if (!del) encode_bands(w, mm.meter.bands);
  finish_message(out, start);
  return out;
}

Bytes encode_meter_request(MeterRequestKind kind, uint32_t meter_id, uint8_t version,
                           uint32_t xid) {
  if (kind == MeterRequestKind::kFeatures)
    return encode_multipart_request(OfpRaw::OFPST13_METER_FEATURES_REQUEST, version, xid);
  uint8_t body[8] = {};
  put_u32_at(body, meter_id);
  return encode_multipart_request(kind == MeterRequestKind::kStats
                                      ? OfpRaw::OFPST13_METER_REQUEST
                                      : OfpRaw::OFPST13_METER_CONFIG_REQUEST,
                                  version, xid, body);
}

WireResult<uint32_t> decode_meter_request(const OfpMessage& msg) {
  // The framing fixed the body at 8 bytes: meter_id and padding.
  return get_u32(msg.body.data());
}

std::vector<Bytes> encode_meter_stats_reply(const std::vector<MeterStats>& stats,
                                            uint8_t version, uint32_t xid) {
  MultipartReply reply(OfpRaw::OFPST13_METER_REPLY, version, xid);
  WireWriter& w = reply.writer();
  for (const MeterStats& s : stats) {
    reply.begin_entry();
    w.put_u32(s.meter_id);
    w.put_u16(static_cast<uint16_t>(kMeterStatsLen + kBandStatsLen * s.bands.size()));
    w.put_zeros(6);
    w.put_u32(s.flow_count);
    w.put_u64(s.packet_in_count);
    w.put_u64(s.byte_in_count);
    w.put_u32(s.duration_sec);
    w.put_u32(s.duration_nsec);
    for (const MeterBandStats& b : s.bands) {
      w.put_u64(b.packet_count);
      w.put_u64(b.byte_count);
    }
    reply.end_entry();
  }
  return reply.finish();
}

WireResult<std::vector<MeterStats>> decode_meter_stats_reply(const OfpMessage& msg) {
  WIRE_TRY_ASSIGN(entries, split_entries(msg.body, 4, kMeterStatsLen, "meter stats"));
  std::vector<MeterStats> out;
  for (ByteView e : entries) {
    const uint8_t* p = e.data();
    if ((e.size() - kMeterStatsLen) % kBandStatsLen)
      return wire_error(OfpErrorCode::OFPBRC_BAD_LEN,
                        "meter stats: band statistics of " +
                            std::to_string(e.size() - kMeterStatsLen) + " bytes");
    MeterStats s;
    s.meter_id = get_u32(p);
    s.flow_count = get_u32(p + 12);
    s.packet_in_count = get_u64(p + 16);
    s.byte_in_count = get_u64(p + 24);
    s.duration_sec = get_u32(p + 32);
    s.duration_nsec = get_u32(p + 36);
    for (size_t off = kMeterStatsLen; off < e.size(); off += kBandStatsLen)
      s.bands.push_back({get_u64(p + off), get_u64(p + off + 8)});
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Bytes> encode_meter_config_reply(const std::vector<MeterSpec>& meters,
                                             uint8_t version, uint32_t xid) {
  MultipartReply reply(OfpRaw::OFPST13_METER_CONFIG_REPLY, version, xid);
  WireWriter& w = reply.writer();
  for (const MeterSpec& m : meters) {
    reply.begin_entry();
    w.put_u16(static_cast<uint16_t>(kMeterConfigLen + kBandLen * m.bands.size()));
    w.put_u16(meter_flags(m));
    w.put_u32(m.meter_id);
    encode_bands(w, m.bands);
    reply.end_entry();
  }
  return reply.finish();
}

WireResult<std::vector<MeterSpec>> decode_meter_config_reply(const OfpMessage& msg) {
  WIRE_TRY_ASSIGN(entries, split_entries(msg.body, 0, kMeterConfigLen, "meter config"));
  std::vector<MeterSpec> out;
  for (ByteView e : entries) {
    MeterSpec m;
    set_meter_flags(m, get_u16(e.data() + 2));
    m.meter_id = get_u32(e.data() + 4);
    WIRE_TRY_ASSIGN(bands, decode_bands(e.subspan(kMeterConfigLen)));
    m.bands = std::move(bands);
    out.push_back(std::move(m));
  }
  return out;
}

Bytes encode_meter_features_reply(const MeterFeatures& f, uint8_t version, uint32_t xid) {
  Bytes out;
  const size_t start = start_message(out, OfpRaw::OFPST13_METER_FEATURES_REPLY, version, xid);
  WireWriter w(&out);
  w.put_u32(f.max_meters);
  w.put_u32(f.band_types);
  w.put_u32(f.capabilities);
  w.put_u8(f.max_bands);
  w.put_u8(f.max_color);
  w.put_zeros(2);
  finish_message(out, start);
  return out;
}

WireResult<MeterFeatures> decode_meter_features_reply(const OfpMessage& msg) {
  const uint8_t* p = msg.body.data();  // 16 bytes, checked by the framing
  return MeterFeatures{get_u32(p), get_u32(p + 4), get_u32(p + 8), p[12], p[13]};
}

}  // namespace flowpath::openflow::wire
