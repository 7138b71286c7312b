// Internal to ofproto*.cc: the group or meter filter of fpctl's del-groups
// and del-meters.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace flowpath::ofproto {

// The filter of del-groups / del-meters: "" or "KEY=all" (every one) or
// "KEY=N" with 1 <= N <= max (0 allowed when min is 0).
inline Result<std::optional<uint32_t>> parse_id_filter(const std::string& text, std::string_view key,
                                                const char* verb, uint64_t min, uint64_t max) {
  const std::string prefix = std::string(key) + "=";
  if (text.empty() || text == prefix + "all") return std::optional<uint32_t>{};
  if (text.rfind(prefix, 0) != 0)
    return make_error(std::string(verb) + " takes " + prefix + "N or nothing, not \"" + text + "\"");
  std::string_view digits = std::string_view(text).substr(prefix.size());
  uint64_t id = 0;
  bool ok = !digits.empty() && digits.size() <= 10;
  for (char c : digits) {
    ok = ok && c >= '0' && c <= '9';
    id = id * 10 + static_cast<uint64_t>(c - '0');
  }
  if (!ok || id < min || id > max)
    return make_error(fmt::format("bad {} \"{}\" (expected {}..{})", key, digits, min, max));
  return std::optional<uint32_t>{static_cast<uint32_t>(id)};
}

}  // namespace flowpath::ofproto
