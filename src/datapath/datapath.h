// A datapath: a set of ports, a megaflow table, an upcall queue and meters.
// Packets never cross from one datapath to another except through ports the
// user connected outside.
//
// Threading: forwarding threads read ports, flows and counters inside an
// rcu::ReadSection and never block; the control path (one thread at a time,
// serialised by DatapathInterface) adds and removes ports by publishing
// pointers and freeing the old objects after a grace period.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "actions/meter.h"
#include "common/result.h"
#include "datapath/datapath_port.h"
#include "datapath/upcall_queue.h"
#include "table/megaflow_table.h"

namespace flowpath {

struct DatapathStats {
  uint64_t hit = 0;      // packets that matched a megaflow
  uint64_t missed = 0;   // packets that matched none (upcalls attempted)
  uint64_t lost = 0;     // upcalls dropped because the queue was full
  uint64_t flows = 0;
  uint64_t masks = 0;
  uint64_t masks_hit = 0;  // subtables searched by packets that hit, in total
};

struct PortInfo {
  uint32_t port_no;
  std::string name;
  VportKind kind;
  VportOptions options;
  VportStats stats;
};

class Datapath {
 public:
  static constexpr uint32_t kMaxPorts = UpcallQueue::kMaxPorts;
  static constexpr uint32_t kLocalPort = 0;

  explicit Datapath(std::string name);
  ~Datapath();  // closes every port; call only when no thread uses it
  Datapath(const Datapath&) = delete;
  Datapath& operator=(const Datapath&) = delete;

  const std::string& name() const { return name_; }

  // ---- Control path.
  // Opens the port and attaches it under `port_no` (or the lowest free number
  // from 1; 0 is the local port). Errors: number in use, name in use, the
  // device cannot be opened (the vport's message).
  Result<uint32_t> add_port(const VportSpec& spec, std::optional<uint32_t> port_no);
  // Detaches the port from the table; returns it so the caller can free it
  // after every forwarding thread stopped polling it and a grace period.
  Result<DatapathPort*> detach_port(uint32_t port_no);
  // Replaces port `port_no` by `replacement` (same number), returning the old.
  DatapathPort* swap_port(uint32_t port_no, DatapathPort* replacement);
  Result<uint32_t> port_number(const std::string& name) const;
  std::vector<PortInfo> ports() const;
  std::vector<DatapathPort*> port_objects() const;

  // ---- Read side (inside an rcu::ReadSection).
  DatapathPort* port(uint32_t port_no) const {
    return port_no < kMaxPorts ? ports_[port_no].load(std::memory_order_acquire) : nullptr;
  }
  MegaflowTable& flows() { return flows_; }
  const MegaflowTable& flows() const { return flows_; }
  UpcallQueue& upcalls() { return upcalls_; }

  // Meters are shared by every thread; access is serialised per batch.
  uint32_t run_meter(uint32_t meter_id, const PacketBatch& batch);
  Status set_meter(uint32_t meter_id, const MeterConfig& config);
  Status remove_meter(uint32_t meter_id);
  Result<MeterStats> meter_stats(uint32_t meter_id) const;

  // Counters, updated once per batch by forwarding threads.
  void count_hits(uint64_t packets, uint64_t subtables_searched) {
    hit_.fetch_add(packets, std::memory_order_relaxed);
    masks_hit_.fetch_add(subtables_searched, std::memory_order_relaxed);
  }
  void count_misses(uint64_t packets) { missed_.fetch_add(packets, std::memory_order_relaxed); }
  DatapathStats stats() const;

 private:
  std::string name_;
  std::unique_ptr<std::atomic<DatapathPort*>[]> ports_;
  MegaflowTable flows_;
  UpcallQueue upcalls_;
  mutable std::mutex meter_mutex_;
  MeterTable meters_;
  std::atomic<uint64_t> hit_{0}, missed_{0}, masks_hit_{0};
};

}  // namespace flowpath
