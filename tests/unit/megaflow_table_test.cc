#include "table/megaflow_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "megaflow_test_helpers.h"
#include "table/rcu_hash_index.h"
#include "table/subtable.h"

namespace flowpath {
namespace {

using namespace megaflow_test;

// --------------------------------------------------------------------- Ufid

TEST(UfidTest, PrintsAsOvsDoes) {
  Ufid ufid{{0x01234567, 0x89abcdef, 0x02468ace, 0x13579bdf}};
  EXPECT_EQ(ufid.to_string(), "ufid:01234567-89ab-cdef-0246-8ace13579bdf");
  EXPECT_EQ(Ufid{}.to_string(), "ufid:00000000-0000-0000-0000-000000000000");
}

TEST(UfidTest, ParsePrintRoundTrip) {
  const std::string text = "ufid:d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6";
  Result<Ufid> ufid = Ufid::parse(text);
  ASSERT_TRUE(ufid.ok()) << ufid.error();
  EXPECT_EQ(ufid->words[0], 0xd1e2f3a4u);
  EXPECT_EQ(ufid->words[1], 0xb5c64d7eu);
  EXPECT_EQ(ufid->words[2], 0x8f90a1b2u);
  EXPECT_EQ(ufid->words[3], 0xc3d4e5f6u);
  EXPECT_EQ(ufid->to_string(), text);

  Result<Ufid> upper = Ufid::parse("ufid:D1E2F3A4-B5C6-4D7E-8F90-A1B2C3D4E5F6");
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(*upper, *ufid);

  std::mt19937 rng(7);
  for (int i = 0; i < 100; ++i) {
    Ufid random{{static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng()),
                 static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng())}};
    Result<Ufid> back = Ufid::parse(random.to_string());
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, random);
    EXPECT_EQ(Ufid::from_bytes(random.to_bytes().data()), random);
  }
}

TEST(UfidTest, RejectsBadStrings) {
  const std::string expected = " (expected ufid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)";
  struct Case {
    std::string text;
    std::string error;
  };
  const Case cases[] = {
      {"d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6",
       "invalid ufid \"d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6\": missing \"ufid:\" prefix"},
      {"ufid:", "invalid ufid \"ufid:\": only 0 characters after \"ufid:\", need 36"},
      {"ufid:d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f",
       "invalid ufid \"ufid:d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f\": only 35 characters after "
       "\"ufid:\", need 36"},
      {"ufid:d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5fg",
       "invalid ufid \"ufid:d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5fg\": 'g' at offset 40 is not a "
       "hex digit"},
      {"ufid:d1e2f3a4_b5c6-4d7e-8f90-a1b2c3d4e5f6",
       "invalid ufid \"ufid:d1e2f3a4_b5c6-4d7e-8f90-a1b2c3d4e5f6\": expected '-' at offset 13"},
      {"ufid:d1e2f3a4-b5c6-4d7e-8f90a-1b2c3d4e5f6",
       "invalid ufid \"ufid:d1e2f3a4-b5c6-4d7e-8f90a-1b2c3d4e5f6\": expected '-' at offset 28"},
      {"ufid:d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6 ",
       "invalid ufid \"ufid:d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6 \": unexpected text after the "
       "identifier at offset 41"},
      {"UFID:d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6",
       "invalid ufid \"UFID:d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6\": missing \"ufid:\" prefix"},
  };
  for (const Case& c : cases) {
    Result<Ufid> ufid = Ufid::parse(c.text);
    ASSERT_FALSE(ufid.ok()) << c.text;
    EXPECT_EQ(ufid.error(), c.error + expected);
  }
}

TEST(UfidTest, ParsePrefixOfFlowText) {
  Ufid ufid;
  Result<size_t> used =
      Ufid::parse_prefix("ufid:00000001-0002-0003-0004-000500000006 in_port(1)", &ufid);
  ASSERT_TRUE(used.ok());
  EXPECT_EQ(*used, 41u);
  EXPECT_EQ(ufid, (Ufid{{1, 0x00020003, 0x00040005, 6}}));

  Result<size_t> none = Ufid::parse_prefix("in_port(1),eth_type(0x0800)", &ufid);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0u);
  EXPECT_FALSE(Ufid::parse_prefix("ufid:1234 in_port(1)", &ufid).ok());
}

TEST(UfidTest, DerivedFromNormalisedMatchAndStable) {
  Match a = make_match({}, {.dst_prefix = 24});
  Match unnormalised{make_key({}), make_mask({.dst_prefix = 24})};  // host bits still set
  EXPECT_EQ(Ufid::from_match(a), Ufid::from_match(unnormalised));

  Match other_mask = make_match({}, {.dst_prefix = 16});
  Match other_key = make_match({.ip_dst = 0x0a000102}, {.dst_prefix = 24});
  EXPECT_NE(Ufid::from_match(a), Ufid::from_match(other_mask));
  EXPECT_NE(Ufid::from_match(a), Ufid::from_match(other_key));

  // Pinned: the derived UFID must not change between builds or runs, since
  // controllers may remember it.
  EXPECT_EQ(Ufid::from_match(a).to_string(), "ufid:80980364-710d-4f99-522b-ee145c883eff");

  // Distinct matches spread over the whole UFID, even its first 32-bit word.
  std::set<uint32_t> first_words;
  for (uint32_t i = 0; i < 20000; ++i) {
    Match m = make_match({.ip_dst = i}, {.dst_prefix = 32});
    first_words.insert(Ufid::from_match(m).words[0]);
  }
  EXPECT_GE(first_words.size(), 19990u);
}

// ---------------------------------------------------------------- Subtable

TEST(SubtableTest, HashEqualsHashMaskedAndUsesMaskWordsOnly) {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 200; ++round) {
    FlowKey key;
    for (size_t i = 0; i < FlowKey::kWords; ++i) key.words()[i] = rng();
    FlowMask mask = FlowMask::wildcard_all();
    int used = 1 + static_cast<int>(rng() % 8);
    for (int u = 0; u < used; ++u) mask.bits.words()[rng() % FlowKey::kWords] = rng();
    Subtable subtable(mask);
    EXPECT_EQ(subtable.hash(key), hash_masked(key, mask, 0));
    size_t expected_words = 0;
    for (size_t i = 0; i < FlowKey::kWords; ++i) expected_words += mask.bits.words()[i] != 0;
    EXPECT_EQ(subtable.word_count(), expected_words);
  }
}

// ------------------------------------------------------------ RcuHashIndex

struct TestNode {
  int id;
};

TEST(RcuHashIndexTest, InsertFindRemoveAgainstOracle) {
  RcuHashIndex<TestNode> index;
  std::vector<TestNode> nodes(5000);
  std::map<int, uint32_t> present;  // id -> hash
  std::mt19937 rng(3);
  auto hash_of = [](int id) { return static_cast<uint32_t>(id) * 2654435761u; };
  for (int i = 0; i < 5000; ++i) nodes[i].id = i;
  for (int step = 0; step < 40000; ++step) {
    int id = static_cast<int>(rng() % 5000);
    if (present.count(id)) {
      ASSERT_TRUE(index.remove(&nodes[id], hash_of(id)));
      present.erase(id);
    } else {
      index.insert(&nodes[id], hash_of(id));
      present[id] = hash_of(id);
    }
  }
  rcu::ReadSection read;
  auto view = index.view();
  EXPECT_EQ(index.size(), present.size());
  for (int id = 0; id < 5000; ++id) {
    TestNode* found = view.find(hash_of(id), [&](TestNode* n) { return n->id == id; });
    EXPECT_EQ(found != nullptr, present.count(id) == 1) << id;
  }
}

TEST(RcuHashIndexTest, IdenticalHashesGoToTheStashInsteadOfGrowingForever) {
  RcuHashIndex<TestNode> index;
  std::vector<TestNode> nodes(100);
  for (int i = 0; i < 100; ++i) {
    nodes[i].id = i;
    index.insert(&nodes[i], 0xdeadbeef);
  }
  EXPECT_EQ(index.size(), 100u);
  EXPECT_LE(index.bucket_count(), 128u);
  EXPECT_EQ(index.stash_size(), 90u);  // 5 at home, 5 in the other bucket
  {
    rcu::ReadSection read;
    auto view = index.view();
    for (int i = 0; i < 100; ++i)
      EXPECT_EQ(view.find(0xdeadbeef, [&](TestNode* n) { return n->id == i; }), &nodes[i]);
  }
  for (int i = 0; i < 100; i += 2) EXPECT_TRUE(index.remove(&nodes[i], 0xdeadbeef));
  EXPECT_FALSE(index.remove(&nodes[0], 0xdeadbeef));
  rcu::ReadSection read;
  auto view = index.view();
  for (int i = 0; i < 100; ++i) {
    TestNode* found = view.find(0xdeadbeef, [&](TestNode* n) { return n->id == i; });
    EXPECT_EQ(found, i % 2 ? &nodes[i] : nullptr);
  }
}

// Nodes move out of full buckets to make room, so the index fills to its
// load limit rather than doubling early; every node stays findable.
TEST(RcuHashIndexTest, FillsToItsLoadLimit) {
  for (uint32_t max_load : {50u, 85u}) {
    RcuHashIndex<TestNode> index(max_load);
    std::vector<TestNode> nodes(100000);
    std::mt19937 rng(11);
    std::vector<uint32_t> hashes(nodes.size());
    double lowest_load_after_growth = 1.0;
    size_t buckets = index.bucket_count();
    for (size_t i = 0; i < nodes.size(); ++i) {
      nodes[i].id = static_cast<int>(i);
      hashes[i] = rng();
      // The load just before the index grew: it should have been full.
      if (index.bucket_count() != buckets) {
        if (buckets >= 1024)
          lowest_load_after_growth =
              std::min(lowest_load_after_growth, double(i - 1) / double(buckets * 5));
        buckets = index.bucket_count();
      }
      index.insert(&nodes[i], hashes[i]);
    }
    const double load = double(index.size()) / double(index.bucket_count() * 5);
    EXPECT_GT(load, max_load / 200.0) << max_load;
    EXPECT_GT(lowest_load_after_growth, max_load / 100.0 * 0.7) << max_load;
    EXPECT_EQ(index.stash_size(), 0u);
    rcu::ReadSection read;
    auto view = index.view();
    for (size_t i = 0; i < nodes.size(); ++i) {
      ASSERT_EQ(view.find(hashes[i], [&](TestNode* n) { return n->id == int(i); }), &nodes[i])
          << max_load << " " << i;
    }
  }
}

// ----------------------------------------------------------- MegaflowTable

TEST(MegaflowTableTest, InsertAndLookupAcrossMasks) {
  MegaflowTable table;
  // Exact 5-tuple, a /24 destination, and a port-only catch-all for ARP.
  Match exact = make_match(
      {.ip_dst = 0x0a000002},
      {.src_prefix = 32, .dst_prefix = 32, .proto = true, .tp_src = true, .tp_dst = true});
  Match subnet = make_match({.ip_dst = 0x0a000100}, {.dst_prefix = 24});
  Match arp = make_match({.eth_type = 0x0806}, {});
  auto r1 = add(table, exact, 1);
  auto r2 = add(table, subnet, 2);
  auto r3 = add(table, arp, 3);
  ASSERT_TRUE(r1.ok()) << r1.error();
  ASSERT_TRUE(r2.ok()) << r2.error();
  ASSERT_TRUE(r3.ok()) << r3.error();
  EXPECT_TRUE(r1->created);
  EXPECT_EQ(table.count(), 3u);
  EXPECT_EQ(table.mask_count(), 3u);

  rcu::ReadSection read;
  MegaflowLookup hit = table.lookup(make_key({.ip_dst = 0x0a000002}));
  ASSERT_NE(hit.flow, nullptr);
  EXPECT_EQ(hit.flow->ufid(), r1->ufid);
  EXPECT_EQ(output_port(hit.flow->actions()), 1u);
  EXPECT_EQ(hit.subtables_searched, 1u);

  // Any host and port in 10.0.1.0/24 hits the second flow.
  hit = table.lookup(
      make_key({.ip_src = 0x01020304, .ip_dst = 0x0a0001fe, .proto = 17, .tp_dst = 53}));
  ASSERT_NE(hit.flow, nullptr);
  EXPECT_EQ(output_port(hit.flow->actions()), 2u);
  EXPECT_EQ(hit.subtables_searched, 2u);

  hit = table.lookup(make_key({.eth_type = 0x0806, .ip_dst = 0x0a0001fe}));
  ASSERT_NE(hit.flow, nullptr);
  EXPECT_EQ(output_port(hit.flow->actions()), 3u);
  EXPECT_EQ(hit.subtables_searched, 3u);

  // Misses search every subtable.
  hit = table.lookup(make_key({.ip_dst = 0x0a000003}));
  EXPECT_EQ(hit.flow, nullptr);
  EXPECT_EQ(hit.subtables_searched, 3u);
  hit = table.lookup(make_key({.in_port = 2, .eth_type = 0x0806}));
  EXPECT_EQ(hit.flow, nullptr);

  // The stored match is normalised and get() finds the flow both ways.
  Megaflow* flow = table.get(r2->ufid);
  ASSERT_NE(flow, nullptr);
  EXPECT_EQ(flow->match(), subnet);
  EXPECT_EQ(ntoh32(flow->match().key.ipv4_dst), 0x0a000100u);
  Match unnormalised{make_key({.ip_dst = 0x0a000177}), make_mask({.dst_prefix = 24})};
  EXPECT_EQ(table.get(unnormalised), flow);
  EXPECT_EQ(table.get(make_match({.ip_dst = 0x0a000100}, {.dst_prefix = 16})), nullptr);
  EXPECT_EQ(table.get(Ufid{{1, 2, 3, 4}}), nullptr);
}

TEST(MegaflowTableTest, ManyFlowsPerMaskAndExactMask) {
  MegaflowTable table;
  const MaskSpec specs[] = {{.dst_prefix = 32},
                            {.src_prefix = 32, .dst_prefix = 32},
                            {.dst_prefix = 32, .proto = true, .tp_dst = true}};
  // Flows of different masks differ in in_port, so none overlap.
  for (uint32_t m = 0; m < 3; ++m)
    for (uint32_t i = 0; i < 2000; ++i)
      ASSERT_TRUE(add(table, make_match({.in_port = m, .ip_dst = i}, specs[m]), m).ok());
  FlowKey exact_key = make_key({.in_port = 7});
  Match exact{exact_key, FlowMask::exact()};
  ASSERT_TRUE(add(table, exact, 7).ok());
  EXPECT_EQ(table.count(), 6001u);
  EXPECT_EQ(table.mask_count(), 4u);

  rcu::ReadSection read;
  for (uint32_t m = 0; m < 3; ++m) {
    for (uint32_t i = 0; i < 2000; i += 7) {
      MegaflowLookup hit = table.lookup(make_key({.in_port = m, .ip_dst = i}));
      ASSERT_NE(hit.flow, nullptr);
      EXPECT_EQ(ntoh32(hit.flow->match().key.ipv4_dst), i);
      EXPECT_EQ(hit.flow->match().key.md.in_port, m);
      EXPECT_EQ(hit.subtables_searched, m + 1);
    }
    EXPECT_EQ(table.lookup(make_key({.in_port = m, .ip_dst = 2000})).flow, nullptr);
  }
  EXPECT_NE(table.lookup(exact_key).flow, nullptr);
  FlowKey almost = exact_key;
  almost.md.skb_mark = 1;
  EXPECT_EQ(table.lookup(almost).flow, nullptr);
}

TEST(MegaflowTableTest, RemoveByUfidAndByMatch) {
  MegaflowTable table;
  Match a = make_match({.ip_dst = 1}, {.dst_prefix = 32});
  Match b = make_match({.ip_dst = 2}, {.dst_prefix = 32});
  Match c = make_match({.in_port = 2}, {});
  Ufid ua = ufid_of(add(table, a, 1));
  ASSERT_TRUE(add(table, b, 2).ok());
  ASSERT_TRUE(add(table, c, 3).ok());
  {
    rcu::ReadSection read;
    table.get(ua)->record(3, 300, 1234, 0x02);
  }

  Result<MegaflowStats> removed = table.remove(ua);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->packets, 3u);
  EXPECT_EQ(removed->bytes, 300u);
  EXPECT_EQ(table.count(), 2u);
  EXPECT_EQ(table.mask_count(), 2u);

  Result<MegaflowStats> again = table.remove(ua);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error(), "no flow with " + ua.to_string());

  // By match, with host bits the mask ignores.
  Match b_loose{make_key({.ip_src = 99, .ip_dst = 2}), make_mask({.dst_prefix = 32})};
  ASSERT_TRUE(table.remove(b_loose).ok());
  EXPECT_EQ(table.mask_count(), 1u);  // the /32 subtable went with its last flow
  Result<MegaflowStats> missing = table.remove(b);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), "no flow with this match");

  rcu::ReadSection read;
  EXPECT_EQ(table.lookup(make_key({.ip_dst = 1})).flow, nullptr);
  EXPECT_EQ(table.lookup(make_key({.ip_dst = 2})).flow, nullptr);
  MegaflowLookup hit = table.lookup(make_key({.in_port = 2}));
  ASSERT_NE(hit.flow, nullptr);
  EXPECT_EQ(hit.subtables_searched, 1u);
}

TEST(MegaflowTableTest, ModifySwapsActionsAndOptionallyClearsStats) {
  MegaflowTable table;
  Match match = make_match({}, {.dst_prefix = 32});
  auto created = add(table, match, 1, PutMode::kCreate);
  ASSERT_TRUE(created.ok());
  const Ufid ufid = created->ufid;
  EXPECT_EQ(ufid, Ufid::from_match(match));

  rcu::ReadSection read;
  Megaflow* flow = table.get(ufid);
  std::span<const uint8_t> old_actions = flow->actions();
  flow->record(2, 200, 5000, 0x12);

  // Create-only on an existing flow fails.
  auto dup = add(table, match, 9, PutMode::kCreate);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error(), "flow " + ufid.to_string() + " already exists");

  // Modify keeps stats unless asked.
  auto modified = add(table, match, 2, PutMode::kModify);
  ASSERT_TRUE(modified.ok());
  EXPECT_FALSE(modified->created);
  EXPECT_EQ(modified->ufid, ufid);
  EXPECT_EQ(modified->previous_stats, (MegaflowStats{2, 200, 5000, 0x12}));
  EXPECT_EQ(table.get(ufid), flow);  // same flow, new actions
  EXPECT_EQ(output_port(flow->actions()), 2u);
  EXPECT_EQ(output_port(old_actions), 1u);  // still readable in this section
  EXPECT_EQ(flow->stats().packets, 2u);

  std::vector<uint8_t> three = output_action(3);
  auto cleared = table.put({match, std::nullopt, three, PutMode::kCreateOrModify, true});
  ASSERT_TRUE(cleared.ok());
  EXPECT_FALSE(cleared->created);
  EXPECT_EQ(cleared->previous_stats.packets, 2u);
  EXPECT_EQ(flow->stats(), MegaflowStats{});
  EXPECT_EQ(output_port(flow->actions()), 3u);

  // Modify-only of an absent flow fails, by match or by UFID.
  Match absent = make_match({.ip_dst = 77}, {.dst_prefix = 32});
  auto no_match = add(table, absent, 1, PutMode::kModify);
  ASSERT_FALSE(no_match.ok());
  EXPECT_EQ(no_match.error(), "no flow matches this flow's key");
  Ufid other{{5, 6, 7, 8}};
  auto no_ufid = add(table, absent, 1, PutMode::kModify, other);
  ASSERT_FALSE(no_ufid.ok());
  EXPECT_EQ(no_ufid.error(), "no flow with ufid:00000005-0000-0006-0000-000700000008");
  EXPECT_EQ(table.count(), 1u);
}

TEST(MegaflowTableTest, UfidIdentity) {
  MegaflowTable table;
  Ufid mine{{0xaaaaaaaa, 1, 2, 3}};
  Match match = make_match({}, {.dst_prefix = 32});
  ASSERT_TRUE(add(table, match, 1, PutMode::kCreate, mine).ok());

  // The same UFID with another match is refused.
  auto clash =
      add(table, make_match({.ip_dst = 5}, {.dst_prefix = 32}), 1, PutMode::kCreateOrModify, mine);
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error(), mine.to_string() + " already names a flow with a different match");

  // The same match under another UFID is refused.
  auto twin = add(table, match, 1, PutMode::kCreate, Ufid{{9, 9, 9, 9}});
  ASSERT_FALSE(twin.ok());
  EXPECT_EQ(twin.error(), "a flow with this match already exists as " + mine.to_string());

  // Without a UFID, the match finds the flow and its own UFID.
  auto by_match = add(table, match, 4, PutMode::kModify);
  ASSERT_TRUE(by_match.ok());
  EXPECT_EQ(by_match->ufid, mine);
  EXPECT_EQ(table.count(), 1u);
}

TEST(MegaflowTableTest, RefuseOptionRejectsOverlapsNamingTheExistingFlow) {
  MegaflowTable table;
  table.set_flow_overlap(FlowOverlap::kRefuse);
  // in_port=1,eth_type=0x0800
  auto base = add(table, make_match({.in_port = 1}, {}), 1);
  ASSERT_TRUE(base.ok());

  // Same mask, other key: fine.
  EXPECT_TRUE(add(table, make_match({.in_port = 2}, {}), 2).ok());
  EXPECT_TRUE(add(table, make_match({.in_port = 1, .eth_type = 0x86dd}, {}), 3).ok());

  // Narrower flow inside it (adds ipv4_dst): overlaps.
  auto narrower =
      add(table, make_match({.in_port = 1, .ip_dst = 0x0a000001}, {.dst_prefix = 32}), 4);
  ASSERT_FALSE(narrower.ok());
  EXPECT_EQ(narrower.error(), "flow overlaps existing flow " + base->ufid.to_string() +
                                  " (a packet could match both)");

  // Other mask (no eth_type, ipv4_dst) but a different in_port: disjoint.
  MaskSpec port_and_dst{.eth_type = false, .dst_prefix = 32};
  EXPECT_TRUE(add(table, make_match({.in_port = 3, .ip_dst = 0x0a000001}, port_and_dst), 5).ok());
  // Same mask as that one but in_port 1: overlaps base (eth_type wildcarded).
  auto crossing = add(table, make_match({.in_port = 1, .ip_dst = 0x0a000001}, port_and_dst), 6);
  ASSERT_FALSE(crossing.ok());
  EXPECT_NE(crossing.error().find(base->ufid.to_string()), std::string::npos);

  // A wider flow over existing narrower ones (in_port only): the new key
  // (everything else zero) misses the narrower subtable, only the scan finds
  // the overlap.
  MegaflowTable wide;
  wide.set_flow_overlap(FlowOverlap::kRefuse);
  auto narrow = add(wide, make_match({.in_port = 5, .ip_dst = 0x0a000001}, {.dst_prefix = 32}), 1);
  ASSERT_TRUE(narrow.ok());
  Match port_only = make_match({.in_port = 5}, {.eth_type = false});
  auto wider = add(wide, port_only, 2);
  ASSERT_FALSE(wider.ok());
  EXPECT_EQ(wider.error(), "flow overlaps existing flow " + narrow->ufid.to_string() +
                               " (a packet could match both)");
  // With scanning off, only the probe remains (documented best effort).
  wide.set_overlap_scan_limit(0);
  EXPECT_EQ(wide.overlap_scan_limit(), 0u);
  EXPECT_TRUE(add(wide, port_only, 2).ok());
}

TEST(MegaflowTableTest, PutBatchIsPutOneAfterTheOther) {
  MegaflowTable table;
  table.set_flow_overlap(FlowOverlap::kRefuse);
  const std::vector<uint8_t> out1 = output_action(1), out2 = output_action(2);
  const Match a = make_match({.ip_dst = 1}, {.dst_prefix = 32});
  const Match b = make_match({.in_port = 2, .ip_src = 7}, {.src_prefix = 32});
  const Match wide = make_match({.ip_dst = 0}, {.dst_prefix = 0});  // overlaps a
  const Ufid named{{1, 2, 3, 4}};
  const std::vector<MegaflowPut> requests = {
      {a, std::nullopt, out1, PutMode::kCreate, false},
      {b, named, out1, PutMode::kCreate, false},
      {a, std::nullopt, out2, PutMode::kCreate, false},   // exists since request 0
      {a, std::nullopt, out2, PutMode::kModify, false},   // modifies it
      {wide, std::nullopt, out1, PutMode::kCreate, false},  // overlaps a
      {b, std::nullopt, out1, PutMode::kModify, false},   // found by match
      {make_match({.ip_dst = 9}, {.dst_prefix = 32}), std::nullopt, out2, PutMode::kModify,
       false},  // absent
  };
  std::vector<Result<MegaflowPutResult>> results = table.put_batch(requests);
  ASSERT_EQ(results.size(), requests.size());
  ASSERT_TRUE(results[0].ok()) << results[0].error();
  EXPECT_TRUE(results[0]->created);
  ASSERT_TRUE(results[1].ok()) << results[1].error();
  EXPECT_EQ(results[1]->ufid, named);
  ASSERT_FALSE(results[2].ok());
  EXPECT_EQ(results[2].error(), "flow " + results[0]->ufid.to_string() + " already exists");
  ASSERT_TRUE(results[3].ok());
  EXPECT_FALSE(results[3]->created);
  ASSERT_FALSE(results[4].ok());
  EXPECT_NE(results[4].error().find("overlaps existing flow " + results[0]->ufid.to_string()),
            std::string::npos);
  ASSERT_TRUE(results[5].ok());
  EXPECT_EQ(results[5]->ufid, named);
  ASSERT_FALSE(results[6].ok());
  EXPECT_EQ(results[6].error(), "no flow with this match");

  EXPECT_EQ(table.count(), 2u);
  EXPECT_EQ(table.mask_count(), 2u);
  std::vector<SubtableInfo> subtables = table.subtables();
  ASSERT_EQ(subtables.size(), 2u);
  EXPECT_EQ(subtables[0].mask, a.mask);  // in creation order
  EXPECT_EQ(subtables[1].mask, b.mask);
  rcu::ReadSection read;
  const Megaflow* flow_a = table.get(a);
  ASSERT_NE(flow_a, nullptr);
  EXPECT_EQ(output_port(flow_a->actions()), 2u);
  EXPECT_EQ(table.lookup(make_key({.in_port = 2, .ip_src = 7, .ip_dst = 3})).flow, table.get(named));
  EXPECT_TRUE(table.put_batch({}).empty());
}

TEST(MegaflowTableTest, PutBatchPublishesNewMasksToReaders) {
  MegaflowTable table;
  const std::vector<uint8_t> actions = output_action(3);
  std::vector<MegaflowPut> requests;
  for (uint32_t m = 0; m < 8; ++m) {
    for (uint32_t i = 0; i < 8; ++i) {
      requests.push_back({make_match({.in_port = m, .ip_dst = i}, {.dst_prefix = 32, .proto = m % 2 == 1,
                                                              .tp_dst = m >= 4}),
                          std::nullopt, actions, PutMode::kCreateOrModify, false});
    }
  }
  for (const auto& result : table.put_batch(requests)) ASSERT_TRUE(result.ok()) << result.error();
  EXPECT_EQ(table.count(), 64u);
  EXPECT_EQ(table.mask_count(), 4u);
  rcu::ReadSection read;
  for (uint32_t m = 0; m < 8; ++m)
    for (uint32_t i = 0; i < 8; ++i)
      EXPECT_NE(table.lookup(make_key({.in_port = m, .ip_dst = i})).flow, nullptr) << m << " " << i;
}

TEST(MegaflowTableTest, FlowLimit) {
  MegaflowTable table;
  EXPECT_EQ(table.flow_limit(), 200000u);
  ASSERT_TRUE(table.set_flow_limit(3).ok());
  for (uint32_t i = 0; i < 3; ++i)
    ASSERT_TRUE(add(table, make_match({.ip_dst = i}, {.dst_prefix = 32}), 1).ok());
  auto full = add(table, make_match({.ip_dst = 3}, {.dst_prefix = 32}), 1);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error(), "flow table full (3 flows)");
  // Modifying still works when full.
  EXPECT_TRUE(add(table, make_match({.ip_dst = 2}, {.dst_prefix = 32}), 2, PutMode::kModify).ok());

  Status zero = table.set_flow_limit(0);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error(), "flow limit 0 out of range 1..4194304");
  EXPECT_FALSE(table.set_flow_limit(MegaflowTable::kMaxFlowLimit + 1).ok());
}

TEST(MegaflowTableTest, DefaultLimitIs200000Flows) {
  MegaflowTable table;
  for (uint32_t i = 0; i < 200000; ++i) {
    auto r = add(table, make_match({.ip_dst = i}, {.dst_prefix = 32}), 1);
    ASSERT_TRUE(r.ok()) << i << ": " << r.error();
  }
  auto full = add(table, make_match({.ip_dst = 200000}, {.dst_prefix = 32}), 1);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error(), "flow table full (200000 flows)");
  rcu::ReadSection read;
  for (uint32_t i = 0; i < 200000; i += 997)
    ASSERT_NE(table.lookup(make_key({.ip_dst = i})).flow, nullptr) << i;
}

TEST(MegaflowTableTest, FlushEmptiesEverything) {
  MegaflowTable table;
  for (uint32_t i = 0; i < 100; ++i)
    ASSERT_TRUE(
        add(table,
            make_match({.in_port = i % 4, .ip_dst = i}, {.dst_prefix = 32, .proto = (i % 4) == 1}),
            1)
            .ok());
  EXPECT_EQ(table.mask_count(), 2u);
  table.flush();
  EXPECT_EQ(table.count(), 0u);
  EXPECT_EQ(table.mask_count(), 0u);
  {
    rcu::ReadSection read;
    EXPECT_EQ(table.lookup(make_key({.in_port = 0, .ip_dst = 0})).flow, nullptr);
    MegaflowDumpCursor cursor;
    Megaflow* out[8];
    EXPECT_EQ(table.dump(&cursor, out), 0u);
    EXPECT_TRUE(cursor.done);
  }
  ASSERT_TRUE(add(table, make_match({.ip_dst = 5}, {.dst_prefix = 32}), 1).ok());
  rcu::ReadSection read;
  EXPECT_NE(table.lookup(make_key({.ip_dst = 5})).flow, nullptr);
}

TEST(MegaflowTableTest, RankingPutsTheBusiestSubtableFirst) {
  MegaflowTable table;
  const MaskSpec specs[] = {{.dst_prefix = 32}, {.src_prefix = 32}, {.proto = true}};
  for (uint32_t m = 0; m < 3; ++m)
    ASSERT_TRUE(add(table, make_match({.in_port = m}, specs[m]), m).ok());
  {
    rcu::ReadSection read;
    for (int i = 0; i < 50; ++i)
      EXPECT_EQ(table.lookup(make_key({.in_port = 2})).subtables_searched, 3u);
    for (int i = 0; i < 20; ++i) table.lookup(make_key({.in_port = 1}));
  }
  std::vector<SubtableInfo> before = table.subtables();
  ASSERT_EQ(before.size(), 3u);
  EXPECT_EQ(before[2].hits, 50u);
  EXPECT_EQ(before[1].hits, 20u);
  EXPECT_EQ(before[0].flows, 1u);

  EXPECT_TRUE(table.rank_subtables());
  std::vector<SubtableInfo> after = table.subtables();
  EXPECT_EQ(after[0].mask, make_mask(specs[2]));
  EXPECT_EQ(after[1].mask, make_mask(specs[1]));
  EXPECT_EQ(after[2].mask, make_mask(specs[0]));
  EXPECT_EQ(after[0].hits, 0u);
  {
    rcu::ReadSection read;
    EXPECT_EQ(table.lookup(make_key({.in_port = 2})).subtables_searched, 1u);
    EXPECT_EQ(table.lookup(make_key({.in_port = 0})).subtables_searched, 3u);
  }
  // Hits on the last one only: it moves to the front; the rest keep order.
  {
    rcu::ReadSection read;
    for (int i = 0; i < 5; ++i) table.lookup(make_key({.in_port = 0}));
  }
  EXPECT_TRUE(table.rank_subtables());
  after = table.subtables();
  EXPECT_EQ(after[0].mask, make_mask(specs[0]));
  EXPECT_EQ(after[1].mask, make_mask(specs[2]));
  EXPECT_FALSE(table.rank_subtables());  // no hits: stable order, unchanged
}

TEST(MegaflowTableTest, DumpReportsEveryFlowOnce) {
  MegaflowTable table;
  std::set<uint32_t> expected;
  for (uint32_t i = 0; i < 1000; ++i) {
    ASSERT_TRUE(
        add(table,
            make_match({.in_port = i % 3, .ip_dst = i}, {.dst_prefix = 32, .tp_dst = (i % 3) == 2}),
            i)
            .ok());
    expected.insert(i);
  }
  // Delete some so the dump crosses holes.
  for (uint32_t i = 0; i < 1000; i += 10) {
    ASSERT_TRUE(table
                    .remove(make_match({.in_port = i % 3, .ip_dst = i},
                                       {.dst_prefix = 32, .tp_dst = (i % 3) == 2}))
                    .ok());
    expected.erase(i);
  }
  std::multiset<uint32_t> seen;
  MegaflowDumpCursor cursor;
  while (!cursor.done) {
    rcu::ReadSection read;
    Megaflow* out[7];
    size_t n = table.dump(&cursor, out);
    for (size_t i = 0; i < n; ++i) seen.insert(output_port(out[i]->actions()));
  }
  EXPECT_EQ(std::set<uint32_t>(seen.begin(), seen.end()), expected);
  EXPECT_EQ(seen.size(), expected.size());
}

// Differential test: lookup() and lookup_batch() against a linear scan over
// all installed flows, on random tables and random keys.
class MegaflowTableOverlapDifferential : public testing::TestWithParam<FlowOverlap> {};

// With FlowOverlap::kRefuse the linear scan finds at most one flow, which the
// lookup must return; with kAllow the lookup returns one of the flows the
// scan finds (the first by subtable order), and misses only if none match.
TEST_P(MegaflowTableOverlapDifferential, LookupAndBatchAgreeWithLinearScan) {
  const FlowOverlap overlap = GetParam();
  std::mt19937 rng(2024);
  auto pick = [&](std::initializer_list<uint32_t> values) {
    return *(values.begin() + rng() % values.size());
  };
  auto random_fields = [&] {
    Fields f;
    f.in_port = pick({1, 2, 3});
    f.eth_type = static_cast<uint16_t>(pick({0x0800, 0x86dd}));
    f.ip_src = 0x0a000000 | pick({0, 1, 0x100, 0x101, 0x10000});
    f.ip_dst = 0xc0a80000 | pick({0, 1, 2, 0x100, 0x201, 0x10000});
    f.proto = static_cast<uint8_t>(pick({6, 17}));
    f.tp_src = static_cast<uint16_t>(pick({1000, 2000}));
    f.tp_dst = static_cast<uint16_t>(pick({80, 443, 53}));
    return f;
  };
  auto random_spec = [&] {
    MaskSpec s;
    s.in_port = rng() % 4 != 0;
    s.eth_type = rng() % 2;
    s.src_prefix = static_cast<int>(pick({0, 8, 16, 24, 32}));
    s.dst_prefix = static_cast<int>(pick({0, 16, 24, 32}));
    s.proto = rng() % 2;
    s.tp_src = rng() % 4 == 0;
    s.tp_dst = rng() % 3 == 0;
    return s;
  };

  int checked_hits = 0, rejected_overlaps = 0, overlapping_hits = 0;
  for (int round = 0; round < 30; ++round) {
    MegaflowTable table;
    table.set_flow_overlap(overlap);
    std::vector<MaskSpec> specs;
    for (int m = 0; m < 1 + round % 12; ++m) specs.push_back(random_spec());
    std::map<uint32_t, Match> installed;  // port -> match
    for (uint32_t port = 0; port < 150; ++port) {
      Match match = make_match(random_fields(), specs[rng() % specs.size()]);
      auto put = add(table, match, port);
      if (put.ok()) {
        installed[port] = match;
        continue;
      }
      // Every refusal must be justified.
      bool exists = false, overlaps = false, key_matched = false;
      for (const auto& [p, m] : installed) {
        exists |= m == match;
        overlaps |= matches_overlap(m, match);
        key_matched |= match_equal(m, match.key);
      }
      if (overlap == FlowOverlap::kAllow) {
        // Open vSwitch's rule: refused only if a flow matches the new key.
        EXPECT_TRUE(key_matched) << put.error();
        EXPECT_NE(put.error().find("already"), std::string::npos) << put.error();
        ++rejected_overlaps;
      } else if (put.error().find("overlaps") != std::string::npos) {
        EXPECT_TRUE(overlaps) << put.error();
        ++rejected_overlaps;
      } else {
        EXPECT_TRUE(exists) << put.error();
      }
    }
    for (int phase = 0; phase < 2; ++phase) {
      if (phase == 1) {  // delete about half, then check again
        for (auto it = installed.begin(); it != installed.end();) {
          if (rng() % 2) {
            ASSERT_TRUE(table.remove(it->second).ok());
            it = installed.erase(it);
          } else {
            ++it;
          }
        }
      }
      ASSERT_EQ(table.count(), installed.size());
      rcu::ReadSection read;
      std::vector<FlowKey> keys;
      for (int k = 0; k < 300; ++k) keys.push_back(make_key(random_fields()));
      std::vector<Megaflow*> expected;
      for (const FlowKey& key : keys) {
        std::set<Megaflow*> oracle;
        for (const auto& [port, match] : installed)
          if (match_equal(match, key)) oracle.insert(table.get(match));
        if (overlap == FlowOverlap::kRefuse) {
          ASSERT_LE(oracle.size(), 1u) << "overlapping flows were accepted";
        }
        MegaflowLookup single = table.lookup(key);
        if (oracle.empty()) {
          ASSERT_EQ(single.flow, nullptr);
        } else {
          ASSERT_TRUE(oracle.count(single.flow)) << "the lookup returned a non-matching flow";
          // The first subtable holding a matching flow wins.
          size_t position = 0;
          for (const SubtableInfo& info : table.subtables()) {
            ++position;
            if (info.mask == single.flow->match().mask) break;
          }
          ASSERT_EQ(single.subtables_searched, position);
        }
        checked_hits += !oracle.empty();
        overlapping_hits += oracle.size() > 1;
        expected.push_back(single.flow);
      }
      for (size_t start = 0; start < keys.size();) {
        size_t n = std::min<size_t>(keys.size() - start, 1 + rng() % MegaflowTable::kMaxBatch);
        const FlowKey* pointers[MegaflowTable::kMaxBatch];
        Megaflow* flows[MegaflowTable::kMaxBatch];
        for (size_t k = 0; k < n; ++k) pointers[k] = &keys[start + k];
        SubtableSearches searched;
        uint64_t hit_map = table.lookup_batch(pointers, n, flows, &searched);
        uint32_t expected_searched = 0, expected_by_hits = 0;
        for (size_t k = 0; k < n; ++k) {
          ASSERT_EQ(flows[k], expected[start + k]);
          ASSERT_EQ((hit_map >> k) & 1, expected[start + k] != nullptr ? 1u : 0u);
          MegaflowLookup single = table.lookup(keys[start + k]);
          expected_searched += single.subtables_searched;
          if (single.flow != nullptr) expected_by_hits += single.subtables_searched;
        }
        EXPECT_EQ(searched.all, expected_searched);
        EXPECT_EQ(searched.by_hits, expected_by_hits);
        start += n;
      }
    }
  }
  EXPECT_GT(checked_hits, 500);
  EXPECT_GT(rejected_overlaps, 50);
  if (overlap == FlowOverlap::kAllow) {
    EXPECT_GT(overlapping_hits, 100);
  }
}

INSTANTIATE_TEST_SUITE_P(Overlap, MegaflowTableOverlapDifferential,
                         testing::Values(FlowOverlap::kAllow, FlowOverlap::kRefuse),
                         [](const testing::TestParamInfo<FlowOverlap>& param_info) {
                           return std::string(flow_overlap_name(param_info.param));
                         });

// Subtables big enough for lookup_batch()'s prefetching passes (over 256
// buckets): batch results equal single lookups and the known answer.
TEST(MegaflowTableDifferentialTest, BatchOnLargeSubtables) {
  MegaflowTable table;
  const MaskSpec specs[] = {{.dst_prefix = 32},
                            {.dst_prefix = 32, .tp_dst = true},
                            {.eth_type = false, .dst_prefix = 32, .proto = true}};
  constexpr uint32_t kPerMask = 3000;
  for (uint32_t m = 0; m < 3; ++m)
    for (uint32_t i = 0; i < kPerMask; ++i)
      ASSERT_TRUE(
          add(table, make_match({.in_port = m, .ip_dst = i}, specs[m]), m * 100000 + i).ok());
  for (uint32_t i = 0; i < kPerMask; i += 3)  // holes
    ASSERT_TRUE(table.remove(make_match({.in_port = 1, .ip_dst = i}, specs[1])).ok());

  std::mt19937 rng(77);
  rcu::ReadSection read;
  for (int round = 0; round < 200; ++round) {
    FlowKey keys[MegaflowTable::kMaxBatch];
    const size_t n = 1 + rng() % MegaflowTable::kMaxBatch;
    for (size_t k = 0; k < n; ++k)
      keys[k] = make_key({.in_port = static_cast<uint32_t>(rng() % 4),
                          .ip_src = static_cast<uint32_t>(rng()),
                          .ip_dst = static_cast<uint32_t>(rng() % (kPerMask + 500)),
                          .tp_src = static_cast<uint16_t>(rng())});
    Megaflow* flows[MegaflowTable::kMaxBatch];
    uint64_t hit_map = table.lookup_batch(std::span<const FlowKey>(keys, n), flows);
    for (size_t k = 0; k < n; ++k) {
      uint32_t port = keys[k].md.in_port;
      uint32_t dst = ntoh32(keys[k].ipv4_dst);
      bool present = port < 3 && dst < kPerMask && !(port == 1 && dst % 3 == 0);
      ASSERT_EQ(flows[k], table.lookup(keys[k]).flow);
      ASSERT_EQ((hit_map >> k) & 1, present ? 1u : 0u) << port << " " << dst;
      if (present) {
        EXPECT_EQ(output_port(flows[k]->actions()), port * 100000 + dst);
        EXPECT_TRUE(match_equal(flows[k]->match(), keys[k]));
      }
    }
  }
}

TEST(MegaflowTableTest, BatchOfSixtyFourAndEmptyBatch) {
  MegaflowTable table;
  for (uint32_t i = 0; i < 64; i += 2)
    ASSERT_TRUE(add(table, make_match({.ip_dst = i}, {.dst_prefix = 32}), i).ok());
  rcu::ReadSection read;
  FlowKey keys[64];
  for (uint32_t i = 0; i < 64; ++i) keys[i] = make_key({.ip_dst = i});
  Megaflow* flows[64];
  uint64_t hits = table.lookup_batch(std::span<const FlowKey>(keys, 64), flows);
  EXPECT_EQ(hits, 0x5555555555555555ULL);
  EXPECT_EQ(output_port(flows[62]->actions()), 62u);
  EXPECT_EQ(flows[63], nullptr);
  EXPECT_EQ(table.lookup_batch(std::span<const FlowKey>(keys, 0), flows), 0u);
}

}  // namespace
}  // namespace flowpath
