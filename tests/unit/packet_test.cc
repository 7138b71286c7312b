// Packet buffers, the pool they live in, and batches.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <numeric>
#include <set>
#include <vector>

#include "packet/packet_batch.h"
#include "packet/packet_pool.h"

namespace flowpath {
namespace {

std::vector<uint8_t> sequence(size_t n, uint8_t first = 0) {
  std::vector<uint8_t> v(n);
  std::iota(v.begin(), v.end(), first);
  return v;
}

// ------------------------------------------------------------ pool

TEST(PacketPool, RoundsBufferSizeToCacheLines) {
  PacketPool pool(2, 1000);
  EXPECT_EQ(pool.buffer_size(), 1024u);
  EXPECT_EQ(pool.count(), 2u);
  EXPECT_EQ(pool.available(), 2u);
}

TEST(PacketPool, AllocatesUntilExhaustedThenReuses) {
  PacketPool pool(4);
  std::set<Packet*> seen;
  for (int i = 0; i < 4; ++i) {
    Packet* p = pool.allocate();
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(seen.insert(p).second) << "a packet was handed out twice";
    EXPECT_EQ(p->pool(), &pool);
    EXPECT_EQ(pool.available(), 3u - i);
  }
  EXPECT_EQ(pool.allocate(), nullptr);
  EXPECT_EQ(pool.available(), 0u);

  Packet* back = *seen.begin();
  pool.release(back);
  EXPECT_EQ(pool.available(), 1u);
  EXPECT_EQ(pool.allocate(), back);
  EXPECT_EQ(pool.allocate(), nullptr);
}

TEST(PacketPool, AllocationResetsEverything) {
  PacketPool pool(1);
  Packet* p = pool.allocate();
  auto frame = sequence(100);
  ASSERT_TRUE(p->assign(frame.data(), 100));
  p->pull(10);
  p->l3_offset = 4;
  p->l4_offset = 24;
  p->l2_5_offset = 0;
  p->md.in_port = 9;
  p->md.tunnel.ipv4_dst = 1;
  p->md.ct_label[3] = 7;
  p->rss_hash = 1234;
  pool.release(p);

  p = pool.allocate();
  EXPECT_EQ(p->size(), 0u);
  EXPECT_EQ(p->headroom(), Packet::kDefaultHeadroom);
  EXPECT_EQ(p->tailroom(), pool.buffer_size() - Packet::kDefaultHeadroom);
  EXPECT_EQ(p->l2_5_offset, Packet::kNoOffset);
  EXPECT_EQ(p->l3_offset, Packet::kNoOffset);
  EXPECT_EQ(p->l4_offset, Packet::kNoOffset);
  EXPECT_EQ(p->l3(), nullptr);
  EXPECT_EQ(p->l4(), nullptr);
  PacketMetadata zero{};
  EXPECT_EQ(std::memcmp(&p->md, &zero, sizeof zero), 0);
  EXPECT_EQ(p->rss_hash, 0u);
}

TEST(PacketPool, BulkAllocationStopsWhenEmpty) {
  PacketPool pool(5);
  std::array<Packet*, 3> first{};
  EXPECT_EQ(pool.allocate_bulk(first), 3u);
  std::array<Packet*, 4> second{};
  EXPECT_EQ(pool.allocate_bulk(second), 2u);
  EXPECT_EQ(pool.available(), 0u);
  std::set<Packet*> all(first.begin(), first.end());
  all.insert(second[0]);
  all.insert(second[1]);
  EXPECT_EQ(all.size(), 5u);
  EXPECT_EQ(pool.allocate_bulk(std::span<Packet*>(second)), 0u);
  for (Packet* p : all) pool.release(p);
  EXPECT_EQ(pool.available(), 5u);
}

TEST(PacketPool, BuffersDoNotOverlap) {
  PacketPool pool(3, 256);
  std::vector<Packet*> packets;
  for (int i = 0; i < 3; ++i) {
    Packet* p = pool.allocate();
    uint8_t* bytes = p->put(p->tailroom());
    std::memset(bytes, 0x10 + i, p->size());
    p->push(p->headroom());
    std::memset(p->data(), 0x10 + i, Packet::kDefaultHeadroom);
    packets.push_back(p);
  }
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(packets[i]->size(), 256u);
    for (uint32_t b = 0; b < packets[i]->size(); ++b) {
      ASSERT_EQ(packets[i]->data()[b], 0x10 + i) << "packet " << i << " byte " << b;
    }
  }
}

TEST(PacketPool, CloneCopiesFrameOffsetsMetadataAndOptions) {
  PacketPool pool(2);
  Packet* p = pool.allocate();
  auto frame = sequence(80, 3);
  ASSERT_TRUE(p->assign(frame.data(), 80));
  std::memcpy(p->push(4), "\xaa\xbb\xcc\xdd", 4);  // a pushed header
  p->l2_5_offset = 18;
  p->l3_offset = 22;
  p->l4_offset = 42;
  p->md.in_port = 5;
  p->md.recirc_id = 6;
  p->md.tunnel.ipv4_dst = 0x01020304;
  p->md.tunnel.geneve_length = 8;
  std::memcpy(p->geneve_options, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
  p->rss_hash = 77;

  Packet* c = pool.clone(*p);
  ASSERT_NE(c, nullptr);
  ASSERT_NE(c, p);
  EXPECT_EQ(c->size(), 84u);
  EXPECT_EQ(c->headroom(), p->headroom());
  EXPECT_EQ(std::memcmp(c->data(), p->data(), 84), 0);
  EXPECT_EQ(c->l2_5_offset, 18);
  EXPECT_EQ(c->l3_offset, 22);
  EXPECT_EQ(c->l4_offset, 42);
  EXPECT_EQ(std::memcmp(&c->md, &p->md, sizeof p->md), 0);
  EXPECT_EQ(std::memcmp(c->geneve_options, p->geneve_options, 8), 0);
  EXPECT_EQ(c->rss_hash, 77u);

  // The copy is independent of the original.
  c->data()[0] ^= 0xff;
  EXPECT_NE(c->data()[0], p->data()[0]);

  EXPECT_EQ(pool.clone(*p), nullptr) << "the pool is exhausted";
}

TEST(PacketPool, CloneIntoSmallerBuffersFailsWithoutLeaking) {
  PacketPool big(1, 4096);
  PacketPool small(1, 512);
  Packet* p = big.allocate();
  std::vector<uint8_t> frame(1500, 0xaa);
  ASSERT_TRUE(p->assign(frame.data(), 1500));
  EXPECT_EQ(small.clone(*p), nullptr);
  EXPECT_EQ(small.available(), 1u);

  p->truncate(100);
  Packet* c = small.clone(*p);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->size(), 100u);
  EXPECT_EQ(c->pool(), &small);
}

// ------------------------------------------------------------ size classes

TEST(PacketPoolClasses, AllocateBySizeTakesTheFirstClassThatFits) {
  PacketPool pool(4, PacketPool::kStandardBufferSize, 2);
  ASSERT_NE(pool.larger(), nullptr);
  EXPECT_EQ(pool.frame_capacity(), PacketPool::kStandardFrameSize);
  EXPECT_EQ(pool.larger()->frame_capacity(), PacketPool::kLargeFrameSize);
  EXPECT_EQ(pool.max_frame_size(), PacketPool::kLargeFrameSize);
  EXPECT_GE(PacketPool::kLargeFrameSize, 65535u + 14 + 8) << "an IP packet of 64 KiB, two tags";

  Packet* small = pool.allocate(60);
  Packet* edge = pool.allocate(PacketPool::kStandardFrameSize);
  Packet* jumbo = pool.allocate(9014);
  Packet* largest = pool.allocate(PacketPool::kLargeFrameSize);
  ASSERT_TRUE(small && edge && jumbo && largest);
  EXPECT_EQ(small->pool(), &pool);
  EXPECT_EQ(edge->pool(), &pool);
  EXPECT_EQ(jumbo->pool(), pool.larger());
  EXPECT_EQ(largest->pool(), pool.larger());
  EXPECT_EQ(jumbo->headroom(), Packet::kDefaultHeadroom);
  EXPECT_EQ(jumbo->tailroom(), PacketPool::kLargeFrameSize);
  EXPECT_EQ(pool.allocate(PacketPool::kLargeFrameSize + 1), nullptr) << "no class holds it";
  EXPECT_EQ(pool.allocate(9014), nullptr) << "the large class is exhausted";
  EXPECT_EQ(pool.available(), 2u) << "which leaves the standard class alone";

  // A packet goes back to its own class, whichever pool of the chain is asked.
  pool.release(jumbo);
  EXPECT_EQ(pool.larger()->available(), 1u);
  EXPECT_EQ(pool.available(), 2u);
  largest->pool()->release(largest);
  pool.release(small);
  edge->pool()->release(edge);
  EXPECT_EQ(pool.available(), 4u);
  EXPECT_EQ(pool.larger()->available(), 2u);
}

TEST(PacketPoolClasses, WithoutALargeClassTheStandardIsTheLimit) {
  PacketPool pool(2);
  EXPECT_EQ(pool.larger(), nullptr);
  EXPECT_EQ(pool.max_frame_size(), PacketPool::kStandardFrameSize);
  EXPECT_EQ(pool.allocate(PacketPool::kStandardFrameSize + 1), nullptr);
  EXPECT_EQ(pool.available(), 2u);
}

TEST(PacketPoolClasses, ClonesComeFromTheClassThatFitsThem) {
  PacketPool pool(4, PacketPool::kStandardBufferSize, 2);
  Packet* jumbo = pool.allocate(9014);
  auto frame = sequence(9014, 1);
  ASSERT_TRUE(jumbo->assign(frame.data(), 9014));
  Packet* copy = pool.clone(*jumbo);
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ(copy->pool(), pool.larger());
  EXPECT_EQ(std::memcmp(copy->data(), frame.data(), 9014), 0);
  EXPECT_EQ(pool.clone(*jumbo), nullptr) << "the large class is exhausted";
  EXPECT_EQ(pool.available(), 4u);

  // Cut down to 2,000 bytes behind 7,206 bytes of headroom, the frame fits
  // a standard buffer again, with the default headroom.
  jumbo->pull(7014);
  Packet* small_copy = pool.clone(*jumbo);
  ASSERT_NE(small_copy, nullptr);
  EXPECT_EQ(small_copy->pool(), &pool);
  EXPECT_EQ(small_copy->headroom(), Packet::kDefaultHeadroom);
  EXPECT_EQ(small_copy->size(), 2000u);
  EXPECT_EQ(std::memcmp(small_copy->data(), frame.data() + 7014, 2000), 0);
}

TEST(PacketPoolClasses, LargeBuffersCostMemoryOnlyOnceUsed) {
  PacketPool pool(4, PacketPool::kStandardBufferSize, 64);
  const long page = ::sysconf(_SC_PAGESIZE);
  auto resident = [page](const uint8_t* address) {
    auto start = reinterpret_cast<uintptr_t>(address) & ~static_cast<uintptr_t>(page - 1);
    unsigned char state = 0;
    EXPECT_EQ(::mincore(reinterpret_cast<void*>(start), static_cast<size_t>(page), &state), 0);
    return (state & 1) != 0;
  };
  Packet* p = pool.allocate(9014);
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(resident(p->data() + 4096)) << "allocating writes no buffer byte";
  std::memset(p->put(9014), 0x5a, 9014);
  EXPECT_TRUE(resident(p->data() + 4096));
  EXPECT_FALSE(resident(p->data() + 32768)) << "past the frame, nothing was touched";
  pool.release(p);
}

// ------------------------------------------------------------ packet

TEST(Packet, PushPullPutAndTruncateMoveTheFrame) {
  PacketPool pool(1, 512);
  Packet* p = pool.allocate();
  uint8_t* start = p->data();
  uint8_t* tail = p->put(10);
  EXPECT_EQ(tail, start);
  EXPECT_EQ(p->size(), 10u);
  std::memcpy(tail, "0123456789", 10);

  uint8_t* front = p->push(4);
  EXPECT_EQ(front, start - 4);
  EXPECT_EQ(p->data(), front);
  EXPECT_EQ(p->size(), 14u);
  EXPECT_EQ(p->headroom(), Packet::kDefaultHeadroom - 4);
  EXPECT_EQ(std::memcmp(p->data() + 4, "0123456789", 10), 0);

  p->pull(6);
  EXPECT_EQ(p->size(), 8u);
  EXPECT_EQ(std::memcmp(p->data(), "23456789", 8), 0);

  uint8_t* more = p->put(2);
  EXPECT_EQ(more, p->data() + 8);
  EXPECT_EQ(p->size(), 10u);
  EXPECT_EQ(p->headroom() + p->size() + p->tailroom(), p->capacity());

  p->truncate(20);  // longer than the frame: no change
  EXPECT_EQ(p->size(), 10u);
  p->truncate(3);
  EXPECT_EQ(p->size(), 3u);
  p->pull(3);
  EXPECT_EQ(p->size(), 0u);
}

TEST(Packet, PushAndPullShiftOnlyPresentOffsets) {
  PacketPool pool(1);
  Packet* p = pool.allocate();
  p->put(100);
  p->l3_offset = 14;
  p->l4_offset = 34;
  p->push(8);
  EXPECT_EQ(p->l2_5_offset, Packet::kNoOffset);
  EXPECT_EQ(p->l3_offset, 22);
  EXPECT_EQ(p->l4_offset, 42);
  EXPECT_EQ(p->l3(), p->data() + 22);
  EXPECT_EQ(p->l4(), p->data() + 42);
  p->pull(18);
  EXPECT_EQ(p->l3_offset, 4);
  EXPECT_EQ(p->l4_offset, 24);
  EXPECT_EQ(p->l2_5_offset, Packet::kNoOffset);
  p->l2_5_offset = 0;
  p->push(4);
  EXPECT_EQ(p->l2_5_offset, 4);
  p->reset_offsets();
  EXPECT_EQ(p->l3(), nullptr);
  p->push(2);
  EXPECT_EQ(p->l3_offset, Packet::kNoOffset);
}

TEST(Packet, AssignCopiesWithDefaultHeadroomOrRefuses) {
  PacketPool pool(1, 512);
  Packet* p = pool.allocate();
  p->put(5);
  p->l3_offset = 1;
  auto frame = sequence(300);
  ASSERT_TRUE(p->assign(frame.data(), 300));
  EXPECT_EQ(p->headroom(), Packet::kDefaultHeadroom);
  EXPECT_EQ(p->size(), 300u);
  EXPECT_EQ(p->l3_offset, Packet::kNoOffset);
  EXPECT_EQ(std::memcmp(p->data(), frame.data(), 300), 0);

  auto big = sequence(512 - Packet::kDefaultHeadroom + 1);
  EXPECT_FALSE(p->assign(big.data(), uint32_t(big.size())));
  EXPECT_EQ(p->size(), 300u) << "a refused assign leaves the frame";
  EXPECT_TRUE(p->assign(big.data(), uint32_t(big.size() - 1)));
  EXPECT_EQ(p->tailroom(), 0u);
}

TEST(Packet, ResetMetadataKeepsOnlyThePort) {
  PacketPool pool(1);
  Packet* p = pool.allocate();
  p->md.ct_state = 3;
  p->md.tunnel.tun_id = 99;
  p->md.packet_type = hton32(0x10800);
  p->reset_metadata(42);
  PacketMetadata expected{};
  expected.in_port = 42;
  EXPECT_EQ(std::memcmp(&p->md, &expected, sizeof expected), 0);
}

TEST(Packet, TunnelPresenceFollowsTheOuterDestination) {
  TunnelMetadata t{};
  EXPECT_FALSE(t.present());
  t.tun_id = 5;
  t.ipv4_src = 1;
  EXPECT_FALSE(t.present());
  t.ipv4_dst = 2;
  EXPECT_TRUE(t.present());
  t.ipv4_dst = 0;
  t.ipv6_dst[15] = 1;
  EXPECT_TRUE(t.present());
}

// ------------------------------------------------------------ batch

TEST(PacketBatch, FillsToThirtyTwoThenRefuses) {
  PacketPool pool(PacketBatch::kMaxSize + 1);
  PacketBatch batch;
  EXPECT_TRUE(batch.empty());
  std::vector<Packet*> added;
  for (size_t i = 0; i < PacketBatch::kMaxSize; ++i) {
    Packet* p = pool.allocate();
    ASSERT_TRUE(batch.add(p));
    added.push_back(p);
  }
  EXPECT_TRUE(batch.full());
  EXPECT_FALSE(batch.add(pool.allocate()));
  EXPECT_EQ(batch.size(), PacketBatch::kMaxSize);

  size_t i = 0;
  for (Packet* p : batch) EXPECT_EQ(p, added[i++]);
  EXPECT_EQ(i, PacketBatch::kMaxSize);
  EXPECT_EQ(batch[5], added[5]);

  batch.clear();
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(batch.begin(), batch.end());
}

TEST(PacketBatch, ResizeAfterWritingThroughData) {
  PacketPool pool(3);
  PacketBatch batch;
  size_t n = pool.allocate_bulk(std::span<Packet*>(batch.data(), 3));
  ASSERT_EQ(n, 3u);
  batch.resize(n);
  EXPECT_EQ(batch.size(), 3u);
  EXPECT_NE(batch[2], nullptr);
  EXPECT_EQ(batch.end() - batch.begin(), 3);
}

}  // namespace
}  // namespace flowpath
