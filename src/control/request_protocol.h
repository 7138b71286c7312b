// What a listening socket of the control server speaks: how the bytes a
// client sends are cut into requests, how each request is answered, and what
// a client is told before its connection is closed. The control socket speaks
// newline-delimited JSON-RPC 2.0 (JsonRpcDispatcher); the socket ovs-appctl
// talks to speaks Open vSwitch's unixctl protocol, JSON-RPC 1.0 with one JSON
// object after another and no delimiter (UnixctlCommands).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "control/json_stream.h"

namespace flowpath::control {

enum class RequestFraming {
  kLines,       // one request per line
  kJsonValues,  // one JSON object or array after another, whitespace between
};

class RequestProtocol {
 public:
  virtual ~RequestProtocol() = default;
  virtual RequestFraming framing() const = 0;
  // Starts answering one request: the stream of its reply, or null if it
  // gets none.
  virtual std::unique_ptr<JsonStream> start(std::string_view request) const = 0;
  // The message sent (best effort) before a connection is closed by the
  // server: at its limit, idle too long, a request too long or not framed.
  virtual std::string notice(const std::string& message) const = 0;
};

}  // namespace flowpath::control
