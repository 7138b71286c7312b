#include "replay_tunnels.h"

#include <cstdlib>
#include <sstream>

#include "common/netlink.h"
#include "datapath/datapath.h"
#include "flow/odp_abi.h"
#include "odp/text_scanner.h"
#include "tunnel/tunnel_header_build.h"
#include "vport/tunnel_port.h"

namespace flowpath {
namespace {

std::vector<std::string> words(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

Result<EthAddr> parse_mac(std::string_view text) {
  TextScanner in(text);
  auto mac = in.eth_address();
  if (!mac || !in.at_end()) {
    return make_error("\"" + std::string(text) + "\" is not an Ethernet address (xx:xx:xx:xx:xx:xx)");
  }
  return *mac;
}

Result<tunnel::Address> parse_address_or_error(std::string_view text) {
  auto a = tunnel::parse_address(text);
  if (!a) return make_error("\"" + std::string(text) + "\" is not an IPv4 or IPv6 address");
  return *a;
}

// The attribute `a` as it was in its buffer (header, payload, padding).
void copy_attribute(NetlinkWriter& out, const NetlinkAttr& a) {
  const uint8_t* header = a.data() - kNlaHeaderLen;
  std::vector<uint8_t>& bytes = out.bytes();
  bytes.insert(bytes.end(), header, header + kNlaHeaderLen + a.size());
  bytes.resize(nla_align(bytes.size()), 0);
}

}  // namespace

Status add_tunnel_port(Datapath& dp, std::string_view text) {
  const size_t eq = text.find('=');
  const std::string number(text.substr(0, eq == std::string_view::npos ? 0 : eq));
  char* end = nullptr;
  const unsigned long port_no = std::strtoul(number.c_str(), &end, 10);
  if (number.empty() || *end != '\0' || port_no == 0 || port_no >= Datapath::kMaxPorts) {
    return make_error("--tunnel-port \"" + std::string(text) +
                      "\": expected N=IFACE,type=vxlan|geneve|gre,OPTION=VALUE,...");
  }
  auto spec = parse_vport_spec(text.substr(eq + 1));
  if (!spec.ok()) return make_error("--tunnel-port: " + spec.error());
  if (!tunnel_type_of(spec->kind)) {
    return make_error("--tunnel-port " + spec->name + ": type " +
                      std::string(to_string(spec->kind)) + " is no tunnel (vxlan, geneve, gre)");
  }
  auto added = dp.add_port(*spec, static_cast<uint32_t>(port_no));
  if (!added.ok()) return make_error("--tunnel-port " + spec->name + ": " + added.error());
  return Ok{};
}

Status ReplayUnderlay::add_route(std::string_view text) {
  const std::vector<std::string> w = words(text);
  const std::string where = "--route \"" + std::string(text) + "\": ";
  if (w.size() < 2 || w.size() > 4) return make_error(where + "expected PREFIX DEVICE [GATEWAY] [src=ADDRESS]");
  auto prefix = tunnel::parse_prefix(w[0]);
  if (!prefix.ok()) return make_error(where + prefix.error());
  tunnel::Route route;
  route.prefix = prefix->first;
  route.prefix_length = prefix->second;
  route.device = w[1];
  route.user = true;
  for (size_t i = 2; i < w.size(); ++i) {
    const bool source = w[i].starts_with("src=");
    auto address = parse_address_or_error(source ? std::string_view(w[i]).substr(4) : w[i]);
    if (!address.ok()) return make_error(where + address.error());
    if (tunnel::is_ipv4_mapped(*address) != tunnel::is_ipv4_mapped(route.prefix)) {
      return make_error(where + w[i] + " is not of the prefix's address family");
    }
    (source ? route.source : route.gateway) = *address;
  }
  if (!route.source) return make_error(where + "needs src=ADDRESS (no kernel table to take it from)");
  if (Status s = routes_.add_user(std::move(route)); !s.ok()) return make_error(where + s.error());
  return Ok{};
}

Status ReplayUnderlay::add_neighbour(std::string_view text) {
  const std::vector<std::string> w = words(text);
  const std::string where = "--neighbour \"" + std::string(text) + "\": ";
  if (w.size() != 3) return make_error(where + "expected DEVICE ADDRESS MAC");
  auto address = parse_address_or_error(w[1]);
  if (!address.ok()) return make_error(where + address.error());
  auto mac = parse_mac(w[2]);
  if (!mac.ok()) return make_error(where + mac.error());
  neighbours_.set(w[0], *address, *mac, 0);
  return Ok{};
}

Status ReplayUnderlay::set_device_mac(std::string_view text) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return make_error("--port-mac \"" + std::string(text) + "\": expected DEVICE=MAC");
  }
  auto mac = parse_mac(text.substr(eq + 1));
  if (!mac.ok()) return make_error("--port-mac: " + mac.error());
  device_macs_[std::string(text.substr(0, eq))] = *mac;
  return Ok{};
}

Result<std::vector<uint8_t>> ReplayUnderlay::tunnel_push(Datapath& dp, uint32_t tunnel_port) const {
  const auto& port = static_cast<const TunnelPort&>(dp.port(tunnel_port)->vport());
  const tunnel::TunnelConfig& config = port.config();
  const std::string where = "output to tunnel port " + port.name() + ": ";
  if (!config.remote_ip.fixed() || config.out_key.flow || config.local_ip.kind ==
      tunnel::TunnelAddress::Kind::kFlow || config.tos_inherit || config.ttl_inherit) {
    return make_error(where + "flow-based and inherited options need translation, which the "
                      "replay does not do");
  }
  const tunnel::Address remote = *tunnel::parse_address(config.remote_ip.to_string());
  const std::string remote_text = tunnel::format_address(remote);
  auto route = routes_.lookup(remote);
  if (!route) return make_error(where + "no route to " + remote_text + " (--route)");
  uint32_t out_port = 0;
  bool found = false;
  for (const PortInfo& p : dp.ports()) {
    if (p.name == route->device && !tunnel_type_of(p.kind)) {
      out_port = p.port_no;
      found = true;
    }
  }
  if (!found) return make_error(where + "the route to " + remote_text + " leaves by " + route->device +
                                ", which is no port of the datapath");
  const auto smac = device_macs_.find(route->device);
  if (smac == device_macs_.end()) {
    return make_error(where + "device " + route->device + " has no Ethernet address (--port-mac)");
  }
  const tunnel::Address next_hop = route->gateway ? *route->gateway : remote;
  const auto dmac = neighbours_.lookup(route->device, next_hop, 0);
  if (!dmac) {
    return make_error(where + "no neighbour " + tunnel::format_address(next_hop) + " on " +
                      route->device + " (--neighbour)");
  }
  tunnel::VxlanHeaderParams params;
  params.eth_dst = *dmac;
  params.eth_src = smac->second;
  params.ip_src = config.local_ip.fixed() ? *tunnel::parse_address(config.local_ip.to_string())
                                          : *route->source;
  params.ip_dst = remote;
  params.tos = config.tos;
  params.ttl = config.ttl;
  params.dont_fragment = config.df_default;
  params.dst_port = config.dst_port;
  params.udp_checksum = config.csum;
  params.vni = static_cast<uint32_t>(config.out_key.value & 0xffffff);
  std::optional<uint32_t> gre_key;
  if (config.out_key.present) gre_key = static_cast<uint32_t>(config.out_key.value);
  const tunnel::PortHeader push = tunnel::build_port_header(config.type, params, config.csum, gre_key);
  std::vector<uint8_t> actions;
  NetlinkWriter out(&actions);
  const std::vector<uint8_t> payload =
      tunnel::tunnel_push_payload(tunnel_port, out_port, push.odp_type, push.header);
  out.put(odp::kActionTunnelPush, payload.data(), payload.size());
  out.put_u32(odp::kActionOutput, out_port);
  return actions;
}

Result<std::vector<uint8_t>> ReplayUnderlay::resolve_tunnel_outputs(
    Datapath& dp, std::span<const uint8_t> actions) const {
  std::vector<uint8_t> resolved;
  NetlinkWriter out(&resolved);
  size_t seen = 0;
  size_t count = 0;
  if (Status s = for_each_attribute(actions, [&](const NetlinkAttr&) -> Status {
        ++count;
        return Ok{};
      });
      !s.ok()) {
    return make_error(s.error());
  }
  Status status = for_each_attribute(actions, [&](const NetlinkAttr& a) -> Status {
    ++seen;
    DatapathPort* port = nullptr;
    if (a.type == odp::kActionOutput && a.size() == 4) port = dp.port(a.get_u32());
    if (port == nullptr || !tunnel_type_of(port->vport().type())) {
      copy_attribute(out, a);
      return Ok{};
    }
    // Translation wraps a tunnel output that more actions follow in clone();
    // the flows here need it only last.
    if (seen != count) {
      return make_error("an output to tunnel port " + port->vport().name() +
                        " must be the last action");
    }
    auto push = tunnel_push(dp, a.get_u32());
    if (!push.ok()) return make_error(push.error());
    resolved.insert(resolved.end(), push->begin(), push->end());
    return Ok{};
  });
  if (!status.ok()) return make_error(status.error());
  return resolved;
}

}  // namespace flowpath
