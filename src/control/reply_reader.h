// Reads one JSON-RPC response as it arrives (nlohmann's SAX interface): the
// id, the error, and the result, whose elements, when it is an array and a
// consumer is given, are handed over one by one and never held together.
// A dump of any size is read in the memory of one of its elements.
#pragma once

#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "control/json_stream.h"

namespace flowpath::control {

using JsonElementConsumer = std::function<void(Json&& element)>;

struct Reply {
  Json id;
  std::optional<Json> error;   // the "error" member
  std::optional<Json> result;  // unless it was an array given to the consumer
  bool streamed = false;       // the result was an array given to the consumer
};

// Parses the response text in `in` (one line, without its newline). With a
// consumer, an array result goes to it element by element.
Result<Reply> read_reply(std::istream& in, const JsonElementConsumer* consumer);

}  // namespace flowpath::control
