// What flowpathd's datapath queries answer, as text in Open vSwitch's
// layouts: dp.show as ovs-dpctl show (dpctl/show), a flow of flow.dump as a
// line of ovs-dpctl dump-flows, a thread of threads.show as
// dpif-netdev/pmd-stats-show. fpctl prints them; flowpathd answers
// ovs-appctl with them.
#pragma once

#include <string>

#include "control/json_stream.h"

namespace flowpath::control {

// Every datapath of a dp.show result (`with_stats`: -s, the port counters).
std::string datapath_show_text(const Json& datapaths, bool with_stats);
// One flow (`verbose`, -m: with its ufid first and "dp:ovs" before the
// actions), without a newline.
std::string flow_text(const Json& flow, bool verbose);
// One thread of threads.show.
std::string thread_stats_text(const Json& thread);

}  // namespace flowpath::control
