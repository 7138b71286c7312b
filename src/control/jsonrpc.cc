#include "control/jsonrpc.h"

namespace flowpath::control {

namespace {

constexpr std::string_view kInvalidParamsTag = "invalid params: ";

Json error_response(const Json& id, int code, const std::string& message) {
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}};
}

}  // namespace

Error invalid_params(std::string message) {
  return Error{std::string(kInvalidParamsTag) + message};
}

std::string JsonRpcDispatcher::handle_line(std::string_view line) const {
  Json request = Json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (request.is_discarded()) {
    return error_response(nullptr, kParseError, "parse error: the request is not valid JSON")
        .dump();
  }
  Json response = dispatch(request);
  if (response.is_null()) return {};
  return response.dump();
}

Json JsonRpcDispatcher::dispatch(const Json& request) const {
  if (!request.is_object()) {
    return error_response(nullptr, kInvalidRequest, "invalid request: expected a JSON object");
  }
  Json id = request.contains("id") ? request["id"] : Json();
  bool notification = !request.contains("id");
  if (!id.is_null() && !id.is_string() && !id.is_number_integer()) {
    return error_response(nullptr, kInvalidRequest, "invalid request: id must be a string or integer");
  }
  auto version = request.find("jsonrpc");
  if (version == request.end() || *version != "2.0") {
    return error_response(id, kInvalidRequest, "invalid request: \"jsonrpc\" must be \"2.0\"");
  }
  auto method = request.find("method");
  if (method == request.end() || !method->is_string()) {
    return error_response(id, kInvalidRequest, "invalid request: \"method\" must be a string");
  }
  Json params = request.contains("params") ? request["params"] : Json::object();
  if (!params.is_object() && !params.is_null()) {
    return error_response(id, kInvalidParams, "invalid params: \"params\" must be an object");
  }
  if (params.is_null()) params = Json::object();
  auto found = methods_.find(method->get<std::string>());
  if (found == methods_.end()) {
    return error_response(id, kMethodNotFound,
                          "method not found: " + method->get<std::string>());
  }
  Result<Json> result = found->second(params);
  if (observer_) observer_(found->first, params, result.ok() ? nullptr : &result.error());
  if (notification) return Json();
  if (!result.ok()) {
    const std::string& msg = result.error();
    if (msg.rfind(kInvalidParamsTag, 0) == 0) return error_response(id, kInvalidParams, msg);
    return error_response(id, kOperationFailed, msg);
  }
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result.value())}};
}

Result<std::string> get_string(const Json& params, const char* name) {
  auto it = params.find(name);
  if (it == params.end()) return invalid_params(std::string("missing \"") + name + "\"");
  if (!it->is_string()) return invalid_params(std::string("\"") + name + "\" must be a string");
  return it->get<std::string>();
}

Result<std::string> get_optional_string(const Json& params, const char* name,
                                        std::string fallback) {
  if (!params.contains(name)) return fallback;
  return get_string(params, name);
}

Result<uint64_t> get_unsigned(const Json& params, const char* name, uint64_t max) {
  auto it = params.find(name);
  if (it == params.end()) return invalid_params(std::string("missing \"") + name + "\"");
  if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<int64_t>() >= 0)) {
    return invalid_params(std::string("\"") + name + "\" must be a non-negative integer");
  }
  uint64_t v = it->get<uint64_t>();
  if (v > max) {
    return invalid_params(std::string("\"") + name + "\" is " + std::to_string(v) +
                          ", more than the maximum " + std::to_string(max));
  }
  return v;
}

Result<bool> get_optional_bool(const Json& params, const char* name, bool fallback) {
  auto it = params.find(name);
  if (it == params.end()) return fallback;
  if (!it->is_boolean()) return invalid_params(std::string("\"") + name + "\" must be true or false");
  return it->get<bool>();
}

}  // namespace flowpath::control
