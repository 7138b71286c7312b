// One tracked connection. It sits in two hash chains of the
// ConnectionTable, one per direction key, and is read by forwarding threads
// without locks (RCU): keys and links are written before the connection is
// published and never change afterwards; the expiration time is atomic.
// What packets update (protocol state, counters, mark, labels) is guarded by
// the connection's own spin lock, held for a few dozen instructions and
// contended only when two threads carry packets of one connection at once.
//
// Size: 256 bytes (four cache lines) per connection, everything included.
#pragma once

#include <atomic>
#include <cstdint>

#include "common/rcu.h"
#include "conntrack/connection_key.h"
#include "conntrack/sctp_tracker.h"
#include "conntrack/tcp_tracker.h"
#include "conntrack/timeouts.h"

namespace flowpath::conntrack {

// States of connections other than TCP and SCTP (UDP, ICMP queries, other protocols).
enum class OtherState : uint8_t {
  kFirst,     // one packet seen
  kMultiple,  // more, all from the originator
  kBidir,     // the responder answered
};

class SpinLock {
 public:
  void lock() {
    while (flag_.exchange(true, std::memory_order_acquire)) {
      while (flag_.load(std::memory_order_relaxed)) __builtin_ia32_pause();
    }
  }
  void unlock() { flag_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> flag_{false};
};

struct alignas(64) Connection {
  ConnectionKey key[2];              // [0] original direction, [1] reply
  // The chain each key's bucket holds: the next entry, a Connection* with
  // the direction of the key it is linked under in bit 0 (0 when last).
  std::atomic<uintptr_t> next[2];
  std::atomic<uint64_t> expiration_ms{0};
  std::atomic<bool> unlinked{false};  // out of the table, waiting to be freed
  uint8_t nat = 0;                    // NatRange::kSrc or kDst: key[1] is translated
  uint32_t id = 0;                    // for dump-conntrack -m
  uint64_t created_ms = 0;            // wall clock, for dump-conntrack -s

  // ---- Guarded by `lock`.
  SpinLock lock;
  Timeout timeout = Timeout::kUdpFirst;
  OtherState other = OtherState::kFirst;
  uint32_t mark = 0;
  uint8_t label[16] = {};
  TcpConnection tcp;
  SctpConnection sctp;
  uint64_t packets[2] = {0, 0};
  uint64_t bytes[2] = {0, 0};

  rcu::DeferredFree free_link;

  bool expired(uint64_t now_ms) const {
    return expiration_ms.load(std::memory_order_relaxed) <= now_ms;
  }
};

static_assert(sizeof(Connection) == 256, "docs/conntrack.md states the size per connection");

}  // namespace flowpath::conntrack
