// OpenFlow connection endpoints in Open vSwitch's syntax: active "tcp:IP[:PORT]"
// and "unix:PATH", passive "ptcp:[PORT][:IP]" and "punix:PATH" (port 6653 by
// default; IPv6 addresses in brackets). Sockets are non-blocking.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace flowpath::openflow::channel {

inline constexpr uint16_t kDefaultOpenFlowPort = 6653;

struct Endpoint {
  enum class Kind : uint8_t { kTcp, kUnix, kPtcp, kPunix };
  Kind kind = Kind::kTcp;
  std::string host;  // tcp: the address; ptcp: the address to bind ("" = any)
  uint16_t port = kDefaultOpenFlowPort;
  std::string path;  // unix, punix

  bool passive() const { return kind == Kind::kPtcp || kind == Kind::kPunix; }
  std::string to_string() const;  // the canonical text ("tcp:10.0.0.1:6653")
};

// Errors name what is wrong ("tcp:10.0.0.1:x: bad port \"x\"").
Result<Endpoint> parse_endpoint(std::string_view text);

// A listening socket for a passive endpoint (a stale Unix socket file is
// replaced); for ptcp with port 0 the kernel picks one (see bound_port).
Result<int> listen_on(const Endpoint& endpoint);
uint16_t bound_port(int listen_fd);
// A non-blocking connect begun towards an active endpoint: the socket becomes
// writable when it completes; connect_result() then says how it went.
Result<int> start_connect(const Endpoint& endpoint);
Status connect_result(int fd);
// An accepted connection (non-blocking), or -1 when none is pending.
int accept_on(int listen_fd, std::string* peer);

}  // namespace flowpath::openflow::channel
