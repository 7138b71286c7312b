// The JSON-RPC methods of the log modules' levels, behind fpctl's
// ovs-appctl verbs vlog/list and vlog/set (common/log_setting.h has the
// syntax).
//
// Methods (params → result):
//   vlog.list {}                       → {text, modules: [{module, console, syslog, file}]}
//   vlog.set  {settings: ["SPEC", ...]} → {notes: ["..."]}
// vlog.set parses every setting before it applies any: one bad word refuses
// the call and changes nothing. A note says when a setting names a
// destination the daemon does not write to (no --log-file, no --syslog).
#pragma once

#include "control/jsonrpc.h"

namespace flowpath::control {

void add_vlog_methods(JsonRpcDispatcher& dispatcher);

}  // namespace flowpath::control
