// The ct action in ovs-ofctl's syntax (parsed here into the model the wire
// codec shares; printed by of_action_format_ext.cc) and the check a rule's
// match must pass to use ct. Open vSwitch's ct arguments:
//   commit, force, table=N, zone=N or zone=FIELD[a..b],
//   exec(set_field:V[/M]->ct_mark|ct_label, load:V->ct_mark[..]...),
//   alg=ftp|tftp and nat(...) (refused: the tracker has neither yet)
#include <cstring>

#include "openflow/of_action.h"
#include "openflow/of_text_internal.h"

namespace flowpath::openflow {

namespace {

using of_text::KeyValue;

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

bool is_ct_mark_or_label(const OfFieldInfo* field) {
  return field != nullptr && (field->name == "ct_mark" || field->name == "ct_label");
}

// "FIELD[]", "FIELD[bit]" or "FIELD[start..end]" (or a bare FIELD).
struct ParsedSubfield {
  const OfFieldInfo* field = nullptr;
  std::optional<of_text::BitRange> range;
};
Result<ParsedSubfield> parse_subfield(std::string_view text, std::string_view what) {
  ParsedSubfield s;
  std::string_view name = text.substr(0, text.find('['));
  s.field = find_field(name);
  if (s.field == nullptr) return make_error(std::string(what) + ": unknown field " + quoted(name));
  if (name.size() == text.size()) return s;
  std::string_view bits = text.substr(name.size());
  if (bits.back() != ']' || bits.find(']') != bits.size() - 1)
    return make_error(std::string(what) + ": " + quoted(text) +
                      ": expected FIELD[], FIELD[bit] or FIELD[start..end]");
  bits = bits.substr(1, bits.size() - 2);
  if (bits.empty()) return s;
  size_t dots = bits.find("..");
  auto start = of_text::to_uint(bits.substr(0, dots));
  auto end = of_text::to_uint(dots == std::string_view::npos ? bits : bits.substr(dots + 2));
  const unsigned width = field_value_bits(*s.field);
  if (!start || !end || *start > *end || *end >= width)
    return make_error(std::string(what) + ": " + quoted(text) + ": bits out of the field's " +
                      std::to_string(width));
  s.range = of_text::BitRange{static_cast<unsigned>(*start),
                              static_cast<unsigned>(*end - *start + 1)};
  return s;
}

// One action of exec(...): a write to ct_mark or ct_label.
Result<action::SetField> parse_exec_action(const KeyValue& kv) {
  const bool set_field = of_text::iequals(kv.key, "set_field");
  const bool load = of_text::iequals(kv.key, "load");
  if (!set_field && !load)
    return make_error("ct: exec: " + quoted(kv.whole) +
                      ": only set_field or load to ct_mark or ct_label may run inside ct");
  size_t arrow = kv.value.find("->");
  if (arrow == std::string_view::npos)
    return make_error("ct: exec: " + quoted(kv.whole) + ": missing VALUE->FIELD");
  std::string_view value = kv.value.substr(0, arrow), dest = kv.value.substr(arrow + 2);
  TRY_ASSIGN(sub, parse_subfield(dest, "ct: exec"));
  if (!is_ct_mark_or_label(sub.field))
    return make_error("ct: exec: " + quoted(kv.whole) + ": ct may write only ct_mark and ct_label");
  if (set_field) {
    if (sub.range) return make_error("ct: exec: set_field takes a whole field (use load for bits)");
    auto v = parse_field_value(*sub.field, value);
    if (!v.ok()) return make_error("ct: exec: " + v.error());
    return action::SetField{*v};
  }
  auto bits = of_text::to_bits128(value);
  if (!bits) return make_error("ct: exec: load: " + quoted(value) + " is not a number");
  auto v = of_text::load_field_value(*sub.field, *bits, sub.range, kv.value);
  if (!v.ok()) return make_error("ct: exec: " + v.error());
  return action::SetField{*v};  // printed as set_field, as a load outside ct
}

}  // namespace

Result<action::Conntrack> parse_ct_action(std::string_view args) {
  action::Conntrack ct;
  TRY_ASSIGN(items, of_text::split_key_values(args));
  for (const KeyValue& kv : items) {
    if (kv.key == "commit" && kv.value.empty()) {
      ct.flags |= action::kCtFlagCommit;
    } else if (kv.key == "force" && kv.value.empty()) {
      ct.flags |= action::kCtFlagForce;
    } else if (kv.key == "table") {
      TRY_ASSIGN(table, of_text::parse_uint(kv.value, 0, kMaxTableId, "ct: table"));
      ct.recirc_table = static_cast<uint8_t>(table);
    } else if (kv.key == "zone") {
      if (auto n = of_text::to_uint(kv.value)) {
        if (*n > 0xffff) return make_error("ct: zone " + std::string(kv.value) + " is over 65535");
        ct.zone_imm = static_cast<uint16_t>(*n);
      } else {
        TRY_ASSIGN(sub, parse_subfield(kv.value, "ct: zone"));
        const unsigned bits = sub.range ? sub.range->n_bits : field_value_bits(*sub.field);
        if (bits != 16)
          return make_error("ct: zone=" + std::string(kv.value) + ": a zone is 16 bits, not " +
                            std::to_string(bits));
        ct.zone_src = Subfield{sub.field, static_cast<uint16_t>(sub.range ? sub.range->start : 0), 16};
      }
    } else if (kv.key == "exec") {
      TRY_ASSIGN(inner, of_text::split_key_values(kv.value));
      for (const KeyValue& a : inner) {
        TRY_ASSIGN(write, parse_exec_action(a));
        ct.actions.emplace_back(std::move(write));
      }
    } else if (kv.key == "nat") {
      return make_error(
          "ct: nat is not supported yet: flowpath's connection tracker does no address "
          "translation (docs/conntrack.md)");
    } else if (kv.key == "alg") {
      return make_error("ct: alg=" + std::string(kv.value) +
                        " is not supported yet: flowpath's connection tracker has no "
                        "helpers (docs/conntrack.md)");
    } else {
      return make_error("ct: invalid argument " + quoted(kv.whole) +
                        " (commit, force, table=, zone=, exec())");
    }
  }
  const bool commit = ct.flags & action::kCtFlagCommit;
  if ((ct.flags & action::kCtFlagForce) && !commit)
    return make_error("ct: \"force\" needs \"commit\"");
  if (!ct.actions.empty() && !commit)
    return make_error("ct: exec() writes ct_mark/ct_label, which needs \"commit\"");
  return ct;
}

Status check_ct_actions(const OfMatch& match, std::span<const OfAction> actions) {
  for (const OfAction& a : actions) {
    const auto* ct = std::get_if<action::Conntrack>(&a);
    if (ct == nullptr) continue;
    // As Open vSwitch: the datapath could not install the flow otherwise.
    if (!prereq_satisfied(match, FieldPrereq::kIpAny))
      return make_error("ct: the rule must match IP packets (add \"ip\" or \"ipv6\")");
    const uint8_t invalid = match.mask.key.md.ct_state & match.value.key.md.ct_state & 0x10;
    if ((ct->flags & action::kCtFlagCommit) && invalid)
      return make_error("ct: commit of packets matched +inv is inconsistent");
  }
  return Ok{};
}

}  // namespace flowpath::openflow
