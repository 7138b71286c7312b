// The Open_vSwitch database read as flowpath's intent: bridges, ports with
// their VLAN settings, interfaces with type, options, ofport_request and
// mtu_request, and what flowpath cannot do kept as errors on the rows.
#include <gtest/gtest.h>

#include "ovsdb/reconciler.h"
#include "ovsdb/vsctl_transaction.h"
#include "ovsdb/vswitch_config.h"

namespace flowpath::ovsdb {
namespace {

// Row UUIDs: 0000000N-0000-0000-0000-000000000000.
std::string uuid(int n) {
  char text[37];
  std::snprintf(text, sizeof text, "%08d-0000-0000-0000-000000000000", n);
  return text;
}
Json ref(int n) { return Json::array({"uuid", uuid(n)}); }
Json refs(std::initializer_list<int> ns) {
  Json set = Json::array();
  for (int n : ns) set.push_back(ref(n));
  return Json::array({"set", set});
}
Json map(std::initializer_list<std::pair<const char*, const char*>> pairs) {
  Json list = Json::array();
  for (auto [k, v] : pairs) list.push_back(Json::array({k, v}));
  return Json::array({"map", list});
}
const Json kEmpty = Json::array({"set", Json::array()});

class OvsdbIntentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tables_["Open_vSwitch"][uuid(1)] = {
        {"new", {{"bridges", refs({10})}, {"next_cfg", 7}, {"other_config", map({})}}}};
    tables_["Bridge"][uuid(10)] = {{"new",
                                    {{"name", "br0"},
                                     {"ports", refs({20, 21})},
                                     {"controller", kEmpty},
                                     {"fail_mode", kEmpty},
                                     {"other_config", map({})}}}};
    add_port(20, "br0", 30, "internal");
    add_port(21, "p1", 31, "");
  }
  void add_port(int port, const char* name, int iface, const char* type) {
    tables_["Port"][uuid(port)] = {{"new", {{"name", name}, {"interfaces", refs({iface})},
                                            {"tag", kEmpty}, {"trunks", kEmpty},
                                            {"vlan_mode", kEmpty}}}};
    tables_["Interface"][uuid(iface)] = {{"new", {{"name", name}, {"type", type},
                                                  {"options", map({})},
                                                  {"ofport_request", kEmpty},
                                                  {"mtu_request", kEmpty}}}};
  }
  Json& port(int n) { return tables_["Port"][uuid(n)]["new"]; }
  Json& iface(int n) { return tables_["Interface"][uuid(n)]["new"]; }
  Json& bridge() { return tables_["Bridge"][uuid(10)]["new"]; }
  Json& root() { return tables_["Open_vSwitch"][uuid(1)]["new"]; }

  SwitchIntent read() {
    Replica replica;
    auto st = replica.reset(tables_);
    EXPECT_TRUE(st.ok()) << st.error();
    return read_switch_intent(replica);
  }
  const InterfaceIntent& p1(const SwitchIntent& intent) {
    return intent.bridges.at(0).ports.at(1).interfaces.at(0);
  }

  Json tables_ = Json::object();
};

TEST_F(OvsdbIntentTest, BridgeWithLocalAndSystemPort) {
  SwitchIntent intent = read();
  EXPECT_EQ(intent.root_uuid, uuid(1));
  EXPECT_EQ(intent.next_cfg, 7);
  ASSERT_EQ(intent.bridges.size(), 1u);
  const BridgeIntent& br = intent.bridges[0];
  EXPECT_EQ(br.name, "br0");
  ASSERT_EQ(br.ports.size(), 2u);
  EXPECT_TRUE(br.ports[0].interfaces.at(0).local);
  EXPECT_EQ(br.ports[0].interfaces.at(0).error, "");
  const InterfaceIntent& p = p1(intent);
  EXPECT_FALSE(p.local);
  EXPECT_EQ(p.error, "");
  EXPECT_EQ(p.port.name, "p1");
  EXPECT_EQ(p.port.type, "afpacket");
  EXPECT_EQ(p.port.ofport, 0u);
  EXPECT_FALSE(p.port.tag);
}

TEST_F(OvsdbIntentTest, VlanSettingsOfportAndMtu) {
  port(21)["tag"] = 10;
  port(21)["trunks"] = Json::array({"set", {20, 30}});
  port(21)["vlan_mode"] = "native-untagged";
  iface(31)["ofport_request"] = 5;
  iface(31)["mtu_request"] = 9000;
  iface(31)["type"] = "internal";
  SwitchIntent intent = read();
  const InterfaceIntent& p = p1(intent);
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.port.type, "internal");
  EXPECT_EQ(p.port.tag, 10);
  EXPECT_EQ(p.port.trunks, (std::vector<uint16_t>{20, 30}));
  EXPECT_EQ(p.port.vlan_mode, ofproto::VlanMode::kNativeUntagged);
  EXPECT_EQ(p.port.ofport, 5u);
  EXPECT_EQ(p.port.options, (std::vector<std::pair<std::string, std::string>>{{"mtu", "9000"}}));
}

TEST_F(OvsdbIntentTest, UnsupportedThingsBecomeInterfaceErrors) {
  iface(31)["type"] = "patch";
  EXPECT_EQ(p1(read()).error,
            "interface type \"patch\" is not supported by flowpath (supported: system, internal, "
            "tap, afxdp, vxlan, geneve, gre)");
  iface(31)["type"] = "";
  iface(31)["options"] = map({{"tag", "5"}});
  EXPECT_EQ(p1(read()).error, "options:tag is not an interface option (it is a column)");
  iface(31)["options"] = map({});
  port(21)["tag"] = 10;
  port(21)["trunks"] = Json::array({"set", {20}});
  EXPECT_EQ(p1(read()).error,
            "a port with tag=10 is an access port and cannot have trunks (for a native VLAN on a "
            "trunk, add vlan_mode=native-tagged or native-untagged)");
  port(21)["trunks"] = kEmpty;
  port(21)["tag"] = "ten";
  EXPECT_EQ(p1(read()).error, "column tag: expected at most one integer, got \"ten\"");
  port(21)["tag"] = kEmpty;
  iface(31)["ofport_request"] = 5000;
  EXPECT_EQ(p1(read()).error, "ofport_request=5000 is not a port number (1..1023)");
  iface(31)["ofport_request"] = kEmpty;
  iface(31)["type"] = "afxdp";
  iface(31)["options"] = map({{"a,b", "c"}});
  EXPECT_EQ(p1(read()).error, "option 'a,b=c' contains ','");
}

// A vxlan or geneve Interface's options go through the tunnel parser that
// fpctl add-port's do (tunnel::parse_tunnel_config): what it takes is the
// port's tunnel configuration, what it refuses is the row's error.
TEST_F(OvsdbIntentTest, TunnelInterfacesAreReadByTheTunnelParser) {
  iface(31)["type"] = "vxlan";
  iface(31)["options"] = map({{"remote_ip", "192.0.2.2"}, {"key", "42"}});
  SwitchIntent intent = read();
  const InterfaceIntent& vx = p1(intent);
  ASSERT_EQ(vx.error, "");
  EXPECT_EQ(vx.port.type, "vxlan");
  ASSERT_TRUE(vx.tunnel);
  EXPECT_EQ(vx.tunnel->type, tunnel::TunnelType::kVxlan);
  EXPECT_EQ(vx.tunnel->format_options(), "remote_ip=192.0.2.2, key=42");
  EXPECT_EQ(vx.port.options,
            (std::vector<std::pair<std::string, std::string>>{{"key", "42"}, {"remote_ip", "192.0.2.2"}}));

  iface(31)["type"] = "geneve";
  iface(31)["options"] = map({{"remote_ip", "flow"}, {"local_ip", "192.0.2.1"}, {"in_key", "flow"},
                              {"out_key", "0x10"}, {"dst_port", "6082"}, {"tos", "inherit"},
                              {"ttl", "32"}, {"df_default", "false"}, {"csum", "true"}});
  intent = read();
  ASSERT_EQ(p1(intent).error, "");
  ASSERT_TRUE(p1(intent).tunnel);
  EXPECT_EQ(p1(intent).tunnel->type, tunnel::TunnelType::kGeneve);
  EXPECT_EQ(p1(intent).tunnel->format_options(),
            "remote_ip=flow, local_ip=192.0.2.1, in_key=flow, out_key=16, dst_port=6082, "
            "tos=inherit, ttl=32, df_default=false, csum=true");

  // Other types carry no tunnel configuration.
  iface(31)["type"] = "";
  iface(31)["options"] = map({});
  EXPECT_FALSE(p1(read()).tunnel);

  iface(31)["type"] = "vxlan";
  iface(31)["options"] = map({{"remote_ip", "192.0.2.2"}, {"exts", "gbp"}});
  EXPECT_EQ(p1(read()).error,
            "vxlan port p1: option exts is not supported (supported: remote_ip, local_ip, key, "
            "in_key, out_key, dst_port, tos, ttl, df_default, csum)");
  iface(31)["options"] = map({{"key", "42"}});
  EXPECT_EQ(p1(read()).error, "vxlan port p1: remote_ip must be set (an address, or flow)");
  iface(31)["options"] = map({{"remote_ip", "192.0.2.2"}, {"key", "16777216"}});
  EXPECT_EQ(p1(read()).error, "vxlan port p1: key=16777216 is not a VNI (0..16777215) or flow");
  iface(31)["type"] = "geneve";
  iface(31)["options"] = map({{"remote_ip", "192.0.2.300"}});
  EXPECT_EQ(p1(read()).error,
            "geneve port p1: remote_ip=192.0.2.300 is not an IPv4 or IPv6 address or flow");
  iface(31)["options"] = map({{"remote_ip", "192.0.2.2"}, {"ttl", "0"}});
  EXPECT_EQ(p1(read()).error, "geneve port p1: ttl=0 is not a TTL (1..255) or inherit");
  // gre, read by the same parser: its key is 32 bits, it has no dst_port.
  iface(31)["type"] = "gre";
  iface(31)["options"] = map({{"remote_ip", "192.0.2.2"}, {"key", "4294967295"}, {"csum", "true"}});
  intent = read();
  ASSERT_EQ(p1(intent).error, "");
  ASSERT_TRUE(p1(intent).tunnel);
  EXPECT_EQ(p1(intent).tunnel->type, tunnel::TunnelType::kGre);
  iface(31)["options"] = map({{"remote_ip", "192.0.2.2"}, {"dst_port", "4789"}});
  EXPECT_NE(p1(read()).error, "");
  // Not built (patch ports): refused by type.
  iface(31)["type"] = "patch";
  iface(31)["options"] = map({{"peer", "p2"}});
  EXPECT_EQ(p1(read()).error,
            "interface type \"patch\" is not supported by flowpath (supported: system, internal, "
            "tap, afxdp, vxlan, geneve, gre)");
}

TEST_F(OvsdbIntentTest, BondsAndBadLocalTypeAreRefused) {
  port(21)["interfaces"] = refs({31, 32});
  tables_["Interface"][uuid(32)] = {{"new", {{"name", "p2"}, {"type", ""}}}};
  SwitchIntent intent = read();
  EXPECT_EQ(p1(intent).error, "bonds (a port with 2 interfaces) are not supported by flowpath");
  iface(30)["type"] = "";
  intent = read();
  EXPECT_EQ(intent.bridges[0].ports[0].interfaces[0].error,
            "the bridge's own interface br0 must have type internal, not \"\"");
}

TEST_F(OvsdbIntentTest, BridgeAndSwitchOtherConfig) {
  bridge()["other_config"] = map({{"datapath-id", "0000000000000abc"},
                                  {"hwaddr", "02:00:00:00:00:01"},
                                  {"mac-table-size", "100"},
                                  {"mac-aging-time", "bad"}});
  bridge()["fail_mode"] = "secure";
  bridge()["controller"] = refs({40});
  tables_["Controller"][uuid(40)] = {{"new", {{"target", "tcp:127.0.0.1:6653"}}}};
  root()["other_config"] = map({{"max-idle", "2000"}, {"flow-limit", "1000"}});
  SwitchIntent intent = read();
  const BridgeIntent& br = intent.bridges[0];
  EXPECT_EQ(br.datapath_id, 0xabcu);
  EXPECT_EQ(br.hwaddr, "02:00:00:00:00:01");
  EXPECT_EQ(br.mac_table_size, 100u);
  EXPECT_FALSE(br.mac_aging_seconds);
  EXPECT_EQ(br.fail_mode, "secure");
  ASSERT_EQ(br.controllers.size(), 1u);
  EXPECT_EQ(br.controllers[0].target, "tcp:127.0.0.1:6653");
  EXPECT_EQ(br.problems,
            (std::vector<std::string>{"other_config:mac-aging-time=bad is not 1..1000000 seconds; ignored"}));
  EXPECT_EQ(intent.max_idle_ms, 2000u);
  EXPECT_EQ(intent.flow_limit, 1000u);
  EXPECT_FALSE(intent.vlan_limit);
  EXPECT_TRUE(intent.problems.empty());
}

TEST_F(OvsdbIntentTest, FlowLimitAndVlanLimitAsOvsVswitchdReadsThem) {
  root()["other_config"] = map({{"flow-limit", "5000"}, {"vlan-limit", "0"}});
  SwitchIntent intent = read();
  EXPECT_EQ(intent.flow_limit, 5000u);
  EXPECT_EQ(intent.vlan_limit, 0);
  EXPECT_TRUE(intent.problems.empty());

  root()["other_config"] = map({{"vlan-limit", "7"}});  // more than a key holds: all of them
  EXPECT_EQ(read().vlan_limit, 2);

  root()["other_config"] = map({{"flow-limit", "0"},
                                {"vlan-limit", "-1"},
                                {"dpdk-init", "true"}});
  intent = read();
  EXPECT_FALSE(intent.flow_limit);
  EXPECT_FALSE(intent.vlan_limit);
  EXPECT_EQ(intent.problems,
            (std::vector<std::string>{
                "other_config:dpdk-init=true is not applied by flowpath yet",
                "other_config:flow-limit=0 is not 1..4194304; ignored",
                "other_config:vlan-limit=-1 is not a number of VLAN tags; ignored"}));
}

// The thread and cache keys: read as Open vSwitch's syntax; a bad value is
// marked invalid (the running value stays), unlike an absent key (the default).
TEST_F(OvsdbIntentTest, ThreadAndCacheKeys) {
  SwitchIntent intent = read();
  EXPECT_EQ(intent.emc_insert_inv_prob, CheckedKey<uint32_t>{});
  EXPECT_EQ(intent.handler_threads, CheckedKey<unsigned>{});
  EXPECT_EQ(intent.forwarding_cpus, CheckedKey<std::vector<unsigned>>{});

  root()["other_config"] = map({{"emc-insert-inv-prob", "0"},
                                {"n-handler-threads", "3"},
                                {"pmd-cpu-mask", "0x6"}});
  intent = read();
  EXPECT_EQ(intent.emc_insert_inv_prob.value, 0u);
  EXPECT_EQ(intent.handler_threads.value, 3u);
  EXPECT_EQ(intent.forwarding_cpus.value, (std::vector<unsigned>{1, 2}));
  EXPECT_TRUE(intent.problems.empty());

  root()["other_config"] = map({{"emc-insert-inv-prob", "4294967295"},
                                {"n-handler-threads", "0"},
                                {"pmd-cpu-mask", "A"}});
  intent = read();
  EXPECT_EQ(intent.emc_insert_inv_prob.value, 4294967295u);
  EXPECT_EQ(intent.handler_threads.value, 0u) << "0: the default, as in Open vSwitch";
  EXPECT_EQ(intent.forwarding_cpus.value, (std::vector<unsigned>{1, 3}));

  root()["other_config"] = map({{"emc-insert-inv-prob", "4294967296"},
                                {"n-handler-threads", "65"},
                                {"pmd-cpu-mask", "0x1g"},
                                {"n-revalidator-threads", "2"}});
  intent = read();
  EXPECT_TRUE(intent.emc_insert_inv_prob.invalid);
  EXPECT_FALSE(intent.emc_insert_inv_prob.value);
  EXPECT_TRUE(intent.handler_threads.invalid);
  EXPECT_TRUE(intent.forwarding_cpus.invalid);
  EXPECT_EQ(intent.problems,
            (std::vector<std::string>{
                "other_config:emc-insert-inv-prob=\"4294967296\" is not a decimal integer "
                "0..4294967295 (the inverse of the insertion probability; 0 disables the "
                "exact-match cache); not applied, the running value stays",
                "other_config:n-handler-threads=\"65\" is not a decimal integer 0..64 (threads "
                "per datapath; 0: the default); not applied, the running value stays",
                "other_config:n-revalidator-threads=2 is not applied: flowpath runs one "
                "revalidator thread per bridge",
                "other_config:pmd-cpu-mask: CPU mask \"0x1g\": 'g' at column 4 is not a "
                "hexadecimal digit; not applied, the running value stays"}));

  for (const char* bad : {"-1", "", " 5", "1e3", "0x10"}) {
    root()["other_config"] = map({{"emc-insert-inv-prob", bad}, {"n-handler-threads", bad}});
    intent = read();
    EXPECT_TRUE(intent.emc_insert_inv_prob.invalid) << bad;
    EXPECT_TRUE(intent.handler_threads.invalid) << bad;
  }
  for (const char* bad : {"0", "0x", "0x000", "-1", "1 "}) {
    root()["other_config"] = map({{"pmd-cpu-mask", bad}});
    EXPECT_TRUE(read().forwarding_cpus.invalid) << bad;
  }
}

TEST_F(OvsdbIntentTest, ControllersWithTheirSettings) {
  bridge()["controller"] = refs({40, 41});
  tables_["Controller"][uuid(40)] = {{"new", {{"target", "tcp:127.0.0.1:6653"},
                                              {"max_backoff", 2000},
                                              {"inactivity_probe", 300}}}};
  tables_["Controller"][uuid(41)] = {{"new", {{"target", "ptcp:6654"},
                                              {"connection_mode", "out-of-band"},
                                              {"enable_async_messages", true}}}};
  SwitchIntent intent = read();
  const auto& controllers = intent.bridges.at(0).controllers;
  ASSERT_EQ(controllers.size(), 2u);
  EXPECT_EQ(controllers[0].target, "tcp:127.0.0.1:6653");
  EXPECT_EQ(controllers[0].max_backoff_ms, 2000u);
  EXPECT_EQ(controllers[0].inactivity_probe_ms, 1000u);  // under a second is a second, as OVS
  EXPECT_EQ(controllers[0].error, "");
  EXPECT_EQ(controllers[1].max_backoff_ms, 8000u);        // Open vSwitch's defaults
  EXPECT_EQ(controllers[1].inactivity_probe_ms, 5000u);
  EXPECT_EQ(controllers[1].error, "");
}

TEST_F(OvsdbIntentTest, ControllerColumnsFlowpathDoesNotCarryOutAreRefused) {
  bridge()["controller"] = refs({40});
  auto error_with = [&](const char* column, Json value) {
    Json row = {{"target", "tcp:127.0.0.1:6653"}};
    row[column] = std::move(value);
    tables_["Controller"][uuid(40)] = {{"new", row}};
    return read().bridges.at(0).controllers.at(0).error;
  };
  EXPECT_EQ(error_with("connection_mode", "in-band").find("connection_mode=in-band is not supported"), 0u);
  EXPECT_EQ(error_with("controller_rate_limit", 1000), "controller_rate_limit=1000 is not supported by flowpath");
  EXPECT_NE(error_with("local_ip", "10.0.0.1").find("local_ip"), std::string::npos);
  EXPECT_NE(error_with("enable_async_messages", false).find("enable_async_messages"), std::string::npos);
  EXPECT_NE(error_with("other_config", map({{"dscp", "10"}})).find("other_config:dscp"), std::string::npos);
  EXPECT_NE(error_with("type", "service").find("type"), std::string::npos);
  EXPECT_EQ(error_with("inactivity_probe", 0), "");
  EXPECT_NE(error_with("target", "ssl:10.0.0.1:6653").find("target"), std::string::npos);
}

TEST_F(OvsdbIntentTest, VsctlTransactions) {
  Replica replica;
  ASSERT_TRUE(replica.reset(tables_).ok());
  // add-br: Interface, Port and Bridge rows, and the root's bridges.
  auto add = add_bridge_operations(replica, "br1", false);
  ASSERT_TRUE(add.ok()) << add.error();
  ASSERT_EQ(add->size(), 4u);
  EXPECT_EQ((*add)[0]["row"]["type"], "internal");
  EXPECT_EQ((*add)[3]["op"], "mutate");
  EXPECT_EQ((*add)[3]["where"][0][2][1], uuid(1));
  auto again = add_bridge_operations(replica, "br0", false);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().find("a bridge named br0 already exists"), std::string::npos);
  EXPECT_TRUE(add_bridge_operations(replica, "br0", true)->empty());  // --may-exist
  EXPECT_FALSE(add_bridge_operations(replica, "p1", false).ok());     // a port's name

  auto del = del_bridge_operations(replica, "br0", false);
  ASSERT_TRUE(del.ok());
  EXPECT_EQ((*del)[0]["mutations"][0][2], Json::array({"set", Json::array({ref(10)})}));
  EXPECT_FALSE(del_bridge_operations(replica, "nope", false).ok());
  EXPECT_TRUE(del_bridge_operations(replica, "nope", true)->empty());

  // add-port: the words become columns.
  auto port = add_port_operations(replica, "br0", "p2",
                                  {"type=internal", "tag=10", "ofport_request=5", "mtu_request=1400"}, false);
  ASSERT_TRUE(port.ok()) << port.error();
  EXPECT_EQ((*port)[0]["row"]["type"], "internal");
  EXPECT_EQ((*port)[0]["row"]["ofport_request"], 5);
  EXPECT_EQ((*port)[0]["row"]["mtu_request"], 1400);
  EXPECT_EQ((*port)[1]["row"]["tag"], 10);
  EXPECT_FALSE(add_port_operations(replica, "br0", "p1", {}, false).ok());
  EXPECT_TRUE(add_port_operations(replica, "br0", "p1", {}, true)->empty());
  auto pcap = add_port_operations(replica, "br0", "p3", {"type=pcap"}, false);
  ASSERT_FALSE(pcap.ok());
  EXPECT_NE(pcap.error().find("cannot be written to the database"), std::string::npos);
  EXPECT_FALSE(add_port_operations(replica, "br0", "p3", {"tag=5000"}, false).ok());
  EXPECT_FALSE(add_port_operations(replica, "nope", "p3", {}, false).ok());
  // A tunnel port: its type and options become the Interface's columns,
  // once the tunnel parser took them; what it refuses is not written.
  auto vxlan = add_port_operations(
      replica, "br0", "vx0",
      {"type=vxlan", "options:remote_ip=192.0.2.2", "options:key=42", "tag=10"}, false);
  ASSERT_TRUE(vxlan.ok()) << vxlan.error();
  EXPECT_EQ((*vxlan)[0]["row"]["type"], "vxlan");
  EXPECT_EQ((*vxlan)[0]["row"]["options"], map({{"key", "42"}, {"remote_ip", "192.0.2.2"}}));
  EXPECT_EQ((*vxlan)[1]["row"]["tag"], 10);
  auto geneve = add_port_operations(replica, "br0", "gv0", {"type=geneve", "remote_ip=flow"}, false);
  ASSERT_TRUE(geneve.ok()) << geneve.error();
  EXPECT_EQ((*geneve)[0]["row"]["type"], "geneve");
  auto bad_tunnel = add_port_operations(
      replica, "br0", "vx0", {"type=vxlan", "options:remote_ip=192.0.2.2", "options:exts=gbp"}, false);
  ASSERT_FALSE(bad_tunnel.ok());
  EXPECT_EQ(bad_tunnel.error(),
            "vxlan port vx0: option exts is not supported (supported: remote_ip, local_ip, key, "
            "in_key, out_key, dst_port, tos, ttl, df_default, csum)");

  // del-port: the bridge's ports lose it; the local port needs del-br.
  auto del_port = del_port_operations(replica, "", "p1");
  ASSERT_TRUE(del_port.ok()) << del_port.error();
  EXPECT_EQ((*del_port)[0]["mutations"][0][2], Json::array({"set", Json::array({ref(21)})}));
  EXPECT_FALSE(del_port_operations(replica, "", "br0").ok());
  EXPECT_FALSE(del_port_operations(replica, "", "nope").ok());

  // set-controller / del-controller, set-fail-mode.
  auto controllers = set_controller_operations(replica, "br0", {"tcp:127.0.0.1:6653"}, 1000, std::nullopt);
  ASSERT_TRUE(controllers.ok()) << controllers.error();
  EXPECT_EQ((*controllers)[0]["row"]["inactivity_probe"], 1000);
  EXPECT_FALSE((*controllers)[0]["row"].contains("max_backoff"));
  EXPECT_FALSE(set_controller_operations(replica, "br0", {"bogus:1"}, std::nullopt, std::nullopt).ok());
  auto none = set_controller_operations(replica, "br0", {}, std::nullopt, std::nullopt);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ((*none)[0]["row"]["controller"], kEmpty);
  auto secure = set_fail_mode_operations(replica, "br0", ofproto::FailMode::kSecure);
  ASSERT_TRUE(secure.ok());
  EXPECT_EQ((*secure)[0]["row"]["fail_mode"], "secure");
  EXPECT_EQ((*set_fail_mode_operations(replica, "br0", std::nullopt))[0]["row"]["fail_mode"], kEmpty);
}

TEST(OvsdbIntent, DatapathIdSyntax) {
  EXPECT_EQ(parse_datapath_id("0x00000000000000ff"), 0xffu);
  EXPECT_EQ(parse_datapath_id("fedcba9876543210"), 0xfedcba9876543210u);
  EXPECT_FALSE(parse_datapath_id("ff"));
  EXPECT_FALSE(parse_datapath_id("000000000000000g"));
}

TEST(OvsdbIntent, EmptyDatabaseAsksForNothing) {
  Replica replica;
  SwitchIntent intent = read_switch_intent(replica);
  EXPECT_EQ(intent.root_uuid, "");
  EXPECT_TRUE(intent.bridges.empty());
}

TEST(OvsdbIntent, SamePortSettings) {
  ofproto::PortConfig a{.name = "p1"};
  ofproto::PortConfig b = a;
  EXPECT_TRUE(same_port_settings(a, b));
  b.tag = 5;
  EXPECT_FALSE(same_port_settings(a, b));
  b = a;
  b.admin_up = false;  // ovs-ofctl mod-port, not the database's
  EXPECT_TRUE(same_port_settings(a, b));
}

}  // namespace
}  // namespace flowpath::ovsdb
