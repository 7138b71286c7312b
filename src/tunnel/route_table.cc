#include "tunnel/route_table.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace flowpath::tunnel {

namespace {

constexpr uint8_t kIpv4MappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
constexpr uint8_t kIpv4PrefixOffset = 96;

Address mask(const Address& address, uint8_t length) {
  Address out{};
  for (size_t i = 0; i < 16; ++i) {
    const int bits = std::clamp(static_cast<int>(length) - static_cast<int>(i * 8), 0, 8);
    out[i] = static_cast<uint8_t>(address[i] & (0xff00 >> bits));
  }
  return out;
}

bool covers(const Route& route, const Address& destination) {
  return mask(destination, route.prefix_length) == route.prefix;
}

// Longer prefixes first; at equal length user routes, then lower priority.
bool before(const Route& a, const Route& b) {
  if (a.prefix_length != b.prefix_length) return a.prefix_length > b.prefix_length;
  if (a.user != b.user) return a.user;
  return a.priority < b.priority;
}

}  // namespace

bool is_ipv4_mapped(const Address& address) {
  return std::memcmp(address.data(), kIpv4MappedPrefix, sizeof kIpv4MappedPrefix) == 0;
}

std::optional<Address> parse_address(std::string_view text) {
  const std::string s(text);
  Address out{};
  uint8_t v4[4];
  if (inet_pton(AF_INET, s.c_str(), v4) == 1) {
    std::memcpy(out.data(), kIpv4MappedPrefix, 12);
    std::memcpy(out.data() + 12, v4, 4);
    return out;
  }
  if (inet_pton(AF_INET6, s.c_str(), out.data()) == 1) return out;
  return std::nullopt;
}

std::string format_address(const Address& address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (is_ipv4_mapped(address))
    inet_ntop(AF_INET, address.data() + 12, text, sizeof text);
  else
    inet_ntop(AF_INET6, address.data(), text, sizeof text);
  return text;
}

Result<std::pair<Address, uint8_t>> parse_prefix(std::string_view text) {
  const size_t slash = text.find('/');
  auto address = parse_address(text.substr(0, slash));
  if (!address)
    return make_error("'" + std::string(text.substr(0, slash)) + "' is not an IPv4 or IPv6 address");
  const bool ipv4 = is_ipv4_mapped(*address);
  const unsigned max = ipv4 ? 32 : 128;
  unsigned length = max;
  if (slash != std::string_view::npos) {
    std::string_view digits = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || length > max)
      return make_error("prefix length '" + std::string(digits) + "' is not 0.." +
                        std::to_string(max));
  }
  const uint8_t full = static_cast<uint8_t>(ipv4 ? length + kIpv4PrefixOffset : length);
  return std::pair<Address, uint8_t>{mask(*address, full), full};
}

std::string Route::to_string() const {
  const bool ipv4 = is_ipv4_mapped(prefix) && prefix_length >= kIpv4PrefixOffset;
  std::string out = user ? "User: " : "Cached: ";
  out += format_address(prefix) + "/" +
         std::to_string(ipv4 ? prefix_length - kIpv4PrefixOffset : prefix_length);
  out += " dev " + device;
  if (gateway) out += " GW " + format_address(*gateway);
  if (source) out += " SRC " + format_address(*source);
  if (local) out += " local";
  return out;
}

void RouteTable::replace_cached(std::vector<Route> routes) {
  for (Route& r : routes) {
    r.user = false;
    r.prefix = mask(r.prefix, r.prefix_length);
  }
  std::lock_guard lock(mutex_);
  cached_ = std::move(routes);
}

Status RouteTable::add_user(Route route) {
  route.user = true;
  route.prefix = mask(route.prefix, route.prefix_length);
  std::lock_guard lock(mutex_);
  for (const Route& r : user_) {
    if (r.prefix == route.prefix && r.prefix_length == route.prefix_length)
      return make_error("a user route for " + route.to_string().substr(6) +
                        " exists already (ovs/route/del it first)");
  }
  user_.push_back(std::move(route));
  return Ok{};
}

Status RouteTable::del_user(const Address& prefix, uint8_t prefix_length) {
  std::lock_guard lock(mutex_);
  const Address masked = mask(prefix, prefix_length);
  auto it = std::find_if(user_.begin(), user_.end(), [&](const Route& r) {
    return r.prefix == masked && r.prefix_length == prefix_length;
  });
  if (it == user_.end()) {
    Route shown;
    shown.prefix = masked;
    shown.prefix_length = prefix_length;
    std::string text = shown.to_string();  // "Cached: P/L dev "
    text = text.substr(8, text.find(" dev") - 8);
    return make_error("no user route for " + text);
  }
  user_.erase(it);
  return Ok{};
}

std::optional<Route> RouteTable::lookup(const Address& destination) const {
  std::lock_guard lock(mutex_);
  const Route* best = nullptr;
  for (const auto* list : {&user_, &cached_}) {
    for (const Route& r : *list) {
      if (covers(r, destination) && (best == nullptr || before(r, *best))) best = &r;
    }
  }
  if (best == nullptr) return std::nullopt;
  return *best;
}

std::vector<Route> RouteTable::routes() const {
  std::lock_guard lock(mutex_);
  std::vector<Route> all = user_;
  all.insert(all.end(), cached_.begin(), cached_.end());
  std::stable_sort(all.begin(), all.end(), [](const Route& a, const Route& b) {
    if (a.user != b.user) return a.user;
    return a.prefix_length > b.prefix_length;
  });
  return all;
}

}  // namespace flowpath::tunnel
