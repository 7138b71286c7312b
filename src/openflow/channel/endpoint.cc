#include "openflow/channel/endpoint.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace flowpath::openflow::channel {

namespace {

Result<uint16_t> parse_port(std::string_view text, std::string_view endpoint) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > 65535)
    return make_error(std::string(endpoint) + ": bad port \"" + std::string(text) + "\"");
  return static_cast<uint16_t>(value);
}

// "IP" or "[IPv6]" followed by an optional ":PORT"; `host_first` says which
// comes first (tcp: IP then port; ptcp: port then IP).
Status split_host_port(std::string_view rest, bool host_first, std::string_view text,
                       Endpoint& e) {
  std::string_view host, port;
  if (host_first) {
    if (!rest.empty() && rest.front() == '[') {
      size_t close = rest.find(']');
      if (close == std::string_view::npos) return make_error(std::string(text) + ": missing ']'");
      host = rest.substr(1, close - 1);
      rest.remove_prefix(close + 1);
      if (!rest.empty()) {
        if (rest.front() != ':') return make_error(std::string(text) + ": junk after ']'");
        port = rest.substr(1);
        if (port.empty()) return make_error(std::string(text) + ": empty port");
      }
    } else {
      size_t colon = rest.find(':');
      host = rest.substr(0, colon);
      if (colon != std::string_view::npos) {
        port = rest.substr(colon + 1);
        if (port.empty()) return make_error(std::string(text) + ": empty port");
      }
    }
    if (host.empty()) return make_error(std::string(text) + ": no address");
  } else {
    size_t colon = rest.find(':');
    port = rest.substr(0, colon);
    if (colon != std::string_view::npos) {
      host = rest.substr(colon + 1);
      if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
      if (host.empty()) return make_error(std::string(text) + ": empty address");
    }
  }
  if (!port.empty()) {
    TRY_ASSIGN(number, parse_port(port, text));
    e.port = number;
  }
  e.host = std::string(host);
  if (!e.host.empty()) {
    in_addr a4;
    in6_addr a6;
    if (inet_pton(AF_INET, e.host.c_str(), &a4) != 1 && inet_pton(AF_INET6, e.host.c_str(), &a6) != 1)
      return make_error(std::string(text) + ": \"" + e.host + "\" is not an IP address");
  }
  if (host_first && e.port == 0) return make_error(std::string(text) + ": port 0");
  return Ok{};
}

std::string errno_text(const char* what, const std::string& where) {
  return std::string(what) + " " + where + ": " + std::strerror(errno);
}

void set_nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// sockaddr for a TCP endpoint; `any` when the host is empty.
socklen_t tcp_address(const Endpoint& e, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof ss);
  in_addr a4;
  if (e.host.empty() || inet_pton(AF_INET, e.host.c_str(), &a4) == 1) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(e.port);
    sin->sin_addr = e.host.empty() ? in_addr{htonl(INADDR_ANY)} : a4;
    return sizeof *sin;
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(e.port);
  inet_pton(AF_INET6, e.host.c_str(), &sin6->sin6_addr);
  return sizeof *sin6;
}

Result<socklen_t> unix_address(const Endpoint& e, sockaddr_un& sun) {
  std::memset(&sun, 0, sizeof sun);
  sun.sun_family = AF_UNIX;
  if (e.path.size() >= sizeof sun.sun_path)
    return make_error("unix socket path is too long: " + e.path);
  std::memcpy(sun.sun_path, e.path.data(), e.path.size());
  return static_cast<socklen_t>(sizeof sun);
}

}  // namespace

std::string Endpoint::to_string() const {
  auto host_text = [this] { return host.find(':') != std::string::npos ? "[" + host + "]" : host; };
  switch (kind) {
    case Kind::kTcp: return "tcp:" + host_text() + ":" + std::to_string(port);
    case Kind::kUnix: return "unix:" + path;
    case Kind::kPtcp:
      return "ptcp:" + std::to_string(port) + (host.empty() ? "" : ":" + host_text());
    case Kind::kPunix: return "punix:" + path;
  }
  return "";
}

Result<Endpoint> parse_endpoint(std::string_view text) {
  Endpoint e;
  size_t colon = text.find(':');
  if (colon == std::string_view::npos)
    return make_error("\"" + std::string(text) + "\": expected tcp:, unix:, ptcp: or punix:");
  std::string_view scheme = text.substr(0, colon), rest = text.substr(colon + 1);
  if (scheme == "tcp" || scheme == "ptcp") {
    e.kind = scheme == "tcp" ? Endpoint::Kind::kTcp : Endpoint::Kind::kPtcp;
    TRY_STATUS(split_host_port(rest, scheme == "tcp", text, e));
  } else if (scheme == "unix" || scheme == "punix") {
    e.kind = scheme == "unix" ? Endpoint::Kind::kUnix : Endpoint::Kind::kPunix;
    if (rest.empty()) return make_error(std::string(text) + ": no path");
    e.path = std::string(rest);
  } else {
    return make_error("\"" + std::string(text) + "\": unknown connection method \"" +
                      std::string(scheme) + "\" (tcp, unix, ptcp, punix; ssl is not supported)");
  }
  return e;
}

Result<int> listen_on(const Endpoint& e) {
  if (!e.passive()) return make_error(e.to_string() + " is not a passive endpoint");
  if (e.kind == Endpoint::Kind::kPunix) {
    sockaddr_un sun;
    TRY_ASSIGN(len, unix_address(e, sun));
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return make_error(errno_text("socket for", e.to_string()));
    ::unlink(e.path.c_str());  // a stale socket of an earlier run
    if (bind(fd, reinterpret_cast<sockaddr*>(&sun), len) < 0 || listen(fd, 64) < 0) {
      std::string err = errno_text("listening on", e.to_string());
      ::close(fd);
      return make_error(err);
    }
    return fd;
  }
  sockaddr_storage ss;
  socklen_t len = tcp_address(e, ss);
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(errno_text("socket for", e.to_string()));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0 || listen(fd, 64) < 0) {
    std::string err = errno_text("listening on", e.to_string());
    ::close(fd);
    return make_error(err);
  }
  return fd;
}

uint16_t bound_port(int listen_fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(listen_fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return 0;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return 0;
}

Result<int> start_connect(const Endpoint& e) {
  if (e.passive()) return make_error(e.to_string() + " is not an active endpoint");
  int fd;
  int rc;
  if (e.kind == Endpoint::Kind::kUnix) {
    sockaddr_un sun;
    TRY_ASSIGN(len, unix_address(e, sun));
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return make_error(errno_text("socket for", e.to_string()));
    rc = connect(fd, reinterpret_cast<sockaddr*>(&sun), len);
  } else {
    sockaddr_storage ss;
    socklen_t len = tcp_address(e, ss);
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return make_error(errno_text("socket for", e.to_string()));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    rc = connect(fd, reinterpret_cast<sockaddr*>(&ss), len);
  }
  if (rc < 0 && errno != EINPROGRESS) {
    std::string err = errno_text("connecting to", e.to_string());
    ::close(fd);
    return make_error(err);
  }
  return fd;
}

Status connect_result(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
  if (err) return make_error(std::strerror(err));
  return Ok{};
}

int accept_on(int listen_fd, std::string* peer) {
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return -1;
  if (peer) {
    char text[INET6_ADDRSTRLEN] = "";
    if (ss.ss_family == AF_INET) {
      auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
      inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text);
      *peer = std::string("tcp:") + text + ":" + std::to_string(ntohs(sin->sin_port));
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    } else if (ss.ss_family == AF_INET6) {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
      inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof text);
      *peer = std::string("tcp:[") + text + "]:" + std::to_string(ntohs(sin6->sin6_port));
    } else {
      *peer = "unix";
    }
  }
  set_nonblocking(fd);
  return fd;
}

}  // namespace flowpath::openflow::channel
