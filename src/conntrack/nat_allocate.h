// Choosing the translation of a new connection (Open vSwitch's
// nat_get_unique_tuple, the kernel's nf_nat_setup_info): an address from
// the range and, for TCP, UDP and ICMP queries, a port (an ICMP
// identifier) such that the connection's translated reply key collides
// with no live connection, so that every reply finds its connection.
//
// Source NAT picks the new source address from the range and keeps the
// source port when it is free; otherwise, or with a port range, it walks
// ports from a starting point (the port itself, a hash of the tuple, or a
// random one with `random`), 128 of them in order and then shorter runs
// from random starting points, as Open vSwitch does. Without a port range
// the port stays in its class (1-511, 600-1023, 1024-65535). Destination
// NAT picks the new destination address (and port from its range) and,
// when that tuple is taken, changes the source port as source NAT would.
// Up to 8 addresses of the range are tried. The address comes from a hash
// of the whole tuple (connections spread over the range), of the source
// address alone with `persistent` (a client keeps its address), or at
// random with `random`.
//
// No allocation: a few hundred table lookups at most, only on commit.
#pragma once

#include <cstdint>

#include "conntrack/connection_key.h"
#include "conntrack/nat_range.h"

namespace flowpath::conntrack {

// Whether a live connection holds `key` in either direction.
using KeyInUse = bool (*)(const void* context, const ConnectionKey& key);

// Sets *reply to the reply key of `original` translated by `range` (kind
// kSrc or kDst) and returns true, or returns false when every candidate
// tried is taken (or the range's address family is not the packet's).
bool choose_nat_reply(const ConnectionKey& original, const NatRange& range, uint64_t basis,
                      KeyInUse in_use, const void* context, ConnectionKey* reply);

// The range's number of addresses, capped at 2^32 (an IPv6 range wider
// than that is used from its start), and the address `offset` past min.
uint64_t nat_address_count(const NatRange& range);
void nat_address_at(const NatRange& range, uint64_t offset, uint8_t out[16]);

}  // namespace flowpath::conntrack
