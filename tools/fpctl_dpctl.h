// `fpctl` datapath verbs, the ovs-dpctl set: add-dp, del-dp, dump-dps, show,
// add-if, set-if, del-if, dump-flows, add-flow, mod-flow, get-flow,
// del-flow, del-flows, plus execute and pmd-stats-show. They talk to
// flowpathd over its control socket.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "control/jsonrpc.h"

namespace flowpath::fpctl {

struct GlobalOptions {
  std::string socket;
  std::string format = "text";  // or json
};

void add_dpctl_commands(CLI::App& app, GlobalOptions& options, int& exit_code);

// Connects and calls `method`; prints "fpctl: reason" and returns nullopt on error.
std::optional<control::Json> call(const GlobalOptions& options, const std::string& method,
                                  const control::Json& params);
// With DP optional as in ovs-dpctl: when `args` holds no more than
// `rest_count` arguments, the single existing datapath is used; otherwise
// the first argument names it (and is removed).
std::optional<std::string> pick_datapath(const GlobalOptions& options, std::vector<std::string>& args,
                                         size_t rest_count);

// The params of flow.put for `add-flow`/`mod-flow` FLOW ACTIONS ("ufid:U
// FLOW" names the ufid, as ovs-dpctl takes it); `mode` is create, modify or
// create-or-modify.
control::Json flow_put_params(const std::string& dp, std::string flow, const std::string& actions,
                              const std::string& mode, bool clear);
// One flow of a flow.dump as `dump-flows` prints it (with its ufid first).
std::string flow_line(const control::Json& flow, bool with_ufid);

}  // namespace flowpath::fpctl
