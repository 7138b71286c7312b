// Helpers the port types share for checking their key=value options.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "common/result.h"
#include "vport/vport.h"

namespace flowpath {

// "afpacket port eth0" etc.: how error messages name a port.
std::string describe_port(VportKind kind, std::string_view name);

// An error naming the first option not in `accepted`.
Status check_known_options(VportKind kind, std::string_view name, const VportOptions& options,
                           std::initializer_list<std::string_view> accepted);

// The value of option `key` as an integer in [min, max], `fallback` when absent.
Result<uint64_t> integer_option(VportKind kind, std::string_view name, const VportOptions& options,
                                std::string_view key, uint64_t min, uint64_t max,
                                uint64_t fallback);

// Option mtu=N, the device MTU a port sets when it opens (Open vSwitch's
// mtu_request): N in kMinMtu..kMaxMtu, or 0 when absent (the device keeps
// its MTU).
inline constexpr uint32_t kMinMtu = 68;     // IPv4's minimum
inline constexpr uint32_t kMaxMtu = 65535;  // Linux's largest Ethernet MTU
Result<uint32_t> mtu_option(VportKind kind, std::string_view name, const VportOptions& options);

// Option `key`=on|off as a bool, `fallback` when absent.
Result<bool> on_off_option(VportKind kind, std::string_view name, const VportOptions& options,
                           std::string_view key, bool fallback);

// The value of option `key`, or "" when absent.
std::string string_option(const VportOptions& options, std::string_view key);

}  // namespace flowpath
