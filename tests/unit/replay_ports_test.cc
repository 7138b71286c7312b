// The replay benchmark's ports: the memory replay port copies frames
// byte-exact into pool buffers, loops over its frames, fills only the
// batch's free space and stops when the pool runs dry without losing its
// place; the null port counts what it is sent and gives the buffers back.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "memory_replay_port.h"
#include "null_port.h"
#include "packet/packet_pool.h"

namespace flowpath {
namespace {

using Bytes = std::vector<uint8_t>;

// A frame of `size` bytes whose every byte says which frame it is and where.
Bytes numbered_frame(uint8_t id, size_t size) {
  Bytes f(size);
  for (size_t i = 0; i < size; ++i) f[i] = static_cast<uint8_t>(id * 31 + i);
  return f;
}

Bytes frame_of(const Packet* p) { return Bytes(p->data(), p->data() + p->size()); }

void release_all(PacketBatch& batch) {
  for (Packet* p : batch) p->pool()->release(p);
  batch.clear();
}

TEST(MemoryReplayPortTest, CopiesFramesByteExactAndLoops) {
  const std::vector<Bytes> frames = {numbered_frame(1, 60), numbered_frame(2, 508),
                                     numbered_frame(3, 1514)};
  MemoryReplayPort port("replay", frames);
  port.set_port_no(7);
  PacketPool pool(64);
  PacketBatch batch;
  ASSERT_EQ(port.receive(pool, batch), PacketBatch::kMaxSize);
  ASSERT_EQ(batch.size(), PacketBatch::kMaxSize);
  for (size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(frame_of(batch[i]), frames[i % 3]) << "packet " << i;
    EXPECT_EQ(batch[i]->md.in_port, 7u);
    EXPECT_EQ(batch[i]->headroom(), Packet::kDefaultHeadroom);
  }
  VportStats s = port.stats();
  EXPECT_EQ(s.rx_packets, 32u);
  // 32 = 10 full passes (2082 bytes each) + frames 1 and 2.
  EXPECT_EQ(s.rx_bytes, 10u * 2082u + 60u + 508u);
  release_all(batch);

  // The next receive continues where the last stopped: packet 32 is frame 3.
  ASSERT_EQ(port.receive(pool, batch), 32u);
  EXPECT_EQ(frame_of(batch[0]), frames[2]);
  EXPECT_EQ(frame_of(batch[1]), frames[0]);
  release_all(batch);
  EXPECT_EQ(pool.available(), pool.count());
}

TEST(MemoryReplayPortTest, FillsOnlyTheBatchFreeSpace) {
  MemoryReplayPort port("replay", {numbered_frame(1, 60), numbered_frame(2, 64)});
  PacketPool pool(64);
  PacketBatch batch;
  for (int i = 0; i < 29; ++i) batch.add(pool.allocate());
  ASSERT_EQ(port.receive(pool, batch), 3u);
  EXPECT_EQ(batch.size(), 32u);
  EXPECT_EQ(frame_of(batch[29]), numbered_frame(1, 60));
  EXPECT_EQ(frame_of(batch[30]), numbered_frame(2, 64));
  EXPECT_EQ(frame_of(batch[31]), numbered_frame(1, 60));
  EXPECT_EQ(port.receive(pool, batch), 0u) << "a full batch takes nothing";
  EXPECT_EQ(pool.available(), 64u - 32u) << "no buffer taken for a full batch";
  release_all(batch);
}

TEST(MemoryReplayPortTest, StopsWhenThePoolRunsDryAndKeepsItsPlace) {
  MemoryReplayPort port("replay", {numbered_frame(1, 60), numbered_frame(2, 60),
                                   numbered_frame(3, 60)});
  PacketPool pool(4);
  PacketBatch batch;
  ASSERT_EQ(port.receive(pool, batch), 4u);
  EXPECT_EQ(pool.available(), 0u);
  PacketBatch more;
  EXPECT_EQ(port.receive(pool, more), 0u);
  EXPECT_TRUE(more.empty());
  EXPECT_EQ(port.stats().rx_packets, 4u);
  EXPECT_EQ(port.stats().rx_dropped, 0u) << "a dry pool loses no frame";
  release_all(batch);
  // Packets 0..3 were frames 1,2,3,1; the next is frame 2.
  ASSERT_EQ(port.receive(pool, more), 4u);
  EXPECT_EQ(frame_of(more[0]), numbered_frame(2, 60));
  release_all(more);
}

TEST(MemoryReplayPortTest, FrameLargerThanABufferIsDroppedAndCounted) {
  MemoryReplayPort port("replay", {numbered_frame(1, 60), numbered_frame(2, 300)});
  PacketPool pool(40, 256 + Packet::kDefaultHeadroom);
  PacketBatch batch;
  ASSERT_EQ(port.receive(pool, batch), 16u) << "half of 32 tries fit";
  for (Packet* p : batch) EXPECT_EQ(frame_of(p), numbered_frame(1, 60));
  EXPECT_EQ(port.stats().rx_dropped, 16u);
  release_all(batch);
  EXPECT_EQ(pool.available(), 40u);
}

TEST(MemoryReplayPortTest, EmptyPortReceivesNothing) {
  MemoryReplayPort port("replay", std::vector<Bytes>{});
  PacketPool pool(8);
  PacketBatch batch;
  EXPECT_EQ(port.receive(pool, batch), 0u);
  EXPECT_EQ(pool.available(), 8u);
}

// A classic little-endian pcap with microsecond timestamps, written by hand.
void write_pcap(const std::string& path, const std::vector<Bytes>& frames, uint32_t linktype,
                bool truncate_last) {
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  const uint32_t header[6] = {0xa1b2c3d4, 2 | (4u << 16), 0, 0, 65535, linktype};
  std::fwrite(header, sizeof header, 1, f);
  for (size_t i = 0; i < frames.size(); ++i) {
    const uint32_t len = static_cast<uint32_t>(frames[i].size());
    const uint32_t caplen = truncate_last && i + 1 == frames.size() ? len - 4 : len;
    const uint32_t record[4] = {static_cast<uint32_t>(i), 0, caplen, len};
    std::fwrite(record, sizeof record, 1, f);
    std::fwrite(frames[i].data(), 1, caplen, f);
  }
  std::fclose(f);
}

std::string temp_path(const char* name) {
  return testing::TempDir() + "/replay_ports_test_" + name + ".pcap";
}

TEST(MemoryReplayPortTest, LoadsACaptureFile) {
  const std::vector<Bytes> frames = {numbered_frame(4, 60), numbered_frame(5, 98)};
  const std::string path = temp_path("good");
  write_pcap(path, frames, 1, false);
  auto port = MemoryReplayPort::load("p", path);
  ASSERT_TRUE(port.ok()) << port.error();
  EXPECT_EQ((*port)->frame_count(), 2u);
  EXPECT_EQ((*port)->total_bytes(), 158u);
  PacketPool pool(64);
  PacketBatch batch;
  ASSERT_EQ((*port)->receive(pool, batch), 32u);
  EXPECT_EQ(frame_of(batch[0]), frames[0]);
  EXPECT_EQ(frame_of(batch[1]), frames[1]);
  release_all(batch);
}

TEST(MemoryReplayPortTest, RefusesTruncatedNonEthernetAndMissingFiles) {
  const std::string truncated = temp_path("truncated");
  write_pcap(truncated, {numbered_frame(1, 60), numbered_frame(2, 60)}, 1, true);
  auto a = MemoryReplayPort::load("p", truncated);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error(), "capture " + truncated + ": frame 2 is truncated (56 of 60 bytes captured)");

  const std::string raw_ip = temp_path("rawip");
  write_pcap(raw_ip, {numbered_frame(1, 60)}, 101, false);
  auto b = MemoryReplayPort::load("p", raw_ip);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error(), "capture " + raw_ip + " is not Ethernet (link type 12)");

  const std::string empty = temp_path("empty");
  write_pcap(empty, {}, 1, false);
  auto c = MemoryReplayPort::load("p", empty);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error(), "capture " + empty + " holds no frames");

  auto d = MemoryReplayPort::load("p", "/nonexistent/x.pcap");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().rfind("cannot open capture /nonexistent/x.pcap: ", 0), 0u) << d.error();
}

TEST(NullPortTest, CountsAndReleases) {
  PacketPool pool(16);
  NullPort port("null");
  PacketBatch batch;
  for (uint32_t size : {60u, 508u, 1514u}) {
    Packet* p = pool.allocate();
    ASSERT_NE(p, nullptr);
    p->put(size);
    batch.add(p);
  }
  EXPECT_EQ(pool.available(), 13u);
  EXPECT_EQ(port.send(batch), 3u);
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(pool.available(), 16u);
  VportStats s = port.stats();
  EXPECT_EQ(s.tx_packets, 3u);
  EXPECT_EQ(s.tx_bytes, 60u + 508u + 1514u);
  EXPECT_EQ(s.tx_dropped, 0u);

  EXPECT_EQ(port.send(batch), 0u) << "an empty batch";
  EXPECT_EQ(port.stats().tx_packets, 3u);
  EXPECT_EQ(port.receive(pool, batch), 0u);
}

TEST(ReplayToNullTest, EveryBufferComesBack) {
  MemoryReplayPort in("replay", {numbered_frame(1, 60), numbered_frame(2, 1514)});
  NullPort out("null");
  PacketPool pool(64);
  PacketBatch batch;
  for (int i = 0; i < 100; ++i) {
    batch.clear();
    ASSERT_EQ(in.receive(pool, batch), 32u);
    out.send(batch);
  }
  EXPECT_EQ(pool.available(), 64u);
  EXPECT_EQ(out.stats().tx_packets, 3200u);
  EXPECT_EQ(out.stats().tx_bytes, 1600u * (60u + 1514u));
  EXPECT_EQ(in.stats().rx_bytes, out.stats().tx_bytes);
}

}  // namespace
}  // namespace flowpath
