// Rate-limited logging, as Open vSwitch's VLOG_RATE_LIMIT_INIT: one token
// bucket per call site, `per_minute` messages a minute with bursts of up to
// `burst`. A message the bucket refuses is counted, not formatted; the next
// one it lets through says how many were suppressed and over how long.
//
// Never blocks: the bucket is guarded by a flag taken with a test-and-set;
// a thread that finds it taken counts its message as suppressed rather
// than wait. A message below its module's level takes no token.
//
//   static LogRateLimiter limit(60, 5);
//   log_rate_limited(limit, module_log(LogModule::kDatapath), spdlog::level::warn,
//                    "datapath {} lost {} upcalls", name, n);
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>

#include "common/clock.h"

namespace flowpath {

class LogRateLimiter {
 public:
  // One message costs kTokenCost; the bucket gains `per_minute` a millisecond.
  static constexpr uint64_t kTokenCost = 60'000;

  LogRateLimiter(uint32_t per_minute, uint32_t burst)
      : per_minute_(per_minute), capacity_(uint64_t{burst} * kTokenCost), tokens_(capacity_) {}

  struct Verdict {
    bool allowed = false;
    uint64_t suppressed = 0;     // when allowed: refused since the last allowed
    uint64_t suppressed_ms = 0;  // milliseconds since the last allowed
  };

  // Whether a message may go out at `now_ms` (monotonic milliseconds).
  Verdict take(uint64_t now_ms);

  uint64_t suppressed_total() const { return suppressed_total_.load(std::memory_order_relaxed); }

 private:
  const uint64_t per_minute_;
  const uint64_t capacity_;
  std::atomic_flag busy_ = ATOMIC_FLAG_INIT;
  // Guarded by busy_:
  uint64_t tokens_;
  uint64_t last_ms_ = 0;
  bool started_ = false;
  uint64_t last_allowed_ms_ = 0;
  // Counted without the flag too (a thread that found it taken).
  std::atomic<uint64_t> suppressed_{0};
  std::atomic<uint64_t> suppressed_total_{0};
};

// " (N messages like this suppressed since the last one, S.s s ago)", or ""
// when none were.
std::string suppressed_note(const LogRateLimiter::Verdict& verdict);

template <typename... Args>
void log_rate_limited(LogRateLimiter& limiter, spdlog::logger& logger,
                      spdlog::level::level_enum level, fmt::format_string<Args...> format,
                      Args&&... args) {
  if (!logger.should_log(level)) return;
  LogRateLimiter::Verdict verdict = limiter.take(monotonic_ms());
  if (!verdict.allowed) return;
  std::string text = fmt::format(format, std::forward<Args>(args)...);
  logger.log(level, "{}{}", text, suppressed_note(verdict));
}

}  // namespace flowpath
