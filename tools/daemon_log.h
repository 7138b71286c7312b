// flowpathd's log: the log modules (common/log_modules.h) with up to three
// destinations — the console (stderr, or the systemd journal when stderr is
// connected to it), a log file that SIGHUP reopens (for logrotate), and
// syslog. spdlog's default logger is the `daemon` module's.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

namespace flowpath::daemon {

// The spdlog levels by name, for --log-level.
inline constexpr const char* kLogLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};

struct LogOptions {
  std::string level = "info";
  // --log-file: also append every message to this file ("": none). Opened
  // with O_NOFOLLOW in a directory no other user can write (see
  // check_private_directory()); created mode 0640.
  std::string file;
  // --syslog: also send every message to syslog(3), facility daemon.
  bool syslog = false;
  // --verbose/-v MODULE[:DESTINATION][:LEVEL], applied in order after
  // --log-level (which sets every module and destination).
  std::vector<std::string> verbose;
};

// Points the log modules at the destinations and sets their levels. Fails,
// logging nothing and changing nothing, when a level or a --verbose setting
// is wrong or the log file cannot be opened.
Status setup_log(const LogOptions& options);

// SIGHUP: closes the log file and opens it again under its name, so that a
// file renamed by logrotate is let go. Without --log-file there is nothing
// to reopen. On failure the old file stays in use.
Status reopen_log_file();

// After --detach: the console is /dev/null from now on; stop formatting for it.
void stop_console_log();

// Whether stderr is the systemd journal's stream (JOURNAL_STREAM names its
// device and inode): then console messages go to the journal natively, each
// with its priority.
bool stderr_is_journal();

}  // namespace flowpath::daemon
