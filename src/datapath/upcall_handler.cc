#include "datapath/upcall_handler.h"

#include <pthread.h>

#include <chrono>
#include <cstdio>

#include "datapath/datapath.h"
#include "common/clock.h"
#include "common/rcu.h"
#include "datapath/upcall_loss_log.h"

namespace flowpath {

void count_unhandled_upcalls(Datapath& dp, std::span<const Upcall> upcalls) {
  DropCounters& shared = dp.counters(-1).drops();
  for (const Upcall& upcall : upcalls)
    dp.count_upcall_lost(shared, upcall.in_port, DropReason::kUpcallNoHandler, 1);
}

UpcallHandlerThread::UpcallHandlerThread(DatapathHandle dp, std::shared_ptr<UpcallHandler> handler,
                                         unsigned index)
    : dp_(std::move(dp)), handler_(std::move(handler)), index_(index) {
  thread_ = std::thread([this] { run(); });
  // Named by its creator, so that once the constructor returns the thread
  // shows as a handler (a thread naming itself would race with anyone looking).
  char name[16];
  std::snprintf(name, sizeof name, "fp-handler%u", index_ % 1000);
  pthread_setname_np(thread_.native_handle(), name);
}

UpcallHandlerThread::~UpcallHandlerThread() {
  stop_.store(true);
  dp_.wake_upcall_receivers();
  thread_.join();
}

void UpcallHandlerThread::run() {
  rcu::ensure_thread_registered();
  std::vector<Upcall> batch(kUpcallBatch);
  auto next_rank = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  UpcallLossLog loss_log;  // handler 0 tells the forwarding threads' upcall loss
  while (!stop_.load(std::memory_order_relaxed)) {
    size_t n = dp_.receive_upcalls(batch, kUpcallBatch, std::chrono::milliseconds(100));
    if (n > 0 && !stop_.load(std::memory_order_relaxed)) {
      handler_->handle(dp_, std::span<Upcall>(batch.data(), n));
    }
    auto now = std::chrono::steady_clock::now();
    if (index_ == 0 && now >= next_rank) {
      dp_.datapath().flows().rank_subtables();
      next_rank = now + std::chrono::seconds(1);
    }
    if (index_ == 0) loss_log.check(dp_.datapath(), monotonic_ms());
  }
}

}  // namespace flowpath
