// The per-call-site token bucket: bursts, the steady rate, the count of
// what it suppressed, and that a message below its level costs no token.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>
#include <thread>
#include <vector>

#include "common/log_rate_limit.h"

namespace flowpath {
namespace {

TEST(LogRateLimiter, BurstThenRate) {
  LogRateLimiter limit(60, 3);  // one a second, bursts of 3
  uint64_t t = 1000;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limit.take(t).allowed) << i;
  EXPECT_FALSE(limit.take(t).allowed);
  EXPECT_FALSE(limit.take(t + 500).allowed);
  auto v = limit.take(t + 1000);  // one token back
  EXPECT_TRUE(v.allowed);
  EXPECT_EQ(v.suppressed, 2u);
  EXPECT_EQ(v.suppressed_ms, 1000u);
  EXPECT_FALSE(limit.take(t + 1000).allowed);
  EXPECT_EQ(limit.suppressed_total(), 3u);
  // A long quiet spell refills the bucket to its burst, no more.
  uint64_t later = t + 3'600'000;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limit.take(later).allowed) << i;
  EXPECT_FALSE(limit.take(later).allowed);
}

TEST(LogRateLimiter, BoundedOverAFlood) {
  LogRateLimiter limit(60, 5);
  size_t allowed = 0;
  uint64_t suppressed_reported = 0;
  // 10 s of a message every millisecond: 5 + 10 go out.
  for (uint64_t ms = 0; ms < 10'000; ++ms) {
    auto v = limit.take(ms);
    if (v.allowed) {
      ++allowed;
      suppressed_reported += v.suppressed;
    }
  }
  EXPECT_EQ(allowed, 5u + 9u);  // 5 at once, then one per full second elapsed (1..9 s)
  EXPECT_EQ(limit.suppressed_total(), 10'000u - allowed);
  EXPECT_LT(suppressed_reported, limit.suppressed_total());  // the tail is still pending
}

TEST(LogRateLimiter, ConcurrentCallersNeverWaitAndEveryCallIsCounted) {
  LogRateLimiter limit(60, 1000);
  std::atomic<uint64_t> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10'000; ++i)
        if (limit.take(5).allowed) allowed.fetch_add(1);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(allowed.load(), 1000u);
  EXPECT_EQ(allowed.load() + limit.suppressed_total(), 40'000u);
}

TEST(LogRateLimited, TheNextMessageSaysHowManyWereSuppressed) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  sink->set_pattern("%l %v");
  spdlog::logger logger("test", sink);
  logger.set_level(spdlog::level::info);
  // One a second: the five calls below come well within it even under a
  // sanitizer on a loaded machine (one a millisecond let a sixth through).
  LogRateLimiter limit(60, 1);
  log_rate_limited(limit, logger, spdlog::level::warn, "lost {}", 1);
  for (int i = 0; i < 5; ++i) log_rate_limited(limit, logger, spdlog::level::warn, "lost {}", 2);
  // Below the logger's level: neither logged nor counted.
  log_rate_limited(limit, logger, spdlog::level::debug, "detail");
  EXPECT_EQ(limit.suppressed_total(), 5u);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  log_rate_limited(limit, logger, spdlog::level::warn, "lost {}", 3);
  std::string text = out.str();
  EXPECT_EQ(text.substr(0, text.find('\n') + 1), "warning lost 1\n");
  std::string second = text.substr(text.find('\n') + 1);
  EXPECT_EQ(second.rfind("warning lost 3 (5 messages like this suppressed since the last one, ", 0), 0u)
      << second;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
}

TEST(LogRateLimited, SuppressedNote) {
  EXPECT_EQ(suppressed_note({true, 0, 0}), "");
  EXPECT_EQ(suppressed_note({true, 1, 2500}), " (1 message like this suppressed since the last one, 2.5 s ago)");
}

}  // namespace
}  // namespace flowpath
