// Megaflow table under concurrency: lookups, statistics and dumps racing
// inserts, deletes and modifications. Run also under -DFLOWPATH_SANITIZE=ON:
// a reader touching a freed flow is an AddressSanitizer error.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "megaflow_test_helpers.h"
#include "table/megaflow_table.h"
#include "table/rcu_hash_index.h"

namespace flowpath {
namespace {

using namespace megaflow_test;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

TEST(MegaflowTableConcurrencyTest, StatisticsFromManyThreads) {
  MegaflowTable table;
  Ufid ufid = ufid_of(add(table, make_match({}, {}), 1));
  constexpr int kThreads = 4;
  constexpr int kRecords = 100000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRecords; ++i) {
        rcu::ReadSection read;
        Megaflow* flow = table.lookup(make_key({})).flow;
        flow->record(1, 100, 1000 + static_cast<uint64_t>(i), static_cast<uint16_t>(1 << t));
      }
    });
  }
  for (auto& t : threads) t.join();
  rcu::ReadSection read;
  MegaflowStats stats = table.get(ufid)->stats();
  EXPECT_EQ(stats.packets, uint64_t{kThreads} * kRecords);
  EXPECT_EQ(stats.bytes, uint64_t{kThreads} * kRecords * 100);
  EXPECT_EQ(stats.tcp_flags, 0x0f);
  EXPECT_GE(stats.used_ms, 1000u + kRecords - 100);
  EXPECT_LE(stats.used_ms, 1000u + kRecords - 1);
  EXPECT_GT(table.get(ufid)->created_ms(), 0u);
  EXPECT_LE(table.get(ufid)->created_ms(), monotonic_ms());
}

TEST(MegaflowTableConcurrencyTest, DumpWhileAnotherThreadInsertsAndDeletes) {
  MegaflowTable table;
  constexpr uint32_t kStable = 500;
  constexpr uint32_t kChurn = 500;
  auto stable_match = [](uint32_t i) { return make_match({.ip_dst = i}, {.dst_prefix = 32}); };
  auto churn_match = [](uint32_t i) {
    return make_match({.in_port = 2 + i % 2, .ip_dst = 100000 + i},
                      {.dst_prefix = 32, .proto = (i % 2) == 1});
  };
  for (uint32_t i = 0; i < kStable; ++i) ASSERT_TRUE(add(table, stable_match(i), i).ok());

  std::atomic<bool> stop{false};
  std::thread churn([&] {
    std::mt19937 rng(5);
    std::vector<bool> present(kChurn, false);
    while (!stop.load(std::memory_order_relaxed)) {
      uint32_t i = rng() % kChurn;
      if (present[i]) {
        ASSERT_TRUE(table.remove(churn_match(i)).ok());
      } else {
        ASSERT_TRUE(add(table, churn_match(i), 100000 + i).ok());
      }
      present[i] = !present[i];
    }
  });

  auto deadline = steady_clock::now() + milliseconds(700);
  int dumps = 0;
  while (steady_clock::now() < deadline) {
    std::map<uint32_t, int> stable_seen;
    std::set<const Megaflow*> seen_in_section;
    MegaflowDumpCursor cursor;
    while (!cursor.done) {
      rcu::ReadSection read;
      Megaflow* out[16];
      size_t n = table.dump(&cursor, out);
      for (size_t i = 0; i < n; ++i) {
        uint32_t port = output_port(out[i]->actions());
        if (port < kStable) {
          ++stable_seen[port];
          EXPECT_EQ(out[i]->match(), stable_match(port));
        } else {
          ASSERT_GE(port, 100000u);
          ASSERT_LT(port, 100000u + kChurn);
          EXPECT_EQ(out[i]->match(), churn_match(port - 100000));
        }
      }
    }
    ASSERT_EQ(stable_seen.size(), kStable) << "dump " << dumps;
    for (const auto& [port, times] : stable_seen) ASSERT_EQ(times, 1) << port;
    ++dumps;
  }
  stop = true;
  churn.join();
  EXPECT_GT(dumps, 5);
}

// Readers keep looking up flows that a writer deletes, re-adds and modifies;
// every flow a reader gets must be intact (ASan flags any freed one).
TEST(MegaflowTableConcurrencyTest, LookupsWhileFlowsAreDeletedAndReadded) {
  MegaflowTable table;
  constexpr uint32_t kFlows = 64;
  auto match_of = [](uint32_t i) {
    const MaskSpec specs[] = {{.dst_prefix = 32},
                              {.dst_prefix = 32, .proto = true},
                              {.src_prefix = 24, .dst_prefix = 32},
                              {.dst_prefix = 32, .tp_dst = true}};
    return make_match({.in_port = i % 4, .ip_dst = i}, specs[i % 4]);
  };
  for (uint32_t i = 0; i < kFlows; ++i) ASSERT_TRUE(add(table, match_of(i), i).ok());

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> lookups{0}, hits{0}, bad{0};
  auto reader = [&](int seed) {
    std::mt19937 rng(seed);
    const FlowKey* keys[32];
    FlowKey storage[32];
    Megaflow* flows[32];
    while (!stop.load(std::memory_order_relaxed)) {
      rcu::ReadSection read;
      for (int k = 0; k < 32; ++k) {
        uint32_t i = rng() % kFlows;
        storage[k] = make_key({.in_port = i % 4, .ip_dst = i});
        keys[k] = &storage[k];
        Megaflow* flow = table.lookup(storage[k]).flow;
        if (flow == nullptr) continue;
        hits.fetch_add(1, std::memory_order_relaxed);
        uint32_t port = output_port(flow->actions());
        if (!(flow->match() == match_of(i)) || (port != i && port != i + 1000)) bad++;
        flow->record(1, 64, 1, 0);
      }
      uint64_t hit_map = table.lookup_batch(keys, 32, flows);
      for (int k = 0; k < 32; ++k) {
        if (!(hit_map >> k & 1)) continue;
        if (!match_equal(flows[k]->match(), storage[k])) bad++;
      }
      lookups.fetch_add(64, std::memory_order_relaxed);
    }
  };
  std::thread r1(reader, 1), r2(reader, 2);

  std::mt19937 rng(9);
  uint64_t changes = 0;
  auto deadline = steady_clock::now() + milliseconds(1000);
  while (steady_clock::now() < deadline) {
    uint32_t i = rng() % kFlows;
    switch (rng() % 3) {
      case 0:  // delete and re-add
        ASSERT_TRUE(table.remove(match_of(i)).ok());
        ASSERT_TRUE(add(table, match_of(i), i).ok());
        break;
      case 1:  // delete by UFID, re-add
        ASSERT_TRUE(table.remove(Ufid::from_match(match_of(i))).ok());
        ASSERT_TRUE(add(table, match_of(i), i).ok());
        break;
      default:  // swap actions
        ASSERT_TRUE(add(table, match_of(i), changes % 2 ? i : i + 1000, PutMode::kModify).ok());
    }
    ++changes;
  }
  stop = true;
  r1.join();
  r2.join();
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_GT(hits.load(), 1000u);
  EXPECT_GT(changes, 1000u);
  EXPECT_EQ(table.count(), kFlows);
  std::printf("  %llu lookups, %llu hits, %llu table changes\n",
              static_cast<unsigned long long>(lookups.load()),
              static_cast<unsigned long long>(hits.load()),
              static_cast<unsigned long long>(changes));
}

// Once remove() has returned, no later lookup on any thread may return the
// flow. Each flow is added, removed, then announced; readers look up what was
// announced and must miss (the keys are never reused).
TEST(MegaflowTableConcurrencyTest, NoLookupReturnsAFlowAfterRemoveReturned) {
  MegaflowTable table;
  auto match_of = [](uint32_t i) {
    // Rotate masks so subtables are created and dropped too.
    const MaskSpec specs[] = {{.dst_prefix = 32},
                              {.dst_prefix = 32, .proto = true},
                              {.eth_type = false, .dst_prefix = 32}};
    return make_match({.in_port = i % 3, .ip_dst = i}, specs[i % 3]);
  };
  // A few permanent flows keep the table non-trivial.
  for (uint32_t i = 1u << 30; i < (1u << 30) + 50; ++i)
    ASSERT_TRUE(add(table, match_of(i), 1).ok());

  std::atomic<uint32_t> removed_upto{0};  // flows [0, removed_upto) are gone
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> checks{0}, violations{0};
  auto reader = [&](int seed) {
    std::mt19937 rng(seed);
    while (!stop.load(std::memory_order_relaxed)) {
      uint32_t upto = removed_upto.load(std::memory_order_acquire);
      if (upto == 0) continue;
      rcu::ReadSection read;
      uint32_t ids[2] = {upto - 1, static_cast<uint32_t>(rng() % upto)};
      FlowKey keys[2];
      for (int k = 0; k < 2; ++k) {
        keys[k] = make_key({.in_port = ids[k] % 3, .ip_dst = ids[k]});
        if (table.lookup(keys[k]).flow != nullptr) violations++;
        if (table.get(Ufid::from_match(match_of(ids[k]))) != nullptr) violations++;
      }
      Megaflow* flows[2];
      if (table.lookup_batch(std::span<const FlowKey>(keys, 2), flows) != 0) violations++;
      checks.fetch_add(2, std::memory_order_relaxed);
    }
  };
  std::thread r1(reader, 1), r2(reader, 2);
  uint32_t i = 0;
  auto deadline = steady_clock::now() + milliseconds(1000);
  while (steady_clock::now() < deadline) {
    ASSERT_TRUE(add(table, match_of(i), i).ok());
    ASSERT_TRUE(table.remove(match_of(i)).ok());
    ++i;
    removed_upto.store(i, std::memory_order_release);
  }
  stop = true;
  r1.join();
  r2.join();
  EXPECT_EQ(violations.load(), 0u);
  EXPECT_GT(checks.load(), 1000u);
  EXPECT_GT(i, 1000u);
}

// Nodes that stay in the index are always found while others come and go
// around them: a node moved to its other bucket to make room is there before
// it leaves its home.
TEST(RcuHashIndexConcurrencyTest, StableNodesAreNeverMissedWhileOthersMoveThemAround) {
  struct Node {
    uint32_t id;
  };
  // 1024 buckets hold up to 85 % of 5,120 nodes; 3,000 stable nodes and
  // about 1,000 others keep the index near that, where inserts often find
  // both buckets full (about 13,000 moves in this run).
  RcuHashIndex<Node> index(85);
  constexpr uint32_t kStable = 3000, kChurn = 2000;
  std::vector<Node> nodes(kStable + kChurn);
  auto hash_of = [](uint32_t id) { return (id * 2654435761u) ^ (id >> 3); };
  for (uint32_t i = 0; i < kStable + kChurn; ++i) nodes[i].id = i;
  for (uint32_t i = 0; i < kStable; ++i) index.insert(&nodes[i], hash_of(i));
  std::atomic<bool> done{false};
  std::atomic<uint64_t> misses{0}, rounds{0};
  std::thread reader([&] {
    while (!done.load(std::memory_order_acquire)) {
      rcu::ReadSection read;
      auto view = index.view();
      for (uint32_t i = 0; i < kStable; ++i) {
        if (view.find(hash_of(i), [&](Node* n) { return n->id == i; }) != &nodes[i])
          misses.fetch_add(1, std::memory_order_relaxed);
      }
      rounds.fetch_add(1, std::memory_order_relaxed);
    }
  });
  std::mt19937 rng(5);
  std::vector<bool> present(kChurn, false);
  const auto deadline = steady_clock::now() + milliseconds(1500);
  while (steady_clock::now() < deadline || rounds.load() < 20) {
    for (int step = 0; step < 1000; ++step) {
      const uint32_t c = rng() % kChurn;
      Node* node = &nodes[kStable + c];
      if (present[c]) {
        ASSERT_TRUE(index.remove(node, hash_of(node->id)));
      } else {
        index.insert(node, hash_of(node->id));
      }
      present[c] = !present[c];
    }
  }
  done.store(true, std::memory_order_release);
  reader.join();
  EXPECT_EQ(misses.load(), 0u) << "in " << rounds.load() << " rounds";
}

}  // namespace
}  // namespace flowpath
