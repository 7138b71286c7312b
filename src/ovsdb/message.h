// OVSDB's JSON-RPC 1.0 (RFC 7047 section 4): the stream of JSON texts on a
// connection, cut into messages, and each message decoded into a request,
// a notification or a reply. ovsdb-server sends JSON texts back to back with
// no separator, so the framer follows the JSON syntax (strings and nesting)
// to find where each text ends, without parsing it twice.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "ovsdb/datum.h"

namespace flowpath::ovsdb {

class JsonFramer {
 public:
  static constexpr size_t kDefaultMaxMessage = 64u << 20;  // a whole database fits
  // OVSDB messages nest about 8 deep; the limit keeps recursive JSON code
  // (parsing, printing) away from a peer's 10-million-deep '['.
  static constexpr int kMaxDepth = 64;
  explicit JsonFramer(size_t max_message = kDefaultMaxMessage) : max_message_(max_message) {}

  // Appends `bytes` and moves every JSON text they complete into `out`.
  // After an error (a text that does not start with '{' or '[', a text over
  // the size limit or nested deeper than kMaxDepth) the stream cannot be resynchronised: the caller drops
  // the connection.
  Status feed(std::string_view bytes, std::vector<std::string>* out);
  void reset();
  size_t buffered() const { return current_.size(); }

 private:
  size_t max_message_;
  std::string current_;
  int depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
};

struct Message {
  enum class Kind { kRequest, kNotification, kReply };
  Kind kind;
  std::string method;  // request, notification
  Json params;         // request, notification: an array
  Json id;             // request, reply
  Json result;         // reply
  Json error;          // reply: null on success
};

// Parses one JSON text from JsonFramer and classifies it. Errors name the
// byte where the JSON broke or the member that is missing or mistyped.
Result<Message> decode_message(std::string_view text);

// The text of a request, notification or reply to send.
std::string encode_request(std::string_view method, Json params, const Json& id);
std::string encode_reply(const Json& result, const Json& id);

}  // namespace flowpath::ovsdb
