#include "datapath/upcall_loss_log.h"

#include <string>

#include "common/log_modules.h"
#include "datapath/datapath.h"

namespace flowpath {

namespace {

constexpr DropReason kLossReasons[] = {DropReason::kUpcallQueueFull, DropReason::kUpcallRateLimited,
                                       DropReason::kUpcallNoPort, DropReason::kUpcallNoHandler};

uint64_t lost(const DropCounts& counts) {
  uint64_t n = 0;
  for (DropReason why : kLossReasons) n += counts[why];
  return n;
}

}  // namespace

void UpcallLossLog::check(const Datapath& dp, uint64_t now_ms) {
  if (started_ && now_ms - last_check_ms_ < kIntervalMs) return;
  last_check_ms_ = now_ms;
  DropCounts now = dp.stats().drops;
  if (!started_) {
    started_ = true;
    reported_ = now;
    reported_ms_ = now_ms;
    return;
  }
  DropCounts since = now - reported_;
  const uint64_t n = lost(since);
  if (n == 0) {
    // Nothing lost: the next loss is counted from here.
    reported_ = now;
    reported_ms_ = now_ms;
    return;
  }
  spdlog::logger& log = module_log(LogModule::kDatapath);
  if (!log.should_log(spdlog::level::warn)) {
    reported_ = now;
    reported_ms_ = now_ms;
    return;
  }
  LogRateLimiter::Verdict verdict = limiter_.take(now_ms);
  if (!verdict.allowed) return;  // the next report covers these too
  std::string reasons;
  for (DropReason why : kLossReasons) {
    if (since[why] == 0) continue;
    reasons += (reasons.empty() ? "" : ", ") + std::string(drop_reason_name(why)) + " " +
               std::to_string(since[why]);
  }
  log.warn("datapath {}: lost {} upcall(s) in the last {:.1f} s ({}){}", dp.name(), n,
           static_cast<double>(now_ms - reported_ms_) / 1000.0, reasons, suppressed_note(verdict));
  reported_ = now;
  reported_ms_ = now_ms;
}

}  // namespace flowpath
