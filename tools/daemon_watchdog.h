// The systemd watchdog (WatchdogSec= in the unit): WATCHDOG=1 every half of
// the interval, each time only after a health check passed. The check asks
// the control socket what an operator would (the list of datapaths): a
// daemon whose control loop or datapath lock is stuck stops answering and
// is restarted by systemd.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace flowpath::daemon {

// Connects to the control socket and asks for the datapaths; true if a
// JSON-RPC result came back within `timeout`. Logs why not otherwise.
bool control_socket_answers(const std::string& socket_path, std::chrono::milliseconds timeout);

// Does nothing unless the service manager asked for a watchdog
// (sd_watchdog_enabled(3)).
class Watchdog {
 public:
  // `healthy(timeout)` is the check; it must return within `timeout`.
  explicit Watchdog(std::function<bool(std::chrono::milliseconds)> healthy);
  ~Watchdog();  // stops the thread, waiting for a check in progress
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  void run(std::chrono::microseconds interval);

  std::function<bool(std::chrono::milliseconds)> healthy_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace flowpath::daemon
