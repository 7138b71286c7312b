#include "common/page_memory.h"

#include <sys/mman.h>

#include <cassert>
#include <cstdint>
#include <cstring>
#include <new>

namespace flowpath {

namespace {

size_t round_to_pages(size_t bytes) { return (bytes + kPageBytes - 1) & ~(kPageBytes - 1); }

void* map_pages(size_t bytes) {
  void* memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) throw std::bad_alloc();
  return memory;
}

}  // namespace

void* allocate_zeroed(size_t bytes) {
  if (bytes >= kPageBytes) return map_pages(round_to_pages(bytes));
  void* memory = ::operator new(bytes == 0 ? 1 : bytes, std::align_val_t{64});
  std::memset(memory, 0, bytes);
  return memory;
}

void free_zeroed(void* memory, size_t bytes) {
  if (bytes >= kPageBytes) {
    unmap_pages(memory, round_to_pages(bytes));
  } else {
    ::operator delete(memory, std::align_val_t{64});
  }
}

void* map_aligned_pages(size_t bytes, size_t alignment) {
  assert(alignment >= kPageBytes && (alignment & (alignment - 1)) == 0 && bytes % alignment == 0);
  // Map enough to contain an aligned block, then give back the rest.
  const size_t span = bytes + alignment - kPageBytes;
  auto* base = static_cast<uint8_t*>(map_pages(span));
  const uintptr_t start = (reinterpret_cast<uintptr_t>(base) + alignment - 1) & ~(alignment - 1);
  auto* aligned = reinterpret_cast<uint8_t*>(start);
  if (aligned != base) munmap(base, static_cast<size_t>(aligned - base));
  const size_t tail = static_cast<size_t>(base + span - (aligned + bytes));
  if (tail != 0) munmap(aligned + bytes, tail);
  return aligned;
}

void unmap_pages(void* memory, size_t bytes) { munmap(memory, round_to_pages(bytes)); }

}  // namespace flowpath
