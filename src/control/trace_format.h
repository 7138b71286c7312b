// How a fast-path trace record reads (trace.poll/trace.stop results, and
// through them fpctl trace-packets): one JSON object per packet, keys and
// flows in ODP text, actions one by one with their results, drops under the
// names fpctl show -s uses.
//
//   {sequence, time, thread, in_port, in_port_name?, length,
//    passes: [{pass, key, layer: emc|smc|megaflow|miss, subtables_searched,
//              flow?: {ufid, flow, actions},          (layer != miss)
//              upcall?: queued|lost,                  (miss)
//              installed?: {ufid, flow, actions} | null,  (miss: what the slow path put)
//              actions: [{action, depth, packets_before, packets_after, result,
//                         dropped?: {reason, packets}}]}],
//    outputs: [{port, name?}], sent, upcalls, dropped, drops: {reason: packets},
//    truncated?: [what the record could not hold]}
#pragma once

#include <optional>
#include <vector>

#include "control/jsonrpc.h"
#include "datapath/flow_api.h"
#include "datapath/trace_record.h"
#include "odp/odp_key_text.h"

namespace flowpath::control {

// `installed[i]`: for pass i that missed, the flow found for its key
// afterwards (nullopt: none); ignored for other passes.
Json trace_record_json(const TraceRecord& record, const PortNumberNames& names,
                       int vlan_headers, const std::vector<std::optional<FlowEntry>>& installed);

// "+trk+new" for a ct_state value ("" for none).
std::string ct_state_text(uint32_t ct_state);

}  // namespace flowpath::control
