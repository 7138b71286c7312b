// Open vSwitch's unixctl protocol, the one ovs-appctl speaks to a daemon's
// control socket: JSON-RPC 1.0, one JSON object after another on a Unix
// stream socket. A request is {"method":"CMD","params":["ARG",...],"id":ID};
// its reply {"id":ID,"result":"TEXT","error":null} or
// {"id":ID,"result":null,"error":"TEXT"}, TEXT ending with a newline when it
// is not empty (as Open vSwitch's server sends it; ovs-appctl prints it as
// is). Messages are checked as Open vSwitch's jsonrpc layer checks them, and
// a message that is not a request gets an error reply naming what is wrong.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "control/json_stream.h"

namespace flowpath::control {

struct UnixctlRequest {
  Json id;  // any JSON value but null
  std::string method;
  // The params array; its elements are checked to be strings when the
  // command runs (Open vSwitch answers a non-string argument with a command
  // error, after the command's name and argument count are checked).
  Json params;
};

// One request from its JSON text: `error` is empty when it is one, else says
// what is wrong, and request.id is then the message's id if it had one
// (null otherwise), for the error reply.
struct UnixctlDecoded {
  UnixctlRequest request;
  std::string error;
  bool ok() const { return error.empty(); }
};
UnixctlDecoded decode_unixctl_request(std::string_view text);

// The reply's text: a result, or an error. `body` gets a final newline if it
// has text and lacks one.
std::string encode_unixctl_reply(const Json& id, std::string_view body);
std::string encode_unixctl_error(const Json& id, std::string_view body);

}  // namespace flowpath::control
