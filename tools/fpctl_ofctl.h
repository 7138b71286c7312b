// `fpctl of VERB BRIDGE ...`: the ovs-ofctl verbs on a bridge's OpenFlow
// tables — show, dump-flows, add-flow, add-flows, mod-flows, del-flows,
// add-group, mod-group, del-groups, dump-groups, add-meter, del-meters,
// dump-meters, dump-ports, mod-port, packet-ins — printing as ovs-ofctl does.
#pragma once

#include <CLI/CLI.hpp>

#include "fpctl_dpctl.h"

namespace flowpath::fpctl {

void add_ofctl_commands(CLI::App& app, GlobalOptions& options, int& exit_code);

}  // namespace flowpath::fpctl
