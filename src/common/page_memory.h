// Memory that goes back to the system when it is freed.
//
// glibc keeps freed small and medium chunks in its heap (and raises its mmap
// threshold each time a large mmapped chunk is freed, so later large arrays
// land in the heap too): after a table of 200,000 flows empties, the process
// keeps most of what the flows took. Whole pages taken with mmap and given
// back with munmap do not have that problem. These helpers give zeroed
// memory: mapped pages for anything of a page or more, the heap below that.
#pragma once

#include <cstddef>

namespace flowpath {

inline constexpr size_t kPageBytes = 4096;

// `bytes` of zeroed memory, aligned to 64 bytes (to a page when mapped).
// Throws std::bad_alloc when the system refuses, as operator new does.
void* allocate_zeroed(size_t bytes);
// Frees what allocate_zeroed(bytes) returned (the same `bytes`).
void free_zeroed(void* memory, size_t bytes);

// `bytes` (a multiple of `alignment`, itself a power of two of at least a
// page) of zeroed pages aligned to `alignment`; throws std::bad_alloc.
void* map_aligned_pages(size_t bytes, size_t alignment);
void unmap_pages(void* memory, size_t bytes);

}  // namespace flowpath
