#include "datapath/packet_trace.h"

#include <algorithm>

namespace flowpath {

const char* trace_layer_name(TraceLayer layer) {
  switch (layer) {
    case TraceLayer::kExactMatchCache: return "emc";
    case TraceLayer::kSignatureCache: return "smc";
    case TraceLayer::kClassifier: return "megaflow";
    case TraceLayer::kMiss: return "miss";
  }
  return "?";
}

PacketTrace::PacketTrace(uint64_t id, TraceRequest request, unsigned threads, uint64_t now_ms)
    : id_(id), request_(std::move(request)), deadline_ms_(now_ms + request_.timeout_ms) {
  const uint32_t capacity = std::min(request_.count, kRingCapacity);
  for (unsigned t = 0; t < threads; ++t) rings_.push_back(std::make_unique<TraceRing>(capacity));
}

TraceRecord* PacketTrace::begin(unsigned thread, uint32_t in_port, std::span<const uint8_t> frame) {
  if (thread >= rings_.size()) return nullptr;
  if (request_.port && *request_.port != in_port) return nullptr;
  if (request_.filter && !request_.filter->matches(frame)) return nullptr;
  TraceRing& ring = *rings_[thread];
  if (ring.full()) {
    if (claimed_.load(std::memory_order_relaxed) < request_.count)
      ring_full_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  // Claim one of the `count` packets; threads race for the last ones.
  uint64_t claimed = claimed_.load(std::memory_order_relaxed);
  do {
    if (claimed >= request_.count) return nullptr;
  } while (!claimed_.compare_exchange_weak(claimed, claimed + 1, std::memory_order_relaxed));
  TraceRecord* slot = ring.claim();  // not full: only this thread fills it
  slot->sequence = claimed + 1;
  slot->thread = thread;
  slot->in_port = in_port;
  slot->length = static_cast<uint32_t>(frame.size());
  return slot;
}

size_t PacketTrace::collect(std::vector<TraceRecord>* out) {
  size_t n = 0;
  for (auto& ring : rings_) {
    while (true) {
      out->emplace_back();
      if (!ring->take(&out->back())) {
        out->pop_back();
        break;
      }
      ++n;
    }
  }
  return n;
}

}  // namespace flowpath
