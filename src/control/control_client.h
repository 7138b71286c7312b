// The client side of the control socket, used by fpctl.
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "control/jsonrpc.h"
#include "control/reply_reader.h"

namespace flowpath::control {

class ControlClient {
 public:
  ControlClient();
  ~ControlClient();
  ControlClient(const ControlClient&) = delete;
  ControlClient& operator=(const ControlClient&) = delete;

  // Connects; the error says whether the daemon is not running or the socket
  // is not accessible.
  Status connect(const std::string& path);
  // Sends one request and waits for its response. A JSON-RPC error becomes
  // an Error with the server's message.
  Result<Json> call(const std::string& method, const Json& params);
  // The same for a method whose result is an array (a dump): each element
  // goes to `consumer` as soon as it has arrived, so that memory stays that
  // of one element however long the result. A result that is not an array
  // is an error.
  Status call_streaming(const std::string& method, const Json& params,
                        const JsonElementConsumer& consumer);

 private:
  class LineBuffer;
  Result<Reply> exchange(const std::string& method, const Json& params,
                         const JsonElementConsumer* consumer);
  // Reads one reply; a JSON-RPC error becomes an Error.
  Result<Reply> receive(const JsonElementConsumer* consumer);

  int fd_ = -1;
  int next_id_ = 1;
  std::unique_ptr<LineBuffer> input_;
};

}  // namespace flowpath::control
