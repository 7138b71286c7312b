#include "control/control_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <istream>
#include <streambuf>
#include <vector>

namespace flowpath::control {

// The socket's input as a stream that ends at the end of each line: the
// reply parser reads straight from the receive buffer, one line at a time.
class ControlClient::LineBuffer : public std::streambuf {
 public:
  explicit LineBuffer(int fd) : fd_(fd), buffer_(64 << 10) {}
  // Starts the next line.
  void next_line() { line_ended_ = false; setg(nullptr, nullptr, nullptr); }
  const std::string& error() const { return error_; }

 protected:
  int_type underflow() override {
    if (line_ended_) return traits_type::eof();
    if (begin_ == end_ && !fill()) return traits_type::eof();
    char* start = buffer_.data() + begin_;
    char* stop = buffer_.data() + end_;
    char* newline = static_cast<char*>(std::memchr(start, '\n', end_ - begin_));
    if (newline != nullptr) {
      stop = newline;
      line_ended_ = true;
      begin_ = static_cast<size_t>(newline - buffer_.data()) + 1;
    } else {
      begin_ = end_;
    }
    setg(start, start, stop);
    return start == stop ? traits_type::eof() : traits_type::to_int_type(*start);
  }

 private:
  bool fill() {
    begin_ = end_ = 0;
    for (;;) {
      ssize_t n = recv(fd_, buffer_.data(), buffer_.size(), 0);
      if (n > 0) {
        end_ = static_cast<size_t>(n);
        return true;
      }
      if (n == 0) {
        error_ = "flowpathd closed the connection";
        return false;
      }
      if (errno != EINTR) {
        error_ = std::string("receive from flowpathd failed: ") + std::strerror(errno);
        return false;
      }
    }
  }
  int fd_;
  std::vector<char> buffer_;
  size_t begin_ = 0, end_ = 0;  // unread bytes of buffer_
  bool line_ended_ = false;
  std::string error_;
};

ControlClient::ControlClient() = default;

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
  input_ = std::make_unique<LineBuffer>(fd_);
  return Ok{};
}

Result<Reply> ControlClient::exchange(const std::string& method, const Json& params,
                                      const JsonElementConsumer* consumer) {
  if (fd_ < 0) return make_error("not connected");
  int id = next_id_++;
  std::string line =
      Json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}}.dump() + "\n";
  for (size_t off = 0; off < line.size();) {
    ssize_t n = send(fd_, line.data() + off, line.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      int error = errno;
      // The daemon closed the connection: it may have said why.
      if (error == EPIPE || error == ECONNRESET) {
        auto notice = receive(nullptr);
        if (!notice.ok()) return make_error(notice.error());
      }
      return make_error(std::string("send to flowpathd failed: ") + std::strerror(error));
    }
    off += static_cast<size_t>(n);
  }
  for (;;) {
    TRY_ASSIGN(reply, receive(consumer));
    if (reply.id == id) return std::move(reply);
    // Not the reply to this request: read on.
  }
}

Result<Reply> ControlClient::receive(const JsonElementConsumer* consumer) {
  input_->next_line();
  std::istream in(input_.get());
  auto reply = read_reply(in, consumer);
  if (!input_->error().empty()) return make_error(input_->error());
  if (!reply.ok()) return make_error(reply.error());
  if (reply->error) {
    const Json& e = *reply->error;
    return make_error(e.is_object() && e.contains("message") && e["message"].is_string()
                          ? e["message"].get<std::string>()
                          : std::string("unknown error"));
  }
  return std::move(reply.value());
}

Result<Json> ControlClient::call(const std::string& method, const Json& params) {
  TRY_ASSIGN(reply, exchange(method, params, nullptr));
  return reply.result ? std::move(*reply.result) : Json();
}

Status ControlClient::call_streaming(const std::string& method, const Json& params,
                                     const JsonElementConsumer& consumer) {
  TRY_ASSIGN(reply, exchange(method, params, &consumer));
  if (!reply.streamed) return make_error("flowpathd's reply to " + method + " is not a list");
  return Ok{};
}

}  // namespace flowpath::control
