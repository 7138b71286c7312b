#include "ovsdb/connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace flowpath::ovsdb {

namespace {

std::string errno_text(int err) { return std::strerror(err); }

}  // namespace

Result<Remote> parse_remote(std::string_view text) {
  Remote remote;
  remote.text = std::string(text);
  if (text.starts_with("unix:")) {
    remote.kind = Remote::Kind::kUnix;
    remote.path = std::string(text.substr(5));
    if (remote.path.empty()) return make_error("remote \"" + remote.text + "\" has no socket path");
    if (remote.path.size() >= sizeof(sockaddr_un{}.sun_path))
      return make_error("remote \"" + remote.text + "\": socket path is longer than " +
                        std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " bytes");
    return remote;
  }
  if (!text.starts_with("tcp:"))
    return make_error("remote \"" + remote.text + "\" is neither unix:PATH nor tcp:IP:PORT");
  remote.kind = Remote::Kind::kTcp;
  std::string_view rest = text.substr(4);
  std::string_view host, port;
  if (rest.starts_with("[")) {
    size_t close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
      return make_error("remote \"" + remote.text + "\": expected tcp:[IPV6]:PORT");
    host = rest.substr(1, close - 1);
    port = rest.substr(close + 2);
  } else {
    size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos)
      return make_error("remote \"" + remote.text + "\" has no port (tcp:IP:PORT)");
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  unsigned value = 0;
  auto [end, err] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || err != std::errc() || end != port.data() + port.size() || value == 0 ||
      value > 65535)
    return make_error("remote \"" + remote.text + "\": port \"" + std::string(port) +
                      "\" is not 1..65535");
  remote.port = static_cast<uint16_t>(value);
  remote.host = std::string(host);
  in6_addr v6;
  in_addr v4;
  if (inet_pton(AF_INET, remote.host.c_str(), &v4) != 1 &&
      inet_pton(AF_INET6, remote.host.c_str(), &v6) != 1)
    return make_error("remote \"" + remote.text + "\": \"" + remote.host +
                      "\" is not a numeric IPv4 or IPv6 address");
  return remote;
}

Status Connection::connect(const Remote& remote, int timeout_ms) {
  close();
  sockaddr_storage address{};
  socklen_t length = 0;
  int family = AF_UNIX;
  if (remote.kind == Remote::Kind::kUnix) {
    auto* un = reinterpret_cast<sockaddr_un*>(&address);
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, remote.path.c_str(), remote.path.size() + 1);
    length = sizeof(sockaddr_un);
  } else {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    if (inet_pton(AF_INET, remote.host.c_str(), &v4->sin_addr) == 1) {
      family = v4->sin_family = AF_INET;
      v4->sin_port = htons(remote.port);
      length = sizeof(sockaddr_in);
    } else if (inet_pton(AF_INET6, remote.host.c_str(), &v6->sin6_addr) == 1) {
      family = v6->sin6_family = AF_INET6;
      v6->sin6_port = htons(remote.port);
      length = sizeof(sockaddr_in6);
    } else {
      return make_error(remote.text + ": bad address");
    }
  }
  int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(remote.text + ": socket: " + errno_text(errno));
  if (family != AF_UNIX) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), length) != 0) {
    if (errno != EINPROGRESS) {
      int err = errno;
      ::close(fd);
      return make_error(remote.text + ": connect: " + errno_text(err));
    }
    pollfd pfd{fd, POLLOUT, 0};
    int n = ::poll(&pfd, 1, timeout_ms);
    int err = 0;
    socklen_t err_length = sizeof err;
    if (n <= 0) {
      ::close(fd);
      return make_error(remote.text + ": connect: timed out after " + std::to_string(timeout_ms) +
                        " ms");
    }
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_length);
    if (err != 0) {
      ::close(fd);
      return make_error(remote.text + ": connect: " + errno_text(err));
    }
  }
  fd_ = fd;
  return Ok{};
}

void Connection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  outgoing_.clear();
  framer_.reset();
}

Status Connection::send(std::string text) {
  if (fd_ < 0) return make_error("not connected");
  outgoing_ += text;
  auto done = flush();
  if (!done.ok()) return make_error(done.error());
  return Ok{};
}

Result<bool> Connection::flush() {
  while (!outgoing_.empty()) {
    ssize_t n = ::send(fd_, outgoing_.data(), outgoing_.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
      if (errno == EINTR) continue;
      return make_error("send: " + errno_text(errno));
    }
    outgoing_.erase(0, static_cast<size_t>(n));
  }
  return true;
}

Status Connection::receive(std::vector<std::string>* out) {
  char buffer[65536];
  for (;;) {
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n == 0) return make_error("the server closed the connection");
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Ok{};
      if (errno == EINTR) continue;
      return make_error("receive: " + errno_text(errno));
    }
    TRY_STATUS(framer_.feed(std::string_view(buffer, static_cast<size_t>(n)), out));
  }
}

}  // namespace flowpath::ovsdb
