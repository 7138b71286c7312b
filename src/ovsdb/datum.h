// OVSDB values on the wire (RFC 7047 section 5.1): atoms, ["uuid", U],
// ["set", [...]] and ["map", [[k, v]...]]. A column of an optional value is
// a set of zero or one element, and a one-element set may be sent as the
// bare atom. Decoding never trusts the peer: every helper returns an error
// that names what it expected and what it got.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace flowpath::ovsdb {

using Json = nlohmann::json;

// A short rendering of a value for error messages (at most ~80 bytes).
std::string describe(const Json& value);

// True for a 36-character UUID in its canonical text form.
bool is_uuid_text(std::string_view text);

// ["uuid", "..."] -> the UUID text.
Result<std::string> decode_uuid(const Json& value);

// The elements of a set (or the single bare atom of a one-element set).
Result<std::vector<Json>> decode_set(const Json& value);
// The pairs of a ["map", [[k, v]...]].
Result<std::vector<std::pair<Json, Json>>> decode_map(const Json& value);

// Typed columns. `column` names the column in errors.
Result<std::optional<std::string>> optional_string(const Json& value, std::string_view column);
Result<std::optional<int64_t>> optional_integer(const Json& value, std::string_view column);
Result<std::vector<int64_t>> integer_set(const Json& value, std::string_view column);
Result<std::vector<std::string>> uuid_set(const Json& value, std::string_view column);
Result<std::map<std::string, std::string>> string_map(const Json& value, std::string_view column);

// Encoders for what flowpathd writes back.
Json encode_uuid(const std::string& uuid);
Json encode_set(std::vector<Json> elements);  // a one-element set stays a set
Json encode_optional(const std::optional<Json>& value);
Json encode_string_map(const std::map<std::string, std::string>& map);
Json encode_integer_map(const std::map<std::string, int64_t>& map);

}  // namespace flowpath::ovsdb
