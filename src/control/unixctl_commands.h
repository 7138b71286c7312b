// The commands served to ovs-appctl, and the unixctl protocol around them
// (a RequestProtocol for the control server). Each command has a name, a
// usage line for list-commands, the number of arguments it takes and a
// handler that answers with text or fails with text, as Open vSwitch's
// unixctl commands do. A request for a command that does not exist, or with
// too few or too many arguments, or with an argument that is not a string,
// gets Open vSwitch's own error text. list-commands and version are always
// there.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "control/request_protocol.h"

namespace flowpath::control {

// A command's handler: its arguments (without the command's name), checked
// against its counts. It returns the reply's text, or the error's.
using UnixctlHandler = std::function<Result<std::string>(const std::vector<std::string>& args)>;

class UnixctlCommands final : public RequestProtocol {
 public:
  // `version` is what the version command answers.
  explicit UnixctlCommands(std::string version);
  UnixctlCommands(const UnixctlCommands&) = delete;  // list-commands refers to this
  UnixctlCommands& operator=(const UnixctlCommands&) = delete;

  // Registers NAME; `usage` is shown by list-commands after the name.
  void add(std::string name, std::string usage, size_t min_args, size_t max_args,
           UnixctlHandler handler);
  bool contains(std::string_view name) const { return commands_.find(name) != commands_.end(); }

  // The reply (JSON text) to one request's JSON text.
  std::string handle(std::string_view request) const;

  // RequestProtocol
  RequestFraming framing() const override { return RequestFraming::kJsonValues; }
  std::unique_ptr<JsonStream> start(std::string_view request) const override;
  std::string notice(const std::string& message) const override;

 private:
  struct Command {
    std::string usage;
    size_t min_args;
    size_t max_args;
    UnixctlHandler handler;
  };
  std::string list_commands() const;

  std::map<std::string, Command, std::less<>> commands_;
};

}  // namespace flowpath::control
