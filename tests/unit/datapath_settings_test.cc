// A datapath's run-time settings (flow limit, upcall rate limit, exact-match
// cache, vlan-limit, and a bridge's max-idle) through the JSON-RPC method
// dp.set as flowpathd wires it: bad values refused by name with nothing
// changed, a bridge's settings kept in its state file and restored; the
// adaptive flow limit's policy; several handler threads per datapath. The
// bridge cases need root (a datapath's local port is a TAP device).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "control/datapath_rpc.h"
#include "control/ofproto_rpc.h"
#include "datapath/cpu_mask.h"
#include "datapath/datapath_interface.h"
#include "upcall/flow_limit.h"
#include "ofproto/ofproto.h"

namespace flowpath::control {
namespace {

using upcall::next_flow_limit;

TEST(FlowLimitPolicyTest, ShrinksWithSlowDumpsAndGrowsBackToTheSetting) {
  // Over 2 s: in proportion, to what a one-second dump would cover.
  EXPECT_EQ(next_flow_limit(200000, 200000, 4000, 200000), 50000u);
  // 1.3 to 2 s: by a quarter.
  EXPECT_EQ(next_flow_limit(200000, 200000, 1500, 200000), 150000u);
  // 1 to 1.3 s: kept.
  EXPECT_EQ(next_flow_limit(150000, 150000, 1100, 200000), 150000u);
  // Under 1 s with the table half full or more: an eighth more, to the setting.
  EXPECT_EQ(next_flow_limit(80000, 60000, 200, 200000), 90000u);
  EXPECT_EQ(next_flow_limit(190000, 190000, 200, 200000), 200000u);
  // A dump of few flows says nothing of many: the limit stays.
  EXPECT_EQ(next_flow_limit(80000, 100, 1, 200000), 80000u);
  // Growth is 1000 at least, and the floor is 1000 (or the setting).
  EXPECT_EQ(next_flow_limit(1000, 900, 10, 200000), 2000u);
  EXPECT_EQ(next_flow_limit(1500, 1500, 60000, 200000), 1000u);
  EXPECT_EQ(next_flow_limit(500, 500, 60000, 500), 500u);
  EXPECT_EQ(next_flow_limit(200000, 200000, 0, 300), 300u) << "never above the setting";
}

TEST(DatapathSettingsCheckTest, NamesTheBadSetting) {
  DatapathSettings s;
  s.flow_limit = 0;
  EXPECT_EQ(check_datapath_settings(s).error(), "flow-limit 0 out of range 1..4194304");
  s.flow_limit = 10;
  s.upcall_rate = UpcallRateLimiter::kMaxRate + 1;
  EXPECT_EQ(check_datapath_settings(s).error(),
            "upcall-rate 1000000001 out of range 0..1000000000 (0: unlimited)");
  s.upcall_rate = 0;
  s.vlan_limit = -1;
  EXPECT_EQ(check_datapath_settings(s).error(), "vlan-limit -1 is negative");
  s.vlan_limit = 2;
  EXPECT_TRUE(check_datapath_settings(s).ok());
}

TEST(DefaultHandlerThreadsTest, LeavesTheRevalidatorItsShare) {
  const unsigned n = default_handler_threads();
  EXPECT_GE(n, 1u);
  EXPECT_LE(n, std::max(1u, std::thread::hardware_concurrency()));
}

bool can_make_bridges() { return ::geteuid() == 0 && ::access("/dev/net/tun", R_OK | W_OK) == 0; }

// flowpathd's wiring: a slow path, its datapath interface with `handlers`
// handler threads, and dp.set delegated to the bridge for its datapath.
class Switch {
 public:
  Switch(const std::string& state_file, unsigned handlers) {
    ofproto_ = std::make_shared<ofproto::Ofproto>(ofproto::OfprotoOptions{state_file});
    DatapathConfig config;
    config.handler_threads = handlers;
    dpif_ = ofproto::make_datapath_interface(ofproto_, config);
    DatapathOwnership ownership;
    ownership.owner = [this](const std::string& dp) -> std::optional<std::string> {
      for (const std::string& br : ofproto_->list_bridges())
        if (br == dp) return "bridge " + br;
      return std::nullopt;
    };
    ownership.set_settings = [this](const std::string& dp, const DatapathSettings& s,
                                    std::optional<uint32_t> max_idle) {
      return ofproto_->set_datapath_settings(dp, s, max_idle);
    };
    ownership.max_idle_ms = [this](const std::string& dp) -> std::optional<uint32_t> {
      auto bridge = ofproto_->bridge_config(dp);
      if (!bridge.ok()) return std::nullopt;
      return bridge->max_idle_ms;
    };
    add_datapath_methods(dispatcher_, *dpif_, ownership);
    add_ofproto_methods(dispatcher_, *ofproto_);
  }
  ~Switch() {
    ofproto_->stop();
    dpif_.reset();
  }
  ofproto::Ofproto& ofproto() { return *ofproto_; }
  DatapathInterface& dpif() { return *dpif_; }
  Json respond(const std::string& method, const Json& params) {
    Json request{{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", params}};
    return Json::parse(dispatcher_.handle_line(request.dump()));
  }

 private:
  std::shared_ptr<ofproto::Ofproto> ofproto_;
  std::unique_ptr<DatapathInterface> dpif_;
  JsonRpcDispatcher dispatcher_;
};

class DatapathSettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!can_make_bridges()) GTEST_SKIP() << "needs root and /dev/net/tun";
    dir_ = std::filesystem::temp_directory_path() / ("dpset." + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    state_ = (dir_ / "state.toml").string();
    sw_ = std::make_unique<Switch>(state_, 3);
    br_ = "dps" + std::to_string(getpid() % 100000);
    ASSERT_TRUE(sw_->ofproto().add_bridge(br_).ok());
  }
  void TearDown() override {
    if (sw_) {
      (void)sw_->ofproto().del_bridge(br_, true);
      (void)sw_->dpif().delete_datapath(bare_);
      sw_.reset();
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Json ok(const std::string& method, const Json& params) {
    Json r = sw_->respond(method, params);
    EXPECT_FALSE(r.contains("error")) << method << " " << params.dump() << ": " << r.dump();
    return r.contains("result") ? r["result"] : Json();
  }
  std::string fails(const std::string& method, const Json& params) {
    Json r = sw_->respond(method, params);
    if (!r.contains("error")) {
      ADD_FAILURE() << method << " " << params.dump() << " succeeded: " << r.dump();
      return "";
    }
    return r["error"]["message"];
  }
  Json show(const std::string& dp) { return ok("dp.show", {{"dp", dp}})[0]; }
  // The settings dp.show gives, without the counters (traffic may move them).
  Json settings(const std::string& dp) {
    Json s = show(dp);
    Json out{{"vlan_limit", s["vlan_limit"]}};
    for (const char* key :
         {"flow_limit", "flow_limit_configured", "upcall_rate", "emc", "emc_insert_inv_prob"})
      out[key] = s["stats"][key];
    if (s.contains("max_idle_ms")) out["max_idle_ms"] = s["max_idle_ms"];
    return out;
  }
  std::string state_text() {
    std::ifstream in(state_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::filesystem::path dir_;
  std::string state_, br_, bare_ = "dpsbare" + std::to_string(getpid() % 10000);
  std::unique_ptr<Switch> sw_;
};

TEST_F(DatapathSettingsTest, ABridgesSettingsChangeAtRunTimeAndAreKept) {
  Json before = show(br_);
  EXPECT_EQ(before["stats"]["flow_limit_configured"], 200000);
  EXPECT_EQ(before["stats"]["upcall_rate"], 0);
  EXPECT_EQ(before["stats"]["emc"], false);
  EXPECT_EQ(before["stats"]["handler_threads"], 3);
  EXPECT_EQ(before["max_idle_ms"], 10000);

  EXPECT_EQ(before["stats"]["emc_insert_inv_prob"], 100) << "Open vSwitch's default";
  Json r = ok("dp.set", {{"dp", br_}, {"flow_limit", 5000}, {"max_idle_ms", 2000},
                         {"upcall_rate", 300}, {"emc", true}, {"emc_insert_inv_prob", 7}});
  EXPECT_EQ(r["emc_insert_inv_prob"], 7);
  EXPECT_EQ(r["flow_limit"], 5000);
  EXPECT_EQ(r["max_idle_ms"], 2000);
  Json after = show(br_);
  EXPECT_EQ(after["stats"]["flow_limit_configured"], 5000);
  EXPECT_EQ(after["stats"]["flow_limit"], 5000);
  EXPECT_EQ(after["stats"]["upcall_rate"], 300);
  EXPECT_EQ(after["stats"]["emc"], true);
  EXPECT_EQ(after["stats"]["emc_insert_inv_prob"], 7);
  EXPECT_EQ(after["max_idle_ms"], 2000);
  Datapath* dp = sw_->dpif().find(br_);
  ASSERT_NE(dp, nullptr);
  EXPECT_EQ(dp->flows().flow_limit(), 5000u);
  EXPECT_EQ(dp->upcalls().rate_limit(), 300u);
  for (int t = 0; dp->caches(t) != nullptr; ++t) {
    EXPECT_TRUE(dp->caches(t)->use_emc.load());
    EXPECT_EQ(dp->caches(t)->emc_insert_inv_prob.load(), 7u);
  }

  const std::string text = state_text();
  EXPECT_NE(text.find("flow_limit = 5000\n"), std::string::npos) << text;
  EXPECT_NE(text.find("upcall_rate = 300\n"), std::string::npos) << text;
  EXPECT_NE(text.find("emc = true\n"), std::string::npos) << text;
  EXPECT_NE(text.find("emc_insert_inv_prob = 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("max_idle_ms = 2000\n"), std::string::npos) << text;

  Json status = ok("upcall.show", Json::object());
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0]["bridge"], br_);
  EXPECT_EQ(status[0]["flow_limit_configured"], 5000);
  EXPECT_EQ(status[0]["handler_threads"], 3);
  EXPECT_EQ(status[0]["upcall_rate"], 300);
  EXPECT_EQ(status[0]["max_idle_ms"], 2000);

  // A new daemon on the same state file gets them back.
  sw_.reset();
  sw_ = std::make_unique<Switch>(state_, 1);
  ASSERT_TRUE(sw_->ofproto().restore().ok());
  Json restored = show(br_);
  EXPECT_EQ(restored["stats"]["flow_limit_configured"], 5000);
  EXPECT_EQ(restored["stats"]["upcall_rate"], 300);
  EXPECT_EQ(restored["stats"]["emc"], true);
  EXPECT_EQ(restored["stats"]["emc_insert_inv_prob"], 7);
  EXPECT_EQ(restored["stats"]["handler_threads"], 1);
  EXPECT_EQ(restored["max_idle_ms"], 2000);
}

TEST_F(DatapathSettingsTest, BadSettingsAreRefusedByNameAndChangeNothing) {
  ok("dp.set", {{"dp", br_}, {"flow_limit", 7000}});
  const std::string text = state_text();
  const Json before = settings(br_);
  struct Case {
    Json params;
    std::string message;
  } cases[] = {
      {{{"flow_limit", 0}}, "flow-limit 0 out of range 1..4194304"},
      {{{"flow_limit", 99999999}, {"emc", true}}, "flow-limit 99999999 out of range 1..4194304"},
      {{{"upcall_rate", 2000000000}}, "upcall-rate 2000000000 out of range 0..1000000000 (0: unlimited)"},
      {{{"max_idle_ms", 100}, {"flow_limit", 10}}, "max-idle 100 ms is below 500 ms"},
      {{{"emc", "on"}}, "\"emc\" must be true or false"},
      {{{"emc_insert_inv_prob", 4294967296}, {"flow_limit", 10}},
       "\"emc_insert_inv_prob\" is 4294967296, more than the maximum 4294967295"},
      {{{"emc_insert_inv_prob", -1}}, "\"emc_insert_inv_prob\" must be a non-negative integer"},
      {{{"flow_limit", -1}}, "\"flow_limit\" must be a non-negative integer"},
      {{{"flow-limit", 5}}, "no datapath setting \"flow-limit\": give vlan_limit, flow_limit, "
                            "upcall_rate, emc, emc_insert_inv_prob or max_idle_ms"},
      {Json::object(), "give a setting to change: vlan_limit, flow_limit, upcall_rate, emc, "
                       "emc_insert_inv_prob or max_idle_ms"},
  };
  for (auto& c : cases) {
    Json params = c.params;
    params["dp"] = br_;
    const std::string message = fails("dp.set", params);
    EXPECT_NE(message.find(c.message), std::string::npos) << params.dump() << ": " << message;
    EXPECT_EQ(settings(br_), before) << params.dump();
    EXPECT_EQ(state_text(), text) << params.dump();
  }
  EXPECT_NE(fails("dp.set", {{"dp", "nodp"}, {"flow_limit", 5}}).find("nodp"), std::string::npos);
}

TEST_F(DatapathSettingsTest, ADatapathWithoutABridgeHasNoMaxIdle) {
  ok("dp.add", {{"dp", bare_}});
  EXPECT_EQ(fails("dp.set", {{"dp", bare_}, {"max_idle_ms", 1000}, {"flow_limit", 10}}),
            "datapath " + bare_ +
                " belongs to no bridge: max-idle is how long a bridge's revalidator keeps idle "
                "flows, and no revalidator removes this datapath's flows");
  EXPECT_EQ(show(bare_)["stats"]["flow_limit_configured"], 200000) << "nothing changed";
  Json r = ok("dp.set", {{"dp", bare_}, {"flow_limit", 10}, {"upcall_rate", 0}, {"emc", false}});
  EXPECT_EQ(r["flow_limit"], 10);
  EXPECT_FALSE(r.contains("max_idle_ms"));
  EXPECT_FALSE(show(bare_).contains("max_idle_ms"));
  EXPECT_EQ(show(bare_)["stats"]["flow_limit"], 10);
  EXPECT_EQ(state_text().find("flow_limit = 10\n"), std::string::npos)
      << "a datapath without a bridge is not in the state file";
}

// The threads of this process whose name starts with `prefix`, by tid.
std::vector<std::string> threads_named(const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    if (name.rfind(prefix, 0) == 0) out.push_back(task.path().filename().string());
  }
  return out;
}

std::string cpus_allowed(const std::string& tid) {
  std::ifstream status("/proc/self/task/" + tid + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("Cpus_allowed_list:", 0) == 0) return line.substr(line.find_first_not_of(" \t", 18));
  return "";
}

TEST_F(DatapathSettingsTest, HandlerThreadsChangeAtRunTime) {
  // A thread started from a handler thread inherits its name (a helper may
  // be one, for a while): /proc shows the handlers, and at most one more.
  // A joined thread may linger in /proc for a moment after its join, so the
  // count is given a second to settle.
  auto handlers_running = [](size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    for (;;) {
      const size_t seen = threads_named("fp-handler").size();
      if (seen == n || seen == n + 1) return true;
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "fp-handler threads: " << seen << ", expected " << n;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  };
  EXPECT_TRUE(handlers_running(3));
  Json r = ok("threads.set", {{"handler_threads", 5}});
  EXPECT_EQ(r["handler_threads"], 5);
  EXPECT_EQ(show(br_)["stats"]["handler_threads"], 5);
  EXPECT_TRUE(handlers_running(5u));
  ok("threads.set", {{"handler_threads", 1}});
  EXPECT_TRUE(handlers_running(1u)) << "the others were stopped";
  // A datapath made now gets as many.
  ok("dp.add", {{"dp", bare_}});
  EXPECT_TRUE(handlers_running(2u));
  ok("threads.set", {{"handler_threads", 0}});
  EXPECT_EQ(show(br_)["stats"]["handler_threads"], default_handler_threads());
  EXPECT_TRUE(handlers_running(2 * default_handler_threads()));

  EXPECT_EQ(fails("threads.set", {{"handler_threads", 65}}),
            "invalid params: \"handler_threads\" is 65, more than the maximum 64");
  EXPECT_EQ(fails("threads.set", {{"handler_threads", 2}, {"pmd_cpu_mask", "0x1g"}}),
            "invalid params: CPU mask \"0x1g\": 'g' at column 4 is not a hexadecimal digit");
  EXPECT_EQ(fails("threads.set", {{"handlers", 2}}),
            "invalid params: no thread setting \"handlers\": give handler_threads or pmd_cpu_mask");
  EXPECT_EQ(fails("threads.set", Json::object()),
            "invalid params: give a setting to change: handler_threads or pmd_cpu_mask");
  EXPECT_EQ(show(br_)["stats"]["handler_threads"], default_handler_threads()) << "unchanged";
}

// A CPU mask in hexadecimal selecting `cpus`.
std::string mask_of(const std::vector<int>& cpus) {
  const int top = *std::max_element(cpus.begin(), cpus.end());
  std::string out;
  for (int digit = top / 4; digit >= 0; --digit) {
    int value = 0;
    for (int cpu : cpus)
      if (cpu / 4 == digit) value |= 1 << (cpu % 4);
    out += "0123456789abcdef"[value];
  }
  return out;
}

TEST_F(DatapathSettingsTest, ForwardingThreadsMoveAtRunTime) {
  cpu_set_t mine;
  ASSERT_EQ(sched_getaffinity(0, sizeof mine, &mine), 0);
  const std::string all = cpu_list_text(mine);
  int last = -1;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &mine)) last = cpu;
  ASSERT_GE(last, 0);
  std::vector<std::string> forwarding = threads_named("fp-fwd");
  ASSERT_EQ(forwarding.size(), 1u);
  EXPECT_EQ(cpus_allowed(forwarding[0]), all) << "unpinned";

  Json r = ok("threads.set", {{"pmd_cpu_mask", "0x" + mask_of({last})}});
  EXPECT_EQ(r["forwarding_cpus"], Json::array({last}));
  EXPECT_EQ(cpus_allowed(forwarding[0]), std::to_string(last));
  EXPECT_EQ(threads_named("fp-fwd"), forwarding) << "the same thread, moved";

  // A CPU this process may not use, or not as many CPUs as threads: refused.
  ASSERT_FALSE(CPU_ISSET(CPU_SETSIZE - 1, &mine));
  EXPECT_EQ(fails("threads.set", {{"pmd_cpu_mask", mask_of({CPU_SETSIZE - 1})}, {"handler_threads", 2}}),
            "CPU " + std::to_string(CPU_SETSIZE - 1) + " is not one flowpathd may run on (" + all + ")");
  EXPECT_EQ(fails("threads.set", {{"pmd_cpu_mask", mask_of({0, CPU_SETSIZE - 1})}}),
            "2 CPU(s) for 1 forwarding thread(s): flowpath moves its forwarding threads at run "
            "time but does not change their number (flowpathd --threads or --cpus at start)");
  EXPECT_EQ(cpus_allowed(forwarding[0]), std::to_string(last)) << "unchanged";
  EXPECT_EQ(show(br_)["stats"]["handler_threads"], 3) << "nothing of a refused change applies";

  // Back where it started.
  ASSERT_TRUE(sw_->dpif().set_forwarding_cpus({std::nullopt}).ok());
  EXPECT_EQ(cpus_allowed(forwarding[0]), all);
}

TEST_F(DatapathSettingsTest, TheAdaptiveLimitStaysWithinTheSetting) {
  ok("dp.set", {{"dp", br_}, {"flow_limit", 3000}});
  Datapath* dp = sw_->dpif().find(br_);
  ASSERT_NE(dp, nullptr);
  EXPECT_EQ(dp->adapt_flow_limit(10), 1000u);
  EXPECT_EQ(show(br_)["stats"]["flow_limit"], 1000);
  EXPECT_EQ(show(br_)["stats"]["flow_limit_configured"], 3000);
  EXPECT_EQ(dp->adapt_flow_limit(1'000'000), 3000u);
  // A new setting puts the limit in force at it.
  EXPECT_EQ(dp->adapt_flow_limit(1500), 1500u);
  ok("dp.set", {{"dp", br_}, {"flow_limit", 2500}});
  EXPECT_EQ(dp->flows().flow_limit(), 2500u);
}

}  // namespace
}  // namespace flowpath::control
