#include "ovsdb/datum.h"

namespace flowpath::ovsdb {

namespace {

bool is_tagged(const Json& value, std::string_view tag) {
  return value.is_array() && value.size() == 2 && value[0].is_string() &&
         value[0].get_ref<const std::string&>() == tag;
}

std::string in_column(std::string_view column) { return "column " + std::string(column) + ": "; }

}  // namespace

std::string describe(const Json& value) {
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return text;
}

bool is_uuid_text(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

Result<std::string> decode_uuid(const Json& value) {
  if (!is_tagged(value, "uuid") || !value[1].is_string())
    return make_error("expected [\"uuid\", \"<uuid>\"], got " + describe(value));
  const std::string& text = value[1].get_ref<const std::string&>();
  if (!is_uuid_text(text)) return make_error("\"" + describe(value[1]) + "\" is not a UUID");
  return text;
}

Result<std::vector<Json>> decode_set(const Json& value) {
  if (is_tagged(value, "set")) {
    if (!value[1].is_array())
      return make_error("expected [\"set\", [...]], got " + describe(value));
    return value[1].get<std::vector<Json>>();
  }
  if (value.is_array() && !is_tagged(value, "uuid") && !is_tagged(value, "named-uuid"))
    return make_error("expected a set or an atom, got " + describe(value));
  if (value.is_object() || value.is_null())
    return make_error("expected a set or an atom, got " + describe(value));
  return std::vector<Json>{value};
}

Result<std::vector<std::pair<Json, Json>>> decode_map(const Json& value) {
  if (!is_tagged(value, "map") || !value[1].is_array())
    return make_error("expected [\"map\", [[key, value]...]], got " + describe(value));
  std::vector<std::pair<Json, Json>> pairs;
  for (const Json& pair : value[1]) {
    if (!pair.is_array() || pair.size() != 2)
      return make_error("map entry " + describe(pair) + " is not [key, value]");
    pairs.emplace_back(pair[0], pair[1]);
  }
  return pairs;
}

Result<std::optional<std::string>> optional_string(const Json& value, std::string_view column) {
  auto elements = decode_set(value);
  if (!elements.ok()) return make_error(in_column(column) + elements.error());
  if (elements->empty()) return std::optional<std::string>{};
  if (elements->size() > 1 || !(*elements)[0].is_string())
    return make_error(in_column(column) + "expected at most one string, got " + describe(value));
  return std::optional<std::string>{(*elements)[0].get<std::string>()};
}

Result<std::optional<int64_t>> optional_integer(const Json& value, std::string_view column) {
  auto elements = decode_set(value);
  if (!elements.ok()) return make_error(in_column(column) + elements.error());
  if (elements->empty()) return std::optional<int64_t>{};
  const Json& atom = (*elements)[0];
  if (elements->size() > 1 || !(atom.is_number_integer()))
    return make_error(in_column(column) + "expected at most one integer, got " + describe(value));
  return std::optional<int64_t>{atom.get<int64_t>()};
}

Result<std::vector<int64_t>> integer_set(const Json& value, std::string_view column) {
  auto elements = decode_set(value);
  if (!elements.ok()) return make_error(in_column(column) + elements.error());
  std::vector<int64_t> out;
  for (const Json& atom : *elements) {
    if (!atom.is_number_integer())
      return make_error(in_column(column) + describe(atom) + " is not an integer");
    out.push_back(atom.get<int64_t>());
  }
  return out;
}

Result<std::vector<std::string>> uuid_set(const Json& value, std::string_view column) {
  auto elements = decode_set(value);
  if (!elements.ok()) return make_error(in_column(column) + elements.error());
  std::vector<std::string> out;
  for (const Json& atom : *elements) {
    auto uuid = decode_uuid(atom);
    if (!uuid.ok()) return make_error(in_column(column) + uuid.error());
    out.push_back(std::move(*uuid));
  }
  return out;
}

Result<std::map<std::string, std::string>> string_map(const Json& value, std::string_view column) {
  auto pairs = decode_map(value);
  if (!pairs.ok()) return make_error(in_column(column) + pairs.error());
  std::map<std::string, std::string> out;
  for (const auto& [key, val] : *pairs) {
    if (!key.is_string() || !val.is_string())
      return make_error(in_column(column) + "entry [" + describe(key) + ", " + describe(val) +
                        "] is not a pair of strings");
    out[key.get<std::string>()] = val.get<std::string>();
  }
  return out;
}

Json encode_uuid(const std::string& uuid) { return Json::array({"uuid", uuid}); }

Json encode_set(std::vector<Json> elements) { return Json::array({"set", std::move(elements)}); }

Json encode_optional(const std::optional<Json>& value) {
  if (!value) return encode_set({});
  return *value;
}

Json encode_string_map(const std::map<std::string, std::string>& map) {
  Json pairs = Json::array();
  for (const auto& [key, value] : map) pairs.push_back(Json::array({key, value}));
  return Json::array({"map", std::move(pairs)});
}

Json encode_integer_map(const std::map<std::string, int64_t>& map) {
  Json pairs = Json::array();
  for (const auto& [key, value] : map) pairs.push_back(Json::array({key, value}));
  return Json::array({"map", std::move(pairs)});
}

}  // namespace flowpath::ovsdb
