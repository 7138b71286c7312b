// The daemon's control socket: a Unix stream socket (mode 0600) speaking
// newline-delimited JSON-RPC 2.0. One thread serves every connection with
// poll(), so control operations are serialised by construction and never run
// on a forwarding thread.
#pragma once

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "control/jsonrpc.h"

namespace flowpath::control {

inline constexpr const char* kDefaultSocketPath = "/run/flowpath/flowpathd.sock";
// A request line longer than this is refused and the connection closed.
inline constexpr size_t kMaxRequestBytes = 16 << 20;

class ControlServer {
 public:
  explicit ControlServer(const JsonRpcDispatcher& dispatcher) : dispatcher_(dispatcher) {}
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Takes the socket path: fails with a clear message if another daemon holds
  // it (checked with an exclusive lock on PATH.lock), removes a stale socket.
  Status listen(const std::string& path);
  // Serves until stop() is called (from a signal handler thread or another
  // thread). Returns when stopped.
  void run();
  void stop();
  const std::string& path() const { return path_; }

 private:
  struct Connection {
    int fd;
    std::string input;
    std::string output;
  };
  void accept_connection();
  // Returns false when the connection must be closed.
  bool read_from(Connection& c);
  void handle_lines(Connection& c);
  bool write_to(Connection& c);

  const JsonRpcDispatcher& dispatcher_;
  std::string path_;
  int listen_fd_ = -1;
  int lock_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: stop() wakes poll()
  std::atomic<bool> stopping_{false};
  std::vector<Connection> connections_;
};

}  // namespace flowpath::control
