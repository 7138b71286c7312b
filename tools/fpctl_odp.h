// `fpctl odp ...`: offline tools for the datapath flow syntax (no daemon).
#pragma once

#include <CLI/CLI.hpp>

#include "fpctl_dpctl.h"

namespace flowpath::fpctl {

// Adds the "odp" subcommand group to `app`. With --format json each verb
// prints one JSON array: {input, output} or {input, error} per input line,
// or the key of each packet.
void add_odp_commands(CLI::App& app, const GlobalOptions& options, int& exit_code);

}  // namespace flowpath::fpctl
