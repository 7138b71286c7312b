// Internals shared by the files that implement odp_action_text.h: small
// lexing and printing helpers, and the parsers/formatters of the actions that
// live in their own files (ct, tnl_push). Not an API for other components.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/netlink.h"
#include "odp/odp_key_text.h"
#include "odp/text_scanner.h"

namespace flowpath::action_text {

// printf-style append.
void appendf(std::string& out, const char* format, ...) __attribute__((format(printf, 2, 3)));

// Bytes as contiguous lower-case hex ("0a0b0c"), every byte printed.
void append_hex_bytes(std::string& out, std::span<const uint8_t> bytes);
// A big-endian number as Open vSwitch prints one: "0x" and the hex digits
// without leading zeros, or "0" when all bytes are zero.
void append_hex_number(std::string& out, std::span<const uint8_t> bytes);

// A decimal or 0x-hex number no larger than `max`. `what` names the field in
// errors ("push_vlan: vid 4096 is out of range (maximum 4095)").
Result<uint64_t> parse_uint(TextScanner& in, uint64_t max, std::string_view what);
// A hex number: "0x" prefix required unless `prefix_optional`.
Result<uint64_t> parse_hex(TextScanner& in, uint64_t max, std::string_view what,
                           bool prefix_optional = false);
// A big-endian number of out.size() bytes: 0x-hex of any digit count
// (right-aligned) or a decimal that fits in 64 bits. Open vSwitch's form for
// ct labels and Geneve option data.
Status parse_be_number(TextScanner& in, std::span<uint8_t> out, std::string_view what);

// The one attribute in `buffer`, or nullopt when there are none, several, or
// the buffer is malformed.
std::optional<NetlinkAttr> single_attribute(std::span<const uint8_t> buffer);

// Consumes `literal` or fails with "<what>: expected '<literal>'".
Status expect(TextScanner& in, std::string_view literal, std::string_view what);
// Consumes `word` when it is not followed by more identifier characters.
bool accept_word(TextScanner& in, std::string_view word);
bool is_identifier_char(char c);

// Conntrack: the scanner is just past "ct"; parses the optional "(...)".
Status parse_ct(TextScanner& in, NetlinkWriter& out);
void format_ct(std::span<const uint8_t> payload, std::string& out);

// userspace: the scanner is just past "userspace(". The userdata prints in
// its named form (sFlow(...), slow_path(...), ...) when it is an Open vSwitch
// cookie, else as ",userdata(HEX)"; appends with the leading comma.
Status parse_userspace(TextScanner& in, NetlinkWriter& out);
void format_userspace_userdata(std::span<const uint8_t> userdata, std::string& out,
                               const PortNumberNames* names);

// A port by name when `names` (may be null) has it, else by number.
void append_port(std::string& out, uint32_t port, const PortNumberNames* names);

// tnl_push: the scanner is just past "tnl_push(".
Status parse_tunnel_push(TextScanner& in, NetlinkWriter& out);
void format_tunnel_push(std::span<const uint8_t> payload, std::string& out,
                        const PortNumberNames* names);

}  // namespace flowpath::action_text
