// Group and meter specs: parsing, dump-groups/dump-meters formatting, round
// trips, and every validation error.
#include <gtest/gtest.h>

#include "openflow/of_group.h"
#include "ovs_ofctl_peer.h"

namespace flowpath::openflow {
namespace {

// How flowpath prints groups differently from Open vSwitch, on purpose
// (docs/openflow-syntax.md). Every other group must print as `ovs-ofctl -O
// OpenFlow15 parse-group` prints it.
const std::vector<ovs_peer::Deliberate> kDeliberate = {
    {"group_id=3 type=all bucket=output:1 bucket=output:eth0", "",
     "port names come from the bridge, and ovs-ofctl parse-group has none to ask"},
    {"group_id=2,type=select,bucket=weight=5,actions=mod_vlan_vid:10,resubmit(,1),output:3,"
     "bucket=output:4,bucket_id:9,weight:0",
     "group_id=2,type=select,bucket=bucket_id:0,weight:5,actions=push_vlan:0x8100,"
     "set_field:4106->vlan_vid,resubmit(,1),output:3,bucket=bucket_id:9,weight:0,"
     "actions=output:4",
     "OpenFlow 1.0's mod_vlan_vid is kept (it pushes a tag only when there is none)"},
};

std::optional<uint32_t> test_ports(std::string_view name) {
  if (name == "eth0") return 7;
  return std::nullopt;
}

GroupSpec group(std::string_view text) {
  auto r = parse_group_spec(text, test_ports);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error());
  return r.ok() ? *r : GroupSpec{};
}

std::string group_error(std::string_view text) {
  auto r = parse_group_spec(text, test_ports);
  EXPECT_FALSE(r.ok()) << text << " parsed but should not have";
  return r.ok() ? "" : r.error();
}

// `text` prints as `canonical`; the canonical text reads back and prints the
// same (the structures are compared through their printed form, which
// includes every member).
void expect_group_canonical(std::string_view text, std::string_view canonical) {
  std::string printed = format_group_spec(group(text));
  EXPECT_EQ(printed, canonical) << "from " << text;
  EXPECT_EQ(format_group_spec(group(printed)), printed);
  ovs_peer::expect_agrees_with_ovs("group", text, printed, ovs_peer::ovs_group(text), kDeliberate);
}

MeterSpec meter(std::string_view text) {
  auto r = parse_meter_spec(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error());
  return r.ok() ? *r : MeterSpec{};
}

std::string meter_error(std::string_view text) {
  auto r = parse_meter_spec(text);
  EXPECT_FALSE(r.ok()) << text << " parsed but should not have";
  return r.ok() ? "" : r.error();
}

void expect_meter_canonical(std::string_view text, std::string_view canonical) {
  std::string printed = format_meter_spec(meter(text));
  EXPECT_EQ(printed, canonical) << "from " << text;
  EXPECT_EQ(format_meter_spec(meter(printed)), printed);
}

#define EXPECT_CONTAINS(error, substring)                                              \
  EXPECT_NE((error).find(substring), std::string::npos)                                \
      << "error: " << (error) << "\n  expected: " << (substring)

// ---- groups ----

TEST(GroupSpecParse, SelectGroup) {
  GroupSpec g = group("group_id=1,type=select,bucket=output:1,bucket=weight:3,output:2");
  EXPECT_EQ(g.group_id, 1u);
  EXPECT_EQ(g.type, GroupType::kSelect);
  EXPECT_TRUE(g.selection_method.empty());
  ASSERT_EQ(g.buckets.size(), 2u);
  EXPECT_EQ(g.buckets[0].bucket_id, 0u);
  EXPECT_EQ(g.buckets[0].weight, 1);
  EXPECT_EQ(g.buckets[1].bucket_id, 1u);
  EXPECT_EQ(g.buckets[1].weight, 3);
  ASSERT_EQ(g.buckets[1].actions.size(), 1u);
  EXPECT_EQ(std::get<action::Output>(g.buckets[1].actions[0]).port, 2u);
  EXPECT_EQ(g.buckets[1].watch_port, kOfppAny);
  EXPECT_EQ(g.buckets[1].watch_group, kOfgAny);
  expect_group_canonical("group_id=1,type=select,bucket=output:1,bucket=weight:3,output:2",
                         "group_id=1,type=select,bucket=bucket_id:0,actions=output:1,"
                         "bucket=bucket_id:1,weight:3,actions=output:2");
}

TEST(GroupSpecParse, BucketSyntaxes) {
  // weight=, actions=, several actions, nested parentheses, settings after
  // the actions, bucket_id given.
  GroupSpec g = group(
      "group_id=2,type=select,bucket=weight=5,actions=mod_vlan_vid:10,resubmit(,1),output:3,"
      "bucket=output:4,bucket_id:9,weight:0");
  ASSERT_EQ(g.buckets.size(), 2u);
  EXPECT_EQ(g.buckets[0].weight, 5);
  EXPECT_EQ(g.buckets[0].actions.size(), 3u);
  EXPECT_EQ(g.buckets[1].bucket_id, 9u);
  EXPECT_EQ(g.buckets[1].weight, 0);
  expect_group_canonical(
      "group_id=2,type=select,bucket=weight=5,actions=mod_vlan_vid:10,resubmit(,1),output:3,"
      "bucket=output:4,bucket_id:9,weight:0",
      "group_id=2,type=select,bucket=bucket_id:0,weight:5,actions=mod_vlan_vid:10,"
      "resubmit(,1),output:3,bucket=bucket_id:9,weight:0,actions=output:4");
  expect_group_canonical("group_id=3,type=all,bucket=actions=drop",
                         "group_id=3,type=all,bucket=bucket_id:0,actions=drop");
  expect_group_canonical("group_id=3 type=all bucket=output:1 bucket=output:eth0",
                         "group_id=3,type=all,bucket=bucket_id:0,actions=output:1,"
                         "bucket=bucket_id:1,actions=output:7");
  EXPECT_TRUE(group("group_id=3,type=all,bucket=actions=drop").buckets[0].actions.empty());
}

TEST(GroupSpecParse, FastFailoverAndIndirect) {
  GroupSpec ff = group(
      "group_id=2,type=fast_failover,bucket=watch_port:1,output:1,"
      "bucket=watch_port:eth0,output:2,bucket=watch_group:5,group:5,bucket=watch_port:ANY,"
      "watch_group:6,LOCAL");
  EXPECT_EQ(ff.type, GroupType::kFastFailover);
  ASSERT_EQ(ff.buckets.size(), 4u);
  EXPECT_EQ(ff.buckets[0].watch_port, 1u);
  EXPECT_EQ(ff.buckets[1].watch_port, 7u);
  EXPECT_EQ(ff.buckets[2].watch_group, 5u);
  EXPECT_EQ(ff.buckets[2].watch_port, kOfppAny);
  EXPECT_EQ(ff.buckets[3].watch_port, kOfppAny);
  expect_group_canonical(
      "group_id=2,type=fast_failover,bucket=watch_port:1,output:1,bucket=watch_group:5,group:5",
      "group_id=2,type=ff,bucket=bucket_id:0,watch_port:1,actions=output:1,"
      "bucket=bucket_id:1,watch_group:5,actions=group:5");
  expect_group_canonical("group_id=2,type=ff,bucket=watch_port:4,watch_group:3,output:1",
                         "group_id=2,type=ff,bucket=bucket_id:0,watch_port:4,watch_group:3,"
                         "actions=output:1");
  // Only a real port can be watched, as in ovs-ofctl.
  EXPECT_CONTAINS(group_error("group_id=2,type=ff,bucket=watch_port:LOCAL,watch_group:3,output:1"),
                  "port LOCAL cannot be watched");

  GroupSpec ind = group("group_id=4,type=indirect,bucket=actions=set_field:10.0.0.1->ip_dst,output:2");
  EXPECT_EQ(ind.type, GroupType::kIndirect);
  ASSERT_EQ(ind.buckets.size(), 1u);
  EXPECT_EQ(ind.buckets[0].actions.size(), 2u);
  expect_group_canonical("group_id=4,type=indirect,bucket=mod_nw_dst:10.0.0.1,output:2",
                         "group_id=4,type=indirect,bucket=bucket_id:0,"
                         "actions=set_field:10.0.0.1->ip_dst,output:2");
}

TEST(GroupSpecParse, SelectionMethodAndFields) {
  GroupSpec g = group(
      "group_id=1,type=select,selection_method=hash,fields(ip_src,tcp_dst),bucket=output:1");
  EXPECT_EQ(g.selection_method, "hash");
  ASSERT_EQ(g.fields.size(), 2u);
  EXPECT_EQ(g.fields[0], find_field("ip_src"));
  EXPECT_EQ(g.fields[1], find_field("tcp_dst"));
  expect_group_canonical(
      "group_id=1,type=select,selection_method=hash,fields(nw_src,tcp_dst),bucket=output:1",
      "group_id=1,type=select,selection_method=hash,fields(ip_src,tcp_dst),"
      "bucket=bucket_id:0,actions=output:1");
  expect_group_canonical("group_id=1,type=select,selection_method=hash,fields=eth_dst",
                         "group_id=1,type=select,selection_method=hash,fields=eth_dst");
  expect_group_canonical(
      "group_id=1,type=select,selection_method=hash,fields=ip_dst,fields=udp_src",
      "group_id=1,type=select,selection_method=hash,fields(ip_dst,udp_src)");
  expect_group_canonical("group_id=1,type=select,selection_method=dp_hash,bucket=output:1",
                         "group_id=1,type=select,selection_method=dp_hash,"
                         "bucket=bucket_id:0,actions=output:1");
}

TEST(GroupSpecParse, Limits) {
  EXPECT_EQ(group("group_id=0xffffff00,type=all").group_id, 0xffffff00u);
  EXPECT_EQ(group("group_id=0,type=all").group_id, 0u);
  // An empty group is valid (it drops): OpenFlow and ovs-ofctl allow it.
  expect_group_canonical("group_id=5,type=all", "group_id=5,type=all");
  EXPECT_EQ(group("group_id=1,type=all,bucket=bucket_id:0xffffff00,output:1").buckets[0].bucket_id,
            0xffffff00u);
  EXPECT_EQ(group("group_id=1,type=select,bucket=weight:65535,output:1").buckets[0].weight, 65535);
}

TEST(GroupSpecParse, HeaderErrors) {
  EXPECT_CONTAINS(group_error("type=all,bucket=output:1"), "must specify a group_id");
  EXPECT_CONTAINS(group_error("group_id=1,bucket=output:1"), "must specify a type");
  EXPECT_CONTAINS(group_error(""), "must specify a group_id");
  EXPECT_CONTAINS(group_error("group_id=0xffffff01,type=all"),
                  "group_id: 0xffffff01 is out of range (0..0xffffff00)");
  EXPECT_CONTAINS(group_error("group_id=all,type=all"), "group_id: \"all\" is not a number");
  EXPECT_CONTAINS(group_error("group_id=1,group_id=2,type=all"), "duplicate group_id");
  EXPECT_CONTAINS(group_error("group_id=1,type=all,type=select"), "duplicate type");
  EXPECT_CONTAINS(group_error("group_id=1,type=fancy"), "unknown group type \"fancy\"");
  EXPECT_CONTAINS(group_error("group_id=1,type=all,color=red"), "unknown keyword \"color\"");
  EXPECT_CONTAINS(group_error("group_id=1,type=select,selection_method=random"),
                  "unknown selection_method \"random\"");
  EXPECT_CONTAINS(group_error("group_id=1,type=all,selection_method=hash,fields=ip_src"),
                  "selection_method is only for select groups");
  EXPECT_CONTAINS(group_error("group_id=1,type=select,fields=ip_src"),
                  "fields may only be given with selection_method=hash");
  EXPECT_CONTAINS(group_error("group_id=1,type=select,selection_method=dp_hash,fields=ip_src"),
                  "fields may only be given with selection_method=hash");
  EXPECT_CONTAINS(group_error("group_id=1,type=select,selection_method=hash"),
                  "selection_method=hash needs the fields to hash");
  EXPECT_CONTAINS(group_error("group_id=1,type=select,selection_method=hash,fields(ip_src,nw_src)"),
                  "fields: duplicate field ip_src");
  EXPECT_CONTAINS(group_error("group_id=1,type=select,selection_method=hash,fields(bogus)"),
                  "fields: unknown field \"bogus\"");
  EXPECT_CONTAINS(
      group_error("group_id=1,type=select,selection_method=hash,fields(ip_src=255.0.0.0)"),
      "only field names are supported here");
  EXPECT_CONTAINS(group_error("group_id=1,type=select,selection_method=hash,fields()"),
                  "fields: expected at least one field name");
  EXPECT_CONTAINS(group_error("group_id=1,type=all,bucket=output:1)"), "unbalanced ')'");
}

TEST(GroupSpecParse, BucketErrors) {
  EXPECT_CONTAINS(group_error("group_id=1,type=indirect,bucket=output:1,bucket=output:2"),
                  "indirect groups must have exactly one bucket (got 2)");
  EXPECT_CONTAINS(group_error("group_id=1,type=indirect"),
                  "indirect groups must have exactly one bucket (got 0)");
  EXPECT_CONTAINS(group_error("group_id=1,type=fast_failover,bucket=output:1"),
                  "bucket #1: fast_failover buckets need a watch_port or a watch_group");
  EXPECT_CONTAINS(group_error("group_id=1,type=ff,bucket=watch_port:ANY,output:1"),
                  "fast_failover buckets need a watch_port or a watch_group");
  EXPECT_CONTAINS(group_error("group_id=1,type=all,bucket=weight:2,output:1"),
                  "bucket #1: weight is only for select groups");
  EXPECT_CONTAINS(group_error("group_id=1,type=indirect,bucket=weight:1,output:1"),
                  "weight is only for select groups");
  EXPECT_CONTAINS(group_error("group_id=1,type=all,bucket=watch_port:1,output:1"),
                  "watch_port is only for fast_failover groups");
  EXPECT_CONTAINS(group_error("group_id=1,type=select,bucket=watch_group:1,output:1"),
                  "watch_group is only for fast_failover groups");
  EXPECT_CONTAINS(group_error("group_id=1,type=ff,bucket=watch_port:NORMAL,output:1"),
                  "bucket #1: port NORMAL cannot be watched");
  EXPECT_CONTAINS(group_error("group_id=1,type=ff,bucket=watch_port:eth9,output:1"),
                  "bucket #1 watch_port: unknown port \"eth9\"");
  EXPECT_CONTAINS(group_error("group_id=1,type=ff,bucket=watch_group:0xffffff01,output:1"),
                  "bucket #1 watch_group: 0xffffff01 is out of range");
  EXPECT_CONTAINS(group_error("group_id=1,type=select,bucket=weight:65536,output:1"),
                  "bucket #1 weight: 65536 is out of range (0..65535)");
  EXPECT_CONTAINS(group_error("group_id=1,type=all,bucket=bucket_id:0xffffff01,output:1"),
                  "bucket #1 bucket_id: 0xffffff01 is out of range");
  EXPECT_CONTAINS(group_error("group_id=1,type=all,bucket=output:1,bucket=output:2,bucket=bucket_id:1,output:3"),
                  "duplicate bucket_id 1");
  EXPECT_CONTAINS(group_error("group_id=1,type=select,bucket=weight:1"),
                  "bucket #1 must specify actions");
  EXPECT_CONTAINS(group_error("group_id=1,type=all,bucket="), "bucket #1 must specify actions");
  EXPECT_CONTAINS(group_error("group_id=1,type=all,bucket=output:1,bucket=actions="),
                  "bucket #2: actions= is empty");
  EXPECT_CONTAINS(group_error("group_id=1,type=all,bucket=output:foo"),
                  "bucket #1: output: unknown port \"foo\"");
  EXPECT_CONTAINS(group_error("group_id=1,type=all,bucket=output:1,bucket=frob"),
                  "bucket #2: unknown action \"frob\"");
  EXPECT_CONTAINS(group_error("group_id=1,type=all,bucket=output:1,goto_table:1"),
                  "bucket #1: goto_table is an instruction and is not allowed in a group bucket");
  EXPECT_CONTAINS(group_error("group_id=1,type=all,bucket=write_metadata:1"),
                  "write_metadata is an instruction and is not allowed in a group bucket");
  EXPECT_CONTAINS(group_error("group_id=1,type=all,bucket=meter:1,output:1"),
                  "meter is an instruction and is not allowed in a group bucket");
  EXPECT_CONTAINS(group_error("group_id=1,type=all,bucket:output:1"), "expected bucket=...");
}

TEST(GroupType, Names) {
  EXPECT_EQ(to_string(GroupType::kAll), "all");
  EXPECT_EQ(to_string(GroupType::kSelect), "select");
  EXPECT_EQ(to_string(GroupType::kIndirect), "indirect");
  EXPECT_EQ(to_string(GroupType::kFastFailover), "fast_failover");
}

// ---- meters ----

TEST(MeterSpecParse, Forms) {
  MeterSpec m = meter("meter=1,pktps,burst,bands=type=drop,rate=1000,burst_size=100");
  EXPECT_EQ(m.meter_id, 1u);
  EXPECT_TRUE(m.pktps);
  EXPECT_TRUE(m.burst);
  EXPECT_FALSE(m.stats);
  ASSERT_EQ(m.bands.size(), 1u);
  EXPECT_EQ(m.bands[0].rate, 1000u);
  EXPECT_EQ(m.bands[0].burst_size, 100u);
  expect_meter_canonical("meter=1,pktps,burst,bands=type=drop,rate=1000,burst_size=100",
                         "meter=1,pktps,burst,bands=type=drop,rate=1000,burst_size=100");

  MeterSpec two = meter("meter=3,kbps,stats,bands=type=drop,rate=100,type=drop,rate=200");
  EXPECT_FALSE(two.pktps);
  EXPECT_TRUE(two.stats);
  ASSERT_EQ(two.bands.size(), 2u);
  EXPECT_EQ(two.bands[1].rate, 200u);
  expect_meter_canonical("meter=3,kbps,stats,bands=type=drop,rate=100,type=drop,rate=200",
                         "meter=3,kbps,stats,bands=type=drop,rate=100,type=drop,rate=200");
  // dump-meters' own spacing, flags in any order, burst without a size (the
  // default: the rate).
  expect_meter_canonical("meter=2 stats burst kbps bands=type=drop rate=500",
                         "meter=2,kbps,burst,stats,bands=type=drop,rate=500");
  EXPECT_EQ(meter("meter=2,kbps,burst,bands=type=drop,rate=5").bands[0].burst_size, 0u);
  EXPECT_EQ(meter("meter=0xffff0000,kbps,bands=type=drop,rate=4294967295").bands[0].rate,
            0xffffffffu);
}

TEST(MeterSpecParse, Errors) {
  EXPECT_CONTAINS(meter_error("kbps,bands=type=drop,rate=1"), "must specify meter=N");
  EXPECT_CONTAINS(meter_error("meter=0,kbps,bands=type=drop,rate=1"),
                  "meter: 0 is out of range (1..0xffff0000)");
  EXPECT_CONTAINS(meter_error("meter=0xffff0001,kbps,bands=type=drop,rate=1"), "is out of range");
  EXPECT_CONTAINS(meter_error("meter=all,kbps,bands=type=drop,rate=1"),
                  "meter: \"all\" is not a number");
  EXPECT_CONTAINS(meter_error("meter=1,meter=2,kbps,bands=type=drop,rate=1"), "duplicate meter");
  EXPECT_CONTAINS(meter_error("meter=1,bands=type=drop,rate=1"),
                  "meter must specify either kbps or pktps");
  EXPECT_CONTAINS(meter_error("meter=1,kbps,pktps,bands=type=drop,rate=1"),
                  "kbps and pktps are mutually exclusive");
  EXPECT_CONTAINS(meter_error("meter=1,kbps"), "meter must have bands");
  EXPECT_CONTAINS(meter_error("meter=1,kbps,bands="), "meter must have bands");
  EXPECT_CONTAINS(meter_error("meter=1,kbps,fast,bands=type=drop,rate=1"),
                  "unknown keyword \"fast\"");
  EXPECT_CONTAINS(meter_error("meter=1,kbps=3,bands=type=drop,rate=1"),
                  "unknown keyword \"kbps=3\"");
  EXPECT_CONTAINS(meter_error("meter=1,kbps,bands=type=dscp_remark,rate=1,prec_level=1"),
                  "band type dscp_remark is not supported");
  EXPECT_CONTAINS(meter_error("meter=1,kbps,bands=type=drop,rate=1,type=dscp_remark,rate=2"),
                  "band type dscp_remark is not supported");
  EXPECT_CONTAINS(meter_error("meter=1,kbps,bands=type=police,rate=1"),
                  "unknown band type \"police\"");
  EXPECT_CONTAINS(meter_error("meter=1,kbps,bands=rate=5"), "a band must start with type=");
  EXPECT_CONTAINS(meter_error("meter=1,kbps,bands=type=drop"), "band #1 must have a rate");
  EXPECT_CONTAINS(meter_error("meter=1,kbps,bands=type=drop,rate=1,type=drop"),
                  "band #2 must have a rate");
  EXPECT_CONTAINS(meter_error("meter=1,kbps,bands=type=drop,rate=0"),
                  "band #1 rate: 0 is out of range");
  EXPECT_CONTAINS(meter_error("meter=1,kbps,bands=type=drop,rate=4294967296"),
                  "band #1 rate: 4294967296 is out of range");
  EXPECT_CONTAINS(meter_error("meter=1,kbps,bands=type=drop,rate=1,rate=2"),
                  "band #1: duplicate rate");
  EXPECT_CONTAINS(meter_error("meter=1,kbps,bands=type=drop,rate=1,burst_size=10"),
                  "band #1: burst_size needs the meter's burst flag");
  EXPECT_CONTAINS(meter_error("meter=1,kbps,burst,bands=type=drop,rate=1,burst_size=0"),
                  "band #1 burst_size: 0 is out of range");
  EXPECT_CONTAINS(meter_error("meter=1,kbps,bands=type=drop,rate=1,prec_level=3"),
                  "band #1: unknown keyword \"prec_level\"");
  EXPECT_CONTAINS(meter_error("meter=1,kbps,bands=type=drop,rate=abc"),
                  "band #1 rate: \"abc\" is not a number");
}

}  // namespace
}  // namespace flowpath::openflow
