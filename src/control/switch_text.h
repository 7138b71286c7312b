// What flowpathd's bridge and underlay queries answer, as text in Open
// vSwitch's layouts: fdb.show as fdb/show, trace as ofproto/trace's ending,
// upcall.show as upcall/show, route.show as ovs/route/show, neigh.show as
// tnl/neigh/show. fpctl prints them; flowpathd answers ovs-appctl with them.
#pragma once

#include <cstdint>
#include <string>

#include "control/json_stream.h"

namespace flowpath::control {

// An OpenFlow port number as Open vSwitch prints it ("LOCAL" for the
// bridge's own port).
std::string ofport_text(uint64_t ofport);

std::string fdb_text(const Json& entries);
std::string trace_text(const Json& trace);
std::string upcall_show_text(const Json& bridges);
std::string route_show_text(const Json& routes);
std::string neighbour_show_text(const Json& neighbours);

}  // namespace flowpath::control
