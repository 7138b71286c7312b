// `fpctl replay`: a datapath run inside the fpctl process on captured
// traffic, with no daemon, no root, no device and no socket: "what would
// this flow table do to these packets?" (docs/replay.md).
//
//   fpctl replay --flows FILE --in PORT=IN.pcap [--in ...] [--ports 1,2,N=NAME]
//                --out DIR [--batch N] [--mtu PORT=BYTES] [--bridge RULES]
//
// DIR gets flows.result (one "LINE: ok" or "LINE: error: ..." per flow
// line), port-N.pcap for every port (frames in the order sent, stamped with
// the capture time of the input packet that caused them), trace.txt (one
// line per input packet), dump-flows.txt (the final `fpctl dump-flows -m`)
// and counters.json (`fpctl show -s` as JSON: the datapath and every port).
// With --format json, counters.json's document is printed on stdout too;
// nothing is logged (a failure is one "fpctl: replay: REASON" line).
#pragma once

#include <CLI/CLI.hpp>

#include "fpctl_dpctl.h"

namespace flowpath::fpctl {

void add_replay_command(CLI::App& app, const GlobalOptions& options, int& exit_code);

}  // namespace flowpath::fpctl
