#include "control/control_server.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log_modules.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>

#include "common/clock.h"
#include "common/lock_file.h"

namespace flowpath::control {

namespace {

// A busy connection's step answers this many requests at most (or writes
// one piece of a long reply).
constexpr size_t kRequestsPerStep = 16;
constexpr size_t kAcceptsPerRound = 64;
constexpr uint64_t kAcceptBackoffMs = 100;
constexpr uint64_t kLogIntervalMs = 10'000;

std::string errno_text() { return std::strerror(errno); }

std::string duration_text(uint64_t ms) {
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

// The last words to a client, in its protocol. Best effort: a socket that
// cannot take it right away does not get it.
void send_notice(int fd, const RequestProtocol& protocol, const std::string& message) {
  std::string line = protocol.notice(message) + "\n";
  [[maybe_unused]] ssize_t n = send(fd, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

// The control socket's protocol: newline-delimited JSON-RPC 2.0.
class JsonRpcProtocol final : public RequestProtocol {
 public:
  explicit JsonRpcProtocol(const JsonRpcDispatcher& dispatcher) : dispatcher_(dispatcher) {}
  RequestFraming framing() const override { return RequestFraming::kLines; }
  std::unique_ptr<JsonStream> start(std::string_view request) const override {
    return dispatcher_.start(request);
  }
  std::string notice(const std::string& message) const override {
    return Json{{"jsonrpc", "2.0"},
                {"id", nullptr},
                {"error", {{"code", kConnectionClosed}, {"message", message}}}}
        .dump();
  }

 private:
  const JsonRpcDispatcher& dispatcher_;
};

// Whether a process accepts connections on the Unix socket `path`.
bool socket_answers(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  bool answers = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return answers;
}

}  // namespace

ControlServer::ControlServer(const JsonRpcDispatcher& dispatcher, ControlLimits limits)
    : jsonrpc_(std::make_unique<JsonRpcProtocol>(dispatcher)), limits_(limits) {}

ControlServer::~ControlServer() {
  connections_.clear();  // closes them
  closed_.clear();
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (spare_fd_ >= 0) close(spare_fd_);
  for (Listener& listener : listeners_) {
    if (listener.fd < 0) continue;
    close(listener.fd);
    // Only our own socket file: a daemon started since may have replaced it.
    struct stat st;
    if (stat(listener.path.c_str(), &st) == 0 && st.st_dev == listener.socket_file.st_dev &&
        st.st_ino == listener.socket_file.st_ino) {
      unlink(listener.path.c_str());
    }
  }
  if (wake_fd_ >= 0) close(wake_fd_);
  listeners_.clear();  // the locks: removes each PATH.lock
}

Status ControlServer::listen(const std::string& path) { return listen(path, *jsonrpc_); }

Status ControlServer::listen(const std::string& path, const RequestProtocol& protocol) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) {
    return make_error("control socket path is too long (" + std::to_string(path.size()) +
                      " bytes, at most " + std::to_string(sizeof addr.sun_path - 1) + "): " + path);
  }
  // The lock's directory (the socket's, created if missing) must be one only
  // root can write, and the lock is never opened through a link.
  auto lock = LockFile::acquire(path + ".lock", "control socket lock");
  if (!lock.ok()) return make_error("cannot serve " + path + ": " + lock.error());
  // We hold the lock, so a socket file left behind is stale, unless someone
  // removed the lock file of a daemon that still serves it.
  if (socket_answers(path)) {
    return make_error("cannot serve " + path + ": another process answers on it, though its " +
                      "lock file " + path + ".lock was removed; stop that process first");
  }
  Listener& listener = listeners_.emplace_back();
  listener.protocol = &protocol;
  listener.lock = std::move(*lock);
  listener.path = path;
  Status status = bind_listener(listener);
  if (!status.ok()) {
    if (listener.fd >= 0) {
      epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listener.fd, nullptr);
      close(listener.fd);
      unlink(path.c_str());
    }
    listeners_.pop_back();  // and its lock
    return status;
  }
  if (path_.empty()) path_ = path;
  return Ok{};
}

// Binds and polls a socket at listener.path, whose lock is held.
Status ControlServer::bind_listener(Listener& listener) {
  const std::string& path = listener.path;
  sockaddr_un addr{};
  unlink(path.c_str());

  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return make_error("socket: " + errno_text());
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  mode_t old_umask = umask(0177);  // the socket is created 0600
  int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  umask(old_umask);
  if (rc != 0) {
    std::string err = errno_text();
    close(fd);
    return make_error("cannot bind " + path + ": " + err);
  }
  if (::listen(fd, 64) != 0) {
    std::string err = errno_text();
    close(fd);
    unlink(path.c_str());
    return make_error("cannot listen on " + path + ": " + err);
  }
  listener.fd = fd;
  if (stat(path.c_str(), &listener.socket_file) != 0) {
    return make_error("cannot stat " + path + ": " + errno_text());
  }
  if (auto st = start_polling(); !st.ok()) return st;
  epoll_event listen_event{EPOLLIN, {.ptr = &listener}};
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listener.fd, &listen_event) != 0) {
    return make_error("epoll_ctl: " + errno_text());
  }
  return Ok{};
}

// The epoll set, the stop() wake-up and the spare descriptor, made with the
// first socket.
Status ControlServer::start_polling() {
  if (epoll_fd_ >= 0) return Ok{};
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) return make_error("eventfd: " + errno_text());
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return make_error("epoll_create1: " + errno_text());
  epoll_event wake_event{EPOLLIN, {.ptr = &wake_fd_}};
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake_event) != 0) {
    return make_error("epoll_ctl: " + errno_text());
  }
  spare_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
  return Ok{};
}

ControlServer::Listener* ControlServer::listener_of(void* tag) {
  for (Listener& listener : listeners_)
    if (tag == &listener) return &listener;
  return nullptr;
}

void ControlServer::stop() {
  stopping_.store(true);
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
  }
}

void ControlServer::run() {
  std::vector<epoll_event> events(256);
  std::vector<Connection*> round;
  while (!stopping_.load()) {
    int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()),
                       wait_timeout(monotonic_ms()));
    if (n < 0) {
      if (errno == EINTR) continue;
      module_log(LogModule::kControl).error("control socket: epoll_wait: {}", errno_text());
      break;
    }
    uint64_t now = monotonic_ms();
    for (int i = 0; i < n; ++i) {
      void* tag = events[i].data.ptr;
      if (Listener* listener = listener_of(tag)) {
        accept_clients(*listener, now);
      } else if (tag == &wake_fd_) {
        uint64_t count;
        [[maybe_unused]] ssize_t r = read(wake_fd_, &count, sizeof count);
      } else {
        on_event(*static_cast<Connection*>(tag), events[i].events, now);
      }
    }
    // One step for every busy connection, in turn: a long reply never holds
    // up the others for more than one piece.
    round.swap(busy_);
    for (Connection* c : round) {
      if (c->closing) continue;
      c->in_busy_list = false;
      serve(*c, now);
    }
    round.clear();
    if (!accepting_ && now >= accept_resume_ms_) {
      accepting_ = true;
      for (Listener& listener : listeners_) {
        epoll_event event{EPOLLIN, {.ptr = &listener}};
        if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listener.fd, &event) != 0) accepting_ = false;
      }
    }
    expire_idle(now);
    closed_.clear();
  }
}

int ControlServer::wait_timeout(uint64_t now) const {
  if (!busy_.empty()) return 0;
  uint64_t deadline = UINT64_MAX;
  if (limits_.idle_timeout_ms != 0 && !connections_.empty()) {
    deadline = connections_.front().last_active_ms() + limits_.idle_timeout_ms;
  }
  if (!accepting_) deadline = std::min(deadline, accept_resume_ms_);
  if (deadline == UINT64_MAX) return -1;
  return deadline <= now ? 0 : static_cast<int>(std::min<uint64_t>(deadline - now, INT_MAX));
}

void ControlServer::accept_clients(Listener& listener, uint64_t now) {
  const RequestProtocol& protocol = *listener.protocol;
  for (size_t i = 0; i < kAcceptsPerRound; ++i) {
    int fd = accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      int error = errno;
      if ((error == EMFILE || error == ENFILE) && refuse_without_descriptors(listener)) {
        log_refusal(now, std::string("out of file descriptors (") + std::strerror(error) + ")");
        continue;
      }
      module_log(LogModule::kControl).warn("control socket: accept: {}; not accepting for {} ms", std::strerror(error),
                   kAcceptBackoffMs);
      pause_accepting(now);
      return;
    }
    if (connections_.size() >= limits_.max_connections && !make_room()) {
      ++counters_.refused;  // counted before the client can see it
      send_notice(fd, protocol, "refused: flowpathd is serving its limit of " +
                          std::to_string(limits_.max_connections) +
                          " connections and none is idle; try again later");
      close(fd);
      log_refusal(now, "at the limit of " + std::to_string(limits_.max_connections) +
                           " connections, none idle");
      continue;
    }
    Connection& c = connections_.emplace_back(fd, now, protocol.framing());
    c.position = std::prev(connections_.end());
    c.protocol = &protocol;
    c.polled_events = EPOLLIN;
    epoll_event event{EPOLLIN, {.ptr = &c}};
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
      std::string why = "epoll_ctl: " + errno_text();
      ++counters_.refused;
      send_notice(fd, protocol, "refused: " + why);
      connections_.pop_back();  // closes it
      log_refusal(now, why);
      continue;
    }
    ++counters_.accepted;
    ++counters_.connections;
  }
}

// Out of descriptors, the pending client still deserves an answer rather
// than a hang: the spare descriptor makes room for accepting and refusing
// it. False if there is no spare to give up.
bool ControlServer::refuse_without_descriptors(Listener& listener) {
  if (spare_fd_ < 0) {
    spare_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
    return false;
  }
  close(spare_fd_);
  int fd = accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd >= 0) {
    ++counters_.refused;
    send_notice(fd, *listener.protocol, "refused: flowpathd is out of file descriptors; try again later");
    close(fd);
  }
  spare_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
  return spare_fd_ >= 0;
}

void ControlServer::pause_accepting(uint64_t now) {
  for (Listener& listener : listeners_) {
    epoll_event event{0, {.ptr = &listener}};
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listener.fd, &event);
  }
  accepting_ = false;
  accept_resume_ms_ = now + kAcceptBackoffMs;
}

// Closes the connection idle longest to let a new client in.
bool ControlServer::make_room() {
  for (Connection& c : connections_) {  // least recently active first
    if (!idle(c)) continue;
    ++counters_.evicted;
    close_connection(c, "closed: flowpathd reached its limit of " +
                            std::to_string(limits_.max_connections) +
                            " connections and this one was idle longest");
    return true;
  }
  return false;
}

void ControlServer::log_refusal(uint64_t now, const std::string& why) {
  if (last_limit_log_ms_ != 0 && now - last_limit_log_ms_ < kLogIntervalMs) return;
  last_limit_log_ms_ = now;
  module_log(LogModule::kControl).warn("control socket: refusing clients: {} ({} refused, {} evicted so far)", why,
               counters_.refused.load(), counters_.evicted.load());
}

void ControlServer::on_event(Connection& c, uint32_t events, uint64_t now) {
  if (c.closing) return;
  if (events & EPOLLERR) {
    close_connection(c);
    return;
  }
  if (events & EPOLLHUP) {
    // Closed both ways: replies cannot reach it any more. What it sent
    // before is still handled (as a pipe's writer may close at once).
    c.peer_gone = true;
    c.discard_output();
  }
  if ((events & (EPOLLIN | EPOLLHUP)) && wants_input(c)) {
    switch (c.read_some()) {
      case Connection::ReadResult::kData:
        touch(c, now);
        if (!c.has_request() && c.unhandled_bytes() > limits_.max_request_bytes) {
          close_connection(c, "invalid request: longer than " +
                                  std::to_string(limits_.max_request_bytes) + " bytes");
          return;
        }
        break;
      case Connection::ReadResult::kError:
        close_connection(c);
        return;
      case Connection::ReadResult::kEndOfInput:
      case Connection::ReadResult::kNothing:
        break;
    }
  }
  if ((events & EPOLLOUT) && !c.peer_gone) {
    size_t before = c.unsent_bytes();
    if (!c.flush()) {
      close_connection(c);
      return;
    }
    if (c.unsent_bytes() < before) touch(c, now);
  }
  settle(c);
}

void ControlServer::serve(Connection& c, uint64_t now) {
  step(c);
  if (!c.peer_gone && c.unsent_bytes() != 0) {
    size_t before = c.unsent_bytes();
    if (!c.flush()) {
      close_connection(c);
      return;
    }
    if (c.unsent_bytes() < before) touch(c, now);
  }
  settle(c);
}

void ControlServer::step(Connection& c) {
  for (size_t handled = 0;;) {
    if (!c.reply) {
      if (handled == kRequestsPerStep) return;
      std::optional<std::string_view> line = c.next_request();
      if (!line) return;
      ++handled;
      c.reply = c.protocol->start(*line);
      c.reply_bytes = 0;
      if (!c.reply) continue;  // a notification
    }
    std::string& out = c.output();
    size_t before = out.size();
    bool done = c.reply->next(out);
    c.reply_bytes += out.size() - before;
    if (done) {
      if (c.reply_bytes != 0) out += '\n';
      c.reply.reset();
    }
    if (c.peer_gone) c.discard_output();
    if (!done || c.unsent_bytes() >= limits_.max_output_bytes) return;
  }
}

// After anything happened to `c`: queue it for a step if it has work it may
// do now, close it if it is finished, and poll for what it waits for.
void ControlServer::settle(Connection& c) {
  if (c.closing) return;
  bool work = c.reply || c.has_request();
  if (!work && c.unsent_bytes() == 0 && !c.framing_error().empty()) {
    // What it sent before was answered; what follows cannot be read.
    close_connection(c, c.framing_error());
    return;
  }
  if (!work && c.input_ended() && c.unsent_bytes() == 0) {
    close_connection(c);
    return;
  }
  bool blocked = c.unsent_bytes() >= limits_.max_output_bytes;
  if (work && !blocked && !c.in_busy_list) {
    busy_.push_back(&c);
    c.in_busy_list = true;
  }
  uint32_t events = 0;
  if (wants_input(c)) events |= EPOLLIN;
  if (c.unsent_bytes() != 0) events |= EPOLLOUT;
  if (events != c.polled_events) {
    epoll_event event{events, {.ptr = &c}};
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd(), &event) != 0) {
      close_connection(c);
      return;
    }
    c.polled_events = events;
  }
}

// A connection is read only when it has nothing else to do: no request
// waiting, no reply being written and its output below the limit. Else its
// requests wait in the kernel and its writes block: back-pressure.
bool ControlServer::wants_input(Connection& c) {
  if (c.input_ended() || !c.framing_error().empty() || c.reply || c.has_request()) return false;
  return c.unsent_bytes() < limits_.max_output_bytes;
}

bool ControlServer::idle(Connection& c) {
  return !c.closing && !c.reply && c.unsent_bytes() == 0 && !c.has_request();
}

void ControlServer::touch(Connection& c, uint64_t now) {
  c.set_last_active(now);
  connections_.splice(connections_.end(), connections_, c.position);
}

void ControlServer::close_connection(Connection& c, const std::string& notice) {
  if (c.closing) return;
  // Said only between replies, never in the middle of one.
  if (!notice.empty() && !c.peer_gone && !c.reply && c.unsent_bytes() == 0) {
    send_notice(c.fd(), *c.protocol, notice);
  }
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd(), nullptr);
  c.closing = true;
  if (c.in_busy_list) {
    busy_.erase(std::remove(busy_.begin(), busy_.end(), &c), busy_.end());
    c.in_busy_list = false;
  }
  closed_.splice(closed_.end(), connections_, c.position);
  --counters_.connections;
}

void ControlServer::expire_idle(uint64_t now) {
  if (limits_.idle_timeout_ms == 0) return;
  while (!connections_.empty()) {
    Connection& c = connections_.front();
    if (now - c.last_active_ms() < limits_.idle_timeout_ms) break;
    ++counters_.timed_out;
    close_connection(c, "closed: no traffic for " + duration_text(limits_.idle_timeout_ms));
  }
}

}  // namespace flowpath::control
