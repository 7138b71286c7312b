// Open vSwitch's extension actions that are not output, header, set-field,
// learn, conntrack or hashing actions: resubmit, move (and the ONF/OpenFlow
// 1.5 copy_field), push/pop to the stack, note, exit, fin_timeout,
// conjunction, sample, write_metadata, clone, check_pkt_larger, decap,
// dec_nsh_ttl, and meter as OpenFlow 1.5's action. Also the subfield
// helpers every NX action with field operands uses.
#include "openflow/wire/action_internal.h"

namespace flowpath::openflow::wire::action_wire {

// ---- Subfields.

uint32_t nxm_header32(const OfFieldInfo& field) {
  const NxmField* f = nxm_field_for(field, 0);
  if (!f || f->experimenter()) return 0;
  return uint32_t{f->header.oxm_class} << 16 | uint32_t{f->header.oxm_field} << 9 |
         f->payload_bytes;
}

namespace {

WireResult<Subfield> check_subfield(const RawAction& a, const NxmField& nxm, uint16_t ofs,
                                    uint16_t n_bits) {
  const unsigned width = nxm_value_bits(*nxm.field);
  if (n_bits == 0 || ofs >= width || ofs + n_bits > width)
    return a.error(OfpErrorCode::OFPBAC_BAD_SET_LEN,
                   "bits " + std::to_string(ofs) + ".." + std::to_string(ofs + n_bits - 1) +
                       " do not fit the " + std::to_string(width) + "-bit " +
                       std::string(nxm.name));
  return Subfield{nxm.field, ofs, n_bits};
}

}  // namespace

WireResult<Subfield> subfield_from_header(const RawAction& a, uint32_t header, uint16_t ofs,
                                          uint16_t n_bits) {
  NxmHeader h{static_cast<uint16_t>(header >> 16), static_cast<uint8_t>((header >> 9) & 0x7f), 0};
  const NxmField* nxm = find_nxm_field(h);
  const bool hasmask = (header >> 8) & 1;
  const unsigned length = header & 0xff;
  if (!nxm || hasmask || length != nxm->payload_bytes || nxm->experimenter())
    return a.error(OfpErrorCode::OFPBAC_BAD_SET_TYPE,
                   "NXM header " + std::to_string(header) + " names no field flowpath knows");
  return check_subfield(a, *nxm, ofs, n_bits);
}

WireResult<Subfield> pull_subfield_header(const RawAction& a, WireReader& r, uint16_t ofs,
                                          uint16_t n_bits) {
  WIRE_TRY_ASSIGN(nxm, pull_nxm_header(r, NxmContext::kAction));
  return check_subfield(a, *nxm, ofs, n_bits);
}

namespace {

void put_header(WireWriter& w, const OfFieldInfo& field, uint8_t version) {
  put_nxm_header(w, *nxm_field_for(field, version), false);
}

WireStatus decode_copy_field(const RawAction& a, size_t numbers, size_t headers, Actions& out,
                             bool copy_field_form) {
  const uint8_t* p = a.bytes.data();
  const uint16_t n_bits = get_u16(p + numbers), src_ofs = get_u16(p + numbers + 2),
                 dst_ofs = get_u16(p + numbers + 4);
  WireReader r = a.reader(headers);
  WIRE_TRY_ASSIGN(src, pull_subfield_header(a, r, src_ofs, n_bits));
  WIRE_TRY_ASSIGN(dst, pull_subfield_header(a, r, dst_ofs, n_bits));
  if (!all_zero(r.rest())) return a.error(OfpErrorCode::NXBRC_MUST_BE_ZERO, "padding is not zero");
  if (!wire_writable(*dst.field))
    return a.error(OfpErrorCode::OFPBAC_BAD_SET_ARGUMENT,
                   std::string(nxm_name(*dst.field)) + " is read-only");
  out.emplace_back(action::RegMove{src, dst, copy_field_form});
  return Ok{};
}

WireStatus decode_stack(const RawAction& a, Actions& out, bool push) {
  WireReader r = a.reader(12);
  const uint16_t ofs = get_u16(a.bytes.data() + 10);
  // The header comes before n_bits, so read it first and check after.
  WIRE_TRY_ASSIGN(nxm, pull_nxm_header(r, NxmContext::kAction));
  WIRE_TRY_ASSIGN(n_bits, r.u16("n_bits"));
  if (!all_zero(r.rest())) return a.error(OfpErrorCode::NXBRC_MUST_BE_ZERO, "padding is not zero");
  WIRE_TRY_ASSIGN(field, check_subfield(a, *nxm, ofs, n_bits));
  if (push) out.emplace_back(action::StackPush{field});
  else out.emplace_back(action::StackPop{field});
  return Ok{};
}

WireStatus decode_sample(const RawAction& a, Actions& out) {
  const uint8_t* p = a.bytes.data();
  action::Sample s;
  s.probability = get_u16(p + 10);
  s.collector_set_id = get_u32(p + 12);
  s.obs_domain_id = get_u32(p + 16);
  s.obs_point_id = get_u32(p + 20);
  if (a.info->raw == ActionRaw::NXAST_SAMPLE) {
    s.form = 1;
  } else {
    s.sampling_port = port_from_ofp10(get_u16(p + 24));
    if (a.info->raw == ActionRaw::NXAST_SAMPLE3) {
      s.form = 3;
      if (!all_zero(a.bytes.subspan(27, 5)))
        return a.error(OfpErrorCode::NXBRC_MUST_BE_ZERO, "padding is not zero");
      s.direction = p[26];
      if (s.direction > 2)
        return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT,
                       "direction " + std::to_string(s.direction) + " is unknown");
    } else {
      s.form = 2;
    }
  }
  if (!s.probability) return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT, "probability is 0");
  out.emplace_back(s);
  return Ok{};
}

}  // namespace

WireStatus decode_nx_family(const RawAction& a, Actions& out) {
  const uint8_t* p = a.bytes.data();
  switch (a.info->raw) {
    case ActionRaw::NXAST_RESUBMIT:
      out.emplace_back(action::Resubmit{port_from_ofp10(static_cast<uint16_t>(a.arg)), kTableAll});
      return Ok{};
    case ActionRaw::NXAST_RESUBMIT_TABLE:
    case ActionRaw::NXAST_RESUBMIT_TABLE_CT: {
      if (p[13] || p[14] || p[15])
        return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT, "padding is not zero");
      action::Resubmit r{port_from_ofp10(get_u16(p + 10)), p[12]};
      r.with_ct_orig = a.info->raw == ActionRaw::NXAST_RESUBMIT_TABLE_CT;
      r.table_form = true;
      out.emplace_back(r);
      return Ok{};
    }
    case ActionRaw::NXAST_REG_MOVE: return decode_copy_field(a, 10, 16, out, false);
    case ActionRaw::ONFACT13_COPY_FIELD: return decode_copy_field(a, 12, 20, out, true);
    case ActionRaw::OFPAT15_COPY_FIELD: return decode_copy_field(a, 4, 12, out, false);
    case ActionRaw::NXAST_STACK_PUSH: return decode_stack(a, out, true);
    case ActionRaw::NXAST_STACK_POP: return decode_stack(a, out, false);
    case ActionRaw::NXAST_NOTE:
      out.emplace_back(action::Note{std::vector<uint8_t>(a.bytes.begin() + 10, a.bytes.end())});
      return Ok{};
    case ActionRaw::NXAST_EXIT: out.emplace_back(action::Exit{}); return Ok{};
    case ActionRaw::NXAST_FIN_TIMEOUT:
      out.emplace_back(action::FinTimeout{get_u16(p + 10), get_u16(p + 12)});
      return Ok{};
    case ActionRaw::NXAST_CONJUNCTION: {
      const uint8_t clause = p[10], n = p[11];
      if (n < 2 || n > 64 || clause >= n)
        return a.error(OfpErrorCode::NXBAC_BAD_CONJUNCTION,
                       "clause " + std::to_string(clause + 1) + " of " + std::to_string(n) +
                           " (2 to 64 clauses)");
      out.emplace_back(action::Conjunction{get_u32(p + 12), clause, n});
      return Ok{};
    }
    case ActionRaw::NXAST_SAMPLE:
    case ActionRaw::NXAST_SAMPLE2:
    case ActionRaw::NXAST_SAMPLE3: return decode_sample(a, out);
    case ActionRaw::NXAST_WRITE_METADATA:
      if (!all_zero(a.bytes.subspan(10, 6)))
        return a.error(OfpErrorCode::NXBRC_MUST_BE_ZERO, "padding is not zero");
      out.emplace_back(action::WriteMetadata{get_u64(p + 16), get_u64(p + 24)});
      return Ok{};
    case ActionRaw::NXAST_CLONE: {
      WIRE_TRY_ASSIGN(nested, decode_nested_actions(a.bytes.subspan(16), a.version, "clone"));
      out.emplace_back(action::Clone{std::move(nested)});
      return Ok{};
    }
    case ActionRaw::NXAST_CHECK_PKT_LARGER: {
      WireReader r = a.reader(14);
      WIRE_TRY_ASSIGN(dst, pull_subfield_header(a, r, get_u16(p + 12), 1));
      if (!all_zero(r.rest())) return a.error(OfpErrorCode::NXBRC_MUST_BE_ZERO, "padding is not zero");
      if (!wire_writable(*dst.field))
        return a.error(OfpErrorCode::OFPBAC_BAD_SET_ARGUMENT,
                       std::string(nxm_name(*dst.field)) + " is read-only");
      out.emplace_back(action::CheckPktLarger{get_u16(p + 10), dst});
      return Ok{};
    }
    case ActionRaw::NXAST_DEC_NSH_TTL: out.emplace_back(action::DecNshTtl{}); return Ok{};
    case ActionRaw::NXAST_DECAP:
      if (a.bytes.size() > 16)
        return a.error(OfpErrorCode::NXBAC_UNKNOWN_ED_PROP, "decap takes no properties");
      out.emplace_back(action::Decap{get_u32(p + 12)});
      return Ok{};
    case ActionRaw::NXAST_ENCAP:
      return a.error(OfpErrorCode::NXBAC_BAD_HEADER_TYPE,
                     "encap (NSH and MPLS encapsulation) is not supported by flowpath");
    case ActionRaw::NXAST_DELETE_FIELD:
      return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT,
                     "delete_field works on tun_metadata fields, which flowpath does not have");
    case ActionRaw::OFPAT15_METER: out.emplace_back(action::Meter{static_cast<uint32_t>(a.arg)}); return Ok{};
    default: return a.error(OfpErrorCode::OFPBAC_BAD_TYPE, "unknown Nicira action");
  }
}

void encode_action(const action::Resubmit& a, ActionEncoder& e) {
  if (a.table == kTableAll && !a.table_form && !a.with_ct_orig) {
    e.put_raw(ActionRaw::NXAST_RESUBMIT, port_to_ofp10(a.in_port));
    return;
  }
  size_t s = e.put_raw(a.with_ct_orig ? ActionRaw::NXAST_RESUBMIT_TABLE_CT
                                      : ActionRaw::NXAST_RESUBMIT_TABLE);
  put_u16_at(e.w.at(s + 10), port_to_ofp10(a.in_port));
  *e.w.at(s + 12) = a.table;
}

void encode_action(const action::RegMove& a, ActionEncoder& e) {
  const uint16_t n = a.dst.n_bits;
  size_t s;
  if (e.version >= kOfp15) {
    s = e.put_raw(ActionRaw::OFPAT15_COPY_FIELD);
    put_u16_at(e.w.at(s + 4), n);
    put_u16_at(e.w.at(s + 6), a.src.ofs);
    put_u16_at(e.w.at(s + 8), a.dst.ofs);
    e.w.truncate(s + 12);
    put_header(e.w, *a.src.field, e.version);
    put_header(e.w, *a.dst.field, e.version);
  } else if (e.version == kOfp13 && a.copy_field_form) {
    s = e.put_raw(ActionRaw::ONFACT13_COPY_FIELD);
    put_u16_at(e.w.at(s + 12), n);
    put_u16_at(e.w.at(s + 14), a.src.ofs);
    put_u16_at(e.w.at(s + 16), a.dst.ofs);
    e.w.truncate(s + 20);
    put_header(e.w, *a.src.field, e.version);
    put_header(e.w, *a.dst.field, e.version);
  } else {
    s = e.put_raw(ActionRaw::NXAST_REG_MOVE);
    put_u16_at(e.w.at(s + 10), n);
    put_u16_at(e.w.at(s + 12), a.src.ofs);
    put_u16_at(e.w.at(s + 14), a.dst.ofs);
    put_header(e.w, *a.src.field, 0);
    put_header(e.w, *a.dst.field, 0);
  }
  e.finish(s);
}

namespace {

void encode_stack(const Subfield& f, ActionEncoder& e, ActionRaw raw) {
  const size_t s = e.put_raw(raw);
  put_u16_at(e.w.at(s + 10), f.ofs);
  Bytes tail;
  WireWriter tw(&tail);
  put_header(tw, *f.field, 0);
  tw.put_u16(f.n_bits);
  std::copy(tail.begin(), tail.end(), e.w.at(s + 12));
}

}  // namespace

void encode_action(const action::StackPush& a, ActionEncoder& e) {
  encode_stack(a.field, e, ActionRaw::NXAST_STACK_PUSH);
}
void encode_action(const action::StackPop& a, ActionEncoder& e) {
  encode_stack(a.field, e, ActionRaw::NXAST_STACK_POP);
}

void encode_action(const action::FinTimeout& a, ActionEncoder& e) {
  size_t s = e.put_raw(ActionRaw::NXAST_FIN_TIMEOUT);
  put_u16_at(e.w.at(s + 10), a.idle_timeout);
  put_u16_at(e.w.at(s + 12), a.hard_timeout);
}

void encode_action(const action::Conjunction& a, ActionEncoder& e) {
  size_t s = e.put_raw(ActionRaw::NXAST_CONJUNCTION);
  *e.w.at(s + 10) = a.clause;
  *e.w.at(s + 11) = a.n_clauses;
  put_u32_at(e.w.at(s + 12), a.id);
}

void encode_action(const action::Note& a, ActionEncoder& e) {
  size_t s = e.put_raw(ActionRaw::NXAST_NOTE);
  e.w.truncate(s + 10);
  e.w.put_bytes(a.data);
  e.finish(s);
}

void encode_action(const action::Exit&, ActionEncoder& e) { e.put_raw(ActionRaw::NXAST_EXIT); }

void encode_action(const action::Sample& a, ActionEncoder& e) {
  ActionRaw raw = ActionRaw::NXAST_SAMPLE;
  if (a.form == 3 || a.direction) raw = ActionRaw::NXAST_SAMPLE3;
  else if (a.form == 2 || a.sampling_port != kOfppAny) raw = ActionRaw::NXAST_SAMPLE2;
  size_t s = e.put_raw(raw);
  put_u16_at(e.w.at(s + 10), a.probability);
  put_u32_at(e.w.at(s + 12), a.collector_set_id);
  put_u32_at(e.w.at(s + 16), a.obs_domain_id);
  put_u32_at(e.w.at(s + 20), a.obs_point_id);
  if (raw != ActionRaw::NXAST_SAMPLE) {
    put_u16_at(e.w.at(s + 24), port_to_ofp10(a.sampling_port));
    *e.w.at(s + 26) = a.direction;
  }
}

void encode_action(const action::Clone& a, ActionEncoder& e) {
  size_t s = e.put_raw(ActionRaw::NXAST_CLONE);
  ActionEncoder nested(e.w, e.version, e.flow);
  nested.encode_list(a.actions);
  e.w.patch_length16(s + 2, s);
}

void encode_action(const action::CheckPktLarger& a, ActionEncoder& e) {
  size_t s = e.put_raw(ActionRaw::NXAST_CHECK_PKT_LARGER);
  put_u16_at(e.w.at(s + 10), a.pkt_len);
  put_u16_at(e.w.at(s + 12), a.dst.ofs);
  Bytes h;
  WireWriter hw(&h);
  put_header(hw, *a.dst.field, 0);
  std::copy(h.begin(), h.end(), e.w.at(s + 14));
}

void encode_action(const action::DecNshTtl&, ActionEncoder& e) {
  e.put_raw(ActionRaw::NXAST_DEC_NSH_TTL);
}

void encode_action(const action::Decap& a, ActionEncoder& e) {
  size_t s = e.put_raw(ActionRaw::NXAST_DECAP);
  put_u32_at(e.w.at(s + 12), a.packet_type);
}

void encode_action(const action::Meter& a, ActionEncoder& e) {
  // An instruction before OpenFlow 1.5 (written by the instruction encoder;
  // OpenFlow 1.0 has no meters).
  if (e.version >= kOfp15) e.put_raw(ActionRaw::OFPAT15_METER, a.meter_id);
}

void encode_action(const action::WriteMetadata& a, ActionEncoder& e) {
  // OpenFlow 1.0 only: the instruction encoder writes 1.1+'s instruction.
  size_t s = e.put_raw(ActionRaw::NXAST_WRITE_METADATA);
  put_u64_at(e.w.at(s + 16), a.value);
  put_u64_at(e.w.at(s + 24), a.mask);
}

void encode_action(const action::GotoTable& a, ActionEncoder& e) {
  // OpenFlow 1.0: resubmit(,table) stands in for goto_table.
  size_t s = e.put_raw(ActionRaw::NXAST_RESUBMIT_TABLE);
  put_u16_at(e.w.at(s + 10), port_to_ofp10(kOfppInPort));
  *e.w.at(s + 12) = a.table;
}

void encode_action(const action::ClearActions&, ActionEncoder&) {
  // An instruction only: OpenFlow 1.0 has no action set to clear.
}

void encode_action(const action::WriteActions&, ActionEncoder&) {
  // An instruction only (see encode_instructions).
}

}  // namespace flowpath::openflow::wire::action_wire
