#include "tunnel/underlay.h"

#include "tunnel/route_netlink.h"

namespace flowpath::tunnel {

std::optional<Route> Underlay::route_to(const Address& destination, uint64_t now_ms) {
  {
    std::lock_guard guard(refresh_mutex_);
    if (!refreshed_ || now_ms - refreshed_ms_ >= kRouteRefreshMs) {
      // A failed read keeps the routes of the last one.
      if (auto routes = read_kernel_routes(); routes.ok()) routes_.replace_cached(std::move(*routes));
      refreshed_ = true;
      refreshed_ms_ = now_ms;
    }
  }
  return routes_.lookup(destination);
}

}  // namespace flowpath::tunnel
