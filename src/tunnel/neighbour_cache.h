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
    uint64_t sequence = 0;  // of the packet it was last learned from
  };

  // Learns or refreshes; true when the entry is new or its MAC changed (the
  // megaflows that resolved the old one are stale: see seq()).
  //
  // `sequence` orders what was learned by when the packet was received
  // (Upcall::sequence; 0: unordered). Upcall handlers run in parallel, so
  // two answers for one address can be handled in the reverse of the order
  // they came in: a host whose kernel answers ARP on its bridge's physical
  // port as well as on the bridge (AF_PACKET ports leave the frame to the
  // kernel too) sends the physical port's MAC first and the bridge's later.
  // Whichever handler finished last used to win; now the later packet does,
  // as when one thread handles them in turn (Open vSwitch's PMD threads).
  // An answer older than the entry's is ignored (false).
  bool set(const std::string& device, const Address& ip, const EthAddr& mac, uint64_t now_ms,
           uint64_t sequence = 0);
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
