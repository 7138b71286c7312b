#include "common/log_modules.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

namespace flowpath {

namespace {

constexpr std::array<std::string_view, kLogModules> kModuleNames = {
    "common",    "packet", "flow",     "tunnel", "table",  "actions", "odp",     "conntrack",
    "vport",     "datapath", "openflow", "upcall", "ofproto", "ovsdb", "control", "daemon"};
constexpr std::array<std::string_view, kLogDestinations> kDestinationNames = {"console", "syslog",
                                                                               "file"};

bool same_word(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// A destination's sink, which the daemon may replace while other threads log
// (a lock held only to pass the message on).
class DestinationSink final : public spdlog::sinks::sink {
 public:
  void log(const spdlog::details::log_msg& msg) override {
    std::lock_guard guard(mutex_);
    if (inner_) inner_->log(msg);
  }
  void flush() override {
    std::lock_guard guard(mutex_);
    if (inner_) inner_->flush();
  }
  // Each destination's sink keeps the pattern the daemon gave it.
  void set_pattern(const std::string&) override {}
  void set_formatter(std::unique_ptr<spdlog::formatter>) override {}

  void replace(spdlog::sink_ptr inner) {
    std::lock_guard guard(mutex_);
    inner_ = std::move(inner);
  }
  bool open() {
    std::lock_guard guard(mutex_);
    return inner_ != nullptr;
  }

 private:
  std::mutex mutex_;
  spdlog::sink_ptr inner_;
};

// One module's gate to one destination: its level is the module's level
// there (spdlog checks it before log()).
class GateSink final : public spdlog::sinks::sink {
 public:
  explicit GateSink(std::shared_ptr<DestinationSink> destination)
      : destination_(std::move(destination)) {}
  void log(const spdlog::details::log_msg& msg) override { destination_->log(msg); }
  void flush() override { destination_->flush(); }
  void set_pattern(const std::string&) override {}
  void set_formatter(std::unique_ptr<spdlog::formatter>) override {}

 private:
  std::shared_ptr<DestinationSink> destination_;
};

class LogModules {
 public:
  static LogModules& instance() {
    static LogModules modules;
    return modules;
  }

  spdlog::logger& logger(LogModule module) { return *loggers_[index(module)]; }
  std::shared_ptr<spdlog::logger> shared_logger(LogModule module) { return loggers_[index(module)]; }

  LogLevel level(LogModule module, LogDestination destination) {
    std::lock_guard guard(mutex_);
    return levels_[index(module)][index(destination)];
  }

  void set_level(LogModule module, LogDestination destination, LogLevel level) {
    std::lock_guard guard(mutex_);
    const size_t m = index(module);
    levels_[m][index(destination)] = level;
    gates_[m][index(destination)]->set_level(threshold(level));
    // The logger lets through what any destination admits.
    spdlog::level::level_enum lowest = spdlog::level::off;
    for (size_t d = 0; d < kLogDestinations; ++d) lowest = std::min(lowest, threshold(levels_[m][d]));
    loggers_[m]->set_level(lowest);
  }

  DestinationSink& destination(LogDestination destination) {
    return *destinations_[index(destination)];
  }

 private:
  template <typename E>
  static size_t index(E e) {
    return static_cast<size_t>(e);
  }

  LogModules() {
    for (auto& d : destinations_) d = std::make_shared<DestinationSink>();
    auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    console->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%^%l%$] [%n] %v");
    destinations_[index(LogDestination::kConsole)]->replace(console);
    for (size_t m = 0; m < kLogModules; ++m) {
      std::vector<spdlog::sink_ptr> sinks;
      for (size_t d = 0; d < kLogDestinations; ++d) {
        gates_[m][d] = std::make_shared<GateSink>(destinations_[d]);
        gates_[m][d]->set_level(threshold(LogLevel::kInfo));
        levels_[m][d] = LogLevel::kInfo;
        sinks.push_back(gates_[m][d]);
      }
      loggers_[m] = std::make_shared<spdlog::logger>(std::string(kModuleNames[m]), sinks.begin(),
                                                     sinks.end());
      loggers_[m]->set_level(threshold(LogLevel::kInfo));
    }
  }

  std::mutex mutex_;  // for changes of levels; never taken to log
  std::array<std::shared_ptr<DestinationSink>, kLogDestinations> destinations_;
  std::array<std::array<std::shared_ptr<GateSink>, kLogDestinations>, kLogModules> gates_;
  std::array<std::array<LogLevel, kLogDestinations>, kLogModules> levels_;
  std::array<std::shared_ptr<spdlog::logger>, kLogModules> loggers_;
};

}  // namespace

std::string_view to_string(LogModule module) { return kModuleNames[static_cast<size_t>(module)]; }

std::string_view to_string(LogDestination destination) {
  return kDestinationNames[static_cast<size_t>(destination)];
}

std::optional<LogModule> find_log_module(std::string_view name) {
  for (size_t m = 0; m < kLogModules; ++m)
    if (same_word(name, kModuleNames[m])) return static_cast<LogModule>(m);
  return std::nullopt;
}

std::optional<LogDestination> find_log_destination(std::string_view name) {
  for (size_t d = 0; d < kLogDestinations; ++d)
    if (same_word(name, kDestinationNames[d])) return static_cast<LogDestination>(d);
  return std::nullopt;
}

std::string log_module_names() {
  std::string out;
  for (std::string_view name : kModuleNames) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::string_view log_destination_names() { return "console, syslog, file"; }

spdlog::logger& module_log(LogModule module) { return LogModules::instance().logger(module); }

void make_default_log(LogModule module) {
  spdlog::set_default_logger(LogModules::instance().shared_logger(module));
}

LogLevel log_level(LogModule module, LogDestination destination) {
  return LogModules::instance().level(module, destination);
}

void set_log_level(LogModule module, LogDestination destination, LogLevel level) {
  LogModules::instance().set_level(module, destination, level);
}

void set_log_destination(LogDestination destination, spdlog::sink_ptr sink) {
  LogModules::instance().destination(destination).replace(std::move(sink));
}

bool log_destination_open(LogDestination destination) {
  return LogModules::instance().destination(destination).open();
}

std::string format_log_levels() {
  // A column of 12 for the module, 10 for each destination but the last.
  auto row = [](std::string_view first, const std::array<std::string, kLogDestinations>& cells) {
    std::string line(first);
    line.resize(12, ' ');
    for (size_t d = 0; d < kLogDestinations; ++d) {
      std::string cell = cells[d];
      if (d + 1 < kLogDestinations) cell.resize(std::max<size_t>(cell.size(), 10), ' ');
      line += cell;
    }
    return line + "\n";
  };
  std::array<std::string, kLogDestinations> names, rules;
  for (size_t d = 0; d < kLogDestinations; ++d) {
    names[d] = kDestinationNames[d];
    rules[d] = std::string(kDestinationNames[d].size(), '-');
  }
  std::string out = row("", names) + row("", rules);
  for (size_t m = 0; m < kLogModules; ++m) {
    auto module = static_cast<LogModule>(m);
    std::array<std::string, kLogDestinations> cells;
    for (size_t d = 0; d < kLogDestinations; ++d) {
      cells[d] = to_string(log_level(module, static_cast<LogDestination>(d)));
      for (char& c : cells[d]) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    out += row(kModuleNames[m], cells);
  }
  return out;
}

}  // namespace flowpath
