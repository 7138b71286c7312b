// Parsing key attributes from text: the value lexers ("value[/mask]" for
// numbers, addresses, flag sets) and the parsers of every attribute except
// tunnel(...) (odp_tunnel_text.cc).
//
// Masks follow Open vSwitch: a field given without "/mask" is exact, a field
// not given is wildcarded (mask 0). Unlike OVS, every value is range-checked
// instead of silently truncated, and a field may be given only once.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <iterator>

#include "odp/odp_key_text_impl.h"
#include "packet/byte_order.h"

namespace flowpath::odp_text {

using namespace odp;

// ---------------------------------------------------------------------------
// Errors and small helpers

Error unknown_field(const ParseState& st, size_t pos, std::string_view name,
                    std::string_view context) {
  return st.in.error_at(pos, "unknown field '" + std::string(name) + "' in " +
                                 std::string(context) + "(...)");
}

Error duplicate_field(const ParseState& st, size_t pos, std::string_view name,
                      std::string_view context) {
  return st.in.error_at(pos, "duplicate field '" + std::string(name) + "' in " +
                                 std::string(context) + "(...)");
}

Status expect_equals(ParseState& st, std::string_view name) {
  if (st.in.accept_prefix("=")) return Ok{};
  return st.in.error("expected '=' after '" + std::string(name) + "'");
}

namespace {

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// The alphanumeric run at the scanner, for error messages.
std::string_view word_at(const TextScanner& in) {
  std::string_view r = in.rest();
  size_t n = 0;
  while (n < r.size() && std::isalnum(static_cast<unsigned char>(r[n]))) ++n;
  return r.substr(0, n);
}

bool is_well_formed_number(std::string_view token) {
  std::string_view digits = token;
  bool hex = token.size() > 2 && token[0] == '0' && (token[1] == 'x' || token[1] == 'X');
  if (hex) digits.remove_prefix(2);
  if (digits.empty()) return false;
  for (char c : digits) {
    unsigned char u = static_cast<unsigned char>(c);
    if (hex ? !std::isxdigit(u) : !std::isdigit(u)) return false;
  }
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

Status expect_close(ParseState& st, std::string_view attr) {
  if (st.in.accept(')')) return Ok{};
  if (st.in.at_end()) return st.in.error("missing ')' to close '" + std::string(attr) + "('");
  return st.in.error("expected ')' to close '" + std::string(attr) + "('");
}

}  // namespace

// ---------------------------------------------------------------------------
// Value lexers

Result<uint64_t> parse_number(TextScanner& in, std::string_view what, uint64_t max) {
  size_t start = in.pos();
  std::string_view token = word_at(in);
  if (token.empty() || !std::isdigit(static_cast<unsigned char>(token[0])))
    return in.error("expected a number for " + std::string(what));
  auto value = in.unsigned_number(UINT64_MAX);
  if (value && in.pos() == start + token.size() && *value <= max) return *value;
  in.set_pos(start);
  if (is_well_formed_number(token))
    return in.error_at(start, "value " + std::string(token) + " for " + std::string(what) +
                                  " is out of range (maximum " + std::to_string(max) + ")");
  return in.error_at(start, "invalid number " + quoted(token) + " for " + std::string(what));
}

Result<bool> mask_follows(ParseState& st, std::string_view field) {
  if (st.in.peek() != '/') return false;
  if (!st.masks_allowed)
    return st.in.error("a mask is not allowed here: " + quoted(field) + " must be exact");
  st.in.set_pos(st.in.pos() + 1);
  return true;
}

Status parse_masked_number(ParseState& st, std::string_view field, uint64_t max, uint64_t& value,
                           uint64_t& mask) {
  auto v = parse_number(st.in, quoted(field), max);
  if (!v.ok()) return Error{v.error()};
  value = *v;
  mask = max;
  auto slash = mask_follows(st, field);
  if (!slash.ok()) return Error{slash.error()};
  if (*slash) {
    auto m = parse_number(st.in, "the mask of " + quoted(field), max);
    if (!m.ok()) return Error{m.error()};
    mask = *m;
  }
  return Ok{};
}

Status parse_masked_ipv4(ParseState& st, std::string_view field, uint8_t* key, uint8_t* mask) {
  auto v = st.in.ipv4_address();
  if (!v) return st.in.error("invalid IPv4 address for " + quoted(field));
  std::memcpy(key, &*v, 4);
  std::memset(mask, 0xff, 4);
  auto slash = mask_follows(st, field);
  if (!slash.ok()) return Error{slash.error()};
  if (*slash) {
    auto m = st.in.ipv4_address();
    if (!m) return st.in.error("invalid IPv4 mask for " + quoted(field));
    std::memcpy(mask, &*m, 4);
  }
  return Ok{};
}

Status parse_masked_ipv6(ParseState& st, std::string_view field, uint8_t* key, uint8_t* mask) {
  if (!st.in.ipv6_address(key)) return st.in.error("invalid IPv6 address for " + quoted(field));
  std::memset(mask, 0xff, 16);
  auto slash = mask_follows(st, field);
  if (!slash.ok()) return Error{slash.error()};
  if (*slash && !st.in.ipv6_address(mask))
    return st.in.error("invalid IPv6 mask for " + quoted(field));
  return Ok{};
}

Status parse_masked_eth(ParseState& st, std::string_view field, uint8_t* key, uint8_t* mask) {
  auto v = st.in.eth_address();
  if (!v) return st.in.error("invalid Ethernet address for " + quoted(field));
  std::memcpy(key, v->bytes, 6);
  std::memset(mask, 0xff, 6);
  auto slash = mask_follows(st, field);
  if (!slash.ok()) return Error{slash.error()};
  if (*slash) {
    auto m = st.in.eth_address();
    if (!m) return st.in.error("invalid Ethernet mask for " + quoted(field));
    std::memcpy(mask, m->bytes, 6);
  }
  return Ok{};
}

Status parse_wide_integer(ParseState& st, std::string_view what, uint8_t* out, size_t width) {
  TextScanner& in = st.in;
  size_t start = in.pos();
  std::memset(out, 0, width);
  std::string_view r = in.rest();
  if (r.size() >= 2 && r[0] == '0' && (r[1] == 'x' || r[1] == 'X')) {
    size_t end = 2;
    while (end < r.size() && std::isxdigit(static_cast<unsigned char>(r[end]))) ++end;
    std::string_view digits = r.substr(2, end - 2);
    if (digits.empty() || (end < r.size() && std::isalnum(static_cast<unsigned char>(r[end]))))
      return in.error("invalid hexadecimal number " + quoted(word_at(in)) + " for " +
                      std::string(what));
    while (!digits.empty() && digits.front() == '0') digits.remove_prefix(1);
    if ((digits.size() + 1) / 2 > width)
      return in.error("value for " + std::string(what) + " does not fit in " +
                      std::to_string(width) + " bytes");
    size_t byte = width;
    for (size_t i = digits.size(); i > 0;) {
      int low = hex_value(digits[--i]);
      int high = i > 0 ? hex_value(digits[--i]) : 0;
      out[--byte] = static_cast<uint8_t>(high << 4 | low);
    }
    in.set_pos(start + end);
    return Ok{};
  }
  uint64_t max = width >= 8 ? UINT64_MAX : (uint64_t{1} << (8 * width)) - 1;
  auto v = parse_number(in, what, max);
  if (!v.ok()) return Error{v.error()};
  for (size_t i = 0; i < width && i < 8; ++i) out[width - 1 - i] = static_cast<uint8_t>(*v >> (8 * i));
  return Ok{};
}

// ---------------------------------------------------------------------------
// Flag sets

namespace {

constexpr FlagName kTcpFlagNames[] = {
    {0x001, "fin"}, {0x002, "syn"}, {0x004, "rst"},   {0x008, "psh"},
    {0x010, "ack"}, {0x020, "urg"}, {0x040, "ece"},   {0x080, "cwr"},
    {0x100, "ns"},  {0x200, "[200]"}, {0x400, "[400]"}, {0x800, "[800]"},
};
constexpr FlagName kCtStateNames[] = {
    {kCsNew, "new"}, {kCsEstablished, "est"}, {kCsRelated, "rel"},  {kCsReplyDir, "rpl"},
    {kCsInvalid, "inv"}, {kCsTracked, "trk"}, {kCsSrcNat, "snat"}, {kCsDstNat, "dnat"},
};

// Matches a flag name at the scanner that is followed by one of `stops`.
const FlagName* match_flag(TextScanner& in, const FlagSet& set, std::string_view stops) {
  std::string_view r = in.rest();
  for (const FlagName& f : set.names) {
    if (r.substr(0, f.name.size()) != f.name) continue;
    if (r.size() > f.name.size() && stops.find(r[f.name.size()]) == std::string_view::npos)
      continue;
    in.set_pos(in.pos() + f.name.size());
    return &f;
  }
  return nullptr;
}

Error unknown_flag(const TextScanner& in, const FlagSet& set, std::string_view stops) {
  std::string_view r = in.rest();
  std::string_view token = r.substr(0, std::min(r.find_first_of(stops), r.size()));
  return in.error("unknown flag " + quoted(token) + " in " + std::string(set.attr) + "(...)");
}

Error missing_close(const TextScanner& in, const FlagSet& set) {
  return in.error("missing ')' to close '" + std::string(set.attr) + "('");
}

// "+syn-ack": each named flag is matched set (+) or clear (-).
Status parse_signed_flags(ParseState& st, const FlagSet& set, uint32_t& value, uint32_t& mask) {
  TextScanner& in = st.in;
  if (!st.masks_allowed)
    return in.error("masked flags are not allowed here: " + std::string(set.attr) +
                    " must be exact");
  value = mask = 0;
  while (in.peek() != ')') {
    if (in.at_end()) return missing_close(in, set);
    char sign = in.peek();
    if (sign != '+' && sign != '-')
      return in.error("expected '+' or '-' before each flag in " + std::string(set.attr) + "(...)");
    in.set_pos(in.pos() + 1);
    size_t name_pos = in.pos();
    const FlagName* flag = match_flag(in, set, "+-)");
    if (!flag) return unknown_flag(in, set, "+-)");
    if (mask & flag->bit)
      return in.error_at(name_pos, "flag " + quoted(flag->name) + " given more than once in " +
                                       std::string(set.attr) + "(...)");
    mask |= flag->bit;
    if (sign == '+') value |= flag->bit;
  }
  return Ok{};
}

}  // namespace

const FlagSet kTcpFlagSet{"tcp_flags", kTcpFlagNames, 0x0fff};
const FlagSet kCtStateFlagSet{"ct_state", kCtStateNames, 0xff};

Status parse_flags(ParseState& st, const FlagSet& set, bool allow_empty, uint32_t& value,
                   uint32_t& mask) {
  TextScanner& in = st.in;
  std::string what = quoted(set.attr);
  size_t start = in.pos();
  // "value/mask" in numbers.
  if (std::isdigit(static_cast<unsigned char>(in.peek()))) {
    auto v = parse_number(in, what, UINT32_MAX);
    if (v.ok() && in.peek() == '/') {
      auto slash = mask_follows(st, set.attr);
      if (!slash.ok()) return Error{slash.error()};
      auto m = parse_number(in, "the mask of " + what, UINT32_MAX);
      if (!m.ok()) return Error{m.error()};
      if ((*v | *m) & ~set.allowed)
        return in.error_at(start, "unknown flag bits in " +
                                      quoted(in.text().substr(start, in.pos() - start)) + " for " +
                                      std::string(set.attr) + "(...)");
      value = static_cast<uint32_t>(*v);
      mask = static_cast<uint32_t>(*m);
      return Ok{};
    }
    in.set_pos(start);
  }
  if (in.peek() == '+' || in.peek() == '-') return parse_signed_flags(st, set, value, mask);

  // "syn|ack" or numbers: the flags listed are set, all others clear.
  value = 0;
  mask = UINT32_MAX;
  bool any = false;
  while (in.peek() != ')') {
    if (in.at_end()) return missing_close(in, set);
    size_t item = in.pos();
    if (std::isdigit(static_cast<unsigned char>(in.peek()))) {
      auto v = parse_number(in, what, UINT32_MAX);
      if (!v.ok()) return Error{v.error()};
      if (*v & ~set.allowed)
        return in.error_at(item, "unknown flag bits in " +
                                     quoted(in.text().substr(item, in.pos() - item)) + " for " +
                                     std::string(set.attr) + "(...)");
      value |= static_cast<uint32_t>(*v);
    } else {
      const FlagName* flag = match_flag(in, set, "|)");
      if (!flag) return unknown_flag(in, set, "|)");
      value |= flag->bit;
    }
    any = true;
    if (in.peek() == '|') in.set_pos(in.pos() + 1);
    else if (in.peek() != ')' && !in.at_end())
      return in.error("expected '|' or ')' in " + std::string(set.attr) + "(...)");
  }
  if (!any && !allow_empty) return in.error("expected flags in " + std::string(set.attr) + "(...)");
  return Ok{};
}

// ---------------------------------------------------------------------------
// Attribute parsers

namespace {

constexpr uint16_t kVlanCfi = 0x1000;

using AttributeParser = Status (*)(ParseState&, KeyMaskWriter&, uint16_t type);

Status parse_struct_field(ParseState& st, const FieldSpec& f, uint8_t* key, uint8_t* mask) {
  key += f.offset;
  mask += f.offset;
  uint64_t v = 0, m = 0;
  auto number = [&](uint64_t max) { return parse_masked_number(st, f.name, max, v, m); };
  switch (f.kind) {
    case FieldKind::kU8Dec:
    case FieldKind::kU8Hex:
      if (auto s = number(0xff); !s.ok()) return s;
      key[0] = static_cast<uint8_t>(v);
      mask[0] = static_cast<uint8_t>(m);
      return Ok{};
    case FieldKind::kBe16Dec:
    case FieldKind::kBe16Hex:
      if (auto s = number(0xffff); !s.ok()) return s;
      store_unaligned<be16>(key, hton16(static_cast<uint16_t>(v)));
      store_unaligned<be16>(mask, hton16(static_cast<uint16_t>(m)));
      return Ok{};
    case FieldKind::kBe32Hex:
    case FieldKind::kIpv6Label:
      if (auto s = number(f.kind == FieldKind::kIpv6Label ? 0xfffff : 0xffffffff); !s.ok()) return s;
      store_unaligned<be32>(key, hton32(static_cast<uint32_t>(v)));
      store_unaligned<be32>(mask, hton32(static_cast<uint32_t>(m)));
      return Ok{};
    case FieldKind::kIpv4:
      return parse_masked_ipv4(st, f.name, key, mask);
    case FieldKind::kIpv6:
      return parse_masked_ipv6(st, f.name, key, mask);
    case FieldKind::kEth:
      return parse_masked_eth(st, f.name, key, mask);
    case FieldKind::kFrag: {
      static constexpr std::string_view kFragNames[] = {"no", "first", "later"};
      std::string_view word = word_at(st.in);
      for (size_t i = 0; i < 3; ++i) {
        if (word != kFragNames[i]) continue;
        st.in.set_pos(st.in.pos() + word.size());
        if (st.in.peek() == '/') return st.in.error("'frag' cannot be masked");
        key[0] = static_cast<uint8_t>(i);
        mask[0] = 0xff;
        return Ok{};
      }
      return st.in.error("invalid frag value " + quoted(word) + " (expected no, first or later)");
    }
  }
  return Ok{};
}

Status parse_struct(ParseState& st, KeyMaskWriter& out, uint16_t type) {
  const StructSpec& spec = *find_struct_spec(type);
  uint8_t key[64] = {}, mask[64] = {};
  uint32_t seen = 0;
  std::string context = key_attr_name(type);
  auto status = parse_items(st, context, [&](std::string_view name, size_t pos) -> Status {
    for (size_t i = 0; i < spec.fields.size(); ++i) {
      const FieldSpec& f = spec.fields[i];
      if (name != f.name && name != f.alias) continue;
      if (seen & (1u << i)) return duplicate_field(st, pos, name, context);
      seen |= 1u << i;
      if (auto s = expect_equals(st, name); !s.ok()) return s;
      return parse_struct_field(st, f, key, mask);
    }
    return unknown_field(st, pos, name, context);
  });
  if (!status.ok()) return status;
  out.put(type, key, mask, spec.size);
  return Ok{};
}

// skb_priority(0x1234/0xff) and friends: one host-order number.
template <uint64_t kMax, bool kMaskable = true, bool kMayBeEmpty = false>
Status parse_single_number(ParseState& st, KeyMaskWriter& out, uint16_t type) {
  std::string name = key_attr_name(type);
  uint64_t value = 0, mask = 0;
  st.in.skip_spaces();
  if (!(kMayBeEmpty && st.in.peek() == ')')) {
    if constexpr (kMaskable) {
      if (auto s = parse_masked_number(st, name, kMax, value, mask); !s.ok()) return s;
    } else {
      auto v = parse_number(st.in, quoted(name), kMax);
      if (!v.ok()) return Error{v.error()};
      if (st.in.peek() == '/') return st.in.error(quoted(name) + " cannot be masked");
      value = *v;
      mask = kMax;
    }
  }
  if (auto s = expect_close(st, name); !s.ok()) return s;
  if constexpr (kMax == 0xffff) {
    uint16_t v16 = static_cast<uint16_t>(value), m16 = static_cast<uint16_t>(mask);
    out.put(type, &v16, &m16, 2);
  } else {
    uint32_t v32 = static_cast<uint32_t>(value), m32 = static_cast<uint32_t>(mask);
    out.put(type, &v32, &m32, 4);
  }
  return Ok{};
}

// in_port(N[/MASK]) or, as Open vSwitch's dpctl reads it, in_port(NAME):
// everything up to ')' is the name of a port of the datapath.
Status parse_in_port(ParseState& st, KeyMaskWriter& out, uint16_t type) {
  st.in.skip_spaces();
  if (!std::isalpha(static_cast<unsigned char>(st.in.peek())))
    return parse_single_number<0xffffffff>(st, out, type);
  size_t at = st.in.pos();
  std::string_view name = st.in.token_until(")");
  if (st.ports == nullptr || !*st.ports)
    return st.in.error_at(at, "in_port(" + std::string(name) +
                                  "): a port name needs a datapath to look it up; give the "
                                  "port number");
  std::optional<uint32_t> port = (*st.ports)(name);
  if (!port) return st.in.error_at(at, "in_port: the datapath has no port named " + quoted(name));
  if (auto s = expect_close(st, "in_port"); !s.ok()) return s;
  uint32_t value = *port, mask = 0xffffffff;
  out.put(type, &value, &mask, 4);
  return Ok{};
}

Status parse_ethertype(ParseState& st, KeyMaskWriter& out, uint16_t type) {
  uint64_t value, mask;
  st.in.skip_spaces();
  if (auto s = parse_masked_number(st, "eth_type", 0xffff, value, mask); !s.ok()) return s;
  if (auto s = expect_close(st, "eth_type"); !s.ok()) return s;
  be16 v = hton16(static_cast<uint16_t>(value)), m = hton16(static_cast<uint16_t>(mask));
  out.put(type, &v, &m, 2);
  return Ok{};
}

Status parse_flag_attribute(ParseState& st, KeyMaskWriter& out, uint16_t type) {
  const FlagSet& set = type == kKeyTcpFlags ? kTcpFlagSet : kCtStateFlagSet;
  uint32_t value, mask;
  if (auto s = parse_flags(st, set, false, value, mask); !s.ok()) return s;
  if (auto s = expect_close(st, set.attr); !s.ok()) return s;
  if (type == kKeyTcpFlags) {
    be16 v = hton16(static_cast<uint16_t>(value)), m = hton16(static_cast<uint16_t>(mask));
    out.put(type, &v, &m, 2);
  } else {
    out.put(type, &value, &mask, 4);
  }
  return Ok{};
}

// ct_label(0x0123...): 128 bits. The attribute holds them in host byte
// order, as OVS userspace puts them (and the kernel's label bitmap reads).
Status parse_ct_label(ParseState& st, KeyMaskWriter& out, uint16_t type) {
  uint8_t value[16] = {}, mask[16] = {};
  st.in.skip_spaces();
  if (st.in.peek() != ')') {
    if (auto s = parse_wide_integer(st, "'ct_label'", value, 16); !s.ok()) return s;
    std::memset(mask, 0xff, 16);
    auto slash = mask_follows(st, "ct_label");
    if (!slash.ok()) return Error{slash.error()};
    if (*slash) {
      if (auto s = parse_wide_integer(st, "the mask of 'ct_label'", mask, 16); !s.ok()) return s;
    }
  }
  if (auto s = expect_close(st, "ct_label"); !s.ok()) return s;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  std::reverse(value, value + 16);
  std::reverse(mask, mask + 16);
#endif
  out.put(type, value, mask, 16);
  return Ok{};
}

// vlan(vid=..,pcp=..,cfi=..): bit fields of the TCI. An absent cfi means
// "tag present" (CFI set), matched exactly, as in OVS.
Status parse_vlan(ParseState& st, KeyMaskWriter& out, uint16_t type) {
  struct BitField {
    std::string_view name;
    int shift, width;
  };
  static constexpr BitField kFields[] = {{"vid", 0, 12}, {"pcp", 13, 3}, {"cfi", 12, 1}};
  uint16_t tci = kVlanCfi, tci_mask = kVlanCfi;
  uint32_t seen = 0;
  auto status = parse_items(st, "vlan", [&](std::string_view name, size_t pos) -> Status {
    for (size_t i = 0; i < 3; ++i) {
      const BitField& f = kFields[i];
      if (name != f.name) continue;
      if (seen & (1u << i)) return duplicate_field(st, pos, name, "vlan");
      seen |= 1u << i;
      if (auto s = expect_equals(st, name); !s.ok()) return s;
      uint64_t max = (1u << f.width) - 1, v, m;
      if (auto s = parse_masked_number(st, name, max, v, m); !s.ok()) return s;
      uint16_t bits = static_cast<uint16_t>(max << f.shift);
      tci = static_cast<uint16_t>((tci & ~bits) | (v << f.shift));
      tci_mask = static_cast<uint16_t>((tci_mask & ~bits) | (m << f.shift));
      return Ok{};
    }
    return unknown_field(st, pos, name, "vlan");
  });
  if (!status.ok()) return status;
  be16 v = hton16(tci), m = hton16(tci_mask);
  out.put(type, &v, &m, 2);
  return Ok{};
}

// mpls(label=..,tc=..,ttl=..,bos=..[,label=..,...]): a field seen again in
// the current entry starts the next label stack entry.
Status parse_mpls(ParseState& st, KeyMaskWriter& out, uint16_t type) {
  struct BitField {
    std::string_view name;
    int shift, width;
  };
  static constexpr BitField kFields[] = {
      {"label", 12, 20}, {"tc", 9, 3}, {"ttl", 0, 8}, {"bos", 8, 1}};
  constexpr int kMaxEntries = 3;  // OVS's FLOW_MAX_MPLS_LABELS
  uint32_t lse[kMaxEntries] = {}, lse_mask[kMaxEntries] = {};
  int entry = 0;
  uint32_t seen = 0;
  auto status = parse_items(st, "mpls", [&](std::string_view name, size_t pos) -> Status {
    for (size_t i = 0; i < 4; ++i) {
      const BitField& f = kFields[i];
      if (name != f.name) continue;
      if (seen & (1u << i)) {
        if (++entry == kMaxEntries)
          return st.in.error_at(pos, "too many label stack entries in mpls(...) (at most 3)");
        seen = 0;
      }
      seen |= 1u << i;
      if (auto s = expect_equals(st, name); !s.ok()) return s;
      uint64_t max = (uint64_t{1} << f.width) - 1, v, m;
      if (auto s = parse_masked_number(st, name, max, v, m); !s.ok()) return s;
      uint32_t bits = static_cast<uint32_t>(max << f.shift);
      lse[entry] = static_cast<uint32_t>((lse[entry] & ~bits) | (v << f.shift));
      lse_mask[entry] = static_cast<uint32_t>((lse_mask[entry] & ~bits) | (m << f.shift));
      return Ok{};
    }
    return unknown_field(st, pos, name, "mpls");
  });
  if (!status.ok()) return status;
  be32 key[kMaxEntries], mask[kMaxEntries];
  for (int i = 0; i <= entry; ++i) {
    key[i] = hton32(lse[i]);
    mask[i] = hton32(lse_mask[i]);
  }
  out.put(type, key, mask, sizeof(be32) * static_cast<size_t>(entry + 1));
  return Ok{};
}

// nsh(flags=..,ttl=..,mdtype=..,np=..,spi=..,si=..,c1=..,...,md2=0x..).
// The mask always carries MD1 context. The key carries it for mdtype 1 (as
// OVS builds keys), when a context field is given, and whenever a mask is
// written: OVS prints a key without MD1 as if its context were exactly zero,
// so a wildcarded context would not read back the same.
Status parse_nsh(ParseState& st, KeyMaskWriter& out, uint16_t type) {
  NshBase base{}, base_mask{};
  uint64_t spi = 0, spi_mask = 0, si = 0, si_mask = 0;
  be32 context[4] = {}, context_mask[4] = {};
  uint8_t md2[256], md2_mask[256];
  size_t md2_len = 0;
  bool has_md2 = false;
  uint32_t seen = 0;
  static constexpr std::string_view kNames[] = {"flags", "ttl", "mdtype", "np", "spi",
                                                "si",    "c1",  "c2",     "c3", "c4", "md2"};
  auto status = parse_items(st, "nsh", [&](std::string_view name, size_t pos) -> Status {
    size_t i = 0;
    while (i < std::size(kNames) && kNames[i] != name) ++i;
    if (i == std::size(kNames)) return unknown_field(st, pos, name, "nsh");
    if (seen & (1u << i)) return duplicate_field(st, pos, name, "nsh");
    seen |= 1u << i;
    if (auto s = expect_equals(st, name); !s.ok()) return s;
    uint64_t v, m;
    uint8_t* u8_fields[] = {&base.flags, &base.ttl, &base.mdtype, &base.np};
    uint8_t* u8_masks[] = {&base_mask.flags, &base_mask.ttl, &base_mask.mdtype, &base_mask.np};
    if (i < 4) {
      if (auto s = parse_masked_number(st, name, 0xff, v, m); !s.ok()) return s;
      *u8_fields[i] = static_cast<uint8_t>(v);
      *u8_masks[i] = static_cast<uint8_t>(m);
      return Ok{};
    }
    if (i == 4) return parse_masked_number(st, name, 0xffffff, spi, spi_mask);
    if (i == 5) return parse_masked_number(st, name, 0xff, si, si_mask);
    if (i < 10) {
      if (auto s = parse_masked_number(st, name, 0xffffffff, v, m); !s.ok()) return s;
      context[i - 6] = hton32(static_cast<uint32_t>(v));
      context_mask[i - 6] = hton32(static_cast<uint32_t>(m));
      return Ok{};
    }
    size_t at = st.in.pos();
    auto bytes = st.in.hex_bytes(248);
    if (!bytes || bytes->empty() || std::isalnum(static_cast<unsigned char>(st.in.peek())))
      return st.in.error_at(at, "invalid md2 metadata (expected 0x and up to 248 hex bytes)");
    md2_len = bytes->size();
    std::memcpy(md2, bytes->data(), md2_len);
    std::memset(md2_mask, 0xff, md2_len);
    has_md2 = true;
    auto slash = mask_follows(st, name);
    if (!slash.ok()) return Error{slash.error()};
    if (*slash) {
      auto mask_bytes = st.in.hex_bytes(248);
      if (!mask_bytes || mask_bytes->size() != md2_len)
        return st.in.error("invalid md2 mask (expected as many hex bytes as the value)");
      std::memcpy(md2_mask, mask_bytes->data(), md2_len);
    }
    return Ok{};
  });
  if (!status.ok()) return status;
  base.path_hdr = hton32(static_cast<uint32_t>(spi << 8 | si));
  base_mask.path_hdr = hton32(static_cast<uint32_t>(spi_mask << 8 | si_mask));

  size_t key_nest = out.key().begin_nested(type);
  out.key().put_struct(kNshBase, base);
  bool has_context = seen & (0xfu << 6);  // c1..c4
  if (base.mdtype == 1 || has_context || out.has_mask())
    out.key().put(kNshMd1, context, sizeof context);
  if (has_md2) out.key().put(kNshMd2, md2, md2_len);
  out.key().end_nested(key_nest);
  if (NetlinkWriter* mask = out.mask()) {
    size_t mask_nest = mask->begin_nested(type);
    mask->put_struct(kNshBase, base_mask);
    mask->put(kNshMd1, context_mask, sizeof context_mask);
    if (has_md2) mask->put(kNshMd2, md2_mask, md2_len);
    mask->end_nested(mask_nest);
  }
  return Ok{};
}

Status parse_encap(ParseState& st, KeyMaskWriter& out, uint16_t type) {
  if (st.depth >= kMaxNesting)
    return st.in.error_at(st.in.pos() - std::string_view("encap(").size(),
                          "encap(...) nested too deeply (at most " +
                              std::to_string(kMaxNesting) + " levels)");
  ++st.depth;
  KeyMaskWriter::Nest nest = out.begin_nested(type);
  Status status = parse_attribute_list(st, out, true);
  out.end_nested(nest);
  --st.depth;
  return status;
}

Status parse_tunnel_attribute(ParseState& st, KeyMaskWriter& out, uint16_t) {
  return parse_tunnel(st, out);
}

struct AttributeEntry {
  std::string_view name;
  uint16_t type;
  AttributeParser parse;
};

constexpr AttributeEntry kAttributes[] = {
    {"skb_priority", kKeyPriority, parse_single_number<0xffffffff>},
    {"skb_mark", kKeySkbMark, parse_single_number<0xffffffff>},
    {"recirc_id", kKeyRecircId, parse_single_number<0xffffffff, false>},
    {"dp_hash", kKeyDpHash, parse_single_number<0xffffffff>},
    {"ct_state", kKeyCtState, parse_flag_attribute},
    {"ct_zone", kKeyCtZone, parse_single_number<0xffff, true, true>},
    {"ct_mark", kKeyCtMark, parse_single_number<0xffffffff, true, true>},
    {"ct_label", kKeyCtLabels, parse_ct_label},
    {"ct_tuple4", kKeyCtOrigTupleIpv4, parse_struct},
    {"ct_tuple6", kKeyCtOrigTupleIpv6, parse_struct},
    {"tunnel", kKeyTunnel, parse_tunnel_attribute},
    {"in_port", kKeyInPort, parse_in_port},
    {"eth", kKeyEthernet, parse_struct},
    {"vlan", kKeyVlan, parse_vlan},
    {"eth_type", kKeyEthertype, parse_ethertype},
    {"mpls", kKeyMpls, parse_mpls},
    {"ipv4", kKeyIpv4, parse_struct},
    {"ipv6", kKeyIpv6, parse_struct},
    {"tcp", kKeyTcp, parse_struct},
    {"tcp_flags", kKeyTcpFlags, parse_flag_attribute},
    {"udp", kKeyUdp, parse_struct},
    {"sctp", kKeySctp, parse_struct},
    {"icmp", kKeyIcmp, parse_struct},
    {"icmpv6", kKeyIcmpv6, parse_struct},
    {"arp", kKeyArp, parse_struct},
    {"nd", kKeyNd, parse_struct},
    {"nd_ext", kKeyNdExtensions, parse_struct},
    {"packet_type", kKeyPacketType, parse_struct},
    {"nsh", kKeyNsh, parse_nsh},
    {"encap", kKeyEncap, parse_encap},
};

}  // namespace

Result<uint16_t> parse_one_attribute(ParseState& st, KeyMaskWriter& out) {
  TextScanner& in = st.in;
  size_t start = in.pos();
  std::string_view name = in.identifier();
  if (name.empty()) return in.error("expected a key attribute such as in_port(...)");
  const AttributeEntry* entry = nullptr;
  for (const AttributeEntry& e : kAttributes)
    if (e.name == name) entry = &e;
  if (!entry) return in.error_at(start, "unknown key attribute " + quoted(name));
  if (!in.accept_prefix("(")) return in.error("expected '(' after " + quoted(name));
  if (auto s = entry->parse(st, out, entry->type); !s.ok()) return Error{s.error()};
  return entry->type;
}

}  // namespace flowpath::odp_text
