#include "control/metrics_collector.h"

#include <optional>
#include <vector>

#include "control/metrics_exposition.h"
#include "ofproto/ofproto.h"

namespace flowpath::control {

namespace {

using Type = MetricType;

struct ConntrackFigures {
  uint64_t connections = 0, limit = 0;
  conntrack::ConntrackCounters counters;
};

// One datapath, copied before anything is written: a family's samples must
// be together, and the datapath may go away between two calls.
struct DatapathFigures {
  std::string name;
  DatapathStats stats;
  std::vector<PortInfo> ports;
  ConntrackFigures conntrack;
};

std::vector<DatapathFigures> read_datapaths(DatapathInterface& dpif) {
  std::vector<DatapathFigures> out;
  for (const std::string& name : dpif.datapath_names()) {
    auto stats = dpif.datapath_stats(name);
    auto ports = dpif.list_ports(name);
    if (!stats.ok() || !ports.ok()) continue;  // deleted meanwhile
    DatapathFigures d{name, *stats, std::move(*ports), {}};
    auto read = dpif.with_conntrack(name, [&d](conntrack::Conntrack& ct) {
      d.conntrack.connections = ct.connection_count();
      d.conntrack.limit = ct.max_connections();
      d.conntrack.counters = ct.counters();
    });
    if (!read.ok()) continue;
    out.push_back(std::move(d));
  }
  return out;
}

double seconds(uint64_t microseconds) { return static_cast<double>(microseconds) / 1e6; }

void write_datapaths(MetricsExposition& m, const std::vector<DatapathFigures>& dps) {
  // family(): one per metric; `value` reads it from a datapath.
  auto per_datapath = [&](std::string_view name, Type type, std::string_view help,
                          auto value) {
    m.family(name, type, help);
    for (const DatapathFigures& d : dps) m.sample({{"datapath", d.name}}, uint64_t{value(d)});
  };
  per_datapath("flowpath_datapath_hits_total", Type::kCounter,
               "Packets that matched a megaflow (ovs-dpctl show: hit).",
               [](const DatapathFigures& d) { return d.stats.hit; });
  per_datapath("flowpath_datapath_misses_total", Type::kCounter,
               "Packets that matched no megaflow and were sent to the slow path (missed).",
               [](const DatapathFigures& d) { return d.stats.missed; });
  per_datapath("flowpath_datapath_lost_total", Type::kCounter,
               "Misses whose upcall never reached the slow path (lost).",
               [](const DatapathFigures& d) { return d.stats.lost; });
  per_datapath("flowpath_datapath_mask_lookups_total", Type::kCounter,
               "Megaflow subtables searched, over every packet looked up (masks hit).",
               [](const DatapathFigures& d) { return d.stats.masks_hit; });
  per_datapath("flowpath_datapath_flows", Type::kGauge, "Megaflows installed.",
               [](const DatapathFigures& d) { return d.stats.flows; });
  per_datapath("flowpath_datapath_masks", Type::kGauge,
               "Distinct megaflow masks (classifier subtables).",
               [](const DatapathFigures& d) { return d.stats.masks; });
  per_datapath("flowpath_datapath_flow_limit", Type::kGauge,
               "Megaflows the datapath accepts before it refuses new ones.",
               [](const DatapathFigures& d) { return d.stats.flow_limit; });
  per_datapath("flowpath_upcall_queue_length", Type::kGauge,
               "Upcalls queued for the slow path, over every port's queue.",
               [](const DatapathFigures& d) { return d.stats.upcalls_queued; });

  m.family("flowpath_datapath_dropped_packets_total", Type::kCounter,
           "Packets the datapath dropped, by reason (fpctl show -s).");
  for (const DatapathFigures& d : dps) {
    for (size_t i = 0; i < kDropReasonCount; ++i) {
      m.sample({{"datapath", d.name}, {"reason", drop_reason_name(static_cast<DropReason>(i))}},
               d.stats.drops.count[i]);
    }
  }
}

void write_ports(MetricsExposition& m, const std::vector<DatapathFigures>& dps) {
  m.family("flowpath_port_info", Type::kGauge,
           "A port of a datapath: its number and type (always 1).");
  for (const DatapathFigures& d : dps) {
    for (const PortInfo& p : d.ports) {
      std::string number = std::to_string(p.port_no);
      m.sample({{"datapath", d.name}, {"port", p.name}, {"port_no", number},
                {"type", to_string(p.kind)}},
               uint64_t{1});
    }
  }
  auto per_port = [&](std::string_view name, std::string_view help, auto value) {
    m.family(name, Type::kCounter, help);
    for (const DatapathFigures& d : dps)
      for (const PortInfo& p : d.ports)
        m.sample({{"datapath", d.name}, {"port", p.name}}, uint64_t{value(p.stats)});
  };
  per_port("flowpath_port_receive_packets_total", "Packets the port received.",
           [](const VportStats& s) { return s.rx_packets; });
  per_port("flowpath_port_receive_bytes_total", "Bytes the port received.",
           [](const VportStats& s) { return s.rx_bytes; });
  per_port("flowpath_port_receive_errors_total",
           "Failures the system reported while the port received.",
           [](const VportStats& s) { return s.rx_errors; });
  per_port("flowpath_port_receive_dropped_total",
           "Frames the port's device lost before the datapath saw them (too large, ring "
           "overrun).",
           [](const VportStats& s) { return s.rx_dropped; });
  per_port("flowpath_port_transmit_packets_total", "Packets the port sent.",
           [](const VportStats& s) { return s.tx_packets; });
  per_port("flowpath_port_transmit_bytes_total", "Bytes the port sent.",
           [](const VportStats& s) { return s.tx_bytes; });
  per_port("flowpath_port_transmit_errors_total", "Frames the system refused to send.",
           [](const VportStats& s) { return s.tx_errors; });
  per_port("flowpath_port_transmit_dropped_total",
           "Frames not sent for lack of room in the device's queue.",
           [](const VportStats& s) { return s.tx_dropped; });
  m.family("flowpath_port_dropped_packets_total", Type::kCounter,
           "Packets of this port the datapath dropped, by reason: runts and lost upcalls it "
           "received, frames over its MTU.");
  for (const DatapathFigures& d : dps) {
    for (const PortInfo& p : d.ports) {
      for (size_t i = 0; i < kDropReasonCount; ++i) {
        m.sample({{"datapath", d.name},
                  {"port", p.name},
                  {"reason", drop_reason_name(static_cast<DropReason>(i))}},
                 p.stats.drops.count[i]);
      }
    }
  }
}

void write_conntrack(MetricsExposition& m, const std::vector<DatapathFigures>& dps) {
  auto per_tracker = [&](std::string_view name, Type type, std::string_view help, auto value) {
    m.family(name, type, help);
    for (const DatapathFigures& d : dps)
      m.sample({{"datapath", d.name}}, uint64_t{value(d.conntrack)});
  };
  per_tracker("flowpath_conntrack_connections", Type::kGauge, "Connections tracked now.",
              [](const ConntrackFigures& c) { return c.connections; });
  per_tracker("flowpath_conntrack_connections_limit", Type::kGauge,
              "Connections the tracker holds at most (ct-set-maxconns).",
              [](const ConntrackFigures& c) { return c.limit; });
  per_tracker("flowpath_conntrack_created_total", Type::kCounter, "Connections committed.",
              [](const ConntrackFigures& c) { return c.counters.created; });
  per_tracker("flowpath_conntrack_expired_total", Type::kCounter,
              "Connections removed on expiry.",
              [](const ConntrackFigures& c) { return c.counters.expired; });
  per_tracker("flowpath_conntrack_invalid_packets_total", Type::kCounter,
              "Packets the tracker marked invalid (+inv).",
              [](const ConntrackFigures& c) { return c.counters.invalid; });
  m.family("flowpath_conntrack_refused_total", Type::kCounter,
           "Commits refused, by reason: the tracker's maximum (full), the zone's limit, or no "
           "free NAT tuple in the range (nat_exhausted, the packet dropped).");
  for (const DatapathFigures& d : dps) {
    m.sample({{"datapath", d.name}, {"reason", "full"}}, d.conntrack.counters.full);
    m.sample({{"datapath", d.name}, {"reason", "zone_limit"}}, d.conntrack.counters.zone_limited);
    m.sample({{"datapath", d.name}, {"reason", "nat_exhausted"}},
             d.conntrack.counters.nat_exhausted);
  }
}

void write_threads(MetricsExposition& m, const std::vector<ForwardingThreadStats>& threads) {
  std::vector<std::string> ids;
  for (size_t i = 0; i < threads.size(); ++i) ids.push_back(std::to_string(i));
  auto per_thread = [&](std::string_view name, Type type, std::string_view help, auto value) {
    m.family(name, type, help);
    for (size_t i = 0; i < threads.size(); ++i)
      m.sample({{"thread", ids[i]}}, uint64_t{value(threads[i])});
  };
  per_thread("flowpath_thread_ports", Type::kGauge, "Ports whose receive side the thread polls.",
             [](const ForwardingThreadStats& s) { return s.ports; });
  per_thread("flowpath_thread_received_packets_total", Type::kCounter,
             "Packets the thread received and processed (recirculations not counted).",
             [](const ForwardingThreadStats& s) { return s.processor.packets; });
  per_thread("flowpath_thread_received_batches_total", Type::kCounter,
             "Batches the thread received: received packets over batches is how full they were.",
             [](const ForwardingThreadStats& s) { return s.processor.batches; });
  m.family("flowpath_thread_cache_hits_total", Type::kCounter,
           "Packets a lookup layer answered: exact_match_cache, signature_cache, or the "
           "megaflow classifier.");
  for (size_t i = 0; i < threads.size(); ++i) {
    const ProcessorStats& p = threads[i].processor;
    m.sample({{"thread", ids[i]}, {"layer", "exact_match_cache"}}, p.emc_hits);
    m.sample({{"thread", ids[i]}, {"layer", "signature_cache"}}, p.smc_hits);
    m.sample({{"thread", ids[i]}, {"layer", "classifier"}}, p.hits - p.emc_hits - p.smc_hits);
  }
  per_thread("flowpath_thread_misses_total", Type::kCounter,
             "Packets no layer answered (upcalls attempted).",
             [](const ForwardingThreadStats& s) { return s.processor.misses; });
  per_thread("flowpath_thread_lost_total", Type::kCounter,
             "Misses whose upcall never reached the slow path.",
             [](const ForwardingThreadStats& s) { return s.processor.lost; });
  per_thread("flowpath_thread_recirculations_total", Type::kCounter,
             "Packets sent through the datapath again (recirc).",
             [](const ForwardingThreadStats& s) { return s.processor.recirculations; });
  per_thread("flowpath_thread_classifier_subtable_lookups_total", Type::kCounter,
             "Subtables searched by the packets the classifier found a megaflow for.",
             [](const ForwardingThreadStats& s) { return s.processor.megaflow_hit_lookups; });
  per_thread("flowpath_thread_sent_packets_total", Type::kCounter,
             "Packets handed to ports to send.",
             [](const ForwardingThreadStats& s) { return s.processor.sent_packets; });
  per_thread("flowpath_thread_sent_batches_total", Type::kCounter, "Sends to ports (batches).",
             [](const ForwardingThreadStats& s) { return s.processor.sent_batches; });
  per_thread("flowpath_thread_busy_cycles_total", Type::kCounter,
             "TSC cycles spent on polls that found packets.",
             [](const ForwardingThreadStats& s) { return s.busy_cycles; });
  per_thread("flowpath_thread_idle_cycles_total", Type::kCounter,
             "TSC cycles spent on polls that found nothing (sleep not counted).",
             [](const ForwardingThreadStats& s) { return s.idle_cycles; });
  per_thread("flowpath_thread_sleeps_total", Type::kCounter,
             "Times the thread slept in poll() after a run of empty polls.",
             [](const ForwardingThreadStats& s) { return s.sleeps; });
}

void write_slow_path(MetricsExposition& m, const ofproto::Ofproto::Stats& s) {
  auto counter = [&](std::string_view name, std::string_view help, uint64_t value) {
    m.family(name, Type::kCounter, help);
    m.sample({}, value);
  };
  counter("flowpath_upcalls_handled_total", "Upcalls the slow path handled.", s.upcalls);
  counter("flowpath_upcall_flows_installed_total", "Megaflows the slow path installed.",
          s.flows_installed);
  counter("flowpath_upcall_install_failures_total",
          "Megaflows the slow path could not install (flow limit, races).", s.install_failures);
  counter("flowpath_revalidator_flows_modified_total",
          "Megaflows the revalidator gave new actions.", s.flows_modified);
  m.family("flowpath_revalidator_flows_deleted_total", Type::kCounter,
           "Megaflows the revalidator deleted, by reason: idle, or changed by a configuration "
           "change.");
  m.sample({{"reason", "idle"}}, s.flows_deleted_idle);
  m.sample({{"reason", "changed"}}, s.flows_deleted_changed);
  m.family("flowpath_revalidator_dump_duration_seconds", Type::kSummary,
           "Time of the revalidator's full rounds (dump every megaflow, credit rules, expire).");
  m.sample_suffix("_sum", {}, seconds(s.dump_duration_us));
  m.sample_suffix("_count", {}, s.revalidation_rounds);
  m.family("flowpath_revalidator_last_dump_duration_seconds", Type::kGauge,
           "Time of the revalidator's last full round.");
  m.sample({}, seconds(s.last_dump_duration_us));
}

}  // namespace

std::string render_metrics(DatapathInterface& dpif, const ofproto::Ofproto* ofproto) {
  const std::vector<DatapathFigures> datapaths = read_datapaths(dpif);
  const std::vector<ForwardingThreadStats> threads = dpif.thread_stats();
  MetricsExposition m;
  write_datapaths(m, datapaths);
  write_ports(m, datapaths);
  write_conntrack(m, datapaths);
  write_threads(m, threads);
  if (ofproto) write_slow_path(m, ofproto->stats());
  return m.take();
}

}  // namespace flowpath::control
