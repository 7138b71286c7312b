// Tunnel metadata: the outer header of a packet that arrived through a tunnel
// port, or the header a set(tunnel(...)) action asks a tunnel port to push.
// The same layout is embedded in FlowKey so extraction is a plain copy.
#pragma once

#include <cstdint>
#include <cstring>

#include "packet/byte_order.h"

namespace flowpath {

// Tunnel flags (host order), the values Open vSwitch uses for FLOW_TNL_F_*.
enum TunnelFlags : uint16_t {
  kTunnelFlagOam = 1 << 0,
  kTunnelFlagDontFragment = 1 << 1,
  kTunnelFlagCsum = 1 << 2,
  kTunnelFlagKey = 1 << 3,
};

struct TunnelMetadata {
  be64 tun_id;
  be32 ipv4_src;
  be32 ipv4_dst;
  uint8_t ipv6_src[16];
  uint8_t ipv6_dst[16];
  be16 tp_src;
  be16 tp_dst;
  uint16_t flags;          // TunnelFlags
  uint8_t tos;
  uint8_t ttl;
  be16 gbp_id;             // VXLAN group policy
  uint8_t gbp_flags;
  uint8_t geneve_length;   // bytes of Geneve options (0..kGeneveMaxLength), multiple of 4
  int8_t erspan_version;   // 0: no ERSPAN options, else 1 or 2
  uint8_t erspan_dir;      // v2
  uint8_t erspan_hwid;     // v2, 6 bits
  uint8_t gtpu_flags;
  be32 erspan_index;       // v1, 20 bits
  uint8_t gtpu_msgtype;
  uint8_t pad[3];

  // A packet has tunnel metadata when an outer destination is known.
  bool present() const {
    if (ipv4_dst != 0) return true;
    static constexpr uint8_t kZero[16] = {};
    return std::memcmp(ipv6_dst, kZero, 16) != 0;
  }
};
static_assert(sizeof(TunnelMetadata) == 72);

// Geneve options as they appear on the wire (class, type, length, data...).
// Kept outside TunnelMetadata because they are large and rarely present.
inline constexpr int kGeneveMaxLength = 252;

}  // namespace flowpath
