// One stream connection to an OVSDB server, "unix:PATH" or "tcp:IP:PORT"
// ("tcp:[IPv6]:PORT"), carrying JSON-RPC messages. Non-blocking: the owner
// polls fd() and calls receive()/flush(); connect() waits at most its
// timeout. Nothing here retries: a failed connection is closed and the
// owner reconnects with backoff.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "ovsdb/message.h"

namespace flowpath::ovsdb {

struct Remote {
  enum class Kind { kUnix, kTcp };
  Kind kind;
  std::string path;  // unix
  std::string host;  // tcp: a numeric IPv4 or IPv6 address
  uint16_t port = 0;
  std::string text;  // as given
};

// "unix:PATH", "tcp:IP:PORT", "tcp:[IPV6]:PORT"; errors say which part is wrong.
Result<Remote> parse_remote(std::string_view text);

class Connection {
 public:
  Connection() = default;
  ~Connection() { close(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Status connect(const Remote& remote, int timeout_ms);
  void close();
  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  // Queues one message (its JSON text) and sends what the socket takes now.
  Status send(std::string text);
  // Sends what is queued; true when nothing is left.
  Result<bool> flush();
  bool wants_write() const { return !outgoing_.empty(); }
  // Reads what has arrived and appends each complete JSON text to `out`.
  // An error (peer closed, framing) means the connection is done.
  Status receive(std::vector<std::string>* out);

 private:
  int fd_ = -1;
  std::string outgoing_;
  JsonFramer framer_;
};

}  // namespace flowpath::ovsdb
