// SlabAllocator: objects of one size, carved from 64 KiB slabs that the
// allocator maps itself and unmaps as soon as they hold no object (keeping at
// most one empty slab, so an object allocated and freed at a slab boundary
// does not map and unmap every time).
//
// Why not malloc: a flow table allocates hundreds of thousands of objects of
// a few sizes and frees them in bulk when the flows expire. glibc keeps freed
// chunks of that size in its heap, so the process stays at its high-water
// mark; here memory returns whole slabs at a time, and allocation is a
// pointer pop with no per-object header.
//
// Objects start 64 bytes into a slab and follow each other, so an object
// size that is a multiple of 64 gives cache-line-aligned objects (a multiple
// of 16: 16-byte alignment). Thread-safe: one mutex, so frees may come from
// an RCU callback thread while a writer allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>

namespace flowpath {

class SlabAllocator {
 public:
  static constexpr size_t kSlabBytes = 64 * 1024;
  static constexpr size_t kHeaderBytes = 64;
  static constexpr size_t kMaxObjectBytes = (kSlabBytes - kHeaderBytes) / 8;

  // `object_bytes`: a multiple of 16, at most kMaxObjectBytes.
  explicit SlabAllocator(uint32_t object_bytes);
  // Unmaps every slab; objects still allocated are gone with them.
  ~SlabAllocator();
  SlabAllocator(const SlabAllocator&) = delete;
  SlabAllocator& operator=(const SlabAllocator&) = delete;

  uint32_t object_bytes() const { return object_bytes_; }

  // An uninitialised object; throws std::bad_alloc if no slab can be mapped.
  void* allocate();
  // Gives back objects this allocator returned.
  void free(void* object);
  void free(std::span<void* const> objects);

  // Bytes of slabs mapped, and objects allocated.
  size_t mapped_bytes() const;
  size_t allocated_objects() const;

 private:
  struct Slab;
  struct SlabList {
    Slab* head = nullptr;
    Slab* tail = nullptr;
    void remove(Slab* slab);
    void append(Slab* slab);
  };

  Slab* map_slab();
  void unmap_slab(Slab* slab);
  void free_locked(void* object);

  const uint32_t object_bytes_;
  const uint32_t objects_per_slab_;
  mutable std::mutex mutex_;
  // Every slab is in exactly one place: partial_ (room left, allocations
  // come from its head), full_, or spare_ (empty).
  SlabList partial_;
  SlabList full_;
  Slab* spare_ = nullptr;
  size_t slabs_ = 0;
  size_t allocated_ = 0;
};

}  // namespace flowpath
