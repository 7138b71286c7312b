// A JSON value's text produced piece by piece. A reply of any size leaves
// the daemon in bounded steps: the control server takes one piece from each
// busy client in turn, and takes none from a client that is not reading
// what it was already sent.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace flowpath::control {

using Json = nlohmann::json;

// JSON text as the daemon sends it: compact, and a string that is not valid
// UTF-8 (an interface name from the system, say) has its bad bytes replaced
// rather than failing the whole reply.
inline void append_json(std::string& out, const Json& value) {
  out += value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

class JsonStream {
 public:
  virtual ~JsonStream() = default;
  // Appends the next piece of the text to `out`; returns true when the text
  // is complete (this piece was the last).
  virtual bool next(std::string& out) = 0;
};

// Appends `text` as a JSON string (quoted and escaped). Text that is not
// plain ASCII goes through nlohmann's encoder, which checks its UTF-8.
void append_json_string(std::string& out, std::string_view text);

// Adds elements to a JSON array that a stream is writing, with separators.
class JsonArrayWriter {
 public:
  JsonArrayWriter(std::string& out, bool& first) : out_(out), first_(first) {}
  void add(const Json& element) {
    separate();
    append_json(out_, element);
  }
  // An element written as JSON text by `write(std::string&)`, for long
  // dumps where building a Json value per element costs more than the rest.
  template <typename Write>
  void add_text(Write&& write) {
    separate();
    write(out_);
  }

 private:
  void separate() {
    if (!first_) out_ += ',';
    first_ = false;
  }
  std::string& out_;
  bool& first_;
};

// A JSON array whose elements `fill` adds a chunk at a time (one chunk per
// piece); `fill` returns true once it has added the last.
using JsonArrayFill = std::function<bool(JsonArrayWriter& writer)>;
std::unique_ptr<JsonStream> make_array_stream(JsonArrayFill fill);

// A JSON array of `items` converted by `to_json`, `chunk` at a time: for
// results gathered whole but expensive to write out at once.
template <typename T, typename ToJson>
std::unique_ptr<JsonStream> make_array_stream(std::vector<T> items, ToJson to_json,
                                              size_t chunk = 256) {
  auto state = std::make_shared<std::pair<std::vector<T>, size_t>>(std::move(items), 0);
  return make_array_stream([state, to_json = std::move(to_json), chunk](JsonArrayWriter& w) {
    auto& [list, next] = *state;
    size_t end = std::min(list.size(), next + chunk);
    for (; next < end; ++next) w.add(to_json(list[next]));
    return next == list.size();
  });
}

// A text that is complete from the start, as one piece.
std::unique_ptr<JsonStream> make_text_stream(std::string text);

}  // namespace flowpath::control
