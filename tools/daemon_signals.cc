#include "daemon_signals.h"

#include <pthread.h>

namespace flowpath::daemon {

namespace {

sigset_t daemon_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void block_daemon_signals() {
  sigset_t set = daemon_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

SignalThread::SignalThread(std::function<void()> on_hangup, std::function<void(int)> on_stop)
    : on_hangup_(std::move(on_hangup)), on_stop_(std::move(on_stop)),
      thread_([this] { run(); }) {}

SignalThread::~SignalThread() {
  finishing_.store(true);
  // Wakes sigwait() if no stop signal ended the thread yet; a no-op otherwise
  // (the signal stays pending in a thread that is gone).
  pthread_kill(thread_.native_handle(), SIGTERM);
  thread_.join();
}

void SignalThread::run() {
  pthread_setname_np(pthread_self(), "fp-signals");
  sigset_t set = daemon_signals();
  for (;;) {
    int signal_number = 0;
    if (sigwait(&set, &signal_number) != 0) continue;
    if (finishing_.load()) return;
    if (signal_number == SIGHUP) {
      on_hangup_();
      continue;
    }
    on_stop_(signal_number);
    return;
  }
}

}  // namespace flowpath::daemon
