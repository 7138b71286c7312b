#include "control/ipf_rpc.h"

#include <arpa/inet.h>

#include "common/clock.h"

namespace flowpath::control {

namespace {

using conntrack::Conntrack;
using conntrack::FragmentStore;

template <typename F>
Result<Json> on_store(DatapathInterface& dpif, const Json& p, F&& fn) {
  TRY_ASSIGN(dp, get_string(p, "dp"));
  Result<Json> out = Json::object();
  Status st = dpif.with_conntrack(dp, [&](Conntrack& ct) { out = fn(ct.fragments()); });
  if (!st.ok()) return make_error(st.error());
  return out;
}

// "v4" → false, "v6" → true.
Result<bool> get_family(const Json& p) {
  TRY_ASSIGN(family, get_string(p, "family"));
  if (family == "v4") return false;
  if (family == "v6") return true;
  return invalid_params("params.family: \"" + family + "\" is neither v4 nor v6");
}

Json counters_json(const conntrack::FragmentCounters& c, bool enabled, uint32_t min_size) {
  return Json{{"enabled", enabled},        {"min_frag_size", min_size},
              {"accepted", c.accepted},    {"completed", c.completed},
              {"expired", c.expired},      {"too_small", c.too_small},
              {"overlapped", c.overlapped}, {"oversized", c.oversized},
              {"not_held", c.not_held},    {"purged", c.purged}};
}

// One datagram being reassembled, as Open vSwitch's ipf dump prints it.
std::string list_text(const conntrack::FragmentListEntry& e) {
  char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
  inet_ntop(e.ipv6 ? AF_INET6 : AF_INET, e.src, src, sizeof src);
  inet_ntop(e.ipv6 ? AF_INET6 : AF_INET, e.dst, dst, sizeof dst);
  const char* state = e.first_seen && e.last_seen ? "first/last frag"
                      : e.first_seen              ? "first frag"
                      : e.last_seen               ? "last frag"
                                                  : "other frag";
  char text[320];
  std::snprintf(text, sizeof text,
                "(%s,src=%s,dst=%s,recirc_id=%u,ip_id=%u,dl_type=0x%04x,zone=%u,nw_proto=%u,"
                "num_fragments=%u,state=%s)",
                e.ipv6 ? "ipv6" : "ip", src, dst, e.recirc_id, e.id, e.ipv6 ? 0x86dd : 0x0800,
                e.zone, e.proto, e.fragments, state);
  return text;
}

}  // namespace

void add_ipf_methods(JsonRpcDispatcher& d, DatapathInterface& dpif) {
  d.add("ipf.enabled.set", [&dpif](const Json& p) -> Result<Json> {
    TRY_ASSIGN(v6, get_family(p));
    if (!p.contains("enabled")) return invalid_params("params.enabled: missing");
    TRY_ASSIGN(enabled, get_optional_bool(p, "enabled", true));
    return on_store(dpif, p, [&](FragmentStore& s) -> Result<Json> {
      s.set_enabled(v6, enabled);
      return Json::object();
    });
  });
  d.add("ipf.min_frag.set", [&dpif](const Json& p) -> Result<Json> {
    TRY_ASSIGN(v6, get_family(p));
    TRY_ASSIGN(bytes, get_unsigned(p, "bytes", 0xffffffffu));
    return on_store(dpif, p, [&](FragmentStore& s) -> Result<Json> {
      std::string error = s.set_min_fragment_size(v6, static_cast<uint32_t>(bytes));
      if (!error.empty()) return invalid_params(error);
      return Json::object();
    });
  });
  d.add("ipf.max_nfrags.set", [&dpif](const Json& p) -> Result<Json> {
    TRY_ASSIGN(max, get_unsigned(p, "max", 0xffffffffu));
    return on_store(dpif, p, [&](FragmentStore& s) -> Result<Json> {
      std::string error = s.set_max_fragments(static_cast<uint32_t>(max));
      if (!error.empty()) return invalid_params(error);
      return Json::object();
    });
  });
  d.add("ipf.status", [&dpif](const Json& p) -> Result<Json> {
    TRY_ASSIGN(with_lists, get_optional_bool(p, "lists", false));
    return on_store(dpif, p, [&](FragmentStore& s) -> Result<Json> {
      conntrack::FragmentStatus st = s.status();
      Json out{{"v4", counters_json(st.v4, st.v4_enabled, st.v4_min_size)},
               {"v6", counters_json(st.v6, st.v6_enabled, st.v6_min_size)},
               {"max_nfrags", st.max_fragments},
               {"nfrags", st.fragments},
               {"datagrams", st.datagrams}};
      if (with_lists) {
        Json lists = Json::array();
        for (const auto& e : s.lists(monotonic_ms()))
          lists.push_back(Json{{"text", list_text(e)}, {"zone", e.zone}, {"ipv6", e.ipv6},
                               {"id", e.id}, {"fragments", e.fragments},
                               {"expires_in_ms", e.expires_in_ms}});
        out["lists"] = lists;
      }
      return out;
    });
  });
}

}  // namespace flowpath::control
