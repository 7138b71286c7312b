#include "vport/vport_options.h"

#include <charconv>

namespace flowpath {

std::string describe_port(VportKind kind, std::string_view name) {
  return std::string(to_string(kind)) + " port " + std::string(name);
}

Status check_known_options(VportKind kind, std::string_view name, const VportOptions& options,
                           std::initializer_list<std::string_view> accepted) {
  for (const auto& [key, value] : options) {
    bool known = false;
    for (std::string_view candidate : accepted) known = known || candidate == key;
    if (!known) {
      std::string message = describe_port(kind, name) + ": unknown option '" + key + "'";
      if (accepted.size() == 0) {
        message += " (it takes no options)";
      } else {
        message += " (known:";
        for (std::string_view candidate : accepted) message += " " + std::string(candidate);
        message += ")";
      }
      return make_error(message);
    }
  }
  return Ok{};
}

Result<uint64_t> integer_option(VportKind kind, std::string_view name, const VportOptions& options,
                                std::string_view key, uint64_t min, uint64_t max,
                                uint64_t fallback) {
  auto it = options.find(key);
  if (it == options.end()) return fallback;
  const std::string& text = it->second;
  uint64_t value = 0;
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || err != std::errc() || end != text.data() + text.size() || value < min ||
      value > max) {
    return make_error(describe_port(kind, name) + ": option " + std::string(key) + "=" + text +
                      " is not an integer in " + std::to_string(min) + ".." +
                      std::to_string(max));
  }
  return value;
}

Result<uint32_t> mtu_option(VportKind kind, std::string_view name, const VportOptions& options) {
  Result<uint64_t> mtu = integer_option(kind, name, options, "mtu", kMinMtu, kMaxMtu, 0);
  if (!mtu) return make_error(mtu.error());
  return static_cast<uint32_t>(*mtu);
}

std::string string_option(const VportOptions& options, std::string_view key) {
  auto it = options.find(key);
  return it == options.end() ? std::string() : it->second;
}

Result<bool> on_off_option(VportKind kind, std::string_view name, const VportOptions& options,
                           std::string_view key, bool fallback) {
  auto it = options.find(key);
  if (it == options.end()) return fallback;
  if (it->second != "on" && it->second != "off") {
    return make_error(describe_port(kind, name) + ": option " + std::string(key) + "=" +
                      it->second + " is not one of on, off");
  }
  return it->second == "on";
}

}  // namespace flowpath
