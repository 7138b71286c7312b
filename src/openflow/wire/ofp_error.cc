// The error table of ofp_error.h, read once into per-version lookups.
#include "openflow/wire/ofp_error.h"

#include <array>
#include <cstdlib>
#include <map>
#include <unordered_map>

#include "openflow/nxm_field.h"

namespace flowpath::openflow::wire {

namespace {

struct ErrorDef {
  std::string_view name;
  std::string_view where;
};

constexpr ErrorDef kErrors[] = {
#define FLOWPATH_OFP_ERROR_DEF(name, where) {#name, where},
    FLOWPATH_OFP_ERRORS(FLOWPATH_OFP_ERROR_DEF)
#undef FLOWPATH_OFP_ERROR_DEF
};
constexpr size_t kNumErrors = std::size(kErrors);
constexpr int kMaxVersion = 6;  // OpenFlow 1.5

struct Tables {
  // [version][error] -> triplet
  std::array<std::array<std::optional<ErrorTriplet>, kNumErrors>, kMaxVersion + 1> triplets;
  std::array<std::map<std::tuple<uint32_t, uint16_t, uint16_t>, OfpErrorCode>, kMaxVersion + 1>
      reverse;
  std::unordered_map<std::string_view, OfpErrorCode> by_name;
};

int parse_version(std::string_view& s) {
  // "1.0" .. "1.5"
  if (s.size() < 3 || s[0] != '1' || s[1] != '.') std::abort();
  int minor = s[2] - '0';
  s.remove_prefix(3);
  return minor + 1;
}

unsigned parse_uint(std::string_view& s) {
  unsigned v = 0;
  while (!s.empty() && s[0] >= '0' && s[0] <= '9') {
    v = v * 10 + static_cast<unsigned>(s[0] - '0');
    s.remove_prefix(1);
  }
  return v;
}

// One "VENDORa.b[-c.d|+](type[,code])" item; the table is ours and
// well-formed, so a malformed item is a programming error.
void add_item(Tables& t, size_t index, std::string_view item) {
  uint32_t vendor;
  if (item.starts_with("ONF")) {
    vendor = kOnfVendorId;
    item.remove_prefix(3);
  } else if (item.starts_with("OF")) {
    vendor = 0;
    item.remove_prefix(2);
  } else if (item.starts_with("NX")) {
    vendor = kNxVendorId;
    item.remove_prefix(2);
  } else {
    std::abort();
  }
  int v1 = parse_version(item), v2 = v1;
  if (!item.empty() && item[0] == '+') {
    v2 = kMaxVersion;
    item.remove_prefix(1);
  } else if (!item.empty() && item[0] == '-') {
    item.remove_prefix(1);
    v2 = parse_version(item);
  }
  if (item.empty() || item[0] != '(') std::abort();
  item.remove_prefix(1);
  unsigned type = parse_uint(item), code = 0;
  if (!item.empty() && item[0] == ',') {
    item.remove_prefix(1);
    code = parse_uint(item);
  }
  ErrorTriplet triplet{vendor, static_cast<uint16_t>(type), static_cast<uint16_t>(code)};
  auto error = static_cast<OfpErrorCode>(index);
  for (int v = v1; v <= v2; ++v) {
    t.triplets[v][index] = triplet;
    t.reverse[v].emplace(std::tuple{triplet.vendor, triplet.type, triplet.code}, error);
  }
}

const Tables& tables() {
  static const Tables* t = [] {
    auto* out = new Tables;
    for (size_t i = 0; i < kNumErrors; ++i) {
      out->by_name.emplace(kErrors[i].name, static_cast<OfpErrorCode>(i));
      std::string_view where = kErrors[i].where;
      while (!where.empty()) {
        size_t end = where.find(')');
        add_item(*out, i, where.substr(0, end + 1));
        where.remove_prefix(end + 1);
        while (!where.empty() && (where[0] == ',' || where[0] == ' ')) where.remove_prefix(1);
      }
    }
    return out;
  }();
  return *t;
}

}  // namespace

std::string_view error_name(OfpErrorCode code) {
  auto i = static_cast<size_t>(code);
  return i < kNumErrors ? kErrors[i].name : std::string_view("<invalid>");
}

std::optional<OfpErrorCode> error_from_name(std::string_view name) {
  const auto& map = tables().by_name;
  auto it = map.find(name);
  if (it == map.end()) return std::nullopt;
  return it->second;
}

std::optional<ErrorTriplet> error_triplet(OfpErrorCode code, uint8_t version) {
  auto i = static_cast<size_t>(code);
  if (version < 1 || version > kMaxVersion || i >= kNumErrors) return std::nullopt;
  return tables().triplets[version][i];
}

std::optional<OfpErrorCode> error_from_triplet(const ErrorTriplet& triplet, uint8_t version) {
  if (version < 1 || version > kMaxVersion) return std::nullopt;
  const auto& map = tables().reverse[version];
  auto it = map.find(std::tuple{triplet.vendor, triplet.type, triplet.code});
  if (it == map.end()) return std::nullopt;
  return it->second;
}

std::string OfpError::to_string() const {
  std::string out(error_name(code));
  if (!detail.empty()) out += ": " + detail;
  return out;
}

}  // namespace flowpath::openflow::wire
