// The bounded queue between forwarding threads and upcall handlers. Each
// input port has its own ring, and handlers take upcalls round-robin across
// ports, so a port flooding misses can fill only its own ring: it never
// starves the others. A full ring refuses the upcall and says why; the
// datapath counts it (DropReason::kUpcallQueueFull) against the port.
//
// Slots are allocated when a port's ring is created and reused: enqueue
// copies the frame and the key into a slot, dequeue swaps the slot's buffers
// with the caller's, so in steady state nothing is allocated.
//
// Several handler threads may dequeue at once; each takes round-robin
// across ports, so a flooding port never starves the others whichever
// handler serves them.
//
// Before a ring is touched, the datapath's upcall rate limit
// (UpcallRateLimiter, the datapath setting upcall-rate) admits the upcall or
// refuses it as kUpcallRateLimited.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "flow/flow_key.h"
#include "datapath/upcall_rate_limiter.h"
#include "packet/drop_reason.h"

namespace flowpath {

enum class UpcallType : uint8_t {
  kMiss,    // no megaflow matched
  kAction,  // a userspace() action
};
const char* to_string(UpcallType type);

struct Upcall {
  UpcallType type = UpcallType::kMiss;
  uint32_t in_port = 0;
  uint32_t pid = 0;                 // userspace(pid=...)
  FlowKey key;                      // as extracted (for the slow path's convenience)
  std::vector<uint8_t> key_attrs;   // the key in Netlink form (OVS_KEY_ATTR_*)
  std::vector<uint8_t> packet;      // the frame
  std::vector<uint8_t> userdata;    // userspace(userdata(...)), if any
  std::vector<uint8_t> actions;     // userspace(actions): the flow's actions
  // The order in which upcalls were queued, over every queue of the
  // process (1, 2, ...): handlers run in parallel and finish out of order,
  // so what the slow path learns from a packet (a tunnel's neighbour) is
  // applied only when no later packet has taught otherwise.
  uint64_t sequence = 0;
};

class UpcallQueue {
 public:
  static constexpr uint32_t kMaxPorts = 1024;
  static constexpr uint32_t kDefaultDepthPerPort = 256;

  explicit UpcallQueue(uint32_t depth_per_port = kDefaultDepthPerPort);
  ~UpcallQueue();

  // Control path: creates the ring of `port` (idempotent) / drops what is
  // queued for it.
  void add_port(uint32_t port);
  void remove_port(uint32_t port);

  // The slow path's side: whether a handler serves this queue (until one
  // does, upcalls are refused as kUpcallNoHandler rather than queued). A
  // queue starts served.
  void set_receiver_attached(bool attached) {
    receiver_attached_.store(attached, std::memory_order_release);
  }
  // Upcalls admitted per second (0: unlimited, the default).
  void set_rate_limit(uint64_t per_second) { rate_limiter_.set_rate(per_second); }
  uint64_t rate_limit() const { return rate_limiter_.rate(); }

  // Forwarding threads. Copies the upcall (the frame as given, possibly
  // truncated by the caller) into the ring of key.md.in_port. Returns
  // nullopt when queued, or why the upcall is lost: kUpcallQueueFull (the
  // ring is full), kUpcallRateLimited (over the rate limit),
  // kUpcallNoHandler (no receiver), kUpcallNoPort (the port has no ring, or
  // it was removed).
  std::optional<DropReason> enqueue(UpcallType type, std::span<const uint8_t> frame,
                                    const FlowKey& key, std::span<const uint8_t> key_attrs,
                                    std::span<const uint8_t> userdata = {}, uint32_t pid = 0,
                                    std::span<const uint8_t> actions = {});

  // Handlers. Moves up to `max` upcalls into out[0..n) taking one per port in
  // turn, waiting up to `timeout` for the first one. `out` must hold at
  // least `max` elements (reused between calls). Returns n. A handler that
  // leaves upcalls behind wakes another waiting one.
  size_t dequeue(std::vector<Upcall>& out, size_t max, std::chrono::milliseconds timeout);

  // Wakes every waiting handler (shutdown).
  void wake_all();

  uint64_t queued() const { return queued_.load(std::memory_order_relaxed); }

 private:
  struct PortRing {
    std::mutex mutex;
    std::vector<Upcall> slots;
    uint32_t head = 0;   // next to dequeue
    uint32_t count = 0;  // queued
    bool active = false;
  };

  uint32_t depth_;
  std::unique_ptr<std::atomic<PortRing*>[]> rings_;
  std::vector<std::unique_ptr<PortRing>> owned_;  // control path only
  std::mutex owned_mutex_;
  std::atomic<uint64_t> queued_{0};
  std::atomic<bool> receiver_attached_{true};
  UpcallRateLimiter rate_limiter_;
  std::mutex wait_mutex_;
  std::condition_variable wait_cv_;
  std::atomic<uint32_t> next_port_{0};   // round-robin start for the next dequeue
  std::atomic<uint32_t> port_limit_{0};  // highest port with a ring, plus one
};

}  // namespace flowpath
