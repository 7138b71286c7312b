// JSON-RPC 2.0 request dispatch, independent of any transport. Messages are
// one JSON object per line (newline-delimited) on the control socket.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace flowpath::control {

using Json = nlohmann::json;

// Standard JSON-RPC error codes, plus one for "the request was understood but
// the operation failed" (bad flow, unknown datapath, ...).
enum RpcErrorCode : int {
  kParseError = -32700,
  kInvalidRequest = -32600,
  kMethodNotFound = -32601,
  kInvalidParams = -32602,
  kInternalError = -32603,
  kOperationFailed = -32000,
};

struct RpcError {
  int code;
  std::string message;
};

// A method gets the request's params (object or null) and returns a result or
// an error. Errors with kInvalidParams are for malformed parameters;
// anything else a handler reports is kOperationFailed.
using RpcMethod = std::function<Result<Json>(const Json& params)>;

class JsonRpcDispatcher {
 public:
  void add(std::string name, RpcMethod method) { methods_[std::move(name)] = std::move(method); }

  // Called after every method call with its outcome (error is null on
  // success): the daemon logs through it.
  using Observer =
      std::function<void(const std::string& method, const Json& params, const std::string* error)>;
  void set_observer(Observer observer) { observer_ = std::move(observer); }

  // Handles one line of input and returns the response line (without the
  // trailing newline), or an empty string for a notification (no "id").
  std::string handle_line(std::string_view line) const;

 private:
  Json dispatch(const Json& request) const;
  std::map<std::string, RpcMethod, std::less<>> methods_;
  Observer observer_;
};

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
