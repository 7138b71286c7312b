// A tunnel port's configuration, as ovs-vsctl spells it
// (`options:remote_ip=192.0.2.2 options:key=42 ...`), checked whole: every
// option is named in its error, and options this datapath does not
// implement are refused rather than ignored.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace flowpath::tunnel {

enum class TunnelType : uint8_t { kVxlan, kGeneve, kGre };
std::string_view to_string(TunnelType type);  // "vxlan", "geneve", "gre"
// The IANA UDP port of each: 4789 (VXLAN), 6081 (Geneve); 0 for GRE, which
// is no UDP tunnel.
uint16_t default_dst_port(TunnelType type);
// Is it a UDP tunnel (VXLAN, Geneve), told apart on receive by dst_port?
inline bool is_udp(TunnelType type) { return type != TunnelType::kGre; }

// remote_ip / local_ip: unset, a fixed address, or "flow" (taken from the
// tunnel metadata a flow sets, tun_dst / tun_src).
struct TunnelAddress {
  enum class Kind : uint8_t { kUnset, kFixed, kFlow };
  Kind kind = Kind::kUnset;
  bool ipv6 = false;
  uint8_t bytes[16] = {};  // an IPv4 address in the first 4, network order

  bool fixed() const { return kind == Kind::kFixed; }
  std::string to_string() const;  // "192.0.2.2", "2001:db8::2", "flow", ""
  bool operator==(const TunnelAddress&) const = default;
};

// in_key / out_key: a fixed key (the VNI for VXLAN, GRE's 32-bit key), or
// "flow" (tun_id). `present`: the option was given; a GRE port without one
// sends no key (VXLAN and Geneve always carry their VNI).
struct TunnelKey {
  bool flow = false;
  uint64_t value = 0;
  bool present = false;
  std::string to_string() const;  // "42", "flow"
  bool operator==(const TunnelKey&) const = default;
};

struct TunnelConfig {
  TunnelType type = TunnelType::kVxlan;
  TunnelAddress remote_ip;  // required
  TunnelAddress local_ip;
  TunnelKey in_key;   // key=, or in_key=
  TunnelKey out_key;  // key=, or out_key=
  uint16_t dst_port = 4789;  // default_dst_port(type)
  uint8_t tos = 0;          // DSCP bits only
  bool tos_inherit = false;
  uint8_t ttl = 64;
  bool ttl_inherit = false;
  bool df_default = true;   // set DF on the outer IPv4 header
  bool csum = false;        // outer UDP checksum (GRE: the GRE checksum)

  // The options as ovs-vsctl would show them, in a fixed order, with the
  // defaults left out: "remote_ip=192.0.2.2, key=42".
  std::string format_options() const;
  bool operator==(const TunnelConfig&) const = default;
};

using TunnelOptions = std::map<std::string, std::string, std::less<>>;

// The options of tunnel port `port_name` of `type`. Errors name the port
// and the option: "vxlan port vx0: key=16777216 is not a VNI (0..16777215)
// or flow".
Result<TunnelConfig> parse_tunnel_config(TunnelType type, std::string_view port_name,
                                         const TunnelOptions& options);

}  // namespace flowpath::tunnel
