#include "control/jsonrpc.h"

namespace flowpath::control {

namespace {

constexpr std::string_view kInvalidParamsTag = "invalid params: ";

Json error_response(const Json& id, int code, const std::string& message) {
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}};
}

// A batch answers this many requests per piece at most, so that a batch of
// thousands is interleaved with other clients like a dump.
constexpr size_t kBatchRequestsPerPiece = 16;

}  // namespace

// {"jsonrpc":"2.0","id":ID,"result":RESULT} with RESULT streamed.
class JsonRpcDispatcher::ResponseStream final : public JsonStream {
 public:
  ResponseStream(Json id, std::unique_ptr<JsonStream> result)
      : id_(std::move(id)), result_(std::move(result)) {}
  bool next(std::string& out) override {
    if (!started_) {
      out += R"({"jsonrpc":"2.0","id":)";
      append_json(out, id_);
      out += R"(,"result":)";
      started_ = true;
    }
    if (!result_->next(out)) return false;
    out += '}';
    return true;
  }

 private:
  Json id_;
  std::unique_ptr<JsonStream> result_;
  bool started_ = false;
};

// The array of a batch's responses, in the order of its requests.
// Notifications have none; if every request was one, nothing is written
// (JSON-RPC 2.0, section 6).
class JsonRpcDispatcher::BatchStream final : public JsonStream {
 public:
  BatchStream(const JsonRpcDispatcher& dispatcher, Json requests)
      : dispatcher_(dispatcher), requests_(std::move(requests)) {}
  bool next(std::string& out) override {
    for (size_t answered = 0; answered < kBatchRequestsPerPiece;) {
      if (current_) {
        if (!current_->next(out)) return false;  // one piece of a stream per piece
        current_.reset();
        continue;
      }
      if (next_ == requests_.size()) break;
      Outcome outcome = dispatcher_.call(requests_[next_]);
      requests_[next_++] = nullptr;  // its memory is no longer needed
      ++answered;
      if (outcome.stream) {
        open_element(out);
        current_ = std::move(outcome.stream);
      } else if (!outcome.response.is_null()) {
        open_element(out);
        append_json(out, outcome.response);
      }
    }
    if (current_ || next_ < requests_.size()) return false;
    if (opened_) out += ']';
    return true;
  }

 private:
  void open_element(std::string& out) {
    out += opened_ ? ',' : '[';
    opened_ = true;
  }
  const JsonRpcDispatcher& dispatcher_;
  Json requests_;
  size_t next_ = 0;
  std::unique_ptr<JsonStream> current_;
  bool opened_ = false;
};

Error invalid_params(std::string message) {
  return Error{std::string(kInvalidParamsTag) + message};
}

void JsonRpcDispatcher::add(std::string name, RpcMethod method) {
  methods_[std::move(name)] = Method{std::move(method), {}};
}

void JsonRpcDispatcher::add_streaming(std::string name, StreamingRpcMethod method) {
  methods_[std::move(name)] = Method{{}, std::move(method)};
}

bool json_deeper_than(std::string_view text, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

std::unique_ptr<JsonStream> JsonRpcDispatcher::start(std::string_view line) const {
  if (json_deeper_than(line, kMaxJsonDepth)) {
    return make_text_stream(
        error_response(nullptr, kInvalidRequest,
                       "invalid request: nested deeper than " + std::to_string(kMaxJsonDepth) +
                           " levels")
            .dump());
  }
  Json request = Json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (request.is_discarded()) {
    return make_text_stream(
        error_response(nullptr, kParseError, "parse error: the request is not valid JSON").dump());
  }
  if (request.is_array()) {
    if (request.empty()) {
      return make_text_stream(
          error_response(nullptr, kInvalidRequest, "invalid request: empty batch").dump());
    }
    return std::make_unique<BatchStream>(*this, std::move(request));
  }
  Outcome outcome = call(request);
  if (outcome.stream) return std::move(outcome.stream);
  if (outcome.response.is_null()) return nullptr;
  std::string text;
  append_json(text, outcome.response);
  return make_text_stream(std::move(text));
}

std::string JsonRpcDispatcher::handle_line(std::string_view line) const {
  std::string out;
  if (auto reply = start(line)) {
    while (!reply->next(out)) {
    }
  }
  return out;
}

JsonRpcDispatcher::Outcome JsonRpcDispatcher::call(const Json& request) const {
  auto fail = [](const Json& id, int code, const std::string& message) {
    return Outcome{error_response(id, code, message), nullptr};
  };
  if (!request.is_object()) {
    return fail(nullptr, kInvalidRequest, "invalid request: expected a JSON object");
  }
  auto id_it = request.find("id");
  bool notification = id_it == request.end();
  Json id = notification ? Json() : *id_it;
  if (!id.is_null() && !id.is_string() && !id.is_number_integer()) {
    return fail(nullptr, kInvalidRequest, "invalid request: id must be a string or integer");
  }
  auto version = request.find("jsonrpc");
  if (version == request.end() || *version != "2.0") {
    return fail(id, kInvalidRequest, "invalid request: \"jsonrpc\" must be \"2.0\"");
  }
  auto method = request.find("method");
  if (method == request.end() || !method->is_string()) {
    return fail(id, kInvalidRequest, "invalid request: \"method\" must be a string");
  }
  // A well-formed notification gets no reply, not even an error (JSON-RPC
  // 2.0, section 4.1).
  auto failure = [&](int code, const std::string& msg) {
    return notification ? Outcome{} : fail(id, code, msg);
  };
  auto method_failure = [&](const std::string& msg) {
    return failure(msg.rfind(kInvalidParamsTag, 0) == 0 ? kInvalidParams : kOperationFailed, msg);
  };
  Json params = request.contains("params") ? request["params"] : Json::object();
  if (!params.is_object() && !params.is_null()) {
    return failure(kInvalidParams, "invalid params: \"params\" must be an object");
  }
  if (params.is_null()) params = Json::object();
  auto found = methods_.find(method->get<std::string>());
  if (found == methods_.end()) {
    return failure(kMethodNotFound, "method not found: " + method->get<std::string>());
  }
  if (found->second.streaming) {
    auto stream = found->second.streaming(params);
    if (observer_) observer_(found->first, params, stream.ok() ? nullptr : &stream.error());
    if (!stream.ok()) return method_failure(stream.error());
    if (notification) return Outcome{};  // nobody reads the result: never write it
    return Outcome{Json(), std::make_unique<ResponseStream>(id, std::move(stream.value()))};
  }
  Result<Json> result = found->second.plain(params);
  if (observer_) observer_(found->first, params, result.ok() ? nullptr : &result.error());
  if (!result.ok()) return method_failure(result.error());
  if (notification) return Outcome{};
  return Outcome{Json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result.value())}},
                 nullptr};
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
