#include "daemon_watchdog.h"

#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

#include "daemon_notify.h"

namespace flowpath::daemon {

namespace {

// Whether `fd` became ready for `events` before `deadline`.
bool wait_ready(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

std::string ask_for_datapaths(int fd, std::chrono::steady_clock::time_point deadline) {
  static constexpr char kRequest[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"dp.list\",\"params\":{}}\n";
  if (::send(fd, kRequest, sizeof kRequest - 1, MSG_NOSIGNAL) != sizeof kRequest - 1) {
    return std::string("sending the request: ") + std::strerror(errno);
  }
  std::string reply;
  while (reply.find('\n') == std::string::npos) {
    if (!wait_ready(fd, POLLIN, deadline)) return "no answer in time";
    char buffer[4096];
    ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n == 0) return "the daemon closed the connection";
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return std::string("receiving: ") + std::strerror(errno);
    }
    reply.append(buffer, static_cast<size_t>(n));
  }
  if (reply.find("\"result\"") == std::string::npos) return "an error came back: " + reply;
  return "";
}

}  // namespace

bool control_socket_answers(const std::string& socket_path, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string problem;
  sockaddr_un address{};
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    problem = std::string("socket: ") + std::strerror(errno);
  } else if (socket_path.size() >= sizeof address.sun_path) {
    problem = "socket path too long";
  } else {
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
    // A Unix socket connects at once or fails (EAGAIN: the backlog is full).
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      problem = std::string("connecting: ") + std::strerror(errno);
    } else {
      problem = ask_for_datapaths(fd, deadline);
    }
  }
  if (fd >= 0) ::close(fd);
  if (!problem.empty()) {
    spdlog::warn("watchdog: control socket {} failed the health check: {}", socket_path, problem);
  }
  return problem.empty();
}

Watchdog::Watchdog(std::function<bool(std::chrono::milliseconds)> healthy)
    : healthy_(std::move(healthy)) {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
  auto interval = std::chrono::microseconds(usec / 2);
  spdlog::info("systemd watchdog: a health check every {} ms", interval.count() / 1000);
  thread_ = std::thread([this, interval] { run(interval); });
}

Watchdog::~Watchdog() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard guard(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Watchdog::run(std::chrono::microseconds interval) {
  pthread_setname_np(pthread_self(), "fp-watchdog");
  // A check may take half an interval: pings stay at most 3/4 of
  // WatchdogSec= apart.
  auto check_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(interval / 2);
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    auto next = std::chrono::steady_clock::now() + interval;
    lock.unlock();
    if (healthy_(check_timeout)) notify("WATCHDOG=1");
    lock.lock();
    wake_.wait_until(lock, next, [this] { return stopping_; });
  }
}

}  // namespace flowpath::daemon
