// DatapathInterface: the fast-path trace's control side (start, collect,
// stop) and the flow lookup that tells what a traced miss installed.
#include <string>

#include "common/clock.h"
#include "common/rcu.h"
#include "datapath/datapath_interface.h"

namespace flowpath {

Result<uint64_t> DatapathInterface::start_trace(const std::string& dp_name, TraceRequest request) {
  if (request.count == 0 || request.count > TraceRequest::kMaxCount) {
    return make_error("trace count " + std::to_string(request.count) + " is out of range (1 to " +
                      std::to_string(TraceRequest::kMaxCount) + ")");
  }
  if (request.timeout_ms == 0 || request.timeout_ms > TraceRequest::kMaxTimeoutMs) {
    return make_error("trace timeout " + std::to_string(request.timeout_ms) +
                      " ms is out of range (1 ms to " +
                      std::to_string(TraceRequest::kMaxTimeoutMs / 1000) + " s)");
  }
  TRY_ASSIGN(dp, handle(dp_name));
  Datapath& datapath = dp.datapath();
  if (request.port) {
    rcu::ReadSection section;
    if (datapath.port(*request.port) == nullptr)
      return make_error("datapath " + dp_name + " has no port " + std::to_string(*request.port));
  }
  if (config_.caller_driven || datapath.forwarding_threads() == 0)
    return make_error("datapath " + dp_name + " has no forwarding thread to trace");
  uint64_t id;
  {
    std::lock_guard guard(mutex_);
    id = next_trace_id_++;
  }
  auto trace = std::make_unique<PacketTrace>(id, std::move(request), datapath.forwarding_threads(),
                                             monotonic_ms());
  TRY_STATUS(datapath.start_trace(std::move(trace)));
  return id;
}

Result<DatapathInterface::TraceProgress> DatapathInterface::collect_trace(
    const std::string& dp_name, uint64_t id, std::vector<TraceRecord>* out, bool stop) {
  TRY_ASSIGN(dp, handle(dp_name));
  Datapath& datapath = dp.datapath();
  TraceProgress progress;
  auto take = [&](PacketTrace& trace) {
    trace.collect(out);
    progress.armed = !stop && datapath.armed_trace() == &trace;
    progress.claimed = trace.claimed();
    progress.count = trace.request().count;
    progress.ring_full = trace.ring_full();
    progress.expired = progress.claimed < progress.count && monotonic_ms() >= trace.deadline_ms();
  };
  Status status = stop ? datapath.stop_trace(id, take) : datapath.with_trace(id, take);
  if (!status.ok()) return make_error(status.error());
  return progress;
}

Result<FlowEntry> DatapathInterface::lookup_flow(const std::string& dp_name,
                                                 const FlowKey& key) const {
  TRY_ASSIGN(dp, handle(dp_name));
  return dp.lookup(key);
}

}  // namespace flowpath
