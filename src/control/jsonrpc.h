// JSON-RPC 2.0 request dispatch, independent of any transport. Messages are
// one JSON value per line (newline-delimited) on the control socket: a
// request object, or a batch (an array of them) answered by an array.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "control/json_stream.h"

namespace flowpath::control {

// Standard JSON-RPC error codes, plus one for "the request was understood but
// the operation failed" (bad flow, unknown datapath, ...).
enum RpcErrorCode : int {
  kParseError = -32700,
  kInvalidRequest = -32600,
  kMethodNotFound = -32601,
  kInvalidParams = -32602,
  kInternalError = -32603,
  kOperationFailed = -32000,
  // Sent by the control server before it closes a connection (id null):
  // too many connections, idle too long, request too long.
  kConnectionClosed = -32001,
};

// Requests nested deeper than this are refused before they are parsed: no
// method takes more than a few levels, and deep values cost stack to copy,
// print and free.
inline constexpr size_t kMaxJsonDepth = 64;

// A method gets the request's params (object or null) and returns a result or
// an error. Errors with kInvalidParams are for malformed parameters;
// anything else a handler reports is kOperationFailed.
using RpcMethod = std::function<Result<Json>(const Json& params)>;
// A method whose result may be large (a dump): it checks the params and
// returns its result as a stream, written out piece by piece between other
// clients' requests, or an error if it cannot start.
using StreamingRpcMethod = std::function<Result<std::unique_ptr<JsonStream>>(const Json& params)>;

class JsonRpcDispatcher {
 public:
  void add(std::string name, RpcMethod method);
  void add_streaming(std::string name, StreamingRpcMethod method);

  // Called after every method call (for a streaming one, once it started)
  // with its outcome (error is null on success): the daemon logs through it.
  using Observer =
      std::function<void(const std::string& method, const Json& params, const std::string* error)>;
  void set_observer(Observer observer) { observer_ = std::move(observer); }

  // Starts handling one line of input: returns the stream of the response
  // line (without the trailing newline). It may end without having written
  // anything: a notification, or a batch of them, gets no reply.
  std::unique_ptr<JsonStream> start(std::string_view line) const;
  // start() run to completion.
  std::string handle_line(std::string_view line) const;

 private:
  class ResponseStream;
  class BatchStream;
  struct Method {
    RpcMethod plain;
    StreamingRpcMethod streaming;
  };
  // One request of a line or of a batch: its complete response (null for a
  // notification), or the stream of a response still to be written.
  struct Outcome {
    Json response;
    std::unique_ptr<JsonStream> stream;
  };
  Outcome call(const Json& request) const;

  std::map<std::string, Method, std::less<>> methods_;
  Observer observer_;
};

// True when `text` nests arrays and objects deeper than `max_depth` (strings
// are skipped; the text need not be valid JSON).
bool json_deeper_than(std::string_view text, size_t max_depth);

// Helpers for handlers reading params: each returns a precise error such as
// "params.dp: expected a string".
Result<std::string> get_string(const Json& params, const char* name);
Result<std::string> get_optional_string(const Json& params, const char* name,
                                        std::string fallback);
Result<uint64_t> get_unsigned(const Json& params, const char* name, uint64_t max);
Result<bool> get_optional_bool(const Json& params, const char* name, bool fallback);

// Marks an error as "bad parameters" so the dispatcher replies -32602.
Error invalid_params(std::string message);

}  // namespace flowpath::control
