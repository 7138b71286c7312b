// `fpctl` native-tunnelling verbs, spelled and printed as Open vSwitch's
// ovs-appctl ones: ovs/route/show, ovs/route/add, ovs/route/del,
// ovs/route/lookup.
#pragma once

#include <CLI/CLI.hpp>

#include "fpctl_dpctl.h"

namespace flowpath::fpctl {

void add_tunnel_commands(CLI::App& app, GlobalOptions& options, int& exit_code);

}  // namespace flowpath::fpctl
