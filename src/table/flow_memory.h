// FlowMemory: where a MegaflowTable's flows and action lists live. Sizes are
// rounded up to a class (16-byte steps to 256 bytes, then 64-byte steps to
// SlabAllocator::kMaxObjectBytes) and each class is a SlabAllocator, so the
// memory of expired flows goes back to the system a slab at a time. Larger
// blocks (flows with very long action lists) come from the heap.
//
// Blocks of a size that is a multiple of 64 are 64-byte aligned, which
// flows rely on (their first line is the one forwarding threads write).
// Thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

#include "common/slab_allocator.h"

namespace flowpath {

class FlowMemory {
 public:
  FlowMemory();
  FlowMemory(const FlowMemory&) = delete;
  FlowMemory& operator=(const FlowMemory&) = delete;

  // The size a request of `bytes` really takes: pass it to free().
  static size_t rounded_size(size_t bytes);

  // An uninitialised block of rounded_size(bytes) bytes.
  void* allocate(size_t bytes);
  // Frees a block; `bytes` is what was asked for (or its rounded size).
  void free(void* block, size_t bytes);

  // Bytes of slabs mapped plus bytes of blocks taken from the heap.
  size_t footprint_bytes() const;

 private:
  static constexpr size_t kSmallStep = 16;
  static constexpr size_t kSmallLimit = 256;
  static constexpr size_t kLargeStep = 64;
  static constexpr size_t kSlabLimit = SlabAllocator::kMaxObjectBytes / kLargeStep * kLargeStep;
  static constexpr size_t kClasses =
      kSmallLimit / kSmallStep + (kSlabLimit - kSmallLimit) / kLargeStep;

  static size_t class_of(size_t rounded);

  std::array<std::unique_ptr<SlabAllocator>, kClasses> classes_;
  mutable std::mutex heap_mutex_;
  size_t heap_bytes_ = 0;
};

}  // namespace flowpath
