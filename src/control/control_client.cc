#include "control/control_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace flowpath::control {

ControlClient::~ControlClient() {
  if (fd_ >= 0) close(fd_);
}

Status ControlClient::connect(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) return make_error("socket path too long: " + path);
  fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return make_error(std::string("socket: ") + std::strerror(errno));
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    close(fd_);
    fd_ = -1;
    if (err == ENOENT || err == ECONNREFUSED) {
      return make_error("cannot connect to " + path + ": flowpathd is not running (" +
                        std::strerror(err) + ")");
    }
    return make_error("cannot connect to " + path + ": " + std::strerror(err));
  }
  return Ok{};
}

Result<Json> ControlClient::call(const std::string& method, const Json& params) {
  if (fd_ < 0) return make_error("not connected");
  int id = next_id_++;
  std::string line =
      Json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}}.dump() + "\n";
  for (size_t off = 0; off < line.size();) {
    ssize_t n = send(fd_, line.data() + off, line.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(std::string("send to flowpathd failed: ") + std::strerror(errno));
    }
    off += static_cast<size_t>(n);
  }
  for (;;) {
    size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      Json reply = Json::parse(buffer_.substr(0, nl), nullptr, false);
      buffer_.erase(0, nl + 1);
      if (reply.is_discarded() || !reply.is_object()) {
        return make_error("flowpathd sent a reply that is not JSON");
      }
      if (reply.contains("error")) {
        const Json& e = reply["error"];
        return make_error(e.value("message", std::string("unknown error")));
      }
      if (reply.value("id", -1) != id) continue;  // not ours
      return reply.contains("result") ? reply["result"] : Json();
    }
    char buf[65536];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n == 0) return make_error("flowpathd closed the connection");
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(std::string("receive from flowpathd failed: ") + std::strerror(errno));
    }
    buffer_.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace flowpath::control
