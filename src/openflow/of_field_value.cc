// Field values in ovs-ofctl's text forms: integers (decimal or 0x hex, with
// an optional /mask), Ethernet and IP addresses (with /prefix or /mask),
// ports, fragment kinds, and TCP / conntrack flags ("+syn-ack", "new|trk").
#include <arpa/inet.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <optional>

#include "openflow/of_field.h"

namespace flowpath::openflow {

namespace {

using field_internal::ByteOrder;
using field_internal::FieldLayout;
using field_internal::load_number;
using field_internal::low_bits;
using field_internal::store_number;
using field_internal::U128;
using field_internal::ValueRule;

constexpr U128 kVlanPresent = 0x1000;  // the CFI bit: "a tag is there"
constexpr U128 kVlanPcpBits = 0xe000;
constexpr uint32_t kNoVlan = 0xffff;  // dl_vlan's "no tag"

// ---- Numbers.

// Decimal or 0x-hexadecimal, up to 128 bits; nullopt when not a number or
// wider than 128 bits.
std::optional<U128> parse_number(std::string_view s) {
  unsigned base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  if (s.empty()) return std::nullopt;
  U128 v = 0;
  const U128 limit = ~U128{0};
  for (char c : s) {
    unsigned d;
    if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
    else if (base == 16 && c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
    else if (base == 16 && c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
    else return std::nullopt;
    if (v > (limit - d) / base) return std::nullopt;
    v = v * base + d;
  }
  return v;
}

std::string to_decimal(U128 v) {
  std::string out;
  do {
    out.insert(out.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v != 0);
  return out;
}

// "0x" + at least `digits` hex digits.
std::string to_hex(U128 v, unsigned digits = 1) {
  std::string out;
  do {
    out.insert(out.begin(), "0123456789abcdef"[static_cast<int>(v & 0xf)]);
    v >>= 4;
  } while (v != 0);
  while (out.size() < digits) out.insert(out.begin(), '0');
  return "0x" + out;
}

// OVS's hexadecimal: "0" for zero, "0x..." otherwise, unless padded.
std::string to_hex_field(U128 v, const FieldLayout& l) {
  if (l.hex_digits == 0 && v == 0) return "0";
  return to_hex(v, l.hex_digits);
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// Splits "value/mask".
struct ValueText {
  std::string_view value;
  std::optional<std::string_view> mask;
};
ValueText split_mask(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return {text, std::nullopt};
  return {text.substr(0, slash), text.substr(slash + 1)};
}

// ip_frag's names, as value/mask over kFragAny (a fragment) and kFragLater
// (not the first fragment).
struct FragName {
  std::string_view name;
  uint8_t value, mask;
};
constexpr FragName kFragNames[] = {
    {"no", 0, kFragMask},           {"yes", kFragAny, kFragAny},
    {"first", kFragAny, kFragMask}, {"later", kFragMask, kFragMask},
    {"not_later", 0, kFragLater},
};

// Flag names by bit, least significant first (the order OVS prints them).
constexpr std::string_view kTcpFlagNames[] = {"fin", "syn", "rst", "psh",   "ack",   "urg",
                                              "ece", "cwr", "ns",  "[200]", "[400]", "[800]"};
constexpr std::string_view kCtStateNames[] = {"new", "est", "rel",  "rpl",
                                              "inv", "trk", "snat", "dnat"};

std::span<const std::string_view> flag_names(FieldFormat format) {
  if (format == FieldFormat::kTcpFlags) return kTcpFlagNames;
  return kCtStateNames;
}

class ValueParser {
 public:
  ValueParser(const OfFieldInfo& field, std::string_view name, std::string_view text,
              const PortNameResolver& ports)
      : field_(field), layout_(field_internal::field_layout(field)), name_(name), text_(text),
        ports_(ports) {
    out_.field = &field;
  }

  Result<FieldValue> parse() {
    if (text_.empty()) return fail("missing value");
    ValueText parts = split_mask(text_);
    if (parts.mask && !field_.maskable)
      return fail("a mask is not allowed (" + std::string(name_) + " is not maskable) in " +
                  quoted(text_));
    Status s = Ok{};
    switch (field_.format) {
      case FieldFormat::kDecimal:
      case FieldFormat::kHex: s = parse_integer(parts); break;
      case FieldFormat::kEthAddr: s = parse_eth(parts); break;
      case FieldFormat::kIpv4: s = parse_ipv4(parts); break;
      case FieldFormat::kIpv6: s = parse_ipv6(parts); break;
      case FieldFormat::kPort: s = parse_port(); break;
      case FieldFormat::kFrag: s = parse_frag(parts); break;
      case FieldFormat::kTcpFlags:
      case FieldFormat::kCtState: s = parse_flags(parts); break;
      case FieldFormat::kPacketType: s = parse_packet_type(); break;
    }
    if (!s.ok()) return Error{s.error()};
    for (unsigned i = 0; i < field_.bytes; ++i) out_.value[i] &= out_.mask[i];
    return out_;
  }

 private:
  Error fail(const std::string& what) const {
    return make_error(std::string(name_) + ": " + what);
  }

  void store(U128 value, U128 mask) {
    store_number(out_.value, field_.bytes, layout_.order, value & mask);
    store_number(out_.mask, field_.bytes, layout_.order, mask);
  }

  // "(namespace,type)": (0,0) is Ethernet, (1,ETHERTYPE) a packet without L2.
  Status parse_packet_type() {
    if (text_.size() < 5 || text_.front() != '(' || text_.back() != ')')
      return fail("expected (namespace,type), e.g. (0,0) or (1,0x800), in " + quoted(text_));
    std::string_view inner = text_.substr(1, text_.size() - 2);
    size_t comma = inner.find(',');
    if (comma == std::string_view::npos)
      return fail("expected (namespace,type) in " + quoted(text_));
    std::optional<U128> ns = parse_number(inner.substr(0, comma));
    std::optional<U128> type = parse_number(inner.substr(comma + 1));
    if (!ns || *ns > 0xffff || !type || *type > 0xffff)
      return fail("namespace and type must be numbers of 16 bits in " + quoted(text_));
    store((*ns << 16) | *type, low_bits(32));
    return Ok{};
  }

  std::string range_text(U128 max) const {
    bool hex = field_.format == FieldFormat::kHex;
    return "(0-" + (hex ? to_hex(max) : to_decimal(max)) + ")";
  }

  // A number within the field's value width.
  Result<U128> number(std::string_view s, std::string_view what) const {
    std::optional<U128> v = parse_number(s);
    if (!v) return fail(quoted(s) + " is not a valid " + std::string(what));
    U128 max = low_bits(layout_.value_bits);
    if (layout_.rule == ValueRule::kInPlace) {
      max = field_internal::field_storage_bits(layout_);
      if (*v > low_bits(field_.bytes * 8u))
        return make_error(std::string(name_) + " " + std::string(s) + " is out of range " +
                          range_text(low_bits(field_.bytes * 8u)));
      if (*v & ~max)
        return make_error(std::string(name_) + " " + std::string(s) + " sets bits outside " +
                          to_hex(max) + " (the low bits belong to another field)");
      return *v;
    }
    if (*v > max) {
      std::string msg = std::string(name_) + " " + std::string(s) + " is out of range " +
                        range_text(max);
      if (layout_.rule == ValueRule::kDlVlan && what == "value") {
        if (*v == kNoVlan) return *v;
        msg.insert(msg.size() - 1, ", or 0xffff for no VLAN tag");
      }
      return make_error(msg);
    }
    return *v;
  }

  Status parse_integer(const ValueText& parts) {
    Result<U128> v = number(parts.value, "value");
    if (!v.ok()) return Error{v.error()};
    U128 field_bits = field_internal::field_storage_bits(layout_);
    switch (layout_.rule) {
      case ValueRule::kDlVlan:
        // "No tag" matches the whole TCI as zero, as Open vSwitch does.
        if (*v == kNoVlan) store(0, 0xffff);
        else store(kVlanPresent | *v, kVlanPresent | field_bits);
        return Ok{};
      case ValueRule::kVlanPcp:
        store(kVlanPresent | (*v << layout_.shift), kVlanPresent | kVlanPcpBits);
        return Ok{};
      case ValueRule::kInPlace:
        store(*v, field_bits);
        return Ok{};
      case ValueRule::kPlain: break;
    }
    U128 mask = low_bits(layout_.value_bits);
    if (parts.mask) {
      Result<U128> m = number(*parts.mask, "mask");
      if (!m.ok()) return Error{m.error()};
      mask = *m;
    }
    store(*v << layout_.shift, mask << layout_.shift);
    return Ok{};
  }

  Status parse_eth(const ValueText& parts) {
    uint8_t value[6], mask[6];
    if (!eth_from_text(parts.value, value))
      return fail(quoted(parts.value) + " is not a valid Ethernet address");
    std::memset(mask, 0xff, 6);
    if (parts.mask && !eth_from_text(*parts.mask, mask))
      return fail(quoted(*parts.mask) + " is not a valid Ethernet address mask");
    std::memcpy(out_.value, value, 6);
    std::memcpy(out_.mask, mask, 6);
    return Ok{};
  }

  static bool eth_from_text(std::string_view s, uint8_t out[6]) {
    size_t p = 0;
    for (int i = 0; i < 6; ++i) {
      if (i > 0) {
        if (p >= s.size() || s[p] != ':') return false;
        ++p;
      }
      unsigned v = 0, digits = 0;
      while (p < s.size() && digits < 2 && std::isxdigit(static_cast<unsigned char>(s[p]))) {
        char c = static_cast<char>(std::tolower(static_cast<unsigned char>(s[p])));
        v = v * 16 + static_cast<unsigned>(c <= '9' ? c - '0' : c - 'a' + 10);
        ++p, ++digits;
      }
      if (digits == 0) return false;
      out[i] = static_cast<uint8_t>(v);
    }
    return p == s.size();
  }

  // An address with an optional "/prefix" or "/address-mask".
  template <size_t N>
  Status parse_ip(const ValueText& parts, int family, std::string_view kind) {
    uint8_t value[N], mask[N];
    if (!ip_from_text(parts.value, family, value))
      return fail(quoted(parts.value) + " is not a valid " + std::string(kind) + " address");
    std::memset(mask, 0xff, N);
    if (parts.mask) {
      std::string_view m = *parts.mask;
      if (!m.empty() && m.find_first_not_of("0123456789") == std::string_view::npos) {
        std::optional<U128> prefix = m.size() <= 3 ? parse_number(m) : std::nullopt;
        if (!prefix || *prefix > N * 8)
          return fail("prefix length " + quoted(m) + " is out of range (0-" +
                      std::to_string(N * 8) + ")");
        for (size_t i = 0; i < N; ++i) {
          int bits = static_cast<int>(*prefix) - static_cast<int>(i * 8);
          mask[i] = bits >= 8 ? 0xff : bits <= 0 ? 0 : static_cast<uint8_t>(0xff << (8 - bits));
        }
      } else if (!ip_from_text(m, family, mask)) {
        return fail(quoted(m) + " is not a valid " + std::string(kind) +
                    " prefix length or mask");
      }
    }
    std::memcpy(out_.value, value, N);
    std::memcpy(out_.mask, mask, N);
    return Ok{};
  }

  static bool ip_from_text(std::string_view s, int family, uint8_t* out) {
    char buf[64];
    if (s.empty() || s.size() >= sizeof buf) return false;
    std::memcpy(buf, s.data(), s.size());
    buf[s.size()] = '\0';
    return inet_pton(family, buf, out) == 1;
  }

  Status parse_ipv4(const ValueText& parts) { return parse_ip<4>(parts, AF_INET, "IPv4"); }
  Status parse_ipv6(const ValueText& parts) { return parse_ip<16>(parts, AF_INET6, "IPv6"); }

  // A port number, LOCAL, or a bridge port's name; stored in datapath
  // numbering (LOCAL is 0).
  Status parse_port() {
    uint32_t of_port;
    if (std::optional<U128> n = parse_number(text_)) {
      if (*n == 0) return fail("0 is not a valid port number");
      if (*n > 0xffffffff)
        return fail(quoted(text_) + " is out of range (1-" + std::to_string(kOfppMax) +
                    " or LOCAL)");
      of_port = static_cast<uint32_t>(*n);
      // OpenFlow 1.0's 16-bit reserved numbers (0xff00-0xffff) name the
      // same ports as OpenFlow 1.1's 32-bit ones.
      if (of_port >= 0xff00 && of_port <= 0xffff) of_port |= 0xffff0000;
    } else if (equals_ignore_case(text_, "LOCAL")) {
      of_port = kOfppLocal;
    } else {
      std::optional<uint32_t> named = ports_ ? ports_(text_) : std::nullopt;
      if (!named)
        return fail(ports_ ? "unknown port " + quoted(text_)
                           : quoted(text_) + " is not a port number (no port names are known)");
      of_port = *named;
    }
    if (of_port > kOfppMax && of_port != kOfppLocal)
      return fail(quoted(text_) + " is a reserved port that no packet arrives on");
    uint32_t dp_port = of_port_to_dp(of_port);
    store(dp_port, 0xffffffff);
    return Ok{};
  }

  static bool equals_ignore_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (std::toupper(static_cast<unsigned char>(a[i])) != b[i]) return false;
    return true;
  }

  Status parse_frag(const ValueText& parts) {
    if (!parts.mask) {
      for (const auto& f : kFragNames) {
        if (text_ == f.name) {
          store(f.value, f.mask);
          return Ok{};
        }
      }
      if (!parse_number(text_))
        return fail(quoted(text_) + " is not a fragment kind (no, yes, first, later, not_later)");
    }
    return parse_integer(parts);
  }

  // "+a-b" (these bits set / clear, others wildcarded), "a|b" (exactly these
  // set), or numbers "0x12" / "0x12/0x3f".
  Status parse_flags(const ValueText& parts) {
    const U128 valid = low_bits(layout_.value_bits);
    U128 value = 0, mask = valid;
    if (parts.value.empty() || std::isdigit(static_cast<unsigned char>(parts.value[0]))) {
      std::optional<U128> v = parse_number(parts.value);
      if (!v) return fail(quoted(parts.value) + " is not a valid value");
      value = *v;
      if (parts.mask) {
        std::optional<U128> m = parse_number(*parts.mask);
        if (!m) return fail(quoted(*parts.mask) + " is not a valid mask");
        mask = *m;
      }
      if ((value | mask) & ~valid)
        return fail(quoted(text_) + " sets bits outside the flags (" + to_hex(valid) + ")");
    } else if (parts.mask) {
      return fail("flag names take no mask in " + quoted(text_));
    } else if (text_[0] == '+' || text_[0] == '-') {
      mask = 0;
      size_t p = 0;
      while (p < text_.size()) {
        bool set = text_[p] == '+';
        if (text_[p] != '+' && text_[p] != '-')
          return fail("each flag must be preceded by '+' (set) or '-' (not set) in " +
                      quoted(text_));
        size_t end = text_.find_first_of("+-", p + 1);
        std::string_view name = text_.substr(p + 1, end == std::string_view::npos
                                                        ? std::string_view::npos
                                                        : end - p - 1);
        std::optional<U128> bit = flag_bit(name);
        if (!bit) return fail("unknown flag " + quoted(name) + " in " + quoted(text_));
        if (mask & *bit) return fail("flag " + quoted(name) + " given twice in " + quoted(text_));
        mask |= *bit;
        if (set) value |= *bit;
        p = end == std::string_view::npos ? text_.size() : end;
      }
    } else {
      size_t p = 0;
      while (p <= text_.size()) {
        size_t end = text_.find('|', p);
        std::string_view name = text_.substr(p, end == std::string_view::npos
                                                    ? std::string_view::npos
                                                    : end - p);
        std::optional<U128> bit = flag_bit(name);
        if (!bit) return fail("unknown flag " + quoted(name) + " in " + quoted(text_));
        value |= *bit;
        if (end == std::string_view::npos) break;
        p = end + 1;
      }
    }
    store(value, mask);
    return Ok{};
  }

  std::optional<U128> flag_bit(std::string_view name) const {
    auto names = flag_names(field_.format);
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == name) return U128{1} << i;
    return std::nullopt;
  }

  const OfFieldInfo& field_;
  const FieldLayout& layout_;
  std::string_view name_;
  std::string_view text_;
  const PortNameResolver& ports_;
  FieldValue out_;
};


// ---- Formatting.

std::string format_flags(FieldFormat format, U128 value, U128 mask, U128 valid) {
  auto names = flag_names(format);
  std::string out;
  if (mask == valid) {
    if (value == 0) return "0";
    for (size_t i = 0; i < names.size(); ++i) {
      if (value & (U128{1} << i)) {
        if (!out.empty()) out += '|';
        out += names[i];
      }
    }
    return out;
  }
  if (mask == 0) return "0/0";
  for (size_t i = 0; i < names.size(); ++i) {
    U128 bit = U128{1} << i;
    if (mask & bit) {
      out += (value & bit) ? '+' : '-';
      out += names[i];
    }
  }
  return out;
}

std::string format_eth(const uint8_t* a) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3], a[4],
                a[5]);
  return buf;
}

// Length of the mask's prefix when it is a CIDR mask, else -1.
int prefix_length(const uint8_t* mask, size_t n) {
  int len = 0;
  size_t i = 0;
  for (; i < n && mask[i] == 0xff; ++i) len += 8;
  if (i < n) {
    uint8_t b = mask[i];
    while (b & 0x80) {
      ++len;
      b = static_cast<uint8_t>(b << 1);
    }
    if (b != 0) return -1;
    for (++i; i < n; ++i)
      if (mask[i] != 0) return -1;
  }
  return len;
}

std::string format_ip(const uint8_t* value, const uint8_t* mask, size_t n) {
  int family = n == 4 ? AF_INET : AF_INET6;
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(family, value, buf, sizeof buf);
  std::string out = buf;
  int prefix = prefix_length(mask, n);
  if (prefix == static_cast<int>(n * 8)) return out;
  if (prefix >= 0) return out + "/" + std::to_string(prefix);
  inet_ntop(family, mask, buf, sizeof buf);
  return out + "/" + buf;
}

std::string format_integer(const OfFieldInfo& field, const FieldLayout& l, U128 sv, U128 sm) {
  U128 bits = field_internal::field_storage_bits(l);
  bool hex = field.format == FieldFormat::kHex;
  auto number = [&](U128 v) { return hex ? to_hex_field(v, l) : to_decimal(v); };
  switch (l.rule) {
    case ValueRule::kDlVlan:
      if ((sm & kVlanPresent) && !(sv & kVlanPresent)) return "0xffff";
      return to_decimal(sv & bits);
    case ValueRule::kVlanPcp:
      return to_decimal((sv & bits) >> l.shift);
    case ValueRule::kInPlace:
      return to_decimal(sv & bits);
    case ValueRule::kPlain: break;
  }
  U128 v = (sv & bits) >> l.shift, m = (sm & bits) >> l.shift;
  if (m == low_bits(l.value_bits)) return number(v);
  // A masked value prints in hexadecimal whatever the field's format.
  if (hex) return to_hex_field(v, l) + "/" + to_hex_field(m, l);
  return to_hex(v) + "/" + to_hex(m);
}

}  // namespace

namespace field_internal {

Result<FieldValue> parse_field_value_as(const OfFieldInfo& field, std::string_view user_name,
                                        std::string_view text, const PortNameResolver& ports) {
  return ValueParser(field, user_name, text, ports).parse();
}

}  // namespace field_internal

Result<FieldValue> parse_field_value(const OfFieldInfo& field, std::string_view text,
                                     const PortNameResolver& ports) {
  return ValueParser(field, field.name, text, ports).parse();
}

std::string format_field_value(const FieldValue& fv) {
  const OfFieldInfo& field = *fv.field;
  const FieldLayout& l = field_internal::field_layout(field);
  U128 sv = load_number(fv.value, field.bytes, l.order);
  U128 sm = load_number(fv.mask, field.bytes, l.order);
  switch (field.format) {
    case FieldFormat::kDecimal:
    case FieldFormat::kHex: return format_integer(field, l, sv, sm);
    case FieldFormat::kEthAddr: {
      std::string out = format_eth(fv.value);
      static constexpr uint8_t kAll[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
      if (std::memcmp(fv.mask, kAll, 6) != 0) out += "/" + format_eth(fv.mask);
      return out;
    }
    case FieldFormat::kIpv4: return format_ip(fv.value, fv.mask, 4);
    case FieldFormat::kIpv6: return format_ip(fv.value, fv.mask, 16);
    case FieldFormat::kPort: {
      uint32_t dp_port = static_cast<uint32_t>(sv);
      return dp_port == 0 ? "LOCAL" : std::to_string(dp_port_to_of(dp_port));
    }
    case FieldFormat::kFrag: {
      U128 m = sm & kFragMask, v = sv & m;
      for (const auto& f : kFragNames)
        if (v == f.value && m == f.mask) return std::string(f.name);
      return to_hex(v) + "/" + to_hex(m);
    }
    case FieldFormat::kTcpFlags:
    case FieldFormat::kCtState: {
      U128 valid = low_bits(l.value_bits);
      return format_flags(field.format, sv & valid, sm & valid, valid);
    }
    case FieldFormat::kPacketType: {
      auto type = static_cast<unsigned>(sv & 0xffff);
      return "(" + std::to_string(static_cast<unsigned>(sv >> 16)) + "," +
             (type ? to_hex(type) : std::string("0")) + ")";
    }
  }
  return "";
}

}  // namespace flowpath::openflow
