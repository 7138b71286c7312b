// The control socket's request framing and dispatch: bytes a client sends,
// cut into lines as ControlConnection does (a last line without a newline is
// a request too), each handled by the JSON-RPC dispatcher (single requests,
// batches, notifications, streamed results). Every reply must be one line of
// valid JSON-RPC that the client's reply reader accepts.
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "control/control_connection.h"
#include "control/jsonrpc.h"
#include "control/reply_reader.h"
#include "socket_input.h"

using flowpath::control::ControlConnection;
using flowpath::control::Json;
using flowpath::control::JsonArrayWriter;
using flowpath::control::JsonRpcDispatcher;
using flowpath::Result;
using flowpath::make_error;

namespace {

const JsonRpcDispatcher& dispatcher() {
  static JsonRpcDispatcher* d = [] {
    auto* out = new JsonRpcDispatcher;
    out->add("echo", [](const Json& p) -> Result<Json> { return p; });
    out->add("fail", [](const Json&) -> Result<Json> { return make_error("no"); });
    out->add_streaming("count", [](const Json& p) -> Result<std::unique_ptr<flowpath::control::JsonStream>> {
      TRY_ASSIGN(n, flowpath::control::get_unsigned(p, "n", 1000));
      auto next = std::make_shared<uint64_t>(0);
      uint64_t total = n;
      return flowpath::control::make_array_stream([next, total](JsonArrayWriter& w) {
        for (int i = 0; i < 7 && *next < total; ++i) w.add(Json{{"i", (*next)++}});
        return *next == total;
      });
    });
    return out;
  }();
  return *d;
}

void check_reply(const std::string& line) {
  if (line.find('\n') != std::string::npos) abort();
  if (!Json::accept(line)) abort();
  std::istringstream in(line);
  size_t elements = 0;
  flowpath::control::JsonElementConsumer count = [&](Json&&) { ++elements; };
  if (line[0] == '{' && !flowpath::control::read_reply(in, &count).ok()) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int fds[2];
  if (!socket_with_input(data, size, fds)) return 0;
  ControlConnection connection(fds[1], 0);
  for (;;) {
    auto read = connection.read_some();
    while (auto request = connection.next_request()) {
      auto reply = dispatcher().start(*request);
      if (!reply) continue;
      std::string out;
      while (!reply->next(out)) {
      }
      if (!out.empty()) check_reply(out);
    }
    if (read != ControlConnection::ReadResult::kData) break;
  }
  close(fds[0]);
  return 0;
}
