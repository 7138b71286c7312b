// Internals shared by the files that implement odp_key_text.h:
//   odp_key_text.cc    attribute lists, dispatch, names and lengths
//   odp_key_parse.cc   value lexers and the parsers of plain attributes
//   odp_key_format.cc  number/address printers and plain attribute formatters
//   odp_tunnel_text.cc tunnel(...) in both directions
// Not part of the public API.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/netlink.h"
#include "flow/odp_abi.h"
#include "odp/odp_key_text.h"
#include "odp/text_scanner.h"

namespace flowpath::odp_text {

// ---------------------------------------------------------------------------
// Attribute tables

// Open vSwitch 3.1 knows key attributes up to tunnel_info (31); anything
// above (e.g. the kernel's ipv6_exthdrs) is printed generically, as OVS does.
inline constexpr uint16_t kOvsKeyAttrMax = odp::kKeyTunnelInfo;

// Payload length OVS expects for a key attribute: >= 0 exact, kVariable or
// kNested; std::nullopt when the type is unknown (no length check).
std::optional<int> expected_key_length(uint16_t type);
// "eth", "ipv4", ..., "key40" for unknown types.
std::string key_attr_name(uint16_t type);

// True when every bit of `mask` that OVS considers for `type` equals
// `all_ones` (so the attribute is exact) or is zero (wildcarded). Unknown and
// nested-list types are never constant, as in OVS.
bool mask_is_constant(uint16_t type, std::span<const uint8_t> mask, bool all_ones);

// Walks a buffer of attributes the way OVS's formatter does: stops at the
// first header that does not fit. Returns the number of bytes not walked.
template <typename F>
size_t walk_attributes(std::span<const uint8_t> buffer, F&& f) {
  size_t off = 0;
  while (buffer.size() - off >= kNlaHeaderLen) {
    uint16_t len, type;
    std::memcpy(&len, buffer.data() + off, 2);
    std::memcpy(&type, buffer.data() + off + 2, 2);
    if (len < kNlaHeaderLen || len > buffer.size() - off) break;
    f(NetlinkAttr{static_cast<uint16_t>(type & kNlaTypeMask),
                  buffer.subspan(off + kNlaHeaderLen, len - kNlaHeaderLen)});
    off = std::min(buffer.size(), off + nla_align(len));
  }
  return buffer.size() - off;
}
// First attribute of `type` in `buffer`, if any.
std::optional<NetlinkAttr> find_attribute(std::span<const uint8_t> buffer, uint16_t type);

// Attributes that are one fixed struct of fields (eth, ipv4, tcp, arp, ...)
// are parsed and printed from one table, so both directions agree on names,
// offsets and number styles.
enum class FieldKind : uint8_t {
  kU8Dec,      // "proto=6"
  kU8Hex,      // "tos=0x80" ("tos=0" for zero)
  kBe16Dec,    // "src=80"
  kBe16Hex,    // "id=0x800"
  kBe32Hex,    // "nd_reserved=0x0": OVS always prints it, unmasked
  kIpv4,       // "src=10.0.0.1"
  kIpv6,       // "src=::1"
  kEth,        // "src=00:01:02:03:04:05"
  kFrag,       // "frag=no|first|later", never masked
  kIpv6Label,  // "label=0x12345", 20 bits
};
struct FieldSpec {
  std::string_view name;
  uint8_t offset;
  FieldKind kind;
  std::string_view alias = {};  // another name the parser accepts
};
struct StructSpec {
  uint16_t type;
  uint8_t size;
  std::span<const FieldSpec> fields;  // in printing order
};
// The table of a struct attribute, or null.
const StructSpec* find_struct_spec(uint16_t type);

// ---------------------------------------------------------------------------
// Parsing

// Writes each key attribute and, when wanted, its mask twin.
class KeyMaskWriter {
 public:
  KeyMaskWriter(NetlinkWriter& key, NetlinkWriter* mask) : key_(key), mask_(mask) {}

  bool has_mask() const { return mask_ != nullptr; }
  // For lists whose key and mask attributes differ (tunnel flags, NSH).
  NetlinkWriter& key() { return key_; }
  NetlinkWriter* mask() { return mask_; }
  void put(uint16_t type, const void* key, const void* mask, size_t len) {
    key_.put(type, key, len);
    if (mask_) mask_->put(type, mask, len);
  }
  struct Nest {
    size_t key, mask;
  };
  Nest begin_nested(uint16_t type) {
    return {key_.begin_nested(type), mask_ ? mask_->begin_nested(type) : 0};
  }
  void end_nested(Nest n) {
    key_.end_nested(n.key);
    if (mask_) mask_->end_nested(n.mask);
  }
  // The writers are usable only while their attributes still fit a u16.
  bool ok() const { return key_.ok() && (!mask_ || mask_->ok()); }

 private:
  NetlinkWriter& key_;
  NetlinkWriter* mask_;
};

struct ParseState {
  TextScanner& in;
  bool masks_allowed;  // false when the caller asked for no mask
  int depth = 0;       // encap(...) nesting
  const PortNameResolver* ports = nullptr;  // for in_port(NAME); may be null
};

// Deepest encap(...) nesting accepted (the limit of OVS's parser).
inline constexpr int kMaxNesting = 32;

// Parses one key attribute at the scanner ("name(...)"). Returns its type.
Result<uint16_t> parse_one_attribute(ParseState& st, KeyMaskWriter& out);

// Field lists "name=value,name=value)" after an opening '(' (consumed by the
// caller). `item(name, name_pos)` parses what follows the name. A trailing
// comma before ')' is accepted, as in OVS.
template <typename F>
Status parse_items(ParseState& st, std::string_view context, F&& item) {
  TextScanner& in = st.in;
  in.skip_spaces();
  if (in.accept(')')) return Ok{};
  for (;;) {
    in.skip_spaces();
    size_t start = in.pos();
    std::string_view name = in.identifier();
    if (name.empty()) {
      if (in.at_end()) return in.error("missing ')' to close '" + std::string(context) + "('");
      return in.error("expected a field name in " + std::string(context) + "(...)");
    }
    if (auto st2 = item(name, start); !st2.ok()) return st2;
    if (in.accept(',')) {
      if (in.accept(')')) return Ok{};
      continue;
    }
    if (in.accept(')')) return Ok{};
    if (in.at_end()) return in.error("missing ')' to close '" + std::string(context) + "('");
    return in.error("expected ',' or ')' after '" + std::string(name) + "' in " +
                    std::string(context) + "(...)");
  }
}

// Errors for parse_items callbacks.
Error unknown_field(const ParseState& st, size_t pos, std::string_view name,
                    std::string_view context);
Error duplicate_field(const ParseState& st, size_t pos, std::string_view name,
                      std::string_view context);
// Consumes '=' after a field name or explains that it is missing.
Status expect_equals(ParseState& st, std::string_view name);

// "value[/mask]" for an unsigned number of at most `max` (a mask defaults to
// `max`, i.e. all ones for the field's width).
Status parse_masked_number(ParseState& st, std::string_view field, uint64_t max, uint64_t& value,
                           uint64_t& mask);
// A plain number of at most `max`; `what` names it in errors.
Result<uint64_t> parse_number(TextScanner& in, std::string_view what, uint64_t max);
// "/mask" is next: fails when masks are not allowed here.
Result<bool> mask_follows(ParseState& st, std::string_view field);
// Address fields with optional masks; outputs are in network order.
Status parse_masked_ipv4(ParseState& st, std::string_view field, uint8_t* key, uint8_t* mask);
Status parse_masked_ipv6(ParseState& st, std::string_view field, uint8_t* key, uint8_t* mask);
Status parse_masked_eth(ParseState& st, std::string_view field, uint8_t* key, uint8_t* mask);
// A big-endian integer of `width` bytes: "0x" and any number of hex digits
// (right-aligned), or a decimal number. OVS's parse_int_string.
Status parse_wide_integer(ParseState& st, std::string_view what, uint8_t* out, size_t width);

// Flag sets ("syn|ack", "+syn-ack", "0x12/0x3f").
struct FlagName {
  uint32_t bit;
  std::string_view name;
};
struct FlagSet {
  std::string_view attr;  // for messages: "tcp_flags"
  std::span<const FlagName> names;
  uint32_t allowed;
};
// Parses flags up to (not including) ')'. Unmasked syntax yields mask
// 0xffffffff. An empty list is an error unless `allow_empty`.
Status parse_flags(ParseState& st, const FlagSet& set, bool allow_empty, uint32_t& value,
                   uint32_t& mask);
extern const FlagSet kTcpFlagSet;
extern const FlagSet kCtStateFlagSet;
extern const FlagSet kTunnelFlagSet;

// An attribute list up to the end of input or, when `nested`, up to and
// including the ')' that closes encap(.
Status parse_attribute_list(ParseState& st, KeyMaskWriter& out, bool nested);

// tunnel(...), positioned after "tunnel("; consumes the closing ')'.
Status parse_tunnel(ParseState& st, KeyMaskWriter& out);

// ---------------------------------------------------------------------------
// Formatting

void put_dec(std::string& out, uint64_t v);
void put_0x(std::string& out, uint64_t v);       // "0x%x"
void put_alt_hex(std::string& out, uint64_t v);  // "%#x": "0" for zero
void put_0x04(std::string& out, uint16_t v);     // "0x%04x"
void put_eth(std::string& out, const uint8_t* mac);
void put_ipv4(std::string& out, const uint8_t* ip);
void put_ipv6(std::string& out, const uint8_t* ip);
// OVS's ds_put_hex: "0x" + big-endian digits without leading zeros, or "0".
void put_trimmed_hex(std::string& out, std::span<const uint8_t> bytes);
// "01 02 03": how OVS shows bytes it cannot interpret.
void put_byte_list(std::string& out, std::span<const uint8_t> bytes);
void chomp(std::string& out, char c);

// "name=value[/mask]," fields, omitted when the mask is present and zero
// (unless verbose); the mask is shown only when partial.
void format_u8(std::string& out, std::string_view name, uint8_t v, const uint8_t* m, bool verbose,
               bool hex);
void format_u16(std::string& out, std::string_view name, uint16_t v, const uint16_t* m,
                bool verbose, bool hex);
void format_ipv4_field(std::string& out, std::string_view name, const uint8_t* v,
                       const uint8_t* m, bool verbose);
void format_ipv6_field(std::string& out, std::string_view name, const uint8_t* v,
                       const uint8_t* m, bool verbose);

// Formats the flags as OVS does: "a|b" when exact, "+a-b" when masked.
void format_flags(std::string& out, std::span<const FlagName> names, uint32_t value);
void format_flags_masked(std::string& out, std::span<const FlagName> names, uint32_t value,
                         uint32_t mask, uint32_t max_mask);

// OVS's length check of one attribute (key and mask). On a mismatch prints
// the diagnostic (with "key<N>" when `need_key`) and returns false.
bool check_lengths(std::string& out, const NetlinkAttr& key, const NetlinkAttr* mask,
                   std::optional<int> expected, bool need_key);
// "key<N>(hex[/hex])," for an attribute of a nested list that is unknown.
void format_unknown_nested(std::string& out, const NetlinkAttr& key, const NetlinkAttr* mask);

// The body of one attribute after "name(", including the closing ')'
// (which OVS leaves off after its MPLS length diagnostics).
// `depth` counts enclosing encap(...) lists; past kMaxNesting an encap prints
// as raw bytes, so a hostile buffer cannot recurse the stack away.
void format_attribute_body(const NetlinkAttr& key, const NetlinkAttr* mask, bool verbose,
                           std::string& out, int depth = 0);
// The fields of tunnel(...) and nsh(...), without parentheses.
void format_tunnel(const NetlinkAttr& key, const NetlinkAttr* mask, bool verbose, std::string& out);
void format_nsh(const NetlinkAttr& key, const NetlinkAttr* mask, std::string& out);

// A formatted attribute list (used by encap(...) and the top level).
// `mask` null: no mask. Returns false when nothing at all was printed.
// `names` (may be null) prints an exact in_port by name.
bool format_attribute_list(std::span<const uint8_t> key, const std::span<const uint8_t>* mask,
                           bool verbose, std::string& out, int depth = 0,
                           const PortNumberNames* names = nullptr);

}  // namespace flowpath::odp_text
