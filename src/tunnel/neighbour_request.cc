#include "tunnel/neighbour_request.h"

#include <cstring>

#include "packet/byte_order.h"
#include "packet/checksum.h"

namespace flowpath::tunnel {

namespace {

uint8_t* put_eth(std::vector<uint8_t>& out, const EthAddr& dst, const EthAddr& src,
                 uint16_t type) {
  EthHeader eth{};
  eth.dst = dst;
  eth.src = src;
  eth.type = hton16(type);
  std::memcpy(out.data(), &eth, sizeof eth);
  return out.data() + sizeof eth;
}

}  // namespace

std::vector<uint8_t> compose_arp_request(const EthAddr& mac, const Address& source,
                                         const Address& target) {
  // Ethernet, then ARP for IPv4 over Ethernet; padded to the 60-byte minimum.
  std::vector<uint8_t> out(60, 0);
  const EthAddr broadcast{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
  uint8_t* p = put_eth(out, broadcast, mac, ethertype::kArp);
  const uint8_t fixed[8] = {0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01};  // Ethernet, IPv4, request
  std::memcpy(p, fixed, 8);
  std::memcpy(p + 8, mac.bytes, 6);
  std::memcpy(p + 14, source.data() + 12, 4);
  // Target hardware address: zero (unknown).
  std::memcpy(p + 24, target.data() + 12, 4);
  return out;
}

std::vector<uint8_t> compose_neighbour_solicitation(const EthAddr& mac, const Address& source,
                                                    const Address& target) {
  constexpr size_t kIcmpLength = 4 + 4 + 16 + 8;  // header, reserved, target, SLL option
  std::vector<uint8_t> out(sizeof(EthHeader) + sizeof(Ipv6Header) + kIcmpLength, 0);
  // The solicited-node group ff02::1:ffXX:XXXX and its MAC 33:33:ff:XX:XX:XX.
  uint8_t group[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};
  std::memcpy(group + 13, target.data() + 13, 3);
  const EthAddr group_mac{{0x33, 0x33, 0xff, target[13], target[14], target[15]}};
  uint8_t* p = put_eth(out, group_mac, mac, ethertype::kIpv6);

  Ipv6Header ip{};
  ip.version_class_label = hton32(uint32_t{6} << 28);
  ip.payload_length = hton16(static_cast<uint16_t>(kIcmpLength));
  ip.next_header = 58;
  ip.hop_limit = 255;
  std::memcpy(ip.src, source.data(), 16);
  std::memcpy(ip.dst, group, 16);
  std::memcpy(p, &ip, sizeof ip);

  uint8_t* icmp = p + sizeof ip;
  icmp[0] = 135;  // neighbour solicitation
  std::memcpy(icmp + 8, target.data(), 16);
  icmp[24] = 1;  // source link-layer address
  icmp[25] = 1;  // 8 bytes
  std::memcpy(icmp + 26, mac.bytes, 6);
  const be16 checksum = transport_checksum(pseudo_header_ipv6(ip.src, ip.dst, 58, kIcmpLength),
                                           icmp, kIcmpLength, 2);
  std::memcpy(icmp + 2, &checksum, 2);
  return out;
}

}  // namespace flowpath::tunnel
