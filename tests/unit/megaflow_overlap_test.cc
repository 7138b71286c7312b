// MegaflowTable's treatment of overlapping flows: Open vSwitch's userspace
// datapath rule by default (a create is refused only when an existing flow
// matches the new flow's own key, as given; a modify changes the flow that
// key finds), and the flow-overlap=refuse option that keeps flows disjoint.
#include <gtest/gtest.h>

#include <string>

#include "megaflow_test_helpers.h"
#include "table/megaflow_table.h"

namespace flowpath {
namespace {

using namespace megaflow_test;

constexpr uint32_t ip(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return a << 24 | b << 16 | c << 8 | d;
}

// in_port=1, eth_type=0x0800, ipv4_src=SRC/PREFIX; the key as given, not
// normalised (Open vSwitch keeps and looks up the bits outside the mask).
Match src(uint32_t address, int prefix) {
  Fields f;
  f.ip_src = address;
  return Match{make_key(f), make_mask({.src_prefix = prefix})};
}

uint32_t port_of(const MegaflowTable& table, const Ufid& ufid) {
  rcu::ReadSection read;
  const Megaflow* flow = table.get(ufid);
  return flow == nullptr ? ~0u : output_port(flow->actions());
}

// The sequence checked against Open vSwitch 3.1 (ovs-appctl dpctl/add-flow
// on a private ovs-vswitchd with dummy ports, revalidators paused): which
// creates it refuses with "File exists".
TEST(MegaflowOverlapTest, CreateRefusedOnlyWhenAFlowMatchesTheNewKey) {
  MegaflowTable table;
  EXPECT_EQ(table.flow_overlap(), FlowOverlap::kAllow);
  auto a = add(table, src(ip(10, 0, 0, 1), 24), 2);  // key 10.0.0.1, matches 10.0.0.0/24
  ASSERT_TRUE(a.ok()) << a.error();

  // 10.0.0.1/32 and 10.0.0.0/16: their keys hit flow a.
  auto exact = add(table, src(ip(10, 0, 0, 1), 32), 2);
  ASSERT_FALSE(exact.ok());
  EXPECT_EQ(exact.error(), "flow " + a->ufid.to_string() + " already matches this flow's key");
  EXPECT_FALSE(add(table, src(ip(10, 0, 0, 0), 16), 2).ok());

  // 10.1.0.0/16 overlaps nothing; 10.2.0.0/8 overlaps both flows, but its
  // key (10.2.0.0) hits neither: accepted, as Open vSwitch does.
  auto b = add(table, src(ip(10, 1, 0, 0), 16), 2);
  ASSERT_TRUE(b.ok()) << b.error();
  auto wide = add(table, src(ip(10, 2, 0, 0), 8), 1);
  ASSERT_TRUE(wide.ok()) << wide.error();
  EXPECT_TRUE(wide->created);
  EXPECT_EQ(table.count(), 3u);

  // Now every 10/8 key hits the wide flow: 10.0.1.0/24 and 10.1.2.3 are refused.
  auto inside = add(table, src(ip(10, 0, 1, 0), 24), 2);
  ASSERT_FALSE(inside.ok());
  EXPECT_EQ(inside.error(), "flow " + wide->ufid.to_string() + " already matches this flow's key");
  EXPECT_FALSE(add(table, src(ip(10, 1, 2, 3), 32), 2).ok());
  // The same match again names the flow as existing.
  auto again = add(table, src(ip(10, 2, 0, 0), 8), 1);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error(), "flow " + wide->ufid.to_string() + " already exists");
  EXPECT_EQ(table.count(), 3u);
}

// Open vSwitch looks up the key as given: bits outside the mask count.
TEST(MegaflowOverlapTest, TheKeyLookedUpIsTheKeyAsGiven) {
  MegaflowTable table;
  ASSERT_TRUE(add(table, src(ip(10, 0, 0, 1), 32), 2).ok());
  // Key 10.0.0.1 under /24 hits the /32 flow; key 10.0.0.0 under /24 does not.
  EXPECT_FALSE(add(table, src(ip(10, 0, 0, 1), 24), 2).ok());
  auto masked = add(table, src(ip(10, 0, 0, 0), 24), 2);
  ASSERT_TRUE(masked.ok()) << masked.error();
  EXPECT_EQ(table.count(), 2u);
}

TEST(MegaflowOverlapTest, ModifyChangesTheFlowTheKeyFinds) {
  MegaflowTable table;
  auto narrow = add(table, src(ip(10, 0, 1, 9), 32), 2);
  auto wide = add(table, src(ip(10, 0, 0, 0), 8), 1);
  ASSERT_TRUE(narrow.ok() && wide.ok());

  // mod-flow with key 10.0.1.5/32: no flow has that match, but the wide
  // flow matches its key, so its actions change and its match stays.
  auto modified = add(table, src(ip(10, 0, 1, 5), 32), 7, PutMode::kModify);
  ASSERT_TRUE(modified.ok()) << modified.error();
  EXPECT_FALSE(modified->created);
  EXPECT_EQ(modified->ufid, wide->ufid);
  EXPECT_EQ(port_of(table, wide->ufid), 7u);
  EXPECT_EQ(port_of(table, narrow->ufid), 2u);
  EXPECT_EQ(table.count(), 2u);
  {
    rcu::ReadSection read;
    EXPECT_EQ(table.get(wide->ufid)->match().mask, make_mask({.src_prefix = 8}));
  }

  // --may-create finds the same flow; a key nothing matches is created.
  auto either = add(table, src(ip(10, 9, 9, 9), 32), 8, PutMode::kCreateOrModify);
  ASSERT_TRUE(either.ok());
  EXPECT_EQ(either->ufid, wide->ufid);
  EXPECT_EQ(port_of(table, wide->ufid), 8u);
  auto absent = add(table, src(ip(11, 0, 1, 9), 32), 1, PutMode::kModify);
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.error(), "no flow matches this flow's key");
  auto created = add(table, src(ip(11, 0, 1, 9), 32), 1, PutMode::kCreateOrModify);
  ASSERT_TRUE(created.ok());
  EXPECT_TRUE(created->created);
  EXPECT_EQ(table.count(), 3u);
}

// With a UFID the flow is named: a modify changes that flow even when
// another one comes first in a lookup (the revalidator relies on it), and a
// UFID no flow has does not take over another flow.
TEST(MegaflowOverlapTest, UfidNamesTheFlowAmongOverlappingOnes) {
  MegaflowTable table;
  const Ufid narrow_id{{1, 1, 1, 1}}, wide_id{{2, 2, 2, 2}}, fresh{{3, 3, 3, 3}};
  const Match narrow = src(ip(10, 0, 1, 9), 32), wide = src(ip(10, 0, 0, 0), 8);
  ASSERT_TRUE(add(table, narrow, 2, PutMode::kCreate, narrow_id).ok());
  ASSERT_TRUE(add(table, wide, 1, PutMode::kCreate, wide_id).ok());

  // The narrow flow's subtable comes first, but the UFID picks the wide flow.
  auto by_ufid = add(table, wide, 5, PutMode::kModify, wide_id);
  ASSERT_TRUE(by_ufid.ok()) << by_ufid.error();
  EXPECT_EQ(port_of(table, wide_id), 5u);
  EXPECT_EQ(port_of(table, narrow_id), 2u);

  auto unknown = add(table, src(ip(10, 0, 2, 0), 24), 6, PutMode::kModify, fresh);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error(), "no flow with " + fresh.to_string());
  auto taken = add(table, src(ip(10, 0, 2, 0), 24), 6, PutMode::kCreateOrModify, fresh);
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error(), "flow " + wide_id.to_string() + " already matches this flow's key");
  auto twin = add(table, wide, 6, PutMode::kCreate, fresh);
  ASSERT_FALSE(twin.ok());
  EXPECT_EQ(twin.error(), "a flow with this match already exists as " + wide_id.to_string());
  EXPECT_EQ(port_of(table, wide_id), 5u);
  EXPECT_EQ(table.count(), 2u);
}

TEST(MegaflowOverlapTest, LookupsGetAMatchingFlowAndDeletesByMatchTakeTheExactOne) {
  MegaflowTable table;
  const Match narrow = src(ip(10, 0, 1, 9), 32), wide = src(ip(10, 0, 0, 0), 8);
  auto n = add(table, narrow, 2);
  auto w = add(table, wide, 1);
  ASSERT_TRUE(n.ok() && w.ok());
  Fields in_both;
  in_both.ip_src = ip(10, 0, 1, 9);
  Fields in_wide;
  in_wide.ip_src = ip(10, 0, 3, 3);
  {
    rcu::ReadSection read;
    // Both match 10.0.1.9: the first subtable (the narrow one, created first) wins.
    MegaflowLookup hit = table.lookup(make_key(in_both));
    ASSERT_NE(hit.flow, nullptr);
    EXPECT_EQ(hit.flow->ufid(), n->ufid);
    EXPECT_EQ(table.lookup(make_key(in_wide)).flow->ufid(), w->ufid);
    // After ranking by hits the wide flow's subtable comes first.
    for (int i = 0; i < 3; ++i) table.lookup(make_key(in_wide));
  }
  ASSERT_TRUE(table.rank_subtables());
  {
    rcu::ReadSection read;
    EXPECT_EQ(table.lookup(make_key(in_both)).flow->ufid(), w->ufid);
    const FlowKey* keys[1];
    const FlowKey key = make_key(in_both);
    keys[0] = &key;
    Megaflow* flows[1];
    EXPECT_EQ(table.lookup_batch(keys, 1, flows), 1u);
    EXPECT_EQ(flows[0]->ufid(), w->ufid);
  }
  // Deleting by match removes exactly that flow; the other answers then.
  ASSERT_TRUE(table.remove(wide).ok());
  {
    rcu::ReadSection read;
    EXPECT_EQ(table.lookup(make_key(in_both)).flow->ufid(), n->ufid);
    EXPECT_EQ(table.lookup(make_key(in_wide)).flow, nullptr);
    EXPECT_EQ(table.get(wide), nullptr);
  }
  EXPECT_EQ(table.count(), 1u);
}

TEST(MegaflowOverlapTest, RefuseOptionKeepsFlowsDisjoint) {
  MegaflowTable table;
  table.set_flow_overlap(FlowOverlap::kRefuse);
  EXPECT_EQ(table.flow_overlap(), FlowOverlap::kRefuse);
  auto narrow = add(table, src(ip(10, 0, 1, 9), 32), 2);
  ASSERT_TRUE(narrow.ok());
  auto wide = add(table, src(ip(10, 0, 0, 0), 8), 1);
  ASSERT_FALSE(wide.ok());
  EXPECT_EQ(wide.error(), "flow overlaps existing flow " + narrow->ufid.to_string() +
                              " (a packet could match both)");
  // A modify finds the exact match only.
  auto modify = add(table, src(ip(10, 0, 1, 5), 24), 7, PutMode::kModify);
  ASSERT_FALSE(modify.ok());
  EXPECT_EQ(modify.error(), "no flow with this match");
  EXPECT_EQ(table.count(), 1u);

  // Back to the default: the wide flow is accepted.
  table.set_flow_overlap(FlowOverlap::kAllow);
  EXPECT_TRUE(add(table, src(ip(10, 0, 0, 0), 8), 1).ok());
}

TEST(MegaflowOverlapTest, OptionNames) {
  EXPECT_STREQ(flow_overlap_name(FlowOverlap::kAllow), "allow");
  EXPECT_STREQ(flow_overlap_name(FlowOverlap::kRefuse), "refuse");
  ASSERT_TRUE(parse_flow_overlap("refuse").ok());
  EXPECT_EQ(*parse_flow_overlap("refuse"), FlowOverlap::kRefuse);
  EXPECT_EQ(*parse_flow_overlap("allow"), FlowOverlap::kAllow);
  auto bad = parse_flow_overlap("deny");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "flow-overlap must be allow or refuse, not \"deny\"");
}

}  // namespace
}  // namespace flowpath
