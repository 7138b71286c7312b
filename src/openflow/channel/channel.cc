#include "openflow/channel/channel.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "openflow/channel/endpoint.h"
#include "openflow/wire/echo.h"
#include "openflow/wire/error_message.h"

namespace flowpath::openflow::channel {

namespace {

std::string version_list(uint32_t versions) {
  std::string out;
  for (uint8_t v = 1; v < 32; ++v) {
    if (!(versions & wire::version_bit(v))) continue;
    if (!out.empty()) out += ", ";
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", v);
    out += hex;
  }
  return out;
}

}  // namespace

Channel::Channel(int fd, std::string name, ChannelOptions options, uint64_t now_ms,
                 bool connecting)
    : fd_(fd), name_(std::move(name)), options_(options),
      state_(connecting ? State::kConnecting : State::kHello), last_received_ms_(now_ms) {
  if (!connecting) send_hello();
}

Channel::~Channel() {
  if (fd_ >= 0) ::close(fd_);
}

void Channel::send_hello() { send(wire::encode_hello(options_.versions, next_xid_++)); }

short Channel::poll_events() const {
  if (state_ == State::kClosed) return 0;
  if (state_ == State::kConnecting) return POLLOUT;
  return static_cast<short>(POLLIN | (output_.empty() ? 0 : POLLOUT));
}

void Channel::close(std::string why) {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  error_ = std::move(why);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  output_.clear();
  backlog_ = 0;
}

void Channel::send(Bytes message) {
  if (state_ == State::kClosed || message.empty()) return;
  backlog_ += message.size();
  output_.push_back(std::move(message));
}

bool Channel::send_async(Bytes message) {
  if (backlog_ >= options_.max_async_backlog) {
    ++async_dropped_;
    return false;
  }
  send(std::move(message));
  return true;
}

bool Channel::write(uint64_t now_ms) {
  if (state_ == State::kClosed) return false;
  if (state_ == State::kConnecting) {
    if (auto st = connect_result(fd_); !st.ok()) {
      close(st.error());
      return false;
    }
    state_ = State::kHello;
    last_received_ms_ = now_ms;
    send_hello();
  }
  while (!output_.empty()) {
    const Bytes& front = output_.front();
    ssize_t n = ::send(fd_, front.data() + output_offset_, front.size() - output_offset_,
                       MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return true;
      close(std::strerror(errno));
      return false;
    }
    output_offset_ += static_cast<size_t>(n);
    if (output_offset_ == front.size()) {
      backlog_ -= front.size();
      output_.pop_front();
      output_offset_ = 0;
    }
  }
  return true;
}

bool Channel::read(std::vector<Bytes>& messages, uint64_t now_ms) {
  if (state_ == State::kClosed) return false;
  if (state_ == State::kConnecting) return true;
  uint8_t buffer[65536];
  for (;;) {
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n == 0) {
      close("connection closed by peer");
      return false;
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      close(std::strerror(errno));
      return false;
    }
    input_.insert(input_.end(), buffer, buffer + n);
    if (static_cast<size_t>(n) < sizeof buffer) break;
  }
  size_t offset = 0;
  while (state_ != State::kClosed && input_.size() - offset >= wire::kOfpHeaderLen) {
    uint16_t length = wire::message_length(wire::ByteView(input_).subspan(offset));
    if (length < wire::kOfpHeaderLen) {
      close("message length " + std::to_string(length) + " is shorter than its header");
      return false;
    }
    if (input_.size() - offset < length) break;
    last_received_ms_ = now_ms;
    probe_sent_ = false;
    on_message(Bytes(input_.begin() + static_cast<ptrdiff_t>(offset),
                     input_.begin() + static_cast<ptrdiff_t>(offset + length)),
               messages);
    offset += length;
  }
  if (state_ == State::kClosed) return false;
  input_.erase(input_.begin(), input_.begin() + static_cast<ptrdiff_t>(offset));
  return true;
}

void Channel::on_message(Bytes message, std::vector<Bytes>& messages) {
  auto decoded = wire::decode_message(message);
  if (state_ == State::kHello) {
    if (!decoded.ok() || decoded->type != wire::OfpType::kHello) {
      if (decoded.ok() && decoded->type == wire::OfpType::kError) {
        close("error from peer before hello");
        return;
      }
      std::string why = "the first message was not a hello";
      send(wire::encode_error(wire::OfpErrorCode::OFPHFC_EPERM,
                              wire::highest_version(options_.versions), 0,
                              wire::ByteView(reinterpret_cast<const uint8_t*>(why.data()), why.size())));
      (void)write(last_received_ms_);
      close(why);
      return;
    }
    auto hello = wire::decode_hello(*decoded);
    std::optional<uint8_t> version;
    if (hello.ok()) version = wire::negotiate_version(options_.versions, *hello);
    if (!version) {
      uint32_t theirs = hello.ok() ? hello->versions : 0;
      std::string why = "We support versions " + version_list(options_.versions) +
                        ", you support " + version_list(theirs) + ", no common versions";
      send(wire::encode_error(wire::OfpErrorCode::OFPHFC_INCOMPATIBLE, decoded->version,
                              decoded->xid,
                              wire::ByteView(reinterpret_cast<const uint8_t*>(why.data()), why.size())));
      (void)write(last_received_ms_);
      close(why);
      return;
    }
    version_ = *version;
    state_ = State::kOpen;
    return;
  }
  if (!decoded.ok()) {
    send(wire::encode_error_reply(decoded.error().code, message));
    return;
  }
  if (decoded->version != version_ && decoded->type != wire::OfpType::kHello) {
    send(wire::encode_error_reply(wire::OfpErrorCode::OFPBRC_BAD_VERSION, message));
    return;
  }
  switch (decoded->type) {
    case wire::OfpType::kHello:
      return;  // a second hello says nothing new
    case wire::OfpType::kEchoRequest:
      send(wire::encode_echo_reply(*decoded));
      return;
    case wire::OfpType::kEchoReply:
      return;  // the answer to a probe: receiving it was the point
    default:
      messages.push_back(std::move(message));
  }
}

bool Channel::run(uint64_t now_ms) {
  if (state_ == State::kClosed) return false;
  if (options_.probe_interval_ms == 0) return true;
  uint64_t idle = now_ms - std::min(now_ms, last_received_ms_);
  if (state_ != State::kOpen) {
    // A connect or hello that takes a whole probe interval has failed.
    if (idle >= options_.probe_interval_ms) {
      close(state_ == State::kConnecting ? "connection timed out" : "no hello from peer");
      return false;
    }
    return true;
  }
  if (!probe_sent_ && idle >= options_.probe_interval_ms) {
    send(wire::encode_echo(wire::Echo{}, version_, next_xid_++));
    probe_sent_ = true;
  } else if (probe_sent_ && idle >= 2ull * options_.probe_interval_ms) {
    close("no response to inactivity probe after " +
          std::to_string(2 * options_.probe_interval_ms / 1000) + " seconds");
    return false;
  }
  return true;
}

uint64_t Channel::next_deadline_ms() const {
  if (state_ == State::kClosed || options_.probe_interval_ms == 0) return UINT64_MAX;
  if (state_ != State::kOpen || probe_sent_) return last_received_ms_ + 2ull * options_.probe_interval_ms;
  return last_received_ms_ + options_.probe_interval_ms;
}

}  // namespace flowpath::openflow::channel
