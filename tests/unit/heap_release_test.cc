// release_free_heap_memory(): the free pages of a fragmented thread arena go
// back to the system.
#include "common/heap_release.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

namespace flowpath {
namespace {

size_t resident_bytes() {
  FILE* file = std::fopen("/proc/self/statm", "r");
  unsigned long size = 0, resident = 0;
  if (file != nullptr) {
    if (std::fscanf(file, "%lu %lu", &size, &resident) != 2) resident = 0;
    std::fclose(file);
  }
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// A thread allocates 64 MB in 256-byte chunks, as a handler allocates ukeys
// during a storm, and frees all but one chunk in 256 (state that outlives
// the flows): its arena cannot shrink from the top, so the memory stays
// resident until it is released.
TEST(HeapRelease, FreePagesOfAFragmentedArenaGoBack) {
  constexpr size_t kChunk = 256, kChunks = 64 * 1024 * 1024 / kChunk, kKeepEvery = 256;
  std::vector<char*> kept;
  const size_t before = resident_bytes();
  std::thread([&] {
    std::vector<char*> chunks(kChunks);
    for (char*& chunk : chunks) {
      chunk = new char[kChunk];
      std::memset(chunk, 1, kChunk);
    }
    for (size_t i = 0; i < kChunks; ++i) {
      if (i % kKeepEvery == 0) kept.push_back(chunks[i]);
      else delete[] chunks[i];
    }
  }).join();
  const size_t fragmented = resident_bytes();
  ASSERT_GT(fragmented, before + 48 * 1024 * 1024)
      << "the arena was not left fragmented: the test proves nothing";

  EXPECT_TRUE(release_free_heap_memory());
  const size_t released = resident_bytes();
  // What is still in use is 256 KB: allow 8 MB for page granularity.
  EXPECT_LT(released, before + 8 * 1024 * 1024)
      << "before " << before / 1024 << " KB, fragmented " << fragmented / 1024
      << " KB, after release " << released / 1024 << " KB";
  for (char* chunk : kept) delete[] chunk;
}

}  // namespace
}  // namespace flowpath
