// The client side of the control socket, used by fpctl.
#pragma once

#include <string>

#include "common/result.h"
#include "control/jsonrpc.h"

namespace flowpath::control {

class ControlClient {
 public:
  ~ControlClient();
  // Connects; the error says whether the daemon is not running or the socket
  // is not accessible.
  Status connect(const std::string& path);
  // Sends one request and waits for its response. A JSON-RPC error becomes
  // an Error with the server's message.
  Result<Json> call(const std::string& method, const Json& params);

 private:
  int fd_ = -1;
  int next_id_ = 1;
  std::string buffer_;
};

}  // namespace flowpath::control
