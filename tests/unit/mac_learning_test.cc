// MacLearningTable: learning, moves, aging, LRU eviction, flushing, seq()
// and concurrent use.
#include <atomic>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ofproto/mac_learning.h"

namespace flowpath::ofproto {
namespace {

using LearnResult = MacLearningTable::LearnResult;
using ::testing::ElementsAre;
using ::testing::Optional;

// 02:00:00:00:HH:LL: locally administered unicast.
EthAddr mac(uint16_t n) { return EthAddr{{0x02, 0x00, 0x00, 0x00, uint8_t(n >> 8), uint8_t(n)}}; }

constexpr uint64_t kSecond = 1000;

std::vector<uint16_t> macs_in_order(const MacLearningTable& table, uint64_t now_ms) {
  std::vector<uint16_t> out;
  for (const auto& e : table.entries(now_ms)) {
    out.push_back(uint16_t(e.mac.bytes[4] << 8 | e.mac.bytes[5]));
  }
  return out;
}

TEST(MacLearningTest, LearnsAndLooksUpPerVlan) {
  MacLearningTable table;
  EXPECT_EQ(table.lookup(mac(1), 0, 0), std::nullopt);
  EXPECT_EQ(table.learn(mac(1), 10, 3, 0), LearnResult::kLearned);
  EXPECT_THAT(table.lookup(mac(1), 10, 5), Optional(3u));
  EXPECT_EQ(table.lookup(mac(1), 0, 5), std::nullopt);   // other VLAN
  EXPECT_EQ(table.lookup(mac(1), 11, 5), std::nullopt);
  EXPECT_EQ(table.lookup(mac(2), 10, 5), std::nullopt);  // other MAC
  EXPECT_EQ(table.learn(mac(1), 0, 4, 1), LearnResult::kLearned);
  EXPECT_THAT(table.lookup(mac(1), 0, 5), Optional(4u));
  EXPECT_THAT(table.lookup(mac(1), 10, 5), Optional(3u));
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(table.stats().learned, 2u);
}

TEST(MacLearningTest, DistinguishesEveryVlanBitAndMacByte) {
  MacLearningTable table;
  EthAddr a{{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}};
  EXPECT_EQ(table.learn(a, 4095, 1, 0), LearnResult::kLearned);
  for (int byte = 0; byte < kEthAddrLen; ++byte) {
    EthAddr other = a;
    other.bytes[byte] ^= 0x02;
    EXPECT_EQ(table.lookup(other, 4095, 0), std::nullopt) << byte;
  }
  EXPECT_EQ(table.lookup(a, 4094, 0), std::nullopt);
  EXPECT_EQ(table.lookup(a, 2047, 0), std::nullopt);
  EXPECT_THAT(table.lookup(a, 4095, 0), Optional(1u));
  auto entries = table.entries(0);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].mac, a);
  EXPECT_EQ(entries[0].vlan, 4095);
  EXPECT_EQ(entries[0].port, 1u);
}

TEST(MacLearningTest, RefreshAndMove) {
  MacLearningTable table;
  ASSERT_EQ(table.learn(mac(1), 0, 1, 0), LearnResult::kLearned);
  EXPECT_EQ(table.learn(mac(1), 0, 1, 10), LearnResult::kRefreshed);
  EXPECT_EQ(table.learn(mac(1), 0, 2, 20), LearnResult::kMoved);
  EXPECT_THAT(table.lookup(mac(1), 0, 20), Optional(2u));
  EXPECT_EQ(table.learn(mac(1), 0, 2, 30), LearnResult::kRefreshed);
  EXPECT_EQ(table.size(), 1u);
  auto stats = table.stats();
  EXPECT_EQ(stats.learned, 1u);
  EXPECT_EQ(stats.moved, 1u);
}

TEST(MacLearningTest, IgnoresMulticastSources) {
  MacLearningTable table;
  EthAddr group{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}};
  EthAddr broadcast{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
  const uint64_t seq = table.seq();
  EXPECT_EQ(table.learn(group, 0, 1, 0), LearnResult::kRefreshed);
  EXPECT_EQ(table.learn(broadcast, 0, 1, 0), LearnResult::kRefreshed);
  EXPECT_EQ(table.lookup(group, 0, 0), std::nullopt);
  EXPECT_EQ(table.lookup(broadcast, 0, 0), std::nullopt);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.seq(), seq);
  EXPECT_EQ(table.stats().learned, 0u);
}

TEST(MacLearningTest, EntriesAgeOutAfterTheAgingTime) {
  MacLearningTable table(16, 10);
  table.learn(mac(1), 0, 1, 0);
  table.learn(mac(2), 0, 2, 4 * kSecond);
  EXPECT_THAT(table.lookup(mac(1), 0, 10 * kSecond - 1), Optional(1u));
  EXPECT_EQ(table.lookup(mac(1), 0, 10 * kSecond), std::nullopt);
  EXPECT_THAT(table.lookup(mac(2), 0, 10 * kSecond), Optional(2u));
  // lookup() hides the entry but leaves it for expire().
  EXPECT_EQ(table.size(), 2u);
  EXPECT_THAT(macs_in_order(table, 10 * kSecond), ElementsAre(2));

  const uint64_t seq = table.seq();
  EXPECT_EQ(table.expire(10 * kSecond - 1), 0u);
  EXPECT_EQ(table.seq(), seq);
  EXPECT_EQ(table.expire(10 * kSecond), 1u);
  EXPECT_NE(table.seq(), seq);
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.stats().expired, 1u);
  EXPECT_EQ(table.expire(14 * kSecond), 1u);
  EXPECT_EQ(table.size(), 0u);
}

TEST(MacLearningTest, RefreshRestartsTheAgingClock) {
  MacLearningTable table(16, 10);
  table.learn(mac(1), 0, 1, 0);
  table.learn(mac(1), 0, 1, 8 * kSecond);
  EXPECT_THAT(table.lookup(mac(1), 0, 17 * kSecond), Optional(1u));
  EXPECT_EQ(table.expire(17 * kSecond), 0u);
  EXPECT_EQ(table.lookup(mac(1), 0, 18 * kSecond), std::nullopt);
}

TEST(MacLearningTest, RelearningAnAgedEntryIsANewDecision) {
  MacLearningTable table(16, 10);
  table.learn(mac(1), 0, 1, 0);
  const uint64_t seq = table.seq();
  // Not yet expired, but invisible: seeing it again changes forwarding.
  EXPECT_EQ(table.learn(mac(1), 0, 1, 20 * kSecond), LearnResult::kLearned);
  EXPECT_NE(table.seq(), seq);
  EXPECT_THAT(table.lookup(mac(1), 0, 20 * kSecond), Optional(1u));
  EXPECT_EQ(table.stats().moved, 0u);
}

TEST(MacLearningTest, EntriesReportsMostRecentFirstWithAges) {
  MacLearningTable table;
  table.learn(mac(1), 0, 1, 100);
  table.learn(mac(2), 5, 2, 200);
  table.learn(mac(3), 0, 3, 300);
  table.learn(mac(1), 0, 1, 400);  // refresh moves it to the front
  auto entries = table.entries(1000);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].mac, mac(1));
  EXPECT_EQ(entries[0].age_ms, 600u);
  EXPECT_EQ(entries[1].mac, mac(3));
  EXPECT_EQ(entries[1].age_ms, 700u);
  EXPECT_EQ(entries[2].mac, mac(2));
  EXPECT_EQ(entries[2].vlan, 5);
  EXPECT_EQ(entries[2].port, 2u);
  EXPECT_EQ(entries[2].age_ms, 800u);
}

TEST(MacLearningTest, EvictsTheLeastRecentlyUsed) {
  MacLearningTable table(3, 300);
  table.learn(mac(1), 0, 1, 0);
  table.learn(mac(2), 0, 1, 1);
  table.learn(mac(3), 0, 1, 2);
  const uint64_t seq = table.seq();
  EXPECT_EQ(table.learn(mac(4), 0, 1, 3), LearnResult::kLearned);
  EXPECT_NE(table.seq(), seq);
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.lookup(mac(1), 0, 3), std::nullopt);
  EXPECT_THAT(macs_in_order(table, 3), ElementsAre(4, 3, 2));
  EXPECT_EQ(table.stats().evicted, 1u);
  table.learn(mac(5), 0, 1, 4);
  EXPECT_THAT(macs_in_order(table, 4), ElementsAre(5, 4, 3));
  EXPECT_EQ(table.stats().evicted, 2u);
}

TEST(MacLearningTest, LearningRefreshesTheLruPosition) {
  MacLearningTable table(3, 300);
  table.learn(mac(1), 0, 1, 0);
  table.learn(mac(2), 0, 1, 1);
  table.learn(mac(3), 0, 1, 2);
  EXPECT_EQ(table.learn(mac(1), 0, 1, 3), LearnResult::kRefreshed);  // 2 is now the oldest
  EXPECT_EQ(table.learn(mac(2), 0, 7, 4), LearnResult::kMoved);      // and now 3
  table.learn(mac(4), 0, 1, 5);
  EXPECT_EQ(table.lookup(mac(3), 0, 5), std::nullopt);
  EXPECT_THAT(macs_in_order(table, 5), ElementsAre(4, 2, 1));
  // lookup() does not count as use.
  EXPECT_THAT(table.lookup(mac(1), 0, 6), Optional(1u));
  table.learn(mac(5), 0, 1, 7);
  EXPECT_EQ(table.lookup(mac(1), 0, 7), std::nullopt);
}

TEST(MacLearningTest, EvictingAnAgedEntryCountsAsExpiry) {
  MacLearningTable table(2, 10);
  table.learn(mac(1), 0, 1, 0);
  table.learn(mac(2), 0, 1, 5 * kSecond);
  table.learn(mac(3), 0, 1, 12 * kSecond);
  EXPECT_EQ(table.stats().expired, 1u);
  EXPECT_EQ(table.stats().evicted, 0u);
  EXPECT_THAT(macs_in_order(table, 12 * kSecond), ElementsAre(3, 2));
}

TEST(MacLearningTest, FlushPortRemovesOnlyThatPort) {
  MacLearningTable table;
  table.learn(mac(1), 0, 1, 0);
  table.learn(mac(2), 0, 2, 0);
  table.learn(mac(3), 7, 1, 0);
  table.learn(mac(4), 0, 3, 0);
  uint64_t seq = table.seq();
  EXPECT_EQ(table.flush_port(1), 2u);
  EXPECT_NE(table.seq(), seq);
  EXPECT_EQ(table.lookup(mac(1), 0, 0), std::nullopt);
  EXPECT_EQ(table.lookup(mac(3), 7, 0), std::nullopt);
  EXPECT_THAT(table.lookup(mac(2), 0, 0), Optional(2u));
  EXPECT_THAT(table.lookup(mac(4), 0, 0), Optional(3u));
  seq = table.seq();
  EXPECT_EQ(table.flush_port(1), 0u);
  EXPECT_EQ(table.seq(), seq);
  // The removed entries are gone from the LRU too: new ones fill the space.
  table.learn(mac(1), 0, 9, 1);
  EXPECT_THAT(macs_in_order(table, 1), ElementsAre(1, 4, 2));
}

TEST(MacLearningTest, FlushEmptiesTheTable) {
  MacLearningTable table;
  uint64_t seq = table.seq();
  table.flush();
  EXPECT_EQ(table.seq(), seq);  // nothing could change
  table.learn(mac(1), 0, 1, 0);
  table.learn(mac(2), 0, 2, 0);
  seq = table.seq();
  table.flush();
  EXPECT_NE(table.seq(), seq);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.lookup(mac(1), 0, 0), std::nullopt);
  EXPECT_TRUE(table.entries(0).empty());
  EXPECT_EQ(table.learn(mac(1), 0, 1, 1), LearnResult::kLearned);
}

TEST(MacLearningTest, ShrinkingEvictsTheOldest) {
  MacLearningTable table(8, 300);
  for (uint16_t i = 1; i <= 6; ++i) table.learn(mac(i), 0, i, i);
  uint64_t seq = table.seq();
  table.set_max_entries(8);
  EXPECT_EQ(table.seq(), seq);
  table.set_max_entries(4);
  EXPECT_NE(table.seq(), seq);
  EXPECT_EQ(table.max_entries(), 4u);
  EXPECT_THAT(macs_in_order(table, 6), ElementsAre(6, 5, 4, 3));
  EXPECT_EQ(table.stats().evicted, 2u);
  table.learn(mac(7), 0, 7, 7);
  EXPECT_THAT(macs_in_order(table, 7), ElementsAre(7, 6, 5, 4));
  table.set_max_entries(0);  // raised to the smallest usable size
  EXPECT_EQ(table.max_entries(), 1u);
  EXPECT_THAT(macs_in_order(table, 7), ElementsAre(7));
}

TEST(MacLearningTest, ChangingTheAgingTime) {
  MacLearningTable table(16, 300);
  table.learn(mac(1), 0, 1, 0);
  uint64_t seq = table.seq();
  table.set_aging_seconds(300);
  EXPECT_EQ(table.seq(), seq);
  table.set_aging_seconds(5);
  EXPECT_NE(table.seq(), seq);
  EXPECT_EQ(table.aging_seconds(), 5u);
  EXPECT_EQ(table.lookup(mac(1), 0, 5 * kSecond), std::nullopt);
  table.set_aging_seconds(600);
  EXPECT_THAT(table.lookup(mac(1), 0, 5 * kSecond), Optional(1u));
  table.set_aging_seconds(0);
  EXPECT_EQ(table.aging_seconds(), 1u);
}

TEST(MacLearningTest, SeqChangesExactlyWhenForwardingCould) {
  MacLearningTable table(16, 10);
  uint64_t seq = table.seq();
  auto changed = [&] {
    uint64_t now = table.seq();
    bool result = now != seq;
    seq = now;
    return result;
  };
  table.learn(mac(1), 0, 1, 0);
  EXPECT_TRUE(changed()) << "learned";
  table.learn(mac(1), 0, 1, 1);
  EXPECT_FALSE(changed()) << "refreshed";
  (void)table.lookup(mac(1), 0, 2);
  (void)table.entries(2);
  (void)table.stats();
  EXPECT_FALSE(changed()) << "read";
  table.learn(mac(1), 0, 2, 3);
  EXPECT_TRUE(changed()) << "moved";
  table.learn(mac(1), 1, 2, 3);
  EXPECT_TRUE(changed()) << "same MAC, new VLAN";
  EXPECT_EQ(table.expire(5), 0u);
  EXPECT_FALSE(changed()) << "nothing expired";
  EXPECT_EQ(table.expire(20 * kSecond), 2u);
  EXPECT_TRUE(changed()) << "expired";
}

TEST(MacLearningTest, TimestampsFromASlowerClockStayOrdered) {
  // A thread that read the clock before another may take the lock after it.
  MacLearningTable table(16, 10);
  table.learn(mac(1), 0, 1, 5 * kSecond);
  table.learn(mac(2), 0, 2, 4 * kSecond);
  EXPECT_THAT(macs_in_order(table, 5 * kSecond), ElementsAre(2, 1));
  // Both age from the newest stamp, so expiry from the back removes both.
  EXPECT_EQ(table.expire(15 * kSecond), 2u);
  // A lookup with a clock behind the stamp sees a fresh entry.
  table.learn(mac(3), 0, 3, 20 * kSecond);
  EXPECT_THAT(table.lookup(mac(3), 0, 19 * kSecond), Optional(3u));
  EXPECT_EQ(table.entries(19 * kSecond).at(0).age_ms, 0u);
}

TEST(MacLearningTest, TwoThreadsLearnAndAgeConcurrently) {
  constexpr uint16_t kMacs = 2000;
  MacLearningTable table(1024, 1);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> clock{0};
  std::thread ager([&] {
    while (!stop.load()) {
      const uint64_t now = clock.load();
      table.expire(now);
      for (const auto& e : table.entries(now)) ASSERT_LT(e.age_ms, kSecond);
      (void)table.lookup(mac(5), 0, now);
    }
  });
  for (int round = 0; round < 20; ++round) {
    for (uint16_t i = 0; i < kMacs; ++i) {
      const uint64_t now = clock.fetch_add(1) + 1;
      table.learn(mac(i), uint16_t(i % 3), i % 7, now);
      ASSERT_LE(table.size(), 1024u);
    }
  }
  stop = true;
  ager.join();
  const uint64_t now = clock.load();
  auto entries = table.entries(now);
  EXPECT_LE(entries.size(), 1000u);  // one second of 1 ms steps
  for (size_t i = 1; i < entries.size(); ++i) EXPECT_GE(entries[i].age_ms, entries[i - 1].age_ms);
  for (const auto& e : entries) {
    EXPECT_THAT(table.lookup(e.mac, e.vlan, now), Optional(e.port));
  }
  auto stats = table.stats();
  EXPECT_EQ(stats.learned, stats.expired + stats.evicted + table.size());
}

}  // namespace
}  // namespace flowpath::ofproto
