// OXS statistics (see oxs_stats.h).
#include "openflow/wire/oxs_stats.h"

namespace flowpath::openflow::wire {

namespace {

constexpr uint16_t kOxsClassBasic = 0x8002;
enum : uint8_t { kDuration = 0, kIdleTime = 1, kFlowCount = 3, kPacketCount = 4, kByteCount = 5 };

void put_entry(WireWriter& w, uint8_t field, unsigned length) {
  w.put_u32(uint32_t{kOxsClassBasic} << 16 | uint32_t{field} << 9 | length);
}

}  // namespace

WireResult<OxsStats> pull_oxs_stats(WireReader& r) {
  OxsStats s;
  if (r.remaining() < 4)
    return wire_error(OfpErrorCode::OFPBMC_BAD_LEN, std::string(r.what()) + ": no room for ofp_stats");
  const uint16_t length = get_u16(r.peek() + 2);
  if (length < 4 || round_up8(length) > r.remaining())
    return wire_error(OfpErrorCode::OFPBMC_BAD_LEN,
                      std::string(r.what()) + ": ofp_stats length " + std::to_string(length));
  WIRE_TRY_ASSIGN(all, r.pull(round_up8(length), "ofp_stats"));
  WireReader e(all.subspan(4, length - 4), OfpErrorCode::OFPBMC_BAD_LEN, "ofp_stats");
  while (!e.empty()) {
    WIRE_TRY_ASSIGN(h, e.u32("OXS header"));
    const auto cls = static_cast<uint16_t>(h >> 16);
    const auto field = static_cast<uint8_t>((h >> 9) & 0x7f);
    unsigned len = h & 0xff;
    if (cls == 0xffff) {  // experimenter: skip its id too
      if (len < 4) return wire_error(OfpErrorCode::OFPBMC_BAD_LEN, "ofp_stats: experimenter OXS too short");
      WIRE_TRY(e.skip(4, "OXS experimenter"));
      len -= 4;
    }
    WIRE_TRY_ASSIGN(v, e.pull(len, "OXS value"));
    if (cls != kOxsClassBasic) continue;
    if (len == 8 && field == kDuration) {
      const uint64_t d = get_u64(v.data());
      s.duration_sec = static_cast<uint32_t>(d >> 32);
      s.duration_nsec = static_cast<uint32_t>(d);
    } else if (len == 8 && field == kIdleTime) {
      s.idle_age = static_cast<uint32_t>(get_u64(v.data()) >> 32);
    } else if (len == 8 && field == kPacketCount) {
      s.packet_count = get_u64(v.data());
    } else if (len == 8 && field == kByteCount) {
      s.byte_count = get_u64(v.data());
    } else if (len == 4 && field == kFlowCount) {
      s.flow_count = get_u32(v.data());
    }
  }
  return s;
}

void put_oxs_stats(WireWriter& w, const OxsStats& s) {
  const size_t start = w.size();
  w.put_u16(0);
  w.put_u16(0);
  if (s.duration_sec != ~0u) {
    put_entry(w, kDuration, 8);
    w.put_u64(uint64_t{s.duration_sec} << 32 | s.duration_nsec);
  }
  if (s.idle_age != ~0u) {
    put_entry(w, kIdleTime, 8);
    w.put_u64(uint64_t{s.idle_age} << 32);
  }
  if (s.packet_count != ~0ull) {
    put_entry(w, kPacketCount, 8);
    w.put_u64(s.packet_count);
  }
  if (s.byte_count != ~0ull) {
    put_entry(w, kByteCount, 8);
    w.put_u64(s.byte_count);
  }
  if (s.flow_count != ~0u) {
    put_entry(w, kFlowCount, 4);
    w.put_u32(s.flow_count);
  }
  w.patch_length16(start + 2, start);
  w.pad_to_8(start);
}

}  // namespace flowpath::openflow::wire
