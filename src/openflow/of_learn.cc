// The learn action's checks and the flow it learns from a packet, as Open
// vSwitch's learn_check and learn_execute behave (ovs-actions(7) "learn").
#include <string>

#include "openflow/nxm_field.h"
#include "openflow/of_learn.h"

namespace flowpath::openflow {

namespace {

using Spec = action::LearnSpec;
using Number = field_internal::U128;

std::string subfield_name(const Subfield& sf) {
  return std::string(nxm_name(*sf.field)) + "[" +
         (sf.ofs == 0 && sf.n_bits == nxm_value_bits(*sf.field)
              ? std::string()
              : std::to_string(sf.ofs) + ".." + std::to_string(sf.ofs + sf.n_bits - 1)) +
         "]";
}

Number immediate_number(const Spec& spec) {
  Number n = 0;
  for (uint8_t b : spec.immediate) n = (n << 8) | b;
  return n & field_internal::low_bits(spec.n_bits);
}

Number source_bits(const Spec& spec, const OfFlow& flow) {
  if (spec.src_type == Spec::Src::kImmediate) return immediate_number(spec);
  const OfFieldInfo& f = *spec.src.field;
  return (nxm_number(f, flow.bytes() + f.offset) >> spec.src.ofs) &
         field_internal::low_bits(spec.n_bits);
}

// Sets bits [ofs, ofs + n) of the field in `match` to `bits`, exactly.
void match_bits(OfMatch& match, const Subfield& dst, Number bits) {
  const OfFieldInfo& f = *dst.field;
  uint8_t* value = match.value.bytes() + f.offset;
  uint8_t* mask = match.mask.bytes() + f.offset;
  const Number span = field_internal::low_bits(dst.n_bits) << dst.ofs;
  Number v = nxm_number(f, value) & nxm_mask_number(f, mask);
  Number m = nxm_mask_number(f, mask) | span;
  v = (v & ~span) | (bits << dst.ofs);
  store_nxm_number(f, v, value);
  store_nxm_mask_number(f, m, mask);
}

}  // namespace

Status check_learn(const action::Learn& learn, const OfMatch& rule_match) {
  OfMatch learned;  // what the immediate match specs so far make of the learned match
  for (const Spec& spec : learn.specs) {
    if (spec.src_type == Spec::Src::kField && !prereq_satisfied(rule_match, spec.src.field->prereq))
      return make_error("learn: source " + subfield_name(spec.src) + " needs " +
                        std::string(prereq_name(spec.src.field->prereq)) +
                        " in the rule's match (" + std::string(prereq_hint(spec.src.field->prereq)) +
                        ")");
    if (spec.dst_type == Spec::Dst::kOutput) continue;
    if (!prereq_satisfied(learned, spec.dst.field->prereq))
      return make_error("learn: " + subfield_name(spec.dst) + " in the learned flow needs " +
                        std::string(prereq_name(spec.dst.field->prereq)) +
                        " matched before it in learn(...) (" +
                        std::string(prereq_hint(spec.dst.field->prereq)) + ")");
    if (spec.dst_type == Spec::Dst::kMatch && spec.src_type == Spec::Src::kImmediate) {
      match_bits(learned, spec.dst, immediate_number(spec));
      learned.normalize();
    }
  }
  return Ok{};
}

Status check_learn_actions(const OfMatch& rule_match, std::span<const OfAction> actions) {
  for (const OfAction& a : actions) {
    if (const auto* learn = std::get_if<action::Learn>(&a)) {
      if (Status s = check_learn(*learn, rule_match); !s) return s;
    } else if (const auto* c = std::get_if<action::Clone>(&a)) {
      if (Status s = check_learn_actions(rule_match, c->actions); !s) return s;
    } else if (const auto* w = std::get_if<action::WriteActions>(&a)) {
      if (Status s = check_learn_actions(rule_match, w->actions); !s) return s;
    }
  }
  return Ok{};
}

Status check_learn_supported(const action::Learn& learn) {
  if (learn.fin_idle_timeout || learn.fin_hard_timeout)
    return make_error(
        "learn: fin_idle_timeout/fin_hard_timeout are not supported: the learned flow's "
        "fin_timeout action is not carried out yet");
  if (learn.flags & 4)
    return make_error(
        "learn: result_dst is not supported: flowpath adds learned flows after translation, so "
        "the outcome is not known to the actions that follow (limit without result_dst works)");
  return Ok{};
}

LearnedFlow learned_flow(const action::Learn& learn, const OfFlow& flow) {
  LearnedFlow out;
  FlowModSpec& s = out.spec;
  s.table = learn.table;
  s.priority = learn.priority;
  s.cookie = learn.cookie;
  s.idle_timeout = learn.idle_timeout;
  s.hard_timeout = learn.hard_timeout;
  s.send_flow_rem = learn.flags & 1;
  s.has_actions = true;
  out.limit = learn.limit;
  if (learn.fin_idle_timeout || learn.fin_hard_timeout)
    s.actions.emplace_back(action::FinTimeout{learn.fin_idle_timeout, learn.fin_hard_timeout});
  for (const Spec& spec : learn.specs) {
    const Number bits = source_bits(spec, flow);
    switch (spec.dst_type) {
      case Spec::Dst::kMatch:
        match_bits(s.match, spec.dst, bits);
        break;
      case Spec::Dst::kLoad: {
        const OfFieldInfo& f = *spec.dst.field;
        action::SetField load;
        load.form = action::SetFieldForm::kLoad;
        load.field.field = &f;
        store_nxm_number(f, bits << spec.dst.ofs, load.field.value);
        store_nxm_mask_number(f, field_internal::low_bits(spec.n_bits) << spec.dst.ofs,
                              load.field.mask);
        s.actions.emplace_back(load);
        break;
      }
      case Spec::Dst::kOutput: {
        // An OpenFlow 1.0 port number, as Open vSwitch reads it: a wider
        // value must have nothing above its low 16 bits.
        if (spec.n_bits > 16 && (bits >> 16) != 0) break;
        const uint16_t port = static_cast<uint16_t>(bits);
        if (port < 0xff00 || port == 0xfff8 /* IN_PORT */ || port == 0xfffb /* FLOOD */ ||
            port == 0xfffc /* ALL */ || port == 0xfffe /* LOCAL */)
          s.actions.emplace_back(action::Output{port_from_ofp10(port)});
        break;
      }
    }
  }
  s.match.normalize();
  return out;
}

std::string format_learned_flow(const LearnedFlow& flow) {
  const FlowModSpec& s = flow.spec;
  std::string out = "table=" + std::to_string(s.table);
  if (std::string match = format_of_match(s.match); !match.empty()) out += " " + match;
  out += " priority=" + std::to_string(s.priority);
  if (s.cookie) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%#llx", static_cast<unsigned long long>(s.cookie));
    out += std::string(" cookie=") + buf;
  }
  if (s.idle_timeout) out += " idle=" + std::to_string(s.idle_timeout);
  if (s.hard_timeout) out += " hard=" + std::to_string(s.hard_timeout);
  if (s.send_flow_rem) out += " send_flow_rem";
  out += " actions=" + format_of_actions(s.actions);
  return out;
}

}  // namespace flowpath::openflow
