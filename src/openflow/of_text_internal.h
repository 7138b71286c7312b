// Internals shared by the ovs-ofctl text parsers and formatters of actions,
// groups and meters (of_action_text.cc, of_action_format.cc, of_group.cc):
// the key/value list splitter, numbers, port names and NXM bit ranges. Not an
// API for other components.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "openflow/of_action.h"
#include "openflow/of_field.h"

namespace flowpath::openflow::of_text {

// One element of an ovs-ofctl list: "key", "key:value", "key=value" or
// "key(value)".
struct KeyValue {
  std::string_view key;
  std::string_view value;  // empty when none
  char delim = '\0';       // ':', '=', '(' or '\0' for a bare key
  std::string_view whole;  // the element's text, key through value
};

// Splits `text` as ovs-ofctl does: elements are separated by commas or white
// space; a key ends at ':', '=' or '('; a ':'/'=' value runs to the next
// separator that is not inside parentheses; a '(' value runs to its matching
// ')'. Unbalanced parentheses and empty keys are errors.
Result<std::vector<KeyValue>> split_key_values(std::string_view text);

// ASCII case-insensitive equality (ovs-ofctl keywords ignore case).
bool iequals(std::string_view a, std::string_view b);

// A decimal or 0x-hex number that is all of `text`; nullopt when it is not a
// number or does not fit in 64 bits.
std::optional<uint64_t> to_uint(std::string_view text);
// A number in [min, max]. Errors read "<what>: ..." and quote the text.
Result<uint64_t> parse_uint(std::string_view text, uint64_t min, uint64_t max,
                            std::string_view what);

// An OpenFlow port: 1..kOfppMax, a reserved name (IN_PORT, TABLE, NORMAL,
// FLOOD, ALL, CONTROLLER, LOCAL, ANY, NONE; any case) or a bridge port name.
// Callers refuse the reserved ports that make no sense where they are.
Result<uint32_t> parse_port(std::string_view text, const PortNameResolver& ports,
                            std::string_view what);
// The reserved name, else the decimal number.
std::string format_port(uint32_t port);
// The reserved name of a port ("NORMAL"), empty for ordinary ports.
std::string_view reserved_port_name(uint32_t port);

// A field's value as a plain number of up to 128 bits, for load:V->F[a..b].
// Bit i of the number is bit i of the field's value as OpenFlow numbers it
// (bit 0 is the least significant bit of the field's integer value).
struct Bits128 {
  uint64_t hi = 0;
  uint64_t lo = 0;

  bool bit(unsigned i) const { return i < 64 ? (lo >> i) & 1 : (hi >> (i - 64)) & 1; }
  void set_bit(unsigned i) {
    if (i < 64) lo |= 1ull << i;
    else hi |= 1ull << (i - 64);
  }
  bool zero() const { return !hi && !lo; }
  unsigned significant_bits() const;  // 0 for zero
  friend bool operator==(const Bits128&, const Bits128&) = default;
};
// Decimal (64-bit) or 0x-hex (up to 32 digits).
std::optional<Bits128> to_bits128(std::string_view text);
std::string format_hex(const Bits128& value);  // "0x1f", "0x0"

// NXM bits [start, start + n_bits) of a field, as in "reg0[0..15]".
struct BitRange {
  unsigned start = 0;
  unsigned n_bits = 0;
};

// The SetField of load:VALUE->FIELD (whole field when `range` is empty) or
// load:VALUE->FIELD[a..b]. Bit i of VALUE is bit start + i of the field's
// value as field_value_bits() numbers it, so byte order (network for packet
// fields, host for registers and metadata) and shifted sub-byte fields
// (ip_dscp, vlan_pcp, mpls_label) come out right. A whole-field load of a
// numeric field writes what set_field would. `text` is the action's text for
// errors.
Result<FieldValue> load_field_value(const OfFieldInfo& field, const Bits128& value,
                                    std::optional<BitRange> range, std::string_view text);

// The load form of a SetField that the set_field syntax cannot express (a
// partial mask on a field without masks: "load:0x5->nw_ttl[0..3]"); nullopt
// when set_field reads back to the same value.
struct LoadForm {
  Bits128 value;
  BitRange range;
};
std::optional<LoadForm> load_form(const FieldValue& value);

// FIELD[], FIELD[bit] or FIELD[start..end] (bits numbered as NXM does);
// errors start with `what`.
Result<Subfield> parse_subfield(std::string_view text, std::string_view what);

// The extension actions of of_action_text_ext.cc (move, push, pop, exit,
// clone, check_pkt_larger, write_actions, clear_actions, set_queue,
// pop_queue, enqueue, multipath, bundle, bundle_load): appends the action
// and says true, or false when `kv` is none of them.
Result<bool> parse_extension_action(const KeyValue& kv, const PortNameResolver& ports,
                                    std::vector<OfAction>& out);
// output:FIELD[a..b] (an OutputReg appended, true); false when `value` is
// not a subfield.
Result<bool> parse_output_field(std::string_view value, std::vector<OfAction>& out);

// conjunction(ID,K/N) and note:HH... (of_action_conjunction.cc): appends the
// action and says true, or false when `kv` is neither.
Result<bool> parse_conjunction_action(const KeyValue& kv, std::vector<OfAction>& out);

// The rules a whole action list obeys (of_action_verify.cc): conjunction
// only with note, instructions in OpenFlow 1.3's order.
Status verify_action_list(const std::vector<OfAction>& actions);

}  // namespace flowpath::openflow::of_text
