// NXAST_LEARN and NXAST_LEARN2: the flow to add as a header (timeouts,
// priority, cookie, flags, table; learn2 adds a limit and where to write
// whether it learned) and a list of flow_mod_specs, each copying n_bits from
// a field or an immediate value into a match field, a load, or an output.
#include "openflow/wire/action_internal.h"

namespace flowpath::openflow::wire::action_wire {

namespace {

using Spec = action::LearnSpec;

constexpr uint16_t kSrcImmediate = 1 << 13;
constexpr uint16_t kDstLoad = 1 << 11;
constexpr uint16_t kDstOutput = 2 << 11;
constexpr uint16_t kDstMask = 3 << 11;
constexpr uint16_t kNBitsMask = 0x3ff;
constexpr uint16_t kFlagSendFlowRem = 1, kFlagDeleteLearned = 2, kFlagWriteResult = 4;

WireStatus decode_specs(const RawAction& a, WireReader& r, action::Learn& learn) {
  while (!r.empty()) {
    if (r.remaining() < 2) break;
    const uint16_t header = get_u16(r.peek());
    if (!header) break;  // padding
    WIRE_TRY(r.skip(2, "spec header"));
    Spec spec;
    spec.n_bits = header & kNBitsMask;
    spec.src_type = (header & kSrcImmediate) ? Spec::Src::kImmediate : Spec::Src::kField;
    const uint16_t dst = header & kDstMask;
    if (dst == 0) spec.dst_type = Spec::Dst::kMatch;
    else if (dst == kDstLoad) spec.dst_type = Spec::Dst::kLoad;
    else if (dst == kDstOutput && spec.src_type == Spec::Src::kField) spec.dst_type = Spec::Dst::kOutput;
    else return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT,
                        "flow_mod_spec header " + std::to_string(header) + " is not valid");
    if ((header & ~(kSrcImmediate | kDstMask | kNBitsMask)) != 0)
      return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT,
                     "flow_mod_spec header " + std::to_string(header) + " has reserved bits");
    const size_t imm_bytes = 2 * ((spec.n_bits + 15u) / 16);
    size_t need = spec.src_type == Spec::Src::kField ? 6 : imm_bytes;
    if (spec.dst_type != Spec::Dst::kOutput) need += 6;
    if (r.remaining() < need)
      return a.error(OfpErrorCode::OFPBAC_BAD_LEN, "flow_mod_spec needs " + std::to_string(need) +
                                                       " bytes, " + std::to_string(r.remaining()) +
                                                       " remain");
    if (spec.src_type == Spec::Src::kField) {
      WIRE_TRY_ASSIGN(h, r.u32("source field"));
      WIRE_TRY_ASSIGN(ofs, r.u16("source offset"));
      WIRE_TRY_ASSIGN(src, subfield_from_header(a, h, ofs, spec.n_bits));
      spec.src = src;
    } else {
      WIRE_TRY_ASSIGN(imm, r.pull(imm_bytes, "immediate value"));
      const size_t used = (spec.n_bits + 7u) / 8;
      spec.immediate.assign(imm.end() - static_cast<long>(used), imm.end());
    }
    if (spec.dst_type != Spec::Dst::kOutput) {
      WIRE_TRY_ASSIGN(h, r.u32("destination field"));
      WIRE_TRY_ASSIGN(ofs, r.u16("destination offset"));
      WIRE_TRY_ASSIGN(dst_sf, subfield_from_header(a, h, ofs, spec.n_bits));
      spec.dst = dst_sf;
    }
    learn.specs.push_back(std::move(spec));
  }
  if (!all_zero(r.rest())) return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT, "padding is not zero");
  return Ok{};
}

}  // namespace

WireStatus decode_learn(const RawAction& a, Actions& out) {
  const uint8_t* p = a.bytes.data();
  action::Learn learn;
  learn.idle_timeout = get_u16(p + 10);
  learn.hard_timeout = get_u16(p + 12);
  learn.priority = get_u16(p + 14);
  learn.cookie = get_u64(p + 16);
  learn.flags = get_u16(p + 24);
  learn.table = p[26];
  if (p[27]) return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT, "padding is not zero");
  learn.fin_idle_timeout = get_u16(p + 28);
  learn.fin_hard_timeout = get_u16(p + 30);
  if (learn.table == 0xff) return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT, "table 255 is not a table");
  size_t specs_at = 32;
  if (a.info->raw == ActionRaw::NXAST_LEARN) {
    if (learn.flags & ~(kFlagSendFlowRem | kFlagDeleteLearned))
      return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT, "unknown flags " + std::to_string(learn.flags));
  } else {
    learn.learn2_form = true;
    learn.limit = get_u32(p + 32);
    const uint16_t result_ofs = get_u16(p + 36);
    if (get_u16(p + 38)) return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT, "padding is not zero");
    if (learn.flags & ~(kFlagSendFlowRem | kFlagDeleteLearned | kFlagWriteResult))
      return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT, "unknown flags " + std::to_string(learn.flags));
    specs_at = 40;
    if (learn.flags & kFlagWriteResult) {
      WireReader r = a.reader(40);
      WIRE_TRY_ASSIGN(nxm, pull_nxm_header(r, NxmContext::kAction));
      if (!wire_writable(*nxm->field))
        return a.error(OfpErrorCode::OFPBAC_BAD_SET_ARGUMENT,
                       std::string(nxm->name) + " is read-only");
      learn.result_dst = Subfield{nxm->field, result_ofs, 1};
      specs_at += r.offset();
    } else if (result_ofs) {
      return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT, "result_dst_ofs without write_result");
    }
  }
  WireReader r = a.reader(specs_at);
  WIRE_TRY(decode_specs(a, r, learn));
  out.emplace_back(std::move(learn));
  return Ok{};
}

void encode_action(const action::Learn& a, ActionEncoder& e) {
  const bool learn2 = a.learn2_form || a.limit || (a.flags & kFlagWriteResult);
  const size_t s = e.put_raw(learn2 ? ActionRaw::NXAST_LEARN2 : ActionRaw::NXAST_LEARN);
  uint8_t* p = e.w.at(s);
  put_u16_at(p + 10, a.idle_timeout);
  put_u16_at(p + 12, a.hard_timeout);
  put_u16_at(p + 14, a.priority);
  put_u64_at(p + 16, a.cookie);
  put_u16_at(p + 24, a.flags);
  p[26] = a.table;
  put_u16_at(p + 28, a.fin_idle_timeout);
  put_u16_at(p + 30, a.fin_hard_timeout);
  if (learn2) {
    put_u32_at(p + 32, a.limit);
    put_u16_at(p + 36, a.result_dst.ofs);
    if (a.flags & kFlagWriteResult) put_nxm_header(e.w, *nxm_field_for(*a.result_dst.field, 0), false);
  }
  for (const Spec& spec : a.specs) {
    uint16_t header = spec.n_bits;
    if (spec.src_type == Spec::Src::kImmediate) header |= kSrcImmediate;
    if (spec.dst_type == Spec::Dst::kLoad) header |= kDstLoad;
    if (spec.dst_type == Spec::Dst::kOutput) header |= kDstOutput;
    e.w.put_u16(header);
    if (spec.src_type == Spec::Src::kField) {
      e.w.put_u32(nxm_header32(*spec.src.field));
      e.w.put_u16(spec.src.ofs);
    } else {
      const size_t n = 2 * ((spec.n_bits + 15u) / 16);
      e.w.put_zeros(n - std::min(n, spec.immediate.size()));
      e.w.put_bytes(std::span(spec.immediate).last(std::min(n, spec.immediate.size())));
    }
    if (spec.dst_type != Spec::Dst::kOutput) {
      e.w.put_u32(nxm_header32(*spec.dst.field));
      e.w.put_u16(spec.dst.ofs);
    }
  }
  e.finish(s);
}

}  // namespace flowpath::openflow::wire::action_wire
