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

// One thread per datapath: drains its upcall queue, and once a second
// re-ranks the megaflow subtables by hits.
class UpcallHandlerThread {
 public:
  static constexpr size_t kUpcallBatch = 64;

  UpcallHandlerThread(DatapathHandle dp, std::shared_ptr<UpcallHandler> handler);
  ~UpcallHandlerThread();  // stops and joins

 private:
  void run();

  DatapathHandle dp_;
  std::shared_ptr<UpcallHandler> handler_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace flowpath
