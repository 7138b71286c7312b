// The datapath's flow API: what the slow path and the control plane hand to a
// datapath and get back from it.
//
//   MegaflowPut        a flow to create or modify: match (key and mask), UFID,
//                      Netlink actions, and a PutMode (create, modify, either)
//   MegaflowPutResult  the flow's UFID, whether it was created, its old stats
//   MegaflowStats      packets, bytes, last use (monotonic_ms()), TCP flags
//   FlowEntry          a whole flow as get/delete/dump return it
//   FlowStatsEntry     a flow's identity and statistics (the revalidator's dump)
//   FlowDumpCursor     where a chunked dump goes on
//   monotonic_ms()     the clock every time above is read from
//
// The first three are defined beside the megaflow table that implements them;
// code above the datapath (upcall/, ofproto/, control/) includes this header
// and never anything under table/.
#pragma once

#include <cstdint>
#include <vector>

#include "common/clock.h"
#include "flow/flow_key.h"
#include "flow/ufid.h"
#include "table/megaflow_table.h"

namespace flowpath {

struct FlowEntry {
  Ufid ufid;
  Match match;
  std::vector<uint8_t> actions;
  MegaflowStats stats;
  uint64_t created_ms = 0;
};

struct FlowStatsEntry {
  Ufid ufid;
  MegaflowStats stats;
};

// A dump in progress: every flow present for the whole dump is reported once,
// whatever is put or deleted between chunks.
struct FlowDumpCursor {
  MegaflowDumpCursor table;
  bool done() const { return table.done; }
};

}  // namespace flowpath
