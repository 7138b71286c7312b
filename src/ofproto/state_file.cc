// The state file: SwitchState as TOML. Reading goes through toml++ and then
// parse_port_settings(), so a hand-edited port is checked exactly like an
// add-port command; writing is our own, to keep the keys in a readable order.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>
#include <string_view>

#include <toml++/toml.h>

#include "ofproto/bridge_config.h"

namespace flowpath::ofproto {

namespace {

constexpr std::string_view kHeader =
    "# flowpath switch state: bridges, their ports, OpenFlow rules, groups and meters.\n"
    "# Written by flowpathd whenever the configuration changes, and read when it\n"
    "# starts. Edit it only while flowpathd is stopped: the next change overwrites it.\n";

constexpr int64_t kMaxOfport = 1023;
constexpr int64_t kMaxVlan = 4095;
constexpr VlanMode kVlanModes[] = {VlanMode::kTrunk, VlanMode::kAccess, VlanMode::kNativeTagged,
                                   VlanMode::kNativeUntagged};

// The keys parse_port_settings() reads as port settings rather than vport
// options; the state file gives them as keys of the port instead.
constexpr std::string_view kSettingKeys[] = {"type",           "tag",   "trunks", "vlan_mode",
                                             "ofport_request", "admin", "port_no"};

bool is_setting_key(std::string_view key) {
  for (std::string_view setting : kSettingKeys) {
    if (setting == key) return true;
  }
  return false;
}

std::string errno_text(int error) { return std::strerror(error); }

// ---------------------------------------------------------------------------
// Checks shared by saving and loading: whatever save writes, load accepts.

// TOML text is UTF-8; a string that is not cannot be written.
bool is_valid_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    size_t length;
    uint32_t code;
    if (byte < 0x80) {
      ++i;
      continue;
    } else if ((byte & 0xe0) == 0xc0) {
      length = 2;
      code = byte & 0x1f;
    } else if ((byte & 0xf0) == 0xe0) {
      length = 3;
      code = byte & 0x0f;
    } else if ((byte & 0xf8) == 0xf0) {
      length = 4;
      code = byte & 0x07;
    } else {
      return false;
    }
    if (text.size() - i < length) return false;
    for (size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code = (code << 6) | (next & 0x3f);
    }
    static constexpr uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kSmallest[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
      return false;
    }
    i += length;
  }
  return true;
}

// The add-port words that give `port`'s settings.
std::vector<std::string> port_words(const PortConfig& port) {
  std::vector<std::string> words;
  words.push_back("type=" + port.type);
  if (port.tag) words.push_back("tag=" + std::to_string(*port.tag));
  if (!port.trunks.empty()) {
    std::string trunks = "trunks=";
    for (size_t i = 0; i < port.trunks.size(); ++i) {
      if (i != 0) trunks += ',';
      trunks += std::to_string(port.trunks[i]);
    }
    words.push_back(std::move(trunks));
  }
  if (port.vlan_mode) words.push_back("vlan_mode=" + std::string(to_string(*port.vlan_mode)));
  if (port.ofport != 0) words.push_back("ofport_request=" + std::to_string(port.ofport));
  words.push_back(port.admin_up ? "admin=up" : "admin=down");
  for (const auto& [key, value] : port.options) words.push_back(key + "=" + value);
  return words;
}

// Checks the option keys, then the rest as parse_port_settings() does;
// returns the port as that parser leaves it (trunks sorted, type canonical).
Result<PortConfig> check_port(const PortConfig& port) {
  std::set<std::string_view> keys;
  for (const auto& [key, value] : port.options) {
    if (key.empty()) return make_error("an option has an empty key");
    if (key.find_first_of(",=") != std::string::npos) {
      return make_error("option key '" + key + "' contains ',' or '='");
    }
    if (is_setting_key(key)) {
      return make_error("'" + key + "' is a port setting, not a vport option");
    }
    if (!keys.insert(key).second) return make_error("option '" + key + "' is given twice");
  }
  if (port.ofport > kMaxOfport) {
    return make_error("ofport " + std::to_string(port.ofport) + " is out of range (0.." +
                      std::to_string(kMaxOfport) + ", 0 for the lowest free number)");
  }
  return parse_port_settings(port.name, port_words(port));
}

// Names unique across the whole switch: an interface can be on one bridge
// only, and each bridge's local port is an interface named after the bridge.
// OpenFlow port numbers are unique per bridge.
Status check_unique_names(const SwitchState& state) {
  std::set<std::string_view> bridges, ports;
  for (const BridgeConfig& bridge : state.bridges) {
    if (!bridges.insert(bridge.name).second) {
      return make_error("bridge " + bridge.name + " appears twice");
    }
  }
  for (const BridgeConfig& bridge : state.bridges) {
    std::set<uint32_t> ofports;
    for (const PortConfig& port : bridge.ports) {
      const std::string where = "bridge " + bridge.name + ": port " + port.name;
      if (bridges.count(port.name) != 0) {
        return make_error(where + " has the name of bridge " + port.name + "'s local port");
      }
      if (!ports.insert(port.name).second) return make_error(where + " appears twice in the state");
      if (port.ofport != 0 && !ofports.insert(port.ofport).second) {
        return make_error(where + ": ofport " + std::to_string(port.ofport) +
                          " is already another port's");
      }
    }
  }
  return Ok{};
}

// ---------------------------------------------------------------------------
// Writing.

void append_string(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned char>(c));
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void append_key(std::string& out, std::string_view key) {
  const bool bare = !key.empty() && key.find_first_not_of(
                                        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                        "0123456789_-") == std::string_view::npos;
  if (bare) {
    out += key;
  } else {
    append_string(out, key);
  }
}

void append_string_array(std::string& out, std::string_view key,
                         const std::vector<std::string>& items) {
  out += key;
  if (items.empty()) {
    out += " = []\n";
    return;
  }
  out += " = [\n";
  for (const std::string& item : items) {
    out += "  ";
    append_string(out, item);
    out += ",\n";
  }
  out += "]\n";
}

// The first string of the state that is not UTF-8, described; empty if none.
std::string find_invalid_utf8(const SwitchState& state) {
  for (const BridgeConfig& bridge : state.bridges) {
    const std::string where = "bridge " + bridge.name;
    if (!is_valid_utf8(bridge.name)) return "a bridge name";
    for (const auto* list : {&bridge.flows, &bridge.groups, &bridge.meters,
                             &bridge.controllers.targets}) {
      for (const std::string& item : *list) {
        if (!is_valid_utf8(item)) return where + ": '" + item + "'";
      }
    }
    for (const PortConfig& port : bridge.ports) {
      if (!is_valid_utf8(port.name)) return where + ": a port name";
      for (const auto& [key, value] : port.options) {
        if (!is_valid_utf8(key) || !is_valid_utf8(value)) {
          return where + ": port " + port.name + ": option " + key;
        }
      }
    }
  }
  return {};
}

Result<std::string> format_state(const SwitchState& state) {
  if (std::string bad = find_invalid_utf8(state); !bad.empty()) {
    return make_error(bad + " is not valid UTF-8");
  }
  if (auto st = check_unique_names(state); !st.ok()) return make_error(st.error());
  std::string out(kHeader);
  for (const BridgeConfig& bridge : state.bridges) {
    if (bridge.name.empty()) return make_error("a bridge has an empty name");
    out += "\n[[bridge]]\nname = ";
    append_string(out, bridge.name);
    // TOML integers are signed 64-bit; no table gets near the limit, so a
    // larger "unlimited" size is kept as the largest TOML can hold.
    const uint64_t table_size = std::min<uint64_t>(bridge.mac_table_size, INT64_MAX);
    out += "\nmac_table_size = " + std::to_string(table_size);
    out += "\nmac_aging_seconds = " + std::to_string(bridge.mac_aging_seconds);
    out += "\nmax_idle_ms = " + std::to_string(bridge.max_idle_ms) + "\n";
    const auto& dp = bridge.datapath;
    if (dp.vlan_limit) out += "vlan_limit = " + std::to_string(*dp.vlan_limit) + "\n";
    if (dp.flow_limit) out += "flow_limit = " + std::to_string(std::min<uint64_t>(*dp.flow_limit, INT64_MAX)) + "\n";
    if (dp.upcall_rate) out += "upcall_rate = " + std::to_string(std::min<uint64_t>(*dp.upcall_rate, INT64_MAX)) + "\n";
    if (dp.emc) out += *dp.emc ? "emc = true\n" : "emc = false\n";
    if (dp.emc_insert_inv_prob)
      out += "emc_insert_inv_prob = " + std::to_string(*dp.emc_insert_inv_prob) + "\n";
    append_string_array(out, "flows", bridge.flows);
    append_string_array(out, "groups", bridge.groups);
    append_string_array(out, "meters", bridge.meters);
    if (!bridge.controllers.targets.empty()) {
      append_string_array(out, "controllers", bridge.controllers.targets);
      out += "controller_inactivity_probe_ms = " +
             std::to_string(bridge.controllers.inactivity_probe_ms) + "\n";
      out += "controller_max_backoff_ms = " + std::to_string(bridge.controllers.max_backoff_ms) +
             "\n";
    }
    if (bridge.fail_mode) out += "fail_mode = \"" + std::string(to_string(*bridge.fail_mode)) + "\"\n";
    for (const PortConfig& port : bridge.ports) {
      auto checked = check_port(port);
      if (!checked) {
        return make_error("bridge " + bridge.name + ": port " + port.name + ": " +
                          checked.error());
      }
      out += "\n[[bridge.port]]\nname = ";
      append_string(out, port.name);
      out += "\ntype = ";
      append_string(out, port.type);
      out += "\nofport = " + std::to_string(port.ofport);
      if (port.tag) out += "\ntag = " + std::to_string(*port.tag);
      out += "\ntrunks = [";
      for (size_t i = 0; i < port.trunks.size(); ++i) {
        if (i != 0) out += ", ";
        out += std::to_string(port.trunks[i]);
      }
      out += "]";
      if (port.vlan_mode) {
        out += "\nvlan_mode = ";
        append_string(out, to_string(*port.vlan_mode));
      }
      out += port.admin_up ? "\nadmin_up = true" : "\nadmin_up = false";
      out += "\noptions = {";
      for (size_t i = 0; i < port.options.size(); ++i) {
        out += i == 0 ? " " : ", ";
        append_key(out, port.options[i].first);
        out += " = ";
        append_string(out, port.options[i].second);
      }
      out += port.options.empty() ? "}\n" : " }\n";
    }
  }
  return out;
}

// Writes PATH.tmp, flushes it to disk, then renames it over PATH: a reader
// or a crash sees the old file or the new one, never a mix.
Status write_file_atomically(const std::string& path, std::string_view text) {
  namespace fs = std::filesystem;
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code error;
    fs::create_directories(parent, error);
    if (error) {
      return make_error("cannot create directory " + parent.string() + ": " + error.message());
    }
  }
  const std::string tmp = path + ".tmp";
  // A crash may have left a temporary file behind; start afresh so the new
  // one surely gets mode 0600.
  if (::unlink(tmp.c_str()) != 0 && errno != ENOENT) {
    return make_error("cannot remove stale " + tmp + ": " + errno_text(errno));
  }
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return make_error("cannot create " + tmp + ": " + errno_text(errno));
  auto fail = [&](const std::string& what, int error) -> Status {
    ::close(fd);
    ::unlink(tmp.c_str());
    return make_error(what + " " + tmp + ": " + errno_text(error));
  };
  for (size_t written = 0; written < text.size();) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write", errno);
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("cannot flush", errno);
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(tmp.c_str());
    return make_error("cannot write " + tmp + ": " + errno_text(error));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(tmp.c_str());
    return make_error("cannot rename " + tmp + " to " + path + ": " + errno_text(error));
  }
  // Make the rename itself durable: until the directory is on disk, a power
  // cut may bring back the old file. (File systems that cannot sync a
  // directory say EINVAL; their renames are as durable as they get.)
  const std::string directory = parent.empty() ? "." : parent.string();
  const int dir = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return make_error("cannot open directory " + directory + ": " + errno_text(errno));
  const int synced = ::fsync(dir);
  const int sync_error = errno;
  ::close(dir);
  if (synced != 0 && sync_error != EINVAL) {
    return make_error("cannot flush directory " + directory + ": " + errno_text(sync_error));
  }
  return Ok{};
}

// ---------------------------------------------------------------------------
// Reading.

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

// Turns a TOML document into a SwitchState; every error names the file,
// line and column, and the bridge and port it is in.
class StateReader {
 public:
  explicit StateReader(std::string path) : path_(std::move(path)) {}

  Result<SwitchState> read(const toml::table& root) {
    SwitchState state;
    for (const auto& [key, node] : root) {
      if (key.str() != "bridge") {
        return error_at(key.source(), "unknown key '" + std::string(key.str()) + "'");
      }
      const toml::array* bridges = node.as_array();
      if (bridges == nullptr || !bridges->is_array_of_tables()) {
        return error_at(node.source(), "'bridge' must be tables ([[bridge]]), not " +
                                           std::string(type_name(node)));
      }
      for (const toml::node& entry : *bridges) {
        auto bridge = read_bridge(*entry.as_table());
        if (!bridge) return make_error(bridge.error());
        state.bridges.push_back(std::move(*bridge));
      }
    }
    if (auto st = check_unique_names(state); !st.ok()) {
      return make_error("state file " + path_ + ": " + st.error());
    }
    return state;
  }

 private:
  Error error_at(const toml::source_region& where, const std::string& message) const {
    return make_error("state file " + path_ + ":" + std::to_string(where.begin.line) + ":" +
                      std::to_string(where.begin.column) + ": " + context_ + message);
  }

  Error wrong_type(const toml::key& key, const toml::node& node, std::string_view expected) const {
    return error_at(node.source(), "'" + std::string(key.str()) + "' must be " +
                                       std::string(expected) + ", not " +
                                       std::string(type_name(node)));
  }

  Result<std::string> get_string(const toml::key& key, const toml::node& node) const {
    if (const auto* value = node.as_string()) return value->get();
    return wrong_type(key, node, "a string");
  }

  Result<uint64_t> get_unsigned(const toml::key& key, const toml::node& node, uint64_t max) const {
    const auto* value = node.as_integer();
    if (value == nullptr) return wrong_type(key, node, "an integer");
    const int64_t n = value->get();
    if (n < 0 || static_cast<uint64_t>(n) > max) {
      return error_at(node.source(), "'" + std::string(key.str()) + "' = " + std::to_string(n) +
                                         " is out of range (0.." + std::to_string(max) + ")");
    }
    return static_cast<uint64_t>(n);
  }

  Result<std::vector<std::string>> get_string_list(const toml::key& key,
                                                   const toml::node& node) const {
    const toml::array* array = node.as_array();
    if (array == nullptr) return wrong_type(key, node, "an array of strings");
    std::vector<std::string> out;
    for (const toml::node& item : *array) {
      const auto* text = item.as_string();
      if (text == nullptr) {
        return error_at(item.source(), "'" + std::string(key.str()) + "' must hold strings, not " +
                                           std::string(type_name(item)));
      }
      out.push_back(text->get());
    }
    return out;
  }

  Result<BridgeConfig> read_bridge(const toml::table& table) {
    context_.clear();
    const toml::node* name = table.get("name");
    if (name == nullptr) return error_at(table.source(), "a bridge has no 'name'");
    auto name_text = get_string(toml::key("name"), *name);
    if (!name_text) return make_error(name_text.error());
    if (name_text->empty()) return error_at(name->source(), "a bridge has an empty 'name'");
    BridgeConfig bridge;
    bridge.name = *name_text;
    context_ = "bridge " + bridge.name + ": ";

    const toml::array* ports = nullptr;
    for (const auto& [key, node] : table) {
      const std::string k(key.str());
      if (k == "name") continue;
      if (k == "mac_table_size") {
        auto value = get_unsigned(key, node, INT64_MAX);
        if (!value) return make_error(value.error());
        bridge.mac_table_size = static_cast<size_t>(*value);
      } else if (k == "mac_aging_seconds" || k == "max_idle_ms") {
        auto value = get_unsigned(key, node, UINT32_MAX);
        if (!value) return make_error(value.error());
        (k == "max_idle_ms" ? bridge.max_idle_ms : bridge.mac_aging_seconds) =
            static_cast<uint32_t>(*value);
      } else if (k == "vlan_limit") {
        auto value = get_unsigned(key, node, UINT32_MAX);
        if (!value) return make_error(value.error());
        bridge.datapath.vlan_limit = static_cast<uint32_t>(*value);
      } else if (k == "emc_insert_inv_prob") {
        auto value = get_unsigned(key, node, UINT32_MAX);
        if (!value) return make_error(value.error());
        bridge.datapath.emc_insert_inv_prob = static_cast<uint32_t>(*value);
      } else if (k == "flow_limit" || k == "upcall_rate") {
        auto value = get_unsigned(key, node, INT64_MAX);
        if (!value) return make_error(value.error());
        (k == "flow_limit" ? bridge.datapath.flow_limit : bridge.datapath.upcall_rate) =
            static_cast<uint64_t>(*value);
      } else if (k == "emc") {
        const auto* flag = node.as_boolean();
        if (flag == nullptr) return wrong_type(key, node, "true or false");
        bridge.datapath.emc = flag->get();
      } else if (k == "flows" || k == "groups" || k == "meters") {
        auto list = get_string_list(key, node);
        if (!list) return make_error(list.error());
        (k == "flows" ? bridge.flows : k == "groups" ? bridge.groups : bridge.meters) =
            std::move(*list);
      } else if (k == "controllers") {
        auto list = get_string_list(key, node);
        if (!list) return make_error(list.error());
        bridge.controllers.targets = std::move(*list);
      } else if (k == "controller_inactivity_probe_ms" || k == "controller_max_backoff_ms") {
        auto value = get_unsigned(key, node, UINT32_MAX);
        if (!value) return make_error(value.error());
        (k == "controller_max_backoff_ms" ? bridge.controllers.max_backoff_ms
                                          : bridge.controllers.inactivity_probe_ms) =
            static_cast<uint32_t>(*value);
      } else if (k == "fail_mode") {
        auto text = get_string(key, node);
        if (!text) return make_error(text.error());
        auto mode = parse_fail_mode(*text);
        if (!mode) return error_at(node.source(), "'fail_mode' must be \"standalone\" or \"secure\", not \"" + *text + "\"");
        bridge.fail_mode = *mode;
      } else if (k == "port") {
        ports = node.as_array();
        if (ports == nullptr || !ports->is_array_of_tables()) {
          return error_at(node.source(), "'port' must be tables ([[bridge.port]]), not " +
                                             std::string(type_name(node)));
        }
      } else {
        return error_at(key.source(), "unknown key '" + k + "'");
      }
    }
    if (ports != nullptr) {
      for (const toml::node& entry : *ports) {
        auto port = read_port(*entry.as_table());
        if (!port) return make_error(port.error());
        bridge.ports.push_back(std::move(*port));
      }
    }
    return bridge;
  }

  Result<PortConfig> read_port(const toml::table& table) {
    const std::string bridge_context = context_;
    const toml::node* name = table.get("name");
    if (name == nullptr) return error_at(table.source(), "a port has no 'name'");
    auto name_text = get_string(toml::key("name"), *name);
    if (!name_text) return make_error(name_text.error());
    PortConfig port;
    port.name = *name_text;
    context_ = bridge_context + "port " + port.name + ": ";

    for (const auto& [key, node] : table) {
      const std::string k(key.str());
      if (k == "name") continue;
      if (k == "type") {
        auto type = get_string(key, node);
        if (!type) return make_error(type.error());
        port.type = *type;
      } else if (k == "ofport") {
        auto ofport = get_unsigned(key, node, kMaxOfport);
        if (!ofport) return make_error(ofport.error());
        port.ofport = static_cast<uint32_t>(*ofport);
      } else if (k == "tag") {
        auto tag = get_unsigned(key, node, kMaxVlan);
        if (!tag) return make_error(tag.error());
        port.tag = static_cast<uint16_t>(*tag);
      } else if (k == "trunks") {
        const toml::array* trunks = node.as_array();
        if (trunks == nullptr) return wrong_type(key, node, "an array of VLAN IDs");
        for (const toml::node& item : *trunks) {
          auto vlan = get_unsigned(key, item, kMaxVlan);
          if (!vlan) return make_error(vlan.error());
          port.trunks.push_back(static_cast<uint16_t>(*vlan));
        }
      } else if (k == "vlan_mode") {
        auto mode = get_string(key, node);
        if (!mode) return make_error(mode.error());
        for (VlanMode candidate : kVlanModes) {
          if (to_string(candidate) == *mode) port.vlan_mode = candidate;
        }
        if (!port.vlan_mode) {
          return error_at(node.source(), "vlan_mode '" + *mode +
                                             "' is not one of access, trunk, native-tagged, "
                                             "native-untagged");
        }
      } else if (k == "admin_up") {
        const auto* up = node.as_boolean();
        if (up == nullptr) return wrong_type(key, node, "true or false");
        port.admin_up = up->get();
      } else if (k == "options") {
        auto options = read_options(key, node);
        if (!options) return make_error(options.error());
        port.options = std::move(*options);
      } else {
        return error_at(key.source(), "unknown key '" + k + "'");
      }
    }
    auto checked = check_port(port);
    context_ = bridge_context;
    if (!checked) {
      return error_at(table.source(), "port " + port.name + ": " + checked.error());
    }
    return std::move(*checked);
  }

  Result<std::vector<std::pair<std::string, std::string>>> read_options(
      const toml::key& key, const toml::node& node) const {
    const toml::table* table = node.as_table();
    if (table == nullptr) return wrong_type(key, node, "a table of strings");
    // toml++ keeps keys sorted; the file's order is the order they were
    // given in, which the vport spec keeps.
    std::vector<std::pair<const toml::key*, const toml::node*>> entries;
    for (const auto& [option, value] : *table) entries.emplace_back(&option, &value);
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
      const auto& pa = a.first->source().begin;
      const auto& pb = b.first->source().begin;
      return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
    });
    std::vector<std::pair<std::string, std::string>> options;
    for (const auto& [option, value] : entries) {
      const auto* text = value->as_string();
      if (text == nullptr) {
        return error_at(value->source(), "option '" + std::string(option->str()) +
                                             "' must be a string, not " +
                                             std::string(type_name(*value)));
      }
      options.emplace_back(std::string(option->str()), text->get());
    }
    return options;
  }

  std::string path_;
  std::string context_;  // "bridge B: port P: " while reading inside them
};

// The whole file; nullopt when it does not exist.
Result<std::optional<std::string>> read_whole_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return make_error("cannot open state file " + path + ": " + errno_text(errno));
  }
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      return make_error("cannot read state file " + path + ": " + errno_text(error));
    }
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return std::optional<std::string>(std::move(text));
}

}  // namespace

Result<std::string> format_state_text(const SwitchState& state) { return format_state(state); }

Result<SwitchState> parse_state_text(std::string_view text, const std::string& source) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& error) {
    const toml::source_position& where = error.source().begin;
    return make_error("state file " + source + ":" + std::to_string(where.line) + ":" +
                      std::to_string(where.column) + ": " + std::string(error.description()));
  }
  return StateReader(source).read(root);
}

Result<SwitchState> load_state_file(const std::string& path) {
  auto text = read_whole_file(path);
  if (!text) return make_error(text.error());
  if (!*text) return SwitchState{};
  return parse_state_text(**text, path);
}

Result<bool> remove_stale_temporary(const std::string& path) {
  const std::string tmp = path + ".tmp";
  if (::unlink(tmp.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  return make_error("cannot remove " + tmp + ", left by an interrupted save: " + errno_text(errno));
}

Status save_state_file(const std::string& path, const SwitchState& state) {
  if (path.empty()) return make_error("the state file path is empty");
  auto text = format_state(state);
  if (!text) return make_error("cannot save state to " + path + ": " + text.error());
  return write_file_atomically(path, *text);
}

}  // namespace flowpath::ofproto
