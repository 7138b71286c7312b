// `fpctl` IP fragment reassembly verbs, spelled and printed as ovs-dpctl's
// (ovs-appctl dpctl/...): ipf-set-enabled, ipf-set-disabled,
// ipf-set-min-frag, ipf-set-max-nfrags, ipf-get-status.
#pragma once

#include <CLI/CLI.hpp>

#include "fpctl_dpctl.h"

namespace flowpath::fpctl {

void add_ipf_commands(CLI::App& app, GlobalOptions& options, int& exit_code);

}  // namespace flowpath::fpctl
