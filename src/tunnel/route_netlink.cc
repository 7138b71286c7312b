#include "tunnel/route_netlink.h"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "common/rtnetlink.h"

namespace flowpath::tunnel {

namespace {

constexpr uint8_t kIpv4Mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

Address to_address(int family, const void* bytes) {
  Address a{};
  if (family == AF_INET) {
    std::memcpy(a.data(), kIpv4Mapped, 12);
    std::memcpy(a.data() + 12, bytes, 4);
  } else {
    std::memcpy(a.data(), bytes, 16);
  }
  return a;
}

// Device index -> first address per family.
using DeviceAddresses = std::map<std::pair<uint32_t, int>, Address>;

int on_address(const nlmsghdr* message, void* data) {
  auto* addresses = static_cast<DeviceAddresses*>(data);
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(message));
  if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) return MNL_CB_OK;
  const size_t length = ifa->ifa_family == AF_INET ? 4 : 16;
  rtnetlink::AttributeTable<IFA_MAX + 1> attributes;
  attributes.parse(message, sizeof(ifaddrmsg));
  const nlattr* local = attributes.get(IFA_LOCAL, length);
  const nlattr* address = attributes.get(IFA_ADDRESS, length);
  const nlattr* chosen = local != nullptr ? local : address;
  if (chosen != nullptr)
    addresses->emplace(std::pair{ifa->ifa_index, static_cast<int>(ifa->ifa_family)},
                       to_address(ifa->ifa_family, mnl_attr_get_payload(chosen)));
  return MNL_CB_OK;
}

struct RouteDump {
  std::vector<Route> routes;
  std::vector<std::pair<uint32_t, int>> device_of;  // parallel: ifindex, family
};

int on_route(const nlmsghdr* message, void* data) {
  auto* dump = static_cast<RouteDump*>(data);
  const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(message));
  if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6) return MNL_CB_OK;
  if (rtm->rtm_type != RTN_UNICAST && rtm->rtm_type != RTN_LOCAL) return MNL_CB_OK;
  uint32_t table = rtm->rtm_table;
  const size_t length = rtm->rtm_family == AF_INET ? 4 : 16;
  Route route;
  route.local = rtm->rtm_type == RTN_LOCAL;
  route.prefix_length =
      static_cast<uint8_t>(rtm->rtm_dst_len + (rtm->rtm_family == AF_INET ? 96 : 0));
  static constexpr uint8_t kZero[16] = {};
  route.prefix = to_address(rtm->rtm_family, kZero);
  rtnetlink::AttributeTable<RTA_MAX + 1> attributes;
  attributes.parse(message, sizeof(rtmsg));
  if (const nlattr* a = attributes.get(RTA_TABLE, 4)) table = mnl_attr_get_u32(a);
  if (const nlattr* a = attributes.get(RTA_DST, length))
    route.prefix = to_address(rtm->rtm_family, mnl_attr_get_payload(a));
  if (const nlattr* a = attributes.get(RTA_GATEWAY, length))
    route.gateway = to_address(rtm->rtm_family, mnl_attr_get_payload(a));
  if (const nlattr* a = attributes.get(RTA_PREFSRC, length))
    route.source = to_address(rtm->rtm_family, mnl_attr_get_payload(a));
  if (const nlattr* a = attributes.get(RTA_PRIORITY, 4)) route.priority = mnl_attr_get_u32(a);
  const nlattr* oif = attributes.get(RTA_OIF, 4);
  const uint32_t ifindex = oif != nullptr ? mnl_attr_get_u32(oif) : 0;
  if (table != RT_TABLE_MAIN && table != RT_TABLE_LOCAL) return MNL_CB_OK;
  if (ifindex == 0) return MNL_CB_OK;  // multipath and blackhole routes are not mirrored
  char name[IF_NAMESIZE] = {};
  if (if_indextoname(ifindex, name) == nullptr) return MNL_CB_OK;
  route.device = name;
  dump->routes.push_back(std::move(route));
  dump->device_of.emplace_back(ifindex, rtm->rtm_family);
  return MNL_CB_OK;
}

}  // namespace

Result<std::vector<Route>> read_kernel_routes() {
  TRY_ASSIGN(socket, rtnetlink::Socket::open());
  DeviceAddresses addresses;
  TRY_STATUS(rtnetlink::dump(socket, RTM_GETADDR, sizeof(ifaddrmsg), on_address, &addresses));
  RouteDump routes;
  TRY_STATUS(rtnetlink::dump(socket, RTM_GETROUTE, sizeof(rtmsg), on_route, &routes));
  for (size_t i = 0; i < routes.routes.size(); ++i) {
    Route& r = routes.routes[i];
    if (r.source) continue;
    if (auto it = addresses.find(routes.device_of[i]); it != addresses.end()) r.source = it->second;
  }
  return std::move(routes.routes);
}

}  // namespace flowpath::tunnel
