// `fpctl trace-packets DP [PORT] [-c N] [--filter BPF] [--timeout SECONDS]`:
// arms the fast-path trace on a datapath (trace.start), prints each traced
// packet as its record arrives (trace.poll), and disarms the trace when N
// packets were traced, when the timeout passes, or on Ctrl-C (trace.stop).
// Exit status 0 when N packets were traced, 1 otherwise.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "control/jsonrpc.h"
#include "fpctl_dpctl.h"

namespace flowpath::fpctl {

void add_trace_commands(CLI::App& app, GlobalOptions& options, int& exit_code);

// One trace record (control/trace_format.h) as trace-packets prints it.
std::string trace_record_text(const control::Json& record);

}  // namespace flowpath::fpctl
