// What a ct(nat(...)) action asks for, decoded once per batch
// (OVS_CT_ATTR_NAT): source or destination translation, the address and
// port range to pick from, and how to pick (Open vSwitch's flags).
//
// A bare `nat` (kind kNone) translates nothing itself: it applies the
// translation its connection already has to later packets, in their
// direction (an original packet is translated, a reply de-translated). A
// commit with a bare nat records the connection without a translation.
#pragma once

#include <cstdint>

namespace flowpath::conntrack {

struct NatRange {
  enum Kind : uint8_t { kNone = 0, kSrc = 1, kDst = 2 };
  bool present = false;   // the ct() action carries nat
  uint8_t kind = kNone;
  bool has_addresses = false;  // else: keep the address (ports only)
  bool has_ports = false;      // else: keep the port when free
  bool ipv6 = false;           // the addresses' family
  bool persistent = false;     // the address depends on the source address only
  bool hash = false;           // start the port search at a hash of the tuple
  bool random = false;         // start the address and port search at random
  uint8_t min[16] = {}, max[16] = {};  // network order; IPv4 uses 4 bytes
  uint16_t port_min = 0, port_max = 0;  // host order
};

}  // namespace flowpath::conntrack
