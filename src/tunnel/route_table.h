// The underlay route table of native tunnelling, as Open vSwitch keeps it
// (ovs/route/show): the kernel's routes mirrored ("Cached", refreshed from
// rtnetlink by route_netlink.h) plus routes an operator added ("User",
// ovs/route/add). A tunnel's outer header is built from the route to its
// remote endpoint: the output device, the next hop (the gateway, or the
// destination itself when on-link) and the source address.
//
// Addresses are kept as 16 bytes; IPv4 is IPv4-mapped (::ffff:a.b.c.d) and
// its prefix length counts from 96, as Open vSwitch keeps them, so one
// longest-prefix match serves both families. Control path only (a mutex
// inside); the slow path caches what it looked up in its megaflows.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace flowpath::tunnel {

using Address = std::array<uint8_t, 16>;

// "192.0.2.1" or "2001:db8::1" to an Address (IPv4 mapped).
std::optional<Address> parse_address(std::string_view text);
// The other way; IPv4-mapped addresses print as IPv4.
std::string format_address(const Address& address);
bool is_ipv4_mapped(const Address& address);

struct Route {
  Address prefix{};          // masked to `prefix_length`
  uint8_t prefix_length = 0; // 0..128 (IPv4: 96..128)
  std::string device;
  std::optional<Address> gateway;
  std::optional<Address> source;  // preferred source address
  bool local = false;        // the kernel's local table: an address of this host
  bool user = false;         // added by ovs/route/add
  uint32_t priority = 0;     // the kernel's metric (lower wins at equal length)

  // Open vSwitch's line: "Cached: 192.0.2.0/24 dev br0 SRC 192.0.2.1",
  // "User: 10.0.0.0/8 dev br0 GW 192.0.2.254 SRC 192.0.2.1",
  // "Cached: 127.0.0.1/32 dev lo SRC 127.0.0.1 local".
  std::string to_string() const;
};

// "192.0.2.0/24" or "2001:db8::/32" to a masked prefix; an error names what
// is wrong (the address, the length, bits set past the length are cleared).
Result<std::pair<Address, uint8_t>> parse_prefix(std::string_view text);

class RouteTable {
 public:
  // Replaces every mirrored (non-user) route.
  void replace_cached(std::vector<Route> routes);
  // ovs/route/add: a user route; refused when one for the same prefix
  // exists already.
  Status add_user(Route route);
  // ovs/route/del: the user route of that prefix.
  Status del_user(const Address& prefix, uint8_t prefix_length);

  // The longest prefix that covers `destination`; at equal length a user
  // route, then the lowest priority value.
  std::optional<Route> lookup(const Address& destination) const;

  // Every route, as ovs/route/show lists them (user routes first, then by
  // prefix length, longest first).
  std::vector<Route> routes() const;

 private:
  mutable std::mutex mutex_;
  std::vector<Route> cached_;
  std::vector<Route> user_;
};

}  // namespace flowpath::tunnel
