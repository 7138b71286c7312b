// parse_of_actions: the action syntax of ovs-ofctl, plus the list splitter,
// number and port lexers that the group and meter parsers share.
#include <cctype>
#include <charconv>
#include <initializer_list>

#include "openflow/of_action.h"
#include "openflow/of_text_internal.h"

namespace flowpath::openflow {
namespace of_text {

namespace {

constexpr std::string_view kSeparators = ", \t\r\n";
constexpr std::string_view kKeyEnds = ":=(, \t\r\n";

bool is_separator(char c) { return kSeparators.find(c) != std::string_view::npos; }

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

// How a range bound reads in messages: decimal while small, hex when it is a
// 32/64-bit limit such as 0xffffff00.
std::string bound_text(uint64_t v) {
  if (v <= 0xffff) return std::to_string(v);
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, 16);
  (void)ec;
  return "0x" + std::string(buf, end);
}

bool is_number_text(std::string_view t) {
  if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
    t.remove_prefix(2);
    for (char c : t)
      if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    return true;
  }
  if (t.empty()) return false;
  for (char c : t)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

}  // namespace

Result<std::vector<KeyValue>> split_key_values(std::string_view text) {
  std::vector<KeyValue> out;
  size_t i = 0;
  for (;;) {
    while (i < text.size() && is_separator(text[i])) ++i;
    if (i == text.size()) break;
    const size_t start = i;
    while (i < text.size() && kKeyEnds.find(text[i]) == std::string_view::npos) {
      if (text[i] == ')')
        return make_error("unbalanced ')' in " + quoted(text.substr(start, i + 1 - start)));
      ++i;
    }
    KeyValue kv;
    kv.key = text.substr(start, i - start);
    if (i < text.size() && !is_separator(text[i])) {
      kv.delim = text[i++];
      if (kv.key.empty())
        return make_error(std::string("missing name before '") + kv.delim + "' in " +
                          quoted(text.substr(start)));
      const size_t value_start = i;
      if (kv.delim == '(') {
        int depth = 1;
        for (; i < text.size() && depth > 0; ++i) {
          if (text[i] == '(') ++depth;
          else if (text[i] == ')') --depth;
        }
        if (depth > 0)
          return make_error(quoted(text.substr(start)) + " is missing a closing ')'");
        kv.value = text.substr(value_start, i - 1 - value_start);
        // check_pkt_larger(LEN)->DST[bit]: the destination follows the ')'.
        if (text.substr(i, 2) == "->" && iequals(kv.key, "check_pkt_larger"))
          while (i < text.size() && !is_separator(text[i])) ++i;
        if (i < text.size() && !is_separator(text[i])) {
          size_t junk_end = i;
          while (junk_end < text.size() && !is_separator(text[junk_end])) ++junk_end;
          return make_error("unexpected " + quoted(text.substr(i, junk_end - i)) + " after " +
                            quoted(text.substr(start, i - start)));
        }
      } else {
        int depth = 0;
        for (; i < text.size() && (depth > 0 || !is_separator(text[i])); ++i) {
          if (text[i] == '(') {
            ++depth;
          } else if (text[i] == ')') {
            if (depth == 0)
              return make_error("unbalanced ')' in " + quoted(text.substr(start, i + 1 - start)));
            --depth;
          }
        }
        if (depth > 0)
          return make_error(quoted(text.substr(start)) + " is missing a closing ')'");
        kv.value = text.substr(value_start, i - value_start);
      }
    }
    kv.whole = text.substr(start, i - start);
    out.push_back(kv);
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::optional<uint64_t> to_uint(std::string_view text) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  if (text.empty()) return std::nullopt;
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

Result<uint64_t> parse_uint(std::string_view text, uint64_t min, uint64_t max,
                            std::string_view what) {
  std::string prefix(what);
  if (text.empty()) return make_error(prefix + ": missing value");
  std::optional<uint64_t> v = to_uint(text);
  if (!v && !is_number_text(text))
    return make_error(prefix + ": " + quoted(text) + " is not a number");
  if (!v || *v < min || *v > max)
    return make_error(prefix + ": " + std::string(text) + " is out of range (" + bound_text(min) +
                      ".." + bound_text(max) + ")");
  return *v;
}

Result<uint32_t> parse_port(std::string_view text, const PortNameResolver& ports,
                            std::string_view what) {
  std::string prefix(what);
  if (text.empty()) return make_error(prefix + ": missing port");
  if (std::optional<uint64_t> n = to_uint(text)) {
    if (*n == 0 || *n > kOfppMax)
      return make_error(prefix + ": port " + std::string(text) +
                        " is out of range (1..0xffffff00; reserved ports go by name)");
    return static_cast<uint32_t>(*n);
  }
  static constexpr struct {
    std::string_view name;
    uint32_t port;
  } kReserved[] = {{"IN_PORT", kOfppInPort}, {"TABLE", kOfppTable},
                   {"NORMAL", kOfppNormal},  {"FLOOD", kOfppFlood},
                   {"ALL", kOfppAll},        {"CONTROLLER", kOfppController},
                   {"LOCAL", kOfppLocal},    {"ANY", kOfppAny},
                   {"NONE", kOfppAny}};
  for (const auto& r : kReserved)
    if (iequals(text, r.name)) return r.port;
  if (ports) {
    if (std::optional<uint32_t> p = ports(text)) return *p;
  }
  if (is_number_text(text))
    return make_error(prefix + ": port " + std::string(text) + " is out of range (1..0xffffff00)");
  return make_error(prefix + ": unknown port " + quoted(text));
}

unsigned Bits128::significant_bits() const {
  if (hi) return 128 - static_cast<unsigned>(__builtin_clzll(hi));
  if (lo) return 64 - static_cast<unsigned>(__builtin_clzll(lo));
  return 0;
}

std::optional<Bits128> to_bits128(std::string_view text) {
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    std::string_view digits = text.substr(2);
    while (digits.size() > 1 && digits[0] == '0') digits.remove_prefix(1);
    if (digits.size() > 32) return std::nullopt;
    Bits128 v;
    for (char c : digits) {
      unsigned d = 0;
      auto [ptr, ec] = std::from_chars(&c, &c + 1, d, 16);
      if (ec != std::errc() || ptr != &c + 1) return std::nullopt;
      v.hi = v.hi << 4 | v.lo >> 60;
      v.lo = v.lo << 4 | d;
    }
    return v;
  }
  std::optional<uint64_t> n = to_uint(text);
  if (!n) return std::nullopt;
  return Bits128{0, *n};
}

}  // namespace of_text

namespace {

using of_text::iequals;
using of_text::KeyValue;
using of_text::parse_uint;
using of_text::quoted;

std::string str(std::string_view text) { return std::string(text); }

struct ParseContext {
  const PortNameResolver& ports;
  std::vector<OfAction>& out;
  bool drop = false;
};

Status no_argument(const KeyValue& kv, std::string_view name) {
  if (!kv.value.empty())
    return make_error(str(name) + " takes no argument (got " + quoted(kv.value) + ")");
  return Ok{};
}

Result<std::string_view> required(const KeyValue& kv, std::string_view name,
                                  std::string_view noun) {
  if (kv.value.empty()) return make_error(str(name) + ": missing " + str(noun));
  return kv.value;
}

// A narrower parse_uint for the common "name: missing X" + range case.
template <typename T>
Result<T> required_uint(const KeyValue& kv, std::string_view name, std::string_view noun,
                        uint64_t min, uint64_t max) {
  auto text = required(kv, name, noun);
  if (!text) return Error{text.error()};
  auto v = parse_uint(*text, min, max, name);
  if (!v) return Error{v.error()};
  return static_cast<T>(*v);
}

// ---- output, controller, drop ----

Status add_output(uint32_t port, std::string_view name, ParseContext& ctx) {
  if (port == kOfppController) {
    ctx.out.emplace_back(action::Controller{});
    return Ok{};
  }
  if (port == kOfppAny || port == kOfppTable)
    return make_error(str(name) + ": cannot output to port " + of_text::format_port(port));
  ctx.out.emplace_back(action::Output{port});
  return Ok{};
}

// output(port=N,max_len=M): output truncated to max_len bytes.
Status parse_truncated_output(std::string_view args, ParseContext& ctx) {
  auto items = of_text::split_key_values(args);
  if (!items) return make_error("output: " + items.error());
  std::optional<uint32_t> port;
  std::optional<uint16_t> max_len;
  for (const KeyValue& kv : *items) {
    if (kv.key == "port") {
      auto p = of_text::parse_port(kv.value, ctx.ports, "output");
      if (!p) return Error{p.error()};
      if (*p > kOfppMax && *p != kOfppLocal && *p != kOfppInPort)
        return make_error("output: cannot truncate output to port " + of_text::format_port(*p));
      port = *p;
    } else if (kv.key == "max_len") {
      auto v = parse_uint(kv.value, 0, 0xffff, "output max_len");
      if (!v) return Error{v.error()};
      if (*v < 14) return make_error("output: max_len " + str(kv.value) +
                                     " is less than the minimum 14 (an Ethernet header)");
      max_len = static_cast<uint16_t>(*v);
    } else {
      return make_error("output: unknown key " + quoted(kv.key) + " (expected port or max_len)");
    }
  }
  if (!port) return make_error("output: missing port=");
  if (!max_len) return make_error("output: missing max_len=");
  ctx.out.emplace_back(action::OutputTrunc{*port, *max_len});
  return Ok{};
}

Status parse_output(const KeyValue& kv, ParseContext& ctx) {
  if (kv.delim == '(') return parse_truncated_output(kv.value, ctx);
  auto field = of_text::parse_output_field(kv.value, ctx.out);  // output:NXM_NX_REG0[0..15]
  if (!field) return Error{field.error()};
  if (*field) return Ok{};
  auto port = of_text::parse_port(kv.value, ctx.ports, "output");
  if (!port) return Error{port.error()};
  return add_output(*port, "output", ctx);
}

Status parse_controller(const KeyValue& kv, ParseContext& ctx) {
  action::Controller c;
  if (kv.value.empty()) {
    // CONTROLLER: the defaults.
  } else if (of_text::to_uint(kv.value)) {
    auto v = parse_uint(kv.value, 0, 0xffff, "controller max_len");
    if (!v) return Error{v.error()};
    c.max_len = static_cast<uint16_t>(*v);
  } else {
    auto items = of_text::split_key_values(kv.value);
    if (!items) return make_error("controller: " + items.error());
    for (const KeyValue& item : *items) {
      if (item.key == "reason") {
        if (item.value == "no_match") c.reason = 0;
        else if (item.value == "action") c.reason = 1;
        else if (item.value == "invalid_ttl") c.reason = 2;
        else
          return make_error("controller: unknown reason " + quoted(item.value) +
                            " (expected no_match, action or invalid_ttl)");
      } else if (item.key == "max_len") {
        auto v = parse_uint(item.value, 0, 0xffff, "controller max_len");
        if (!v) return Error{v.error()};
        c.max_len = static_cast<uint16_t>(*v);
      } else if (item.key == "id") {
        auto v = parse_uint(item.value, 0, 0xffff, "controller id");
        if (!v) return Error{v.error()};
        c.controller_id = static_cast<uint16_t>(*v);
      } else {
        return make_error("controller: unknown key " + quoted(item.key) +
                          " (expected reason, max_len or id)");
      }
    }
  }
  ctx.out.emplace_back(c);
  return Ok{};
}

Status parse_drop(const KeyValue& kv, ParseContext& ctx) {
  if (Status s = no_argument(kv, "drop"); !s) return s;
  ctx.drop = true;
  return Ok{};
}

// ---- field writes ----

// A field that an action shorthand writes (mod_nw_dst writes ip_dst).
Result<const OfFieldInfo*> field_named(std::string_view name) {
  const OfFieldInfo* f = find_field(name);
  if (!f) return make_error("field " + quoted(name) + " is missing from the field table");
  return f;
}

Status add_set_field(const OfFieldInfo& field, std::string_view value_text, std::string_view name,
                     ParseContext& ctx) {
  auto v = parse_field_value(field, value_text, ctx.ports);
  if (!v) return make_error(str(name) + ": " + v.error());
  bool any = false;
  for (unsigned i = 0; i < field.bytes; ++i) any |= v->mask[i] != 0;
  if (!any) return make_error(str(name) + ": the mask " + quoted(value_text) + " writes no bits");
  ctx.out.emplace_back(action::SetField{*v});
  return Ok{};
}

// "VALUE->DEST": the value text and the destination text.
Result<std::pair<std::string_view, std::string_view>> split_arrow(const KeyValue& kv,
                                                                  std::string_view name) {
  size_t arrow = kv.value.find("->");
  if (kv.value.empty()) return make_error(str(name) + ": missing VALUE->FIELD");
  if (arrow == std::string_view::npos)
    return make_error(str(name) + ": missing \"->\" in " + quoted(kv.value));
  std::string_view value = kv.value.substr(0, arrow);
  std::string_view dest = kv.value.substr(arrow + 2);
  if (value.empty()) return make_error(str(name) + ": missing value before \"->\"");
  if (dest.empty()) return make_error(str(name) + ": missing field name after \"->\"");
  return std::pair{value, dest};
}

Result<const OfFieldInfo*> writable_field(std::string_view field_name, std::string_view name) {
  const OfFieldInfo* field = find_field(field_name);
  if (!field) return make_error(str(name) + ": unknown field " + quoted(field_name));
  if (!field->writable) {
    std::string field_text = str(field->name);
    if (field_text.rfind("ct_", 0) == 0)
      return make_error(str(name) + ": field " + field_text +
                        " is set only by conntrack (a ct action), not by " + str(name));
    return make_error(str(name) + ": field " + field_text + " cannot be written");
  }
  return field;
}

Status parse_set_field(const KeyValue& kv, ParseContext& ctx) {
  auto parts = split_arrow(kv, "set_field");
  if (!parts) return Error{parts.error()};
  auto field = writable_field(parts->second, "set_field");
  if (!field) return Error{field.error()};
  return add_set_field(**field, parts->first, "set_field", ctx);
}

// load:VALUE->FIELD, FIELD[], FIELD[bit] or FIELD[start..end].
Status parse_load(const KeyValue& kv, ParseContext& ctx) {
  auto parts = split_arrow(kv, "load");
  if (!parts) return Error{parts.error()};
  auto [value_text, dest] = *parts;
  std::string_view field_name = dest.substr(0, dest.find('['));
  auto field = writable_field(field_name, "load");
  if (!field) return Error{field.error()};

  std::optional<of_text::BitRange> range;
  if (field_name.size() < dest.size()) {
    std::string_view bits = dest.substr(field_name.size());
    if (bits.back() != ']' || bits.find(']') != bits.size() - 1)
      return make_error("load: " + quoted(dest) +
                        ": expected FIELD[], FIELD[bit] or FIELD[start..end]");
    bits = bits.substr(1, bits.size() - 2);
    if (!bits.empty()) {
      size_t dots = bits.find("..");
      std::string_view first = bits.substr(0, dots);
      std::string_view last = dots == std::string_view::npos ? first : bits.substr(dots + 2);
      std::optional<uint64_t> start = of_text::to_uint(first), end = of_text::to_uint(last);
      if (!start || !end || *start > 127 || *end > 127)
        return make_error("load: " + quoted(dest) +
                          ": bad bit range (expected [bit] or [start..end])");
      if (*start > *end)
        return make_error("load: " + quoted(dest) + ": starting bit " + std::to_string(*start) +
                          " is after ending bit " + std::to_string(*end));
      range = of_text::BitRange{static_cast<unsigned>(*start),
                                static_cast<unsigned>(*end - *start + 1)};
    }
  }
  std::optional<of_text::Bits128> value = of_text::to_bits128(value_text);
  if (!value)
    return make_error("load: " + quoted(value_text) +
                      " is not a number (decimal, or hex of up to 128 bits)");
  auto fv = of_text::load_field_value(**field, *value, range, kv.value);
  if (!fv) return Error{fv.error()};
  ctx.out.emplace_back(action::SetField{*fv});
  return Ok{};
}

// mod_dl_src:MAC and friends: set_field on one named field, no mask.
Status parse_address_write(const KeyValue& kv, std::string_view name, std::string_view field_name,
                           ParseContext& ctx) {
  auto text = required(kv, name, "address");
  if (!text) return Error{text.error()};
  if (text->find('/') != std::string_view::npos)
    return make_error(str(name) + ": takes no mask (got " + quoted(*text) + ")");
  auto field = field_named(field_name);
  if (!field) return make_error(str(name) + ": " + field.error());
  return add_set_field(**field, *text, name, ctx);
}

// mod_nw_ttl:N and friends: a number checked here, written to `field_name`
// through its own codec.
Status add_numeric_write(uint64_t value, std::string_view name, std::string_view field_name,
                         ParseContext& ctx) {
  auto field = field_named(field_name);
  if (!field) return make_error(str(name) + ": " + field.error());
  return add_set_field(**field, std::to_string(value), name, ctx);
}

Status parse_mod_nw_tos(const KeyValue& kv, ParseContext& ctx) {
  auto tos = required_uint<uint8_t>(kv, "mod_nw_tos", "TOS value", 0, 255);
  if (!tos) return Error{tos.error()};
  if (*tos & 3)
    return make_error("mod_nw_tos: " + str(kv.value) +
                      " is not a valid TOS (it sets the DSCP bits only: a multiple of 4)");
  return add_numeric_write(*tos >> 2, "mod_nw_tos", "ip_dscp", ctx);
}

Status parse_mod_nw_ecn(const KeyValue& kv, ParseContext& ctx) {
  auto ecn = required_uint<uint8_t>(kv, "mod_nw_ecn", "ECN value", 0, 3);
  if (!ecn) return Error{ecn.error()};
  return add_numeric_write(*ecn, "mod_nw_ecn", "ip_ecn", ctx);
}

Status parse_mod_nw_ttl(const KeyValue& kv, ParseContext& ctx) {
  auto ttl = required_uint<uint8_t>(kv, "mod_nw_ttl", "TTL", 0, 255);
  if (!ttl) return Error{ttl.error()};
  return add_numeric_write(*ttl, "mod_nw_ttl", "nw_ttl", ctx);
}

Status parse_mod_tp(const KeyValue& kv, std::string_view name, std::string_view field_name,
                    ParseContext& ctx) {
  auto port = required_uint<uint16_t>(kv, name, "port number", 0, 0xffff);
  if (!port) return Error{port.error()};
  return add_numeric_write(*port, name, field_name, ctx);
}

// ---- VLAN and MPLS ----

Status parse_vlan_vid(const KeyValue& kv, bool push_if_absent, ParseContext& ctx) {
  std::string_view name = push_if_absent ? "mod_vlan_vid" : "set_vlan_vid";
  auto vid = required_uint<uint16_t>(kv, name, "VLAN ID", 0, 4095);
  if (!vid) return Error{vid.error()};
  ctx.out.emplace_back(action::SetVlanVid{*vid, push_if_absent});
  return Ok{};
}

Status parse_vlan_pcp(const KeyValue& kv, bool push_if_absent, ParseContext& ctx) {
  std::string_view name = push_if_absent ? "mod_vlan_pcp" : "set_vlan_pcp";
  auto pcp = required_uint<uint8_t>(kv, name, "VLAN priority", 0, 7);
  if (!pcp) return Error{pcp.error()};
  ctx.out.emplace_back(action::SetVlanPcp{*pcp, push_if_absent});
  return Ok{};
}

Status parse_vlan_pop(const KeyValue& kv, std::string_view name, ParseContext& ctx) {
  if (Status s = no_argument(kv, name); !s) return s;
  ctx.out.emplace_back(action::PopVlan{});
  return Ok{};
}

Status parse_push_vlan(const KeyValue& kv, ParseContext& ctx) {
  auto tpid = required_uint<uint16_t>(kv, "push_vlan", "TPID", 0, 0xffff);
  if (!tpid) return Error{tpid.error()};
  if (*tpid != 0x8100 && *tpid != 0x88a8)
    return make_error("push_vlan: " + str(kv.value) +
                      " is not a VLAN TPID (expected 0x8100 or 0x88a8)");
  ctx.out.emplace_back(action::PushVlan{*tpid});
  return Ok{};
}

Status parse_push_mpls(const KeyValue& kv, ParseContext& ctx) {
  auto type = required_uint<uint16_t>(kv, "push_mpls", "Ethertype", 0, 0xffff);
  if (!type) return Error{type.error()};
  if (*type != 0x8847 && *type != 0x8848)
    return make_error("push_mpls: " + str(kv.value) +
                      " is not an MPLS Ethertype (expected 0x8847 or 0x8848)");
  ctx.out.emplace_back(action::PushMpls{*type});
  return Ok{};
}

Status parse_pop_mpls(const KeyValue& kv, ParseContext& ctx) {
  // The Ethertype of what follows the label stack; values below 0x0600 are
  // 802.3 lengths, not Ethertypes.
  auto type = required_uint<uint16_t>(kv, "pop_mpls", "Ethertype", 0x0600, 0xffff);
  if (!type) return Error{type.error()};
  ctx.out.emplace_back(action::PopMpls{*type});
  return Ok{};
}

Status parse_dec_ttl(const KeyValue& kv, ParseContext& ctx) {
  // dec_ttl(id,...): the controllers that get an invalid_ttl packet-in when
  // the TTL runs out (controller 0 when none is named).
  action::DecTtl d;
  if (kv.value.find_first_not_of(" \t") != std::string_view::npos) {
    if (kv.delim != '(') return make_error("dec_ttl: expected dec_ttl(ID,...)");
    d.controller_ids.clear();
    d.cnt_ids_form = true;
    auto items = of_text::split_key_values(kv.value);
    if (!items) return make_error("dec_ttl: " + items.error());
    for (const KeyValue& item : *items) {
      auto id = parse_uint(item.whole, 0, 0xffff, "dec_ttl controller id");
      if (!id) return Error{id.error()};
      d.controller_ids.push_back(static_cast<uint16_t>(*id));
    }
  }
  ctx.out.emplace_back(std::move(d));
  return Ok{};
}

Status parse_set_mpls_ttl(const KeyValue& kv, ParseContext& ctx) {
  auto ttl = required_uint<uint8_t>(kv, "set_mpls_ttl", "TTL", 0, 255);
  if (!ttl) return Error{ttl.error()};
  ctx.out.emplace_back(action::SetMplsTtl{*ttl});
  return Ok{};
}

Status parse_dec_mpls_ttl(const KeyValue& kv, ParseContext& ctx) {
  if (Status s = no_argument(kv, "dec_mpls_ttl"); !s) return s;
  ctx.out.emplace_back(action::DecMplsTtl{});
  return Ok{};
}

// ---- pipeline control ----

Result<uint32_t> resubmit_port(std::string_view text, ParseContext& ctx) {
  auto port = of_text::parse_port(text, ctx.ports, "resubmit");
  if (!port) return port;
  if (*port > kOfppMax && *port != kOfppLocal && *port != kOfppInPort)
    return make_error("resubmit: " + of_text::format_port(*port) + " cannot be an in_port");
  return port;
}

Result<uint8_t> table_number(std::string_view text, std::string_view name) {
  auto v = parse_uint(text, 0, kMaxTableId, str(name) + " table");
  if (!v) return Error{v.error()};
  return static_cast<uint8_t>(*v);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

Status parse_resubmit(const KeyValue& kv, ParseContext& ctx) {
  action::Resubmit r;
  if (kv.delim != '(') {
    auto text = required(kv, "resubmit", "port");
    if (!text) return Error{text.error()};
    auto port = resubmit_port(*text, ctx);
    if (!port) return Error{port.error()};
    r.in_port = *port;
  } else {
    // resubmit([PORT][,TABLE]): positional, either may be empty.
    std::string_view args = kv.value;
    size_t comma = args.find(',');
    std::string_view port_text = trim(args.substr(0, comma));
    std::string_view table_text;
    if (comma != std::string_view::npos) {
      std::string_view rest = args.substr(comma + 1);
      size_t comma2 = rest.find(',');
      table_text = trim(rest.substr(0, comma2));
      if (comma2 != std::string_view::npos) {
        std::string_view extra = trim(rest.substr(comma2 + 1));
        if (extra == "ct")
          return make_error("resubmit: the \"ct\" option is not supported");
        return make_error("resubmit: unexpected " + quoted(extra) +
                          " (expected resubmit(PORT,TABLE))");
      }
    }
    if (!port_text.empty()) {
      auto port = resubmit_port(port_text, ctx);
      if (!port) return Error{port.error()};
      r.in_port = *port;
    }
    if (!table_text.empty()) {
      auto table = table_number(table_text, "resubmit");
      if (!table) return Error{table.error()};
      r.table = *table;
    }
  }
  if (r.in_port == kOfppInPort && r.table == kTableAll)
    return make_error("resubmit: at least one of the in_port and the table must be given");
  ctx.out.emplace_back(r);
  return Ok{};
}

Status parse_goto_table(const KeyValue& kv, ParseContext& ctx) {
  auto text = required(kv, "goto_table", "table number");
  if (!text) return Error{text.error()};
  auto table = table_number(*text, "goto_table");
  if (!table) return Error{table.error()};
  ctx.out.emplace_back(action::GotoTable{*table});
  return Ok{};
}

Status parse_write_metadata(const KeyValue& kv, ParseContext& ctx) {
  auto text = required(kv, "write_metadata", "value");
  if (!text) return Error{text.error()};
  size_t slash = text->find('/');
  action::WriteMetadata wm;
  auto value = parse_uint(text->substr(0, slash), 0, UINT64_MAX, "write_metadata value");
  if (!value) return Error{value.error()};
  wm.value = *value;
  if (slash != std::string_view::npos) {
    auto mask = parse_uint(text->substr(slash + 1), 0, UINT64_MAX, "write_metadata mask");
    if (!mask) return Error{mask.error()};
    wm.mask = *mask;
  }
  ctx.out.emplace_back(wm);
  return Ok{};
}

Status parse_group(const KeyValue& kv, ParseContext& ctx) {
  auto id = required_uint<uint32_t>(kv, "group", "group id", 0, 0xffffff00);
  if (!id) return Error{id.error()};
  ctx.out.emplace_back(action::Group{*id});
  return Ok{};
}

Status parse_meter(const KeyValue& kv, ParseContext& ctx) {
  auto id = required_uint<uint32_t>(kv, "meter", "meter id", 1, 0xffff0000);
  if (!id) return Error{id.error()};
  ctx.out.emplace_back(action::Meter{*id});
  return Ok{};
}

Status parse_apply_actions(const KeyValue&, ParseContext&) {
  return make_error("apply_actions is the default instruction: list the actions directly");
}

// The shorthands that differ only in the field or flag they pass on.
Status parse_mod_dl_src(const KeyValue& kv, ParseContext& c) {
  return parse_address_write(kv, "mod_dl_src", "eth_src", c);
}
Status parse_mod_dl_dst(const KeyValue& kv, ParseContext& c) {
  return parse_address_write(kv, "mod_dl_dst", "eth_dst", c);
}
Status parse_mod_nw_src(const KeyValue& kv, ParseContext& c) {
  return parse_address_write(kv, "mod_nw_src", "ip_src", c);
}
Status parse_mod_nw_dst(const KeyValue& kv, ParseContext& c) {
  return parse_address_write(kv, "mod_nw_dst", "ip_dst", c);
}
Status parse_mod_tp_src(const KeyValue& kv, ParseContext& c) {
  return parse_mod_tp(kv, "mod_tp_src", "tp_src", c);
}
Status parse_mod_tp_dst(const KeyValue& kv, ParseContext& c) {
  return parse_mod_tp(kv, "mod_tp_dst", "tp_dst", c);
}
Status parse_mod_vlan_vid(const KeyValue& kv, ParseContext& c) {
  return parse_vlan_vid(kv, true, c);
}
Status parse_set_vlan_vid(const KeyValue& kv, ParseContext& c) {
  return parse_vlan_vid(kv, false, c);
}
Status parse_mod_vlan_pcp(const KeyValue& kv, ParseContext& c) {
  return parse_vlan_pcp(kv, true, c);
}
Status parse_set_vlan_pcp(const KeyValue& kv, ParseContext& c) {
  return parse_vlan_pcp(kv, false, c);
}
Status parse_strip_vlan(const KeyValue& kv, ParseContext& c) {
  return parse_vlan_pop(kv, "strip_vlan", c);
}
Status parse_pop_vlan(const KeyValue& kv, ParseContext& c) {
  return parse_vlan_pop(kv, "pop_vlan", c);
}

using ActionParser = Status (*)(const KeyValue&, ParseContext&);
struct ActionSyntax {
  std::string_view name;
  ActionParser parse;
};

constexpr ActionSyntax kActions[] = {
    {"output", parse_output},
    {"controller", parse_controller},
    {"drop", parse_drop},
    {"set_field", parse_set_field},
    {"load", parse_load},
    {"mod_dl_src", parse_mod_dl_src},
    {"mod_dl_dst", parse_mod_dl_dst},
    {"mod_nw_src", parse_mod_nw_src},
    {"mod_nw_dst", parse_mod_nw_dst},
    {"mod_nw_tos", parse_mod_nw_tos},
    {"mod_nw_ecn", parse_mod_nw_ecn},
    {"mod_nw_ttl", parse_mod_nw_ttl},
    {"set_nw_ttl", parse_mod_nw_ttl},
    {"mod_tp_src", parse_mod_tp_src},
    {"mod_tp_dst", parse_mod_tp_dst},
    {"mod_vlan_vid", parse_mod_vlan_vid},
    {"set_vlan_vid", parse_set_vlan_vid},
    {"mod_vlan_pcp", parse_mod_vlan_pcp},
    {"set_vlan_pcp", parse_set_vlan_pcp},
    {"strip_vlan", parse_strip_vlan},
    {"pop_vlan", parse_pop_vlan},
    {"push_vlan", parse_push_vlan},
    {"push_mpls", parse_push_mpls},
    {"pop_mpls", parse_pop_mpls},
    {"dec_ttl", parse_dec_ttl},
    {"set_mpls_ttl", parse_set_mpls_ttl},
    {"dec_mpls_ttl", parse_dec_mpls_ttl},
    {"resubmit", parse_resubmit},
    {"goto_table", parse_goto_table},
    {"write_metadata", parse_write_metadata},
    {"group", parse_group},
    {"meter", parse_meter},
    {"apply_actions", parse_apply_actions},
    {"ct", [](const KeyValue& kv, ParseContext& c) -> Status {
       TRY_ASSIGN(ct, parse_ct_action(kv.value));
       c.out.emplace_back(std::move(ct));
       return Ok{};
     }},
    {"ct_clear", [](const KeyValue& kv, ParseContext& c) -> Status {
       if (Status s = no_argument(kv, "ct_clear"); !s) return s;
       c.out.emplace_back(action::CtClear{});
       return Ok{};
     }},
};

}  // namespace

Result<std::vector<OfAction>> parse_of_actions(std::string_view text,
                                               const PortNameResolver& ports) {
  auto items = of_text::split_key_values(text);
  if (!items) return Error{items.error()};
  std::vector<OfAction> actions;
  ParseContext ctx{ports, actions};
  for (const KeyValue& kv : *items) {
    const ActionSyntax* syntax = nullptr;
    for (const ActionSyntax& s : kActions)
      if (iequals(kv.key, s.name)) syntax = &s;
    if (syntax) {
      if (Status s = syntax->parse(kv, ctx); !s) return Error{s.error()};
      continue;
    }
    auto extension = of_text::parse_extension_action(kv, ports, actions);
    if (!extension) return Error{extension.error()};
    if (*extension) continue;
    // A bare port is an output: "2", "NORMAL", "in_port", "LOCAL", "eth0".
    if (kv.delim == '\0') {
      auto port = of_text::parse_port(kv.key, ports, "output");
      if (port) {
        if (Status s = add_output(*port, "output", ctx); !s) return Error{s.error()};
        continue;
      }
      // A number is surely meant as a port; say what is wrong with it.
      if (std::isdigit(static_cast<unsigned char>(kv.key[0]))) return Error{port.error()};
    }
    return make_error("unknown action " + quoted(kv.key));
  }
  if (ctx.drop && !actions.empty())
    return make_error("\"drop\" must not be accompanied by any other action or instruction");
  if (Status s = of_text::verify_action_list(actions); !s) return Error{s.error()};
  return actions;
}

}  // namespace flowpath::openflow
