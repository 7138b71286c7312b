// A forwarding thread (Open vSwitch calls them PMD threads): polls the
// receive side of the ports assigned to it, runs each received batch through
// its datapath, and sleeps in poll() only after a run of empty polls, so an
// idle switch does not burn a core.
//
// The control path changes the set of polled ports with set_ports(), which
// publishes a new list and returns once the thread has stopped using the old
// one; the thread itself never blocks on the control path.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "datapath/packet_processor.h"
#include "packet/packet_pool.h"

namespace flowpath {

class Datapath;
class DatapathPort;

struct PollTarget {
  Datapath* dp;
  DatapathPort* port;
};

struct ForwardingThreadStats {
  uint64_t packets = 0;
  uint64_t hits = 0;      // every lookup layer
  uint64_t emc_hits = 0;
  uint64_t smc_hits = 0;
  uint64_t misses = 0;
  uint64_t lost = 0;
  uint64_t recirculations = 0;
  uint64_t subtables_searched = 0;
  uint64_t busy_cycles = 0;   // TSC cycles spent on iterations that found packets
  uint64_t idle_cycles = 0;   // TSC cycles of empty polls (not sleep)
  uint64_t sleeps = 0;
  size_t ports = 0;
};

class ForwardingThread {
 public:
  // Empty polls in a row before the thread sleeps in poll().
  static constexpr uint32_t kSpinIterations = 2048;
  static constexpr int kSleepTimeoutMs = 10;

  ForwardingThread(unsigned id, std::optional<unsigned> cpu, uint32_t pool_size = 8192);
  ~ForwardingThread();  // stops and joins
  ForwardingThread(const ForwardingThread&) = delete;
  ForwardingThread& operator=(const ForwardingThread&) = delete;

  unsigned id() const { return id_; }
  std::optional<unsigned> cpu() const { return cpu_; }

  // Replaces the polled ports; returns when the thread no longer uses the
  // previous list (so ports absent from `targets` may be freed).
  void set_ports(std::vector<PollTarget> targets);
  std::vector<PollTarget> ports() const;

  ForwardingThreadStats stats() const;

 private:
  struct PollList {
    std::vector<PollTarget> targets;
  };
  struct SharedStats {
    std::atomic<uint64_t> packets{0}, hits{0}, emc_hits{0}, smc_hits{0}, misses{0}, lost{0}, recirculations{0},
        subtables_searched{0}, busy_cycles{0}, idle_cycles{0}, sleeps{0};
  };

  void run();
  void publish_stats(const ProcessorStats& now);
  void sleep_until_readable(const PollList& list);

  unsigned id_;
  std::optional<unsigned> cpu_;
  std::unique_ptr<PacketPool> pool_;
  std::atomic<PollList*> list_{nullptr};
  std::atomic<uint64_t> list_version_{0};   // bumped by set_ports
  std::atomic<uint64_t> seen_version_{0};   // the version the thread runs with
  std::atomic<bool> stop_{false};
  int wake_fd_ = -1;
  SharedStats shared_;
  ProcessorStats published_;
  std::thread thread_;
};

}  // namespace flowpath
