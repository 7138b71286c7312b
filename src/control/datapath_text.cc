#include "control/datapath_text.h"

#include <cstdarg>
#include <cstdio>
#include <iterator>
#include <utility>

namespace flowpath::control {

namespace {

// printf onto the end of `out`.
[[gnu::format(printf, 2, 3)]] void appendf(std::string& out, const char* format, ...) {
  char buffer[512];
  va_list args;
  va_start(args, format);
  int n = std::vsnprintf(buffer, sizeof buffer, format, args);
  va_end(args);
  if (n < 0) return;
  if (static_cast<size_t>(n) < sizeof buffer) {
    out.append(buffer, static_cast<size_t>(n));
    return;
  }
  size_t start = out.size();
  out.resize(start + static_cast<size_t>(n) + 1);
  va_start(args, format);
  std::vsnprintf(out.data() + start, static_cast<size_t>(n) + 1, format, args);
  va_end(args);
  out.resize(start + static_cast<size_t>(n));
}

std::string tcp_flags_text(uint16_t flags) {
  if (flags == 0) return "none";
  static const std::pair<uint16_t, const char*> kNames[] = {
      {0x002, "S"}, {0x001, "F"}, {0x008, "P"}, {0x004, "R"}, {0x020, "U"}, {0x010, "."},
      {0x040, "E"}, {0x080, "C"}, {0x100, "N"}, {0x200, "[200]"}, {0x400, "[400]"},
      {0x800, "[800]"}};
  std::string out;
  for (auto [bit, name] : kNames)
    if (flags & bit) out += name;
  return out;
}

// " (1.5 KiB)" after a byte count, as ovs-dpctl prints it; nothing below 1 KiB.
std::string human_size(uint64_t bytes) {
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return "";
  double value = static_cast<double>(bytes) / 1024;
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, " (%.1f %s)", value, kUnits[unit]);
  return buf;
}

// "drops: N" then one line per reason that occurred, indented by `indent`.
void append_drops(std::string& out, const Json& counts, const char* indent) {
  appendf(out, "%sdrops: %lu\n", indent, counts["dropped"].get<uint64_t>());
  for (const auto& [name, n] : counts["drops"].items()) {
    if (n.get<uint64_t>() != 0) appendf(out, "%s  %s: %lu\n", indent, name.c_str(), n.get<uint64_t>());
  }
}

double ratio(uint64_t part, uint64_t whole) {
  return whole ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

}  // namespace

// One flow as ovs-dpctl dump-flows prints it; `verbose` (-m) adds the ufid
// in front and "dp:ovs" (the software datapath, as Open vSwitch's userspace
// datapath names its layer) before the actions.
std::string flow_text(const Json& f, bool verbose) {
  std::string line;
  if (verbose) line += f["ufid"].get<std::string>() + ", ";
  line += f["flow"].get<std::string>();
  line += ", packets:" + std::to_string(f["packets"].get<uint64_t>());
  line += ", bytes:" + std::to_string(f["bytes"].get<uint64_t>());
  line += ", used:";
  if (f["used_ms"].is_null()) {
    line += "never";
  } else {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3fs", static_cast<double>(f["used_ms"].get<uint64_t>()) / 1000);
    line += buf;
  }
  uint16_t flags = f["tcp_flags"].get<uint16_t>();
  if (flags) line += ", flags:" + tcp_flags_text(flags);
  if (verbose) line += ", dp:ovs";
  line += ", actions:" + f["actions"].get<std::string>();
  return line;
}

std::string datapath_show_text(const Json& dps, bool with_stats) {
  std::string out;
  for (const Json& dp : dps) {
    const Json& s = dp["stats"];
    appendf(out, "flowpath@%s:\n", dp["name"].get<std::string>().c_str());
    uint64_t hit = s["hit"], missed = s["missed"];
    appendf(out, "  lookups: hit:%lu missed:%lu lost:%lu\n", hit, missed, s["lost"].get<uint64_t>());
    appendf(out, "  flows: %lu\n", s["flows"].get<uint64_t>());
    double avg = hit + missed ? static_cast<double>(s["masks_hit"].get<uint64_t>()) / static_cast<double>(hit + missed) : 0.0;
    appendf(out, "  masks: hit:%lu total:%lu hit/pkt:%.2f\n", s["masks_hit"].get<uint64_t>(),
                s["masks"].get<uint64_t>(), avg);
    // Open vSwitch has no such setting: shown only when not its behaviour.
    if (s.contains("flow_overlap") && s["flow_overlap"] != "allow")
      appendf(out, "  flow-overlap: %s\n", s["flow_overlap"].get<std::string>().c_str());
    // The settings that change at run time (fpctl set-dp).
    appendf(out, "  flow limit: %lu (set: %lu)", s["flow_limit"].get<uint64_t>(),
                s["flow_limit_configured"].get<uint64_t>());
    if (dp.contains("max_idle_ms")) appendf(out, "  max-idle: %lu ms", dp["max_idle_ms"].get<uint64_t>());
    const uint64_t rate = s["upcall_rate"];
    if (rate == 0) appendf(out, "  upcall rate: unlimited");
    else appendf(out, "  upcall rate: %lu/s", rate);
    appendf(out, "  emc: %s", s["emc"].get<bool>() ? "on" : "off");
    if (s.contains("emc_insert_inv_prob")) {
      const uint64_t inverse = s["emc_insert_inv_prob"];
      if (inverse == 0) appendf(out, " (insert: never)");
      else appendf(out, " (insert: 1/%lu)", inverse);
    }
    appendf(out, "  handlers: %lu\n", s["handler_threads"].get<uint64_t>());
    if (with_stats) append_drops(out, s, "  ");
    for (const Json& p : dp["ports"]) {
      std::string type = p["type"];
      appendf(out, "  port %lu: %s", p["port_no"].get<uint64_t>(), p["name"].get<std::string>().c_str());
      // The type and options, then the live MTU (in place of an mtu option,
      // as Open vSwitch's dpctl/show lists a port's configuration).
      appendf(out, " (%s", type.c_str());
      char sep = ':';
      for (const auto& [k, v] : p["options"].items()) {
        if (k == "mtu") continue;
        appendf(out, "%c %s=%s", sep, k.c_str(), v.get<std::string>().c_str());
        sep = ',';
      }
      // A port waiting for its interface has no MTU yet: it says why instead.
      if (p.value("state", "") == "absent") {
        appendf(out, "%c absent)\n", sep);
        appendf(out, "    absent: %s\n", p["absent_reason"].get<std::string>().c_str());
      } else {
        appendf(out, "%c mtu=%lu)\n", sep, p["mtu"].get<uint64_t>());
      }
      if (p.contains("last_error"))
        appendf(out, "    last error: %s\n", p["last_error"].get<std::string>().c_str());
      if (with_stats) {
        // ovs-dpctl's layout; "?" for the counters a userspace port does not have.
        const Json& ps = p["stats"];
        uint64_t rx_bytes = ps["rx_bytes"], tx_bytes = ps["tx_bytes"];
        appendf(out, "    RX packets:%lu errors:%lu dropped:%lu overruns:? frame:?\n",
                    ps["rx_packets"].get<uint64_t>(), ps["rx_errors"].get<uint64_t>(),
                    ps["rx_dropped"].get<uint64_t>());
        appendf(out, "    TX packets:%lu errors:%lu dropped:%lu aborted:? carrier:?\n",
                    ps["tx_packets"].get<uint64_t>(), ps["tx_errors"].get<uint64_t>(),
                    ps["tx_dropped"].get<uint64_t>());
        appendf(out, "    collisions:?\n");
        appendf(out, "    RX bytes:%lu%s  TX bytes:%lu%s\n", rx_bytes, human_size(rx_bytes).c_str(),
                    tx_bytes, human_size(tx_bytes).c_str());
        // What the datapath dropped of this port's packets: upcalls lost,
        // frames over its MTU.
        if (p["dropped"].get<uint64_t>() != 0) append_drops(out, p, "    ");
      }
    }
  }
  return out;
}

// One thread in the layout of Open vSwitch's pmd-stats-show (without the
// counters of features flowpath does not have: phwol, mfex, simple match),
// then what it dropped by reason. The entry for the other threads
// (handlers, packet-outs) is "main thread", as in Open vSwitch.
std::string thread_stats_text(const Json& t) {
  std::string out;
  if (t["id"].is_null()) {
    // Packet-outs and handlers: only what recirculated packet-outs looked up.
    uint64_t misses = t["misses"], lost = t["lost"];
    appendf(out, "main thread:\n");
    appendf(out, "  megaflow hits: %lu\n", t["hits"].get<uint64_t>());
    appendf(out, "  miss with success upcall: %lu\n", misses - lost);
    appendf(out, "  miss with failed upcall: %lu\n", lost);
    append_drops(out, t, "  ");
    return out;
  }
  if (t["cpu"].is_null()) {
    appendf(out, "pmd thread id %lu (not pinned):\n", t["id"].get<uint64_t>());
  } else {
    appendf(out, "pmd thread id %lu core_id %lu:\n", t["id"].get<uint64_t>(),
                t["cpu"].get<uint64_t>());
  }
  uint64_t packets = t["packets"], recirculations = t["recirculations"];
  uint64_t megaflow_hits = t["megaflow_hits"], misses = t["misses"], lost = t["lost"];
  appendf(out, "  packets received: %lu\n", packets);
  appendf(out, "  packet recirculations: %lu\n", recirculations);
  appendf(out, "  avg. datapath passes per packet: %.02f\n", ratio(packets + recirculations, packets));
  appendf(out, "  emc hits: %lu\n", t["emc_hits"].get<uint64_t>());
  appendf(out, "  smc hits: %lu\n", t["smc_hits"].get<uint64_t>());
  appendf(out, "  megaflow hits: %lu\n", megaflow_hits);
  appendf(out, "  avg. subtable lookups per megaflow hit: %.02f\n",
              ratio(t["megaflow_hit_lookups"].get<uint64_t>(), megaflow_hits));
  appendf(out, "  miss with success upcall: %lu\n", misses - lost);
  appendf(out, "  miss with failed upcall: %lu\n", lost);
  appendf(out, "  avg. packets per output batch: %.02f\n",
              ratio(t["sent_packets"].get<uint64_t>(), t["sent_batches"].get<uint64_t>()));
  uint64_t idle = t["idle_cycles"], busy = t["busy_cycles"], total = idle + busy;
  if (total != 0) {
    appendf(out, "  idle cycles: %lu (%.02f%%)\n", idle, ratio(idle, total) * 100);
    appendf(out, "  processing cycles: %lu (%.02f%%)\n", busy, ratio(busy, total) * 100);
    if (packets != 0) {
      appendf(out, "  avg cycles per packet: %.02f (%lu/%lu)\n", ratio(total, packets), total, packets);
      appendf(out, "  avg processing cycles per packet: %.02f (%lu/%lu)\n", ratio(busy, packets), busy,
                  packets);
    }
  }
  append_drops(out, t, "  ");
  return out;
}

}  // namespace flowpath::control
