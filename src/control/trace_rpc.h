// The JSON-RPC methods of the fast-path trace (fpctl trace-packets). A
// trace is armed by one call and read by others, so that flowpathd's control
// thread never waits for packets:
//
//   trace.start {dp, port?: name or number, count?: 1..10000 (1),
//                filter?: "BPF expression", timeout_ms?: (10000)}
//                                      → {id, dp, count, timeout_ms, port?, filter?}
//   trace.poll  {dp, id}               → {id, armed, traced, count, expired, ring_full,
//                                         records: [record...]}
//   trace.stop  {dp, id}               → the same, with the last records; the trace is gone
//
// A record is trace_format.h's. A record whose packet missed is held back
// (up to kInstallWaitMs) until the flow its upcall installed can be read,
// so that "installed" says what the slow path put.
#pragma once

#include "control/jsonrpc.h"
#include "datapath/datapath_interface.h"

namespace flowpath::control {

inline constexpr uint64_t kInstallWaitMs = 1000;

void add_trace_methods(JsonRpcDispatcher& dispatcher, DatapathInterface& dpif);

}  // namespace flowpath::control
