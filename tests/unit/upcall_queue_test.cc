#include "datapath/upcall_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "packet/packet_pool.h"

namespace flowpath {
namespace {

using std::chrono::milliseconds;

class UpcallQueueTest : public ::testing::Test {
 protected:
  // Enqueues one miss from `port` whose frame's first byte is `tag`; nullopt
  // when queued, else why it was refused.
  std::optional<DropReason> enqueue_from(UpcallQueue& q, uint32_t port, uint8_t tag) {
    Packet* p = pool_.allocate();
    uint8_t frame[60] = {tag};
    p->assign(frame, sizeof frame);
    p->reset_metadata(port);
    FlowKey key;
    key.clear();
    key.md.in_port = port;
    uint8_t attrs[8] = {8, 0, 3, 0, static_cast<uint8_t>(port), 0, 0, 0};
    auto refused = q.enqueue(UpcallType::kMiss, {p->data(), p->size()}, key, attrs);
    pool_.release(p);
    return refused;
  }
  PacketPool pool_{4};
};

TEST_F(UpcallQueueTest, CopiesPacketKeyAndPort) {
  UpcallQueue q(4);
  q.add_port(3);
  ASSERT_EQ(enqueue_from(q, 3, 0xab), std::nullopt);
  std::vector<Upcall> out(8);
  ASSERT_EQ(q.dequeue(out, 8, milliseconds(0)), 1u);
  EXPECT_EQ(out[0].type, UpcallType::kMiss);
  EXPECT_EQ(out[0].in_port, 3u);
  EXPECT_EQ(out[0].key.md.in_port, 3u);
  ASSERT_EQ(out[0].packet.size(), 60u);
  EXPECT_EQ(out[0].packet[0], 0xab);
  ASSERT_EQ(out[0].key_attrs.size(), 8u);
  EXPECT_EQ(out[0].key_attrs[4], 3);
  EXPECT_EQ(q.queued(), 0u);
}

TEST_F(UpcallQueueTest, OverflowIsRefusedAsQueueFull) {
  UpcallQueue q(4);
  q.add_port(1);
  int full = 0;
  for (int i = 0; i < 10; ++i)
    full += enqueue_from(q, 1, static_cast<uint8_t>(i)) == DropReason::kUpcallQueueFull;
  EXPECT_EQ(q.queued(), 4u);
  EXPECT_EQ(full, 6);
  std::vector<Upcall> out(16);
  ASSERT_EQ(q.dequeue(out, 16, milliseconds(0)), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(out[i].packet[0], i) << "FIFO order within a port";
}

TEST_F(UpcallQueueTest, UnknownPortIsRefusedAsNoPort) {
  UpcallQueue q(4);
  EXPECT_EQ(enqueue_from(q, 7, 0), DropReason::kUpcallNoPort);
  EXPECT_EQ(enqueue_from(q, UpcallQueue::kMaxPorts + 1, 0), DropReason::kUpcallNoPort);
}

TEST_F(UpcallQueueTest, WithoutAReceiverOrOverTheRateTheReasonSaysSo) {
  UpcallQueue q(2);
  q.add_port(1);
  q.set_receiver_attached(false);
  EXPECT_EQ(enqueue_from(q, 1, 0), DropReason::kUpcallNoHandler) << "even with room";
  q.set_receiver_attached(true);
  EXPECT_EQ(enqueue_from(q, 1, 0), std::nullopt);
  EXPECT_EQ(enqueue_from(q, 1, 0), std::nullopt);
  EXPECT_EQ(enqueue_from(q, 1, 0), DropReason::kUpcallQueueFull);
  std::vector<Upcall> out(2);
  ASSERT_EQ(q.dequeue(out, 2, milliseconds(0)), 2u);
  // 10 per second: a burst of one (100 ms worth), then refused before the
  // ring is looked at, although it has room.
  q.set_rate_limit(10);
  EXPECT_EQ(q.rate_limit(), 10u);
  EXPECT_EQ(enqueue_from(q, 1, 0), std::nullopt);
  EXPECT_EQ(enqueue_from(q, 1, 0), DropReason::kUpcallRateLimited);
  q.set_rate_limit(0);
  EXPECT_EQ(enqueue_from(q, 1, 0), std::nullopt);
  EXPECT_EQ(enqueue_from(q, 1, 0), DropReason::kUpcallQueueFull);
}

TEST(UpcallRateLimiterTest, AdmitsTheRateWithATenthOfASecondOfBurst) {
  UpcallRateLimiter limiter;
  EXPECT_TRUE(limiter.admit(1)) << "unlimited by default";
  limiter.set_rate(1000);  // one per ms, bursts of 100
  const uint64_t t0 = 5'000'000'000;
  int admitted = 0;
  for (int i = 0; i < 1000; ++i) admitted += limiter.admit(t0);
  EXPECT_EQ(admitted, 100) << "a full bucket holds 100 ms worth";
  EXPECT_FALSE(limiter.admit(t0 + 500'000)) << "half an interval later: still empty";
  EXPECT_TRUE(limiter.admit(t0 + 1'000'000)) << "one interval later: one more";
  EXPECT_FALSE(limiter.admit(t0 + 1'000'000));
  // Over one second at the rate, sent at ten times it: 1000 (+ the burst).
  admitted = 0;
  for (uint64_t t = t0 + 2'000'000; t < t0 + 1'002'000'000; t += 100'000) admitted += limiter.admit(t);
  EXPECT_GE(admitted, 1000);
  EXPECT_LE(admitted, 1000 + 100);
  // Idle for a while: the bucket refills to the burst, no more.
  admitted = 0;
  for (int i = 0; i < 1000; ++i) admitted += limiter.admit(t0 + 10'000'000'000);
  EXPECT_EQ(admitted, 100);
}

TEST_F(UpcallQueueTest, AHandlerLeavingUpcallsBehindWakesTheNext) {
  // Two handlers asleep; a burst wakes one (the queue was empty), which
  // takes a batch of 4 and must wake the other for the rest rather than
  // leave it asleep until its timeout.
  UpcallQueue q(64);
  q.add_port(1);
  std::vector<Upcall> a(4), b(4);
  std::atomic<size_t> got_a{0}, got_b{0};
  auto start = std::chrono::steady_clock::now();
  std::thread ta([&] { got_a = q.dequeue(a, 4, milliseconds(10000)); });
  std::thread tb([&] { got_b = q.dequeue(b, 4, milliseconds(10000)); });
  std::this_thread::sleep_for(milliseconds(50));
  for (int i = 0; i < 8; ++i) enqueue_from(q, 1, static_cast<uint8_t>(i));
  ta.join();
  tb.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_GE(got_a.load(), 1u);
  EXPECT_GE(got_b.load(), 1u);
}

TEST_F(UpcallQueueTest, AFloodingPortDoesNotStarveOthers) {
  UpcallQueue q(64);
  q.add_port(1);
  q.add_port(2);
  q.add_port(3);
  int refused[4] = {};
  for (int i = 0; i < 1000; ++i) refused[1] += enqueue_from(q, 1, 1).has_value();  // 64 queued
  for (int i = 0; i < 5; ++i) refused[2] += enqueue_from(q, 2, 2).has_value();
  for (int i = 0; i < 5; ++i) refused[3] += enqueue_from(q, 3, 3).has_value();
  EXPECT_EQ(refused[1], 936);
  EXPECT_EQ(refused[2], 0);
  EXPECT_EQ(refused[3], 0);
  // One handler batch of 16 must already carry every quiet port's upcall.
  std::vector<Upcall> out(16);
  ASSERT_EQ(q.dequeue(out, 16, milliseconds(0)), 16u);
  int from[4] = {};
  for (const Upcall& u : out) ++from[u.in_port];
  EXPECT_EQ(from[2], 5);
  EXPECT_EQ(from[3], 5);
  EXPECT_EQ(from[1], 6);
}

// Upcall::sequence orders upcalls as they were queued, over ports and
// queues (every datapath's), whatever order handlers dequeue them in.
TEST_F(UpcallQueueTest, SequenceOrdersUpcallsAsQueuedOverPortsAndQueues) {
  UpcallQueue a(8), b(8);
  a.add_port(1);
  a.add_port(2);
  b.add_port(1);
  ASSERT_EQ(enqueue_from(a, 1, 10), std::nullopt);
  ASSERT_EQ(enqueue_from(b, 1, 11), std::nullopt);
  ASSERT_EQ(enqueue_from(a, 2, 12), std::nullopt);
  ASSERT_EQ(enqueue_from(a, 1, 13), std::nullopt);
  std::vector<Upcall> out_a(8), out_b(8);
  ASSERT_EQ(a.dequeue(out_a, 8, milliseconds(0)), 3u);
  ASSERT_EQ(b.dequeue(out_b, 8, milliseconds(0)), 1u);
  uint64_t by_tag[14] = {};
  for (int i = 0; i < 3; ++i) by_tag[out_a[i].packet[0]] = out_a[i].sequence;
  by_tag[out_b[0].packet[0]] = out_b[0].sequence;
  EXPECT_GT(by_tag[10], 0u);
  EXPECT_LT(by_tag[10], by_tag[11]);
  EXPECT_LT(by_tag[11], by_tag[12]);
  EXPECT_LT(by_tag[12], by_tag[13]);
}

TEST_F(UpcallQueueTest, RemovePortDropsItsUpcalls) {
  UpcallQueue q(8);
  q.add_port(1);
  q.add_port(2);
  enqueue_from(q, 1, 0);
  enqueue_from(q, 2, 0);
  q.remove_port(1);
  EXPECT_EQ(q.queued(), 1u);
  EXPECT_EQ(enqueue_from(q, 1, 0), DropReason::kUpcallNoPort);
  std::vector<Upcall> out(4);
  ASSERT_EQ(q.dequeue(out, 4, milliseconds(0)), 1u);
  EXPECT_EQ(out[0].in_port, 2u);
  q.add_port(1);
  EXPECT_EQ(enqueue_from(q, 1, 0), std::nullopt);
}

TEST_F(UpcallQueueTest, HandlerWakesOnEnqueueFromAnotherThread) {
  UpcallQueue q(8);
  q.add_port(1);
  std::vector<Upcall> out(4);
  std::thread producer([&] {
    std::this_thread::sleep_for(milliseconds(20));
    PacketPool pool(1);
    Packet* p = pool.allocate();
    uint8_t frame[14] = {};
    p->assign(frame, sizeof frame);
    p->reset_metadata(1);
    FlowKey key;
    key.clear();
    key.md.in_port = 1;
    q.enqueue(UpcallType::kAction, {p->data(), p->size()}, key, {});
    pool.release(p);
  });
  auto start = std::chrono::steady_clock::now();
  size_t n = q.dequeue(out, 4, milliseconds(5000));
  producer.join();
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(out[0].type, UpcallType::kAction);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(4000));
}

TEST_F(UpcallQueueTest, TimesOutWhenEmpty) {
  UpcallQueue q(8);
  std::vector<Upcall> out(4);
  EXPECT_EQ(q.dequeue(out, 4, milliseconds(10)), 0u);
}

}  // namespace
}  // namespace flowpath
