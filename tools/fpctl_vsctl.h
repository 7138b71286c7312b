// `fpctl` bridge verbs, the ovs-vsctl set (add-br, del-br, list-br,
// br-exists, add-port, del-port, list-ports, set-mac-table) plus the
// ovs-appctl slow-path commands (fdb-show, fdb-flush, trace, ofproto-stats).
// They talk to flowpathd's slow path over its control socket.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "control/jsonrpc.h"
#include "fpctl_dpctl.h"

namespace flowpath::fpctl {

void add_vsctl_commands(CLI::App& app, GlobalOptions& options, int& exit_code);

// What the bridge and OpenFlow verbs share: the global options, the exit
// code, and one way to call the daemon, report errors and print results.
class BridgeVerbs {
 public:
  BridgeVerbs(GlobalOptions& options, int& exit_code) : options_(&options), exit_code_(&exit_code) {}

  // Calls `method`; on failure prints "fpctl: reason", sets exit code 1 and
  // returns nullopt.
  std::optional<control::Json> call(const std::string& method, const control::Json& params);
  // Calls `method` and leaves reporting a failure to the caller.
  Result<control::Json> request(const std::string& method, const control::Json& params);
  // Prints `result` as JSON with --format json, else through `text`.
  void print(const std::optional<control::Json>& result,
             const std::function<void(const control::Json&)>& text = {});
  // call() then print().
  void run(const std::string& method, const control::Json& params,
           const std::function<void(const control::Json&)>& text = {}) {
    print(call(method, params), text);
  }
  // Checks the number of positional arguments; prints the usage line and sets
  // exit code 2 when it is wrong.
  bool need(const std::vector<std::string>& args, size_t min, size_t max, const char* usage);
  void fail(const std::string& message, int code = 1);  // "fpctl: message"
  void set_exit(int code) { *exit_code_ = code; }
  bool json() const { return options_->format == "json"; }
  const GlobalOptions& options() const { return *options_; }

 private:
  GlobalOptions* options_;
  int* exit_code_;
};

// "LOCAL" for the bridge's own port, else the number.
std::string ofport_text(uint64_t ofport);

}  // namespace flowpath::fpctl
