#include "control/control_connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "control/jsonrpc.h"

namespace flowpath::control {

namespace {

constexpr size_t kReadBytes = 64 << 10;
// A buffer that grew past this for a large reply is given back once empty.
constexpr size_t kKeptCapacity = 256 << 10;

bool blank(std::string_view line) { return line.find_first_not_of(" \t\r") == std::string_view::npos; }

void release_if_large(std::string& buffer) {
  if (buffer.capacity() > kKeptCapacity) std::string().swap(buffer);
}

}  // namespace

ControlConnection::~ControlConnection() { close(fd_); }

ControlConnection::ReadResult ControlConnection::read_some() {
  if (input_ended_) return ReadResult::kEndOfInput;
  if (consumed_ > 0) {
    input_.erase(0, consumed_);
    scanned_ -= consumed_;
    if (value_end_ != 0) value_end_ -= consumed_;
    consumed_ = 0;
  }
  if (input_.empty()) release_if_large(input_);
  char buffer[kReadBytes];
  ssize_t n;
  do {
    n = recv(fd_, buffer, sizeof buffer, 0);
  } while (n < 0 && errno == EINTR);
  if (n > 0) {
    input_.append(buffer, static_cast<size_t>(n));
    return ReadResult::kData;
  }
  if (n == 0) {
    input_ended_ = true;
    return ReadResult::kEndOfInput;
  }
  return errno == EAGAIN || errno == EWOULDBLOCK ? ReadResult::kNothing : ReadResult::kError;
}

std::optional<std::string_view> ControlConnection::next_request() {
  return framing_ == RequestFraming::kLines ? next_line() : next_value();
}

bool ControlConnection::has_request() {
  if (framing_ == RequestFraming::kLines) return has_line();
  if (find_value_end()) return true;
  // At the end of input, a value cut short is a request too (refused by the
  // protocol); input that cannot be framed is none.
  return input_ended_ && framing_error_.empty() &&
         !blank(std::string_view(input_.data() + consumed_, input_.size() - consumed_));
}

bool ControlConnection::find_value_end() {
  if (value_end_ != 0) return true;
  if (!framing_error_.empty()) return false;
  for (; scanned_ < input_.size(); ++scanned_) {
    char c = input_[scanned_];
    if (value_depth_ == 0) {
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        consumed_ = scanned_ + 1;  // whitespace between requests
        continue;
      }
      if (c != '{' && c != '[') {
        framing_error_ = "invalid request: not a JSON object";
        return false;
      }
      value_depth_ = 1;
      continue;
    }
    if (in_string_) {
      if (escaped_) escaped_ = false;
      else if (c == '\\') escaped_ = true;
      else if (c == '"') in_string_ = false;
      continue;
    }
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      if (++value_depth_ > kMaxJsonDepth) {
        framing_error_ = "invalid request: nested deeper than " + std::to_string(kMaxJsonDepth) +
                         " levels";
        return false;
      }
    } else if (c == '}' || c == ']') {
      if (--value_depth_ == 0) {
        value_end_ = ++scanned_;
        return true;
      }
    }
  }
  return false;
}

std::optional<std::string_view> ControlConnection::next_value() {
  if (find_value_end()) {
    std::string_view value(input_.data() + consumed_, value_end_ - consumed_);
    consumed_ = scanned_ = value_end_;
    value_end_ = 0;
    value_depth_ = 0;
    in_string_ = escaped_ = false;
    return value;
  }
  if (!input_ended_ || !framing_error_.empty() || consumed_ == input_.size()) return std::nullopt;
  std::string_view rest(input_.data() + consumed_, input_.size() - consumed_);
  consumed_ = scanned_ = input_.size();
  if (blank(rest)) return std::nullopt;
  return rest;
}

std::optional<std::string_view> ControlConnection::next_line() {
  for (;;) {
    size_t nl = input_.find('\n', scanned_);
    if (nl == std::string::npos) {
      scanned_ = input_.size();
      // Line framing at the end of input: the last request needs no newline.
      if (!input_ended_ || consumed_ == input_.size()) return std::nullopt;
      std::string_view rest(input_.data() + consumed_, input_.size() - consumed_);
      consumed_ = scanned_ = input_.size();
      if (blank(rest)) return std::nullopt;
      return rest;
    }
    std::string_view line(input_.data() + consumed_, nl - consumed_);
    consumed_ = scanned_ = nl + 1;
    if (!blank(line)) return line;
  }
}

bool ControlConnection::has_line() {
  for (;;) {
    size_t nl = input_.find('\n', scanned_);
    if (nl == std::string::npos) {
      scanned_ = input_.size();
      return input_ended_ &&
             !blank(std::string_view(input_.data() + consumed_, input_.size() - consumed_));
    }
    std::string_view line(input_.data() + consumed_, nl - consumed_);
    if (!blank(line)) return true;
    consumed_ = scanned_ = nl + 1;  // skip a blank line
  }
}

bool ControlConnection::flush() {
  while (sent_ < output_.size()) {
    ssize_t n = send(fd_, output_.data() + sent_, output_.size() - sent_, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK;
    }
    sent_ += static_cast<size_t>(n);
  }
  output_.clear();
  sent_ = 0;
  release_if_large(output_);
  return true;
}

void ControlConnection::discard_output() {
  output_.clear();
  sent_ = 0;
  release_if_large(output_);
}

void ControlConnection::compact_output() {
  // Sent bytes are dropped once they are at least half the buffer, so that
  // appending stays linear however slowly the client reads.
  if (sent_ > 0 && sent_ * 2 >= output_.size()) {
    output_.erase(0, sent_);
    sent_ = 0;
  }
}

}  // namespace flowpath::control
