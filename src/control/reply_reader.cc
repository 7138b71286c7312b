#include "control/reply_reader.h"

namespace flowpath::control {

namespace {

// Builds one JSON value from SAX events.
class ValueBuilder {
 public:
  bool building() const { return !stack_.empty(); }
  void start(Json container) { stack_.push_back(stack_.empty() ? &(root_ = std::move(container)) : add(std::move(container))); }
  // True when the value is complete.
  bool end() {
    stack_.pop_back();
    return stack_.empty();
  }
  void key(std::string& name) { key_ = std::move(name); }
  void value(Json v) { add(std::move(v)); }
  Json take() { return std::move(root_); }

 private:
  Json* add(Json v) {
    Json& top = *stack_.back();
    if (top.is_array()) {
      top.push_back(std::move(v));
      return &top.back();
    }
    Json& slot = top[key_];
    slot = std::move(v);
    return &slot;
  }
  Json root_;
  std::vector<Json*> stack_;
  std::string key_;
};

// The SAX handler: depth 1 is inside the response object, depth 2 inside a
// streamed result array.
class ReplySax {
 public:
  explicit ReplySax(const JsonElementConsumer* consumer) : consumer_(consumer) {}

  bool null() { return scalar(Json()); }
  bool boolean(bool v) { return scalar(Json(v)); }
  bool number_integer(Json::number_integer_t v) { return scalar(Json(v)); }
  bool number_unsigned(Json::number_unsigned_t v) { return scalar(Json(v)); }
  bool number_float(Json::number_float_t v, const std::string&) { return scalar(Json(v)); }
  bool string(std::string& v) { return scalar(Json(std::move(v))); }
  bool binary(Json::binary_t&) { return fail("binary value"); }
  bool start_object(size_t) { return start(Json::object()); }
  bool start_array(size_t) { return start(Json::array()); }
  bool end_object() { return end(); }
  bool end_array() { return end(); }
  bool key(std::string& name) {
    if (builder_.building()) builder_.key(name);
    else member_ = std::move(name);
    return true;
  }
  bool parse_error(size_t position, const std::string&, const nlohmann::detail::exception&) {
    return fail("malformed JSON at byte " + std::to_string(position));
  }

  Reply reply;
  std::string error;

 private:
  bool fail(std::string why) {
    if (error.empty()) error = std::move(why);
    return false;
  }
  bool start(Json container) {
    if (depth_ == 0) {
      if (!container.is_object()) return fail("a reply that is not a JSON object");
      depth_ = 1;
      return true;
    }
    if (!builder_.building() && depth_ == 1 && member_ == "result" && consumer_ &&
        container.is_array()) {
      reply.streamed = true;
      streaming_ = true;
      depth_ = 2;
      return true;
    }
    builder_.start(std::move(container));
    ++depth_;
    return true;
  }
  bool end() {
    --depth_;
    if (builder_.building()) {
      if (builder_.end()) deliver(builder_.take());
    } else if (streaming_ && depth_ == 1) {
      streaming_ = false;
    }
    return true;
  }
  bool scalar(Json v) {
    if (depth_ == 0) return fail("a reply that is not a JSON object");
    if (builder_.building()) builder_.value(std::move(v));
    else deliver(std::move(v));
    return true;
  }
  void deliver(Json v) {
    if (streaming_) {
      (*consumer_)(std::move(v));
    } else if (member_ == "id") {
      reply.id = std::move(v);
    } else if (member_ == "error") {
      reply.error = std::move(v);
    } else if (member_ == "result") {
      reply.result = std::move(v);
    }
  }

  const JsonElementConsumer* consumer_;
  ValueBuilder builder_;
  std::string member_;
  size_t depth_ = 0;
  bool streaming_ = false;
};

}  // namespace

Result<Reply> read_reply(std::istream& in, const JsonElementConsumer* consumer) {
  ReplySax sax(consumer);
  bool ok = Json::sax_parse(in, &sax, Json::input_format_t::json, /*strict=*/true);
  if (!ok || !sax.error.empty()) {
    return make_error("flowpathd sent a reply that is not valid JSON-RPC: " +
                      (sax.error.empty() ? std::string("malformed JSON") : sax.error));
  }
  return std::move(sax.reply);
}

}  // namespace flowpath::control
