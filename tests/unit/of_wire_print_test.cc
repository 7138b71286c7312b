// Messages the codec builds from the model (what a switch or controller
// sends, not what it received) printed by Open vSwitch: each encoding goes
// through `ovs-ofctl ofp-print` (Debian's openvswitch-common, installed by
// scripts/install-deps.sh) and must print exactly as expected. Without
// ovs-ofctl the test fails rather than passing unseen.
#include <gtest/gtest.h>

#include <string>

#include "openflow/flow_mod.h"
#include "openflow/of_group.h"
#include "openflow/wire/async_config.h"
#include "openflow/wire/bundle.h"
#include "openflow/wire/error_message.h"
#include "openflow/wire/features.h"
#include "openflow/wire/flow_monitor.h"
#include "openflow/wire/flow_stats.h"
#include "openflow/wire/group_desc.h"
#include "openflow/wire/hello.h"
#include "openflow/wire/meter.h"
#include "openflow/wire/packet_in.h"
#include "openflow/wire/port_stats.h"
#include "openflow/wire/role.h"
#include "openflow/wire/table_stats.h"
#include "ovs_ofctl_peer.h"

namespace flowpath::openflow::wire {
namespace {

std::string to_hex(ByteView bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

// What `ovs-ofctl ofp-print` prints for `bytes`, without the trailing newline.
std::string ovs_print(ByteView bytes) {
  auto [code, out] = ovs_peer::run_ovs_ofctl("ofp-print " + to_hex(bytes));
  EXPECT_EQ(code, 0) << out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

class OfWirePrint : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(ovs_peer::ovs_ofctl_present()) << "ovs-ofctl is missing"; }
};

FlowModSpec rule(std::string_view text) {
  auto spec = parse_flow_mod(text, FlowModCommand::kAdd);
  EXPECT_TRUE(spec.ok()) << text;
  return spec.ok() ? *spec : FlowModSpec{};
}

TEST_F(OfWirePrint, HelloAndErrors) {
  EXPECT_EQ(ovs_print(encode_hello(version_bit(1) | version_bit(4) | version_bit(6), 7)),
            "OFPT_HELLO (OF1.5) (xid=0x7):\n version bitmap: 0x01, 0x04, 0x06");
  FlowMod fm;
  fm.spec = rule("ip,actions=output:3");
  auto request = encode_flow_mod(fm, Protocol{kOfp13, false, false}, 9);
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(ovs_print(encode_error_reply(OfpErrorCode::OFPBAC_BAD_OUT_PORT, *request))
                .substr(0, 63),
            "OFPT_ERROR (OF1.3) (xid=0x9): OFPBAC_BAD_OUT_PORT\nOFPT_FLOW_MOD");
  // An error OpenFlow 1.0 numbers as a Nicira vendor error.
  EXPECT_EQ(ovs_print(encode_error(OfpErrorCode::OFPBRC_BAD_PORT, kOfp10, 3, {})),
            "OFPT_ERROR (xid=0x3): OFPBRC_BAD_PORT\nOpenFlow message is empty");
}

TEST_F(OfWirePrint, FeaturesAndPortStats) {
  FeaturesReply f;
  f.datapath_id = 0x1234;
  f.n_buffers = 0;
  f.n_tables = 254;
  f.capabilities = capability::kFlowStats | capability::kTableStats | capability::kPortStats |
                   capability::kGroupStats;
  EXPECT_EQ(ovs_print(encode_features_reply(f, kOfp13, 2)),
            "OFPT_FEATURES_REPLY (OF1.3) (xid=0x2): dpid:0000000000001234\n"
            "n_tables:254, n_buffers:0\n"
            "capabilities: FLOW_STATS TABLE_STATS PORT_STATS GROUP_STATS");
  PortStats p;
  p.port_no = 3;
  p.rx_packets = 10;
  p.tx_packets = 20;
  p.rx_bytes = 1000;
  p.tx_bytes = 2000;
  p.rx_dropped = p.tx_dropped = p.rx_errors = p.tx_errors = 0;
  p.duration_sec = 5;
  p.duration_nsec = 500000000;
  EXPECT_EQ(ovs_print(encode_port_stats_reply({p}, kOfp14, 4).front()),
            "OFPST_PORT reply (OF1.4) (xid=0x4): 1 ports\n"
            "  port  3: rx pkts=10, bytes=1000, drop=0, errs=0, frame=?, over=?, crc=?\n"
            "           tx pkts=20, bytes=2000, drop=0, errs=0, coll=?\n"
            "           duration=5.500s");
  TableStats t;
  t.table_id = 0;
  t.active_count = 4;
  t.lookup_count = 100;
  t.matched_count = 90;
  EXPECT_EQ(ovs_print(encode_table_stats_reply({t}, kOfp13, 5).front()),
            "OFPST_TABLE reply (OF1.3) (xid=0x5):\n"
            "  table 0:\n"
            "    active=4, lookup=100, matched=90");
}

TEST_F(OfWirePrint, FlowStatsFromText) {
  FlowStats fs;
  fs.rule = rule("table=1,priority=100,cookie=0x5,idle_timeout=30,tcp,nw_dst=10.0.0.0/8,"
                 "tp_dst=80,actions=mod_nw_src:1.2.3.4,output:2");
  fs.duration_sec = 3;
  fs.duration_nsec = 0;
  fs.packet_count = 7;
  fs.byte_count = 700;
  fs.idle_age = 1;
  EXPECT_EQ(ovs_print(encode_flow_stats_reply({fs}, kOfp10, true, 6).front()),
            "NXST_FLOW reply (xid=0x6):\n"
            " cookie=0x5, duration=3s, table=1, n_packets=7, n_bytes=700, idle_timeout=30, "
            "idle_age=1, priority=100,tcp,nw_dst=10.0.0.0/8,tp_dst=80 "
            "actions=mod_nw_src:1.2.3.4,output:2");
  // OpenFlow 1.3 has no mod_nw_src: set_field, as Open vSwitch sends it.
  EXPECT_EQ(ovs_print(encode_flow_stats_reply({fs}, kOfp13, false, 6).front()),
            "OFPST_FLOW reply (OF1.3) (xid=0x6):\n"
            " cookie=0x5, duration=3s, table=1, n_packets=7, n_bytes=700, idle_timeout=30, "
            "priority=100,tcp,nw_dst=10.0.0.0/8,tp_dst=80 "
            "actions=set_field:1.2.3.4->ip_src,output:2");
}

TEST_F(OfWirePrint, GroupsAndMetersFromText) {
  auto group = parse_group_spec(
      "group_id=5,type=select,selection_method=hash,fields(ip_src,tcp_dst),"
      "bucket=bucket_id:1,weight:3,output:1,bucket=bucket_id:2,weight:5,output:2");
  ASSERT_TRUE(group.ok()) << group.error();
  EXPECT_EQ(ovs_print(encode_group_desc_reply({*group}, kOfp15, 8).front()),
            "OFPST_GROUP_DESC reply (OF1.5) (xid=0x8):\n"
            " group_id=5,type=select,selection_method=hash,fields(ip_src,tcp_dst),"
            "bucket=bucket_id:1,weight:3,actions=output:1,bucket=bucket_id:2,weight:5,"
            "actions=output:2");
  auto meter = parse_meter_spec("meter=1,kbps,burst,stats,bands=type=drop,rate=1000,burst_size=100");
  ASSERT_TRUE(meter.ok()) << meter.error();
  EXPECT_EQ(ovs_print(encode_meter_mod(MeterMod{MeterModCommand::kAdd, *meter}, kOfp13, 9)),
            "OFPT_METER_MOD (OF1.3) (xid=0x9): ADD meter=1 kbps burst stats bands=\n"
            "type=drop rate=1000 burst_size=100");
}

TEST_F(OfWirePrint, RolesBundlesMonitorsAsync) {
  RoleMessage role{ControllerRole::kPrimary, uint64_t{12}};
  auto of13 = encode_role_request(role, kOfp13, false, 1);
  ASSERT_TRUE(of13.ok());
  EXPECT_EQ(ovs_print(*of13),
            "OFPT_ROLE_REQUEST (OF1.3) (xid=0x1): role=primary generation_id=12");
  auto nx = encode_role_request(role, kOfp10, false, 2);
  ASSERT_TRUE(nx.ok());
  EXPECT_EQ(ovs_print(*nx), "NXT_ROLE_REQUEST (xid=0x2): role=primary");
  auto status = encode_role_status(RoleStatus{ControllerRole::kSecondary, 0, 7}, kOfp14);
  ASSERT_TRUE(status);
  EXPECT_EQ(ovs_print(*status),
            "OFPT_ROLE_STATUS (OF1.4) (xid=0x0): role=secondary generation_id=7 "
            "reason=primary_request");
  auto bundle = encode_bundle_control(BundleControl{3, 0, kBundleAtomic}, kOfp14, 4);
  ASSERT_TRUE(bundle.ok());
  EXPECT_EQ(ovs_print(*bundle),
            "OFPT_BUNDLE_CONTROL (OF1.4) (xid=0x4):\n bundle_id=0x3 type=OPEN_REQUEST flags=atomic");
  FlowMonitorRequest m;
  m.id = 1;
  m.flags = flow_monitor_flag::kInitial | flow_monitor_flag::kAdd;
  m.match = rule("ip,actions=drop").match;
  auto monitor = encode_flow_monitor_request({m}, kOfp14, 5);
  ASSERT_TRUE(monitor.ok());
  EXPECT_EQ(ovs_print(*monitor),
            "OFPST_FLOW_MONITOR request (OF1.4) (xid=0x5):\n"
            " id=1 flags=initial,add ip");
  AsyncConfig async;
  async.primary[static_cast<int>(AsyncMessage::kPacketIn)] = 0x3;
  async.present = 1u << 1;  // the primary packet-in mask only
  const std::string printed = ovs_print(encode_set_async_config(async, kOfp14, 6));
  EXPECT_EQ(printed.substr(0, printed.find('\n', 50)),
            "OFPT_SET_ASYNC (OF1.4) (xid=0x6):\n"
            " primary:\n"
            "       PACKET_IN: no_match action");
}

TEST_F(OfWirePrint, PacketInWithUserdata) {
  PacketIn pin;
  pin.reason = packet_in_reason::kAction;
  pin.table_id = 2;
  pin.cookie = 0x9;
  pin.metadata = rule("in_port=1,reg0=5,actions=drop").match;
  pin.packet = {0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
                0x88, 0xb5, 0xaa, 0xbb};
  pin.userdata = {1, 2, 3};
  EXPECT_EQ(ovs_print(encode_packet_in(pin, kOfp13, PacketInFormat::kNxt2, 0)),
            "NXT_PACKET_IN2 (OF1.3) (xid=0x0): table_id=2 cookie=0x9 total_len=16 "
            "reg0=0x5,in_port=1 (via action) data_len=16 (unbuffered)\n"
            " userdata=01.02.03\n"
            "vlan_tci=0x0000,dl_src=00:00:00:00:00:01,dl_dst=00:00:00:00:00:02,dl_type=0x88b5");
}

}  // namespace
}  // namespace flowpath::openflow::wire
