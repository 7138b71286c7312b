// The ct action in ovs-ofctl's syntax (parsed here into the model the wire
// codec shares; printed by of_action_format_ext.cc) and the check a rule's
// match must pass to use ct. Open vSwitch's ct arguments:
//   commit, force, table=N, zone=N or zone=FIELD[a..b],
//   exec(set_field:V[/M]->ct_mark|ct_label, load:V->ct_mark[..]...),
//   nat[(src|dst[=ADDR[-ADDR][:PORT[-PORT]]],persistent,hash|random)],
//   alg=ftp|tftp (refused: the tracker has no helpers yet)
#include <arpa/inet.h>

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

// One address of a nat range: IPv4, IPv6, or IPv6 in brackets (needed
// before a port). Consumes it from `text`.
Result<action::Nat::Family> parse_nat_address(std::string_view& text, uint8_t out[16],
                                               std::string_view whole) {
  auto bad = [&] { return make_error("ct: nat: invalid nat range " + quoted(whole)); };
  std::string address;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return bad();
    address = std::string(text.substr(1, close - 1));
    text.remove_prefix(close + 1);
    if (inet_pton(AF_INET6, address.c_str(), out) != 1) return bad();
    return action::Nat::Family::kIpv6;
  }
  // IPv4 stops at '-' or ':'; bare IPv6 (no port possible) stops at '-'.
  size_t end = text.find_first_of("-:");
  address = std::string(text.substr(0, end));
  if (inet_pton(AF_INET, address.c_str(), out) == 1) {
    text.remove_prefix(address.size());
    return action::Nat::Family::kIpv4;
  }
  end = text.find('-');
  address = std::string(text.substr(0, end));
  if (inet_pton(AF_INET6, address.c_str(), out) == 1) {
    text.remove_prefix(address.size());
    return action::Nat::Family::kIpv6;
  }
  return bad();
}

// ADDR[-ADDR][:PORT[-PORT]] (empty: translate without a range).
Status parse_nat_range(std::string_view text, action::Nat* nat) {
  const std::string_view whole = text;
  if (text.empty()) return Ok{};
  auto bad = [&] { return make_error("ct: nat: invalid nat range " + quoted(whole)); };
  TRY_ASSIGN(family, parse_nat_address(text, nat->addr_min, whole));
  nat->family = family;
  const size_t n = family == action::Nat::Family::kIpv4 ? 4 : 16;
  if (!text.empty() && text.front() == '-') {
    text.remove_prefix(1);
    TRY_ASSIGN(max_family, parse_nat_address(text, nat->addr_max, whole));
    if (max_family != family || std::memcmp(nat->addr_max, nat->addr_min, n) < 0) return bad();
  }
  if (!text.empty() && text.front() == ':') {
    text.remove_prefix(1);
    size_t dash = text.find('-');
    auto min = of_text::to_uint(text.substr(0, dash));
    if (!min || *min == 0 || *min > 0xffff) return bad();
    nat->proto_min = static_cast<uint16_t>(*min);
    if (dash != std::string_view::npos) {
      auto max = of_text::to_uint(text.substr(dash + 1));
      if (!max || *max > 0xffff || *max < *min) return bad();
      nat->proto_max = static_cast<uint16_t>(*max);
    }
    text = {};
  }
  if (!text.empty())
    return make_error("ct: nat: garbage " + quoted(text) + " after nat range " + quoted(whole));
  return Ok{};
}

Result<action::Nat> parse_nat_action(std::string_view args) {
  constexpr uint16_t kSrc = 1, kDst = 2, kPersistent = 4, kHash = 8, kRandom = 16;
  action::Nat nat;
  TRY_ASSIGN(items, of_text::split_key_values(args));
  for (const KeyValue& kv : items) {
    if (kv.key == "src" || kv.key == "dst") {
      if (nat.flags & (kSrc | kDst))
        return make_error("ct: nat: may only specify one of \"src\" or \"dst\"");
      nat.flags |= kv.key == "src" ? kSrc : kDst;
      if (auto st = parse_nat_range(kv.value, &nat); !st.ok()) return make_error(st.error());
    } else if (kv.key == "persistent" && kv.value.empty()) {
      nat.flags |= kPersistent;
    } else if (kv.key == "hash" && kv.value.empty()) {
      nat.flags |= kHash;
    } else if (kv.key == "random" && kv.value.empty()) {
      nat.flags |= kRandom;
    } else {
      return make_error("ct: nat: invalid argument " + quoted(kv.whole) +
                        " (src=, dst=, persistent, hash, random)");
    }
  }
  if (!(nat.flags & (kSrc | kDst)) && nat.flags)
    return make_error("ct: nat: flags allowed only with \"src\" or \"dst\"");
  if ((nat.flags & kHash) && (nat.flags & kRandom))
    return make_error("ct: nat: \"hash\" and \"random\" exclude each other");
  return nat;
}

}  // namespace

Result<action::Conntrack> parse_ct_action(std::string_view args) {
  action::Conntrack ct;
  bool has_nat = false;
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
      if (has_nat) return make_error("ct: nat given twice");
      TRY_ASSIGN(nat, parse_nat_action(kv.value));
      ct.actions.insert(ct.actions.begin(), OfAction{nat});
      has_nat = true;
    } else if (kv.key == "alg") {
      return make_error("ct: alg=" + std::string(kv.value) +
                        " is not supported yet: flowpath's connection tracker has no "
                        "helpers (docs/conntrack.md)");
    } else {
      return make_error("ct: invalid argument " + quoted(kv.whole) +
                        " (commit, force, table=, zone=, exec(), nat)");
    }
  }
  const bool commit = ct.flags & action::kCtFlagCommit;
  if ((ct.flags & action::kCtFlagForce) && !commit)
    return make_error("ct: \"force\" needs \"commit\"");
  for (const OfAction& a : ct.actions) {
    const auto* nat = std::get_if<action::Nat>(&a);
    if (nat == nullptr && !commit)
      return make_error("ct: exec() writes ct_mark/ct_label, which needs \"commit\"");
    if (nat != nullptr && !commit && (nat->flags || nat->family != action::Nat::Family::kNone))
      return make_error("ct: nat(...) with src or dst sets up a translation, which needs "
                        "\"commit\" (a bare \"nat\" applies an existing one)");
  }
  return ct;
}

Status check_ct_actions(const OfMatch& match, std::span<const OfAction> actions) {
  for (const OfAction& a : actions) {
    const auto* ct = std::get_if<action::Conntrack>(&a);
    if (ct == nullptr) continue;
    // As Open vSwitch: the datapath could not install the flow otherwise.
    if (!prereq_satisfied(match, FieldPrereq::kIpAny))
      return make_error("ct: the rule must match IP packets (add \"ip\" or \"ipv6\")");
    for (const OfAction& inner : ct->actions) {
      const auto* nat = std::get_if<action::Nat>(&inner);
      if (nat == nullptr || nat->family == action::Nat::Family::kNone) continue;
      const bool v4 = nat->family == action::Nat::Family::kIpv4;
      if (!prereq_satisfied(match, v4 ? FieldPrereq::kIpv4 : FieldPrereq::kIpv6))
        return make_error(std::string("ct: nat: an ") + (v4 ? "IPv4" : "IPv6") +
                          " range needs a rule matching " + (v4 ? "\"ip\"" : "\"ipv6\""));
    }
    const uint8_t invalid = match.mask.key.md.ct_state & match.value.key.md.ct_state & 0x10;
    if ((ct->flags & action::kCtFlagCommit) && invalid)
      return make_error("ct: commit of packets matched +inv is inconsistent");
  }
  return Ok{};
}

}  // namespace flowpath::openflow
