#include "tunnel/tunnel_config.h"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cstring>
#include <span>

namespace flowpath::tunnel {

namespace {

constexpr std::array<std::string_view, 10> kVxlanOptions = {
    "remote_ip", "local_ip", "key", "in_key", "out_key", "dst_port", "tos", "ttl", "df_default",
    "csum"};
// GRE has no UDP port (dst_port is refused on a gre port).
constexpr std::array<std::string_view, 9> kGreOptions = {
    "remote_ip", "local_ip", "key", "in_key", "out_key", "tos", "ttl", "df_default", "csum"};
constexpr uint64_t kMaxVni = (uint64_t{1} << 24) - 1;
constexpr uint64_t kMaxGreKey = UINT32_MAX;
constexpr uint8_t kDscpMask = 0xfc;

std::span<const std::string_view> supported_options(TunnelType type) {
  if (type == TunnelType::kGre) return kGreOptions;
  return kVxlanOptions;
}

std::string supported_list(TunnelType type) {
  std::string list;
  for (std::string_view name : supported_options(type)) {
    if (!list.empty()) list += ", ";
    list += name;
  }
  return list;
}

std::optional<uint64_t> parse_unsigned(std::string_view text, uint64_t max) {
  uint64_t value = 0;
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (text.empty() || err != std::errc() || end != text.data() + text.size() || value > max)
    return std::nullopt;
  return value;
}

class Parser {
 public:
  Parser(TunnelType type, std::string_view port_name, const TunnelOptions& options)
      : prefix_(std::string(to_string(type)) + " port " + std::string(port_name) + ": "),
        options_(options),
        gre_(type == TunnelType::kGre) {}

  Error fail(const std::string& message) const { return make_error(prefix_ + message); }

  const std::string* find(std::string_view key) const {
    auto it = options_.find(key);
    return it == options_.end() ? nullptr : &it->second;
  }

  Result<TunnelAddress> address(std::string_view key) const {
    TunnelAddress address;
    const std::string* value = find(key);
    if (value == nullptr) return address;
    if (*value == "flow") {
      address.kind = TunnelAddress::Kind::kFlow;
      return address;
    }
    address.kind = TunnelAddress::Kind::kFixed;
    if (inet_pton(AF_INET, value->c_str(), address.bytes) == 1) return address;
    if (inet_pton(AF_INET6, value->c_str(), address.bytes) == 1) {
      address.ipv6 = true;
      return address;
    }
    return fail(std::string(key) + "=" + *value + " is not an IPv4 or IPv6 address or flow");
  }

  Result<std::optional<TunnelKey>> key(std::string_view name) const {
    const std::string* value = find(name);
    if (value == nullptr) return std::optional<TunnelKey>{};
    if (*value == "flow") return std::optional<TunnelKey>{TunnelKey{true, 0, true}};
    auto number = parse_unsigned(*value, gre_ ? kMaxGreKey : kMaxVni);
    if (!number)
      return fail(std::string(name) + "=" + *value +
                  (gre_ ? " is not a GRE key (0.." + std::to_string(kMaxGreKey) + ") or flow"
                        : " is not a VNI (0.." + std::to_string(kMaxVni) + ") or flow"));
    return std::optional<TunnelKey>{TunnelKey{false, *number, true}};
  }

  Result<bool> boolean(std::string_view key, bool fallback) const {
    const std::string* value = find(key);
    if (value == nullptr) return fallback;
    if (*value == "true") return true;
    if (*value == "false") return false;
    return fail(std::string(key) + "=" + *value + " is neither true nor false");
  }

 private:
  std::string prefix_;
  const TunnelOptions& options_;
  bool gre_;
};

}  // namespace

std::string_view to_string(TunnelType type) {
  switch (type) {
    case TunnelType::kVxlan: return "vxlan";
    case TunnelType::kGeneve: return "geneve";
    case TunnelType::kGre: return "gre";
  }
  return "unknown";
}

uint16_t default_dst_port(TunnelType type) {
  switch (type) {
    case TunnelType::kVxlan: return 4789;
    case TunnelType::kGeneve: return 6081;
    case TunnelType::kGre: return 0;
  }
  return 0;
}

std::string TunnelAddress::to_string() const {
  if (kind == Kind::kUnset) return "";
  if (kind == Kind::kFlow) return "flow";
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(ipv6 ? AF_INET6 : AF_INET, bytes, text, sizeof text);
  return text;
}

std::string TunnelKey::to_string() const { return flow ? "flow" : std::to_string(value); }

std::string TunnelConfig::format_options() const {
  std::string out;
  auto add = [&](std::string_view key, const std::string& value) {
    if (!out.empty()) out += ", ";
    out += std::string(key) + "=" + value;
  };
  add("remote_ip", remote_ip.to_string());
  if (local_ip.kind != TunnelAddress::Kind::kUnset) add("local_ip", local_ip.to_string());
  if (type == TunnelType::kGre) {  // a key only when one was given
    if (in_key == out_key) {
      if (in_key.present) add("key", in_key.to_string());
    } else {
      if (in_key.present) add("in_key", in_key.to_string());
      if (out_key.present) add("out_key", out_key.to_string());
    }
  } else if (in_key.flow == out_key.flow && in_key.value == out_key.value) {
    if (in_key.flow || in_key.value != 0) add("key", in_key.to_string());
  } else {
    add("in_key", in_key.to_string());
    add("out_key", out_key.to_string());
  }
  if (dst_port != default_dst_port(type)) add("dst_port", std::to_string(dst_port));
  if (tos_inherit) add("tos", "inherit");
  else if (tos != 0) add("tos", std::to_string(tos));
  if (ttl_inherit) add("ttl", "inherit");
  else if (ttl != 64) add("ttl", std::to_string(ttl));
  if (!df_default) add("df_default", "false");
  if (csum) add("csum", "true");
  return out;
}

Result<TunnelConfig> parse_tunnel_config(TunnelType type, std::string_view port_name,
                                         const TunnelOptions& options) {
  Parser parser(type, port_name, options);
  for (const auto& [key, value] : options) {
    bool known = false;
    for (std::string_view name : supported_options(type)) known = known || key == name;
    if (!known)
      return parser.fail("option " + key + " is not supported (supported: " +
                         supported_list(type) + ")");
  }
  TunnelConfig config;
  config.type = type;
  config.dst_port = default_dst_port(type);
  TRY_ASSIGN(remote_ip, parser.address("remote_ip"));
  TRY_ASSIGN(local_ip, parser.address("local_ip"));
  config.remote_ip = remote_ip;
  config.local_ip = local_ip;
  if (config.remote_ip.kind == TunnelAddress::Kind::kUnset)
    return parser.fail("remote_ip must be set (an address, or flow)");
  if (config.remote_ip.fixed() && config.local_ip.fixed() &&
      config.remote_ip.ipv6 != config.local_ip.ipv6)
    return parser.fail(std::string("remote_ip is ") + (config.remote_ip.ipv6 ? "IPv6" : "IPv4") +
                       " but local_ip is " + (config.local_ip.ipv6 ? "IPv6" : "IPv4"));

  TRY_ASSIGN(key, parser.key("key"));
  TRY_ASSIGN(in_key, parser.key("in_key"));
  TRY_ASSIGN(out_key, parser.key("out_key"));
  config.in_key = in_key.value_or(key.value_or(TunnelKey{}));
  config.out_key = out_key.value_or(key.value_or(TunnelKey{}));

  if (const std::string* value = parser.find("dst_port")) {
    auto port = parse_unsigned(*value, 65535);
    if (!port || *port == 0) return parser.fail("dst_port=" + *value + " is not a UDP port (1..65535)");
    config.dst_port = static_cast<uint16_t>(*port);
  }
  if (const std::string* value = parser.find("tos")) {
    if (*value == "inherit") {
      config.tos_inherit = true;
    } else {
      auto tos = parse_unsigned(*value, 255);
      if (!tos || (*tos & ~uint64_t{kDscpMask}) != 0)
        return parser.fail("tos=" + *value +
                           " is not a TOS with only DSCP bits (0..252, a multiple of 4) or inherit");
      config.tos = static_cast<uint8_t>(*tos);
    }
  }
  if (const std::string* value = parser.find("ttl")) {
    if (*value == "inherit") {
      config.ttl_inherit = true;
    } else {
      auto ttl = parse_unsigned(*value, 255);
      if (!ttl || *ttl == 0) return parser.fail("ttl=" + *value + " is not a TTL (1..255) or inherit");
      config.ttl = static_cast<uint8_t>(*ttl);
    }
  }
  TRY_ASSIGN(df_default, parser.boolean("df_default", true));
  TRY_ASSIGN(csum, parser.boolean("csum", false));
  config.df_default = df_default;
  config.csum = csum;
  return config;
}

}  // namespace flowpath::tunnel
