#include "conntrack/connection_key.h"

#include <algorithm>

namespace flowpath::conntrack {

uint8_t icmp_reply_type(uint8_t type, bool ipv6) {
  if (ipv6) {
    switch (type) {
      case 128: return 129;  // echo request / reply
      case 129: return 128;
      case 139: return 140;  // node information query / response
      case 140: return 139;
      default: return 0xff;
    }
  }
  switch (type) {
    case 8: return 0;    // echo
    case 0: return 8;
    case 13: return 14;  // timestamp
    case 14: return 13;
    case 15: return 16;  // information
    case 16: return 15;
    case 17: return 18;  // address mask
    case 18: return 17;
    default: return 0xff;
  }
}

ConnectionKey reverse(const ConnectionKey& key) {
  ConnectionKey r = key;
  std::copy(key.dst, key.dst + 16, r.src);
  std::copy(key.src, key.src + 16, r.dst);
  if (key.is_icmp()) {
    uint8_t type = icmp_reply_type(key.icmp_type(), key.ipv6 != 0);
    r.dst_port = static_cast<be16>(type << 8 | key.icmp_code());
  } else {
    r.src_port = key.dst_port;
    r.dst_port = key.src_port;
  }
  return r;
}

}  // namespace flowpath::conntrack
