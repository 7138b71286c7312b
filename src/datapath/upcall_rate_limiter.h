// The upcall rate limit of a datapath (Open vSwitch's upcall meter, the
// datapath option upcall-rate): at most `rate` upcalls per second reach the
// upcall queue, with bursts of up to a tenth of a second's worth. What it
// refuses is counted as DropReason::kUpcallRateLimited against the input
// port, so a storm of new flows costs the slow path a bounded share of the
// CPU and leaves the revalidator and the control plane their time.
//
// Checked on the forwarding threads before an upcall is copied into a ring:
// no lock and no allocation. It is a virtual-scheduling token bucket (the
// generic cell rate algorithm): one atomic holds the time at which the
// bucket would be full again ("theoretical arrival time"); an upcall is
// admitted when moving that time one interval on keeps it within the burst
// window of now, which one compare-and-swap settles between threads.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <ctime>

namespace flowpath {

class UpcallRateLimiter {
 public:
  // The window a burst may fill: 100 ms worth of upcalls at the rate.
  static constexpr uint64_t kBurstNs = 100'000'000;
  static constexpr uint64_t kMaxRate = 1'000'000'000;  // one per nanosecond

  // 0: unlimited. Takes effect at once; the bucket starts full.
  void set_rate(uint64_t per_second) {
    interval_ns_.store(per_second == 0 ? 0 : std::max<uint64_t>(1, 1'000'000'000 / per_second),
                       std::memory_order_relaxed);
    rate_.store(per_second, std::memory_order_relaxed);
    next_full_ns_.store(0, std::memory_order_relaxed);
  }
  uint64_t rate() const { return rate_.load(std::memory_order_relaxed); }

  // Whether one more upcall may go at `now_ns` (CLOCK_MONOTONIC).
  bool admit(uint64_t now_ns) {
    const uint64_t interval = interval_ns_.load(std::memory_order_relaxed);
    if (interval == 0) return true;
    // Bursts of at least one upcall even at rates below 10 per second.
    const uint64_t window = std::max(kBurstNs, interval);
    uint64_t full = next_full_ns_.load(std::memory_order_relaxed);
    for (;;) {
      const uint64_t next = std::max(full, now_ns) + interval;
      if (next > now_ns + window) return false;
      if (next_full_ns_.compare_exchange_weak(full, next, std::memory_order_relaxed)) return true;
    }
  }
  bool admit() { return interval_ns_.load(std::memory_order_relaxed) == 0 || admit(now_ns()); }

  static uint64_t now_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
  }

 private:
  std::atomic<uint64_t> rate_{0};
  std::atomic<uint64_t> interval_ns_{0};
  std::atomic<uint64_t> next_full_ns_{0};
};

}  // namespace flowpath
