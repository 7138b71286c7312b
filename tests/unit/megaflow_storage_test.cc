// How MegaflowTable stores flows: only the key words a flow's mask covers,
// its UFID and actions, in one block from size-classed slabs. Checks that
// everything a dump prints comes back exactly, that modify, delete and slot
// reuse work on the compact form, and that the memory of deleted flows goes
// back to the system.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <set>
#include <vector>

#include "common/slab_allocator.h"
#include "megaflow_test_helpers.h"
#include "odp/odp_flow.h"
#include "table/flow_memory.h"
#include "table/flow_slots.h"
#include "table/megaflow_table.h"
#include "table/subtable.h"

// Whether AddressSanitizer is on (gcc says so with a macro, clang with
// __has_feature).
#if defined(__SANITIZE_ADDRESS__)
#define FLOWPATH_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FLOWPATH_TEST_UNDER_ASAN 1
#endif
#endif
#ifndef FLOWPATH_TEST_UNDER_ASAN
#define FLOWPATH_TEST_UNDER_ASAN 0
#endif

namespace flowpath {
namespace {

using namespace megaflow_test;

std::vector<Megaflow*> dump_all(const MegaflowTable& table) {
  std::vector<Megaflow*> flows;
  MegaflowDumpCursor cursor;
  while (!cursor.done) {
    Megaflow* out[16];
    size_t n = table.dump(&cursor, out);
    flows.insert(flows.end(), out, out + n);
  }
  return flows;
}

// ODP text of flows of many shapes (metadata, tunnels, VLANs, IPv6, ND,
// Geneve options): put in a table, dumped, and printed again, each must give
// back its text exactly.
TEST(MegaflowStorage, OdpTextRoundTripsThroughTheTable) {
  const char* const texts[] = {
      "recirc_id(0),in_port(1),eth(src=00:01:02:03:04:00/ff:ff:ff:ff:ff:f0,dst=10:11:12:13:14:15),"
      "eth_type(0x0800),ipv4(src=10.0.0.0/255.0.0.0,proto=6,frag=no),tcp(dst=80)",
      "recirc_id(0),in_port(2),eth(),eth_type(0x0806),arp(tip=192.0.2.1,op=1)",
      "recirc_id(0),in_port(3),eth(dst=ff:ff:ff:ff:ff:ff),eth_type(0x86dd),"
      "ipv6(src=2001:db8::/ffff:ffff::,proto=17,frag=no),udp(src=546,dst=547)",
      "recirc_id(0x5),dp_hash(0x1/0xf),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
      "recirc_id(0),in_port(1),eth(),eth_type(0x8100),vlan(vid=10,pcp=0),"
      "encap(eth_type(0x0800),ipv4(dst=10.1.0.0/255.255.0.0,frag=no))",
      "recirc_id(0),in_port(1),eth(),eth_type(0x8847),mpls(label=100,tc=0,ttl=64,bos=1)",
      "recirc_id(0),in_port(4),eth(src=00:00:5e:00:53:01),eth_type(0x86dd),"
      "ipv6(proto=58,frag=no),icmpv6(type=135,code=0),nd(target=2001:db8::1)",
      "skb_mark(0x7),ct_state(+est+trk),ct_zone(0x5),recirc_id(0x1),in_port(1),eth(),"
      "eth_type(0x0800),ipv4(frag=no)",
      "tunnel(tun_id=0x2a,src=192.0.2.1,dst=192.0.2.2,flags(-df-csum+key)),recirc_id(0),"
      "in_port(5),eth(),eth_type(0x0800),ipv4(frag=no)",
      "tunnel(tun_id=0x1,src=192.0.2.1,dst=192.0.2.2,ttl=64,"
      "geneve({class=0x102,type=0x80,len=4,0xa0b0c0d0}),flags(-df-csum+key)),recirc_id(0),"
      "in_port(6),eth(),eth_type(0x0800),ipv4(frag=no)",
      "recirc_id(0),in_port(1),eth(),eth_type(0/0xffff)",
  };
  MegaflowTable table;
  std::vector<std::string> expected;
  uint32_t port = 1;
  for (const char* text : texts) {
    auto parsed = parse_flow(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.error();
    ASSERT_EQ(format_flow(parsed->match), text);
    auto put = add(table, parsed->match, port++);
    ASSERT_TRUE(put.ok()) << text << ": " << put.error();
    expected.push_back(text);
  }
  rcu::ReadSection read;
  std::vector<std::string> printed;
  for (const Megaflow* flow : dump_all(table)) printed.push_back(format_flow(flow->match()));
  EXPECT_EQ(std::multiset<std::string>(printed.begin(), printed.end()),
            std::multiset<std::string>(expected.begin(), expected.end()));
}

// A key with bits outside its mask (hand-added flows) is dumped as given,
// as Open vSwitch's userspace datapath does; it matches under the mask, and
// only such a flow's block carries the extra words.
TEST(MegaflowStorage, KeyBitsOutsideTheMaskAreKeptForDumps) {
  const char* const texts[] = {
      "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(src=10.0.0.1/255.255.255.0,frag=no)",
      "recirc_id(0),in_port(2),eth(src=00:01:02:03:04:05/ff:ff:ff:ff:ff:f0),eth_type(0x86dd),"
      "ipv6(dst=2001:db8::1/ffff:ffff::,proto=6,frag=no),tcp(dst=4660/0xff00)",
      // Tunnel and metadata words, far apart in the key from the L2-L4 ones.
      "tunnel(tun_id=0x2a/0xf0,src=192.0.2.1,dst=192.0.2.2,flags(-df-csum+key)),recirc_id(0),"
      "dp_hash(0x17/0xf),in_port(6),eth(),eth_type(0x0800),ipv4(frag=no)",
  };
  MegaflowTable table;
  uint32_t port = 1;
  for (const char* text : texts) {
    auto parsed = parse_flow(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.error();
    ASSERT_EQ(format_flow(parsed->match), text);
    Match normalised = parsed->match;
    normalised.normalize();
    ASSERT_FALSE(normalised == parsed->match) << text << ": no bits outside the mask";
    auto put = add(table, parsed->match, port++);
    ASSERT_TRUE(put.ok()) << text << ": " << put.error();
    rcu::ReadSection read;
    const Megaflow* flow = table.get(put->ufid);
    ASSERT_NE(flow, nullptr);
    EXPECT_EQ(format_flow(flow->match()), text);
    EXPECT_TRUE(flow->key_has_bits_outside_mask());
    EXPECT_TRUE(flow->has_match(normalised));
    EXPECT_EQ(table.get(parsed->match), flow);
    EXPECT_EQ(table.get(normalised), flow);
    // Packets match under the mask: the normalised key hits the flow.
    EXPECT_EQ(table.lookup(normalised.key).flow, flow);
  }
  // Modify and delete by the normalised match find the flow too.
  auto first = parse_flow(texts[0]);
  Match normalised = first->match;
  normalised.normalize();
  ASSERT_TRUE(add(table, normalised, 9, PutMode::kModify).ok());
  {
    rcu::ReadSection read;
    const Megaflow* flow = table.get(normalised);
    EXPECT_EQ(output_port(flow->actions()), 9u);
    EXPECT_EQ(format_flow(flow->match()), texts[0]);
  }
  ASSERT_TRUE(table.remove(normalised).ok());
  EXPECT_EQ(table.count(), 2u);

  // A normalised key costs nothing extra.
  ASSERT_TRUE(add(table, normalised, 1).ok());
  rcu::ReadSection read;
  const Megaflow* flow = table.get(normalised);
  EXPECT_FALSE(flow->key_has_bits_outside_mask());
  EXPECT_EQ(flow->block_bytes(), Megaflow::block_bytes_for(flow->packed_word_count(), 8));
  EXPECT_EQ(format_flow(flow->match()),
            "recirc_id(0),in_port(1),eth(),eth_type(0x0800),"
            "ipv4(src=10.0.0.0/255.255.255.0,frag=no)");
}

// Random masks over every part of the key (metadata, L2-L4, NSH, Geneve
// options), random keys: match(), has_match(), UFID and actions come back as
// put, and the block is exactly what the mask's words need.
TEST(MegaflowStorage, RandomMatchesComeBackExactly) {
  std::mt19937_64 rng(99);
  MegaflowTable table;
  table.set_overlap_scan_limit(0);
  struct Put {
    Match match;
    Ufid ufid;
    std::vector<uint8_t> actions;
  };
  std::vector<Put> puts;
  for (uint32_t i = 0; i < 300; ++i) {
    Match match;
    match.mask = FlowMask::wildcard_all();
    // in_port exact and distinct per flow, so no two flows overlap.
    match.mask.bits.md.in_port = ~uint32_t{0};
    match.key.clear();
    const size_t extra_words = rng() % 12;
    for (size_t k = 0; k < extra_words; ++k) {
      const size_t w = rng() % FlowKey::kWords;
      match.mask.bits.words()[w] |= rng();
    }
    for (size_t w = 0; w < FlowKey::kWords; ++w) match.key.words()[w] = rng();
    match.key.md.in_port = i + 1;
    match.normalize();
    std::vector<uint8_t> actions(rng() % 300);
    for (uint8_t& byte : actions) byte = static_cast<uint8_t>(rng());
    const Ufid ufid{{static_cast<uint32_t>(rng()), i, 7, 9}};
    auto result = table.put(MegaflowPut{match, ufid, actions, PutMode::kCreate, false});
    ASSERT_TRUE(result.ok()) << result.error();
    puts.push_back({match, ufid, actions});
  }
  rcu::ReadSection read;
  for (const Put& put : puts) {
    const Megaflow* flow = table.get(put.ufid);
    ASSERT_NE(flow, nullptr);
    EXPECT_EQ(flow, table.get(put.match));
    EXPECT_TRUE(flow->match() == put.match);
    EXPECT_TRUE(flow->has_match(put.match));
    EXPECT_EQ(flow->ufid(), put.ufid);
    EXPECT_EQ(std::vector<uint8_t>(flow->actions().begin(), flow->actions().end()), put.actions);
    const size_t words = flow->subtable()->word_count();
    EXPECT_EQ(flow->packed_word_count(), words);
    EXPECT_EQ(flow->block_bytes(), Megaflow::block_bytes_for(words, put.actions.size()));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(flow) % 64, 0u);
    Match other = put.match;
    other.key.md.in_port ^= 0x100000;
    EXPECT_FALSE(flow->has_match(other));
  }
}

TEST(MegaflowStorage, BlockSizes) {
  // A 4-word mask and one output action fit the 128-byte minimum.
  EXPECT_EQ(Megaflow::block_bytes_for(4, 8), 128u);
  EXPECT_EQ(Megaflow::block_bytes_for(1, 0), 128u);  // room for 8 padded words
  EXPECT_EQ(Megaflow::block_bytes_for(8, 8), 192u);
  EXPECT_EQ(Megaflow::block_bytes_for(74, 8), 64u + 640u);
  // Key bits outside the mask: a 16-byte map and the words, after the actions.
  EXPECT_EQ(Megaflow::block_bytes_for(1, 0, 1), 128u);  // 64 + (28 -> 32) + 24: still 128
  EXPECT_EQ(Megaflow::block_bytes_for(4, 8, 1), 192u);  // 64 + (60 -> 64) + 24 = 152
  EXPECT_EQ(Megaflow::block_bytes_for(8, 8, 9), 256u);  // 64 + (92 -> 96) + 88 = 248
}

TEST(MegaflowStorage, ModifyReplacesActionsOfAnySize) {
  MegaflowTable table;
  const Match match = make_match({.ip_dst = 1}, {.dst_prefix = 32});
  ASSERT_TRUE(add(table, match, 1).ok());
  rcu::ReadSection read;
  Megaflow* flow = table.get(match);
  ASSERT_NE(flow, nullptr);
  const std::span<const uint8_t> first = flow->actions();
  flow->record(3, 300, 5, 0);

  // The same actions again: nothing to replace.
  ASSERT_TRUE(add(table, match, 1, PutMode::kModify).ok());
  EXPECT_EQ(flow->actions().data(), first.data());

  // Longer, shorter, empty: each replaces the list whole; the old span
  // stays readable until the read section ends.
  for (size_t size : {200u, 4u, 0u, 8u}) {
    std::vector<uint8_t> actions(size, static_cast<uint8_t>(size));
    auto result = table.put(MegaflowPut{match, std::nullopt, actions, PutMode::kModify, size == 4});
    ASSERT_TRUE(result.ok()) << result.error();
    EXPECT_FALSE(result->created);
    EXPECT_EQ(table.get(match), flow);
    EXPECT_EQ(std::vector<uint8_t>(flow->actions().begin(), flow->actions().end()), actions);
  }
  EXPECT_EQ(output_port(first), 1u);
  EXPECT_EQ(flow->stats().packets, 0u);  // cleared by the 4-byte modify
  EXPECT_TRUE(flow->match() == match);
}

TEST(MegaflowStorage, DeleteFreesTheSlotAndTheLowestIsReusedFirst) {
  MegaflowTable table;
  std::vector<Ufid> ufids;
  for (uint32_t i = 0; i < 3000; ++i)
    ufids.push_back(ufid_of(add(table, make_match({.ip_dst = i}, {.dst_prefix = 32}), i)));
  {
    rcu::ReadSection read;
    for (uint32_t i = 0; i < 3000; ++i) EXPECT_EQ(table.get(ufids[i])->slot(), i);
  }
  ASSERT_TRUE(table.remove(ufids[2500]).ok());
  ASSERT_TRUE(table.remove(ufids[17]).ok());
  {
    rcu::ReadSection read;
    EXPECT_EQ(table.flow_in_slot(17), nullptr);
    EXPECT_EQ(table.flow_in_slot(2500), nullptr);
  }
  const Ufid a = ufid_of(add(table, make_match({.ip_dst = 5000}, {.dst_prefix = 32}), 1));
  const Ufid b = ufid_of(add(table, make_match({.ip_dst = 5001}, {.dst_prefix = 32}), 1));
  const Ufid c = ufid_of(add(table, make_match({.ip_dst = 5002}, {.dst_prefix = 32}), 1));
  rcu::ReadSection read;
  EXPECT_EQ(table.get(a)->slot(), 17u);
  EXPECT_EQ(table.get(b)->slot(), 2500u);
  EXPECT_EQ(table.get(c)->slot(), 3000u);
  EXPECT_EQ(table.flow_in_slot(17), table.get(a));
  EXPECT_EQ(table.lookup(make_key({.ip_dst = 5001})).flow, table.get(b));
  EXPECT_EQ(table.lookup(make_key({.ip_dst = 17})).flow, nullptr);
}

TEST(FlowSlots, ChunksGoAwayWhenEmptyAndTheEndShrinks) {
  FlowSlots slots;
  EXPECT_EQ(slots.end(), 0u);
  auto* fake = reinterpret_cast<Megaflow*>(uintptr_t{64});
  const uint32_t n = 5 * FlowSlots::kChunkSize + 10;
  for (uint32_t i = 0; i < n; ++i) {
    ASSERT_EQ(slots.take(), i);
    slots.set(i, fake);
  }
  EXPECT_EQ(slots.end(), 6 * FlowSlots::kChunkSize);
  const size_t full = slots.footprint_bytes();
  // Empty chunk 2 in the middle: it goes, the end stays.
  for (uint32_t i = 2 * FlowSlots::kChunkSize; i < 3 * FlowSlots::kChunkSize; ++i)
    slots.give_back(i);
  EXPECT_EQ(slots.get(2 * FlowSlots::kChunkSize + 5), nullptr);
  EXPECT_EQ(slots.end(), 6 * FlowSlots::kChunkSize);
  EXPECT_LT(slots.footprint_bytes(), full);
  // The lowest free slot is taken first, bringing chunk 2 back.
  EXPECT_EQ(slots.take(), 2 * FlowSlots::kChunkSize);
  slots.give_back(2 * FlowSlots::kChunkSize);
  // Empty everything above chunk 0: the end comes down to one chunk.
  for (uint32_t i = FlowSlots::kChunkSize; i < n; ++i)
    if (slots.owner(i) != nullptr) slots.give_back(i);
  EXPECT_EQ(slots.end(), FlowSlots::kChunkSize);
  for (uint32_t i = 0; i < FlowSlots::kChunkSize; ++i) slots.give_back(i);
  EXPECT_EQ(slots.end(), FlowSlots::kChunkSize);  // chunk 0 stays
  EXPECT_EQ(slots.take(), 0u);
  slots.give_back(0);
  rcu::wait_for_deferred_frees();
}

TEST(FlowMemory, SizeClasses) {
  EXPECT_EQ(FlowMemory::rounded_size(1), 16u);
  EXPECT_EQ(FlowMemory::rounded_size(17), 32u);
  EXPECT_EQ(FlowMemory::rounded_size(256), 256u);
  EXPECT_EQ(FlowMemory::rounded_size(257), 320u);
  FlowMemory memory;
  std::vector<std::pair<void*, size_t>> blocks;
  for (size_t bytes : {12u, 16u, 100u, 128u, 192u, 700u, 8000u, 20000u}) {
    void* block = memory.allocate(bytes);
    std::memset(block, 1, bytes);
    if (bytes % 64 == 0) {
      EXPECT_EQ(reinterpret_cast<uintptr_t>(block) % 64, 0u) << bytes;
    }
    blocks.emplace_back(block, bytes);
  }
  EXPECT_GE(memory.footprint_bytes(), 20000u);
  for (auto [block, bytes] : blocks) memory.free(block, bytes);
}

// ---------------------------------------------------------- memory per flow

size_t resident_bytes() {
  FILE* file = std::fopen("/proc/self/statm", "r");
  unsigned long size = 0, resident = 0;
  if (file != nullptr) {
    if (std::fscanf(file, "%lu %lu", &size, &resident) != 2) resident = 0;
    std::fclose(file);
  }
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// A NORMAL bridge's megaflow: in_port and recirc_id, Ethernet addresses and
// type: 4 key words.
Match normal_bridge_match(uint32_t i) {
  Match match;
  match.key.clear();
  match.mask = FlowMask::wildcard_all();
  match.mask.bits.md.in_port = ~uint32_t{0};
  match.mask.bits.md.recirc_id = ~uint32_t{0};
  match.key.md.in_port = 1 + i % 4;
  std::memset(&match.mask.bits.eth_src, 0xff, sizeof match.mask.bits.eth_src);
  std::memset(&match.mask.bits.eth_dst, 0xff, sizeof match.mask.bits.eth_dst);
  match.mask.bits.eth_type = 0xffff;
  const uint8_t src[6] = {0x02, 0, static_cast<uint8_t>(i >> 24), static_cast<uint8_t>(i >> 16),
                          static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
  std::memcpy(&match.key.eth_src, src, 6);
  match.key.eth_type = hton16(0x0800);
  return match;
}

// 200,000 flows of a 4-word mask: the table's own accounting per flow, and
// after every flow is deleted (one at a time, as the revalidator does) the
// process's resident memory is back within 20 % of where it started. No
// timing: deferred frees are waited for.
TEST(MegaflowStorage, MemoryPerFlowAndMemoryComesBack) {
  constexpr uint32_t kFlows = 200000;
  MegaflowTable table;
  const std::vector<uint8_t> actions = output_action(2);
  // Warm up what every table use needs once (RCU's threads, the clock).
  ASSERT_TRUE(table.put(MegaflowPut{normal_bridge_match(kFlows), std::nullopt, actions}).ok());
  ASSERT_TRUE(table.remove(normal_bridge_match(kFlows)).ok());
  rcu::wait_for_deferred_frees();
  const size_t empty_footprint = table.footprint_bytes();
  const size_t start = resident_bytes();

  std::vector<Ufid> ufids;
  ufids.reserve(kFlows);
  for (uint32_t i = 0; i < kFlows; ++i) {
    auto result = table.put(MegaflowPut{normal_bridge_match(i), std::nullopt, actions});
    ASSERT_TRUE(result.ok()) << result.error();
    ufids.push_back(result->ufid);
  }
  ASSERT_EQ(table.mask_count(), 1u);
  ASSERT_EQ(table.subtables()[0].mask.word_map().lo, normal_bridge_match(0).mask.word_map().lo);
  const size_t footprint = table.footprint_bytes();
  const size_t peak = resident_bytes();
  const double per_flow = static_cast<double>(footprint - empty_footprint) / kFlows;
  std::printf("table memory per flow (4-word mask, 200,000 flows): %.1f bytes; resident %.1f "
              "bytes per flow\n",
              per_flow, static_cast<double>(peak - start) / kFlows);
  EXPECT_LE(per_flow, 200.0);

  for (const Ufid& ufid : ufids) ASSERT_TRUE(table.remove(ufid).ok());
  std::vector<Ufid>().swap(ufids);
  rcu::wait_for_deferred_frees();
  const size_t end = resident_bytes();
  std::printf("resident: start %zu KB, with flows %zu KB, after deleting them %zu KB; table "
              "footprint %zu -> %zu -> %zu bytes\n",
              start / 1024, peak / 1024, end / 1024, empty_footprint, footprint,
              table.footprint_bytes());
  EXPECT_LE(table.footprint_bytes(), empty_footprint + SlabAllocator::kSlabBytes);
#if !FLOWPATH_TEST_UNDER_ASAN
  // Under AddressSanitizer freed memory waits in its quarantine instead of
  // going back to the system, so only the table's own footprint (above) is
  // checked there.
  EXPECT_LE(end, start + start / 5);
#endif
}

}  // namespace
}  // namespace flowpath
