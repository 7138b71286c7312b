// The neighbour cache of native tunnelling (Open vSwitch's tnl-neigh-cache):
// the Ethernet address of each next hop a tunnel's outer header is sent to,
// per underlay device. The slow path fills it by snooping ARP replies and
// IPv6 neighbour advertisements addressed to the host, and from the source
// of tunnel packets it terminates; an entry not refreshed for 15 minutes
// goes, as in Open vSwitch. Control path only (a mutex inside): megaflows
// carry what translation looked up.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "packet/headers.h"
#include "tunnel/route_table.h"

namespace flowpath::tunnel {

class NeighbourCache {
 public:
  static constexpr uint64_t kIdleMs = 15 * 60 * 1000;

  struct Entry {
    Address ip{};
    EthAddr mac{};
    std::string device;
    uint64_t refreshed_ms = 0;
  };

  // Learns or refreshes; true when the entry is new or its MAC changed (the
  // megaflows that resolved the old one are stale: see seq()).
  bool set(const std::string& device, const Address& ip, const EthAddr& mac, uint64_t now_ms);
  std::optional<EthAddr> lookup(const std::string& device, const Address& ip, uint64_t now_ms) const;
  std::vector<Entry> entries(uint64_t now_ms) const;  // sorted by device, then address
  void flush();
  // Bumped by every change that can make a translation differ.
  uint64_t seq() const;

 private:
  mutable std::mutex mutex_;
  std::vector<Entry> entries_;
  uint64_t seq_ = 0;
};

}  // namespace flowpath::tunnel
