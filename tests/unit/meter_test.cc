#include "actions/meter.h"

#include <gtest/gtest.h>

#include <vector>

#include "packet/packet_pool.h"

namespace flowpath {
namespace {

constexpr uint64_t kMillisecond = 1'000'000;
constexpr uint64_t kSecond = 1'000'000'000;

MeterConfig kbps(uint32_t rate, uint32_t burst) {
  return MeterConfig{false, {MeterBandConfig{MeterBandType::kDrop, rate, burst}}};
}
MeterConfig pps(uint32_t rate, uint32_t burst) {
  return MeterConfig{true, {MeterBandConfig{MeterBandType::kDrop, rate, burst}}};
}

class MeterTest : public ::testing::Test {
 protected:
  PacketPool pool{64, 2048 + Packet::kDefaultHeadroom};
  ManualMeterClock clock{5 * kSecond};
  MeterTable meters{&clock};

  void TearDown() override {
    for (PacketBatch& b : batches_)
      for (Packet* p : b) pool.release(p);
    EXPECT_EQ(pool.available(), pool.count());
  }

  // A batch of `n` packets of `size` bytes each (kept until the test ends).
  const PacketBatch& batch(size_t n, uint32_t size = 100) {
    batches_.emplace_back();
    std::vector<uint8_t> frame(size, 0xab);
    for (size_t i = 0; i < n; ++i) {
      Packet* p = pool.allocate();
      p->assign(frame.data(), size);
      batches_.back().add(p);
    }
    return batches_.back();
  }
  // How many of `n` packets of `size` bytes pass meter `id` now.
  int passing(uint32_t id, size_t n, uint32_t size = 100) {
    return __builtin_popcount(meters.execute(id, batch(n, size)));
  }

 private:
  std::vector<PacketBatch> batches_;
};

TEST_F(MeterTest, KbpsBucketStartsFullAndRefillsWithTime) {
  // 1000 kbps = 1000 bits per ms; burst 8 kbit = ten 100-byte packets.
  ASSERT_TRUE(meters.set(1, kbps(1000, 8)).ok());
  EXPECT_EQ(meters.execute(1, batch(11)), 0x3ffu);  // the first ten pass, in order
  clock.advance_ns(kMillisecond);                   // +1000 bits: one more 800-bit packet
  EXPECT_EQ(passing(1, 2), 1);
  clock.advance_ns(kMillisecond / 2);  // 200 left + 500 = 700 < 800
  EXPECT_EQ(passing(1, 1), 0);
  clock.advance_ns(kMillisecond / 10);  // +100 = 800
  EXPECT_EQ(passing(1, 1), 1);
}

TEST_F(MeterTest, KbpsCostDependsOnPacketSize) {
  ASSERT_TRUE(meters.set(1, kbps(1000, 8)).ok());  // 8000 bits
  EXPECT_EQ(passing(1, 3, 1000), 1);               // 8000 bits each: only the first
  clock.advance_ns(8 * kMillisecond);
  EXPECT_EQ(passing(1, 20, 50), 20);  // 400 bits each: 8000 bits pay for 20
}

TEST_F(MeterTest, PpsRefillHasNanosecondPrecision) {
  ASSERT_TRUE(meters.set(2, pps(1000, 1)).ok());  // one packet per ms, burst 1
  EXPECT_EQ(passing(2, 2), 1);
  clock.advance_ns(kMillisecond - 1);
  EXPECT_EQ(passing(2, 1), 0);
  clock.advance_ns(1);
  EXPECT_EQ(passing(2, 1), 1);
}

TEST_F(MeterTest, BucketNeverHoldsMoreThanTheBurst) {
  ASSERT_TRUE(meters.set(3, pps(10, 3)).ok());
  clock.advance_ns(10 * kSecond);
  EXPECT_EQ(passing(3, 10), 3);
}

TEST_F(MeterTest, BurstZeroMeansTheRate) {
  ASSERT_TRUE(meters.set(3, pps(5, 0)).ok());
  EXPECT_EQ(passing(3, 8), 5);
}

TEST_F(MeterTest, ExceededBandIsTheOneWithTheHighestRate) {
  MeterConfig config{true,
                     {MeterBandConfig{MeterBandType::kDrop, 10, 1},
                      MeterBandConfig{MeterBandType::kDrop, 100, 2}}};
  ASSERT_TRUE(meters.set(4, config).ok());
  // p0 pays both; p1 pays band 1 only (exceeds band 0); p2, p3 exceed both
  // and are charged to band 1, the higher rate.
  EXPECT_EQ(meters.execute(4, batch(4)), 0b0001u);
  auto stats = meters.stats(4);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->packets, 4u);
  EXPECT_EQ(stats->bytes, 400u);
  ASSERT_EQ(stats->bands.size(), 2u);
  EXPECT_EQ(stats->bands[0].packets, 1u);
  EXPECT_EQ(stats->bands[1].packets, 2u);
  EXPECT_EQ(stats->bands[1].bytes, 200u);
}

TEST_F(MeterTest, UnknownMeterPassesEverything) {
  EXPECT_EQ(meters.execute(77, batch(5)), 0x1fu);
  EXPECT_EQ(meters.execute(MeterTable::kMaxMeters + 5, batch(32)), 0xffffffffu);
}

TEST_F(MeterTest, ReplacingRefillsAndRemovingForgets) {
  ASSERT_TRUE(meters.set(1, pps(1, 1)).ok());
  EXPECT_EQ(passing(1, 2), 1);
  ASSERT_TRUE(meters.set(1, pps(1, 2)).ok());
  EXPECT_EQ(passing(1, 3), 2);
  EXPECT_EQ(meters.stats(1)->packets, 3u);  // stats restarted with the new config
  ASSERT_TRUE(meters.remove(1).ok());
  EXPECT_FALSE(meters.contains(1));
  EXPECT_EQ(passing(1, 3), 3);
}

TEST_F(MeterTest, BadConfigurationsAreRefusedWithReasons) {
  auto out_of_range = meters.set(MeterTable::kMaxMeters, pps(1, 1));
  ASSERT_FALSE(out_of_range.ok());
  EXPECT_EQ(out_of_range.error(), "meter 65536: id out of range (max 65535)");
  auto zero_rate = meters.set(9, pps(0, 1));
  ASSERT_FALSE(zero_rate.ok());
  EXPECT_EQ(zero_rate.error(), "meter 9 band 0: rate must be greater than 0");
  MeterConfig many{true,
                   std::vector<MeterBandConfig>(9, MeterBandConfig{MeterBandType::kDrop, 1, 1})};
  auto too_many = meters.set(9, many);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error(), "meter 9: 9 bands, at most 8 allowed");
  EXPECT_FALSE(meters.contains(9));
  auto missing = meters.remove(9);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), "meter 9: no such meter");
  EXPECT_FALSE(meters.stats(9).ok());
}

TEST_F(MeterTest, ClockGoingBackwardsAddsNothing) {
  ASSERT_TRUE(meters.set(1, pps(1000, 1)).ok());
  EXPECT_EQ(passing(1, 1), 1);
  clock.set_ns(1 * kSecond);  // earlier than the meter's creation
  EXPECT_EQ(passing(1, 1), 0);
  clock.set_ns(5 * kSecond + kMillisecond);
  EXPECT_EQ(passing(1, 1), 1);
}

TEST_F(MeterTest, ExtremeRatesDoNotOverflow) {
  ASSERT_TRUE(meters.set(1, kbps(UINT32_MAX, UINT32_MAX)).ok());
  clock.advance_ns(UINT64_MAX / 4);
  EXPECT_EQ(passing(1, 32, 2000), 32);
  ASSERT_TRUE(meters.set(2, pps(1, 1)).ok());
  clock.advance_ns(UINT64_MAX / 4);
  EXPECT_EQ(passing(2, 32), 1);
}

TEST(MeterTableDefaultClock, UsesSteadyTime) {
  PacketPool pool(4);
  MeterTable meters;
  ASSERT_TRUE(meters.set(1, MeterConfig{true, {MeterBandConfig{MeterBandType::kDrop, 1, 2}}}).ok());
  PacketBatch batch;
  for (int i = 0; i < 3; ++i) batch.add(pool.allocate());
  EXPECT_EQ(meters.execute(1, batch), 0b011u);
  for (Packet* p : batch) pool.release(p);
}

}  // namespace
}  // namespace flowpath
