// Large rule sets for the classifier's scale test and benchmark: N rules in
// ovs-ofctl syntax spread evenly over 20 masks of the kinds OpenFlow tables
// hold (IPv4/IPv6 prefixes, ACL 5-tuples, MACs, VLANs, ARP, registers,
// metadata, ICMP), every rule distinct. bench/gen_rules.py writes the same
// set as a file for ovs-ofctl and fpctl.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace flowpath::ofproto::test {

inline constexpr int kRuleSetMasks = 20;

inline std::string rule_set_ip4(uint32_t a) {
  char text[16];
  std::snprintf(text, sizeof text, "%u.%u.%u.%u", a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255);
  return text;
}

inline std::string rule_set_mac(uint64_t m) {
  char text[18];
  std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", static_cast<unsigned>(m >> 40 & 255),
                static_cast<unsigned>(m >> 32 & 255), static_cast<unsigned>(m >> 24 & 255),
                static_cast<unsigned>(m >> 16 & 255), static_cast<unsigned>(m >> 8 & 255),
                static_cast<unsigned>(m & 255));
  return text;
}

inline std::string rule_set_ip6(uint32_t hi, uint32_t lo) {
  char text[48];
  std::snprintf(text, sizeof text, "2001:db8:%x:%x::%x", hi >> 16, hi & 0xffff, lo);
  return text;
}

// Rule `i` of the set (0 <= i < 65536 * kRuleSetMasks): its mask is i %
// kRuleSetMasks, its values come from i / kRuleSetMasks.
inline std::string rule_set_line(uint32_t i) {
  uint32_t n = i / kRuleSetMasks;        // 0..65535
  uint32_t a = 0x0a000000 | n << 4;      // 10.x.y.z, distinct per n
  uint32_t port = 1024 + n % 60000;
  std::string p = std::to_string(n);
  std::string m;
  switch (i % kRuleSetMasks) {
    case 0: m = "priority=1000,ip,nw_dst=" + rule_set_ip4(a); break;
    case 1: m = "priority=900,ip,nw_dst=" + rule_set_ip4(0x0b000000 | n << 8) + "/24"; break;
    case 2: m = "priority=800,ip,nw_dst=" + rule_set_ip4((0x0c00 + n) << 16 & 0xffffffff) + "/16"; break;
    case 3: m = "priority=1000,ip,nw_src=" + rule_set_ip4(a); break;
    case 4: m = "priority=2000,tcp,nw_dst=" + rule_set_ip4(a) + ",tp_dst=" + std::to_string(port); break;
    case 5: m = "priority=2000,udp,nw_dst=" + rule_set_ip4(a) + ",tp_src=" + std::to_string(port); break;
    case 6: m = "priority=1900,tcp,nw_src=" + rule_set_ip4(0x0d000000 | n << 8) + "/24,tp_dst=" + std::to_string(port % 1024 + 1); break;
    case 7: m = "priority=500,dl_dst=" + rule_set_mac(0x020000000000ull | n); break;
    case 8: m = "priority=500,dl_src=" + rule_set_mac(0x040000000000ull | n); break;
    case 9: m = "priority=600,dl_src=" + rule_set_mac(0x060000000000ull | n) + ",dl_dst=" + rule_set_mac(0x020000000000ull | (n * 7 & 0xffff)); break;
    case 10: m = "priority=1000,ipv6,ipv6_dst=" + rule_set_ip6(n, 1); break;
    case 11: m = "priority=900,ipv6,ipv6_dst=" + rule_set_ip6(n, 0) + "/64"; break;
    case 12: m = "priority=2000,tcp6,ipv6_src=" + rule_set_ip6(n, 0) + "/64,tp_dst=" + std::to_string(port); break;
    case 13: m = "priority=1500,reg0=" + std::to_string(n % 64) + ",ip,nw_dst=" + rule_set_ip4(0x0e000000 | n); break;
    case 14: m = "priority=1500,metadata=" + std::to_string(n % 16) + ",ip,nw_src=" + rule_set_ip4(0x0f000000 | n); break;
    case 15: m = "priority=700,dl_vlan=" + std::to_string(n % 4094 + 1) + ",dl_dst=" + rule_set_mac(0x080000000000ull | n); break;
    case 16: m = "priority=1000,arp,arp_op=1,arp_tpa=" + rule_set_ip4(a); break;
    case 17: m = "priority=1800,udp,tp_src=" + std::to_string(n % 256 + 1) + ",tp_dst=" + std::to_string(n / 256 + 1); break;
    case 18: m = "priority=2100,tcp,nw_src=" + rule_set_ip4(a) + ",nw_dst=" + rule_set_ip4(0xc0a80000 | (n & 0xff)) + ",tp_dst=" + std::to_string(port); break;
    default: m = "priority=1700,icmp,nw_dst=" + rule_set_ip4(a) + ",icmp_type=" + std::to_string(n % 16); break;
  }
  return m + ",actions=" + (n % 2 ? "drop" : "NORMAL");
}

inline std::vector<std::string> rule_set(uint32_t count) {
  std::vector<std::string> lines;
  lines.reserve(count);
  for (uint32_t i = 0; i < count; ++i) lines.push_back(rule_set_line(i));
  return lines;
}

}  // namespace flowpath::ofproto::test
