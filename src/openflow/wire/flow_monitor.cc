// Flow monitors (see flow_monitor.h).
#include "openflow/wire/flow_monitor.h"

#include "openflow/nxm_field.h"
#include "openflow/wire/action_codec.h"
#include "openflow/wire/match_nxm.h"
#include "openflow/wire/port_desc.h"

namespace flowpath::openflow::wire {

namespace {

namespace flag = flow_monitor_flag;
constexpr size_t kRequestLen = 16;     // every form's fixed part
constexpr size_t kNxUpdateFullLen = 24;
constexpr size_t kOfpUpdateFullLen = 24;
constexpr size_t kUpdateShortLen = 8;  // abbrev, paused, resumed
constexpr uint16_t kEventFlags = flag::kAdd | flag::kRemoved | flag::kModify;
// Nicira/ONF flags: initial, add, delete, modify, actions, own (bits 0-5).
constexpr uint16_t kNxKnown = 0x3f;
constexpr uint16_t kOfpKnown = flag::kInitial | kEventFlags | flag::kInstructions | flag::kOnlyOwn;

uint16_t nx_to_ofp_flags(uint16_t nx) {
  return static_cast<uint16_t>((nx & 0x1f) | ((nx & (1 << 5)) ? flag::kOnlyOwn : 0));
}
uint16_t ofp_to_nx_flags(uint16_t f) {
  return static_cast<uint16_t>((f & 0x1f) | ((f & flag::kOnlyOwn) ? 1 << 5 : 0));
}

OfpError bad_flags(uint16_t flags) {
  return wire_error(OfpErrorCode::OFPMOFC_BAD_FLAGS,
                    "flow monitor: flags " + std::to_string(flags) +
                        " ask for no event or are unknown");
}

// Reads an OXM ofp_match; its unpadded length is in the match header.
WireResult<OfMatch> pull_match(WireReader& r) { return pull_oxm_match(r, true); }

WireResult<FlowMonitorRequest> decode_nx_request(WireReader& r, bool onf) {
  FlowMonitorRequest m;
  if (r.remaining() < kRequestLen)
    return wire_error(OfpErrorCode::OFPBRC_BAD_LEN,
                      "flow monitor request: " + std::to_string(r.remaining()) +
                          " leftover bytes");
  WIRE_TRY_ASSIGN(fixed, r.pull(kRequestLen, "flow monitor request"));
  const uint8_t* p = fixed.data();
  const uint16_t flags = get_u16(p + 4);
  if (!(flags & 0xe) || (flags & ~kNxKnown)) return bad_flags(flags);
  m.id = get_u32(p);
  m.flags = nx_to_ofp_flags(flags);
  if (onf) {
    if (!all_zero(fixed.subspan(13, 3)))
      return wire_error(OfpErrorCode::NXBRC_MUST_BE_ZERO, "flow monitor request: padding");
    WIRE_TRY_ASSIGN(port, port_from_ofp11(get_u32(p + 8), "flow monitor request out_port"));
    m.out_port = port;
    m.table_id = p[12];
    WIRE_TRY_ASSIGN(match, pull_match(r));
    m.match = match;
    return m;
  }
  if (!all_zero(fixed.subspan(11, 5)))
    return wire_error(OfpErrorCode::NXBRC_MUST_BE_ZERO, "flow monitor request: padding");
  m.out_port = port_from_ofp10(get_u16(p + 6));
  m.table_id = p[10];
  const size_t match_len = get_u16(p + 8);
  if (round_up8(match_len) > r.remaining())
    return wire_error(OfpErrorCode::OFPBMC_BAD_LEN,
                      "flow monitor request: match_len " + std::to_string(match_len) +
                          " overruns the message");
  WIRE_TRY_ASSIGN(entries, r.pull(round_up8(match_len), "nx_match"));
  WIRE_TRY_ASSIGN(match, decode_nxm_match(entries.first(match_len), true));
  m.match = match;
  return m;
}

WireResult<FlowMonitorRequest> decode_ofp14_request(WireReader& r) {
  FlowMonitorRequest m;
  if (r.remaining() < kRequestLen)
    return wire_error(OfpErrorCode::OFPBRC_BAD_LEN,
                      "flow monitor request: " + std::to_string(r.remaining()) +
                          " leftover bytes");
  WIRE_TRY_ASSIGN(fixed, r.pull(kRequestLen, "flow monitor request"));
  const uint8_t* p = fixed.data();
  m.id = get_u32(p);
  const uint16_t flags = get_u16(p + 12);
  const uint8_t command = p[15];
  if (command > 2)
    return wire_error(OfpErrorCode::OFPMOFC_BAD_COMMAND,
                      "flow monitor request: command " + std::to_string(command) + " is unknown");
  m.command = static_cast<FlowMonitorCommand>(command);
  if (m.command != FlowMonitorCommand::kDelete) {
    if (!(flags & kEventFlags) || (flags & ~kOfpKnown)) return bad_flags(flags);
    m.flags = flags;
    WIRE_TRY_ASSIGN(port, port_from_ofp11(get_u32(p + 4), "flow monitor request out_port"));
    m.out_port = port;
    m.out_group = get_u32(p + 8);
    m.table_id = p[14];
  } else if (r.empty()) {
    return m;  // Open vSwitch sends a delete without a match
  }
  WIRE_TRY_ASSIGN(match, pull_match(r));
  m.match = match;
  return m;
}

OfpRaw request_raw(uint8_t version) {
  if (version >= kOfp14) return OfpRaw::OFPST14_FLOW_MONITOR_REQUEST;
  return version == kOfp13 ? OfpRaw::ONFST13_FLOW_MONITOR_REQUEST
                           : OfpRaw::NXST_FLOW_MONITOR_REQUEST;
}

void put_request(WireWriter& w, const FlowMonitorRequest& m, uint8_t version) {
  if (version >= kOfp14) {
    w.put_u32(m.id);
    w.put_u32(m.command == FlowMonitorCommand::kDelete ? 0 : m.out_port);
    w.put_u32(m.command == FlowMonitorCommand::kDelete ? 0 : m.out_group);
    w.put_u16(m.command == FlowMonitorCommand::kDelete ? 0 : m.flags);
    w.put_u8(m.command == FlowMonitorCommand::kDelete ? 0 : m.table_id);
    w.put_u8(static_cast<uint8_t>(m.command));
    // A delete names the monitor only; Open vSwitch sends no match.
    if (m.command != FlowMonitorCommand::kDelete) put_oxm_match(w, m.match, version);
    return;
  }
  const size_t start = w.size();
  w.put_u32(m.id);
  w.put_u16(ofp_to_nx_flags(m.flags));
  if (version == kOfp13) {
    w.put_u16(0);  // match_len
    w.put_u32(m.out_port);
    w.put_u8(m.table_id);
    w.put_zeros(3);
    const size_t match_start = w.size();
    put_oxm_match(w, m.match, version);
    w.patch_u16(start + 6, get_u16(w.at(match_start + 2)));
    return;
  }
  w.put_u16(port_to_ofp10(m.out_port));
  w.put_u16(0);  // match_len
  w.put_u8(m.table_id);
  w.put_zeros(5);
  const size_t match_start = w.size();
  w.patch_u16(start + 8, static_cast<uint16_t>(put_nxm_match(w, m.match, 0)));
  w.pad_to_8(match_start);
}

// Nicira's events: added (also for initial), deleted, modified, abbrev.
uint16_t nx_event(FlowUpdateEvent e) {
  switch (e) {
    case FlowUpdateEvent::kRemoved: return 1;
    case FlowUpdateEvent::kModified: return 2;
    case FlowUpdateEvent::kAbbrev: return 3;
    default: return 0;
  }
}

WireResult<FlowUpdate> decode_nx_update(ByteView e, bool onf, uint8_t version) {
  FlowUpdate u;
  const uint8_t* p = e.data();
  const uint16_t event = get_u16(p + 2);
  if (event == 3) {
    if (e.size() != kUpdateShortLen)
      return wire_error(OfpErrorCode::OFPBRC_BAD_LEN, "flow update: abbreviated update of " +
                                                          std::to_string(e.size()) + " bytes");
    u.event = FlowUpdateEvent::kAbbrev;
    u.xid = get_u32(p + 4);
    return u;
  }
  if (event > 3)
    return wire_error(OfpErrorCode::NXBRC_FM_BAD_EVENT,
                      "flow update: event " + std::to_string(event) + " is unknown");
  if (e.size() < kNxUpdateFullLen)
    return wire_error(OfpErrorCode::OFPBRC_BAD_LEN,
                      "flow update of " + std::to_string(e.size()) + " bytes");
  u.event = event == 0 ? FlowUpdateEvent::kAdded
                       : (event == 1 ? FlowUpdateEvent::kRemoved : FlowUpdateEvent::kModified);
  u.reason = get_u16(p + 4);
  u.rule.priority = get_u16(p + 6);
  u.rule.idle_timeout = get_u16(p + 8);
  u.rule.hard_timeout = get_u16(p + 10);
  const size_t match_len = get_u16(p + 12);
  u.rule.table = p[14];
  u.rule.cookie = get_u64(p + 16);
  if (kNxUpdateFullLen + match_len > e.size())
    return wire_error(OfpErrorCode::OFPBRC_BAD_LEN,
                      "flow update: match_len " + std::to_string(match_len) + " overruns it");
  WireReader r(e.subspan(kNxUpdateFullLen), OfpErrorCode::OFPBRC_BAD_LEN, "flow update");
  if (onf) {
    WIRE_TRY_ASSIGN(match, pull_match(r));
    u.rule.match = match;
  } else {
    WIRE_TRY_ASSIGN(entries, r.pull(round_up8(match_len), "nx_match"));
    WIRE_TRY_ASSIGN(match, decode_nxm_match(entries.first(match_len), true));
    u.rule.match = match;
  }
  WIRE_TRY_ASSIGN(actions, onf ? decode_instructions(r.rest(), version)
                               : decode_actions(r.rest(), version));
  u.rule.actions = std::move(actions);
  u.rule.has_actions = true;
  return u;
}

WireResult<FlowUpdate> decode_ofp14_update(ByteView e, uint8_t version) {
  FlowUpdate u;
  const uint8_t* p = e.data();
  const uint16_t event = get_u16(p + 2);
  if (event > 6)
    return wire_error(OfpErrorCode::NXBRC_FM_BAD_EVENT,
                      "flow update: event " + std::to_string(event) + " is unknown");
  u.event = static_cast<FlowUpdateEvent>(event);
  if (event >= 4) {
    if (e.size() != kUpdateShortLen)
      return wire_error(OfpErrorCode::OFPBRC_BAD_LEN,
                        "flow update: event " + std::to_string(event) + " of " +
                            std::to_string(e.size()) + " bytes (8 expected)");
    if (u.event == FlowUpdateEvent::kAbbrev) u.xid = get_u32(p + 4);
    return u;
  }
  if (e.size() < kOfpUpdateFullLen)
    return wire_error(OfpErrorCode::OFPBRC_BAD_LEN,
                      "flow update of " + std::to_string(e.size()) + " bytes");
  u.rule.table = p[4];
  u.reason = p[5];
  u.rule.idle_timeout = get_u16(p + 6);
  u.rule.hard_timeout = get_u16(p + 8);
  u.rule.priority = get_u16(p + 10);
  u.rule.cookie = get_u64(p + 16);
  WireReader r(e.subspan(kOfpUpdateFullLen), OfpErrorCode::OFPBRC_BAD_LEN, "flow update");
  WIRE_TRY_ASSIGN(match, pull_match(r));
  u.rule.match = match;
  WIRE_TRY_ASSIGN(actions, decode_instructions(r.rest(), version));
  u.rule.actions = std::move(actions);
  u.rule.has_actions = true;
  return u;
}

void put_update(WireWriter& w, const FlowUpdate& u, uint8_t version) {
  const size_t start = w.size();
  const FlowModSpec& rule = u.rule;
  const bool short_form = u.event == FlowUpdateEvent::kAbbrev ||
                          u.event == FlowUpdateEvent::kPaused ||
                          u.event == FlowUpdateEvent::kResumed;
  w.put_u16(0);
  w.put_u16(version >= kOfp14 ? static_cast<uint16_t>(u.event) : nx_event(u.event));
  if (short_form) {
    w.put_u32(u.event == FlowUpdateEvent::kAbbrev ? u.xid : 0);
  } else if (version >= kOfp14) {
    w.put_u8(rule.table);
    w.put_u8(static_cast<uint8_t>(u.reason));
    w.put_u16(rule.idle_timeout);
    w.put_u16(rule.hard_timeout);
    w.put_u16(rule.priority);
    w.put_zeros(4);
    w.put_u64(rule.cookie);
    put_oxm_match(w, rule.match, version);
    encode_instructions(w, rule.actions, version, &rule.match);
  } else {
    w.put_u16(u.reason);
    w.put_u16(rule.priority);
    w.put_u16(rule.idle_timeout);
    w.put_u16(rule.hard_timeout);
    w.put_u16(0);  // match_len
    w.put_u8(rule.table);
    w.put_u8(0);
    w.put_u64(rule.cookie);
    const size_t match_start = w.size();
    if (version == kOfp13) {
      put_oxm_match(w, rule.match, version);
      w.patch_u16(start + 12, get_u16(w.at(match_start + 2)));
      encode_instructions(w, rule.actions, version, &rule.match);
    } else {
      w.patch_u16(start + 12, static_cast<uint16_t>(put_nxm_match(w, rule.match, 0)));
      w.pad_to_8(match_start);
      encode_actions(w, rule.actions, version, &rule.match);
    }
  }
  w.patch_length16(start, start);
}

}  // namespace

WireResult<std::vector<FlowMonitorRequest>> decode_flow_monitor_request(const OfpMessage& msg) {
  WireReader r(msg.body, OfpErrorCode::OFPBRC_BAD_LEN, "flow monitor request");
  std::vector<FlowMonitorRequest> out;
  while (!r.empty()) {
    auto m = msg.raw == OfpRaw::OFPST14_FLOW_MONITOR_REQUEST
                 ? decode_ofp14_request(r)
                 : decode_nx_request(r, msg.raw == OfpRaw::ONFST13_FLOW_MONITOR_REQUEST);
    if (!m.ok()) return m.error();
    out.push_back(std::move(*m));
  }
  return out;
}

WireResult<Bytes> encode_flow_monitor_request(const std::vector<FlowMonitorRequest>& monitors,
                                              uint8_t version, uint32_t xid) {
  for (const FlowMonitorRequest& m : monitors) {
    if (auto problem = nxm_match_problem(m.match))
      return wire_error(OfpErrorCode::OFPBMC_BAD_FIELD, "flow monitor request: " + *problem);
    if (version < kOfp14 && (m.command != FlowMonitorCommand::kAdd ||
                             (m.flags & flow_monitor_flag::kNoAbbrev) ||
                             m.out_group != 0xffffffff))
      return wire_error(OfpErrorCode::OFPBRC_BAD_VERSION,
                        "flow monitor request: commands, no_abbrev and out_group need "
                        "OpenFlow 1.4");
  }
  Bytes out;
  const size_t start = start_message(out, request_raw(version), version, xid);
  WireWriter w(&out);
  for (const FlowMonitorRequest& m : monitors) put_request(w, m, version);
  finish_message(out, start);
  return out;
}

std::vector<Bytes> encode_flow_monitor_reply(const std::vector<FlowUpdate>& updates,
                                             uint8_t version, uint32_t xid) {
  const OfpRaw raw = version >= kOfp14   ? OfpRaw::OFPST14_FLOW_MONITOR_REPLY
                     : version == kOfp13 ? OfpRaw::ONFST13_FLOW_MONITOR_REPLY
                                         : OfpRaw::NXST_FLOW_MONITOR_REPLY;
  MultipartReply reply(raw, version, xid);
  for (const FlowUpdate& u : updates) {
    reply.begin_entry();
    put_update(reply.writer(), u, version);
    reply.end_entry();
  }
  return reply.finish();
}

WireResult<std::vector<FlowUpdate>> decode_flow_monitor_reply(const OfpMessage& msg) {
  std::vector<FlowUpdate> out;
  size_t pos = 0;
  while (pos < msg.body.size()) {
    const size_t left = msg.body.size() - pos;
    const size_t len = left >= 4 ? get_u16(msg.body.data() + pos) : 0;
    if (left < 4 || len < kUpdateShortLen || len > left || len % 8)
      return wire_error(OfpErrorCode::OFPBRC_BAD_LEN,
                        "flow monitor reply: update of length " + std::to_string(len) + " with " +
                            std::to_string(left) + " bytes left");
    ByteView e = msg.body.subspan(pos, len);
    auto u = msg.raw == OfpRaw::OFPST14_FLOW_MONITOR_REPLY
                 ? decode_ofp14_update(e, msg.version)
                 : decode_nx_update(e, msg.raw == OfpRaw::ONFST13_FLOW_MONITOR_REPLY,
                                    msg.version);
    if (!u.ok()) return u.error();
    out.push_back(std::move(*u));
    pos += len;
  }
  return out;
}

Bytes encode_flow_monitor_cancel(uint32_t id, uint8_t version, uint32_t xid) {
  if (version >= kOfp14) {
    FlowMonitorRequest m;
    m.id = id;
    m.command = FlowMonitorCommand::kDelete;
    Bytes out;
    const size_t start = start_message(out, OfpRaw::OFPST14_FLOW_MONITOR_REQUEST, version, xid);
    WireWriter w(&out);
    put_request(w, m, version);
    finish_message(out, start);
    return out;
  }
  Bytes out;
  const size_t start =
      start_message(out,
                    version == kOfp13 ? OfpRaw::ONFT13_FLOW_MONITOR_CANCEL
                                      : OfpRaw::NXT_FLOW_MONITOR_CANCEL,
                    version, xid);
  WireWriter(&out).put_u32(id);
  finish_message(out, start);
  return out;
}

WireResult<uint32_t> decode_flow_monitor_cancel(const OfpMessage& msg) {
  if (msg.raw == OfpRaw::OFPST14_FLOW_MONITOR_REQUEST) {
    WIRE_TRY_ASSIGN(monitors, decode_flow_monitor_request(msg));
    if (monitors.size() != 1 || monitors[0].command != FlowMonitorCommand::kDelete)
      return wire_error(OfpErrorCode::OFPMOFC_BAD_COMMAND,
                        "flow monitor cancel: not a single delete request");
    return monitors[0].id;
  }
  return get_u32(msg.body.data());  // 4 bytes, checked by the framing
}

Bytes encode_flow_monitor_paused(bool paused, uint8_t version) {
  if (version >= kOfp14) {
    FlowUpdate u;
    u.event = paused ? FlowUpdateEvent::kPaused : FlowUpdateEvent::kResumed;
    return encode_flow_monitor_reply({u}, version, 0).front();
  }
  OfpRaw raw = version == kOfp13
                   ? (paused ? OfpRaw::ONFT13_FLOW_MONITOR_PAUSED
                             : OfpRaw::ONFT13_FLOW_MONITOR_RESUMED)
                   : (paused ? OfpRaw::NXT_FLOW_MONITOR_PAUSED : OfpRaw::NXT_FLOW_MONITOR_RESUMED);
  Bytes out;
  const size_t start = start_message(out, raw, version, 0);
  finish_message(out, start);
  return out;
}

}  // namespace flowpath::openflow::wire
