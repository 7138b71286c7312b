// format_of_actions: actions as ovs-ofctl dump-flows prints them, in a form
// parse_of_actions reads back to the same actions. Also the NXM bit-range
// conversions of load:, which the parser and the formatter share.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "openflow/of_action.h"
#include "openflow/of_action_format_ext.h"
#include "openflow/of_text_internal.h"

namespace flowpath::openflow {
namespace of_text {

namespace {

std::string hex(uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, 16);
  (void)ec;
  return "0x" + std::string(buf, end);
}

Bits128 shift_left(const Bits128& v, unsigned n) {
  if (n == 0) return v;
  if (n >= 128) return {};
  if (n >= 64) return {v.lo << (n - 64), 0};
  return {v.hi << n | v.lo >> (64 - n), v.lo << n};
}

Bits128 shift_right(const Bits128& v, unsigned n) {
  if (n == 0) return v;
  if (n >= 128) return {};
  if (n >= 64) return {0, v.hi >> (n - 64)};
  return {v.hi >> n, v.lo >> n | v.hi << (64 - n)};
}

Bits128 ones(unsigned n) {
  Bits128 v;
  for (unsigned i = 0; i < n; ++i) v.set_bit(i);
  return v;
}

unsigned popcount(const Bits128& v) {
  return static_cast<unsigned>(__builtin_popcountll(v.hi) + __builtin_popcountll(v.lo));
}

unsigned trailing_zeros(const Bits128& v) {
  if (v.lo) return static_cast<unsigned>(__builtin_ctzll(v.lo));
  return 64 + static_cast<unsigned>(__builtin_ctzll(v.hi));
}

bool same_value(const FieldValue& a, const FieldValue& b) {
  if (a.field != b.field) return false;
  for (unsigned i = 0; i < a.field->bytes; ++i)
    if (a.mask[i] != b.mask[i] || (a.value[i] & a.mask[i]) != (b.value[i] & b.mask[i]))
      return false;
  return true;
}

// field_bits_value() for any width: it takes at most 64 bits at a time.
FieldValue bits_value(const OfFieldInfo& field, unsigned start, unsigned n_bits,
                      const Bits128& value) {
  FieldValue out;
  out.field = &field;
  for (unsigned done = 0; done < n_bits; done += 64) {
    unsigned k = std::min(64u, n_bits - done);
    uint64_t chunk = shift_right(value, done).lo;
    if (k < 64) chunk &= (1ull << k) - 1;
    FieldValue part = field_bits_value(field, start + done, k, chunk);
    for (unsigned i = 0; i < field.bytes; ++i) {
      out.value[i] |= part.value[i];
      out.mask[i] |= part.mask[i];
    }
  }
  return out;
}

// read_field_bits() for any width.
Bits128 read_bits(const OfFlow& flow, const OfFieldInfo& field, unsigned start, unsigned n_bits) {
  Bits128 out;
  for (unsigned done = 0; done < n_bits; done += 64) {
    unsigned k = std::min(64u, n_bits - done);
    Bits128 chunk = shift_left({0, read_field_bits(flow, field, start + done, k)}, done);
    out.hi |= chunk.hi;
    out.lo |= chunk.lo;
  }
  return out;
}

}  // namespace

std::string format_hex(const Bits128& value) {
  if (!value.hi) return hex(value.lo);
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value.lo, 16);
  (void)ec;
  std::string low(buf, end);
  return hex(value.hi) + std::string(16 - low.size(), '0') + low;
}

Result<FieldValue> load_field_value(const OfFieldInfo& field, const Bits128& value,
                                    std::optional<BitRange> range, std::string_view text) {
  const std::string where = "load:" + std::string(text);
  // Plain copies: GCC's -Wmaybe-uninitialized misreads std::optional here.
  bool has_range = range.has_value();
  BitRange given{};
  if (has_range) given = *range;
  const std::string name(field.name);
  const bool numeric = field.format == FieldFormat::kDecimal || field.format == FieldFormat::kHex;
  if (field.format == FieldFormat::kPort) {
    // in_port is stored in datapath numbering: only whole OpenFlow port
    // numbers mean anything, and the codec converts them.
    if (has_range && !(given.start == 0 && given.n_bits == field_value_bits(field)))
      return make_error(where + ": " + name + " can only be loaded whole (" + name + "[])");
    has_range = false;
    if (value.hi || value.lo > UINT32_MAX)
      return make_error(where + ": value " + format_hex(value) + " does not fit in 32 bits");
  }
  if (!has_range && (numeric || field.format == FieldFormat::kPort)) {
    // Whole numeric fields take the value as set_field does (nw_tos is the
    // TOS byte, vlan_pcp also marks the tag present), with its range checks.
    std::string number = field.format == FieldFormat::kPort ? std::to_string(value.lo)
                                                             : format_hex(value);
    auto fv = parse_field_value(field, number);
    if (!fv) return make_error(where + ": " + fv.error());
    return fv;
  }
  const unsigned width = field_value_bits(field);
  BitRange r = has_range ? given : BitRange{0, width};
  if (r.start >= width)
    return make_error(where + ": starting bit " + std::to_string(r.start) +
                      " is not valid because " + name + " is only " + std::to_string(width) +
                      " bits wide");
  if (r.start + r.n_bits > width)
    return make_error(where + ": ending bit " + std::to_string(r.start + r.n_bits - 1) +
                      " is not valid because " + name + " is only " + std::to_string(width) +
                      " bits wide");
  if (value.significant_bits() > r.n_bits)
    return make_error(where + ": value " + format_hex(value) + " does not fit in " +
                      std::to_string(r.n_bits) + " bits");
  return bits_value(field, r.start, r.n_bits, value);
}

std::optional<LoadForm> load_form(const FieldValue& value) {
  const OfFieldInfo& field = *value.field;
  auto back = parse_field_value(field, format_field_value(value));
  if (back && same_value(*back, value)) return std::nullopt;
  if (field.format == FieldFormat::kPort) return std::nullopt;

  // The mask, read as a field value, must be one run of bits.
  const unsigned width = field_value_bits(field);
  OfFlow flow;
  flow.clear();
  std::memcpy(flow.bytes() + field.offset, value.mask, field.bytes);
  Bits128 mask = read_bits(flow, field, 0, width);
  if (mask.zero()) return std::nullopt;
  unsigned start = trailing_zeros(mask), n = popcount(mask);
  if (!(shift_left(ones(n), start) == mask)) return std::nullopt;

  flow.clear();
  value.apply_to(flow);
  LoadForm form{read_bits(flow, field, start, n), BitRange{start, n}};
  // Only when the load reads back to exactly this value.
  if (!same_value(bits_value(field, start, n, form.value), value)) return std::nullopt;
  return form;
}

std::string_view reserved_port_name(uint32_t port) {
  switch (port) {
    case kOfppInPort: return "IN_PORT";
    case kOfppTable: return "TABLE";
    case kOfppNormal: return "NORMAL";
    case kOfppFlood: return "FLOOD";
    case kOfppAll: return "ALL";
    case kOfppController: return "CONTROLLER";
    case kOfppLocal: return "LOCAL";
    case kOfppAny: return "ANY";
    default: return {};
  }
}

std::string format_port(uint32_t port) {
  std::string_view name = reserved_port_name(port);
  return name.empty() ? std::to_string(port) : std::string(name);
}

}  // namespace of_text

namespace {

void format_action(const action::Output& a, std::string& out) {
  if (a.port == kOfppController) {
    out += "CONTROLLER:" + std::to_string(a.max_len);
  } else if (a.port <= kOfppMax) {
    out += "output:" + std::to_string(a.port);
  } else {
    out += of_text::format_port(a.port);
  }
}

void format_action(const action::Controller& a, std::string& out) {
  if (a.reason == 1 && a.controller_id == 0 && a.userdata.empty() && !a.pause &&
      a.meter_id == 0xffffffff) {
    out += "CONTROLLER:" + std::to_string(a.max_len);
    return;
  }
  out += "controller(";
  std::string args;
  if (a.reason != 1) {
    args += "reason=";
    args += a.reason == 0 ? "no_match" : a.reason == 2 ? "invalid_ttl" : std::to_string(a.reason);
    args += ',';
  }
  if (a.max_len != 0xffff) args += "max_len=" + std::to_string(a.max_len) + ",";
  if (a.controller_id) args += "id=" + std::to_string(a.controller_id) + ",";
  if (!a.userdata.empty()) {
    args += "userdata=";
    char buf[4];
    for (size_t i = 0; i < a.userdata.size(); ++i) {
      std::snprintf(buf, sizeof buf, "%02x", a.userdata[i]);
      args += (i ? "." : "") + std::string(buf);
    }
    args += ",";
  }
  if (a.pause) args += "pause,";
  if (a.meter_id != 0xffffffff) args += "meter_id=" + std::to_string(a.meter_id) + ",";
  args.pop_back();
  out += args + ")";
}

void format_action(const action::SetField& a, std::string& out) {
  if (action::format_set_field_form(a, out)) return;
  const OfFieldInfo& field = *a.field.field;
  if (std::optional<of_text::LoadForm> load = of_text::load_form(a.field)) {
    out += "load:" + of_text::format_hex(load->value) + "->" + std::string(field.name) + "[" +
           std::to_string(load->range.start) + ".." +
           std::to_string(load->range.start + load->range.n_bits - 1) + "]";
    return;
  }
  out += "set_field:" + format_field_value(a.field) + "->" + std::string(field.name);
}

std::string hex16(uint16_t v, int min_digits) {
  char buf[8];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, 16);
  (void)ec;
  std::string digits(buf, end);
  if (static_cast<int>(digits.size()) < min_digits)
    digits.insert(0, static_cast<size_t>(min_digits) - digits.size(), '0');
  return "0x" + digits;
}

void format_action(const action::SetVlanVid& a, std::string& out) {
  out += (a.push_if_absent ? "mod_vlan_vid:" : "set_vlan_vid:") + std::to_string(a.vid);
}

void format_action(const action::SetVlanPcp& a, std::string& out) {
  out += (a.push_if_absent ? "mod_vlan_pcp:" : "set_vlan_pcp:") + std::to_string(a.pcp);
}

void format_action(const action::PushVlan& a, std::string& out) {
  out += "push_vlan:" + hex16(a.tpid, 1);
}
void format_action(const action::PopVlan&, std::string& out) { out += "pop_vlan"; }
void format_action(const action::PushMpls& a, std::string& out) {
  out += "push_mpls:" + hex16(a.ethertype, 1);
}
void format_action(const action::PopMpls& a, std::string& out) {
  out += "pop_mpls:" + hex16(a.ethertype, 4);
}
void format_action(const action::DecTtl& a, std::string& out) {
  out += "dec_ttl";
  if (!a.cnt_ids_form) return;
  out += "(";
  for (size_t i = 0; i < a.controller_ids.size(); ++i)
    out += (i ? "," : "") + std::to_string(a.controller_ids[i]);
  out += ")";
}
void format_action(const action::SetMplsTtl& a, std::string& out) {
  out += "set_mpls_ttl(" + std::to_string(a.ttl) + ")";
}
void format_action(const action::DecMplsTtl&, std::string& out) { out += "dec_mpls_ttl"; }

void format_action(const action::Resubmit& a, std::string& out) {
  if (a.table == kTableAll && a.in_port != kOfppInPort && !a.with_ct_orig) {
    out += "resubmit:" + of_text::format_port(a.in_port);
    return;
  }
  out += "resubmit(";
  if (a.in_port != kOfppInPort) out += of_text::format_port(a.in_port);
  out += ",";
  if (a.table != kTableAll) out += std::to_string(a.table);
  if (a.with_ct_orig) out += ",ct";
  out += ")";
}

void format_action(const action::GotoTable& a, std::string& out) {
  out += "goto_table:" + std::to_string(a.table);
}

void format_action(const action::WriteMetadata& a, std::string& out) {
  out += "write_metadata:" + of_text::format_hex({0, a.value});
  if (a.mask != ~0ull) out += "/" + of_text::format_hex({0, a.mask});
}

void format_action(const action::Group& a, std::string& out) {
  out += "group:" + std::to_string(a.group_id);
}
void format_action(const action::Meter& a, std::string& out) {
  out += "meter:" + std::to_string(a.meter_id);
}

}  // namespace

std::string_view action_name(const OfAction& action) {
  static constexpr std::string_view kNames[] = {
      "output",       "controller",   "set_field",    "mod_vlan_vid",   "mod_vlan_pcp",
      "push_vlan",    "strip_vlan",   "push_mpls",    "pop_mpls",       "dec_ttl",
      "set_mpls_ttl", "dec_mpls_ttl", "resubmit",     "goto_table",     "write_metadata",
      "group",        "meter",        "output_trunc", "enqueue",        "output_reg",
      "bundle",       "move",         "push",         "pop",            "set_tunnel",
      "set_queue",    "pop_queue",    "fin_timeout",  "learn",          "conjunction",
      "multipath",    "note",         "exit",         "sample",         "ct",
      "ct_clear",     "nat",          "clone",        "check_pkt_larger", "dec_nsh_ttl",
      "decap",        "clear_actions", "write_actions"};
  static_assert(std::size(kNames) == std::variant_size_v<OfActionVariant>);
  return kNames[action.index()];
}

std::string format_of_actions(std::span<const OfAction> actions) {
  if (actions.empty()) return "drop";
  std::string out;
  for (const OfAction& a : actions) {
    if (!out.empty()) out += ',';
    std::visit([&out](const auto& action) { format_action(action, out); }, a);
  }
  return out;
}

}  // namespace flowpath::openflow
