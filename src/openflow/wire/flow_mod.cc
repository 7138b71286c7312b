// Flow mods (see flow_mod.h).
#include "openflow/wire/flow_mod.h"

#include "openflow/wire/action_codec.h"
#include "openflow/wire/match_nxm.h"
#include "openflow/wire/match_ofp10.h"
#include "openflow/wire/port_desc.h"
#include "packet/headers.h"

namespace flowpath::openflow::wire {

namespace {

constexpr uint16_t kFlagSendFlowRem = 1, kFlagCheckOverlap = 2, kFlagEmergency10 = 4,
                   kFlagResetCounts = 4, kFlagNoPktCounts = 8, kFlagNoBytCounts = 16;

uint8_t command_number(FlowModCommand c) {
  switch (c) {
    case FlowModCommand::kAdd: return 0;
    case FlowModCommand::kModify: return 1;
    case FlowModCommand::kModifyStrict: return 2;
    case FlowModCommand::kDelete: return 3;
    default: return 4;
  }
}

WireResult<FlowModCommand> command_from(unsigned n) {
  switch (n) {
    case 0: return FlowModCommand::kAdd;
    case 1: return FlowModCommand::kModify;
    case 2: return FlowModCommand::kModifyStrict;
    case 3: return FlowModCommand::kDelete;
    case 4: return FlowModCommand::kDeleteStrict;
    default:
      return wire_error(OfpErrorCode::OFPFMFC_BAD_COMMAND,
                        "flow_mod: command " + std::to_string(n) + " is unknown");
  }
}

bool is_delete(FlowModCommand c) {
  return c == FlowModCommand::kDelete || c == FlowModCommand::kDeleteStrict;
}

WireStatus decode_flags(uint16_t raw, FlowMod& fm, uint8_t version) {
  if (version == kOfp10 && (raw & kFlagEmergency10))
    return wire_error(fm.spec.idle_timeout || fm.spec.hard_timeout
                          ? OfpErrorCode::OFPFMFC_BAD_EMERG_TIMEOUT
                          : OfpErrorCode::OFPFMFC_TABLE_FULL,
                      "flow_mod: the OpenFlow 1.0 emergency flow cache is not supported");
  WIRE_TRY(decode_flow_mod_flags(raw, version, fm.spec));
  // In OpenFlow 1.0 every add resets counters.
  if (version == kOfp10 && fm.command == FlowModCommand::kAdd) fm.spec.reset_counts = true;
  return Ok{};
}

// Open vSwitch refuses conntrack tuple addresses of the other IP version.
// (The model keeps both versions' addresses in one place, IPv4 in the first
// 4 bytes, so an IPv4 tuple under an IPv6 match cannot be told apart.)
WireStatus check_ct_tuple(const OfMatch& m) {
  const uint16_t t = ntoh16(m.value.key.eth_type);
  const ConntrackTuple& k = m.mask.key.md.ct_orig_tuple;
  const bool any4 = !all_zero(ByteView(k.src, 4)) || !all_zero(ByteView(k.dst, 4));
  const bool v6 = !all_zero(ByteView(k.src + 4, 12)) || !all_zero(ByteView(k.dst + 4, 12));
  if ((v6 && t != ethertype::kIpv6) ||
      (any4 && t != ethertype::kIpv4 && t != ethertype::kIpv6))
    return wire_error(OfpErrorCode::OFPBAC_MATCH_INCONSISTENT,
                      "flow_mod: conntrack tuple addresses of another IP version than the match");
  return Ok{};
}

}  // namespace

std::string protocol_name(const Protocol& p) {
  if (p.version != kOfp10) return "OXM-OpenFlow1" + std::to_string(p.version - 1);
  return std::string(p.nxm ? "NXM" : "OpenFlow10") + (p.table_id ? "+table_id" : "-table_id");
}

std::optional<Protocol> protocol_from_name(std::string_view name) {
  for (uint8_t v : {kOfp13, kOfp14, kOfp15})
    if (name == protocol_name(Protocol{v, false, false})) return Protocol{v, false, false};
  for (bool nxm : {false, true})
    for (bool tid : {false, true})
      if (name == protocol_name(Protocol{kOfp10, nxm, tid})) return Protocol{kOfp10, nxm, tid};
  return std::nullopt;
}

WireStatus decode_flow_mod_flags(uint16_t raw, uint8_t version, FlowModSpec& s) {
  uint16_t known = kFlagSendFlowRem | kFlagCheckOverlap;
  if (version >= kOfp12) known |= kFlagResetCounts;
  if (version >= kOfp13) known |= kFlagNoPktCounts | kFlagNoBytCounts;
  if (raw & ~known)
    return wire_error(OfpErrorCode::OFPFMFC_BAD_FLAGS,
                      "flags " + std::to_string(raw) + " are not known in " +
                          version_name(version));
  s.send_flow_rem = raw & kFlagSendFlowRem;
  s.check_overlap = raw & kFlagCheckOverlap;
  s.reset_counts = version >= kOfp12 && (raw & kFlagResetCounts);
  s.no_packet_counts = version >= kOfp13 && (raw & kFlagNoPktCounts);
  s.no_byte_counts = version >= kOfp13 && (raw & kFlagNoBytCounts);
  return Ok{};
}

uint16_t encode_flow_mod_flags(const FlowModSpec& s, uint8_t version) {
  uint16_t raw = 0;
  if (s.send_flow_rem) raw |= kFlagSendFlowRem;
  if (s.check_overlap) raw |= kFlagCheckOverlap;
  if (version >= kOfp12 && s.reset_counts) raw |= kFlagResetCounts;
  if (version >= kOfp13 && s.no_packet_counts) raw |= kFlagNoPktCounts;
  if (version >= kOfp13 && s.no_byte_counts) raw |= kFlagNoBytCounts;
  return raw;
}

WireResult<FlowMod> decode_flow_mod(const OfpMessage& msg, const Protocol& protocol) {
  FlowMod fm;
  FlowModSpec& s = fm.spec;
  WireReader r(msg.body, OfpErrorCode::OFPBRC_BAD_LEN, "flow_mod");
  uint16_t raw_flags = 0;
  if (msg.raw == OfpRaw::OFPT11_FLOW_MOD) {
    WIRE_TRY_ASSIGN(b, r.pull(40, "ofp_flow_mod"));
    const uint8_t* p = b.data();
    WIRE_TRY_ASSIGN(command, command_from(p[17]));
    fm.command = command;
    WIRE_TRY_ASSIGN(match, pull_oxm_match(r, true));
    s.match = match;
    s.priority = get_u16(p + 22);
    if (command == FlowModCommand::kAdd) {
      fm.new_cookie = s.cookie = get_u64(p);
    } else {
      s.cookie_mask = get_u64(p + 8);
      s.cookie = get_u64(p) & s.cookie_mask;
    }
    s.table = p[16];
    if (s.table == kTableAll && !is_delete(command))
      return wire_error(OfpErrorCode::OFPFMFC_BAD_TABLE_ID,
                        "flow_mod: table 255 (all) is for deletes only");
    s.idle_timeout = get_u16(p + 18);
    s.hard_timeout = get_u16(p + 20);
    fm.buffer_id = get_u32(p + 24);
    WIRE_TRY_ASSIGN(out_port, port_from_ofp11(get_u32(p + 28), "flow_mod out_port"));
    s.out_port = out_port;
    s.out_group = is_delete(command) ? get_u32(p + 32) : kOfgAny;
    raw_flags = get_u16(p + 36);
    if (msg.version >= kOfp14 && command == FlowModCommand::kAdd) s.importance = get_u16(p + 38);
  } else {
    uint16_t command_field;
    if (msg.raw == OfpRaw::OFPT10_FLOW_MOD) {
      WIRE_TRY_ASSIGN(match, pull_ofp10_match(r));
      WIRE_TRY_ASSIGN(b, r.pull(24, "ofp_flow_mod"));
      const uint8_t* p = b.data();
      s.match = match;
      // OpenFlow 1.0: an exact-match rule has the highest priority.
      const bool exact = !(get_u32(msg.body.data()) & ((1u << 22) - 1));
      s.priority = exact ? 0xffff : get_u16(p + 14);
      fm.new_cookie = get_u64(p);
      command_field = get_u16(p + 8);
      s.idle_timeout = get_u16(p + 10);
      s.hard_timeout = get_u16(p + 12);
      fm.buffer_id = get_u32(p + 16);
      s.out_port = port_from_ofp10(get_u16(p + 20));
      raw_flags = get_u16(p + 22);
    } else if (msg.raw == OfpRaw::NXT_FLOW_MOD) {
      WIRE_TRY_ASSIGN(b, r.pull(32, "nx_flow_mod"));
      const uint8_t* p = b.data();
      const uint16_t match_len = get_u16(p + 24);
      WIRE_TRY_ASSIGN(entries, r.pull(round_up8(match_len), "nx_match"));
      NxmCookie cookie;
      WIRE_TRY_ASSIGN(match, decode_nxm_match(entries.subspan(0, match_len), true, &cookie));
      s.match = match;
      command_field = get_u16(p + 8);
      if ((command_field & 0xff) == 0 && cookie.mask)
        return wire_error(OfpErrorCode::NXBRC_NXM_INVALID,
                          "flow_mod: an add sets a cookie, it cannot match one");
      s.cookie = cookie.value;
      s.cookie_mask = cookie.mask;
      s.priority = get_u16(p + 14);
      fm.new_cookie = get_u64(p);
      s.idle_timeout = get_u16(p + 10);
      s.hard_timeout = get_u16(p + 12);
      fm.buffer_id = get_u32(p + 16);
      s.out_port = port_from_ofp10(get_u16(p + 20));
      raw_flags = get_u16(p + 22);
    } else {
      return wire_error(OfpErrorCode::OFPBRC_BAD_TYPE, "not a flow_mod");
    }
    fm.modify_cookie = fm.new_cookie != kNoCookie;
    unsigned command = command_field;
    if (protocol.table_id) {
      command = command_field & 0xff;
      s.table = static_cast<uint8_t>(command_field >> 8);
    } else {
      s.table = kTableAll;
    }
    WIRE_TRY_ASSIGN(cmd, command_from(command));
    fm.command = cmd;
    if (cmd == FlowModCommand::kAdd) {
      s.cookie = fm.new_cookie;
      if (s.table == kTableAll) s.table = 0;  // an add without a table goes to table 0
    }
  }
  WIRE_TRY(check_ct_tuple(s.match));
  WIRE_TRY_ASSIGN(actions, decode_instructions(r.rest(), msg.version));
  s.actions = std::move(actions);
  s.has_actions = fm.command == FlowModCommand::kAdd || fm.command == FlowModCommand::kModify ||
                  fm.command == FlowModCommand::kModifyStrict;
  WIRE_TRY(decode_flags(raw_flags, fm, msg.version));
  WIRE_TRY(check_actions(s.actions, s.match, msg.version, s.table));
  return fm;
}

WireResult<Bytes> encode_flow_mod(const FlowMod& fm, const Protocol& protocol, uint32_t xid) {
  const FlowModSpec& s = fm.spec;
  const uint8_t version = protocol.version;
  if (auto problem = actions_encoding_problem(s.actions, version, true))
    return wire_error(OfpErrorCode::OFPBIC_UNSUP_INST, "flow_mod: " + *problem);
  if (auto problem = nxm_match_problem(s.match))
    return wire_error(OfpErrorCode::OFPBMC_BAD_FIELD, "flow_mod: " + *problem);
  const bool add = fm.command == FlowModCommand::kAdd;
  const uint64_t new_cookie = add ? s.cookie : fm.new_cookie;
  Bytes out;
  WireWriter w(&out);
  const uint16_t flags = encode_flow_mod_flags(s, version);
  const uint16_t command = protocol.table_id
                               ? static_cast<uint16_t>(command_number(fm.command) | s.table << 8)
                               : command_number(fm.command);
  size_t start;
  if (version != kOfp10) {
    start = start_message(out, OfpRaw::OFPT11_FLOW_MOD, version, xid);
    w.put_u64(add ? new_cookie : s.cookie & s.cookie_mask);
    w.put_u64(s.cookie_mask);
    w.put_u8(s.table != kTableAll || is_delete(fm.command) ? s.table : 0);
    w.put_u8(command_number(fm.command));
    w.put_u16(s.idle_timeout);
    w.put_u16(s.hard_timeout);
    w.put_u16(s.priority);
    w.put_u32(fm.buffer_id);
    w.put_u32(s.out_port);
    w.put_u32(s.out_group);
    w.put_u16(flags);
    w.put_u16(version >= kOfp14 && add ? s.importance : 0);
    put_oxm_match(w, s.match, version);
    encode_instructions(w, s.actions, version, &s.match);
  } else if (protocol.nxm) {
    start = start_message(out, OfpRaw::NXT_FLOW_MOD, version, xid);
    w.put_u64(new_cookie);
    w.put_u16(command);
    w.put_u16(s.idle_timeout);
    w.put_u16(s.hard_timeout);
    w.put_u16(s.priority);
    w.put_u32(fm.buffer_id);
    w.put_u16(port_to_ofp10(s.out_port));
    w.put_u16(flags);
    const size_t match_len_at = w.size();
    w.put_u16(0);
    w.put_zeros(6);
    const size_t match_start = w.size();
    NxmCookie cookie{s.cookie, add ? 0 : s.cookie_mask};
    const size_t match_len = put_nxm_match(w, s.match, 0, cookie);
    w.patch_u16(match_len_at, static_cast<uint16_t>(match_len));
    w.pad_to_8(match_start);
    encode_actions(w, s.actions, version, &s.match);
  } else {
    if (auto problem = ofp10_match_problem(s.match))
      return wire_error(OfpErrorCode::OFPBMC_BAD_FIELD, "flow_mod: " + *problem);
    if (s.cookie_mask && !add)
      return wire_error(OfpErrorCode::OFPBMC_BAD_FIELD,
                        "flow_mod: OpenFlow 1.0's ofp_match cannot match cookies");
    start = start_message(out, OfpRaw::OFPT10_FLOW_MOD, version, xid);
    put_ofp10_match(w, s.match);
    w.put_u64(new_cookie);
    w.put_u16(command);
    w.put_u16(s.idle_timeout);
    w.put_u16(s.hard_timeout);
    w.put_u16(s.priority);
    w.put_u32(fm.buffer_id);
    w.put_u16(port_to_ofp10(s.out_port));
    w.put_u16(flags);
    encode_actions(w, s.actions, version, &s.match);
  }
  if (out.size() - start > 0xffff)
    return wire_error(OfpErrorCode::OFPBRC_BAD_LEN, "flow_mod: more than 65535 bytes");
  finish_message(out, start);
  return out;
}

}  // namespace flowpath::openflow::wire
