// flowpath-demo: the quick-start demo. Builds a handful of packets, extracts
// their flow keys and prints them in ODP syntax, then shows a megaflow and an
// action list going text -> Netlink -> text.
#include <cstdio>
#include <string>
#include <vector>

#include "odp/odp_action_text.h"
#include "flow/key_extract.h"
#include "odp/odp_flow.h"
#include "packet/packet_pool.h"

namespace {

using Bytes = std::vector<uint8_t>;

void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}

Bytes ethernet(uint16_t type) {
  Bytes b = {0x00, 0x00, 0x5e, 0x00, 0x53, 0x02,   // dst
             0x00, 0x00, 0x5e, 0x00, 0x53, 0x01};  // src
  put16(b, type);
  return b;
}

Bytes ipv4_udp() {
  Bytes b = ethernet(0x0800);
  Bytes ip = {0x45, 0x00, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x40, 17, 0x00, 0x00,
              192,  0,    2,    1,    192,  0,    2,    2};
  b.insert(b.end(), ip.begin(), ip.end());
  put16(b, 5000), put16(b, 53), put16(b, 8), put16(b, 0);
  return b;
}

Bytes vlan_arp() {
  Bytes b = ethernet(0x8100);
  put16(b, 0x2000 | 10);  // pcp 1, vid 10
  put16(b, 0x0806);
  Bytes arp = {0x00, 0x01, 0x08, 0x00, 6,   4,   0x00, 0x01, 0x00, 0x00, 0x5e, 0x00, 0x53, 0x01,
               192,  0,    2,    1,    0,   0,   0,    0,    0,    0,    192,  0,    2,    2};
  b.insert(b.end(), arp.begin(), arp.end());
  return b;
}

Bytes ipv6_tcp_syn() {
  Bytes b = ethernet(0x86dd);
  Bytes ip = {0x60, 0x00, 0x00, 0x01, 0x00, 20, 6, 64};
  for (int i = 0; i < 2; ++i) {
    Bytes addr = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, static_cast<uint8_t>(1 + i)};
    ip.insert(ip.end(), addr.begin(), addr.end());
  }
  b.insert(b.end(), ip.begin(), ip.end());
  put16(b, 40000), put16(b, 443);
  Bytes rest = {0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0};
  b.insert(b.end(), rest.begin(), rest.end());
  return b;
}

Bytes truncated_tcp() {
  Bytes b = ipv4_udp();
  b[14 + 9] = 6;  // claim TCP, but only 8 bytes of L4 follow
  return b;
}

}  // namespace

int main() {
  using namespace flowpath;
  struct Sample {
    const char* what;
    Bytes frame;
  };
  std::vector<Sample> samples = {
      {"IPv4/UDP", ipv4_udp()},
      {"802.1Q VLAN 10, ARP request", vlan_arp()},
      {"IPv6/TCP SYN", ipv6_tcp_syn()},
      {"IPv4 claiming TCP, header truncated", truncated_tcp()},
  };
  PacketPool pool(8);
  std::printf("== flow keys extracted from packets (ODP syntax)\n");
  for (const Sample& s : samples) {
    Packet* p = pool.allocate();
    p->assign(s.frame.data(), static_cast<uint32_t>(s.frame.size()));
    p->reset_metadata(1);
    FlowKey key;
    extract_key(*p, &key);
    std::printf("%s (%u bytes)\n  %s\n", s.what, p->size(), format_packet_key(key).c_str());
    pool.release(p);
  }

  std::printf("\n== a megaflow and an action list, text -> Netlink -> canonical text\n");
  const char* flow_text =
      "in_port(1),eth(src=00:01:02:03:04:05/ff:ff:ff:ff:ff:f0,dst=10:11:12:13:14:15),"
      "eth_type(0x0800),ipv4(src=10.0.0.0/255.0.0.0,proto=6,frag=no),tcp(dst=80)";
  auto flow = parse_flow(flow_text);
  std::printf("flow:    %s\n", flow.ok() ? format_flow(flow->match).c_str() : flow.error().c_str());
  const char* actions_text = "push_vlan(vid=10,pcp=0),2,set(ipv4(dst=10.0.0.9)),recirc(0x1)";
  auto actions = parse_odp_actions(actions_text);
  std::printf("actions: %s\n",
              actions.ok() ? format_odp_actions(*actions).c_str() : actions.error().c_str());
  return flow.ok() && actions.ok() ? 0 : 1;
}
