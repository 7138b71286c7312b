// The slow path's JSON-RPC methods, called through the dispatcher as the
// control socket would: parameter checking (precise messages, -32602),
// operation failures (-32000), and each method's effect on a real Ofproto
// over a DatapathInterface. Bridges need a TAP device for their own port,
// so those tests need root; the parameter tests run anywhere.
#include <gtest/gtest.h>

#include <net/if.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "control/ofproto_rpc.h"
#include "datapath/datapath_interface.h"
#include "ofproto/ofproto.h"

namespace flowpath::control {
namespace {

using ofproto::Ofproto;
using ofproto::OfprotoOptions;

constexpr uint64_t kLocal = 0xfffffffe;

// A slow path on its own datapath interface, with the RPC methods on a
// dispatcher.
class Switch {
 public:
  explicit Switch(const std::string& state_file = "") {
    ofproto_ = std::make_shared<Ofproto>(OfprotoOptions{state_file});
    DatapathConfig config;
    config.upcall_handler = ofproto_->upcall_handler();
    dpif_ = std::make_unique<DatapathInterface>(config);
    ofproto_->attach(*dpif_);
    add_ofproto_methods(dispatcher_, *ofproto_);
  }
  ~Switch() {
    ofproto_->stop();
    dpif_.reset();
  }
  Ofproto& ofproto() { return *ofproto_; }

  // The whole response object.
  Json respond(const std::string& method, const Json& params) {
    Json request{{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", params}};
    return Json::parse(dispatcher_.handle_line(request.dump()));
  }

 private:
  std::shared_ptr<Ofproto> ofproto_;
  std::unique_ptr<DatapathInterface> dpif_;
  JsonRpcDispatcher dispatcher_;
};

class OfprotoRpcTest : public ::testing::Test {
 protected:
  // A name no other test process uses (ctest runs them in parallel), short
  // enough for a TAP device.
  static std::string unique(const std::string& suffix) {
    return "rpc" + std::to_string(::getpid() % 100000) + suffix;
  }

  static bool can_make_bridges() {
    return ::geteuid() == 0 && ::access("/dev/net/tun", R_OK | W_OK) == 0;
  }

  Json ok(const std::string& method, const Json& params = Json::object()) {
    Json response = sw_->respond(method, params);
    EXPECT_FALSE(response.contains("error")) << method << " " << params.dump() << ": "
                                             << response.dump();
    return response.contains("result") ? response["result"] : Json();
  }
  // The error message; `code` is checked.
  std::string fails(const std::string& method, const Json& params, int code) {
    Json response = sw_->respond(method, params);
    if (!response.contains("error")) {
      ADD_FAILURE() << method << " " << params.dump() << " succeeded: " << response.dump();
      return "";
    }
    EXPECT_EQ(response["error"]["code"], code) << response.dump();
    return response["error"]["message"];
  }

  // A bridge with the default rule, deleted at the end of the test.
  std::string make_bridge(const std::string& suffix = "b") {
    std::string name = unique(suffix);
    ok("br.add", {{"bridge", name}});
    bridges_.push_back(name);
    return name;
  }

  void TearDown() override {
    for (const std::string& b : bridges_) sw_->respond("br.del", {{"bridge", b}, {"if_exists", true}});
  }

  std::unique_ptr<Switch> sw_ = std::make_unique<Switch>();
  std::vector<std::string> bridges_;
};

#define NEED_BRIDGES() \
  if (!can_make_bridges()) GTEST_SKIP() << "needs root and /dev/net/tun for a bridge's TAP port"

TEST_F(OfprotoRpcTest, MalformedParamsAreNamed) {
  EXPECT_EQ(fails("br.add", Json::object(), kInvalidParams), "invalid params: missing \"bridge\"");
  EXPECT_EQ(fails("br.add", {{"bridge", 5}}, kInvalidParams),
            "invalid params: \"bridge\" must be a string");
  EXPECT_EQ(fails("br.add", {{"bridge", "x"}, {"may_exist", "yes"}}, kInvalidParams),
            "invalid params: \"may_exist\" must be true or false");
  EXPECT_EQ(fails("of.flows.add", {{"bridge", "x"}}, kInvalidParams),
            "invalid params: missing \"flows\"");
  EXPECT_EQ(fails("of.flows.add", {{"bridge", "x"}, {"flows", "actions=drop"}}, kInvalidParams),
            "invalid params: \"flows\" must be an array of strings");
  EXPECT_EQ(fails("of.flows.add", {{"bridge", "x"}, {"flows", {"actions=drop", 7}}}, kInvalidParams),
            "invalid params: \"flows\"[1] must be a string");
  EXPECT_EQ(fails("br.port.add", {{"bridge", "x"}, {"port", "p"}, {"settings", "tag=1"}},
                  kInvalidParams),
            "invalid params: \"settings\" must be an array of strings");
  EXPECT_EQ(fails("br.set", {{"bridge", "x"}}, kInvalidParams),
            "invalid params: give \"mac_table_size\" or \"mac_aging\"");
  EXPECT_EQ(fails("br.set", {{"bridge", "x"}, {"mac_aging", -1}}, kInvalidParams),
            "invalid params: \"mac_aging\" must be a non-negative integer");
  EXPECT_EQ(fails("br.set", {{"bridge", "x"}, {"mac_aging", 1ull << 33}}, kInvalidParams),
            "invalid params: \"mac_aging\" is 8589934592, more than the maximum 4294967295");
  EXPECT_EQ(fails("br.port.mod", {{"bridge", "x"}, {"port", "p"}, {"admin", "sideways"}},
                  kInvalidParams),
            "invalid params: \"admin\" must be \"up\" or \"down\", not \"sideways\"");
  EXPECT_EQ(fails("br.port.del", {{"port", 3}}, kInvalidParams),
            "invalid params: a port given by number needs \"bridge\"");
  EXPECT_EQ(fails("br.port.del", {{"port", true}}, kInvalidParams),
            "invalid params: \"port\" must be an interface name or an OpenFlow port number");
  EXPECT_EQ(fails("of.flows.mod", {{"bridge", "x"}, {"flow", "actions=drop"}, {"strict", 1}},
                  kInvalidParams),
            "invalid params: \"strict\" must be true or false");
  EXPECT_EQ(fails("trace", {{"bridge", "x"}}, kInvalidParams), "invalid params: missing \"flow\"");
}

TEST_F(OfprotoRpcTest, UnknownBridgeIsAnOperationFailureNamingIt) {
  std::string name = unique("none");
  for (const char* method : {"br.port.list", "of.flows.dump", "of.groups.dump", "of.meters.dump",
                             "fdb.show", "fdb.flush", "br.get", "of.ports.dump", "of.packet_ins"}) {
    std::string message = fails(method, {{"bridge", name}}, kOperationFailed);
    EXPECT_NE(message.find(name), std::string::npos) << method << ": " << message;
  }
  EXPECT_NE(fails("br.del", {{"bridge", name}}, kOperationFailed).find(name), std::string::npos);
  EXPECT_EQ(ok("br.del", {{"bridge", name}, {"if_exists", true}}), Json::object());
  EXPECT_EQ(ok("br.list"), Json::array());
}

TEST_F(OfprotoRpcTest, BridgeLifecycleAndDefaultRule) {
  NEED_BRIDGES();
  std::string br = make_bridge();
  EXPECT_EQ(ok("br.list"), Json::array({br}));
  EXPECT_NE(fails("br.add", {{"bridge", br}}, kOperationFailed).find("already exists"),
            std::string::npos);
  ok("br.add", {{"bridge", br}, {"may_exist", true}});
  EXPECT_NE(fails("br.add", {{"bridge", "has space"}}, kOperationFailed).find("has space"),
            std::string::npos);

  // A new bridge is a learning switch: one catch-all NORMAL rule in table 0.
  Json rules = ok("of.flows.dump", {{"bridge", br}});
  ASSERT_EQ(rules.size(), 1u) << rules.dump();
  EXPECT_EQ(rules[0]["table"], 0);
  EXPECT_EQ(rules[0]["priority"], 0);
  EXPECT_EQ(rules[0]["actions"], "NORMAL");
  EXPECT_EQ(rules[0]["match"], "priority=0");
  // Not 0: the bridge's own port (a TAP device) may already have sent IPv6
  // neighbour discovery through the rule; the sanitizer build's timing shows it.
  EXPECT_TRUE(rules[0]["packets"].is_number_unsigned()) << rules.dump();

  // Its own port is LOCAL, an internal port named after it.
  Json ports = ok("br.port.list", {{"bridge", br}});
  ASSERT_EQ(ports.size(), 1u);
  EXPECT_EQ(ports[0]["name"], br);
  EXPECT_EQ(ports[0]["ofport"], kLocal);
  EXPECT_EQ(ports[0]["dp_port"], 0);

  ok("br.del", {{"bridge", br}});
  EXPECT_EQ(ok("br.list"), Json::array());
}

TEST_F(OfprotoRpcTest, PortsAddListModifyDelete) {
  NEED_BRIDGES();
  std::string br = make_bridge();
  std::string p1 = unique("p1"), p2 = unique("p2");
  Json added = ok("br.port.add", {{"bridge", br}, {"port", p1}, {"settings", {"type=internal", "tag=10"}}});
  EXPECT_EQ(added, Json({{"ofport", 1}}));
  added = ok("br.port.add", {{"bridge", br},
                             {"port", p2},
                             {"settings", {"type=internal", "trunks=10,20", "ofport_request=7"}}});
  EXPECT_EQ(added, Json({{"ofport", 7}}));
  // --may-exist: the port is there already, its number comes back.
  EXPECT_EQ(ok("br.port.add", {{"bridge", br}, {"port", p1}, {"settings", {"type=internal"}},
                               {"may_exist", true}}),
            Json({{"ofport", 1}}));
  EXPECT_NE(fails("br.port.add", {{"bridge", br}, {"port", p1}, {"settings", {"type=internal"}}},
                  kOperationFailed)
                .find(p1),
            std::string::npos);
  // Settings are checked before anything is opened, and the message names the port.
  std::string bad = fails("br.port.add", {{"bridge", br}, {"port", unique("p3")},
                                          {"settings", {"type=internal", "tag=4096"}}},
                          kOperationFailed);
  EXPECT_NE(bad.find(unique("p3")), std::string::npos) << bad;
  EXPECT_NE(bad.find("4096"), std::string::npos) << bad;

  Json ports = ok("br.port.list", {{"bridge", br}});
  ASSERT_EQ(ports.size(), 3u) << ports.dump();
  std::map<std::string, Json> by_name;
  for (const Json& p : ports) by_name[p["name"]] = p;
  ASSERT_TRUE(by_name.count(p1) && by_name.count(p2));
  EXPECT_EQ(by_name[p1]["ofport"], 1);
  EXPECT_EQ(by_name[p1]["type"], "internal");
  EXPECT_EQ(by_name[p1]["tag"], 10);
  EXPECT_EQ(by_name[p1]["vlan_mode"], "access");
  EXPECT_EQ(by_name[p1]["admin_up"], true);
  EXPECT_TRUE(by_name[p2]["tag"].is_null());
  EXPECT_EQ(by_name[p2]["trunks"], Json::array({10, 20}));
  EXPECT_EQ(by_name[p2]["vlan_mode"], "trunk");
  EXPECT_TRUE(by_name[p2]["stats"].contains("rx_packets"));

  // Down by OpenFlow number, up by name.
  ok("br.port.mod", {{"bridge", br}, {"port", 7}, {"admin", "down"}});
  for (const Json& p : ok("br.port.list", {{"bridge", br}}))
    if (p["name"] == p2) {
      EXPECT_EQ(p["admin_up"], false);
    }
  ok("br.port.mod", {{"bridge", br}, {"port", p2}, {"admin", "up"}});
  for (const Json& p : ok("br.port.list", {{"bridge", br}}))
    if (p["name"] == p2) {
      EXPECT_EQ(p["admin_up"], true);
    }
  EXPECT_EQ(fails("br.port.mod", {{"bridge", br}, {"port", 9}, {"admin", "up"}}, kOperationFailed),
            "bridge " + br + " has no port with OpenFlow number 9");

  Json stats = ok("of.ports.dump", {{"bridge", br}, {"port", 1}});
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0]["name"], p1);
  EXPECT_EQ(ok("of.ports.dump", {{"bridge", br}}).size(), 3u);
  EXPECT_EQ(ok("of.ports.dump", {{"bridge", br}, {"port", "LOCAL"}})[0]["ofport"], kLocal);

  // Without the bridge, the port is found wherever it is.
  ok("br.port.del", {{"port", p1}});
  ok("br.port.del", {{"bridge", br}, {"port", 7}});
  EXPECT_EQ(ok("br.port.list", {{"bridge", br}}).size(), 1u);
  std::string gone = fails("br.port.del", {{"port", p1}}, kOperationFailed);
  EXPECT_NE(gone.find(p1), std::string::npos) << gone;
}

TEST_F(OfprotoRpcTest, RulesAddModifyDeleteDump) {
  NEED_BRIDGES();
  std::string br = make_bridge();
  Json added = ok("of.flows.add",
                  {{"bridge", br},
                   {"flows",
                    {"priority=100,ip,nw_dst=10.0.0.1,actions=drop",
                     "priority=100,ip,nw_dst=10.0.0.2,actions=drop",
                     "table=1,priority=5,tcp,tp_dst=22,actions=NORMAL"}}});
  EXPECT_EQ(added, Json({{"count", 3}}));
  EXPECT_EQ(ok("of.flows.dump", {{"bridge", br}}).size(), 4u);
  Json one = ok("of.flows.dump", {{"bridge", br}, {"filter", "table=1"}});
  ASSERT_EQ(one.size(), 1u) << one.dump();
  EXPECT_EQ(one[0]["table"], 1);
  EXPECT_EQ(one[0]["priority"], 5);

  // One bad line: the whole batch is refused, the table is unchanged.
  std::string message = fails(
      "of.flows.add",
      {{"bridge", br}, {"flows", {"priority=7,actions=drop", "priority=8,nw_frob=1,actions=drop"}}},
      kOperationFailed);
  EXPECT_NE(message.find("nw_frob"), std::string::npos) << message;
  EXPECT_EQ(ok("of.flows.dump", {{"bridge", br}}).size(), 4u);

  EXPECT_EQ(ok("of.flows.mod", {{"bridge", br}, {"flow", "table=0,ip,actions=NORMAL"}}),
            Json({{"count", 2}}));
  for (const Json& r : ok("of.flows.dump", {{"bridge", br}, {"filter", "ip"}})) {
    if (r["table"] == 0) {
      EXPECT_EQ(r["actions"], "NORMAL") << r.dump();
    }
  }
  // Strict: only the exact match and priority.
  EXPECT_EQ(ok("of.flows.del",
               {{"bridge", br}, {"filter", "priority=100,ip,nw_dst=10.0.0.1"}, {"strict", true}}),
            Json({{"count", 1}}));
  EXPECT_EQ(ok("of.flows.del", {{"bridge", br}, {"filter", "ip,nw_dst=10.0.0.1"}, {"strict", true}}),
            Json({{"count", 0}}));
  EXPECT_EQ(ok("of.flows.del", {{"bridge", br}, {"filter", "table=1"}}), Json({{"count", 1}}));
  EXPECT_EQ(ok("of.flows.del", {{"bridge", br}}), Json({{"count", 2}}));
  EXPECT_EQ(ok("of.flows.dump", {{"bridge", br}}), Json::array());
  EXPECT_NE(fails("of.flows.dump", {{"bridge", br}, {"filter", "nw_dst=300.1.1.1"}},
                  kOperationFailed)
                .find("300.1.1.1"),
            std::string::npos);
}

TEST_F(OfprotoRpcTest, GroupsAndMeters) {
  NEED_BRIDGES();
  std::string br = make_bridge();
  ok("of.groups.add", {{"bridge", br}, {"group", "group_id=1,type=all,bucket=output:1"}});
  EXPECT_EQ(fails("of.groups.add", {{"bridge", br}, {"group", "group_id=1,type=all,bucket=output:2"}},
                  kOperationFailed)
                .empty(),
            false);
  ok("of.groups.add",
     {{"bridge", br}, {"group", "group_id=1,type=all,bucket=output:2"}, {"modify", true}});
  ok("of.groups.add", {{"bridge", br}, {"group", "group_id=2,type=indirect,bucket=output:1"}});
  Json groups = ok("of.groups.dump", {{"bridge", br}});
  ASSERT_EQ(groups.size(), 2u) << groups.dump();
  EXPECT_NE(groups[0]["text"].get<std::string>().find("group_id=1"), std::string::npos);
  EXPECT_NE(groups[0]["text"].get<std::string>().find("output:2"), std::string::npos);
  EXPECT_EQ(groups[0]["packets"], 0);
  ok("of.groups.del", {{"bridge", br}, {"group", "group_id=2"}});
  EXPECT_EQ(ok("of.groups.dump", {{"bridge", br}}).size(), 1u);
  ok("of.groups.del", {{"bridge", br}});
  EXPECT_EQ(ok("of.groups.dump", {{"bridge", br}}), Json::array());

  ok("of.meters.add", {{"bridge", br}, {"meter", "meter=1,pktps,bands=type=drop,rate=100"}});
  Json meters = ok("of.meters.dump", {{"bridge", br}});
  ASSERT_EQ(meters.size(), 1u);
  EXPECT_NE(meters[0].get<std::string>().find("meter=1"), std::string::npos);
  EXPECT_FALSE(fails("of.meters.add", {{"bridge", br}, {"meter", "meter=2,bands=type=frob"}},
                     kOperationFailed)
                   .empty());
  ok("of.meters.del", {{"bridge", br}});
  EXPECT_EQ(ok("of.meters.dump", {{"bridge", br}}), Json::array());
}

TEST_F(OfprotoRpcTest, MacTableSettingsFdbAndTrace) {
  NEED_BRIDGES();
  std::string br = make_bridge();
  std::string p1 = unique("p1");
  ok("br.port.add", {{"bridge", br}, {"port", p1}, {"settings", {"type=internal"}}});
  ok("br.set", {{"bridge", br}, {"mac_table_size", 100}, {"mac_aging", 30}});
  Json config = ok("br.get", {{"bridge", br}});
  EXPECT_EQ(config["mac_table_size"], 100);
  EXPECT_EQ(config["mac_aging"], 30);
  EXPECT_EQ(config["ports"], Json::array({p1}));
  EXPECT_NE(fails("br.set", {{"bridge", br}, {"mac_table_size", 0}}, kOperationFailed).find("0"),
            std::string::npos);

  // The bridge's own TAP device may send (IPv6 multicast) and be learned on
  // LOCAL; the traced MAC must never show up.
  auto learned = [&](const std::string& mac) {
    for (const Json& e : ok("fdb.show", {{"bridge", br}}))
      if (e["mac"] == mac) return true;
    return false;
  };
  // A broadcast from port 1 is flooded to LOCAL; a trace learns nothing.
  Json trace = ok("trace", {{"bridge", br},
                            {"flow", "in_port=1,dl_src=00:00:5e:00:53:01,dl_dst=ff:ff:ff:ff:ff:ff"}});
  EXPECT_FALSE(trace["lines"].empty()) << trace.dump();
  EXPECT_EQ(trace["datapath_actions"], "0") << trace.dump();
  EXPECT_FALSE(trace["megaflow"].get<std::string>().empty());
  EXPECT_FALSE(learned("00:00:5e:00:53:01"));
  ok("fdb.flush", {{"bridge", br}});
  EXPECT_FALSE(fails("trace", {{"bridge", br}, {"flow", "in_port=1,frob=2"}}, kOperationFailed).empty());

  Json stats = ok("ofproto.stats");
  for (const char* key : {"upcalls", "flows_installed", "install_failures", "revalidation_rounds",
                          "flows_deleted_idle", "flows_modified", "flows_deleted_changed"}) {
    EXPECT_TRUE(stats.contains(key)) << key;
  }
  EXPECT_EQ(ok("of.packet_ins", {{"bridge", br}}), Json::array());
}

TEST_F(OfprotoRpcTest, ControllersAndFailModeAsOvsVsctl) {
  NEED_BRIDGES();
  std::string br = make_bridge();
  EXPECT_TRUE(ok("br.fail_mode.get", {{"bridge", br}})["fail_mode"].is_null());
  EXPECT_NE(fails("br.fail_mode.set", {{"bridge", br}, {"mode", "open"}}, kInvalidParams)
                .find("\"standalone\" or \"secure\""),
            std::string::npos);
  // Secure without controllers: every rule goes, nothing takes NORMAL's place.
  ok("of.flows.add", {{"bridge", br}, {"flows", Json::array({"priority=5,actions=drop"})}});
  ok("br.fail_mode.set", {{"bridge", br}, {"mode", "secure"}});
  EXPECT_EQ(ok("br.fail_mode.get", {{"bridge", br}})["fail_mode"], "secure");
  EXPECT_EQ(ok("of.flows.dump", {{"bridge", br}}).size(), 0u);

  // Bad targets are named and change nothing.
  EXPECT_NE(fails("br.controller.set", {{"bridge", br}, {"targets", Json::array({"tcp:1.2.3.4:x"})}},
                  kOperationFailed).find("tcp:1.2.3.4:x"),
            std::string::npos);
  EXPECT_NE(fails("br.controller.set",
                  {{"bridge", br}, {"targets", Json::array({"ptcp:6999", "ptcp:6999"})}},
                  kOperationFailed).find("twice"),
            std::string::npos);
  EXPECT_NE(fails("br.controller.set",
                  {{"bridge", br}, {"targets", Json::array({"ptcp:0"})}, {"inactivity_probe_ms", 10}},
                  kOperationFailed).find("at least 1000 ms"),
            std::string::npos);
  EXPECT_EQ(ok("br.controller.get", {{"bridge", br}})["targets"], Json::array());

  ok("of.flows.add", {{"bridge", br}, {"flows", Json::array({"priority=5,actions=drop"})}});
  ok("br.controller.set", {{"bridge", br}, {"targets", Json::array({"tcp:127.0.0.1:1", "ptcp:0"})},
                           {"inactivity_probe_ms", 2000}});
  Json got = ok("br.controller.get", {{"bridge", br}});
  EXPECT_EQ(got["targets"], Json::array({"tcp:127.0.0.1:1", "ptcp:0"}));
  EXPECT_EQ(got["inactivity_probe_ms"], 2000);
  EXPECT_EQ(got["max_backoff_ms"], 8000);
  // From no controller to some: the rules go.
  EXPECT_EQ(ok("of.flows.dump", {{"bridge", br}}).size(), 0u);
  Json bridge = ok("br.get", {{"bridge", br}});
  ASSERT_EQ(bridge["controllers"].size(), 2u) << bridge.dump();
  EXPECT_EQ(bridge["controllers"][0]["target"], "tcp:127.0.0.1:1");
  EXPECT_EQ(bridge["controllers"][0]["is_connected"], false);
  EXPECT_EQ(bridge["fail_mode"], "secure");
  // A fail mode change with controllers keeps the rules.
  ok("of.flows.add", {{"bridge", br}, {"flows", Json::array({"priority=5,actions=drop"})}});
  ok("br.fail_mode.set", {{"bridge", br}, {"mode", nullptr}});
  EXPECT_EQ(ok("of.flows.dump", {{"bridge", br}}).size(), 1u);
  // Back to no controller, standalone: only the NORMAL rule.
  ok("br.controller.set", {{"bridge", br}, {"targets", Json::array()}});
  Json rules = ok("of.flows.dump", {{"bridge", br}});
  ASSERT_EQ(rules.size(), 1u) << rules.dump();
  EXPECT_EQ(rules[0]["actions"], "NORMAL");
  EXPECT_EQ(rules[0]["priority"], 0);
}

// The text syntax does not read pause; from the wire it is refused by the
// reference check (OFPBAC_BAD_ARGUMENT), never run as a plain packet-in.
TEST_F(OfprotoRpcTest, ControllerPauseIsRefused) {
  NEED_BRIDGES();
  std::string br = make_bridge();
  EXPECT_NE(fails("of.flows.add", {{"bridge", br}, {"flows", Json::array({"actions=controller(pause)"})}},
                  kOperationFailed).find("\"pause\""),
            std::string::npos);
}

TEST_F(OfprotoRpcTest, StateFileBringsBackBridgesPortsAndRules) {
  NEED_BRIDGES();
  std::filesystem::path dir = std::filesystem::temp_directory_path() / unique("state");
  std::filesystem::create_directories(dir);
  std::string state = (dir / "state.toml").string();
  std::string br = unique("s"), p1 = unique("p1");
  sw_ = std::make_unique<Switch>(state);
  ok("br.add", {{"bridge", br}});
  ok("br.port.add", {{"bridge", br}, {"port", p1}, {"settings", {"type=internal", "tag=30"}}});
  ok("of.flows.add", {{"bridge", br}, {"flows", {"cookie=0x5,priority=50,ip,actions=drop"}}});
  ok("br.set", {{"bridge", br}, {"mac_aging", 77}});
  Json rules_before = ok("of.flows.dump", {{"bridge", br}});
  sw_.reset();  // the daemon stops; the file stays, so do the bridge's devices
  EXPECT_NE(::if_nametoindex(br.c_str()), 0u) << "the bridge's device went with the daemon";
  EXPECT_NE(::if_nametoindex(p1.c_str()), 0u) << "the internal port's device went with the daemon";

  sw_ = std::make_unique<Switch>(state);
  bridges_.push_back(br);
  ASSERT_TRUE(sw_->ofproto().restore().ok());
  EXPECT_EQ(ok("br.list"), Json::array({br}));
  Json ports = ok("br.port.list", {{"bridge", br}});
  ASSERT_EQ(ports.size(), 2u);
  bool found = false;
  for (const Json& p : ports) {
    if (p["name"] != p1) continue;
    found = true;
    EXPECT_EQ(p["ofport"], 1);
    EXPECT_EQ(p["tag"], 30);
  }
  EXPECT_TRUE(found);
  Json rules_after = ok("of.flows.dump", {{"bridge", br}});
  ASSERT_EQ(rules_after.size(), rules_before.size());
  for (size_t i = 0; i < rules_after.size(); ++i) {
    EXPECT_EQ(rules_after[i]["match"], rules_before[i]["match"]);
    EXPECT_EQ(rules_after[i]["actions"], rules_before[i]["actions"]);
    EXPECT_EQ(rules_after[i]["cookie"], rules_before[i]["cookie"]);
  }
  EXPECT_EQ(ok("br.get", {{"bridge", br}})["mac_aging"], 77);
  ok("br.del", {{"bridge", br}});
  EXPECT_EQ(::if_nametoindex(br.c_str()), 0u) << "del-br leaves the bridge's device";
  EXPECT_EQ(::if_nametoindex(p1.c_str()), 0u) << "del-br leaves the internal port's device";
  std::filesystem::remove_all(dir);
}

// Nothing is acknowledged that is not on disk: when the state file cannot be
// written (here: a directory where its temporary file goes), every kind of
// change fails with the reason, and the switch is left as it was.
TEST_F(OfprotoRpcTest, AChangeThatCannotBeSavedIsUndoneAndRefused) {
  NEED_BRIDGES();
  std::filesystem::path dir = std::filesystem::temp_directory_path() / unique("undo");
  std::filesystem::create_directories(dir);
  std::string state = (dir / "state.toml").string();
  std::string br = unique("u"), p1 = unique("q1"), p2 = unique("q2"), br2 = unique("v");
  sw_ = std::make_unique<Switch>(state);
  bridges_.push_back(br);
  ok("br.add", {{"bridge", br}});
  ok("br.port.add", {{"bridge", br}, {"port", p1}, {"settings", {"type=internal"}}});
  ok("of.flows.add", {{"bridge", br}, {"flows", {"priority=50,ip,actions=drop"}}});
  ok("of.groups.add", {{"bridge", br}, {"group", "group_id=1,type=all,bucket=output:1"}});
  ok("of.meters.add", {{"bridge", br}, {"meter", "meter=1,pktps,bands=type=drop,rate=100"}});
  // The rules without their statistics (packets reach the internal port).
  auto rule_texts = [&] {
    std::vector<std::string> out;
    for (const Json& rule : ok("of.flows.dump", {{"bridge", br}}))
      out.push_back(rule["match"].get<std::string>() + " " + rule["actions"].get<std::string>());
    return out;
  };
  const std::vector<std::string> rules = rule_texts();
  const Json groups = ok("of.groups.dump", {{"bridge", br}});
  const Json meters = ok("of.meters.dump", {{"bridge", br}});
  const Json ports = ok("br.port.list", {{"bridge", br}});
  const Json config = ok("br.get", {{"bridge", br}});

  std::filesystem::create_directories(state + ".tmp/blocker");  // every save fails now
  auto refused = [&](const std::string& method, const Json& params) {
    std::string message = fails(method, params, kOperationFailed);
    EXPECT_NE(message.find("undone"), std::string::npos) << method << ": " << message;
    EXPECT_NE(message.find(state + ".tmp"), std::string::npos) << method << ": " << message;
  };
  refused("of.flows.add", {{"bridge", br}, {"flows", {"priority=60,tcp,actions=drop"}}});
  refused("of.flows.mod", {{"bridge", br}, {"flow", "ip,actions=NORMAL"}});
  refused("of.flows.del", {{"bridge", br}});
  refused("of.groups.add", {{"bridge", br}, {"group", "group_id=2,type=all,bucket=output:1"}});
  refused("of.groups.del", {{"bridge", br}});
  refused("of.meters.add", {{"bridge", br}, {"meter", "meter=2,pktps,bands=type=drop,rate=5"}});
  refused("of.meters.add", {{"bridge", br}, {"meter", "meter=1,pktps,bands=type=drop,rate=5"}});
  refused("of.meters.del", {{"bridge", br}});
  refused("br.port.add", {{"bridge", br}, {"port", p2}, {"settings", {"type=internal"}}});
  refused("br.port.del", {{"bridge", br}, {"port", p1}});
  refused("br.port.mod", {{"bridge", br}, {"port", p1}, {"admin", "down"}});
  refused("br.set", {{"bridge", br}, {"mac_aging", 42}});
  refused("br.add", {{"bridge", br2}});
  refused("br.del", {{"bridge", br}});

  EXPECT_EQ(rule_texts(), rules);
  auto without_counters = [](Json list) {
    for (Json& item : list)
      if (item.is_object()) {
        item.erase("packets");
        item.erase("bytes");
      }
    return list;
  };
  EXPECT_EQ(without_counters(ok("of.groups.dump", {{"bridge", br}})), without_counters(groups));
  EXPECT_EQ(ok("of.meters.dump", {{"bridge", br}}), meters);
  Json ports_after = ok("br.port.list", {{"bridge", br}});
  ASSERT_EQ(ports_after.size(), ports.size());
  for (size_t i = 0; i < ports.size(); ++i) {
    EXPECT_EQ(ports_after[i]["name"], ports[i]["name"]);
    EXPECT_EQ(ports_after[i]["ofport"], ports[i]["ofport"]);
    EXPECT_EQ(ports_after[i]["admin_up"], ports[i]["admin_up"]);
  }
  EXPECT_EQ(ok("br.get", {{"bridge", br}}), config);
  EXPECT_EQ(ok("br.list"), Json::array({br}));
  EXPECT_EQ(::if_nametoindex(br2.c_str()), 0u) << "a refused br.add left its device";
  EXPECT_EQ(::if_nametoindex(p2.c_str()), 0u) << "a refused br.port.add left its device";
  EXPECT_NE(::if_nametoindex(p1.c_str()), 0u) << "a refused br.port.del closed the device";

  // Saving works again: the next change goes through, and what is on disk
  // is what was acknowledged.
  std::filesystem::remove_all(state + ".tmp");
  ok("of.flows.add", {{"bridge", br}, {"flows", {"priority=70,arp,actions=NORMAL"}}});
  const std::vector<std::string> acknowledged = rule_texts();
  EXPECT_EQ(acknowledged.size(), rules.size() + 1);
  sw_ = std::make_unique<Switch>(state);
  ASSERT_TRUE(sw_->ofproto().restore().ok());
  EXPECT_EQ(rule_texts(), acknowledged);
  EXPECT_EQ(ok("br.get", {{"bridge", br}})["mac_aging"], config["mac_aging"]);
  EXPECT_EQ(ok("br.port.list", {{"bridge", br}}).size(), ports.size());
  ok("br.del", {{"bridge", br}});
  std::filesystem::remove_all(dir);
}

// Two slow paths on one state file: the second is refused, told the first
// one's pid; a temporary file left by a crash is removed when the file is
// taken.
TEST_F(OfprotoRpcTest, TheStateFileBelongsToOneProcess) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / unique("lock");
  std::filesystem::create_directories(dir);
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
  std::string state = (dir / "state.toml").string();
  { std::FILE* f = std::fopen((state + ".tmp").c_str(), "w"); ASSERT_NE(f, nullptr); std::fclose(f); }
  Ofproto first(OfprotoOptions{state});
  ASSERT_TRUE(first.lock_state_file().ok());
  EXPECT_FALSE(std::filesystem::exists(state + ".tmp")) << "the stale temporary file stayed";
  Ofproto second(OfprotoOptions{state});
  Status refused = second.lock_state_file();
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("state file lock " + state + ".lock is held by a running flowpathd (pid " +
                                 std::to_string(::getpid()) + ")"),
            std::string::npos)
      << refused.error();
  std::filesystem::remove_all(dir);
}

TEST(OfprotoQueryTest, QueriesAreTheMethodsThatChangeNoConfiguration) {
  EXPECT_TRUE(is_ofproto_query("of.flows.dump"));
  EXPECT_TRUE(is_ofproto_query("trace"));
  EXPECT_FALSE(is_ofproto_query("of.flows.add"));
  EXPECT_FALSE(is_ofproto_query("br.del"));
  EXPECT_FALSE(is_ofproto_query("br.nonsense"));
}

}  // namespace
}  // namespace flowpath::control
