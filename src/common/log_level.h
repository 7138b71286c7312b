// Log levels by Open vSwitch's names (off, emer, err, warn, info, dbg), the
// words `fpctl vlog/set` and `flowpathd --verbose` take, and how each maps
// onto spdlog's levels, which carry the messages.
//
// A level set for a module and a destination is a threshold: that
// destination shows the module's messages of that level and every more
// severe one; off shows none.
#pragma once

#include <spdlog/common.h>

#include <array>
#include <optional>
#include <string_view>

namespace flowpath {

enum class LogLevel : uint8_t { kOff, kEmer, kErr, kWarn, kInfo, kDbg };

inline constexpr std::array<LogLevel, 6> kLogLevels = {LogLevel::kOff,  LogLevel::kEmer,
                                                       LogLevel::kErr,  LogLevel::kWarn,
                                                       LogLevel::kInfo, LogLevel::kDbg};

// "off", "emer", ...: the name fpctl vlog/list prints in capitals.
std::string_view to_string(LogLevel level);

// A level by its name, in any case (Open vSwitch's vlog accepts "DBG" and
// "dbg"); nullopt for any other word.
std::optional<LogLevel> parse_log_level(std::string_view word);

// "off, emer, err, warn, info, dbg": for messages that list the choices.
std::string_view log_level_names();

// The spdlog threshold that shows exactly the messages `level` admits: dbg
// admits spdlog's debug and trace, emer its critical, off nothing.
spdlog::level::level_enum threshold(LogLevel level);

// The level a message logged at spdlog level `level` has (trace and debug
// are dbg, critical is emer).
LogLevel level_of_message(spdlog::level::level_enum level);

}  // namespace flowpath
