#include "control/conntrack_rpc.h"

#include <arpa/inet.h>

#include <map>

#include "common/clock.h"
#include "conntrack/connection_format.h"

namespace flowpath::control {

namespace {

using conntrack::Conntrack;

Result<std::optional<uint16_t>> get_zone(const Json& p) {
  if (!p.contains("zone")) return std::optional<uint16_t>{};
  TRY_ASSIGN(zone, get_unsigned(p, "zone", 65535));
  return std::optional<uint16_t>(static_cast<uint16_t>(zone));
}

Json tuple_json(const conntrack::ConnectionKey& k) {
  char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
  inet_ntop(k.ipv6 ? AF_INET6 : AF_INET, k.src, src, sizeof src);
  inet_ntop(k.ipv6 ? AF_INET6 : AF_INET, k.dst, dst, sizeof dst);
  Json j{{"src", src}, {"dst", dst}};
  if (k.is_icmp()) {
    j["id"] = ntoh16(k.src_port);
    j["type"] = k.icmp_type();
    j["code"] = k.icmp_code();
  } else {
    j["sport"] = ntoh16(k.src_port);
    j["dport"] = ntoh16(k.dst_port);
  }
  return j;
}

Json entry_json(const conntrack::ConnectionEntry& e, bool verbose, bool statistics) {
  std::string labels = "0x" + conntrack::label_hex(e.label);
  Json j{{"text", conntrack::format_connection(e, verbose, statistics)},
         {"proto", conntrack::protocol_name(e.original.proto)},
         {"zone", e.original.zone},
         {"orig", tuple_json(e.original)},
         {"reply", tuple_json(e.reply)},
         {"id", e.id},
         {"mark", e.mark},
         {"labels", labels},
         {"packets", {e.packets[0], e.packets[1]}},
         {"bytes", {e.bytes[0], e.bytes[1]}},
         {"timeout", e.timeout_s}};
  if (e.tcp) {
    j["state"] = std::string(conntrack::tcp_state_name(conntrack::coalesce_tcp_state(
        e.tcp_state[0] > e.tcp_state[1] ? e.tcp_state[0] : e.tcp_state[1])));
    j["state_orig"] = std::string(conntrack::tcp_state_name(e.tcp_state[0]));
    j["state_reply"] = std::string(conntrack::tcp_state_name(e.tcp_state[1]));
  } else if (e.sctp) {
    j["state"] = std::string(conntrack::sctp_state_name(e.sctp_state));
    // The tags' values (the text shows them as ovs-dpctl does).
    j["vtag_orig"] = ntoh32(e.sctp_vtag[0]);
    j["vtag_reply"] = ntoh32(e.sctp_vtag[1]);
  }
  return j;
}

// Runs fn on dp's tracker and returns what it returns.
template <typename F>
Result<Json> on_tracker(DatapathInterface& dpif, const Json& p, F&& fn) {
  TRY_ASSIGN(dp, get_string(p, "dp"));
  Result<Json> out = Json::object();
  Status st = dpif.with_conntrack(dp, [&](Conntrack& ct) { out = fn(ct); });
  if (!st.ok()) return make_error(st.error());
  return out;
}

Result<std::vector<uint16_t>> get_zones(const Json& p, const char* name) {
  std::vector<uint16_t> zones;
  if (!p.contains(name)) return zones;
  if (!p[name].is_array()) return invalid_params(std::string("params.") + name + ": expected an array");
  for (const Json& z : p[name]) {
    if (!z.is_number_unsigned() || z.get<uint64_t>() > 65535)
      return invalid_params(std::string("params.") + name + ": zones are numbers 0 to 65535");
    zones.push_back(static_cast<uint16_t>(z.get<uint64_t>()));
  }
  return zones;
}

}  // namespace

void add_conntrack_methods(JsonRpcDispatcher& d, DatapathInterface& dpif) {
  d.add("ct.dump", [&dpif](const Json& p) -> Result<Json> {
    TRY_ASSIGN(zone, get_zone(p));
    TRY_ASSIGN(verbose, get_optional_bool(p, "verbose", false));
    TRY_ASSIGN(statistics, get_optional_bool(p, "statistics", false));
    return on_tracker(dpif, p, [&](Conntrack& ct) -> Result<Json> {
      Json out = Json::array();
      for (const auto& e : ct.dump(zone, monotonic_ms())) out.push_back(entry_json(e, verbose, statistics));
      return out;
    });
  });
  d.add("ct.flush", [&dpif](const Json& p) -> Result<Json> {
    TRY_ASSIGN(zone, get_zone(p));
    conntrack::FlushFilter filter;
    if (p.contains("tuple")) {
      TRY_ASSIGN(text, get_string(p, "tuple"));
      auto parsed = conntrack::parse_flush_tuple(text);
      if (!parsed.ok()) return invalid_params(parsed.error());
      filter = *parsed;
    }
    filter.zone = zone;
    return on_tracker(dpif, p, [&](Conntrack& ct) -> Result<Json> {
      return Json{{"flushed", ct.flush(filter)}};
    });
  });
  d.add("ct.stats", [&dpif](const Json& p) -> Result<Json> {
    TRY_ASSIGN(zone, get_zone(p));
    return on_tracker(dpif, p, [&](Conntrack& ct) -> Result<Json> {
      std::map<std::string, uint64_t> protocols, states;
      uint64_t total = 0;
      for (const auto& e : ct.dump(zone, monotonic_ms())) {
        ++total;
        std::string name = conntrack::protocol_name(e.original.proto);
        if (name[0] >= '0' && name[0] <= '9') name = "other";
        ++protocols[name];
        if (e.tcp) {
          auto s = e.tcp_state[0] > e.tcp_state[1] ? e.tcp_state[0] : e.tcp_state[1];
          ++states[std::string(conntrack::tcp_state_name(conntrack::coalesce_tcp_state(s)))];
        }
      }
      conntrack::ConntrackCounters c = ct.counters();
      return Json{{"total", total},
                  {"protocols", protocols},
                  {"tcp_states", states},
                  {"counters",
                   {{"created", c.created}, {"expired", c.expired}, {"full", c.full},
                    {"zone_limited", c.zone_limited}, {"invalid", c.invalid},
                    {"nat_exhausted", c.nat_exhausted}}}};
    });
  });
  d.add("ct.maxconns.set", [&dpif](const Json& p) -> Result<Json> {
    TRY_ASSIGN(n, get_unsigned(p, "maxconns", 0xffffffffu));
    return on_tracker(dpif, p, [&](Conntrack& ct) -> Result<Json> {
      ct.set_max_connections(static_cast<uint32_t>(n));
      return Json::object();
    });
  });
  d.add("ct.maxconns.get", [&dpif](const Json& p) -> Result<Json> {
    return on_tracker(dpif, p, [](Conntrack& ct) -> Result<Json> {
      return Json{{"maxconns", ct.max_connections()}};
    });
  });
  d.add("ct.nconns", [&dpif](const Json& p) -> Result<Json> {
    return on_tracker(dpif, p, [](Conntrack& ct) -> Result<Json> {
      return Json{{"nconns", ct.connection_count()}};
    });
  });
  d.add("ct.tcp_seq_chk.set", [&dpif](const Json& p) -> Result<Json> {
    if (!p.contains("enabled")) return invalid_params("params.enabled: missing");
    TRY_ASSIGN(enabled, get_optional_bool(p, "enabled", true));
    return on_tracker(dpif, p, [&](Conntrack& ct) -> Result<Json> {
      ct.set_tcp_sequence_check(enabled);
      return Json::object();
    });
  });
  d.add("ct.tcp_seq_chk.get", [&dpif](const Json& p) -> Result<Json> {
    return on_tracker(dpif, p, [](Conntrack& ct) -> Result<Json> {
      return Json{{"enabled", ct.tcp_sequence_check()}};
    });
  });
  d.add("ct.limits.set", [&dpif](const Json& p) -> Result<Json> {
    std::optional<uint32_t> default_limit;
    if (p.contains("default")) {
      TRY_ASSIGN(n, get_unsigned(p, "default", 0xffffffffu));
      default_limit = static_cast<uint32_t>(n);
    }
    std::vector<std::pair<uint16_t, uint32_t>> zones;
    if (p.contains("zones")) {
      if (!p["zones"].is_array()) return invalid_params("params.zones: expected an array");
      for (const Json& z : p["zones"]) {
        TRY_ASSIGN(zone, get_unsigned(z, "zone", 65535));
        TRY_ASSIGN(limit, get_unsigned(z, "limit", 0xffffffffu));
        zones.emplace_back(static_cast<uint16_t>(zone), static_cast<uint32_t>(limit));
      }
    }
    if (!default_limit && zones.empty()) return invalid_params("give a default limit or zone limits");
    return on_tracker(dpif, p, [&](Conntrack& ct) -> Result<Json> {
      if (default_limit) ct.set_default_zone_limit(*default_limit);
      for (auto [zone, limit] : zones) ct.set_zone_limit(zone, limit);
      return Json::object();
    });
  });
  d.add("ct.limits.get", [&dpif](const Json& p) -> Result<Json> {
    TRY_ASSIGN(zones, get_zones(p, "zones"));
    return on_tracker(dpif, p, [&](Conntrack& ct) -> Result<Json> {
      Json list = Json::array();
      for (const auto& z : ct.zone_limits(zones))
        list.push_back(Json{{"zone", z.zone}, {"limit", z.limit}, {"count", z.count}});
      return Json{{"default", ct.default_zone_limit()}, {"zones", list}};
    });
  });
  d.add("ct.limits.del", [&dpif](const Json& p) -> Result<Json> {
    TRY_ASSIGN(zones, get_zones(p, "zones"));
    if (zones.empty()) return invalid_params("params.zones: name at least one zone");
    return on_tracker(dpif, p, [&](Conntrack& ct) -> Result<Json> {
      for (uint16_t z : zones) ct.delete_zone_limit(z);
      return Json::object();
    });
  });
}

}  // namespace flowpath::control
