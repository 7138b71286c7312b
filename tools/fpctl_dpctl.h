// `fpctl` datapath verbs, the ovs-dpctl set: add-dp, del-dp, dump-dps, show,
// add-if, set-if, del-if, dump-flows, add-flow, mod-flow, get-flow,
// del-flow, del-flows, plus execute and pmd-stats-show. They talk to
// flowpathd over its control socket.
#pragma once

#include <CLI/CLI.hpp>

namespace flowpath::fpctl {

struct GlobalOptions {
  std::string socket;
  std::string format = "text";  // or json
};

void add_dpctl_commands(CLI::App& app, GlobalOptions& options, int& exit_code);

}  // namespace flowpath::fpctl
