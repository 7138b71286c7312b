// Flow-removed notifications (see flow_removed.h).
#include "openflow/wire/flow_removed.h"

#include "openflow/wire/match_nxm.h"
#include "openflow/wire/match_ofp10.h"
#include "openflow/wire/oxs_stats.h"

namespace flowpath::openflow::wire {

WireResult<FlowRemoved> decode_flow_removed(const OfpMessage& msg) {
  FlowRemoved fr;
  WireReader r(msg.body, OfpErrorCode::OFPBRC_BAD_LEN, "flow_removed");
  switch (msg.raw) {
    case OfpRaw::OFPT10_FLOW_REMOVED: {
      WIRE_TRY_ASSIGN(m, pull_ofp10_match(r));
      WIRE_TRY_ASSIGN(b, r.pull(40, "ofp_flow_removed"));
      const uint8_t* p = b.data();
      fr.match = m;
      fr.cookie = get_u64(p);
      fr.priority = get_u16(p + 8);
      fr.reason = p[10];
      fr.duration_sec = get_u32(p + 12);
      fr.duration_nsec = get_u32(p + 16);
      fr.idle_timeout = get_u16(p + 20);
      fr.packet_count = get_u64(p + 24);
      fr.byte_count = get_u64(p + 32);
      return fr;
    }
    case OfpRaw::OFPT11_FLOW_REMOVED: {
      WIRE_TRY_ASSIGN(b, r.pull(40, "ofp_flow_removed"));
      const uint8_t* p = b.data();
      fr.cookie = get_u64(p);
      fr.priority = get_u16(p + 8);
      fr.reason = p[10];
      fr.table_id = p[11];
      fr.duration_sec = get_u32(p + 12);
      fr.duration_nsec = get_u32(p + 16);
      fr.idle_timeout = get_u16(p + 20);
      fr.hard_timeout = get_u16(p + 22);
      fr.packet_count = get_u64(p + 24);
      fr.byte_count = get_u64(p + 32);
      WIRE_TRY_ASSIGN(m, pull_oxm_match(r, false));
      fr.match = m;
      return fr;
    }
    case OfpRaw::OFPT15_FLOW_REMOVED: {
      WIRE_TRY_ASSIGN(b, r.pull(16, "ofp_flow_removed"));
      const uint8_t* p = b.data();
      fr.table_id = p[0];
      fr.reason = p[1];
      fr.priority = get_u16(p + 2);
      fr.idle_timeout = get_u16(p + 4);
      fr.hard_timeout = get_u16(p + 6);
      fr.cookie = get_u64(p + 8);
      WIRE_TRY_ASSIGN(m, pull_oxm_match(r, false));
      fr.match = m;
      WIRE_TRY_ASSIGN(s, pull_oxs_stats(r));
      fr.duration_sec = s.duration_sec;
      fr.duration_nsec = s.duration_nsec;
      fr.packet_count = s.packet_count;
      fr.byte_count = s.byte_count;
      return fr;
    }
    case OfpRaw::NXT_FLOW_REMOVED: {
      WIRE_TRY_ASSIGN(b, r.pull(40, "nx_flow_removed"));
      const uint8_t* p = b.data();
      fr.cookie = get_u64(p);
      fr.priority = get_u16(p + 8);
      fr.reason = p[10];
      fr.table_id = p[11] ? static_cast<uint8_t>(p[11] - 1) : 0xff;
      fr.duration_sec = get_u32(p + 12);
      fr.duration_nsec = get_u32(p + 16);
      fr.idle_timeout = get_u16(p + 20);
      const uint16_t match_len = get_u16(p + 22);
      fr.packet_count = get_u64(p + 24);
      fr.byte_count = get_u64(p + 32);
      WIRE_TRY_ASSIGN(entries, r.pull(round_up8(match_len), "nx_match"));
      WIRE_TRY_ASSIGN(m, decode_nxm_match(entries.subspan(0, match_len), true));
      fr.match = m;
      if (!r.empty())
        return wire_error(OfpErrorCode::OFPBRC_BAD_LEN, "flow_removed: bytes after the match");
      return fr;
    }
    default: return wire_error(OfpErrorCode::OFPBRC_BAD_TYPE, "not a flow_removed");
  }
}

WireResult<Bytes> encode_flow_removed(const FlowRemoved& fr, const Protocol& protocol,
                                      uint32_t xid) {
  const uint8_t version = protocol.version;
  uint8_t reason = fr.reason;
  if (reason == flow_removed_reason::kMeterDelete && version < kOfp14)
    reason = flow_removed_reason::kDelete;
  Bytes out;
  WireWriter w(&out);
  size_t start;
  if (version == kOfp15) {
    start = start_message(out, OfpRaw::OFPT15_FLOW_REMOVED, version, xid);
    w.put_u8(fr.table_id);
    w.put_u8(reason);
    w.put_u16(fr.priority);
    w.put_u16(fr.idle_timeout);
    w.put_u16(fr.hard_timeout);
    w.put_u64(fr.cookie);
    put_oxm_match(w, fr.match, version);
    OxsStats s;
    s.duration_sec = fr.duration_sec;
    s.duration_nsec = fr.duration_nsec;
    s.packet_count = fr.packet_count;
    s.byte_count = fr.byte_count;
    put_oxs_stats(w, s);
  } else if (version != kOfp10) {
    start = start_message(out, OfpRaw::OFPT11_FLOW_REMOVED, version, xid);
    w.put_u64(fr.cookie);
    w.put_u16(fr.priority);
    w.put_u8(reason);
    w.put_u8(fr.table_id);
    w.put_u32(fr.duration_sec);
    w.put_u32(fr.duration_nsec);
    w.put_u16(fr.idle_timeout);
    w.put_u16(fr.hard_timeout);
    w.put_u64(fr.packet_count);
    w.put_u64(fr.byte_count);
    put_oxm_match(w, fr.match, version);
  } else if (protocol.nxm) {
    start = start_message(out, OfpRaw::NXT_FLOW_REMOVED, version, xid);
    w.put_u64(fr.cookie);
    w.put_u16(fr.priority);
    w.put_u8(reason);
    w.put_u8(static_cast<uint8_t>(fr.table_id + 1));
    w.put_u32(fr.duration_sec);
    w.put_u32(fr.duration_nsec);
    w.put_u16(fr.idle_timeout);
    const size_t match_len_at = w.size();
    w.put_u16(0);
    w.put_u64(fr.packet_count);
    w.put_u64(fr.byte_count);
    const size_t match_start = w.size();
    w.patch_u16(match_len_at, static_cast<uint16_t>(put_nxm_match(w, fr.match, 0)));
    w.pad_to_8(match_start);
  } else {
    if (auto problem = ofp10_match_problem(fr.match))
      return wire_error(OfpErrorCode::OFPBMC_BAD_FIELD, "flow_removed: " + *problem);
    start = start_message(out, OfpRaw::OFPT10_FLOW_REMOVED, version, xid);
    put_ofp10_match(w, fr.match);
    w.put_u64(fr.cookie);
    w.put_u16(fr.priority);
    w.put_u8(reason);
    w.put_u8(0);
    w.put_u32(fr.duration_sec);
    w.put_u32(fr.duration_nsec);
    w.put_u16(fr.idle_timeout);
    w.put_zeros(2);
    w.put_u64(fr.packet_count == ~0ull ? 0 : fr.packet_count);
    w.put_u64(fr.byte_count == ~0ull ? 0 : fr.byte_count);
  }
  finish_message(out, start);
  return out;
}

}  // namespace flowpath::openflow::wire
