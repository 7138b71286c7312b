#include "common/log_level.h"

#include <strings.h>

namespace flowpath {

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::kOff: return "off";
    case LogLevel::kEmer: return "emer";
    case LogLevel::kErr: return "err";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kInfo: return "info";
    case LogLevel::kDbg: return "dbg";
  }
  return "off";
}

std::optional<LogLevel> parse_log_level(std::string_view word) {
  for (LogLevel level : kLogLevels) {
    std::string_view name = to_string(level);
    if (word.size() == name.size() && strncasecmp(word.data(), name.data(), name.size()) == 0) {
      return level;
    }
  }
  return std::nullopt;
}

std::string_view log_level_names() { return "off, emer, err, warn, info, dbg"; }

spdlog::level::level_enum threshold(LogLevel level) {
  switch (level) {
    case LogLevel::kOff: return spdlog::level::off;
    case LogLevel::kEmer: return spdlog::level::critical;
    case LogLevel::kErr: return spdlog::level::err;
    case LogLevel::kWarn: return spdlog::level::warn;
    case LogLevel::kInfo: return spdlog::level::info;
    case LogLevel::kDbg: return spdlog::level::trace;
  }
  return spdlog::level::off;
}

LogLevel level_of_message(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return LogLevel::kDbg;
    case spdlog::level::info: return LogLevel::kInfo;
    case spdlog::level::warn: return LogLevel::kWarn;
    case spdlog::level::err: return LogLevel::kErr;
    case spdlog::level::critical: return LogLevel::kEmer;
    default: return LogLevel::kOff;
  }
}

}  // namespace flowpath
