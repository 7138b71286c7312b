// One client of the control socket: the requests it sent that are not
// handled yet, the reply being written, and the output it has not read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "control/json_stream.h"
#include "control/request_protocol.h"

namespace flowpath::control {

class ControlConnection {
 public:
  ControlConnection(int fd, uint64_t now_ms, RequestFraming framing = RequestFraming::kLines)
      : fd_(fd), last_active_ms_(now_ms), framing_(framing) {}
  ~ControlConnection();  // closes the socket
  ControlConnection(const ControlConnection&) = delete;
  ControlConnection& operator=(const ControlConnection&) = delete;

  int fd() const { return fd_; }

  // ---- Input
  enum class ReadResult { kData, kNothing, kEndOfInput, kError };
  // One read() of at most 64 KiB.
  ReadResult read_some();
  // The next request: with line framing the next line (without its newline;
  // blank lines skipped), with JSON value framing the next complete object
  // or array (whitespace between values skipped). Once the client has shut
  // down its side, what is left after the last request is one too (a
  // truncated request, for the protocol to refuse). The view is valid until
  // the next read_some().
  std::optional<std::string_view> next_request();
  bool has_request();
  // With JSON value framing, why the input cannot be cut into requests (it
  // does not start with an object or array, or nests too deep): nothing
  // after the last complete request is handled. Empty while it can be.
  const std::string& framing_error() const { return framing_error_; }
  // Bytes received and not handled: when has_request() is false, the
  // request line still arriving.
  size_t unhandled_bytes() const { return input_.size() - consumed_; }
  bool input_ended() const { return input_ended_; }

  // ---- Output
  // The buffer replies are appended to.
  std::string& output() {
    compact_output();
    return output_;
  }
  size_t unsent_bytes() const { return output_.size() - sent_; }
  // Sends what it can without blocking; false if the client is gone.
  bool flush();
  // Drops unsent output: the client can no longer receive it.
  void discard_output();

  // The reply being written, piece by piece (with the size it has so far:
  // one that wrote nothing gets no newline).
  std::unique_ptr<JsonStream> reply;
  size_t reply_bytes = 0;

  // ---- Bookkeeping of the server
  uint64_t last_active_ms() const { return last_active_ms_; }
  void set_last_active(uint64_t now_ms) { last_active_ms_ = now_ms; }
  std::list<ControlConnection>::iterator position;  // in the server's list
  const RequestProtocol* protocol = nullptr;  // what its socket speaks
  uint32_t polled_events = 0;  // what the epoll set waits for
  bool in_busy_list = false;
  bool closing = false;
  bool peer_gone = false;  // hung up: replies cannot reach it

 private:
  void compact_output();
  std::optional<std::string_view> next_line();
  bool has_line();
  // JSON value framing: scans from scanned_ for the end of the value that
  // starts at consumed_ (leading whitespace skipped); true once found, at
  // value_end_.
  bool find_value_end();
  std::optional<std::string_view> next_value();

  int fd_;
  uint64_t last_active_ms_;
  std::string input_;
  size_t consumed_ = 0;  // input_ before this is handled
  size_t scanned_ = 0;   // no newline in input_ between consumed_ and this
  bool input_ended_ = false;
  RequestFraming framing_;
  // The JSON value being scanned: nesting depth (0: not started), inside a
  // string, after a backslash in one; where it ends once found (0: not yet).
  size_t value_depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
  size_t value_end_ = 0;
  std::string framing_error_;
  std::string output_;
  size_t sent_ = 0;
};

}  // namespace flowpath::control
