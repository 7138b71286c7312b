// The Prometheus text exposition format (version 0.0.4), as flowpathd serves
// it on /metrics: one family at a time, a HELP and a TYPE line and then its
// samples, each `name{label="value",...} number`.
//
// Label values are escaped as the format requires (backslash, double quote
// and line feed), HELP text as well (backslash and line feed), so a port
// named by an operator cannot break a line or forge a sample. Names are the
// caller's constants; a name the format does not allow is a programming
// error and is refused by an assertion in debug builds and by the unit test
// (valid_metric_name, valid_label_name).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace flowpath::control {

enum class MetricType { kCounter, kGauge, kSummary, kUntyped };
std::string_view to_string(MetricType type);

struct MetricLabel {
  std::string_view name;
  std::string_view value;
};

// [a-zA-Z_:][a-zA-Z0-9_:]* and [a-zA-Z_][a-zA-Z0-9_]* (not starting "__").
bool valid_metric_name(std::string_view name);
bool valid_label_name(std::string_view name);

// Appends `value` escaped for a label value (\\, \" and \n).
void append_label_value(std::string& out, std::string_view value);

class MetricsExposition {
 public:
  // Starts a family: its HELP and TYPE lines. Counters are named with
  // "_total" (Prometheus' convention; promtool insists), a summary by its
  // base name, its samples by family_sum/family_count.
  void family(std::string_view name, MetricType type, std::string_view help);

  // A sample of the current family. `suffix` is appended to the family's
  // name ("_sum", "_count" of a summary).
  void sample(std::initializer_list<MetricLabel> labels, uint64_t value) {
    sample_suffix({}, labels, value);
  }
  void sample(std::initializer_list<MetricLabel> labels, double value) {
    sample_suffix({}, labels, value);
  }
  void sample_suffix(std::string_view suffix, std::initializer_list<MetricLabel> labels,
                     uint64_t value);
  void sample_suffix(std::string_view suffix, std::initializer_list<MetricLabel> labels,
                     double value);

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

  // The media type of text(), for the Content-Type header.
  static constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  void begin_sample(std::string_view suffix, std::initializer_list<MetricLabel> labels);

  std::string out_;
  std::string family_;
};

}  // namespace flowpath::control
