#include "control/metrics_exposition.h"

#include <cassert>
#include <charconv>
#include <cmath>

namespace flowpath::control {

namespace {

bool name_char(char c, bool first, bool colon) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (colon && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}

// HELP text: backslash and line feed escaped.
void append_help(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}

}  // namespace

std::string_view to_string(MetricType type) {
  switch (type) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kSummary: return "summary";
    case MetricType::kUntyped: return "untyped";
  }
  return "untyped";
}

bool valid_metric_name(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i)
    if (!name_char(name[i], i == 0, true)) return false;
  return true;
}

bool valid_label_name(std::string_view name) {
  if (name.empty() || name.starts_with("__")) return false;
  for (size_t i = 0; i < name.size(); ++i)
    if (!name_char(name[i], i == 0, false)) return false;
  return true;
}

void append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

void MetricsExposition::family(std::string_view name, MetricType type, std::string_view help) {
  assert(valid_metric_name(name));
  family_.assign(name);
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  append_help(out_, help);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += to_string(type);
  out_ += '\n';
}

void MetricsExposition::begin_sample(std::string_view suffix,
                                     std::initializer_list<MetricLabel> labels) {
  out_ += family_;
  out_ += suffix;
  if (labels.size() != 0) {
    out_ += '{';
    bool first = true;
    for (const MetricLabel& label : labels) {
      assert(valid_label_name(label.name));
      if (!first) out_ += ',';
      first = false;
      out_ += label.name;
      out_ += "=\"";
      append_label_value(out_, label.value);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
}

void MetricsExposition::sample_suffix(std::string_view suffix,
                                      std::initializer_list<MetricLabel> labels, uint64_t value) {
  begin_sample(suffix, labels);
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out_.append(buf, end);
  out_ += '\n';
}

void MetricsExposition::sample_suffix(std::string_view suffix,
                                      std::initializer_list<MetricLabel> labels, double value) {
  begin_sample(suffix, labels);
  if (std::isnan(value)) {
    out_ += "NaN";
  } else if (std::isinf(value)) {
    out_ += value > 0 ? "+Inf" : "-Inf";
  } else {
    // The shortest text that reads back as the same double.
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    out_.append(buf, end);
  }
  out_ += '\n';
}

}  // namespace flowpath::control
