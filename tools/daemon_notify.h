// flowpathd and the service manager (sd_notify(3), Type=notify units):
// READY=1 once the bridges are restored and the control socket listens,
// STOPPING=1 when shutdown begins, STATUS= lines that `systemctl status`
// shows (WATCHDOG=1 is daemon_watchdog.h's). Without $NOTIFY_SOCKET (not
// started by systemd) every call does nothing.
#pragma once

#include <string>

namespace flowpath::daemon {

void notify_ready(const std::string& status);
void notify_stopping(const std::string& status);
void notify_status(const std::string& status);
void notify(const std::string& message);  // any sd_notify message, e.g. "WATCHDOG=1"

}  // namespace flowpath::daemon
