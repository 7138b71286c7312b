#include "datapath/upcall_queue.h"

namespace flowpath {

const char* to_string(UpcallType type) {
  return type == UpcallType::kMiss ? "miss" : "action";
}

namespace {
void assign(std::vector<uint8_t>& to, std::span<const uint8_t> from) {
  to.assign(from.begin(), from.end());  // reuses capacity
}

// Upcall::sequence, shared by every datapath's queue (one neighbour cache
// serves every bridge).
std::atomic<uint64_t> next_sequence{1};
}  // namespace

UpcallQueue::UpcallQueue(uint32_t depth_per_port)
    : depth_(depth_per_port == 0 ? 1 : depth_per_port),
      rings_(new std::atomic<PortRing*>[kMaxPorts]) {
  for (uint32_t i = 0; i < kMaxPorts; ++i) rings_[i].store(nullptr);
}

UpcallQueue::~UpcallQueue() = default;

void UpcallQueue::add_port(uint32_t port) {
  if (port >= kMaxPorts) return;
  std::lock_guard guard(owned_mutex_);
  PortRing* ring = rings_[port].load();
  if (ring == nullptr) {
    auto owned = std::make_unique<PortRing>();
    owned->slots.resize(depth_);
    for (Upcall& u : owned->slots) u.packet.reserve(2048);
    ring = owned.get();
    owned_.push_back(std::move(owned));
    rings_[port].store(ring, std::memory_order_release);
    if (port + 1 > port_limit_.load()) port_limit_.store(port + 1, std::memory_order_release);
  }
  std::lock_guard ring_guard(ring->mutex);
  ring->active = true;
}

void UpcallQueue::remove_port(uint32_t port) {
  if (port >= kMaxPorts) return;
  PortRing* ring = rings_[port].load(std::memory_order_acquire);
  if (ring == nullptr) return;
  // Rings are never freed while the queue lives, so a producer that loaded
  // the pointer just before this stays safe; it will see active == false.
  std::lock_guard guard(ring->mutex);
  ring->active = false;
  queued_.fetch_sub(ring->count, std::memory_order_relaxed);
  ring->count = 0;
  ring->head = 0;
}

std::optional<DropReason> UpcallQueue::enqueue(UpcallType type, std::span<const uint8_t> frame,
                                               const FlowKey& key,
                                               std::span<const uint8_t> key_attrs,
                                               std::span<const uint8_t> userdata, uint32_t pid,
                                               std::span<const uint8_t> actions) {
  uint32_t port = key.md.in_port;
  PortRing* ring = port < kMaxPorts ? rings_[port].load(std::memory_order_acquire) : nullptr;
  if (ring == nullptr) return DropReason::kUpcallNoPort;
  if (!receiver_attached_.load(std::memory_order_acquire)) return DropReason::kUpcallNoHandler;
  if (!rate_limiter_.admit()) return DropReason::kUpcallRateLimited;
  bool was_empty;
  {
    std::lock_guard guard(ring->mutex);
    if (!ring->active) return DropReason::kUpcallNoPort;
    if (ring->count == depth_) return DropReason::kUpcallQueueFull;
    Upcall& slot = ring->slots[(ring->head + ring->count) % depth_];
    slot.type = type;
    slot.in_port = port;
    slot.pid = pid;
    slot.sequence = next_sequence.fetch_add(1, std::memory_order_relaxed);
    slot.key = key;
    assign(slot.key_attrs, key_attrs);
    assign(slot.packet, frame);
    assign(slot.userdata, userdata);
    assign(slot.actions, actions);
    ++ring->count;
    was_empty = queued_.fetch_add(1, std::memory_order_acq_rel) == 0;
  }
  if (was_empty) {
    // Taking the mutex orders this notify after a handler's empty check.
    std::lock_guard guard(wait_mutex_);
    wait_cv_.notify_one();
  }
  return std::nullopt;
}

size_t UpcallQueue::dequeue(std::vector<Upcall>& out, size_t max, std::chrono::milliseconds timeout) {
  if (max > out.size()) max = out.size();
  if (queued_.load(std::memory_order_acquire) == 0) {
    std::unique_lock lock(wait_mutex_);
    wait_cv_.wait_for(lock, timeout, [&] { return queued_.load(std::memory_order_acquire) != 0; });
  }
  size_t n = 0;
  // Sweep the ports round-robin, one upcall per port per sweep, until `max`
  // or nothing is left. Starting point rotates between calls.
  uint32_t limit = port_limit_.load(std::memory_order_acquire);
  if (limit == 0) return 0;
  uint32_t start = next_port_.fetch_add(1, std::memory_order_relaxed) % limit;
  while (n < max && queued_.load(std::memory_order_acquire) != 0) {
    bool took_any = false;
    for (uint32_t i = 0; i < limit && n < max; ++i) {
      PortRing* ring = rings_[(start + i) % limit].load(std::memory_order_acquire);
      if (ring == nullptr) continue;
      std::lock_guard guard(ring->mutex);
      if (ring->count == 0) continue;
      Upcall& slot = ring->slots[ring->head];
      Upcall& dst = out[n++];
      dst.type = slot.type;
      dst.in_port = slot.in_port;
      dst.pid = slot.pid;
      dst.sequence = slot.sequence;
      dst.key = slot.key;
      dst.key_attrs.swap(slot.key_attrs);
      dst.packet.swap(slot.packet);
      dst.userdata.swap(slot.userdata);
      dst.actions.swap(slot.actions);
      ring->head = (ring->head + 1) % depth_;
      --ring->count;
      queued_.fetch_sub(1, std::memory_order_acq_rel);
      took_any = true;
    }
    if (!took_any) break;
  }
  if (n == max && queued_.load(std::memory_order_acquire) != 0) {
    // More than this handler took: another one may start on it now.
    std::lock_guard guard(wait_mutex_);
    wait_cv_.notify_one();
  }
  return n;
}

void UpcallQueue::wake_all() {
  std::lock_guard guard(wait_mutex_);
  wait_cv_.notify_all();
}

}  // namespace flowpath
