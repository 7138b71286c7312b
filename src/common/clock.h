// The monotonic millisecond clock every layer shares: flow creation and
// last-use times, revalidator rounds, timeouts and MAC ageing all read it, so
// their times compare directly.
#pragma once

#include <cstdint>
#include <ctime>

namespace flowpath {

// Milliseconds of CLOCK_MONOTONIC (not affected by wall-clock changes).
inline uint64_t monotonic_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

}  // namespace flowpath
