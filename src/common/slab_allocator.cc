#include "common/slab_allocator.h"

#include <cassert>
#include <new>

#include "common/page_memory.h"

namespace flowpath {

// The header at the start of every slab.
struct SlabAllocator::Slab {
  Slab* prev;
  Slab* next;
  void* free_list;  // freed objects, linked through their first word
  uint32_t used;    // objects allocated from this slab
  uint32_t carved;  // objects handed out from the untouched end so far
  uint32_t object_bytes;
};

void SlabAllocator::SlabList::remove(Slab* slab) {
  (slab->prev ? slab->prev->next : head) = slab->next;
  (slab->next ? slab->next->prev : tail) = slab->prev;
  slab->prev = slab->next = nullptr;
}

void SlabAllocator::SlabList::append(Slab* slab) {
  slab->prev = tail;
  slab->next = nullptr;
  (tail ? tail->next : head) = slab;
  tail = slab;
}

SlabAllocator::SlabAllocator(uint32_t object_bytes)
    : object_bytes_(object_bytes),
      objects_per_slab_(static_cast<uint32_t>((kSlabBytes - kHeaderBytes) / object_bytes)) {
  static_assert(sizeof(Slab) <= kHeaderBytes);
  assert(object_bytes % 16 == 0 && object_bytes >= 16 && object_bytes <= kMaxObjectBytes);
}

SlabAllocator::~SlabAllocator() {
  for (SlabList* list : {&partial_, &full_}) {
    while (list->head != nullptr) {
      Slab* slab = list->head;
      list->remove(slab);
      unmap_slab(slab);
    }
  }
  if (spare_ != nullptr) unmap_slab(spare_);
}

SlabAllocator::Slab* SlabAllocator::map_slab() {
  auto* slab = static_cast<Slab*>(map_aligned_pages(kSlabBytes, kSlabBytes));
  slab->prev = slab->next = nullptr;
  slab->free_list = nullptr;
  slab->used = 0;
  slab->carved = 0;
  slab->object_bytes = object_bytes_;
  ++slabs_;
  return slab;
}

void SlabAllocator::unmap_slab(Slab* slab) {
  unmap_pages(slab, kSlabBytes);
  --slabs_;
}

void* SlabAllocator::allocate() {
  std::lock_guard lock(mutex_);
  Slab* slab = partial_.head;
  if (slab == nullptr) {
    if (spare_ != nullptr) {
      slab = spare_;
      spare_ = nullptr;
    } else {
      slab = map_slab();
    }
    partial_.append(slab);
  }
  void* object;
  if (slab->free_list != nullptr) {
    object = slab->free_list;
    slab->free_list = *static_cast<void**>(object);
  } else {
    // Objects never used are handed out in order, so a new slab's pages
    // are touched only as it fills.
    object = reinterpret_cast<uint8_t*>(slab) + kHeaderBytes +
             size_t{slab->carved++} * object_bytes_;
  }
  if (++slab->used == objects_per_slab_) {
    partial_.remove(slab);
    full_.append(slab);
  }
  ++allocated_;
  return object;
}

void SlabAllocator::free_locked(void* object) {
  auto* slab = reinterpret_cast<Slab*>(reinterpret_cast<uintptr_t>(object) & ~(kSlabBytes - 1));
  assert(slab->object_bytes == object_bytes_ && slab->used > 0);
  *static_cast<void**>(object) = slab->free_list;
  slab->free_list = object;
  --allocated_;
  if (slab->used-- == objects_per_slab_) {
    full_.remove(slab);
    partial_.append(slab);
  }
  if (slab->used != 0) return;
  partial_.remove(slab);
  if (spare_ == nullptr) {
    slab->free_list = nullptr;
    slab->carved = 0;
    spare_ = slab;
  } else {
    unmap_slab(slab);
  }
}

void SlabAllocator::free(void* object) {
  std::lock_guard lock(mutex_);
  free_locked(object);
}

void SlabAllocator::free(std::span<void* const> objects) {
  std::lock_guard lock(mutex_);
  for (void* object : objects) free_locked(object);
}

size_t SlabAllocator::mapped_bytes() const {
  std::lock_guard lock(mutex_);
  return slabs_ * kSlabBytes;
}

size_t SlabAllocator::allocated_objects() const {
  std::lock_guard lock(mutex_);
  return allocated_;
}

}  // namespace flowpath
