// flowpathd's Prometheus endpoint: HTTP on one address (libmicrohttpd),
// answering GET or HEAD /metrics with what `render` returns, 404 for any
// other path and 405 for any other method.
//
// It runs on a thread of its own (libmicrohttpd's internal epoll thread),
// never on a forwarding thread or the control socket's: `render` is called
// there and reads counters the way the JSON-RPC queries do. A scraper that
// stalls holds nothing but its own connection, which is closed after
// `timeout_seconds` without progress; at most `max_connections` are open at
// once (beyond, new ones wait in the kernel's listen queue until one
// closes), so no number of scrapers can use up the daemon's descriptors.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

struct MHD_Daemon;

namespace flowpath::control {

struct MetricsEndpoint {
  sockaddr_storage address{};
  socklen_t length = 0;
  std::string text;  // "127.0.0.1:9464", "[::1]:9464"
};

// "PORT" (loopback: 127.0.0.1), "IPV4:PORT" or "[IPV6]:PORT". Names are not
// resolved; port 1-65535. Errors name what was wrong.
Result<MetricsEndpoint> parse_metrics_endpoint(std::string_view text);

struct MetricsHttpLimits {
  unsigned max_connections = 16;
  unsigned timeout_seconds = 10;
};

class MetricsHttpServer {
 public:
  using Render = std::function<std::string()>;

  // Listens on `endpoint` (port 0: any free port, see port()) and serves.
  // Fails with the system's reason if the address cannot be bound.
  static Result<std::unique_ptr<MetricsHttpServer>> start(const MetricsEndpoint& endpoint,
                                                          Render render,
                                                          MetricsHttpLimits limits = {});
  ~MetricsHttpServer();  // stops serving; waits for a render in progress
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  uint16_t port() const { return port_; }

 private:
  MetricsHttpServer(Render render, uint16_t port) : render_(std::move(render)), port_(port) {}
  Render render_;
  uint16_t port_;
  MHD_Daemon* daemon_ = nullptr;
};

}  // namespace flowpath::control
