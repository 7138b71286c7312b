// The daemon's control socket: a Unix stream socket (mode 0600) speaking
// newline-delimited JSON-RPC 2.0, and any further sockets speaking another
// protocol (listen(path, protocol): the one ovs-appctl talks to). One thread
// serves every connection of every socket with epoll, so control operations
// are serialised by construction and never run on a forwarding thread.
//
// No client can starve the others (docs/control.md):
//  - each round every busy client gets one step: a few requests, or one
//    piece of a long reply (a dump is streamed in chunks), in turn;
//  - a client that does not read its replies stops being read (its
//    requests wait in the kernel) once max_output_bytes are unsent, and
//    streams pause;
//  - at max_connections a new client takes the place of the connection idle
//    longest (one with no request or reply in progress), and is refused with
//    a JSON-RPC error if none is idle; out of descriptors, it is refused the
//    same way (a spare descriptor is kept for that), and accepting backs off
//    instead of spinning if even that fails;
//  - a connection with no traffic either way for idle_timeout_ms is closed;
//  - a request line longer than max_request_bytes, or nested deeper than
//    kMaxJsonDepth, is refused.
#pragma once

#include <sys/stat.h>

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "common/lock_file.h"
#include "common/result.h"
#include "control/control_connection.h"
#include "control/jsonrpc.h"
#include "control/request_protocol.h"

namespace flowpath::control {

inline constexpr const char* kDefaultSocketPath = "/run/flowpath/flowpathd.sock";

struct ControlLimits {
  size_t max_connections = 1000;
  uint64_t idle_timeout_ms = 60'000;  // 0: never
  size_t max_output_bytes = 256 << 10;
  size_t max_request_bytes = 16 << 20;
};

// What the server did since it started (readable from any thread).
struct ControlServerCounters {
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> refused{0};     // at the limit, or out of descriptors
  std::atomic<uint64_t> evicted{0};     // idle, closed for a new client
  std::atomic<uint64_t> timed_out{0};   // idle_timeout_ms without traffic
  std::atomic<uint64_t> connections{0};  // open now
};

class ControlServer {
 public:
  explicit ControlServer(const JsonRpcDispatcher& dispatcher, ControlLimits limits = {});
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Takes the socket path: fails with a clear message if another daemon holds
  // it (an exclusive lock on PATH.lock, a LockFile: never through a link, in
  // a directory only root can write) or still answers on it, and removes a
  // stale socket.
  // The first socket listened on is path(). Every socket gets the same
  // limits (max_connections counts the connections of all of them).
  Status listen(const std::string& path);
  // Another socket, whose clients speak `protocol` (which must outlive the
  // server).
  Status listen(const std::string& path, const RequestProtocol& protocol);
  // Serves until stop() is called (from a signal handler thread or another
  // thread). Returns when stopped.
  void run();
  void stop();
  const std::string& path() const { return path_; }
  const ControlLimits& limits() const { return limits_; }
  const ControlServerCounters& counters() const { return counters_; }

 private:
  using Connection = ControlConnection;
  // A socket listened on.
  struct Listener {
    const RequestProtocol* protocol = nullptr;
    std::string path;
    struct stat socket_file {};  // what we bound at path
    int fd = -1;
    std::unique_ptr<LockFile> lock;
  };
  Status start_polling();
  Status bind_listener(Listener& listener);
  Listener* listener_of(void* tag);
  void accept_clients(Listener& listener, uint64_t now);
  bool refuse_without_descriptors(Listener& listener);
  void pause_accepting(uint64_t now);
  bool make_room();
  void log_refusal(uint64_t now, const std::string& why);
  void on_event(Connection& c, uint32_t events, uint64_t now);
  void step(Connection& c);
  void serve(Connection& c, uint64_t now);
  void settle(Connection& c);
  bool idle(Connection& c);
  bool wants_input(Connection& c);
  void touch(Connection& c, uint64_t now);
  void close_connection(Connection& c, const std::string& notice = {});
  void expire_idle(uint64_t now);
  int wait_timeout(uint64_t now) const;

  std::unique_ptr<RequestProtocol> jsonrpc_;  // the control socket's, over dispatcher
  const ControlLimits limits_;
  ControlServerCounters counters_;
  std::string path_;
  std::list<Listener> listeners_;
  int wake_fd_ = -1;   // eventfd: stop() wakes epoll_wait()
  int epoll_fd_ = -1;
  int spare_fd_ = -1;  // given up to accept and refuse a client at EMFILE
  bool accepting_ = true;
  uint64_t accept_resume_ms_ = 0;
  uint64_t last_limit_log_ms_ = 0;
  std::atomic<bool> stopping_{false};
  // Open connections, the least recently active first; closed ones wait in
  // closed_ until the end of the round (events may still name them).
  std::list<Connection> connections_;
  std::list<Connection> closed_;
  std::vector<Connection*> busy_;  // with a request or a reply piece to handle
};

}  // namespace flowpath::control
