// Rewriting a packet for NAT (Open vSwitch's nat_packet/un_nat_packet,
// the kernel's nf_nat_manip_pkt): addresses, TCP/UDP ports or an ICMP
// query's identifier, with the IPv4 header checksum and the transport
// checksum updated incrementally (RFC 1624). A checksum the sender left
// partial for offload (packet_offload.h) holds the pseudo-header sum: it
// follows the addresses, not the ports. UDP's zero checksum stays zero.
//
// An ICMP error (+rel) has its outer address and the packet it quotes
// translated (the quoted IP header's checksum, and the quoted transport
// checksum when the quote holds it), and its ICMP checksum computed anew.
#pragma once

#include <cstdint>

#include "conntrack/connection_key.h"
#include "conntrack/packet_tuple.h"
#include "packet/packet.h"

namespace flowpath::conntrack {

// Rewrites the packet `t` was read from so that it carries the addresses
// and ports (identifier) of `want`, a key in the packet's own direction.
void nat_rewrite(Packet& packet, const PacketTuple& t, const ConnectionKey& want);

// For an ICMP error `t`: sets its outer source (`outer_src`) or
// destination address to `address` and the packet it quotes to `quoted`
// (a key in the quoted packet's direction), then its ICMP checksum.
void nat_rewrite_related(Packet& packet, const PacketTuple& t, bool outer_src,
                         const uint8_t address[16], const ConnectionKey& quoted);

}  // namespace flowpath::conntrack
