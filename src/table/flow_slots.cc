#include "table/flow_slots.h"

#include <bit>
#include <cassert>

#include "common/page_memory.h"
#include "common/rcu.h"

namespace flowpath {

namespace {

constexpr size_t kChunkBytes = FlowSlots::kChunkSize * sizeof(std::atomic<Megaflow*>);

// A chunk waiting for its grace period.
struct RetiredChunk {
  rcu::DeferredFree deferred;
  void* memory;
};

void free_retired_chunk(RetiredChunk* retired) {
  free_zeroed(retired->memory, kChunkBytes);
  delete retired;
}

std::atomic<Megaflow*>* new_chunk() {
  // Zeroed memory is a chunk of empty slots: std::atomic<T*> has the
  // representation of T*, and a null pointer is all zero bits here.
  static_assert(sizeof(std::atomic<Megaflow*>) == sizeof(Megaflow*));
  return static_cast<std::atomic<Megaflow*>*>(allocate_zeroed(kChunkBytes));
}

}  // namespace

FlowSlots::FlowSlots() {
  for (auto& chunk : chunks_) chunk.store(nullptr, std::memory_order_relaxed);
  chunks_with_room_.fill(~uint64_t{0});
}

FlowSlots::~FlowSlots() {
  for (std::atomic<Megaflow*>* chunk : chunk_cache_)
    if (chunk != nullptr) free_zeroed(chunk, kChunkBytes);
}

void FlowSlots::add_chunk(uint32_t c) {
  if (chunk_states_.size() <= c) chunk_states_.resize(c + 1);
  chunk_cache_[c] = new_chunk();
  chunks_[c].store(chunk_cache_[c], std::memory_order_release);
}

void FlowSlots::retire_chunk(uint32_t c) {
  chunks_[c].store(nullptr, std::memory_order_release);
  auto* retired = new RetiredChunk{{}, chunk_cache_[c]};
  chunk_cache_[c] = nullptr;
  rcu::free_after_grace_period<RetiredChunk, free_retired_chunk>(retired, &retired->deferred);
}

void FlowSlots::update_end() {
  uint32_t chunks = static_cast<uint32_t>(chunk_states_.size());
  while (chunks > 0 && chunk_cache_[chunks - 1] == nullptr) --chunks;
  end_.store(chunks * kChunkSize, std::memory_order_release);
  if (chunks < chunk_states_.size()) {
    chunk_states_.resize(chunks);
    if (chunk_states_.capacity() > 2 * chunks + 16) chunk_states_.shrink_to_fit();
  }
}

uint32_t FlowSlots::take() {
  uint32_t c = 0;
  for (size_t w = 0; w < chunks_with_room_.size(); ++w) {
    if (chunks_with_room_[w] != 0) {
      c = static_cast<uint32_t>(w * 64 + std::countr_zero(chunks_with_room_[w]));
      break;
    }
  }
  assert(c < kMaxChunks && (chunks_with_room_[c / 64] >> (c % 64) & 1));
  if (chunk_cache_[c] == nullptr) {
    add_chunk(c);
    update_end();
  }
  ChunkState& state = chunk_states_[c];
  uint32_t slot_in_chunk = 0;
  for (uint32_t w = 0; w < kBitWords; ++w) {
    if (state.used_bits[w] != ~uint64_t{0}) {
      slot_in_chunk = w * 64 + static_cast<uint32_t>(std::countr_one(state.used_bits[w]));
      break;
    }
  }
  state.used_bits[slot_in_chunk / 64] |= uint64_t{1} << (slot_in_chunk % 64);
  if (++state.used == kChunkSize) chunks_with_room_[c / 64] &= ~(uint64_t{1} << (c % 64));
  return c * kChunkSize + slot_in_chunk;
}

void FlowSlots::give_back(uint32_t slot) {
  const uint32_t c = slot / kChunkSize;
  const uint32_t i = slot % kChunkSize;
  ChunkState& state = chunk_states_[c];
  assert(state.used_bits[i / 64] >> (i % 64) & 1);
  set(slot, nullptr);
  state.used_bits[i / 64] &= ~(uint64_t{1} << (i % 64));
  chunks_with_room_[c / 64] |= uint64_t{1} << (c % 64);
  if (--state.used == 0 && c != 0) {
    retire_chunk(c);
    update_end();
  }
}

size_t FlowSlots::footprint_bytes() const {
  size_t chunks = 0;
  for (const std::atomic<Megaflow*>* chunk : chunk_cache_) chunks += chunk != nullptr;
  return chunks * kChunkBytes + chunk_states_.capacity() * sizeof(ChunkState);
}

}  // namespace flowpath
