#include "common/log_setting.h"

#include <strings.h>

namespace flowpath {

namespace {

bool is_word(std::string_view word, std::string_view name) {
  return word.size() == name.size() && strncasecmp(word.data(), name.data(), name.size()) == 0;
}

std::vector<std::string_view> split_words(std::string_view text) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find_first_of(" ,:\t", i);
    if (j == std::string_view::npos) j = text.size();
    if (j > i) words.push_back(text.substr(i, j - i));
    i = j + 1;
  }
  return words;
}

// What a word that is nothing known could have been meant as: the kinds of
// word the setting does not have yet, each with its choices.
std::string unknown_word(std::string_view word, bool have_module, bool have_destination,
                         bool have_level) {
  std::vector<std::string> kinds, choices;
  if (!have_module) {
    kinds.push_back("module");
    choices.push_back("modules: " + log_module_names() + ", ANY");
  }
  if (!have_destination) {
    kinds.push_back("destination");
    choices.push_back("destinations: " + std::string(log_destination_names()) + ", ANY");
  }
  if (!have_level) {
    kinds.push_back("level");
    choices.push_back("levels: " + std::string(log_level_names()));
  }
  std::string text = "\"" + std::string(word) + "\" is no ";
  for (size_t i = 0; i < kinds.size(); ++i) {
    if (i > 0) text += i + 1 == kinds.size() ? " or " : ", ";
    text += kinds[i];
  }
  text += " (";
  for (size_t i = 0; i < choices.size(); ++i) text += (i > 0 ? "; " : "") + choices[i];
  return text + ")";
}

}  // namespace

Result<LogSetting> parse_log_setting(std::string_view text) {
  std::vector<std::string_view> words = split_words(text);
  if (words.empty()) return make_error("empty log setting: give MODULE[:DESTINATION][:LEVEL]");
  if (is_word(words[0], "PATTERN")) {
    return make_error("PATTERN settings are not supported: flowpathd's line format is fixed");
  }
  if (is_word(words[0], "FACILITY")) {
    return make_error("FACILITY settings are not supported: flowpathd logs to syslog as daemon");
  }
  if (words.size() > 3) {
    return make_error("\"" + std::string(text) +
                      "\" has more than three words: give MODULE[:DESTINATION][:LEVEL]");
  }
  LogSetting setting;
  bool module_any = false, destination_any = false, have_level = false;
  auto have_module = [&] { return setting.module.has_value() || module_any; };
  auto have_destination = [&] { return setting.destination.has_value() || destination_any; };
  // Every known word first, so that an unknown one is reported as what the
  // setting still lacks (in "datapth:dbg", a module or a destination).
  std::optional<std::string_view> unknown;
  for (std::string_view word : words) {
    if (is_word(word, "ANY")) {
      // As a module first, then as a destination, as in Open vSwitch.
      if (!have_module()) {
        module_any = true;
      } else if (!have_destination()) {
        destination_any = true;
      } else {
        return make_error("\"ANY\" given a third time in \"" + std::string(text) + "\"");
      }
    } else if (auto destination = find_log_destination(word)) {
      if (have_destination()) {
        return make_error("two destinations in \"" + std::string(text) + "\": give one, or ANY");
      }
      setting.destination = destination;
    } else if (auto level = parse_log_level(word)) {
      if (have_level) return make_error("two levels in \"" + std::string(text) + "\": give one");
      setting.level = *level;
      have_level = true;
    } else if (auto module = find_log_module(word)) {
      if (have_module()) {
        return make_error("two modules in \"" + std::string(text) + "\": give one, or ANY");
      }
      setting.module = module;
    } else if (!unknown) {
      unknown = word;
    }
  }
  if (unknown) return make_error(unknown_word(*unknown, have_module(), have_destination(), have_level));
  return setting;
}

Result<std::vector<LogSetting>> parse_log_settings(const std::vector<std::string>& texts) {
  std::vector<LogSetting> out;
  for (const std::string& text : texts) {
    auto setting = parse_log_setting(text);
    if (!setting.ok()) return make_error("\"" + text + "\": " + setting.error());
    out.push_back(*setting);
  }
  return out;
}

void apply_log_setting(const LogSetting& setting) {
  for (size_t m = 0; m < kLogModules; ++m) {
    auto module = static_cast<LogModule>(m);
    if (setting.module && *setting.module != module) continue;
    for (size_t d = 0; d < kLogDestinations; ++d) {
      auto destination = static_cast<LogDestination>(d);
      if (setting.destination && *setting.destination != destination) continue;
      set_log_level(module, destination, setting.level);
    }
  }
}

}  // namespace flowpath
