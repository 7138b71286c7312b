// `fpctl` connection-tracking verbs, spelled and printed as ovs-dpctl's
// (ovs-appctl dpctl/...): dump-conntrack, flush-conntrack, ct-stats-show,
// ct-set-maxconns, ct-get-maxconns, ct-get-nconns, ct-enable-tcp-seq-chk,
// ct-disable-tcp-seq-chk, ct-get-tcp-seq-chk, ct-set-limits,
// ct-get-limits, ct-del-limits.
#pragma once

#include <CLI/CLI.hpp>

#include "fpctl_dpctl.h"

namespace flowpath::fpctl {

void add_conntrack_commands(CLI::App& app, GlobalOptions& options, int& exit_code);

}  // namespace flowpath::fpctl
