// The tunnel header carried by the userspace-only tnl_push action
// (odp::ActionPushTunnel: four host-order u32s, then header_len bytes of
// Ethernet + IPv4/IPv6 + UDP/GRE + tunnel header). Both the validator and the
// text formatter need to know where each part sits and that it is all there;
// this header decodes that once, checking every length.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "common/result.h"
#include "flow/odp_abi.h"
#include "packet/byte_order.h"
#include "packet/headers.h"

namespace flowpath::tunnel_push {

inline constexpr size_t kPrefixLen = 16;  // tnl_port, out_port, header_len, tnl_type
inline constexpr size_t kEthLen = 14;
inline constexpr size_t kIpv4Len = 20;
inline constexpr size_t kIpv6Len = 40;
inline constexpr size_t kUdpLen = 8;
inline constexpr size_t kVxlanLen = 8;
inline constexpr size_t kGeneveLen = 8;
inline constexpr size_t kGtpuLen = 8;
inline constexpr size_t kGreBaseLen = 4;
inline constexpr size_t kErspanBaseLen = 4;
inline constexpr size_t kErspanV1MdLen = 4;
inline constexpr size_t kErspanV2MdLen = 8;

inline constexpr uint16_t kGreCsum = 0x8000;
inline constexpr uint16_t kGreKey = 0x2000;
inline constexpr uint16_t kGreSeq = 0x1000;
inline constexpr uint16_t kErspanV1Proto = 0x88be;
inline constexpr uint16_t kErspanV2Proto = 0x22eb;

inline constexpr uint8_t kGeneveOam = 0x80;
inline constexpr uint8_t kGeneveCritical = 0x40;
inline constexpr uint8_t kGeneveOptLenMask = 0x3f;
inline constexpr uint8_t kGeneveOptionLenMask = 0x1f;  // low bits of an option's 4th byte

struct Layout {
  uint32_t tnl_port = 0;
  uint32_t out_port = 0;
  uint32_t header_len = 0;
  uint32_t tnl_type = 0;
  std::span<const uint8_t> header;  // header_len bytes
  bool ipv6 = false;
  size_t l4 = 0;  // offset in header of the UDP or GRE header
};

inline uint16_t read_be16(std::span<const uint8_t> h, size_t off) {
  return ntoh16(load_unaligned<uint16_t>(h.data() + off));
}
inline uint32_t read_be32(std::span<const uint8_t> h, size_t off) {
  return ntoh32(load_unaligned<uint32_t>(h.data() + off));
}

// Number of 4-byte GRE option words the flags announce.
inline size_t gre_option_words(uint16_t flags) {
  return ((flags & kGreCsum) ? 1 : 0) + ((flags & kGreKey) ? 1 : 0) + ((flags & kGreSeq) ? 1 : 0);
}

inline const char* type_name(uint32_t tnl_type) {
  switch (tnl_type) {
    case odp::kVportGre: return "gre";
    case odp::kVportVxlan: return "vxlan";
    case odp::kVportGeneve: return "geneve";
    case odp::kVportErspan: return "erspan";
    case odp::kVportIp6erspan: return "ip6erspan";
    case odp::kVportIp6gre: return "ip6gre";
    case odp::kVportGtpu: return "gtpu";
    default: return nullptr;
  }
}

namespace detail {
inline Error fail(const std::string& message) { return make_error("tnl_push: " + message); }

inline std::string hex16(uint16_t v) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s = "0x";
  for (int shift = 12; shift >= 0; shift -= 4) s += kDigits[(v >> shift) & 0xf];
  return s;
}

inline Status check_total(uint32_t tnl_type, size_t needed, size_t header_len) {
  if (needed != header_len)
    return fail(std::string(type_name(tnl_type)) + " header is " + std::to_string(needed) +
                " bytes but header_len is " + std::to_string(header_len));
  return Ok{};
}

inline Status check_geneve_options(std::span<const uint8_t> options) {
  size_t off = 0;
  while (off < options.size()) {
    if (options.size() - off < 4)
      return fail("geneve option at byte " + std::to_string(off) + " is truncated");
    size_t len = 4 + 4 * static_cast<size_t>(options[off + 3] & kGeneveOptionLenMask);
    if (len > options.size() - off)
      return fail("geneve option at byte " + std::to_string(off) + " has length " +
                  std::to_string(len) + " but only " + std::to_string(options.size() - off) +
                  " bytes remain");
    off += len;
  }
  return Ok{};
}

// Checks what follows the IP header for `tnl_type`.
inline Status check_tunnel(const Layout& l) {
  std::span<const uint8_t> h = l.header;
  const size_t l4 = l.l4;
  const size_t len = h.size();
  switch (l.tnl_type) {
    case odp::kVportVxlan: return check_total(l.tnl_type, l4 + kUdpLen + kVxlanLen, len);
    case odp::kVportGtpu: return check_total(l.tnl_type, l4 + kUdpLen + kGtpuLen, len);
    case odp::kVportGeneve: {
      if (len < l4 + kUdpLen + kGeneveLen)
        return check_total(l.tnl_type, l4 + kUdpLen + kGeneveLen, len);
      size_t geneve = l4 + kUdpLen;
      size_t opts = 4 * static_cast<size_t>(h[geneve] & kGeneveOptLenMask);
      if (auto st = check_total(l.tnl_type, geneve + kGeneveLen + opts, len); !st.ok()) return st;
      return check_geneve_options(h.subspan(geneve + kGeneveLen, opts));
    }
    case odp::kVportGre:
    case odp::kVportIp6gre: {
      if ((l.tnl_type == odp::kVportGre) == l.ipv6)
        return fail(std::string(type_name(l.tnl_type)) + " needs an " + (l.ipv6 ? "IPv4" : "IPv6") +
                    " outer header");
      if (len < l4 + kGreBaseLen) return check_total(l.tnl_type, l4 + kGreBaseLen, len);
      size_t words = gre_option_words(read_be16(h, l4));
      return check_total(l.tnl_type, l4 + kGreBaseLen + 4 * words, len);
    }
    case odp::kVportErspan:
    case odp::kVportIp6erspan: {
      if ((l.tnl_type == odp::kVportErspan) == l.ipv6)
        return fail(std::string(type_name(l.tnl_type)) + " needs an " + (l.ipv6 ? "IPv4" : "IPv6") +
                    " outer header");
      size_t base = l4 + kGreBaseLen + 4;  // GRE with its sequence number
      if (len < base + kErspanBaseLen) return check_total(l.tnl_type, base + kErspanBaseLen, len);
      if (read_be16(h, l4) != kGreSeq)
        return fail("erspan GRE flags must be 0x1000 (sequence number only)");
      int version = h[base] >> 4;
      uint16_t proto = read_be16(h, l4 + 2);
      if (version == 1 && proto == kErspanV1Proto)
        return check_total(l.tnl_type, base + kErspanBaseLen + kErspanV1MdLen, len);
      if (version == 2 && proto == kErspanV2Proto)
        return check_total(l.tnl_type, base + kErspanBaseLen + kErspanV2MdLen, len);
      return fail("erspan version " + std::to_string(version) + " with GRE protocol " +
                  hex16(proto) + " is not ERSPAN v1 (0x88be) or v2 (0x22eb)");
    }
    default: return fail("tunnel type " + std::to_string(l.tnl_type) + " is not supported");
  }
}
}  // namespace detail

// Splits and checks a tnl_push payload: the prefix, header_len against the
// bytes present, the outer Ethernet/IP headers, and the tunnel header's length
// for the tunnel type.
inline Result<Layout> decode(std::span<const uint8_t> payload) {
  if (payload.size() < kPrefixLen)
    return detail::fail("payload has " + std::to_string(payload.size()) +
                        " bytes, less than the 16-byte prefix");
  Layout l;
  std::memcpy(&l.tnl_port, payload.data(), 4);
  std::memcpy(&l.out_port, payload.data() + 4, 4);
  std::memcpy(&l.header_len, payload.data() + 8, 4);
  std::memcpy(&l.tnl_type, payload.data() + 12, 4);
  if (l.header_len > static_cast<uint32_t>(odp::kTunnelPushHeaderMax))
    return detail::fail("header_len " + std::to_string(l.header_len) + " exceeds " +
                        std::to_string(odp::kTunnelPushHeaderMax));
  if (l.header_len != payload.size() - kPrefixLen)
    return detail::fail("header_len " + std::to_string(l.header_len) + " but " +
                        std::to_string(payload.size() - kPrefixLen) + " header bytes follow");
  if (type_name(l.tnl_type) == nullptr)
    return detail::fail("tunnel type " + std::to_string(l.tnl_type) + " is not supported");
  l.header = payload.subspan(kPrefixLen);
  if (l.header.size() < kEthLen) return detail::fail("header is shorter than an Ethernet header");
  uint16_t eth_type = read_be16(l.header, 12);
  if (eth_type == ethertype::kIpv4) {
    if (l.header.size() < kEthLen + kIpv4Len)
      return detail::fail("header too short for its IPv4 header");
    if (l.header[kEthLen] != 0x45)
      return detail::fail("IPv4 header must be version 4 with a 20-byte header (0x45)");
    l.l4 = kEthLen + kIpv4Len;
  } else if (eth_type == ethertype::kIpv6) {
    if (l.header.size() < kEthLen + kIpv6Len)
      return detail::fail("header too short for its IPv6 header");
    if ((l.header[kEthLen] >> 4) != 6) return detail::fail("IPv6 header is not version 6");
    l.ipv6 = true;
    l.l4 = kEthLen + kIpv6Len;
  } else {
    return detail::fail("outer EtherType " + detail::hex16(eth_type) + " is not IPv4 or IPv6");
  }
  if (auto st = detail::check_tunnel(l); !st.ok()) return Error{st.error()};
  return l;
}

}  // namespace flowpath::tunnel_push
