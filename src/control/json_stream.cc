#include "control/json_stream.h"

namespace flowpath::control {

namespace {

class ArrayStream final : public JsonStream {
 public:
  explicit ArrayStream(JsonArrayFill fill) : fill_(std::move(fill)) {}
  bool next(std::string& out) override {
    if (!started_) {
      out += '[';
      started_ = true;
    }
    JsonArrayWriter writer(out, first_);
    if (!fill_(writer)) return false;
    out += ']';
    return true;
  }

 private:
  JsonArrayFill fill_;
  bool started_ = false;
  bool first_ = true;
};

class TextStream final : public JsonStream {
 public:
  explicit TextStream(std::string text) : text_(std::move(text)) {}
  bool next(std::string& out) override {
    out += text_;
    return true;
  }

 private:
  std::string text_;
};

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  bool plain = true;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x80 || c == '"' || c == '\\') {
      plain = false;
      break;
    }
  }
  if (!plain) {
    append_json(out, Json(std::string(text)));
    return;
  }
  out += '"';
  out += text;
  out += '"';
}

std::unique_ptr<JsonStream> make_array_stream(JsonArrayFill fill) {
  return std::make_unique<ArrayStream>(std::move(fill));
}

std::unique_ptr<JsonStream> make_text_stream(std::string text) {
  return std::make_unique<TextStream>(std::move(text));
}

}  // namespace flowpath::control
