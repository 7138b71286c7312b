// UpcallLayer: the upcall layer of a slow path, as Open vSwitch's udpif
// (ofproto-dpif-upcall.c). It is the datapaths' UpcallHandler: a miss is
// translated by the datapath's UpcallTranslator (the OpenFlow layer above,
// upcall_translator.h), its megaflow installed with a ukey recorded first
// (so the revalidator never mistakes it for a stranger) and the packet
// executed; an action upcall goes to the translator. It owns the ukeys of
// every datapath it serves and runs the revalidator thread
// (revalidator.cc): dumps, statistics pushed up, idle and changed flows
// removed or fixed, the adaptive flow limit (flow_limit.h).
//
// It reaches the fast path only through the datapath API (DatapathHandle)
// and the OpenFlow layer only through UpcallTranslator.
//
// Lock order. A lock may be taken while holding those above it, never one
// above while holding one below:
//
//   ofproto's config mutex (Ofproto::config_mutex_)
//   1. datapaths_mutex_     shared by handlers for a batch and by the
//                           revalidator for a pass, across translator calls;
//                           exclusive only in add_datapath/remove_datapath,
//                           whose callers hold no lock of the translator's
//                           but the config mutex
//   2. the translator's locks (ofproto's bridges, bridge state, rule tables,
//      packet-in and controller mutexes: ofproto/ofproto.h)
//   3. DatapathUpcalls::ukey_mutex   held only around ukey bookkeeping, never
//                           across a translation or a datapath call; under it
//                           only UpcallTranslator::credit(), which takes no lock
//   revalidator_mutex_      a leaf: revalidate_now() may be called holding
//                           anything; the revalidator does its pass without it
//
// The translator calls nothing of this class while translating but
// revalidate_now(); status() and set_max_idle() take datapaths_mutex_ shared
// and call nothing, so they are never called with a translator lock held.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <thread>

#include "common/result.h"
#include "datapath/datapath_handle.h"
#include "datapath/upcall_handler.h"
#include "upcall/upcall_translator.h"

namespace flowpath::upcall {

struct DatapathUpcalls;

struct UpcallLayerOptions {
  uint32_t revalidate_interval_ms = 500;  // one full revalidation round at least this often
};

// Counters of the whole layer (every datapath).
struct UpcallStats {
  uint64_t upcalls = 0, flows_installed = 0, install_failures = 0;
  uint64_t revalidation_rounds = 0, flows_deleted_idle = 0, flows_modified = 0,
           flows_deleted_changed = 0;
  // Full rounds (dump every flow, credit, expire): their time summed over
  // revalidation_rounds, and the last one's.
  uint64_t dump_duration_us = 0, last_dump_duration_us = 0;
};

// One datapath's upcall state (upcall/show).
struct DatapathUpcallStatus {
  uint64_t ukeys = 0;
  uint64_t flows_max = 0;     // the most flows a full dump has seen
  uint64_t last_dump_us = 0;  // the last full dump's duration
  uint32_t max_idle_ms = 0;
};

class UpcallLayer final : public UpcallHandler {
 public:
  explicit UpcallLayer(UpcallLayerOptions options = {});
  ~UpcallLayer() override;  // stops the revalidator

  void start();  // starts the revalidator thread (idempotent)
  void stop();   // stops it (idempotent); handlers may still call handle()

  // Serves `dp`'s upcalls with `translator` from now on. Error: a datapath
  // of that name is already served.
  Status add_datapath(std::shared_ptr<DatapathHandle> dp,
                      std::shared_ptr<UpcallTranslator> translator);
  // Stops serving the datapath named `name` (no-op if not served): once it
  // returns, no handler or revalidator uses its translator, and its upcalls
  // are counted as unhandled. Its flows stay in the datapath.
  void remove_datapath(const std::string& name);
  void remove_all_datapaths();
  // Datapath flows idle this long are removed (Open vSwitch's max-idle).
  Status set_max_idle(const std::string& name, uint32_t max_idle_ms);
  std::optional<DatapathUpcallStatus> status(const std::string& name) const;

  // Wakes the revalidator for a fix-up pass; returns at once.
  void revalidate_now();
  // Every flow of every datapath is re-checked by the next pass (something
  // all their translations may depend on changed).
  void revalidate_everything();
  // Blocks until a full revalidation round has started and ended after this call.
  void wait_revalidation_round();
  UpcallStats stats() const;

  // UpcallHandler
  void handle(const DatapathHandle& dp, std::span<Upcall> upcalls) override;

 private:
  struct BatchEffects {
    bool tags_changed = false;
    bool all_datapaths_stale = false;
  };
  void handle_miss(DatapathUpcalls& datapath, const DatapathHandle& dp, Upcall& upcall,
                   BatchEffects* effects);

  // revalidator.cc
  void revalidator_main();
  void revalidate_datapath(DatapathUpcalls& datapath);  // full: statistics, idle, flow limit
  void fix_up_datapath(DatapathUpcalls& datapath);      // re-translate flows changes may affect
  // Removes the flow and its ukey, crediting its last statistics.
  void remove_flow(DatapathUpcalls& datapath, const Ufid& ufid, uint64_t now_ms);

  const UpcallLayerOptions options_;

  mutable std::shared_mutex datapaths_mutex_;  // guards the map (lock order above)
  std::map<std::string, std::unique_ptr<DatapathUpcalls>, std::less<>> datapaths_;
  // Moved by revalidate_everything(); each datapath's fix-up pass compares
  // it with the value it last acted on.
  std::atomic<uint64_t> everything_generation_{1};

  std::thread revalidator_;
  std::mutex revalidator_mutex_;  // guards the six below
  std::condition_variable revalidator_cv_;
  std::condition_variable round_done_cv_;
  bool revalidator_wake_ = false;
  bool revalidator_force_full_ = false;
  bool revalidator_stop_ = false;
  uint64_t rounds_started_ = 0;
  uint64_t rounds_done_ = 0;
  std::atomic<bool> wake_pending_{false};  // a wake-up is already on its way

  struct AtomicStats {
    std::atomic<uint64_t> upcalls{0}, flows_installed{0}, install_failures{0};
    std::atomic<uint64_t> revalidation_rounds{0}, flows_deleted_idle{0}, flows_modified{0},
        flows_deleted_changed{0};
    std::atomic<uint64_t> dump_duration_us{0}, last_dump_duration_us{0};
  };
  AtomicStats stats_;
};

}  // namespace flowpath::upcall
