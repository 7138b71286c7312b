// Upcall loss, told to the operator: forwarding threads only count the
// upcalls they lose (drop reasons upcall_queue_full, upcall_rate_limited,
// upcall_no_port, and the handlers' upcall_no_handler); handler 0 reads the
// counts every kIntervalMs and logs a burst of loss as one warning with the
// numbers by reason, rate limited. A suppressed report is not lost: the next
// one that goes out covers every upcall lost since the last report, and says
// how many reports it stands for.
#pragma once

#include <cstdint>

#include "common/log_rate_limit.h"
#include "packet/drop_counters.h"

namespace flowpath {

class Datapath;

class UpcallLossLog {
 public:
  static constexpr uint64_t kIntervalMs = 100;
  // One report every 5 s at most once 3 have gone out at once.
  static constexpr uint32_t kReportsPerMinute = 12;
  static constexpr uint32_t kBurst = 3;

  // From handler 0's loop, as often as it likes: reads the counts at most
  // every kIntervalMs.
  void check(const Datapath& dp, uint64_t now_ms);

 private:
  LogRateLimiter limiter_{kReportsPerMinute, kBurst};
  bool started_ = false;
  uint64_t last_check_ms_ = 0;
  uint64_t reported_ms_ = 0;  // when the counts in `reported_` were read
  DropCounts reported_;      // the counts the last report (or the start) covered
};

}  // namespace flowpath
