// FlowSlots: every flow of a MegaflowTable holds one numbered slot for its
// whole life. A dump walks the slot numbers upward, so its cursor is just a
// number that stays meaningful whatever is inserted or deleted meanwhile: a
// flow present for the whole dump is seen, and no flow is seen twice (it
// never changes slot). Internal to the table.
//
// Slots live in chunks of 1024 reached through a fixed directory, so growing
// never moves a slot under a reader. A new flow takes the lowest free slot,
// which keeps the used slots packed at the bottom: a chunk whose last flow
// goes is taken out of the directory and freed after a grace period (chunk 0
// stays), so the slots' memory shrinks with the table.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace flowpath {

class Megaflow;

class FlowSlots {
 public:
  static constexpr uint32_t kChunkSize = 1024;
  static constexpr uint32_t kMaxChunks = 4096;
  static constexpr uint32_t kMaxSlots = kChunkSize * kMaxChunks;  // 4,194,304

  FlowSlots();
  // No reader may use the slots any more.
  ~FlowSlots();
  FlowSlots(const FlowSlots&) = delete;
  FlowSlots& operator=(const FlowSlots&) = delete;

  // ---- Writer side (serialised by the caller).

  // The lowest free slot number, marked used; the caller keeps the number of
  // used slots below kMaxSlots.
  uint32_t take();
  void set(uint32_t slot, Megaflow* flow) {
    chunk_cache_[slot / kChunkSize][slot % kChunkSize].store(flow, std::memory_order_release);
  }
  // Empties a slot taken with take().
  void give_back(uint32_t slot);

  // Writer-side read of a slot below end().
  Megaflow* owner(uint32_t slot) const {
    const std::atomic<Megaflow*>* chunk = chunk_cache_[slot / kChunkSize];
    return chunk ? chunk[slot % kChunkSize].load(std::memory_order_relaxed) : nullptr;
  }

  // Bytes of chunks allocated and of the writer's bookkeeping.
  size_t footprint_bytes() const;

  // ---- Reader side (inside a read section).

  // One past the highest slot that may be in use (a chunk boundary).
  uint32_t end() const { return end_.load(std::memory_order_acquire); }

  Megaflow* get(uint32_t slot) const {
    const std::atomic<Megaflow*>* chunk =
        chunks_[slot / kChunkSize].load(std::memory_order_acquire);
    return chunk ? chunk[slot % kChunkSize].load(std::memory_order_acquire) : nullptr;
  }

 private:
  static constexpr uint32_t kBitWords = kChunkSize / 64;
  struct ChunkState {
    uint32_t used = 0;
    std::array<uint64_t, kBitWords> used_bits{};
  };

  void add_chunk(uint32_t c);
  void retire_chunk(uint32_t c);
  void update_end();

  std::atomic<std::atomic<Megaflow*>*> chunks_[kMaxChunks];
  std::atomic<uint32_t> end_{0};
  // Writer-only: copies of chunks_, which chunks have a free slot (bit set;
  // chunks not allocated count as free), and per allocated chunk its used
  // slots (the vector covers chunks below end() / kChunkSize).
  std::atomic<Megaflow*>* chunk_cache_[kMaxChunks] = {};
  std::array<uint64_t, kMaxChunks / 64> chunks_with_room_;
  std::vector<ChunkState> chunk_states_;
};

}  // namespace flowpath
