// Open vSwitch's CPU mask (other_config:pmd-cpu-mask): hexadecimal digits,
// optionally after "0x", the lowest bit CPU 0, one forwarding thread per
// bit set. Read strictly: where ovs-vswitchd warns about a digit that is not
// hexadecimal and takes it for 0, flowpath refuses the whole mask.
#pragma once

#include <sched.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace flowpath {

// The CPUs `text` selects, ascending. Errors name the bad character and its
// column (from 1), or say that no CPU is selected.
Result<std::vector<unsigned>> parse_cpu_mask(std::string_view text);

// "0-1,3": a set of CPUs as Linux lists them (Cpus_allowed_list).
std::string cpu_list_text(const cpu_set_t& set);

}  // namespace flowpath
