// The adaptive flow limit, after Open vSwitch's revalidators: the longer a
// full dump of a datapath's flows takes, the fewer flows the datapath may
// hold, so that the revalidator keeps up (statistics credited, idle flows
// removed, changed flows fixed) however many flows a storm creates.
//
// After each full dump of a bridge, the datapath's limit becomes
// next_flow_limit(limit, flows, dump_ms, configured):
//  - a dump over 2 s: the limit shrinks in proportion (limit · 1000 / dump_ms),
//    the flows a dump of about a second would cover;
//  - over 1.3 s: by a quarter;
//  - under 1 s, with flows filling at least half the limit: grows by an
//    eighth (at least 1000): the dump had time for more (a dump of few
//    flows says nothing of how long many would take);
//  - in between: unchanged;
// always within [min(1000, configured), configured].
// While a datapath holds more flows than its limit, the revalidator removes
// flows idle for 100 ms rather than max-idle (kAggressiveMaxIdleMs).
#pragma once

#include <cstddef>
#include <cstdint>

namespace flowpath::upcall {

inline constexpr uint64_t kAggressiveMaxIdleMs = 100;

size_t next_flow_limit(size_t limit, size_t flows, uint64_t dump_ms, size_t configured);

}  // namespace flowpath::upcall
