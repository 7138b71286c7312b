// What native tunnelling's slow path needs of the underlay: the route to a
// tunnel's remote end (the route table, whose kernel part is read again
// over rtnetlink when the last read is older than a second, so a route
// added to the kernel is seen at the next translation) and the neighbour
// cache. One per process, shared by every bridge (Open vSwitch's router and
// tnl-neigh-cache are global too).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>

#include "tunnel/neighbour_cache.h"
#include "tunnel/route_table.h"

namespace flowpath::tunnel {

class Underlay {
 public:
  static constexpr uint64_t kRouteRefreshMs = 1000;

  explicit Underlay(RouteTable& routes) : routes_(routes) {}

  // The route to `destination`, the kernel's routes at most a second old.
  std::optional<Route> route_to(const Address& destination, uint64_t now_ms);
  RouteTable& routes() { return routes_; }
  NeighbourCache& neighbours() { return neighbours_; }
  const NeighbourCache& neighbours() const { return neighbours_; }

 private:
  RouteTable& routes_;
  NeighbourCache neighbours_;
  std::mutex refresh_mutex_;
  uint64_t refreshed_ms_ = 0;
  bool refreshed_ = false;
};

}  // namespace flowpath::tunnel
