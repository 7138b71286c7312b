#include "control/switch_text.h"

#include <algorithm>
#include <cstdio>

namespace flowpath::control {

namespace {

// snprintf of one line (at most 511 bytes) onto the end of `out`.
template <typename... Args>
void append_line(std::string& out, const char* format, Args... args) {
  char buffer[512];
  int n = std::snprintf(buffer, sizeof buffer, format, args...);
  if (n > 0) out.append(buffer, std::min(static_cast<size_t>(n), sizeof buffer - 1));
}

}  // namespace

std::string ofport_text(uint64_t ofport) {
  return ofport == 0xfffffffe ? "LOCAL" : std::to_string(ofport);
}

std::string fdb_text(const Json& entries) {
  std::string out = " port  VLAN  MAC                Age\n";
  for (const Json& e : entries) {
    append_line(out, "%5s  %4u  %s  %3lu\n", ofport_text(e["port"].get<uint64_t>()).c_str(),
                e["vlan"].get<unsigned>(), e["mac"].get<std::string>().c_str(),
                e["age"].get<uint64_t>());
  }
  return out;
}

std::string trace_text(const Json& trace) {
  std::string out;
  for (const Json& line : trace["lines"]) out += line.get<std::string>() + "\n";
  out += "Megaflow: " + trace["megaflow"].get<std::string>() + "\n";
  out += "Datapath actions: " + trace["datapath_actions"].get<std::string>() + "\n";
  return out;
}

std::string upcall_show_text(const Json& list) {
  std::string out;
  for (const Json& u : list) {
    out += "flowpath@" + u["bridge"].get<std::string>() + ":\n";
    append_line(out, "  flows         : (current %lu) (max %lu) (limit %lu) (flow-limit %lu)\n",
                u["flows"].get<uint64_t>(), u["flows_max"].get<uint64_t>(),
                u["flow_limit"].get<uint64_t>(), u["flow_limit_configured"].get<uint64_t>());
    append_line(out, "  dump duration : %lums\n", u["dump_duration_us"].get<uint64_t>() / 1000);
    append_line(out, "  max idle      : %lums\n", u["max_idle_ms"].get<uint64_t>());
    append_line(out, "  ukeys         : %lu\n", u["ukeys"].get<uint64_t>());
    append_line(out, "  handlers      : %lu\n", u["handler_threads"].get<uint64_t>());
    const uint64_t rate = u["upcall_rate"];
    if (rate == 0) out += "  upcall rate   : unlimited";
    else append_line(out, "  upcall rate   : %lu/s", rate);
    append_line(out, " (refused %lu, queued %lu)\n", u["upcalls_rate_limited"].get<uint64_t>(),
                u["upcalls_queued"].get<uint64_t>());
  }
  return out;
}

std::string route_show_text(const Json& result) {
  std::string out = "Route Table:\n";
  for (const Json& route : result["routes"]) out += route["text"].get<std::string>() + "\n";
  return out;
}

// The last column is the underlay device the neighbour was learned on: the
// bridge's name for its LOCAL port.
std::string neighbour_show_text(const Json& result) {
  std::string out =
      "IP                                            MAC                 Bridge\n"
      "==========================================================================\n";
  for (const Json& n : result["neighbours"]) {
    append_line(out, "%-46s%s   %s\n", n["ip"].get<std::string>().c_str(),
                n["mac"].get<std::string>().c_str(), n["dev"].get<std::string>().c_str());
  }
  return out;
}

}  // namespace flowpath::control
