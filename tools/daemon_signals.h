// flowpathd's signals: SIGTERM and SIGINT stop it, SIGHUP reopens its log
// file (logrotate's postrotate), SIGPIPE is ignored. The three are blocked in
// every thread and taken by one thread with sigwait(), so no forwarding or
// handler thread is ever interrupted by them.
#pragma once

#include <signal.h>

#include <atomic>
#include <functional>
#include <thread>

namespace flowpath::daemon {

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread and ignores
// SIGPIPE. Call it first in main(), before any thread starts: threads inherit
// the mask.
void block_daemon_signals();

class SignalThread {
 public:
  // on_hangup runs for each SIGHUP; on_stop for the first SIGTERM or SIGINT,
  // after which the thread ends.
  SignalThread(std::function<void()> on_hangup, std::function<void(int)> on_stop);
  // Ends the thread if no stop signal came (on_stop is not called then).
  ~SignalThread();
  SignalThread(const SignalThread&) = delete;
  SignalThread& operator=(const SignalThread&) = delete;

 private:
  void run();

  std::function<void()> on_hangup_;
  std::function<void(int)> on_stop_;
  std::atomic<bool> finishing_{false};
  std::thread thread_;
};

}  // namespace flowpath::daemon
