// `fpctl vlog/set` settings (what a control client sends): each input is
// one setting's text. Nothing may crash; a setting is refused with a
// message, or accepted and applied, after which every module and
// destination it names holds its level and the others are as they were.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/log_setting.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace flowpath;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto setting = parse_log_setting(text);
  if (!setting.ok()) {
    if (setting.error().empty()) std::abort();
    return 0;
  }
  apply_log_setting(LogSetting{std::nullopt, std::nullopt, LogLevel::kInfo});
  apply_log_setting(*setting);
  for (size_t m = 0; m < kLogModules; ++m) {
    for (size_t d = 0; d < kLogDestinations; ++d) {
      auto module = static_cast<LogModule>(m);
      auto destination = static_cast<LogDestination>(d);
      bool named = (!setting->module || *setting->module == module) &&
                   (!setting->destination || *setting->destination == destination);
      if (log_level(module, destination) != (named ? setting->level : LogLevel::kInfo)) std::abort();
    }
  }
  return 0;
}
