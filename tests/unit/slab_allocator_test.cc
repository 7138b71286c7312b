// SlabAllocator: objects of one size from 64 KiB slabs, unmapped when empty.
#include "common/slab_allocator.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

#include "common/page_memory.h"

namespace flowpath {
namespace {

TEST(SlabAllocator, ObjectsAlignedReusedAndSlabsUnmappedWhenEmpty) {
  SlabAllocator slabs(128);
  std::vector<void*> objects;
  const size_t per_slab = (SlabAllocator::kSlabBytes - SlabAllocator::kHeaderBytes) / 128;
  for (size_t i = 0; i < 10 * per_slab; ++i) {
    void* object = slabs.allocate();
    ASSERT_EQ(reinterpret_cast<uintptr_t>(object) % 64, 0u);
    std::memset(object, 0xab, 128);
    objects.push_back(object);
  }
  EXPECT_EQ(std::set<void*>(objects.begin(), objects.end()).size(), objects.size());
  EXPECT_EQ(slabs.mapped_bytes(), 10 * SlabAllocator::kSlabBytes);
  EXPECT_EQ(slabs.allocated_objects(), objects.size());
  // Free every other object: no slab empties.
  for (size_t i = 0; i < objects.size(); i += 2) slabs.free(objects[i]);
  EXPECT_EQ(slabs.mapped_bytes(), 10 * SlabAllocator::kSlabBytes);
  // Freed objects are reused before any new slab is mapped.
  for (size_t i = 0; i < objects.size(); i += 2) objects[i] = slabs.allocate();
  EXPECT_EQ(slabs.mapped_bytes(), 10 * SlabAllocator::kSlabBytes);
  // Free all: one empty slab is kept, the rest unmapped.
  slabs.free(std::span<void* const>(objects));
  EXPECT_EQ(slabs.allocated_objects(), 0u);
  EXPECT_EQ(slabs.mapped_bytes(), SlabAllocator::kSlabBytes);
  void* again = slabs.allocate();
  EXPECT_EQ(slabs.mapped_bytes(), SlabAllocator::kSlabBytes);
  slabs.free(again);
}

TEST(SlabAllocator, SixteenByteObjects) {
  SlabAllocator slabs(16);
  std::vector<void*> objects;
  for (int i = 0; i < 10000; ++i) {
    void* object = slabs.allocate();
    ASSERT_EQ(reinterpret_cast<uintptr_t>(object) % 16, 0u);
    std::memset(object, i & 0xff, 16);
    objects.push_back(object);
  }
  for (int i = 0; i < 10000; ++i)
    ASSERT_EQ(static_cast<uint8_t*>(objects[i])[15], i & 0xff) << "objects overlap";
  slabs.free(std::span<void* const>(objects));
  EXPECT_EQ(slabs.mapped_bytes(), SlabAllocator::kSlabBytes);
}

TEST(PageMemory, ZeroedAndAligned) {
  for (size_t bytes : {size_t{1}, size_t{64}, size_t{4095}, size_t{4096}, size_t{100000}}) {
    auto* memory = static_cast<uint8_t*>(allocate_zeroed(bytes));
    ASSERT_EQ(reinterpret_cast<uintptr_t>(memory) % 64, 0u);
    for (size_t i = 0; i < bytes; ++i) ASSERT_EQ(memory[i], 0) << bytes << " " << i;
    std::memset(memory, 0xff, bytes);
    free_zeroed(memory, bytes);
  }
  void* aligned = map_aligned_pages(3 * SlabAllocator::kSlabBytes, SlabAllocator::kSlabBytes);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(aligned) % SlabAllocator::kSlabBytes, 0u);
  std::memset(aligned, 1, 3 * SlabAllocator::kSlabBytes);
  unmap_pages(aligned, 3 * SlabAllocator::kSlabBytes);
}

}  // namespace
}  // namespace flowpath
