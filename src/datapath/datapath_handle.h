// The slow path's handle on one datapath: put (one flow or a batch), get,
// delete, flush and dump flows, execute packets, receive upcalls.
//
// A handle holds its datapath by reference count and takes no lock of
// DatapathInterface: its operations never wait for the control plane. Port
// changes (DatapathInterface::set_port/remove_port hold the control mutex
// across an RCU grace period and while a device opens) therefore never stall
// flow setup. Flow writes serialise on the flow table's own writer lock;
// reads run inside RCU read sections and never block.
//
// When the datapath is deleted its ports close at once; the object itself
// lives until the last handle goes, and every operation on it then fails
// with "datapath NAME was deleted". Drop the last handle outside any RCU read
// section (it waits for a grace period before freeing the table).
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "datapath/datapath.h"
#include "datapath/flow_api.h"
#include "datapath/packet_executor.h"
#include "datapath/upcall_queue.h"

namespace flowpath {

class DatapathHandle {
 public:
  explicit DatapathHandle(std::shared_ptr<Datapath> dp) : dp_(std::move(dp)) {}

  const std::string& name() const { return dp_->name(); }
  bool deleted() const { return dp_->closed(); }

  // ---- Flows. Puts check the actions (well-formed, every output port
  // exists) before the table sees them.
  Result<MegaflowPutResult> put(const MegaflowPut& put) const;
  // Puts a batch in order; (*results)[i] answers puts[i]. The batch is
  // checked in one read section and written without returning to the caller.
  void put_batch(std::span<const MegaflowPut> puts,
                 std::vector<Result<MegaflowPutResult>>* results) const;
  Result<FlowEntry> get(const Ufid& ufid) const;
  Result<FlowEntry> get(const Match& match) const;
  // The flow a packet with `key` would hit in the classifier (the caches
  // left aside), as the forwarding threads look it up.
  Result<FlowEntry> lookup(const FlowKey& key) const;
  // Deletes a flow; the entry carries its final statistics.
  Result<FlowEntry> remove(const Ufid& ufid) const;
  Result<FlowEntry> remove(const Match& match) const;
  Status flush() const;
  size_t flow_count() const { return dp_->flows().count(); }
  // The table's hard limit now (puts beyond it fail), and the flow-limit
  // setting it adapts under (Datapath::adapt_flow_limit).
  size_t flow_limit() const { return dp_->flows().flow_limit(); }
  size_t configured_flow_limit() const { return dp_->configured_flow_limit(); }
  size_t adapt_flow_limit(size_t wanted) const { return dp_->adapt_flow_limit(wanted); }

  // Chunked dumps: each call fills `out` from `cursor` and returns how many
  // it wrote; the dump is over when cursor->done(). Statistics only (what a
  // revalidator needs), or whole entries.
  size_t dump(FlowDumpCursor* cursor, std::span<FlowStatsEntry> out) const;
  size_t dump(FlowDumpCursor* cursor, std::vector<FlowEntry>* out, size_t max) const;

  // ---- Packets. Runs `actions` on `frame` with the caller's executor (one
  // per thread). The actions are not checked: the slow path made them for
  // this datapath, and an output to a port removed since just drops.
  Result<ExecuteOutcome> execute(PacketExecutor& executor, std::span<const uint8_t> frame,
                                 const PacketMetadata& md, std::span<const uint8_t> actions) const;

  // A packet the slow path itself dropped (its translation had no actions),
  // counted with the handlers' and packet-outs' drops.
  void count_drop(DropReason why, uint64_t n = 1) const { dp_->counters(-1).count_drops(why, n); }

  // ---- Upcalls: see UpcallQueue::dequeue (fair across ports).
  size_t receive_upcalls(std::vector<Upcall>& out, size_t max,
                         std::chrono::milliseconds timeout) const {
    return dp_->upcalls().dequeue(out, max, timeout);
  }
  void wake_upcall_receivers() const { dp_->upcalls().wake_all(); }
  const UpcallQueue& upcall_queue() const { return dp_->upcalls(); }

  // For tests and the forwarding side's settings: the datapath itself.
  Datapath& datapath() const { return *dp_; }

 private:
  Error deleted_error() const;

  std::shared_ptr<Datapath> dp_;
};

// Checks an action list for a datapath: well-formed (validate_actions), every
// output port exists, every ct() is one the connection tracker supports.
Status validate_flow_actions(const Datapath& dp, std::span<const uint8_t> actions);
// Checks what a flow put needs of its match beyond a well-formed key: an
// exactly matched in_port, no VLAN tag past the datapath's vlan-limit.
Status check_flow_match(const Datapath& dp, const Match& match);

}  // namespace flowpath
