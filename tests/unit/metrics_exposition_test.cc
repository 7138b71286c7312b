// The Prometheus text format writer: lines, escaping, names.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>

#include "control/metrics_exposition.h"

namespace flowpath::control {
namespace {

TEST(MetricsExposition, WritesHelpTypeAndSamples) {
  MetricsExposition m;
  m.family("flowpath_test_packets_total", MetricType::kCounter, "Packets seen.");
  m.sample({{"datapath", "br0"}, {"port", "eth1"}}, uint64_t{42});
  m.sample({}, uint64_t{18446744073709551615u});
  m.family("flowpath_test_seconds", MetricType::kSummary, "A time.");
  m.sample_suffix("_sum", {}, 0.25);
  m.sample_suffix("_count", {}, uint64_t{3});
  EXPECT_EQ(m.text(),
            "# HELP flowpath_test_packets_total Packets seen.\n"
            "# TYPE flowpath_test_packets_total counter\n"
            "flowpath_test_packets_total{datapath=\"br0\",port=\"eth1\"} 42\n"
            "flowpath_test_packets_total 18446744073709551615\n"
            "# HELP flowpath_test_seconds A time.\n"
            "# TYPE flowpath_test_seconds summary\n"
            "flowpath_test_seconds_sum 0.25\n"
            "flowpath_test_seconds_count 3\n");
}

TEST(MetricsExposition, EscapesLabelValuesAndHelp) {
  MetricsExposition m;
  m.family("flowpath_x", MetricType::kGauge, "back\\slash and\nnew line");
  m.sample({{"port", "a\"b\\c\nd"}}, uint64_t{1});
  EXPECT_EQ(m.text(),
            "# HELP flowpath_x back\\\\slash and\\nnew line\n"
            "# TYPE flowpath_x gauge\n"
            "flowpath_x{port=\"a\\\"b\\\\c\\nd\"} 1\n");
  // A forged sample inside a value stays inside the value: one line per sample.
  MetricsExposition forged;
  forged.family("flowpath_y", MetricType::kGauge, "y");
  forged.sample({{"port", "x\"} 1\nflowpath_y{port=\"evil"}}, uint64_t{2});
  EXPECT_EQ(std::count(forged.text().begin(), forged.text().end(), '\n'), 3);
}

TEST(MetricsExposition, WritesSpecialFloats) {
  MetricsExposition m;
  m.family("flowpath_f", MetricType::kGauge, "f");
  constexpr double kInf = std::numeric_limits<double>::infinity();
  m.sample({}, kInf);
  m.sample({}, -kInf);
  m.sample({}, std::numeric_limits<double>::quiet_NaN());
  m.sample({}, 1e-6);
  EXPECT_NE(m.text().find("flowpath_f +Inf\nflowpath_f -Inf\nflowpath_f NaN\nflowpath_f 1e-06\n"),
            std::string::npos)
      << m.text();
}

TEST(MetricsExposition, NamesAsTheFormatAllows) {
  EXPECT_TRUE(valid_metric_name("flowpath_datapath_hits_total"));
  EXPECT_TRUE(valid_metric_name("job:rate5m"));
  EXPECT_FALSE(valid_metric_name(""));
  EXPECT_FALSE(valid_metric_name("1abc"));
  EXPECT_FALSE(valid_metric_name("flow-path"));
  EXPECT_TRUE(valid_label_name("datapath"));
  EXPECT_FALSE(valid_label_name("__name__"));
  EXPECT_FALSE(valid_label_name("a:b"));
  EXPECT_FALSE(valid_label_name("0a"));
}

TEST(MetricsExposition, TypeNames) {
  EXPECT_EQ(to_string(MetricType::kCounter), "counter");
  EXPECT_EQ(to_string(MetricType::kGauge), "gauge");
  EXPECT_EQ(to_string(MetricType::kSummary), "summary");
  EXPECT_EQ(to_string(MetricType::kUntyped), "untyped");
}

}  // namespace
}  // namespace flowpath::control
