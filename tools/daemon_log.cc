#include "daemon_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <vector>

#include "common/escaping_log_sink.h"
#include "common/log_modules.h"
#include "common/log_setting.h"
#include "common/private_file.h"

namespace flowpath::daemon {

namespace {

// Time, level, module and message: the console's and the file's lines.
constexpr const char* kTimedPattern = "[%Y-%m-%d %H:%M:%S.%e] [%^%l%$] [%n] %v";
// syslog and the journal stamp messages with time and priority themselves.
constexpr const char* kBarePattern = "%n: %v";

// --log-level's spdlog names as levels of the log modules.
LogLevel level_from_spdlog_name(const std::string& name) {
  return name == "off" ? LogLevel::kOff : level_of_message(spdlog::level::from_str(name));
}

// Appends each message with one write(2) to a file opened O_APPEND, so lines
// from several processes never interleave and nothing sits in a buffer when
// the daemon dies. reopen() swaps the descriptor under the sink's mutex.
class LogFileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  static Result<std::shared_ptr<LogFileSink>> open(const std::string& path) {
    TRY_ASSIGN(fd, open_file(path));
    return std::shared_ptr<LogFileSink>(new LogFileSink(path, fd));
  }
  ~LogFileSink() override { ::close(fd_); }

  Status reopen() {
    TRY_ASSIGN(fd, open_file(path_));
    std::lock_guard guard(mutex_);
    ::close(fd_);
    fd_ = fd;
    return Ok{};
  }
  const std::string& path() const { return path_; }

 private:
  LogFileSink(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

  static Result<int> open_file(const std::string& path) {
    return open_private_file(path, O_WRONLY | O_APPEND, 0640, "log file");
  }

  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    const char* data = line.data();
    size_t left = line.size();
    while (left > 0) {
      ssize_t n = ::write(fd_, data, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // a full disk must not stop the daemon; nothing to tell it to
      data += n;
      left -= static_cast<size_t>(n);
    }
  }
  void flush_() override {}

  std::string path_;
  int fd_;
};

// What setup_log() built, for SIGHUP and --detach.
struct LogState {
  std::shared_ptr<LogFileSink> file;
};
LogState& state() {
  static LogState instance;
  return instance;
}

}  // namespace

bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  unsigned long long device = 0, inode = 0;
  if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2) return false;
  struct stat st;
  if (::fstat(STDERR_FILENO, &st) != 0) return false;
  return st.st_dev == device && st.st_ino == inode;
}

Status setup_log(const LogOptions& options) {
  bool known = false;
  for (const char* name : kLogLevels) known = known || options.level == name;
  if (!known) {
    return make_error("unknown log level \"" + options.level +
                      "\" (trace, debug, info, warn, error, critical or off)");
  }
  auto settings = parse_log_settings(options.verbose);
  if (!settings.ok()) return make_error("--verbose " + settings.error());
  spdlog::sink_ptr console;
  if (stderr_is_journal()) {
    console = std::make_shared<spdlog::sinks::systemd_sink_mt>("flowpathd", true);
    console->set_pattern(kBarePattern);
  } else {
    console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    console->set_pattern(kTimedPattern);
  }
  std::shared_ptr<LogFileSink> file;
  if (!options.file.empty()) {
    std::error_code ec;
    std::filesystem::path absolute = std::filesystem::absolute(options.file, ec);
    if (ec) return make_error("log file " + options.file + ": " + ec.message());
    TRY_ASSIGN(opened, LogFileSink::open(absolute.string()));
    file = opened;
    file->set_pattern(kTimedPattern);
  }
  spdlog::sink_ptr syslog;
  if (options.syslog) {
    syslog = std::make_shared<spdlog::sinks::syslog_sink_mt>("flowpathd", LOG_PID, LOG_DAEMON, true);
    syslog->set_pattern(kBarePattern);
  }
  // Anything a client sent may appear in a message: escape control
  // characters on the way to every destination (escaping_log_sink.h).
  auto escaped = [](spdlog::sink_ptr sink) -> spdlog::sink_ptr {
    return sink ? std::make_shared<EscapingLogSink>(std::move(sink)) : nullptr;
  };
  set_log_destination(LogDestination::kConsole, escaped(console));
  set_log_destination(LogDestination::kFile, escaped(file));
  set_log_destination(LogDestination::kSyslog, escaped(syslog));
  apply_log_setting(LogSetting{std::nullopt, std::nullopt, level_from_spdlog_name(options.level)});
  for (const LogSetting& setting : *settings) apply_log_setting(setting);
  make_default_log(LogModule::kDaemon);
  state() = LogState{file};
  return Ok{};
}

Status reopen_log_file() {
  LogState& log = state();
  if (!log.file) {
    spdlog::info("SIGHUP: no log file to reopen");
    return Ok{};
  }
  if (Status reopened = log.file->reopen(); !reopened) {
    spdlog::error("SIGHUP: {}; still writing to the file opened before", reopened.error());
    return reopened;
  }
  spdlog::info("SIGHUP: log file {} reopened", log.file->path());
  return Ok{};
}

void stop_console_log() { set_log_destination(LogDestination::kConsole, nullptr); }

}  // namespace flowpath::daemon
