// Group mods, meter mods and bundle commits in the OpenFlow model
// (Ofproto::group_mod, meter_mod, commit_bundle): OpenFlow's error codes as
// Open vSwitch gives them, buckets inserted and removed where OpenFlow 1.5
// says, deletes that take the rules using a group or meter with them, and
// every refusal (a bundle's too) leaving rules, groups and meters as they were.
#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "datapath/datapath_interface.h"
#include "ofproto/ofproto.h"

namespace flowpath::ofproto {
namespace {

using wire::GroupMod;
using wire::GroupModCommand;
using wire::MeterMod;
using wire::MeterModCommand;
using wire::OfpErrorCode;

class OfprotoGroupModTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0 || ::access("/dev/net/tun", R_OK | W_OK) != 0)
      GTEST_SKIP() << "needs root and /dev/net/tun for a bridge's TAP port";
    ofproto_ = std::make_shared<Ofproto>();
    DatapathConfig config;
    config.upcall_handler = ofproto_->upcall_handler();
    dpif_ = std::make_unique<DatapathInterface>(config);
    ofproto_->attach(*dpif_);
    br_ = "gm" + std::to_string(::getpid() % 100000);
    ASSERT_TRUE(ofproto_->add_bridge(br_).ok());
    ASSERT_TRUE(ofproto_->del_flows(br_, "", false).ok());
  }
  void TearDown() override {
    if (!ofproto_) return;
    (void)ofproto_->del_bridge(br_, true);
    ofproto_->stop();
    dpif_.reset();
  }

  static GroupMod group(GroupModCommand command, const std::string& text,
                        uint32_t bucket = wire::kBucketAll) {
    GroupMod gm;
    gm.command = command;
    auto spec = parse_group_spec(text);
    EXPECT_TRUE(spec.ok()) << text << ": " << (spec.ok() ? "" : spec.error());
    if (spec.ok()) gm.group = *spec;
    gm.command_bucket_id = bucket;
    return gm;
  }
  static GroupMod delete_group(uint32_t id) {
    GroupMod gm;
    gm.command = GroupModCommand::kDelete;
    gm.group.group_id = id;
    return gm;
  }
  static MeterMod meter(MeterModCommand command, const std::string& text) {
    MeterMod mm;
    mm.command = command;
    auto spec = parse_meter_spec(text);
    EXPECT_TRUE(spec.ok()) << text << ": " << (spec.ok() ? "" : spec.error());
    if (spec.ok()) mm.meter = *spec;
    return mm;
  }
  static BundleItem flow(FlowModCommand command, const std::string& text) {
    BundleItem item;
    auto spec = parse_flow_mod(text, command);
    EXPECT_TRUE(spec.ok()) << text << ": " << (spec.ok() ? "" : spec.error());
    item.flow_mod = FlowModRequest{};
    item.flow_mod->command = command;
    if (spec.ok()) item.flow_mod->spec = *spec;
    return item;
  }

  OfpErrorCode code(const wire::WireStatus& st) {
    EXPECT_FALSE(st.ok());
    return st.ok() ? OfpErrorCode::OFPBRC_EPERM : st.error().code;
  }
  std::string groups() {
    auto g = ofproto_->dump_groups(br_);
    EXPECT_TRUE(g.ok());
    std::string out;
    for (const GroupInfo& info : *g) out += info.text + "\n";
    return out;
  }
  std::string flows() {
    auto f = ofproto_->dump_flows(br_, "");
    EXPECT_TRUE(f.ok());
    std::string out;
    for (const RuleInfo& r : *f) out += r.match + " " + r.actions + "\n";
    return out;
  }

  std::shared_ptr<Ofproto> ofproto_;
  std::unique_ptr<DatapathInterface> dpif_;
  std::string br_;
};

TEST_F(OfprotoGroupModTest, GroupErrorsLeaveGroupsAsTheyWere) {
  ASSERT_TRUE(ofproto_->group_mod(br_, group(GroupModCommand::kAdd,
                                             "group_id=1,type=all,bucket=output:1,bucket=output:2"))
                  .ok());
  const std::string before = groups();
  EXPECT_EQ(code(ofproto_->group_mod(br_, group(GroupModCommand::kAdd,
                                                "group_id=1,type=all,bucket=output:3"))),
            OfpErrorCode::OFPGMFC_GROUP_EXISTS);
  EXPECT_EQ(code(ofproto_->group_mod(br_, group(GroupModCommand::kModify,
                                                "group_id=2,type=all,bucket=output:3"))),
            OfpErrorCode::OFPGMFC_UNKNOWN_GROUP);
  EXPECT_EQ(code(ofproto_->group_mod(br_, group(GroupModCommand::kAdd,
                                                "group_id=3,type=all,bucket=group:3"))),
            OfpErrorCode::OFPGMFC_LOOP);
  EXPECT_EQ(code(ofproto_->group_mod(br_, group(GroupModCommand::kAdd,
                                                "group_id=3,type=all,bucket=group:9"))),
            OfpErrorCode::OFPBAC_BAD_OUT_GROUP);
  GroupMod reserved = group(GroupModCommand::kAdd, "group_id=4,type=all,bucket=output:1");
  reserved.group.group_id = wire::kGroupMax + 1;
  EXPECT_EQ(code(ofproto_->group_mod(br_, reserved)), OfpErrorCode::OFPGMFC_INVALID_GROUP);
  EXPECT_EQ(groups(), before);

  // A chain that would come back to where it starts.
  ASSERT_TRUE(ofproto_->group_mod(br_, group(GroupModCommand::kAdd,
                                             "group_id=5,type=all,bucket=group:1"))
                  .ok());
  EXPECT_EQ(code(ofproto_->group_mod(br_, group(GroupModCommand::kModify,
                                                "group_id=1,type=all,bucket=group:5"))),
            OfpErrorCode::OFPGMFC_LOOP);
  EXPECT_NE(groups().find("group_id=1,type=all,bucket=bucket_id:0,actions=output:1"),
            std::string::npos)
      << groups();
}

TEST_F(OfprotoGroupModTest, InsertAndRemoveBuckets) {
  ASSERT_TRUE(ofproto_->group_mod(br_, group(GroupModCommand::kAdd,
                                             "group_id=1,type=all,bucket=bucket_id:1,output:1,"
                                             "bucket=bucket_id:2,output:2"))
                  .ok());
  auto insert = [&](const std::string& buckets, uint32_t where) {
    return ofproto_->group_mod(
        br_, group(GroupModCommand::kInsertBucket, "group_id=1,type=all," + buckets, where));
  };
  EXPECT_TRUE(insert("bucket=bucket_id:7,output:7", wire::kBucketFirst).ok());
  EXPECT_TRUE(insert("bucket=bucket_id:8,output:8", wire::kBucketLast).ok());
  EXPECT_TRUE(insert("bucket=bucket_id:9,output:9", 1).ok());
  EXPECT_EQ(code(insert("bucket=bucket_id:10,output:10", 55)), OfpErrorCode::OFPGMFC_UNKNOWN_BUCKET);
  EXPECT_EQ(code(insert("bucket=bucket_id:2,output:3", wire::kBucketLast)),
            OfpErrorCode::OFPGMFC_BUCKET_EXISTS);
  EXPECT_EQ(groups(),
            "group_id=1,type=all,bucket=bucket_id:7,actions=output:7,bucket=bucket_id:1,actions="
            "output:1,bucket=bucket_id:9,actions=output:9,bucket=bucket_id:2,actions=output:2,"
            "bucket=bucket_id:8,actions=output:8\n");
  auto remove = [&](uint32_t which) {
    return ofproto_->group_mod(br_, group(GroupModCommand::kRemoveBucket, "group_id=1,type=all", which));
  };
  EXPECT_TRUE(remove(wire::kBucketFirst).ok());
  EXPECT_TRUE(remove(9).ok());
  EXPECT_EQ(code(remove(9)), OfpErrorCode::OFPGMFC_UNKNOWN_BUCKET);
  EXPECT_EQ(groups(),
            "group_id=1,type=all,bucket=bucket_id:1,actions=output:1,bucket=bucket_id:2,actions="
            "output:2,bucket=bucket_id:8,actions=output:8\n");
  EXPECT_TRUE(remove(wire::kBucketAll).ok());
  EXPECT_EQ(groups(), "group_id=1,type=all\n");
}

TEST_F(OfprotoGroupModTest, DeletingAGroupOrMeterDeletesItsRules) {
  ASSERT_TRUE(ofproto_->group_mod(br_, group(GroupModCommand::kAdd, "group_id=1,type=all,bucket=output:1"))
                  .ok());
  ASSERT_TRUE(ofproto_->meter_mod(br_, meter(MeterModCommand::kAdd, "meter=3,kbps,bands=type=drop,rate=100"))
                  .ok());
  ASSERT_TRUE(ofproto_->add_flows(br_, {"priority=5,ip,actions=group:1", "priority=6,arp,actions=drop",
                                        "priority=7,udp,actions=meter:3,output:1"})
                  .ok());
  EXPECT_TRUE(ofproto_->group_mod(br_, delete_group(9)).ok());  // none: no error
  EXPECT_TRUE(ofproto_->group_mod(br_, delete_group(wire::kGroupAll)).ok());
  EXPECT_EQ(groups(), "");
  EXPECT_EQ(flows(), "priority=7,udp meter:3,output:1\npriority=6,arp drop\n");
  MeterMod del;
  del.command = MeterModCommand::kDelete;
  del.meter.meter_id = 3;
  EXPECT_TRUE(ofproto_->meter_mod(br_, del).ok());
  EXPECT_EQ(flows(), "priority=6,arp drop\n");
  EXPECT_TRUE(ofproto_->dump_meters(br_)->empty());
}

TEST_F(OfprotoGroupModTest, MeterErrors) {
  ASSERT_TRUE(ofproto_->meter_mod(br_, meter(MeterModCommand::kAdd, "meter=1,pktps,burst,bands=type=drop,rate=10,burst_size=5"))
                  .ok());
  EXPECT_EQ(code(ofproto_->meter_mod(br_, meter(MeterModCommand::kAdd, "meter=1,kbps,bands=type=drop,rate=10"))),
            OfpErrorCode::OFPMMFC_METER_EXISTS);
  EXPECT_EQ(code(ofproto_->meter_mod(br_, meter(MeterModCommand::kModify, "meter=2,kbps,bands=type=drop,rate=10"))),
            OfpErrorCode::OFPMMFC_UNKNOWN_METER);
  MeterMod remark = meter(MeterModCommand::kAdd, "meter=4,kbps,bands=type=drop,rate=10");
  remark.meter.bands[0].type = OfMeterBandType::kDscpRemark;
  EXPECT_EQ(code(ofproto_->meter_mod(br_, remark)), OfpErrorCode::OFPMMFC_BAD_BAND);
  MeterMod big = meter(MeterModCommand::kAdd, "meter=4,kbps,bands=type=drop,rate=10");
  big.meter.meter_id = 70000;
  EXPECT_EQ(code(ofproto_->meter_mod(br_, big)), OfpErrorCode::OFPMMFC_OUT_OF_METERS);
  EXPECT_EQ(*ofproto_->dump_meters(br_),
            std::vector<std::string>{"meter=1,pktps,burst,bands=type=drop,rate=10,burst_size=5"});
  ASSERT_TRUE(ofproto_->meter_mod(br_, meter(MeterModCommand::kModify, "meter=1,kbps,bands=type=drop,rate=20"))
                  .ok());
  auto infos = ofproto_->meters(br_);
  ASSERT_TRUE(infos.ok()) << infos.error();
  ASSERT_EQ(infos->size(), 1u);
  EXPECT_EQ((*infos)[0].bands.size(), 1u);
  EXPECT_EQ((*infos)[0].spec.bands[0].rate, 20u);
}

TEST_F(OfprotoGroupModTest, BundleIsAllOrNothing) {
  ASSERT_TRUE(ofproto_->add_flows(br_, {"priority=1,actions=drop", "priority=2,ip,actions=output:1"}).ok());
  ASSERT_TRUE(ofproto_->group_mod(br_, group(GroupModCommand::kAdd, "group_id=5,type=all,bucket=output:1"))
                  .ok());
  const std::string flows_before = flows(), groups_before = groups();

  std::vector<BundleItem> bad;
  bad.push_back(flow(FlowModCommand::kDelete, ""));
  BundleItem del;
  del.group_mod = delete_group(5);
  bad.push_back(del);
  BundleItem add6;
  add6.group_mod = group(GroupModCommand::kAdd, "group_id=6,type=all,bucket=output:1");
  bad.push_back(add6);
  bad.push_back(flow(FlowModCommand::kAdd, "priority=3,actions=group:6"));
  bad.push_back(add6);  // exists by now: the bundle fails here
  size_t failed = 99;
  EXPECT_EQ(code(ofproto_->commit_bundle(br_, bad, &failed)), OfpErrorCode::OFPGMFC_GROUP_EXISTS);
  EXPECT_EQ(failed, 4u);
  EXPECT_EQ(flows(), flows_before);
  EXPECT_EQ(groups(), groups_before);

  std::vector<BundleItem> good(bad.begin(), bad.end() - 1);
  ASSERT_TRUE(ofproto_->commit_bundle(br_, good, &failed).ok());
  EXPECT_EQ(flows(), "priority=3 group:6\n");
  EXPECT_EQ(groups(), "group_id=6,type=all,bucket=bucket_id:0,actions=output:1\n");
}

}  // namespace
}  // namespace flowpath::ofproto
