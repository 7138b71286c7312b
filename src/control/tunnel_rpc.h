// The JSON-RPC methods of native tunnelling's route table, behind fpctl's
// ovs-appctl verbs ovs/route/show, ovs/route/add, ovs/route/del and
// ovs/route/lookup.
//
// Methods (params → result):
//   route.show   {}                                  → {routes: [{text, prefix, dev,
//                                                        gw?, src?, local, user}]}
//   route.add    {prefix: "P/L", dev, gw?, src?}     → {}
//   route.del    {prefix: "P/L"}                     → {}
//   route.lookup {ip}                                → {src, gw, dev}
// route.show and route.lookup read the kernel's routes afresh first (the
// mirror is as new as the last read), so they show what the kernel has now.
#pragma once

#include "control/jsonrpc.h"
#include "tunnel/neighbour_cache.h"
#include "tunnel/route_table.h"

namespace flowpath::control {

void add_tunnel_methods(JsonRpcDispatcher& dispatcher, tunnel::RouteTable& routes);

// The neighbour cache (fpctl tnl/neigh/show, tnl/neigh/flush; tnl/arp/*):
//   neigh.show  {} → {neighbours: [{ip, mac, dev}]}
//   neigh.flush {} → {}
void add_neighbour_methods(JsonRpcDispatcher& dispatcher, tunnel::NeighbourCache& neighbours);

}  // namespace flowpath::control
