#include "vport/vport.h"

#include <array>
#include <utility>

#include "vport/afpacket_port.h"
#include "vport/afxdp_port.h"
#include "vport/internal_port.h"
#include "vport/netdev.h"
#include "vport/pcap_port.h"
#include "vport/tap_port.h"
#include "vport/tunnel_port.h"

namespace flowpath {

namespace {

constexpr std::array<std::pair<VportKind, std::string_view>, 8> kKindNames = {{
    {VportKind::kAfPacket, "afpacket"},
    {VportKind::kTap, "tap"},
    {VportKind::kInternal, "internal"},
    {VportKind::kPcap, "pcap"},
    {VportKind::kAfXdp, "afxdp"},
    {VportKind::kVxlan, "vxlan"},
    {VportKind::kGeneve, "geneve"},
    {VportKind::kGre, "gre"},
}};

template <typename Port>
Result<std::unique_ptr<Vport>> as_vport(Result<std::unique_ptr<Port>> port) {
  if (!port) return make_error(port.error());
  return std::unique_ptr<Vport>(std::move(*port));
}

}  // namespace

std::string_view to_string(VportKind kind) {
  for (const auto& [k, text] : kKindNames) {
    if (k == kind) return text;
  }
  return "unknown";
}

Result<VportKind> vport_kind_from_string(std::string_view text) {
  for (const auto& [kind, name] : kKindNames) {
    if (name == text) return kind;
  }
  std::string error = "unknown port type '" + std::string(text) +
                      "' (expected afpacket, tap, internal, pcap, afxdp, vxlan, geneve or gre";
  if (text == "ip6gre") error += "; an IPv6 GRE tunnel is type=gre with an IPv6 remote_ip";
  for (std::string_view tunnel : { "erspan", "ip6erspan", "gtpu", "stt", "lisp",
                                  "bareudp", "srv6"}) {
    if (text == tunnel) error += "; " + std::string(text) + " tunnels are not implemented yet";
  }
  return make_error(error + ")");
}

Result<VportSpec> parse_vport_spec(std::string_view text) {
  VportSpec spec;
  size_t comma = text.find(',');
  spec.name = std::string(text.substr(0, comma));
  if (spec.name.empty()) return make_error("port specification '" + std::string(text) +
                                           "' has no port name");
  if (spec.name.find('=') != std::string::npos) {
    return make_error("port specification '" + std::string(text) +
                      "' must start with the port name, not '" + spec.name + "'");
  }
  bool type_given = false;
  while (comma != std::string_view::npos) {
    text.remove_prefix(comma + 1);
    comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    size_t equals = item.find('=');
    if (equals == std::string_view::npos || equals == 0) {
      return make_error("port option '" + std::string(item) + "' is not key=value");
    }
    std::string key(item.substr(0, equals));
    std::string value(item.substr(equals + 1));
    if (key == "type") {
      if (type_given) return make_error("port option 'type' is given twice");
      type_given = true;
      Result<VportKind> kind = vport_kind_from_string(value);
      if (!kind) return make_error(kind.error());
      spec.kind = *kind;
      continue;
    }
    if (!spec.options.emplace(key, std::move(value)).second) {
      return make_error("port option '" + key + "' is given twice");
    }
  }
  return spec;
}

VportStats VportCounters::snapshot() const {
  constexpr auto relaxed = std::memory_order_relaxed;
  VportStats s;
  s.rx_packets = rx_packets_.load(relaxed);
  s.rx_bytes = rx_bytes_.load(relaxed);
  s.rx_errors = rx_errors_.load(relaxed);
  s.rx_dropped = rx_dropped_.load(relaxed);
  s.tx_packets = tx_packets_.load(relaxed);
  s.tx_bytes = tx_bytes_.load(relaxed);
  s.tx_errors = tx_errors_.load(relaxed);
  s.tx_dropped = tx_dropped_.load(relaxed);
  s.drops = drops_.snapshot();
  return s;
}

Status check_interface_port_spec(VportKind kind, const std::string& name,
                                 const VportOptions& options) {
  TRY_STATUS(check_interface_name(name));
  switch (kind) {
    case VportKind::kAfPacket:
      if (auto config = parse_afpacket_options(name, options); !config) return make_error(config.error());
      return Ok{};
    case VportKind::kAfXdp:
      if (auto config = parse_afxdp_options(name, options); !config) return make_error(config.error());
      return Ok{};
    default:
      return make_error(std::string(to_string(kind)) + " port " + name +
                        " does not open an existing interface");
  }
}

Result<std::unique_ptr<Vport>> create_vport(VportKind kind, const std::string& name,
                                            const VportOptions& options) {
  switch (kind) {
    case VportKind::kAfPacket:
      return as_vport(AfPacketPort::open(name, options));
    case VportKind::kTap:
      return as_vport(TapPort::create(VportKind::kTap, name, options));
    case VportKind::kInternal:
      return create_internal_port(name, options);
    case VportKind::kPcap:
      return as_vport(PcapPort::open(name, options));
    case VportKind::kAfXdp:
      return as_vport(AfXdpPort::open(name, options));
    case VportKind::kVxlan:
    case VportKind::kGeneve:
    case VportKind::kGre:
      return as_vport(TunnelPort::create(kind, name, options));
  }
  return make_error("unknown port type " + std::to_string(static_cast<int>(kind)));
}

}  // namespace flowpath
