// Flow and aggregate statistics (see flow_stats.h).
#include "openflow/wire/flow_stats.h"

#include "openflow/nxm_field.h"
#include "openflow/wire/action_codec.h"
#include "openflow/wire/match_nxm.h"
#include "openflow/wire/match_ofp10.h"
#include "openflow/wire/oxs_stats.h"
#include "openflow/wire/port_desc.h"

namespace flowpath::openflow::wire {

namespace {

constexpr size_t kOfp10FlowStatsLen = 88;
constexpr size_t kOfp11FlowStatsLen = 48;
constexpr size_t kOfp15FlowDescLen = 24;
constexpr size_t kNxFlowStatsLen = 48;

uint64_t unknown_to_zero(uint64_t count) { return count == ~uint64_t{0} ? 0 : count; }

// Nicira's ages: 0 unknown, else age + 1 (saturating).
uint16_t nx_age(const std::optional<uint32_t>& age) {
  if (!age) return 0;
  return *age < 0xffff ? static_cast<uint16_t>(*age + 1) : 0xffff;
}
std::optional<uint32_t> from_nx_age(uint16_t age) {
  if (!age) return std::nullopt;
  return age - 1u;
}

WireResult<FlowStatsRequest> decode_ofp10_request(WireReader& r, bool aggregate) {
  FlowStatsRequest out;
  out.aggregate = aggregate;
  WIRE_TRY_ASSIGN(match, pull_ofp10_match(r));
  WIRE_TRY_ASSIGN(table, r.u8("table_id"));
  WIRE_TRY(r.skip(1, "pad"));
  WIRE_TRY_ASSIGN(port, r.u16("out_port"));
  out.filter.match = match;
  out.filter.table = table;
  out.filter.out_port = port_from_ofp10(port);
  return out;
}

WireResult<FlowStatsRequest> decode_ofp11_request(WireReader& r, bool aggregate) {
  FlowStatsRequest out;
  out.aggregate = aggregate;
  WIRE_TRY_ASSIGN(table, r.u8("table_id"));
  WIRE_TRY(r.skip(3, "pad"));
  WIRE_TRY_ASSIGN(port, r.u32("out_port"));
  WIRE_TRY_ASSIGN(group, r.u32("out_group"));
  WIRE_TRY(r.skip(4, "pad"));
  WIRE_TRY_ASSIGN(cookie, r.u64("cookie"));
  WIRE_TRY_ASSIGN(cookie_mask, r.u64("cookie_mask"));
  WIRE_TRY_ASSIGN(out_port, port_from_ofp11(port, "flow stats request out_port"));
  WIRE_TRY_ASSIGN(match, pull_oxm_match(r, true));
  out.filter.table = table;
  out.filter.out_port = out_port;
  out.filter.out_group = group;
  out.filter.cookie = cookie;
  out.filter.cookie_mask = cookie_mask;
  out.filter.match = match;
  return out;
}

WireResult<FlowStatsRequest> decode_nx_request(WireReader& r, bool aggregate) {
  FlowStatsRequest out;
  out.aggregate = aggregate;
  WIRE_TRY_ASSIGN(port, r.u16("out_port"));
  WIRE_TRY_ASSIGN(match_len, r.u16("match_len"));
  WIRE_TRY_ASSIGN(table, r.u8("table_id"));
  WIRE_TRY(r.skip(3, "pad"));
  if (round_up8(match_len) > r.remaining())
    return wire_error(OfpErrorCode::OFPBMC_BAD_LEN,
                      "flow stats request: match_len " + std::to_string(match_len) +
                          " exceeds the message");
  WIRE_TRY_ASSIGN(entries, r.pull(round_up8(match_len), "nx_match"));
  NxmCookie cookie;
  WIRE_TRY_ASSIGN(match, decode_nxm_match(entries.first(match_len), true, &cookie));
  if (!r.empty())
    return wire_error(OfpErrorCode::OFPBRC_BAD_LEN, "flow stats request: bytes after the match");
  out.filter.match = match;
  out.filter.cookie = cookie.value;
  out.filter.cookie_mask = cookie.mask;
  out.filter.table = table;
  out.filter.out_port = port_from_ofp10(port);
  return out;
}

OfpRaw reply_raw(uint8_t version, bool nxm) {
  if (version == kOfp10) return nxm ? OfpRaw::NXST_FLOW_REPLY : OfpRaw::OFPST10_FLOW_REPLY;
  return version >= kOfp15 ? OfpRaw::OFPST15_FLOW_REPLY : OfpRaw::OFPST13_FLOW_REPLY;
}

WireStatus decode_rule_flags(uint16_t flags, uint8_t version, FlowModSpec& rule) {
  auto st = decode_flow_mod_flags(flags, version, rule);
  if (!st.ok()) return wire_error(st.error().code, "flow stats: " + st.error().detail);
  return Ok{};
}

WireResult<FlowStats> decode_entry(ByteView e, OfpRaw raw, uint8_t version) {
  FlowStats fs;
  FlowModSpec& rule = fs.rule;
  WireReader r(e, OfpErrorCode::OFPBRC_BAD_LEN, "flow stats");
  const uint8_t* p = e.data();
  switch (raw) {
    case OfpRaw::OFPST10_FLOW_REPLY: {
      WIRE_TRY(r.skip(4, "header"));
      WIRE_TRY_ASSIGN(match, pull_ofp10_match(r));
      WIRE_TRY(r.skip(kOfp10FlowStatsLen - 44, "ofp_flow_stats"));
      rule.table = p[2];
      rule.match = match;
      fs.duration_sec = get_u32(p + 44);
      fs.duration_nsec = get_u32(p + 48);
      rule.priority = get_u16(p + 52);
      rule.idle_timeout = get_u16(p + 54);
      rule.hard_timeout = get_u16(p + 56);
      rule.cookie = get_u64(p + 64);
      fs.packet_count = get_u64(p + 72);
      fs.byte_count = get_u64(p + 80);
      WIRE_TRY_ASSIGN(actions, decode_instructions(r.rest(), version));
      rule.actions = std::move(actions);
      break;
    }
    case OfpRaw::OFPST13_FLOW_REPLY: {
      WIRE_TRY(r.skip(kOfp11FlowStatsLen, "ofp_flow_stats"));
      WIRE_TRY_ASSIGN(match, pull_oxm_match(r, true));
      rule.match = match;
      rule.table = p[2];
      fs.duration_sec = get_u32(p + 4);
      fs.duration_nsec = get_u32(p + 8);
      rule.priority = get_u16(p + 12);
      rule.idle_timeout = get_u16(p + 14);
      rule.hard_timeout = get_u16(p + 16);
      WIRE_TRY(decode_rule_flags(get_u16(p + 18), version, rule));
      rule.importance = version >= kOfp14 ? get_u16(p + 20) : 0;
      rule.cookie = get_u64(p + 24);
      fs.packet_count = get_u64(p + 32);
      fs.byte_count = get_u64(p + 40);
      WIRE_TRY_ASSIGN(actions, decode_instructions(r.rest(), version));
      rule.actions = std::move(actions);
      break;
    }
    case OfpRaw::OFPST15_FLOW_REPLY: {
      WIRE_TRY(r.skip(kOfp15FlowDescLen, "ofp_flow_desc"));
      WIRE_TRY_ASSIGN(match, pull_oxm_match(r, true));
      rule.match = match;
      rule.table = p[4];
      rule.priority = get_u16(p + 6);
      rule.idle_timeout = get_u16(p + 8);
      rule.hard_timeout = get_u16(p + 10);
      WIRE_TRY(decode_rule_flags(get_u16(p + 12), version, rule));
      rule.importance = get_u16(p + 14);
      rule.cookie = get_u64(p + 16);
      WIRE_TRY_ASSIGN(stats, pull_oxs_stats(r));
      fs.duration_sec = stats.duration_sec;
      fs.duration_nsec = stats.duration_nsec;
      fs.packet_count = stats.packet_count;
      fs.byte_count = stats.byte_count;
      if (stats.idle_age != ~0u) fs.idle_age = stats.idle_age;
      WIRE_TRY_ASSIGN(actions, decode_instructions(r.rest(), version));
      rule.actions = std::move(actions);
      break;
    }
    default: {  // NXST_FLOW_REPLY
      const size_t match_len = get_u16(p + 18);
      if (e.size() < kNxFlowStatsLen + round_up8(match_len))
        return wire_error(OfpErrorCode::OFPBRC_BAD_LEN,
                          "NXST_FLOW reply: match_len " + std::to_string(match_len) +
                              " overruns the entry");
      WIRE_TRY_ASSIGN(match, decode_nxm_match(e.subspan(kNxFlowStatsLen, match_len), true));
      rule.match = match;
      rule.table = p[2];
      fs.duration_sec = get_u32(p + 4);
      fs.duration_nsec = get_u32(p + 8);
      rule.priority = get_u16(p + 12);
      rule.idle_timeout = get_u16(p + 14);
      rule.hard_timeout = get_u16(p + 16);
      fs.idle_age = from_nx_age(get_u16(p + 20));
      fs.hard_age = from_nx_age(get_u16(p + 22));
      rule.cookie = get_u64(p + 24);
      fs.packet_count = get_u64(p + 32);
      fs.byte_count = get_u64(p + 40);
      WIRE_TRY_ASSIGN(actions,
                      decode_instructions(e.subspan(kNxFlowStatsLen + round_up8(match_len)),
                                          version));
      rule.actions = std::move(actions);
    }
  }
  rule.has_actions = true;
  return fs;
}

void encode_entry(WireWriter& w, const FlowStats& fs, OfpRaw raw, uint8_t version) {
  const FlowModSpec& rule = fs.rule;
  const size_t start = w.size();
  switch (raw) {
    case OfpRaw::OFPST10_FLOW_REPLY:
      w.put_u16(0);
      w.put_u8(rule.table);
      w.put_u8(0);
      put_ofp10_match(w, rule.match);
      w.put_u32(fs.duration_sec);
      w.put_u32(fs.duration_nsec);
      w.put_u16(rule.priority);
      w.put_u16(rule.idle_timeout);
      w.put_u16(rule.hard_timeout);
      w.put_zeros(6);
      w.put_u64(rule.cookie);
      w.put_u64(unknown_to_zero(fs.packet_count));
      w.put_u64(unknown_to_zero(fs.byte_count));
      encode_actions(w, rule.actions, version, &rule.match);
      break;
    case OfpRaw::OFPST13_FLOW_REPLY:
      w.put_u16(0);
      w.put_u8(rule.table);
      w.put_u8(0);
      w.put_u32(fs.duration_sec);
      w.put_u32(fs.duration_nsec);
      w.put_u16(rule.priority);
      w.put_u16(rule.idle_timeout);
      w.put_u16(rule.hard_timeout);
      w.put_u16(encode_flow_mod_flags(rule, version));
      w.put_u16(version >= kOfp14 ? rule.importance : 0);
      w.put_zeros(2);
      w.put_u64(rule.cookie);
      w.put_u64(unknown_to_zero(fs.packet_count));
      w.put_u64(unknown_to_zero(fs.byte_count));
      put_oxm_match(w, rule.match, version);
      encode_instructions(w, rule.actions, version, &rule.match);
      break;
    case OfpRaw::OFPST15_FLOW_REPLY: {
      w.put_u16(0);
      w.put_zeros(2);
      w.put_u8(rule.table);
      w.put_u8(0);
      w.put_u16(rule.priority);
      w.put_u16(rule.idle_timeout);
      w.put_u16(rule.hard_timeout);
      w.put_u16(encode_flow_mod_flags(rule, version));
      w.put_u16(rule.importance);
      w.put_u64(rule.cookie);
      put_oxm_match(w, rule.match, version);
      OxsStats stats;
      stats.duration_sec = fs.duration_sec;
      stats.duration_nsec = fs.duration_nsec;
      stats.idle_age = fs.idle_age.value_or(~0u);
      stats.packet_count = fs.packet_count;
      stats.byte_count = fs.byte_count;
      put_oxs_stats(w, stats);
      encode_instructions(w, rule.actions, version, &rule.match);
      break;
    }
    default: {  // NXST_FLOW_REPLY
      w.put_u16(0);
      w.put_u8(rule.table);
      w.put_u8(0);
      w.put_u32(fs.duration_sec);
      w.put_u32(fs.duration_nsec);
      w.put_u16(rule.priority);
      w.put_u16(rule.idle_timeout);
      w.put_u16(rule.hard_timeout);
      const size_t match_len_at = w.size();
      w.put_u16(0);
      w.put_u16(nx_age(fs.idle_age));
      w.put_u16(nx_age(fs.hard_age));
      w.put_u64(rule.cookie);
      w.put_u64(fs.packet_count);
      w.put_u64(fs.byte_count);
      const size_t match_start = w.size();
      w.patch_u16(match_len_at, static_cast<uint16_t>(put_nxm_match(w, rule.match, 0)));
      w.pad_to_8(match_start);
      encode_actions(w, rule.actions, version, &rule.match);
    }
  }
  w.patch_length16(start, start);
}

}  // namespace

WireResult<FlowStatsRequest> decode_flow_stats_request(const OfpMessage& msg) {
  WireReader r(msg.body, OfpErrorCode::OFPBRC_BAD_LEN, "flow stats request");
  const bool aggregate = msg.type == OfpType::kAggregateStatsRequest;
  switch (msg.raw) {
    case OfpRaw::OFPST10_FLOW_REQUEST:
    case OfpRaw::OFPST10_AGGREGATE_REQUEST: return decode_ofp10_request(r, aggregate);
    case OfpRaw::NXST_FLOW_REQUEST:
    case OfpRaw::NXST_AGGREGATE_REQUEST: return decode_nx_request(r, aggregate);
    default: return decode_ofp11_request(r, aggregate);
  }
}

WireResult<Bytes> encode_flow_stats_request(const FlowStatsRequest& request,
                                            const Protocol& protocol, uint32_t xid) {
  const FlowModSpec& f = request.filter;
  const uint8_t version = protocol.version;
  if (auto problem = nxm_match_problem(f.match))
    return wire_error(OfpErrorCode::OFPBMC_BAD_FIELD, "flow stats request: " + *problem);
  Bytes out;
  WireWriter w(&out);
  size_t start;
  if (version != kOfp10) {
    OfpRaw raw = request.aggregate ? (version >= kOfp15 ? OfpRaw::OFPST15_AGGREGATE_REQUEST
                                                        : OfpRaw::OFPST11_AGGREGATE_REQUEST)
                                   : OfpRaw::OFPST11_FLOW_REQUEST;
    start = start_message(out, raw, version, xid);
    w.put_u8(f.table);
    w.put_zeros(3);
    w.put_u32(f.out_port);
    w.put_u32(f.out_group);
    w.put_zeros(4);
    w.put_u64(f.cookie);
    w.put_u64(f.cookie_mask);
    put_oxm_match(w, f.match, version);
  } else if (protocol.nxm) {
    start = start_message(
        out, request.aggregate ? OfpRaw::NXST_AGGREGATE_REQUEST : OfpRaw::NXST_FLOW_REQUEST,
        version, xid);
    w.put_u16(port_to_ofp10(f.out_port));
    const size_t match_len_at = w.size();
    w.put_u16(0);
    w.put_u8(f.table);
    w.put_zeros(3);
    const size_t match_start = w.size();
    const size_t match_len = put_nxm_match(w, f.match, 0, NxmCookie{f.cookie, f.cookie_mask});
    w.patch_u16(match_len_at, static_cast<uint16_t>(match_len));
    w.pad_to_8(match_start);
  } else {
    if (auto problem = ofp10_match_problem(f.match))
      return wire_error(OfpErrorCode::OFPBMC_BAD_FIELD, "flow stats request: " + *problem);
    if (f.cookie_mask)
      return wire_error(OfpErrorCode::OFPBMC_BAD_FIELD,
                        "flow stats request: OpenFlow 1.0's ofp_match cannot match cookies");
    start = start_message(out,
                          request.aggregate ? OfpRaw::OFPST10_AGGREGATE_REQUEST
                                            : OfpRaw::OFPST10_FLOW_REQUEST,
                          version, xid);
    put_ofp10_match(w, f.match);
    w.put_u8(f.table);
    w.put_u8(0);
    w.put_u16(port_to_ofp10(f.out_port));
  }
  finish_message(out, start);
  return out;
}

std::optional<std::string> flow_stats_encoding_problem(const FlowStats& flow, uint8_t version,
                                                       bool nxm) {
  if (auto problem = nxm_match_problem(flow.rule.match)) return problem;
  if (version == kOfp10 && !nxm)
    if (auto problem = ofp10_match_problem(flow.rule.match)) return problem;
  return actions_encoding_problem(flow.rule.actions, version, true);
}

std::vector<Bytes> encode_flow_stats_reply(const std::vector<FlowStats>& flows, uint8_t version,
                                           bool nxm, uint32_t xid) {
  const OfpRaw raw = reply_raw(version, nxm);
  MultipartReply reply(raw, version, xid);
  for (const FlowStats& fs : flows) {
    reply.begin_entry();
    encode_entry(reply.writer(), fs, raw, version);
    reply.end_entry();
  }
  return reply.finish();
}

WireResult<std::vector<FlowStats>> decode_flow_stats_reply(const OfpMessage& msg) {
  const size_t min = msg.raw == OfpRaw::OFPST10_FLOW_REPLY   ? kOfp10FlowStatsLen
                     : msg.raw == OfpRaw::OFPST15_FLOW_REPLY ? kOfp15FlowDescLen
                                                             : kOfp11FlowStatsLen;
  WIRE_TRY_ASSIGN(entries, split_entries(msg.body, 0, min, "flow stats"));
  std::vector<FlowStats> out;
  for (ByteView e : entries) {
    WIRE_TRY_ASSIGN(fs, decode_entry(e, msg.raw, msg.version));
    out.push_back(std::move(fs));
  }
  return out;
}

Bytes encode_aggregate_stats_reply(const AggregateStats& stats, uint8_t version, bool nxm,
                                   uint32_t xid) {
  Bytes out;
  WireWriter w(&out);
  OfpRaw raw = version >= kOfp15                ? OfpRaw::OFPST15_AGGREGATE_REPLY
               : (version == kOfp10 && nxm)     ? OfpRaw::NXST_AGGREGATE_REPLY
                                                : OfpRaw::OFPST_AGGREGATE_REPLY;
  const size_t start = start_message(out, raw, version, xid);
  if (raw == OfpRaw::OFPST15_AGGREGATE_REPLY) {
    OxsStats s;
    s.packet_count = stats.packet_count;
    s.byte_count = stats.byte_count;
    s.flow_count = stats.flow_count;
    put_oxs_stats(w, s);
  } else {
    const bool ofp10 = raw == OfpRaw::OFPST_AGGREGATE_REPLY && version == kOfp10;
    w.put_u64(ofp10 ? unknown_to_zero(stats.packet_count) : stats.packet_count);
    w.put_u64(ofp10 ? unknown_to_zero(stats.byte_count) : stats.byte_count);
    w.put_u32(stats.flow_count);
    w.put_zeros(4);
  }
  finish_message(out, start);
  return out;
}

WireResult<AggregateStats> decode_aggregate_stats_reply(const OfpMessage& msg) {
  if (msg.raw == OfpRaw::OFPST15_AGGREGATE_REPLY) {
    WireReader r(msg.body, OfpErrorCode::OFPBRC_BAD_LEN, "aggregate stats");
    WIRE_TRY_ASSIGN(s, pull_oxs_stats(r));
    return AggregateStats{s.packet_count, s.byte_count, s.flow_count};
  }
  const uint8_t* p = msg.body.data();  // 24 bytes, checked by the framing
  return AggregateStats{get_u64(p), get_u64(p + 8), get_u32(p + 16)};
}

}  // namespace flowpath::openflow::wire
