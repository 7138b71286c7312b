#include "daemon_notify.h"

#include <systemd/sd-daemon.h>

#include <spdlog/spdlog.h>

#include <cstring>

namespace flowpath::daemon {

void notify(const std::string& message) {
  int sent = sd_notify(0, message.c_str());
  if (sent < 0) spdlog::warn("sd_notify({}): {}", message, std::strerror(-sent));
}

void notify_ready(const std::string& status) { notify("READY=1\nSTATUS=" + status); }
void notify_stopping(const std::string& status) { notify("STOPPING=1\nSTATUS=" + status); }
void notify_status(const std::string& status) { notify("STATUS=" + status); }

}  // namespace flowpath::daemon
