// Datapath: arming, reading and stopping the fast-path trace (datapath.h,
// "The fast-path trace").
#include <string>

#include "common/clock.h"
#include "common/rcu.h"
#include "datapath/datapath.h"

namespace flowpath {

Status Datapath::start_trace(std::unique_ptr<PacketTrace> trace) {
  std::lock_guard lock(trace_mutex_);
  if (PacketTrace* armed = armed_trace(); armed != nullptr) {
    const uint64_t now = monotonic_ms();
    if (!armed->over(now)) {
      return make_error("datapath " + name_ + " is already tracing (trace " +
                        std::to_string(armed->id()) + ", " + std::to_string(armed->claimed()) +
                        " of " + std::to_string(armed->request().count) +
                        " packets traced, it ends within " +
                        std::to_string((armed->deadline_ms() - now + 999) / 1000) +
                        " s or when stopped)");
    }
  }
  if (trace_) {
    armed_trace_.store(nullptr, std::memory_order_release);
    rcu::wait_for_grace_period();  // no thread fills a record of the old one
  }
  trace_ = std::move(trace);
  armed_trace_.store(trace_.get(), std::memory_order_release);
  return Ok{};
}

Status Datapath::with_trace(uint64_t id, const std::function<void(PacketTrace&)>& fn) {
  std::lock_guard lock(trace_mutex_);
  if (!trace_ || trace_->id() != id)
    return make_error("datapath " + name_ + " has no trace " + std::to_string(id));
  fn(*trace_);
  return Ok{};
}

Status Datapath::stop_trace(uint64_t id, const std::function<void(PacketTrace&)>& fn) {
  std::lock_guard lock(trace_mutex_);
  if (!trace_ || trace_->id() != id)
    return make_error("datapath " + name_ + " has no trace " + std::to_string(id));
  armed_trace_.store(nullptr, std::memory_order_release);
  rcu::wait_for_grace_period();
  fn(*trace_);
  trace_.reset();
  return Ok{};
}

}  // namespace flowpath
