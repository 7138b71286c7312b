// The kernel's routes as Open vSwitch mirrors them (route-table.c): an
// rtnetlink dump (libmnl) of the main and local tables, IPv4 and IPv6,
// unicast and local routes only; a route without a preferred source gets
// the first address of its device in its family. Reads the network
// namespace of the calling thread.
#pragma once

#include <vector>

#include "common/result.h"
#include "tunnel/route_table.h"

namespace flowpath::tunnel {

Result<std::vector<Route>> read_kernel_routes();

}  // namespace flowpath::tunnel
