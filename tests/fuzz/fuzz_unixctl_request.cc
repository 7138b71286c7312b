// Requests as ovs-appctl's clients send them to flowpathd's unixctl socket:
// bytes cut into JSON values as ControlConnection does with JSON value
// framing (no delimiter; a value cut short at the end is a request too),
// each decoded and dispatched by UnixctlCommands. Every reply must be one
// JSON object with exactly "id", "result" and "error", one of the last two a
// string ending with a newline and the other null, as ovs-appctl requires.
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "control/control_connection.h"
#include "control/unixctl_commands.h"
#include "control/unixctl_message.h"
#include "socket_input.h"

using flowpath::Result;
using flowpath::control::ControlConnection;
using flowpath::control::Json;
using flowpath::control::RequestFraming;
using flowpath::control::UnixctlCommands;

namespace {

const UnixctlCommands& commands() {
  static UnixctlCommands* c = [] {
    auto* out = new UnixctlCommands("fuzz 1");
    out->add("join", "[word...]", 0, 4, [](const std::vector<std::string>& args) -> Result<std::string> {
      std::string text;
      for (const std::string& a : args) text += a + " ";
      return text;
    });
    out->add("fail", "word", 1, 1, [](const std::vector<std::string>& args) -> Result<std::string> {
      return flowpath::make_error("failed: " + args[0]);
    });
    return out;
  }();
  return *c;
}

void check_reply(const std::string& text) {
  Json reply = Json::parse(text, nullptr, false);
  if (reply.is_discarded() || !reply.is_object() || reply.size() != 3) abort();
  if (!reply.contains("id") || !reply.contains("result") || !reply.contains("error")) abort();
  const Json& result = reply["result"];
  const Json& error = reply["error"];
  if (result.is_null() == error.is_null()) abort();
  const Json& body = result.is_null() ? error : result;
  if (!body.is_string()) abort();
  const std::string& s = body.get_ref<const std::string&>();
  if (!s.empty() && s.back() != '\n') abort();
  if (result.is_null() && s.empty()) abort();  // an error always says what
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The decoder alone, on the whole input.
  flowpath::control::decode_unixctl_request(
      std::string_view(reinterpret_cast<const char*>(data), size));

  int fds[2];
  if (!socket_with_input(data, size, fds)) return 0;
  ControlConnection connection(fds[1], 0, RequestFraming::kJsonValues);
  for (;;) {
    auto read = connection.read_some();
    while (connection.has_request()) {
      auto request = connection.next_request();
      if (!request) abort();  // has_request() promised one
      auto reply = commands().start(*request);
      if (!reply) abort();
      std::string out;
      while (!reply->next(out)) {
      }
      check_reply(out);
    }
    if (!connection.framing_error().empty()) break;
    if (read != ControlConnection::ReadResult::kData) break;
  }
  close(fds[0]);
  return 0;
}
