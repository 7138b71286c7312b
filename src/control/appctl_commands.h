// ovs-vswitchd's ovs-appctl commands, answered by flowpathd: each one calls
// the JSON-RPC methods fpctl calls (through the daemon's dispatcher, on the
// control thread) and prints the result as Open vSwitch does, with the same
// text printers as fpctl (control/datapath_text.h, control/switch_text.h).
// docs/ovsdb.md lists them with what differs from Open vSwitch.
#pragma once

#include "control/jsonrpc.h"
#include "control/unixctl_commands.h"

namespace flowpath::control {

// Registers the commands on `commands`; `dispatcher` must outlive them.
void add_appctl_commands(UnixctlCommands& commands, const JsonRpcDispatcher& dispatcher);

}  // namespace flowpath::control
