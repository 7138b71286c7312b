#include "control/unixctl_message.h"

#include "control/jsonrpc.h"

namespace flowpath::control {

namespace {

// A member that is null counts as absent, as in Open vSwitch's jsonrpc.
const Json* member(const Json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string with_newline(std::string_view body) {
  std::string text(body);
  if (!text.empty() && text.back() != '\n') text += '\n';
  return text;
}

}  // namespace

UnixctlDecoded decode_unixctl_request(std::string_view text) {
  UnixctlDecoded out;
  auto fail = [&out](std::string message) {
    out.error = "invalid request: " + std::move(message);
    return out;
  };
  if (json_deeper_than(text, kMaxJsonDepth)) {
    return fail("nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  Json message = Json::parse(text, nullptr, false);
  if (message.is_discarded()) return fail("not valid JSON");
  if (!message.is_object()) return fail("message is not a JSON object");
  if (const Json* id = member(message, "id")) out.request.id = *id;
  for (const auto& [name, value] : message.items()) {
    if (name != "method" && name != "params" && name != "result" && name != "error" &&
        name != "id") {
      return fail("message has unexpected member \"" + name + "\"");
    }
  }
  const Json* method = member(message, "method");
  const Json* params = member(message, "params");
  if (method && !method->is_string()) return fail("method is not a JSON string");
  if (params && !params->is_array()) return fail("\"params\" must be JSON array");
  if (member(message, "result") || member(message, "error")) {
    return fail("a reply or error, not a request");
  }
  if (!method) return fail("request must have \"method\"");
  if (out.request.id.is_null()) {
    return fail("request must have \"id\" (a notification gets no reply, so unixctl takes none)");
  }
  if (!params) return fail("request must have \"params\"");
  out.request.method = method->get<std::string>();
  out.request.params = *params;
  return out;
}

std::string encode_unixctl_reply(const Json& id, std::string_view body) {
  std::string out = R"({"id":)";
  append_json(out, id);
  out += R"(,"result":)";
  append_json_string(out, with_newline(body));
  out += R"(,"error":null})";
  return out;
}

std::string encode_unixctl_error(const Json& id, std::string_view body) {
  std::string out = R"({"id":)";
  append_json(out, id);
  out += R"(,"result":null,"error":)";
  append_json_string(out, with_newline(body));
  out += '}';
  return out;
}

}  // namespace flowpath::control
