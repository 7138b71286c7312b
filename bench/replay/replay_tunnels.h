// Native tunnelling for flowpath-replay: tunnel ports, the underlay's routes,
// neighbours and device addresses, and the one job of the slow path that the
// replay needs (it installs datapath flows itself, with no translation): an
// output to a tunnel port in the flows file is replaced by what Open
// vSwitch's translation emits for it, tnl_push of the outer header built from
// the route to the port's remote end and the next hop's Ethernet address,
// then an output to the route's device (`native_tunnel_output` in OVS,
// XlateContext::tunnel_output in flowpath). A tnl_pop(port) in the flows file
// needs nothing more than the tunnel port.
//
//   --tunnel-port 3=vx0,type=vxlan,remote_ip=172.31.1.2,key=42   (fpctl add-if's spec)
//   --route "172.31.1.0/24 null src=172.31.1.1"                   (ovs/route/add's words)
//   --neighbour "null 172.31.1.2 02:00:00:00:00:02"               (tnl/arp/set's words)
//   --port-mac null=02:00:00:00:00:01                             (the device's own address)
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "packet/headers.h"
#include "tunnel/neighbour_cache.h"
#include "tunnel/route_table.h"

namespace flowpath {

class Datapath;

// "N=IFACE,type=vxlan|geneve|gre,OPTION=VALUE,...": adds tunnel port N to `dp`.
Status add_tunnel_port(Datapath& dp, std::string_view text);

class ReplayUnderlay {
 public:
  // "PREFIX DEVICE [GATEWAY] [src=ADDRESS]", as ovs-appctl ovs/route/add.
  Status add_route(std::string_view text);
  // "DEVICE ADDRESS MAC", as ovs-appctl tnl/arp/set.
  Status add_neighbour(std::string_view text);
  // "DEVICE=MAC": the Ethernet address of an underlay device (a port's name).
  Status set_device_mac(std::string_view text);

  // `actions` (Netlink) with every output to a tunnel port of `dp` replaced
  // by tnl_push(...) and an output to the port named by the route's device.
  // Errors say what could not be resolved (no route, no neighbour, ...).
  Result<std::vector<uint8_t>> resolve_tunnel_outputs(Datapath& dp,
                                                      std::span<const uint8_t> actions) const;

 private:
  Result<std::vector<uint8_t>> tunnel_push(Datapath& dp, uint32_t tunnel_port) const;

  tunnel::RouteTable routes_;
  tunnel::NeighbourCache neighbours_;
  std::map<std::string, EthAddr, std::less<>> device_macs_;
};

}  // namespace flowpath
