// Upcall handling: handler threads take batches of upcalls from a datapath's
// queue and give them to an UpcallHandler (the slow path). Until a slow path
// is plugged in, DropUpcallHandler drops them, counted as
// DropReason::kUpcallNoHandler in the datapath and against each input port.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <thread>
#include <vector>

#include "datapath/datapath_handle.h"
#include "datapath/upcall_queue.h"

namespace flowpath {

class UpcallHandler {
 public:
  virtual ~UpcallHandler() = default;
  // Called on a handler thread with up to kUpcallBatch upcalls of `dp`. It
  // may put megaflows and execute packets through `dp`.
  virtual void handle(const DatapathHandle& dp, std::span<Upcall> upcalls) = 0;
};

// Counts upcalls no slow path takes (DropReason::kUpcallNoHandler), in the
// datapath and against each input port: for handlers that have nothing to
// give a datapath's upcalls to.
void count_unhandled_upcalls(Datapath& dp, std::span<const Upcall> upcalls);

class DropUpcallHandler final : public UpcallHandler {
 public:
  void handle(const DatapathHandle& dp, std::span<Upcall> upcalls) override {
    count_unhandled_upcalls(dp.datapath(), upcalls);
  }
};

// One of a datapath's handler threads (DatapathConfig::handler_threads):
// drains its upcall queue, taking round-robin across the ports' rings
// (UpcallQueue::dequeue), so a port flooding misses gets no more of any
// handler than each other port with upcalls waiting. Handler 0 also
// re-ranks the megaflow subtables by hits once a second.
class UpcallHandlerThread {
 public:
  static constexpr size_t kUpcallBatch = 64;

  UpcallHandlerThread(DatapathHandle dp, std::shared_ptr<UpcallHandler> handler,
                      unsigned index = 0);
  ~UpcallHandlerThread();  // stops and joins

 private:
  void run();

  DatapathHandle dp_;
  std::shared_ptr<UpcallHandler> handler_;
  unsigned index_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace flowpath
