// FlowSlots: every flow of a MegaflowTable holds one numbered slot for its
// whole life. A dump walks the slot numbers upward, so its cursor is just a
// number that stays meaningful whatever is inserted or deleted meanwhile: a
// flow present for the whole dump is seen, and no flow is seen twice (it
// never changes slot). Internal to the table.
//
// Slots live in chunks of 1024 reached through a fixed directory, so growing
// never moves a slot under a reader; chunks are freed only with the table.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

namespace flowpath {

class Megaflow;

class FlowSlots {
 public:
  static constexpr uint32_t kChunkSize = 1024;
  static constexpr uint32_t kMaxChunks = 4096;
  static constexpr uint32_t kMaxSlots = kChunkSize * kMaxChunks;  // 4,194,304

  FlowSlots() {
    for (auto& chunk : chunks_) chunk.store(nullptr, std::memory_order_relaxed);
  }
  ~FlowSlots() {
    for (auto& chunk : chunks_) delete[] chunk.load(std::memory_order_relaxed);
  }
  FlowSlots(const FlowSlots&) = delete;
  FlowSlots& operator=(const FlowSlots&) = delete;

  // ---- Writer side (serialised by the caller).

  // A free slot number; the caller keeps the number of used slots below
  // kMaxSlots.
  uint32_t take() {
    if (!free_.empty()) {
      uint32_t slot = free_.back();
      free_.pop_back();
      return slot;
    }
    uint32_t slot = end_.load(std::memory_order_relaxed);
    std::atomic<Megaflow*>*& chunk_ref = chunk_cache_[slot / kChunkSize];
    if (chunk_ref == nullptr) {
      chunk_ref = new std::atomic<Megaflow*>[kChunkSize];
      for (uint32_t i = 0; i < kChunkSize; ++i)
        chunk_ref[i].store(nullptr, std::memory_order_relaxed);
      chunks_[slot / kChunkSize].store(chunk_ref, std::memory_order_release);
    }
    end_.store(slot + 1, std::memory_order_release);
    return slot;
  }

  void set(uint32_t slot, Megaflow* flow) {
    chunk_cache_[slot / kChunkSize][slot % kChunkSize].store(flow, std::memory_order_release);
  }

  void give_back(uint32_t slot) {
    set(slot, nullptr);
    free_.push_back(slot);
  }

  // Writer-side read of a slot.
  Megaflow* owner(uint32_t slot) const {
    return chunk_cache_[slot / kChunkSize][slot % kChunkSize].load(std::memory_order_relaxed);
  }

  // ---- Reader side (inside a read section).

  // One past the highest slot ever used.
  uint32_t end() const { return end_.load(std::memory_order_acquire); }

  Megaflow* get(uint32_t slot) const {
    const std::atomic<Megaflow*>* chunk =
        chunks_[slot / kChunkSize].load(std::memory_order_acquire);
    return chunk ? chunk[slot % kChunkSize].load(std::memory_order_acquire) : nullptr;
  }

 private:
  std::atomic<std::atomic<Megaflow*>*> chunks_[kMaxChunks];
  std::atomic<uint32_t> end_{0};
  // Writer-only copies of chunks_ and the free list.
  std::atomic<Megaflow*>* chunk_cache_[kMaxChunks] = {};
  std::vector<uint32_t> free_;
};

}  // namespace flowpath
