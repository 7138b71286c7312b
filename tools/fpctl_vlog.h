// `fpctl` log-level verbs, spelled as Open vSwitch's ovs-appctl ones:
// vlog/list and vlog/set (common/log_setting.h has the setting syntax).
#pragma once

#include <CLI/CLI.hpp>

#include "fpctl_dpctl.h"

namespace flowpath::fpctl {

void add_vlog_commands(CLI::App& app, GlobalOptions& options, int& exit_code);

// The settings of `fpctl vlog/set ARG...`: each argument is a setting when
// any of them holds a ':' or ','; else the arguments are the words of one
// setting ("vlog/set datapath dbg" is datapath:dbg, where ovs-appctl would
// set datapath to dbg and then every module to dbg).
std::vector<std::string> vlog_settings(const std::vector<std::string>& args);

}  // namespace flowpath::fpctl
