#include "vport/tunnel_port.h"

namespace flowpath {

std::optional<tunnel::TunnelType> tunnel_type_of(VportKind kind) {
  if (kind == VportKind::kVxlan) return tunnel::TunnelType::kVxlan;
  if (kind == VportKind::kGeneve) return tunnel::TunnelType::kGeneve;
  if (kind == VportKind::kGre) return tunnel::TunnelType::kGre;
  return std::nullopt;
}

Result<std::unique_ptr<TunnelPort>> TunnelPort::create(VportKind kind, const std::string& name,
                                                       const VportOptions& options) {
  std::optional<tunnel::TunnelType> type = tunnel_type_of(kind);
  if (!type) return make_error("port " + name + " of type " + std::string(to_string(kind)) +
                               " is no tunnel port");
  tunnel::TunnelOptions tunnel_options(options.begin(), options.end());
  auto config = tunnel::parse_tunnel_config(*type, name, tunnel_options);
  if (!config) return make_error(config.error());
  return std::unique_ptr<TunnelPort>(new TunnelPort(kind, name, std::move(*config)));
}

size_t TunnelPort::send(PacketBatch& batch) {
  counters_.add_tx_errors(batch.size());
  for (Packet* p : batch) p->pool()->release(p);
  batch.clear();
  return 0;
}

}  // namespace flowpath
