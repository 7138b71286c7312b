#include "ofproto/bridge_config.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <utility>

namespace flowpath::ofproto {

namespace {

constexpr uint16_t kMaxVlan = 4095;
constexpr uint32_t kMaxOfport = 1023;  // the datapath numbers ports 0..1023; 0 is LOCAL
constexpr size_t kMaxInterfaceName = 15;  // IFNAMSIZ less the terminating NUL

constexpr std::array<std::pair<VlanMode, std::string_view>, 4> kVlanModeNames = {{
    {VlanMode::kTrunk, "trunk"},
    {VlanMode::kAccess, "access"},
    {VlanMode::kNativeTagged, "native-tagged"},
    {VlanMode::kNativeUntagged, "native-untagged"},
}};

// How an error message shows one character of a name.
std::string describe_char(char c) {
  if (c == ' ') return "a space";
  if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
    char text[8];
    std::snprintf(text, sizeof text, "\\x%02x", static_cast<unsigned char>(c));
    return text;
  }
  return std::string("'") + c + "'";
}

// Linux refuses "", ".", "..", names of 16 bytes or more and names holding
// '/', ':' or white space; ',' and '=' would break the vport spec.
Status check_interface_name(std::string_view name) {
  if (name.empty()) return make_error("interface name is empty");
  const std::string quoted = "interface name '" + std::string(name) + "'";
  if (name.size() > kMaxInterfaceName) {
    return make_error(quoted + " is " + std::to_string(name.size()) +
                      " bytes long (Linux allows at most " + std::to_string(kMaxInterfaceName) +
                      ")");
  }
  if (name == "." || name == "..") return make_error(quoted + " is not allowed by Linux");
  for (char c : name) {
    const bool space = c == ' ' || (c >= '\t' && c <= '\r');
    const bool control = static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    if (space || control || c == '/' || c == ':' || c == ',' || c == '=') {
      return make_error(quoted + " contains " + describe_char(c));
    }
  }
  return Ok{};
}

std::optional<uint32_t> parse_decimal(std::string_view text, uint32_t max) {
  uint32_t value = 0;
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || err != std::errc() || end != text.data() + text.size() || value > max) {
    return std::nullopt;
  }
  return value;
}

std::optional<uint16_t> parse_vlan(std::string_view text) {
  auto vlan = parse_decimal(text, kMaxVlan);
  if (!vlan) return std::nullopt;
  return static_cast<uint16_t>(*vlan);
}

const std::string kVlanRange = "(0.." + std::to_string(kMaxVlan) + ")";

// "10,20-22,5": sorted, each VLAN once.
Result<std::vector<uint16_t>> parse_trunks(std::string_view text) {
  const std::string setting = "trunks=" + std::string(text);
  if (text.empty()) return make_error("trunks= needs at least one VLAN (N, N,M,... or N-M)");
  std::vector<uint16_t> vlans;
  for (size_t start = 0; start <= text.size();) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = text.substr(start, comma - start);
    start = comma + 1;
    if (item.empty()) return make_error(setting + " has an empty entry");
    const size_t dash = item.find('-');
    const std::string_view first_text = item.substr(0, dash);
    auto first = parse_vlan(first_text);
    if (!first) {
      return make_error(setting + ": '" + std::string(first_text) + "' is not a VLAN ID " +
                        kVlanRange);
    }
    uint16_t last = *first;
    if (dash != std::string_view::npos) {
      const std::string_view last_text = item.substr(dash + 1);
      auto end = parse_vlan(last_text);
      if (!end) {
        return make_error(setting + ": '" + std::string(last_text) + "' is not a VLAN ID " +
                          kVlanRange);
      }
      if (*end < *first) {
        return make_error(setting + ": range '" + std::string(item) + "' ends below its start");
      }
      last = *end;
    }
    for (uint32_t vlan = *first; vlan <= last; ++vlan) vlans.push_back(static_cast<uint16_t>(vlan));
  }
  std::sort(vlans.begin(), vlans.end());
  vlans.erase(std::unique(vlans.begin(), vlans.end()), vlans.end());
  return vlans;
}

Result<VlanMode> parse_vlan_mode(std::string_view text) {
  for (const auto& [mode, name] : kVlanModeNames) {
    if (name == text) return mode;
  }
  return make_error("vlan_mode=" + std::string(text) +
                    " is not one of access, trunk, native-tagged, native-untagged");
}

// The combinations ovs-vswitchd.conf.db(5) rules out.
Status check_vlan_settings(const PortConfig& port) {
  const bool has_trunks = !port.trunks.empty();
  if (!port.vlan_mode) {
    if (port.tag && has_trunks) {
      return make_error("a port with tag=" + std::to_string(*port.tag) +
                        " is an access port and cannot have trunks (for a native VLAN "
                        "on a trunk, add vlan_mode=native-tagged or native-untagged)");
    }
    return Ok{};
  }
  const std::string mode = "vlan_mode=" + std::string(to_string(*port.vlan_mode));
  switch (*port.vlan_mode) {
    case VlanMode::kAccess:
      if (!port.tag) return make_error(mode + " needs tag=VLAN");
      if (has_trunks) return make_error(mode + " cannot have trunks");
      break;
    case VlanMode::kTrunk:
      if (port.tag) {
        return make_error(mode + " cannot have a tag (for a native VLAN use "
                                 "vlan_mode=native-tagged or native-untagged)");
      }
      break;
    case VlanMode::kNativeTagged:
    case VlanMode::kNativeUntagged:
      if (!port.tag) return make_error(mode + " needs tag=VLAN (the native VLAN)");
      break;
  }
  return Ok{};
}

// Trunk membership; an empty list trunks every VLAN. The list is short or
// empty in practice, and a linear scan does not depend on it being sorted.
bool trunks_vlan(const PortConfig& port, uint16_t vlan) {
  return port.trunks.empty() ||
         std::find(port.trunks.begin(), port.trunks.end(), vlan) != port.trunks.end();
}

bool is_native_vlan(const PortConfig& port, uint16_t vlan) { return vlan == port.tag.value_or(0); }

}  // namespace

std::string_view to_string(VlanMode mode) {
  for (const auto& [m, name] : kVlanModeNames) {
    if (m == mode) return name;
  }
  return "unknown";
}

std::string_view to_string(FailMode mode) {
  return mode == FailMode::kSecure ? "secure" : "standalone";
}

std::optional<FailMode> parse_fail_mode(std::string_view text) {
  if (text == "standalone") return FailMode::kStandalone;
  if (text == "secure") return FailMode::kSecure;
  return std::nullopt;
}

VlanMode PortConfig::effective_vlan_mode() const {
  if (vlan_mode) return *vlan_mode;
  return tag ? VlanMode::kAccess : VlanMode::kTrunk;
}

std::string PortConfig::vport_spec() const {
  std::string spec = name + ",type=" + type;
  // The datapath port number is the OpenFlow port number, so translation
  // needs no mapping between the two.
  if (ofport != 0) spec += ",port_no=" + std::to_string(ofport);
  for (const auto& [key, value] : options) spec += "," + key + "=" + value;
  return spec;
}

Result<PortConfig> parse_port_settings(std::string_view name,
                                       const std::vector<std::string>& words) {
  if (auto st = check_interface_name(name); !st.ok()) return make_error(st.error());
  PortConfig port;
  port.name = std::string(name);
  std::vector<std::string> seen;
  for (const std::string& word : words) {
    const size_t equals = word.find('=');
    if (equals == std::string::npos) {
      return make_error("setting '" + word + "' is not KEY=VALUE");
    }
    if (equals == 0) return make_error("setting '" + word + "' has no key before '='");
    std::string key = word.substr(0, equals);
    const std::string value = word.substr(equals + 1);
    // ovs-vsctl's options:KEY=VALUE (the Interface table's options column):
    // always a vport option, never one of the settings below.
    constexpr std::string_view kOptionsColumn = "options:";
    const bool options_column = key.starts_with(kOptionsColumn);
    if (options_column) {
      key.erase(0, kOptionsColumn.size());
      if (key.empty()) return make_error("setting '" + word + "' has no option name after options:");
      for (std::string_view setting : {"type", "tag", "trunks", "vlan_mode", "ofport_request",
                                       "admin", "port_no", "mtu_request", "mtu"}) {
        if (key == setting)
          return make_error("options:" + key + ": '" + key +
                            "' is a port setting, not a vport option (write " + key + "=VALUE)");
      }
    }
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      return make_error("setting '" + key + "' is given twice");
    }
    seen.push_back(key);

    if (options_column) {
      if (value.find(',') != std::string::npos) {
        return make_error("option '" + word + "' contains ','");
      }
      port.options.emplace_back(key, value);
    } else if (key == "type") {
      auto kind = vport_kind_from_string(value);
      if (!kind) return make_error(kind.error());
      port.type = std::string(to_string(*kind));
    } else if (key == "tag") {
      auto tag = parse_vlan(value);
      if (!tag) return make_error("tag=" + value + " is not a VLAN ID " + kVlanRange);
      port.tag = *tag;
    } else if (key == "trunks") {
      auto trunks = parse_trunks(value);
      if (!trunks) return make_error(trunks.error());
      port.trunks = std::move(*trunks);
    } else if (key == "vlan_mode") {
      auto mode = parse_vlan_mode(value);
      if (!mode) return make_error(mode.error());
      port.vlan_mode = *mode;
    } else if (key == "ofport_request") {
      auto ofport = parse_decimal(value, kMaxOfport);
      if (!ofport || *ofport == 0) {
        return make_error("ofport_request=" + value + " is not a port number (1.." +
                          std::to_string(kMaxOfport) + ")");
      }
      port.ofport = *ofport;
    } else if (key == "admin") {
      if (value != "up" && value != "down") {
        return make_error("admin=" + value + " is neither up nor down");
      }
      port.admin_up = value == "up";
    } else if (key == "port_no") {
      return make_error("port_no is the datapath's; request a number with ofport_request=N");
    } else if (key == "mtu_request" || key == "mtu") {
      // Open vSwitch's Interface column, and the vport option it becomes.
      const char* other = key == "mtu" ? "mtu_request" : "mtu";
      if (std::find(seen.begin(), seen.end(), other) != seen.end()) {
        return make_error("mtu_request and mtu both set the MTU; give one");
      }
      port.options.emplace_back("mtu", value);
    } else {
      // A vport option, checked by the port type when the port is opened.
      // The spec separates options with ',', so neither part may hold one.
      if (word.find(',') != std::string::npos) {
        return make_error("option '" + word + "' contains ','");
      }
      port.options.emplace_back(key, value);
    }
  }
  if (auto st = check_vlan_settings(port); !st.ok()) return make_error(st.error());
  return port;
}

std::optional<uint16_t> input_vlan(const PortConfig& port, std::optional<uint16_t> vid) {
  // A priority tag (VID 0) says nothing about the VLAN: the frame is untagged.
  const bool untagged = !vid || *vid == 0;
  if (vid && *vid > kMaxVlan) return std::nullopt;
  switch (port.effective_vlan_mode()) {
    case VlanMode::kAccess:
      // Open vSwitch drops every tagged frame here, even one tagged with the
      // port's own VLAN.
      if (!untagged) return std::nullopt;
      return port.tag.value_or(0);
    case VlanMode::kTrunk: {
      const uint16_t vlan = untagged ? 0 : *vid;
      if (!trunks_vlan(port, vlan)) return std::nullopt;
      return vlan;
    }
    case VlanMode::kNativeTagged:
    case VlanMode::kNativeUntagged:
      if (untagged) return port.tag.value_or(0);
      if (!is_native_vlan(port, *vid) && !trunks_vlan(port, *vid)) return std::nullopt;
      return *vid;
  }
  return std::nullopt;
}

bool port_carries_vlan(const PortConfig& port, uint16_t vlan) {
  switch (port.effective_vlan_mode()) {
    case VlanMode::kAccess:
      return is_native_vlan(port, vlan);
    case VlanMode::kTrunk:
      return trunks_vlan(port, vlan);
    case VlanMode::kNativeTagged:
    case VlanMode::kNativeUntagged:
      return is_native_vlan(port, vlan) || trunks_vlan(port, vlan);
  }
  return false;
}

bool output_tagged(const PortConfig& port, uint16_t vlan) {
  // VLAN 0 is "untagged" on every kind of port.
  if (vlan == 0) return false;
  switch (port.effective_vlan_mode()) {
    case VlanMode::kAccess:
      return false;
    case VlanMode::kTrunk:
    case VlanMode::kNativeTagged:
      return true;
    case VlanMode::kNativeUntagged:
      return !is_native_vlan(port, vlan);
  }
  return false;
}

}  // namespace flowpath::ofproto
