// One log setting as `fpctl vlog/set` and `flowpathd --verbose` take it, in
// Open vSwitch's vlog syntax: up to three words separated by ':' (or ',',
// spaces, tabs), in any order, each a module, a destination or a level:
//
//   datapath:dbg          the datapath module, every destination, dbg
//   vport:file:warn       the vport module's file destination only
//   console:off           every module's console
//   ANY:syslog:err        ANY stands for every module or destination
//   datapath              a module alone is dbg everywhere, as in vlog
//
// A word that is none of these, or a second module, destination or level,
// refuses the whole setting; PATTERN and FACILITY settings are refused (the
// patterns and the syslog facility are fixed).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/log_level.h"
#include "common/log_modules.h"
#include "common/result.h"

namespace flowpath {

struct LogSetting {
  std::optional<LogModule> module;            // nullopt: every module
  std::optional<LogDestination> destination;  // nullopt: every destination
  LogLevel level = LogLevel::kDbg;
};

Result<LogSetting> parse_log_setting(std::string_view text);

// Every setting parsed, or the first error (naming the setting) and none.
Result<std::vector<LogSetting>> parse_log_settings(const std::vector<std::string>& texts);

void apply_log_setting(const LogSetting& setting);

}  // namespace flowpath
