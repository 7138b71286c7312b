// Drop reasons: every reason has a distinct, Open vSwitch-style name and a
// line of text, and the counters add up by reason.
#include "packet/drop_counters.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>

namespace flowpath {
namespace {

TEST(DropReasonTest, EveryReasonHasADistinctOvsStyleNameAndAText) {
  std::set<std::string> names;
  for (size_t i = 0; i < kDropReasonCount; ++i) {
    const auto why = static_cast<DropReason>(i);
    const std::string name(drop_reason_name(why));
    EXPECT_TRUE(name.rfind("drop_action_", 0) == 0 || name.rfind("datapath_drop_", 0) == 0)
        << name;
    EXPECT_FALSE(drop_reason_text(why).empty()) << name;
    EXPECT_TRUE(names.insert(name).second) << name << " twice";
  }
  EXPECT_EQ(drop_reason_name(DropReason::kActionOfPipeline), "drop_action_of_pipeline");
  EXPECT_EQ(drop_reason_name(DropReason::kInvalidPort), "datapath_drop_invalid_port");
  EXPECT_EQ(drop_reason_name(DropReason::kRecircDepth), "datapath_drop_recirc_error");
}

TEST(DropReasonTest, CountersAddByReasonAndSnapshotsSumAndSubtract) {
  DropCounters single(CounterWriters::kOne);
  single.add(DropReason::kMeter, 3);
  single.add(DropReason::kMeter, 2);
  single.add(DropReason::kInvalidPort, 1);
  EXPECT_EQ(single.get(DropReason::kMeter), 5u);
  DropCounts a = single.snapshot();
  EXPECT_EQ(a.total(), 6u);
  DropCounts b = a;
  b += a;
  EXPECT_EQ(b[DropReason::kMeter], 10u);
  EXPECT_EQ((b - a)[DropReason::kInvalidPort], 1u);
}

TEST(DropReasonTest, SharedCountersTakeAddsFromManyThreads) {
  DropCounters shared(CounterWriters::kMany);
  std::thread t1([&] {
    for (int i = 0; i < 100000; ++i) shared.add(DropReason::kTxFailure, 1);
  });
  std::thread t2([&] {
    for (int i = 0; i < 100000; ++i) shared.add(DropReason::kTxFailure, 1);
  });
  t1.join();
  t2.join();
  EXPECT_EQ(shared.get(DropReason::kTxFailure), 200000u);
}

}  // namespace
}  // namespace flowpath
