// Translation: native tunnelling, as Open vSwitch's userspace datapath does
// it (ofproto-dpif-xlate.c's native_tunnel_output and
// terminate_native_tunnel).
//
// Transmit: an output to a tunnel port looks up the route to the remote end
// (tunnel/underlay.h); its device must be a port of the same bridge (the
// bridge's LOCAL port, typically, holding the endpoint address). The next
// hop's Ethernet address comes from the neighbour cache; when it is not
// there the packet is dropped, an ARP request (IPv6: a neighbour
// solicitation) is sent as if from that port, and the flow is not
// installed. Otherwise the outer header goes into clone(tnl_push(...)), and
// the encapsulated packet is translated as received on the underlay port,
// so the bridge's own rules (NORMAL) choose the physical port.
//
// Receive: an output to a port whose device holds the packet's destination
// address, of a UDP packet to a tunnel port's dst_port (or a GRE packet,
// when the bridge has a gre port) sent to that device's Ethernet address,
// becomes tnl_pop(tunnel port): the datapath
// decapsulates it and the inner packet comes back as received on the
// tunnel port. On the way, ARP replies and neighbour advertisements for the
// device's addresses are snooped into the neighbour cache.
#include <fmt/format.h>

#include <cstring>

#include "common/clock.h"
#include "flow/odp_abi.h"
#include "ofproto/xlate_context.h"
#include "tunnel/neighbour_request.h"
#include "tunnel/tunnel_header_build.h"
#include "vport/netdev.h"

namespace flowpath::ofproto {

namespace {

constexpr uint16_t kIcmpv6NeighbourAdvert = 136;

tunnel::Address mapped_ipv4(be32 address) {
  tunnel::Address a{};
  a[10] = a[11] = 0xff;
  std::memcpy(a.data() + 12, &address, 4);
  return a;
}

tunnel::Address ipv6_address(const uint8_t bytes[16]) {
  tunnel::Address a{};
  std::memcpy(a.data(), bytes, 16);
  return a;
}

bool all_zero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i]) return false;
  return true;
}

tunnel::Address address_of(const tunnel::TunnelAddress& t) {
  if (t.ipv6) return ipv6_address(t.bytes);
  be32 v4;
  std::memcpy(&v4, t.bytes, 4);
  return mapped_ipv4(v4);
}

std::string mac_text(const EthAddr& a) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", a.bytes[0], a.bytes[1],
                     a.bytes[2], a.bytes[3], a.bytes[4], a.bytes[5]);
}

std::optional<EthAddr> device_mac(const std::string& device) {
  auto mac = interface_mac(device);
  if (!mac.ok()) return std::nullopt;
  EthAddr out;
  std::memcpy(out.bytes, mac->data(), 6);
  return out;
}

}  // namespace

void XlateContext::tunnel_output(const BridgePort& port) {
  const tunnel::TunnelConfig& config = *port.tunnel;
  if (in_underlay_) {
    if (tracing()) trace(fmt::format("{}output to tunnel port {} from a tunnel's underlay: skipped",
                                     indent(), port.config.name));
    return;
  }
  tunnel::Underlay* underlay = bridge_.underlay;
  if (!underlay) {
    if (tracing()) trace(fmt::format("{}native tunnelling is off in this process: output to {} dropped",
                                     indent(), port.config.name));
    return;
  }
  FlowKey& k = flow_.key;
  TunnelMetadata& tun_mask = wc_.key.md.tunnel;
  const uint64_t now = monotonic_ms();

  tunnel::Address remote{};
  if (config.remote_ip.kind == tunnel::TunnelAddress::Kind::kFlow) {
    tun_mask.ipv4_dst = ~be32{0};
    std::memset(tun_mask.ipv6_dst, 0xff, 16);
    if (k.md.tunnel.ipv4_dst) {
      remote = mapped_ipv4(k.md.tunnel.ipv4_dst);
    } else if (!all_zero(k.md.tunnel.ipv6_dst, 16)) {
      remote = ipv6_address(k.md.tunnel.ipv6_dst);
    } else {
      if (tracing()) trace(fmt::format("{}tunnel port {} has remote_ip=flow and the packet no tun_dst: "
                                       "dropped", indent(), port.config.name));
      return;
    }
  } else {
    remote = address_of(config.remote_ip);
  }
  const bool ipv4 = tunnel::is_ipv4_mapped(remote);
  uint64_t key = config.out_key.value;
  if (config.out_key.flow) {
    tun_mask.tun_id = ~be64{0};
    key = ntoh64(k.md.tunnel.tun_id);
  }

  const std::string remote_text = tunnel::format_address(remote);
  auto route = underlay->route_to(remote, now);
  if (!route || route->local) {
    if (tracing()) trace(fmt::format("{}native tunnel routing failed: {} {}: dropped", indent(),
                                     route ? "the local address" : "no route to", remote_text));
    return;
  }
  const BridgePort* out_dev = nullptr;
  for (const auto& [dp_port, p] : bridge_.ports)
    if (p.config.name == route->device && !p.tunnel) out_dev = &p;
  if (!out_dev) {
    if (tracing()) trace(fmt::format("{}native tunnel routing failed: the route to {} leaves by {}, "
                                     "which is no port of bridge {}: dropped", indent(), remote_text,
                                     route->device, bridge_.name));
    return;
  }
  tunnel::Address source{};
  if (config.local_ip.fixed()) {
    source = address_of(config.local_ip);
  } else if (config.local_ip.kind == tunnel::TunnelAddress::Kind::kFlow &&
             (k.md.tunnel.ipv4_src || !all_zero(k.md.tunnel.ipv6_src, 16))) {
    tun_mask.ipv4_src = ~be32{0};
    std::memset(tun_mask.ipv6_src, 0xff, 16);
    source = k.md.tunnel.ipv4_src ? mapped_ipv4(k.md.tunnel.ipv4_src)
                                  : ipv6_address(k.md.tunnel.ipv6_src);
  } else if (route->source) {
    source = *route->source;
  } else {
    if (tracing()) trace(fmt::format("{}native tunnel routing failed: no source address for {}: dropped",
                                     indent(), remote_text));
    return;
  }
  if (tunnel::is_ipv4_mapped(source) != ipv4) {
    if (tracing()) trace(fmt::format("{}tunnel port {}: local address {} is not of {}'s family: dropped",
                                     indent(), port.config.name, tunnel::format_address(source),
                                     remote_text));
    return;
  }
  auto smac = device_mac(route->device);
  if (!smac) {
    if (tracing()) trace(fmt::format("{}tunnel output device {} lacks an Ethernet address: dropped",
                                     indent(), route->device));
    return;
  }
  if (tracing()) trace(fmt::format("{}tunneling to {} via {}", indent(), remote_text, route->device));

  const tunnel::Address next_hop = route->gateway ? *route->gateway : remote;
  auto dmac = underlay->neighbours().lookup(route->device, next_hop, now);
  if (!dmac) {
    result_.neighbour_miss = true;
    if (tracing()) trace(fmt::format("{}neighbor cache miss for {} on bridge {}, sending {} request",
                                     indent(), tunnel::format_address(next_hop), bridge_.name,
                                     ipv4 ? "ARP" : "ND"));
    if (options_.may_learn) {
      // The request leaves from the route's source address for the next hop
      // (a gateway's own subnet), as Open vSwitch sends it.
      const tunnel::Address request_source = route->source ? *route->source : source;
      result_.neighbour_requests.push_back(XlateResult::NeighbourRequest{
          out_dev->dp_port,
          ipv4 ? tunnel::compose_arp_request(*smac, request_source, next_hop)
               : tunnel::compose_neighbour_solicitation(*smac, request_source, next_hop)});
    }
    return;
  }

  tunnel::VxlanHeaderParams params;
  params.eth_dst = *dmac;
  params.eth_src = *smac;
  params.ip_src = source;
  params.ip_dst = remote;
  const bool inner_ip =
      k.eth_type == hton16(ethertype::kIpv4) || k.eth_type == hton16(ethertype::kIpv6);
  if (config.tos_inherit && inner_ip) {
    wc_.key.nw_tos |= 0xfc;
    params.tos = k.nw_tos & 0xfc;
  } else {
    params.tos = config.tos_inherit ? 0 : config.tos;
  }
  if (config.ttl_inherit && inner_ip) {
    wc_.key.nw_ttl = 0xff;
    params.ttl = k.nw_ttl;
  } else {
    params.ttl = config.ttl_inherit ? 64 : config.ttl;
  }
  params.dont_fragment = config.df_default;
  params.dst_port = config.dst_port;
  params.udp_checksum = config.csum;
  params.vni = static_cast<uint32_t>(key & 0xffffff);
  if (tracing()) trace(fmt::format("{}tunneling from {} {} to {} {}", indent(), mac_text(*smac),
                                   tunnel::format_address(source), mac_text(*dmac), remote_text));

  // As Open vSwitch's: a GRE key only when the port has one (key=, out_key=).
  std::optional<uint32_t> gre_key;
  if (config.out_key.present) gre_key = static_cast<uint32_t>(key);
  const tunnel::PortHeader header = tunnel::build_port_header(config.type, params, config.csum, gre_key);
  const std::vector<uint8_t> push =
      tunnel::tunnel_push_payload(port.dp_port, out_dev->dp_port, header.odp_type, header.header);
  commit();
  const size_t clone = out_.begin_nested(odp::kActionClone);
  out_.put(odp::kActionTunnelPush, push.data(), push.size());

  // The encapsulated packet, as received on the underlay port: its own
  // translation (with its own wildcards, which the megaflow does not need:
  // every packet of this megaflow gets the same outer header).
  const OfFlow saved_flow = flow_;
  const FlowKey saved_base = base_;
  const OfFlow saved_wc = wc_;
  FlowKey& outer = flow_.key;
  outer = FlowKey{};
  outer.clear();
  outer.md.in_port = out_dev->dp_port;
  outer.md.recirc_id = saved_flow.key.md.recirc_id;
  outer.md.skb_priority = saved_flow.key.md.skb_priority;
  outer.md.skb_mark = saved_flow.key.md.skb_mark;
  outer.eth_src = *smac;
  outer.eth_dst = *dmac;
  outer.eth_type = hton16(ipv4 ? ethertype::kIpv4 : ethertype::kIpv6);
  if (ipv4) {
    std::memcpy(&outer.ipv4_src, source.data() + 12, 4);
    std::memcpy(&outer.ipv4_dst, remote.data() + 12, 4);
  } else {
    std::memcpy(outer.ipv6_src, source.data(), 16);
    std::memcpy(outer.ipv6_dst, remote.data(), 16);
  }
  const bool udp = tunnel::is_udp(config.type);
  outer.nw_proto = udp ? ipproto::kUdp : ipproto::kGre;
  outer.nw_tos = params.tos;
  outer.nw_ttl = params.ttl;
  if (udp) outer.tp_dst = hton16(params.dst_port);
  base_ = outer;
  in_underlay_ = true;
  ++depth_;
  if (tracing()) trace(fmt::format("{}the outer packet, as received on {}:", indent(),
                                   out_dev->config.name));
  do_table(0);
  --depth_;
  in_underlay_ = false;
  flow_ = saved_flow;
  base_ = saved_base;
  wc_ = saved_wc;
  out_.end_nested(clone);
  tunnel_clone_offset_ = clone;
  tunnel_clone_end_ = out_.size();
}

bool XlateContext::terminate_tunnel(const BridgePort& port) {
  tunnel::Underlay* underlay = bridge_.underlay;
  if (in_underlay_ || !underlay) return false;
  // Only a device of this host ends tunnels: the bridge's own port or
  // another internal port (Open vSwitch asks whether the port's netdev has
  // an address; the other ports' devices face the wire). Other outputs'
  // megaflows stay free of the fields below.
  if (port.config.type != "internal") return false;
  bool any_tunnel = false;
  for (const auto& [dp_port, p] : bridge_.ports) any_tunnel = any_tunnel || p.tunnel.has_value();
  if (!any_tunnel) return false;
  const FlowKey& k = flow_.key;
  FlowKey& m = wc_.key;
  const bool ipv4 = k.eth_type == hton16(ethertype::kIpv4);
  const bool ipv6 = k.eth_type == hton16(ethertype::kIpv6);
  if (!ipv4 && !ipv6) {
    snoop_neighbour(port);
    return false;
  }
  m.nw_proto = 0xff;
  // UDP to a UDP tunnel's dst_port, or GRE (Open vSwitch's tnl_port_map
  // keys on the protocol and, for UDP, the port).
  const bool gre = k.nw_proto == ipproto::kGre;
  if (k.nw_proto != ipproto::kUdp && !gre) {
    snoop_neighbour(port);
    return false;
  }
  if (k.nw_frag & kFragAny) return false;
  if (!gre) m.tp_dst = 0xffff;
  const uint16_t dst_port = gre ? 0 : ntoh16(k.tp_dst);
  // Does tunnel port `p` take this packet's protocol and port?
  auto takes = [&](const BridgePort& p) {
    if (!p.tunnel) return false;
    if (gre) return p.tunnel->type == tunnel::TunnelType::kGre;
    return tunnel::is_udp(p.tunnel->type) && p.tunnel->dst_port == dst_port;
  };
  bool port_used = false;
  for (const auto& [dp_port, p] : bridge_.ports) port_used = port_used || takes(p);
  if (!port_used) return false;

  const uint64_t now = monotonic_ms();
  tunnel::Address destination, source;
  if (ipv4) {
    m.ipv4_dst = ~be32{0};
    destination = mapped_ipv4(k.ipv4_dst);
  } else {
    std::memset(m.ipv6_dst, 0xff, 16);
    destination = ipv6_address(k.ipv6_dst);
  }
  auto route = underlay->route_to(destination, now);
  if (!route || !route->local || route->device != port.config.name) return false;
  m.eth_dst = EthAddr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
  auto mac = device_mac(port.config.name);
  if (!mac || !(*mac == k.eth_dst)) return false;

  // The tunnel port: the one whose remote_ip is the sender, else one with
  // remote_ip=flow.
  if (ipv4) {
    m.ipv4_src = ~be32{0};
    source = mapped_ipv4(k.ipv4_src);
  } else {
    std::memset(m.ipv6_src, 0xff, 16);
    source = ipv6_address(k.ipv6_src);
  }
  const BridgePort* tunnel_port = nullptr;
  for (const auto& [dp_port, p] : bridge_.ports) {
    if (!takes(p) || !p.live()) continue;
    if (p.tunnel->remote_ip.fixed() && address_of(p.tunnel->remote_ip) == source) {
      tunnel_port = &p;
      break;
    }
    if (p.tunnel->remote_ip.kind == tunnel::TunnelAddress::Kind::kFlow && !tunnel_port)
      tunnel_port = &p;
  }
  if (!tunnel_port) {
    if (tracing()) trace(fmt::format("{}tunnel packet from {} to {}{}: no tunnel port has that "
                                     "remote_ip: delivered as it is", indent(),
                                     tunnel::format_address(source),
                                     tunnel::format_address(destination),
                                     gre ? std::string(" (gre)") : ":" + std::to_string(dst_port)));
    return false;
  }
  // Open vSwitch learns the sender's Ethernet address from tunnel packets.
  if (options_.may_learn) {
    m.eth_src = EthAddr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
    if (underlay->neighbours().set(port.config.name, source, k.eth_src, now,
                                   options_.packet_sequence))
      result_.neighbour_changed = true;
  }
  commit();
  out_.put_u32(odp::kActionTunnelPop, tunnel_port->dp_port);
  if (tracing()) trace(fmt::format("{}-> tnl_pop({}): decapsulated and received again on {}",
                                   indent(), tunnel_port->dp_port, tunnel_port->config.name));
  return true;
}

void XlateContext::snoop_neighbour(const BridgePort& port) {
  tunnel::Underlay* underlay = bridge_.underlay;
  const FlowKey& k = flow_.key;
  FlowKey& m = wc_.key;
  tunnel::Address ip{}, target{};
  EthAddr mac{};
  if (k.eth_type == hton16(ethertype::kArp)) {
    m.arp_op = 0xffff;
    if (k.arp_op != hton16(2)) return;  // replies only
    m.ipv4_dst = ~be32{0};
    m.ipv4_src = ~be32{0};
    m.arp_sha = EthAddr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
    ip = mapped_ipv4(k.ipv4_src);
    target = mapped_ipv4(k.ipv4_dst);
    mac = k.arp_sha;
  } else if (k.eth_type == hton16(ethertype::kIpv6) && k.nw_proto == 58) {
    m.tp_src = 0xffff;
    if (k.tp_src != hton16(kIcmpv6NeighbourAdvert)) return;
    std::memset(m.nd_target, 0xff, 16);
    std::memset(m.ipv6_dst, 0xff, 16);
    m.nd_tll = EthAddr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
    m.eth_src = EthAddr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
    ip = ipv6_address(k.nd_target);
    target = ipv6_address(k.ipv6_dst);
    static constexpr EthAddr kZero{};
    mac = k.nd_tll == kZero ? k.eth_src : k.nd_tll;
  } else {
    return;
  }
  // Only answers to this host: the target is an address of the port's device.
  auto route = underlay->route_to(target, monotonic_ms());
  if (!route || !route->local || route->device != port.config.name) return;
  if (tracing()) trace(fmt::format("{}neighbour {} is {} (snooped on {})", indent(),
                                   tunnel::format_address(ip), mac_text(mac), port.config.name));
  if (options_.may_learn && underlay->neighbours().set(port.config.name, ip, mac, monotonic_ms(),
                                                      options_.packet_sequence))
    result_.neighbour_changed = true;
}

bool XlateContext::tunnel_input_accepted(const BridgePort& in) {
  const tunnel::TunnelConfig& config = *in.tunnel;
  const TunnelMetadata& tun = flow_.key.md.tunnel;
  // What tells tunnels apart, exact in every megaflow of a tunnel port's
  // packets, as Open vSwitch's tnl_wc_init: the key, the outer addresses
  // and the df/csum/key flags.
  TunnelMetadata& m = wc_.key.md.tunnel;
  m.tun_id = ~be64{0};
  if (tun.ipv4_dst) {
    m.ipv4_src = ~be32{0};
    m.ipv4_dst = ~be32{0};
  } else {
    std::memset(m.ipv6_src, 0xff, 16);
    std::memset(m.ipv6_dst, 0xff, 16);
  }
  m.flags |= kTunnelFlagDontFragment | kTunnelFlagCsum | kTunnelFlagKey;
  if (!config.in_key.flow) {
    if (ntoh64(tun.tun_id) != config.in_key.value) {
      if (tracing()) trace(fmt::format("tunnel port {} takes key {}, the packet has {:#x}: drop",
                                       in.config.name, config.in_key.value, ntoh64(tun.tun_id)));
      return false;
    }
  }
  return true;
}

}  // namespace flowpath::ofproto
