#include "control/control_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace flowpath::control {

namespace {

std::string errno_text() { return std::strerror(errno); }

}  // namespace

ControlServer::~ControlServer() {
  for (Connection& c : connections_) close(c.fd);
  if (listen_fd_ >= 0) {
    close(listen_fd_);
    unlink(path_.c_str());
  }
  if (wake_fd_ >= 0) close(wake_fd_);
  if (lock_fd_ >= 0) {
    std::string lock_path = path_ + ".lock";
    unlink(lock_path.c_str());
    close(lock_fd_);
  }
}

Status ControlServer::listen(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) {
    return make_error("control socket path is too long (" + std::to_string(path.size()) +
                      " bytes, at most " + std::to_string(sizeof addr.sun_path - 1) + "): " + path);
  }
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return make_error("cannot create " + dir.string() + ": " + ec.message());
  }
  std::string lock_path = path + ".lock";
  int lock_fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0) return make_error("cannot open " + lock_path + ": " + errno_text());
  if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    char pid[32] = {};
    ssize_t n = pread(lock_fd, pid, sizeof pid - 1, 0);
    close(lock_fd);
    std::string who = n > 0 ? " (pid " + std::string(pid, strnlen(pid, sizeof pid)) + ")" : "";
    return make_error("another flowpathd" + who + " is already serving " + path);
  }
  std::string me = std::to_string(getpid());
  if (ftruncate(lock_fd, 0) != 0 || pwrite(lock_fd, me.data(), me.size(), 0) < 0) {
    close(lock_fd);
    return make_error("cannot write " + lock_path + ": " + errno_text());
  }
  lock_fd_ = lock_fd;
  path_ = path;
  // We hold the lock, so any socket file left behind is stale.
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
  listen_fd_ = fd;
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) return make_error("eventfd: " + errno_text());
  return Ok{};
}

void ControlServer::stop() {
  stopping_.store(true);
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
  }
}

void ControlServer::run() {
  std::vector<pollfd> fds;
  while (!stopping_.load()) {
    fds.clear();
    fds.push_back({listen_fd_, POLLIN, 0});
    fds.push_back({wake_fd_, POLLIN, 0});
    for (const Connection& c : connections_) {
      short events = POLLIN;
      if (!c.output.empty()) events |= POLLOUT;
      fds.push_back({c.fd, events, 0});
    }
    int n = poll(fds.data(), fds.size(), -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    // fds[2 + i] is connections_[i] for the connections polled this round;
    // new ones are accepted only after them, so they are never looked up in
    // a poll set that does not hold them. Walk backwards so that removal
    // keeps the indices of the ones still to visit.
    for (size_t i = fds.size() - 2; i-- > 0;) {
      const pollfd& p = fds[i + 2];
      bool keep = true;
      if (p.revents & (POLLIN | POLLHUP | POLLERR)) keep = read_from(connections_[i]);
      if (keep && (p.revents & POLLOUT)) keep = write_to(connections_[i]);
      if (!keep) {
        close(connections_[i].fd);
        connections_.erase(connections_.begin() + static_cast<ptrdiff_t>(i));
      }
    }
    if (fds[0].revents & POLLIN) accept_connection();
  }
}

void ControlServer::accept_connection() {
  for (;;) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    connections_.push_back(Connection{fd, {}, {}});
  }
}

bool ControlServer::read_from(Connection& c) {
  char buf[65536];
  bool eof = false;
  for (;;) {
    ssize_t n = read(c.fd, buf, sizeof buf);
    if (n == 0) {
      eof = true;
      break;
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      return false;
    }
    c.input.append(buf, static_cast<size_t>(n));
    if (c.input.size() > kMaxRequestBytes && c.input.find('\n') == std::string::npos) {
      c.output +=
          R"({"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"invalid request: longer than 16 MiB"}})";
      c.output += '\n';
      write_to(c);
      return false;
    }
    handle_lines(c);
  }
  // A client that half-closes after its last request still gets its replies.
  bool ok = write_to(c);
  return ok && !eof;
}

void ControlServer::handle_lines(Connection& c) {
  size_t start = 0;
  for (size_t nl; (nl = c.input.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string_view line(c.input.data() + start, nl - start);
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    std::string reply = dispatcher_.handle_line(line);
    if (!reply.empty()) {
      c.output += reply;
      c.output += '\n';
    }
  }
  c.input.erase(0, start);
}

bool ControlServer::write_to(Connection& c) {
  while (!c.output.empty()) {
    ssize_t n = send(c.fd, c.output.data(), c.output.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      if (errno == EINTR) continue;
      return false;
    }
    c.output.erase(0, static_cast<size_t>(n));
  }
  return true;
}

}  // namespace flowpath::control
