#include "control/unixctl_commands.h"

#include <cstdio>
#include <exception>

#include "common/log_modules.h"
#include "common/log_rate_limit.h"
#include "control/unixctl_message.h"

namespace flowpath::control {

UnixctlCommands::UnixctlCommands(std::string version) {
  add("list-commands", "", 0, 0, [this](const std::vector<std::string>&) -> Result<std::string> {
    return list_commands();
  });
  add("version", "", 0, 0, [version](const std::vector<std::string>&) -> Result<std::string> {
    return version;
  });
}

void UnixctlCommands::add(std::string name, std::string usage, size_t min_args, size_t max_args,
                          UnixctlHandler handler) {
  commands_.insert_or_assign(std::move(name),
                             Command{std::move(usage), min_args, max_args, std::move(handler)});
}

// "The available commands are:" then each name padded to 23 columns and its
// usage, sorted by name, as Open vSwitch lists them.
std::string UnixctlCommands::list_commands() const {
  std::string out = "The available commands are:\n";
  for (const auto& [name, command] : commands_) {
    char line[256];
    std::snprintf(line, sizeof line, "  %-23s %s", name.c_str(), command.usage.c_str());
    out += line;
    out += '\n';
  }
  return out;
}

std::string UnixctlCommands::handle(std::string_view text) const {
  UnixctlDecoded decoded = decode_unixctl_request(text);
  const UnixctlRequest& request = decoded.request;
  if (!decoded.ok()) {
    // A client that sends nothing but bad requests does not flood the log.
    static LogRateLimiter limit(12, 5);
    log_rate_limited(limit, module_log(LogModule::kControl), spdlog::level::warn, "unixctl: {}",
                     decoded.error);
    return encode_unixctl_error(request.id, decoded.error);
  }
  const std::string& name = request.method;
  auto it = commands_.find(name);
  if (it == commands_.end()) {
    return encode_unixctl_error(request.id, "\"" + name +
                                                "\" is not a valid command (use \"list-commands\" "
                                                "to see a list of valid commands)");
  }
  const Command& command = it->second;
  size_t count = request.params.size();
  if (count < command.min_args) {
    return encode_unixctl_error(request.id, "\"" + name + "\" command requires at least " +
                                                std::to_string(command.min_args) + " arguments");
  }
  if (count > command.max_args) {
    return encode_unixctl_error(request.id, "\"" + name + "\" command takes at most " +
                                                std::to_string(command.max_args) + " arguments");
  }
  std::vector<std::string> args;
  args.reserve(count);
  for (const Json& param : request.params) {
    if (!param.is_string()) {
      return encode_unixctl_error(request.id, "\"" + name + "\" command has non-string argument");
    }
    args.push_back(param.get<std::string>());
  }
  // A handler reads JSON results of the daemon's methods: a shape it did
  // not expect is an error for this request, never the daemon's end.
  try {
    Result<std::string> result = command.handler(args);
    if (!result.ok()) return encode_unixctl_error(request.id, result.error());
    return encode_unixctl_reply(request.id, *result);
  } catch (const std::exception& e) {
    module_log(LogModule::kControl).error("unixctl: {}: {}", name, e.what());
    return encode_unixctl_error(request.id, "\"" + name + "\" failed: " + e.what());
  }
}

std::unique_ptr<JsonStream> UnixctlCommands::start(std::string_view request) const {
  return make_text_stream(handle(request));
}

std::string UnixctlCommands::notice(const std::string& message) const {
  return encode_unixctl_error(nullptr, message);
}

}  // namespace flowpath::control
