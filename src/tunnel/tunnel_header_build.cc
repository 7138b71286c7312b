#include "tunnel/tunnel_header_build.h"

#include <cstring>

#include "packet/byte_order.h"
#include "flow/odp_abi.h"
#include "packet/checksum.h"

namespace flowpath::tunnel {

namespace {
constexpr uint32_t kVxlanFlagVni = 0x08000000;
constexpr uint16_t kGeneveProtocolEthernet = 0x6558;
constexpr uint8_t kIpProtoUdp = 17;
constexpr uint8_t kIpProtoGre = 47;
constexpr uint16_t kGreFlagChecksum = 0x8000;
constexpr uint16_t kGreFlagKey = 0x2000;

// The fields of the outer Ethernet and IP headers.
struct OuterIp {
  EthAddr eth_dst, eth_src;
  Address ip_src, ip_dst;
  uint8_t tos, ttl;
  bool dont_fragment;
  uint8_t proto;
};

// Ethernet and IP, then `l4_length` bytes left zero, which start at *l4.
std::vector<uint8_t> build_outer_ip(const OuterIp& params, size_t l4_length, uint8_t** l4) {
  const bool ipv4 = is_ipv4_mapped(params.ip_dst);
  const size_t l3_length = ipv4 ? sizeof(Ipv4Header) : sizeof(Ipv6Header);
  std::vector<uint8_t> out(sizeof(EthHeader) + l3_length + l4_length, 0);
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
    ip.proto = params.proto;
    std::memcpy(&ip.src, params.ip_src.data() + 12, 4);
    std::memcpy(&ip.dst, params.ip_dst.data() + 12, 4);
    ip.checksum = ipv4_header_checksum(&ip, sizeof ip);
    std::memcpy(p, &ip, sizeof ip);
  } else {
    Ipv6Header ip{};
    ip.version_class_label = hton32(uint32_t{6} << 28 | uint32_t{params.tos} << 20);
    ip.next_header = params.proto;
    ip.hop_limit = params.ttl;
    std::memcpy(ip.src, params.ip_src.data(), 16);
    std::memcpy(ip.dst, params.ip_dst.data(), 16);
    std::memcpy(p, &ip, sizeof ip);
  }
  *l4 = p + l3_length;
  return out;
}

// Ethernet, IP and UDP, then 8 bytes left zero for the tunnel header.
std::vector<uint8_t> build_outer_udp(const VxlanHeaderParams& params) {
  uint8_t* p = nullptr;
  std::vector<uint8_t> out = build_outer_ip(
      OuterIp{params.eth_dst, params.eth_src, params.ip_src, params.ip_dst, params.tos,
              params.ttl, params.dont_fragment, kIpProtoUdp},
      sizeof(UdpHeader) + 8, &p);
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

std::vector<uint8_t> build_gre_header(const GreHeaderParams& params) {
  const size_t gre_length = 4 + (params.checksum ? 4 : 0) + (params.key ? 4 : 0);
  uint8_t* p = nullptr;
  std::vector<uint8_t> out = build_outer_ip(
      OuterIp{params.eth_dst, params.eth_src, params.ip_src, params.ip_dst, params.tos,
              params.ttl, params.dont_fragment, kIpProtoGre},
      gre_length, &p);
  const be16 flags = hton16(static_cast<uint16_t>((params.checksum ? kGreFlagChecksum : 0) |
                                                  (params.key ? kGreFlagKey : 0)));
  const be16 protocol = hton16(kGeneveProtocolEthernet);
  std::memcpy(p, &flags, 2);
  std::memcpy(p + 2, &protocol, 2);
  p += 4;
  if (params.checksum) p += 4;  // checksum and reserved: filled in per packet
  if (params.key) {
    const be32 key = hton32(*params.key);
    std::memcpy(p, &key, 4);
  }
  return out;
}

PortHeader build_port_header(TunnelType type, const VxlanHeaderParams& params, bool gre_checksum,
                             std::optional<uint32_t> gre_key) {
  switch (type) {
    case TunnelType::kVxlan:
      return {build_vxlan_header(params), odp::kVportVxlan};
    case TunnelType::kGeneve:
      return {build_geneve_header(params), odp::kVportGeneve};
    case TunnelType::kGre:
      break;
  }
  const GreHeaderParams gre{params.eth_dst,     params.eth_src, params.ip_src,
                            params.ip_dst,      params.tos,     params.ttl,
                            params.dont_fragment, gre_checksum, gre_key};
  return {build_gre_header(gre), is_ipv4_mapped(params.ip_dst) ? odp::kVportGre : odp::kVportIp6gre};
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
