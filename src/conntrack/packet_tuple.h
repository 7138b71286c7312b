// What conntrack reads from a packet: its connection key (zone, addresses,
// transport identifiers, protocol) and the transport header, checked the
// way a connection tracker must check what it trusts.
//
// A packet conntrack cannot track is "invalid" (+trk+inv), never dropped
// here: not IP, a truncated or malformed IP or transport header, a bad IPv4
// header checksum, an IP fragment (the datapath's ct() reassembles the
// fragments it can before they get here: fragment_store.h), an ICMP type
// that is neither a query nor an error.
// Transport checksums are not verified: packets from veth and tap ports
// routinely carry partial checksums left for offload.
//
// An ICMP or ICMPv6 error is "related": its key is the connection key of
// the packet it quotes, reversed, so that it finds that connection in the
// direction the error travels.
#pragma once

#include <cstdint>

#include "conntrack/connection_key.h"
#include "packet/packet.h"

namespace flowpath::conntrack {

struct PacketTuple {
  ConnectionKey key;
  bool related = false;        // an ICMP error quoting `key`'s connection
  const uint8_t* l4 = nullptr; // the (outer) transport header
  uint32_t l4_length = 0;      // from l4 to the end of the IP packet
};

// The EtherType (host order) of the header at Packet::l3_offset: the
// Ethernet type before it, or an L3 packet type's; 0 when unknown (no L3
// offset, MPLS in between). The fragment store reads it too.
uint16_t l3_ethertype(const Packet& packet);

// Fills *out for `packet` in `zone`; false when conntrack cannot track it.
// Uses Packet::l3_offset (set by key extraction) and the packet type.
bool extract_tuple(const Packet& packet, uint16_t zone, PacketTuple* out);

}  // namespace flowpath::conntrack
