#include "ovsdb/message.h"

namespace flowpath::ovsdb {

Status JsonFramer::feed(std::string_view bytes, std::vector<std::string>* out) {
  for (char c : bytes) {
    if (depth_ == 0) {
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
      if (c != '{' && c != '[') {
        return make_error(std::string("a JSON-RPC message must be an object, got a text starting ") +
                          (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f
                               ? std::string("with '") + c + "'"
                               : "with byte " + std::to_string(static_cast<unsigned char>(c))));
      }
    }
    current_ += c;
    if (current_.size() > max_message_)
      return make_error("a JSON-RPC message is longer than " + std::to_string(max_message_) +
                        " bytes");
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
      continue;
    }
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      if (++depth_ > kMaxDepth)
        return make_error("a JSON-RPC message nests deeper than " + std::to_string(kMaxDepth) +
                          " levels");
    } else if (c == '}' || c == ']') {
      if (--depth_ == 0) {
        out->push_back(std::move(current_));
        current_.clear();
      }
    }
  }
  return Ok{};
}

void JsonFramer::reset() {
  current_.clear();
  depth_ = 0;
  in_string_ = false;
  escaped_ = false;
}

Result<Message> decode_message(std::string_view text) {
  Json json;
  try {
    json = Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    return make_error("message is not valid JSON at byte " + std::to_string(e.byte) + ": " +
                      describe(Json(std::string(text.substr(0, 60)))));
  } catch (const Json::exception& e) {  // e.g. a number out of range (1e999)
    return make_error(std::string("message is not valid JSON: ") + e.what());
  }
  if (!json.is_object()) return make_error("message is not a JSON object: " + describe(json));
  Message message;
  auto id = json.find("id");
  auto method = json.find("method");
  if (method != json.end()) {
    if (!method->is_string()) return make_error("\"method\" is not a string: " + describe(json));
    auto params = json.find("params");
    if (params == json.end() || !params->is_array())
      return make_error("request " + method->get<std::string>() +
                        " has no \"params\" array: " + describe(json));
    if (id == json.end())
      return make_error("request " + method->get<std::string>() + " has no \"id\"");
    message.kind = id->is_null() ? Message::Kind::kNotification : Message::Kind::kRequest;
    message.method = method->get<std::string>();
    message.params = std::move(*params);
    message.id = *id;
    return message;
  }
  auto result = json.find("result");
  auto error = json.find("error");
  if (result == json.end() && error == json.end())
    return make_error("message is neither a request (\"method\") nor a reply (\"result\"/"
                      "\"error\"): " + describe(json));
  if (id == json.end() || id->is_null())
    return make_error("reply has no \"id\": " + describe(json));
  message.kind = Message::Kind::kReply;
  message.id = *id;
  message.result = result == json.end() ? Json() : std::move(*result);
  message.error = error == json.end() ? Json() : std::move(*error);
  return message;
}

std::string encode_request(std::string_view method, Json params, const Json& id) {
  Json json = {{"method", method}, {"params", std::move(params)}, {"id", id}};
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string encode_reply(const Json& result, const Json& id) {
  Json json = {{"result", result}, {"error", nullptr}, {"id", id}};
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace flowpath::ovsdb
