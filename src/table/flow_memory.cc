#include "table/flow_memory.h"

#include <new>

namespace flowpath {

FlowMemory::FlowMemory() {
  for (size_t c = 0; c < kClasses; ++c) {
    const size_t bytes = c < kSmallLimit / kSmallStep
                             ? (c + 1) * kSmallStep
                             : kSmallLimit + (c + 1 - kSmallLimit / kSmallStep) * kLargeStep;
    classes_[c] = std::make_unique<SlabAllocator>(static_cast<uint32_t>(bytes));
  }
}

size_t FlowMemory::rounded_size(size_t bytes) {
  if (bytes <= kSmallLimit) return bytes <= kSmallStep ? kSmallStep : (bytes + 15) & ~size_t{15};
  return (bytes + kLargeStep - 1) & ~(kLargeStep - 1);
}

size_t FlowMemory::class_of(size_t rounded) {
  if (rounded <= kSmallLimit) return rounded / kSmallStep - 1;
  return kSmallLimit / kSmallStep + (rounded - kSmallLimit) / kLargeStep - 1;
}

void* FlowMemory::allocate(size_t bytes) {
  const size_t rounded = rounded_size(bytes);
  if (rounded <= kSlabLimit) return classes_[class_of(rounded)]->allocate();
  void* block = ::operator new(rounded, std::align_val_t{64});
  std::lock_guard lock(heap_mutex_);
  heap_bytes_ += rounded;
  return block;
}

void FlowMemory::free(void* block, size_t bytes) {
  const size_t rounded = rounded_size(bytes);
  if (rounded <= kSlabLimit) {
    classes_[class_of(rounded)]->free(block);
    return;
  }
  ::operator delete(block, std::align_val_t{64});
  std::lock_guard lock(heap_mutex_);
  heap_bytes_ -= rounded;
}

size_t FlowMemory::footprint_bytes() const {
  size_t total = 0;
  for (const auto& slabs : classes_) total += slabs->mapped_bytes();
  std::lock_guard lock(heap_mutex_);
  return total + heap_bytes_;
}

}  // namespace flowpath
