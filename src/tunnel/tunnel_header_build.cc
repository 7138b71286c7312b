#include "tunnel/tunnel_header_build.h"

#include <cstring>

#include "packet/byte_order.h"
#include "packet/checksum.h"

namespace flowpath::tunnel {

namespace {
constexpr uint32_t kVxlanFlagVni = 0x08000000;
constexpr uint16_t kGeneveProtocolEthernet = 0x6558;

// Ethernet, IP and UDP, then 8 bytes left zero for the tunnel header.
std::vector<uint8_t> build_outer_udp(const VxlanHeaderParams& params) {
  const bool ipv4 = is_ipv4_mapped(params.ip_dst);
  const size_t l3_length = ipv4 ? sizeof(Ipv4Header) : sizeof(Ipv6Header);
  std::vector<uint8_t> out(sizeof(EthHeader) + l3_length + sizeof(UdpHeader) + 8, 0);
  uint8_t* p = out.data();

  EthHeader eth{};
  eth.dst = params.eth_dst;
  eth.src = params.eth_src;
  eth.type = hton16(ipv4 ? ethertype::kIpv4 : ethertype::kIpv6);
  std::memcpy(p, &eth, sizeof eth);
  p += sizeof eth;

  if (ipv4) {
    Ipv4Header ip{};
    ip.version_ihl = 0x45;
    ip.tos = params.tos;
    ip.frag_off = hton16(params.dont_fragment ? 0x4000 : 0);
    ip.ttl = params.ttl;
    ip.proto = 17;
    std::memcpy(&ip.src, params.ip_src.data() + 12, 4);
    std::memcpy(&ip.dst, params.ip_dst.data() + 12, 4);
    ip.checksum = ipv4_header_checksum(&ip, sizeof ip);
    std::memcpy(p, &ip, sizeof ip);
  } else {
    Ipv6Header ip{};
    ip.version_class_label = hton32(uint32_t{6} << 28 | uint32_t{params.tos} << 20);
    ip.next_header = 17;
    ip.hop_limit = params.ttl;
    std::memcpy(ip.src, params.ip_src.data(), 16);
    std::memcpy(ip.dst, params.ip_dst.data(), 16);
    std::memcpy(p, &ip, sizeof ip);
  }
  p += l3_length;

  UdpHeader udp{};
  udp.dst = hton16(params.dst_port);
  if (params.udp_checksum) udp.checksum = be16{0xffff};
  std::memcpy(p, &udp, sizeof udp);
  return out;
}

}  // namespace

std::vector<uint8_t> build_vxlan_header(const VxlanHeaderParams& params) {
  std::vector<uint8_t> out = build_outer_udp(params);
  uint8_t* p = out.data() + out.size() - 8;
  const be32 flags = hton32(kVxlanFlagVni);
  const be32 vni = hton32((params.vni & 0xffffff) << 8);
  std::memcpy(p, &flags, 4);
  std::memcpy(p + 4, &vni, 4);
  return out;
}

std::vector<uint8_t> build_geneve_header(const VxlanHeaderParams& params) {
  std::vector<uint8_t> out = build_outer_udp(params);
  uint8_t* p = out.data() + out.size() - 8;
  // Version 0 and no options (byte 0), O and C clear (byte 1).
  const be16 protocol = hton16(kGeneveProtocolEthernet);
  const be32 vni = hton32((params.vni & 0xffffff) << 8);
  std::memcpy(p + 2, &protocol, 2);
  std::memcpy(p + 4, &vni, 4);
  return out;
}

std::vector<uint8_t> tunnel_push_payload(uint32_t tnl_port, uint32_t out_port, uint32_t tnl_type,
                                         const std::vector<uint8_t>& header) {
  std::vector<uint8_t> out(16 + header.size());
  const uint32_t length = static_cast<uint32_t>(header.size());
  std::memcpy(out.data(), &tnl_port, 4);
  std::memcpy(out.data() + 4, &out_port, 4);
  std::memcpy(out.data() + 8, &length, 4);
  std::memcpy(out.data() + 12, &tnl_type, 4);
  std::memcpy(out.data() + 16, header.data(), header.size());
  return out;
}

}  // namespace flowpath::tunnel
