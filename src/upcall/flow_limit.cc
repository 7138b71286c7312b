#include "upcall/flow_limit.h"

#include <algorithm>

namespace flowpath::upcall {

size_t next_flow_limit(size_t limit, size_t flows, uint64_t dump_ms, size_t configured) {
  constexpr size_t kFloor = 1000;
  size_t next = limit;
  if (dump_ms > 2000) {
    next = static_cast<size_t>(static_cast<unsigned __int128>(limit) * 1000 / dump_ms);
  } else if (dump_ms > 1300) {
    next = limit - limit / 4;
  } else if (dump_ms < 1000 && flows >= limit / 2) {
    next = limit + std::max(kFloor, limit / 8);
  }
  return std::clamp(next, std::min(kFloor, configured), configured);
}

}  // namespace flowpath::upcall
