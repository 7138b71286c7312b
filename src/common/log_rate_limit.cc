#include "common/log_rate_limit.h"

#include <fmt/format.h>

#include <algorithm>

namespace flowpath {

LogRateLimiter::Verdict LogRateLimiter::take(uint64_t now_ms) {
  Verdict verdict;
  if (busy_.test_and_set(std::memory_order_acquire)) {
    // Another thread is in the bucket: count this message, never wait.
    suppressed_.fetch_add(1, std::memory_order_relaxed);
    suppressed_total_.fetch_add(1, std::memory_order_relaxed);
    return verdict;
  }
  if (!started_) {
    started_ = true;
    last_ms_ = now_ms;
    last_allowed_ms_ = now_ms;
  }
  if (now_ms > last_ms_) {
    uint64_t elapsed = now_ms - last_ms_;
    // Saturate: a long quiet spell fills the bucket, no more.
    uint64_t gained = elapsed > capacity_ ? capacity_ : elapsed * per_minute_;
    tokens_ = std::min(capacity_, tokens_ + gained);
    last_ms_ = now_ms;
  }
  if (tokens_ >= kTokenCost) {
    tokens_ -= kTokenCost;
    verdict.allowed = true;
    verdict.suppressed = suppressed_.exchange(0, std::memory_order_relaxed);
    verdict.suppressed_ms = now_ms - last_allowed_ms_;
    last_allowed_ms_ = now_ms;
  } else {
    suppressed_.fetch_add(1, std::memory_order_relaxed);
    suppressed_total_.fetch_add(1, std::memory_order_relaxed);
  }
  busy_.clear(std::memory_order_release);
  return verdict;
}

std::string suppressed_note(const LogRateLimiter::Verdict& verdict) {
  if (verdict.suppressed == 0) return "";
  return fmt::format(" ({} message{} like this suppressed since the last one, {:.1f} s ago)", verdict.suppressed,
                     verdict.suppressed == 1 ? "" : "s",
                     static_cast<double>(verdict.suppressed_ms) / 1000.0);
}

}  // namespace flowpath
