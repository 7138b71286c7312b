// `fpctl odp ...`: offline tools for the datapath flow syntax (no daemon).
#pragma once

#include <CLI/CLI.hpp>

namespace flowpath::fpctl {

// Adds the "odp" subcommand group to `app`.
void add_odp_commands(CLI::App& app, int& exit_code);

}  // namespace flowpath::fpctl
