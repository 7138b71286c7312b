#include "control/vlog_rpc.h"

#include "common/log_modules.h"
#include "common/log_setting.h"

namespace flowpath::control {

namespace {

Json levels_json() {
  Json modules = Json::array();
  for (size_t m = 0; m < kLogModules; ++m) {
    auto module = static_cast<LogModule>(m);
    Json entry{{"module", std::string(to_string(module))}};
    for (size_t d = 0; d < kLogDestinations; ++d) {
      auto destination = static_cast<LogDestination>(d);
      entry[std::string(to_string(destination))] = std::string(to_string(log_level(module, destination)));
    }
    modules.push_back(std::move(entry));
  }
  return modules;
}

// Why a destination the setting names writes nowhere, or "".
std::string closed_destination_note(const LogSetting& setting) {
  auto note = [](LogDestination d) -> std::string {
    if (log_destination_open(d)) return "";
    switch (d) {
      case LogDestination::kFile:
        return "flowpathd writes no log file (it was started without --log-file): the file "
               "levels are kept but nothing is written";
      case LogDestination::kSyslog:
        return "flowpathd does not log to syslog (it was started without --syslog): the "
               "syslog levels are kept but nothing is sent";
      case LogDestination::kConsole:
        return "flowpathd's console is closed (--detach): the console levels are kept but "
               "nothing is printed";
    }
    return "";
  };
  return setting.destination ? note(*setting.destination) : "";
}

}  // namespace

void add_vlog_methods(JsonRpcDispatcher& d) {
  d.add("vlog.list", [](const Json&) -> Result<Json> {
    return Json{{"text", format_log_levels()}, {"modules", levels_json()}};
  });

  d.add("vlog.set", [](const Json& p) -> Result<Json> {
    if (!p.is_object() || !p.contains("settings") || !p["settings"].is_array() ||
        p["settings"].empty()) {
      return invalid_params("params.settings: expected a non-empty array of strings");
    }
    std::vector<std::string> texts;
    for (const Json& s : p["settings"]) {
      if (!s.is_string()) return invalid_params("params.settings: expected a non-empty array of strings");
      texts.push_back(s.get<std::string>());
    }
    auto settings = parse_log_settings(texts);
    if (!settings.ok()) return invalid_params(settings.error());
    Json notes = Json::array();
    for (const LogSetting& setting : *settings) {
      apply_log_setting(setting);
      if (std::string note = closed_destination_note(setting); !note.empty()) notes.push_back(note);
    }
    return Json{{"notes", notes}};
  });
}

}  // namespace flowpath::control
