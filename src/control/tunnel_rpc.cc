#include "control/tunnel_rpc.h"

#include <net/if.h>

#include <fmt/format.h>

#include "common/clock.h"
#include "tunnel/route_netlink.h"

namespace flowpath::control {

namespace {

using tunnel::Address;
using tunnel::Route;
using tunnel::RouteTable;

Status refresh(RouteTable& table) {
  auto routes = tunnel::read_kernel_routes();
  if (!routes.ok()) return make_error(routes.error());
  table.replace_cached(std::move(*routes));
  return Ok{};
}

Json route_json(const Route& r) {
  std::string text = r.to_string();
  const size_t colon = text.find(": ");
  Json j{{"text", text},
         {"prefix", text.substr(colon + 2, text.find(" dev ") - colon - 2)},
         {"dev", r.device},
         {"local", r.local},
         {"user", r.user}};
  if (r.gateway) j["gw"] = tunnel::format_address(*r.gateway);
  if (r.source) j["src"] = tunnel::format_address(*r.source);
  return j;
}

Result<Address> get_address(const Json& p, const char* name) {
  TRY_ASSIGN(text, get_string(p, name));
  auto address = tunnel::parse_address(text);
  if (!address) return invalid_params(std::string(name) + " '" + text + "' is not an IPv4 or IPv6 address");
  return *address;
}

}  // namespace

void add_tunnel_methods(JsonRpcDispatcher& d, RouteTable& table) {
  d.add("route.show", [&table](const Json&) -> Result<Json> {
    TRY_STATUS(refresh(table));
    Json routes = Json::array();
    for (const Route& r : table.routes()) routes.push_back(route_json(r));
    return Json{{"routes", routes}};
  });

  d.add("route.add", [&table](const Json& p) -> Result<Json> {
    TRY_ASSIGN(prefix_text, get_string(p, "prefix"));
    auto prefix = tunnel::parse_prefix(prefix_text);
    if (!prefix.ok()) return invalid_params("prefix " + prefix.error());
    TRY_ASSIGN(dev, get_string(p, "dev"));
    if (if_nametoindex(dev.c_str()) == 0)
      return make_error("device " + dev + " does not exist");
    Route route;
    route.prefix = prefix->first;
    route.prefix_length = prefix->second;
    route.device = dev;
    const bool ipv4 = tunnel::is_ipv4_mapped(route.prefix);
    auto same_family = [&](const Address& a, const char* what) -> Status {
      if (tunnel::is_ipv4_mapped(a) != ipv4)
        return invalid_params(std::string(what) + " " + tunnel::format_address(a) +
                              " is not of the prefix's family");
      return Ok{};
    };
    if (p.contains("gw")) {
      TRY_ASSIGN(gw, get_address(p, "gw"));
      TRY_STATUS(same_family(gw, "gw"));
      route.gateway = gw;
    }
    if (p.contains("src")) {
      TRY_ASSIGN(src, get_address(p, "src"));
      TRY_STATUS(same_family(src, "src"));
      route.source = src;
    } else {
      // As Open vSwitch: the device's own address of the prefix's family.
      TRY_STATUS(refresh(table));
      for (const Route& r : table.routes()) {
        if (r.local && r.device == dev && r.source && tunnel::is_ipv4_mapped(*r.source) == ipv4) {
          route.source = r.source;
          break;
        }
      }
      if (!route.source)
        return make_error("device " + dev + " has no " + (ipv4 ? "IPv4" : "IPv6") +
                          " address to send from (give src=ADDRESS)");
    }
    TRY_STATUS(table.add_user(std::move(route)));
    return Json::object();
  });

  d.add("route.del", [&table](const Json& p) -> Result<Json> {
    TRY_ASSIGN(prefix_text, get_string(p, "prefix"));
    auto prefix = tunnel::parse_prefix(prefix_text);
    if (!prefix.ok()) return invalid_params("prefix " + prefix.error());
    TRY_STATUS(table.del_user(prefix->first, prefix->second));
    return Json::object();
  });

  d.add("route.lookup", [&table](const Json& p) -> Result<Json> {
    TRY_ASSIGN(ip, get_address(p, "ip"));
    TRY_STATUS(refresh(table));
    auto route = table.lookup(ip);
    if (!route) return make_error("no route to " + tunnel::format_address(ip));
    Json j{{"dev", route->device}, {"route", route_json(*route)}};
    j["src"] = route->source ? tunnel::format_address(*route->source) : "";
    j["gw"] = route->gateway ? tunnel::format_address(*route->gateway)
                             : (tunnel::is_ipv4_mapped(ip) ? "0.0.0.0" : "::");
    return j;
  });
}

void add_neighbour_methods(JsonRpcDispatcher& d, tunnel::NeighbourCache& neighbours) {
  d.add("neigh.show", [&neighbours](const Json&) -> Result<Json> {
    Json list = Json::array();
    for (const auto& e : neighbours.entries(monotonic_ms())) {
      const uint8_t* m = e.mac.bytes;
      list.push_back(Json{{"ip", tunnel::format_address(e.ip)},
                          {"mac", fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0],
                                              m[1], m[2], m[3], m[4], m[5])},
                          {"dev", e.device}});
    }
    return Json{{"neighbours", list}};
  });
  d.add("neigh.flush", [&neighbours](const Json&) -> Result<Json> {
    neighbours.flush();
    return Json::object();
  });
}

}  // namespace flowpath::control
