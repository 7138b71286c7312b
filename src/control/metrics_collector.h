// What flowpathd's /metrics endpoint says: every counter of the datapaths,
// their ports, the forwarding threads, the slow path and the connection
// trackers, in the Prometheus text format (docs/observability.md lists the
// families).
//
// It reads what the JSON-RPC queries read (dp.show, threads.show, ct.stats,
// ofproto.stats): DatapathInterface::datapath_stats, list_ports,
// thread_stats, with_conntrack and Ofproto::stats, each of which takes the
// control mutex only for the copy, never a forwarding thread's time. Safe
// to call from any thread.
#pragma once

#include <string>

#include "datapath/datapath_interface.h"

namespace flowpath::ofproto {
class Ofproto;
}

namespace flowpath::control {

// `ofproto` (the slow path) may be null: its families are then left out.
std::string render_metrics(DatapathInterface& dpif, const ofproto::Ofproto* ofproto);

}  // namespace flowpath::control
