// What /metrics says about a real datapath: every family, with HELP and TYPE
// lines, every sample well formed, counters that follow the datapath.
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "control/metrics_collector.h"
#include "control/metrics_exposition.h"
#include "odp/odp_action_text.h"
#include "ofproto/ofproto.h"

namespace flowpath::control {
namespace {

struct Family {
  std::string type;
  bool help = false;
  std::vector<std::string> samples;  // whole lines
};

// Parses the text as Prometheus does, failing the test on any line that is
// not a HELP, TYPE or sample line of the family announced last.
std::map<std::string, Family> parse(const std::string& text) {
  std::map<std::string, Family> out;
  static const std::regex kSample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*")*\})? ([0-9]+(\.[0-9]+)?(e[-+][0-9]+)?|NaN|[+-]Inf)$)");
  std::istringstream lines(text);
  std::string line, current;
  while (std::getline(lines, line)) {
    std::smatch m;
    if (line.starts_with("# HELP ")) {
      current = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_EQ(out.count(current), 0u) << "family written twice: " << current;
      out[current].help = true;
    } else if (line.starts_with("# TYPE ")) {
      std::string name = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_EQ(name, current) << "TYPE of another family: " << line;
      out[current].type = line.substr(line.rfind(' ') + 1);
    } else if (std::regex_match(line, m, kSample)) {
      std::string name = m[1];
      EXPECT_TRUE(name == current || name == current + "_sum" || name == current + "_count")
          << "sample outside its family: " << line;
      out[current].samples.push_back(line);
    } else {
      ADD_FAILURE() << "not a line of the format: " << line;
    }
  }
  return out;
}

// The value of the sample of `family` whose labels contain every one of `labels`.
std::string value_of(const Family& family, const std::vector<std::string>& labels) {
  for (const std::string& s : family.samples) {
    bool all = true;
    for (const std::string& l : labels) all = all && s.find(l) != std::string::npos;
    if (all) return s.substr(s.rfind(' ') + 1);
  }
  return "(none)";
}

const char* const kFamilies[] = {
    "flowpath_datapath_hits_total", "flowpath_datapath_misses_total",
    "flowpath_datapath_lost_total", "flowpath_datapath_mask_lookups_total",
    "flowpath_datapath_flows", "flowpath_datapath_masks", "flowpath_datapath_flow_limit",
    "flowpath_upcall_queue_length", "flowpath_datapath_dropped_packets_total",
    "flowpath_port_info", "flowpath_port_receive_packets_total",
    "flowpath_port_receive_bytes_total", "flowpath_port_receive_errors_total",
    "flowpath_port_receive_dropped_total", "flowpath_port_transmit_packets_total",
    "flowpath_port_transmit_bytes_total", "flowpath_port_transmit_errors_total",
    "flowpath_port_transmit_dropped_total", "flowpath_port_dropped_packets_total",
    "flowpath_conntrack_connections", "flowpath_conntrack_connections_limit",
    "flowpath_conntrack_created_total", "flowpath_conntrack_expired_total",
    "flowpath_conntrack_invalid_packets_total", "flowpath_conntrack_refused_total",
    "flowpath_thread_ports", "flowpath_thread_received_packets_total",
    "flowpath_thread_received_batches_total", "flowpath_thread_cache_hits_total",
    "flowpath_thread_misses_total", "flowpath_thread_lost_total",
    "flowpath_thread_recirculations_total", "flowpath_thread_classifier_subtable_lookups_total",
    "flowpath_thread_sent_packets_total", "flowpath_thread_sent_batches_total",
    "flowpath_thread_busy_cycles_total", "flowpath_thread_idle_cycles_total",
    "flowpath_thread_sleeps_total", "flowpath_upcalls_handled_total",
    "flowpath_upcall_flows_installed_total", "flowpath_upcall_install_failures_total",
    "flowpath_revalidator_flows_modified_total", "flowpath_revalidator_flows_deleted_total",
    "flowpath_revalidator_dump_duration_seconds",
    "flowpath_revalidator_last_dump_duration_seconds",
};

class MetricsCollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = dpif_.create_datapath(name_);
    ASSERT_TRUE(created.ok()) << created.error();
  }
  // A TAP device's name: unique per process, so runs in parallel do not meet.
  std::string name_ = "fpmt" + std::to_string(getpid() % 100000);
  DatapathInterface dpif_;
};

TEST_F(MetricsCollectorTest, EveryFamilyWithHelpTypeAndSamples) {
  ofproto::Ofproto slow_path;
  const std::string text = render_metrics(dpif_, &slow_path);
  auto families = parse(text);
  for (const char* name : kFamilies) {
    SCOPED_TRACE(name);
    ASSERT_EQ(families.count(name), 1u) << text;
    const Family& f = families[name];
    EXPECT_TRUE(f.help);
    EXPECT_FALSE(f.samples.empty());
    // Prometheus' conventions, as promtool checks them.
    if (f.type == "counter") EXPECT_TRUE(std::string_view(name).ends_with("_total"));
    else EXPECT_FALSE(std::string_view(name).ends_with("_total"));
  }
  EXPECT_EQ(families.size(), std::size(kFamilies)) << "a family the test does not list";
  // Every drop reason, zero or not, so that rate() works from the first drop.
  EXPECT_EQ(families["flowpath_datapath_dropped_packets_total"].samples.size(), kDropReasonCount);
  EXPECT_EQ(value_of(families["flowpath_port_info"], {"port=\"" + name_ + "\"", "port_no=\"0\""}),
            "1");
  // The local port's device takes the host's own packets: values vary.
  EXPECT_NE(value_of(families["flowpath_thread_cache_hits_total"],
                     {"thread=\"0\"", "layer=\"signature_cache\""}),
            "(none)");
}

TEST_F(MetricsCollectorTest, WithoutSlowPathItsFamiliesAreLeftOut) {
  auto families = parse(render_metrics(dpif_, nullptr));
  EXPECT_EQ(families.count("flowpath_upcalls_handled_total"), 0u);
  EXPECT_EQ(families.count("flowpath_datapath_hits_total"), 1u);
}

TEST_F(MetricsCollectorTest, CountersFollowTheDatapath) {
  // A packet-out whose actions drop it: counted under its reason.
  std::vector<uint8_t> frame(60, 0);
  frame[12] = 0x08;
  auto actions = parse_odp_actions("drop");
  ASSERT_TRUE(actions.ok());
  auto outcome = dpif_.execute(name_, frame, PacketMetadata{}, *actions);
  ASSERT_TRUE(outcome.ok()) << outcome.error();
  ASSERT_EQ(outcome->drops.total(), 1u);
  const std::string text = render_metrics(dpif_, nullptr);
  auto families = parse(text);
  EXPECT_EQ(value_of(families["flowpath_datapath_dropped_packets_total"],
                     {"datapath=\"" + name_ + "\"", "reason=\"datapath_drop_no_output\""}),
            "1")
      << text;
  EXPECT_EQ(value_of(families["flowpath_datapath_flow_limit"], {"datapath=\"" + name_ + "\""}),
            std::to_string(dpif_.datapath_stats(name_)->flow_limit));
  // A deleted datapath is gone from the next scrape.
  ASSERT_TRUE(dpif_.delete_datapath(name_).ok());
  families = parse(render_metrics(dpif_, nullptr));
  EXPECT_EQ(families["flowpath_datapath_hits_total"].samples.size(), 0u);
}

}  // namespace
}  // namespace flowpath::control
