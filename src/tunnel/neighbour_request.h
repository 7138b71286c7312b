// The requests native tunnelling sends when a tunnel's next hop is not in
// the neighbour cache (Open vSwitch's tnl_send_arp_request and
// tnl_send_nd_request): a broadcast ARP request, or an IPv6 neighbour
// solicitation to the target's solicited-node multicast group with the
// sender's link-layer address option. The slow path sends them into the
// bridge as if from the underlay device, and learns the answer by snooping
// (neighbour_cache.h).
#pragma once

#include <cstdint>
#include <vector>

#include "packet/headers.h"
#include "tunnel/route_table.h"

namespace flowpath::tunnel {

// `source` and `target` are IPv4-mapped.
std::vector<uint8_t> compose_arp_request(const EthAddr& mac, const Address& source,
                                         const Address& target);
// `source` and `target` are IPv6 addresses.
std::vector<uint8_t> compose_neighbour_solicitation(const EthAddr& mac, const Address& source,
                                                    const Address& target);

}  // namespace flowpath::tunnel
