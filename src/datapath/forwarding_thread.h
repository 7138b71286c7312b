// A forwarding thread (Open vSwitch calls them PMD threads): polls the
// receive side of the ports assigned to it, runs each received batch through
// its datapath and, once its ports have been idle for PollPolicy::spin_us,
// sleeps in poll() on their wait_fd()s, so an idle switch does not burn a
// core; a port's frame wakes it at once. With PollPolicy::busy_poll it never
// sleeps (one core per thread, lowest latency).
//
// The control path changes the set of polled ports with set_ports(), which
// publishes a new list and returns once the thread has stopped using the old
// one; the thread itself never blocks on the control path.
#pragma once

#include <sched.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "datapath/datapath_counters.h"
#include "datapath/packet_processor.h"
#include "packet/packet_pool.h"

namespace flowpath {

class Datapath;
class DatapathPort;

struct PollTarget {
  Datapath* dp;
  DatapathPort* port;
};

// How a forwarding thread waits for packets (flowpathd --poll-spin-us,
// --busy-poll; docs/performance.md has the trade-off in figures).
struct PollPolicy {
  // After the last packet the thread keeps polling this long before it
  // sleeps: a reply arriving meanwhile is taken without a wake-up.
  uint32_t spin_us = 50;
  // Never sleep, as Open vSwitch's pmd threads: a whole core per thread.
  bool busy_poll = false;
};

struct ForwardingThreadStats {
  ProcessorStats processor;   // packets, hits per layer, misses, lost, ...
  DatapathCounts datapaths;   // what it counted in the datapaths that exist, summed (drops)
  uint64_t busy_cycles = 0;   // TSC cycles spent on iterations that found packets
  uint64_t idle_cycles = 0;   // TSC cycles of empty polls (not sleep)
  uint64_t sleeps = 0;
  size_t ports = 0;
};

class ForwardingThread {
 public:
  static constexpr int kSleepTimeoutMs = 10;
  // Empty polls between two publications of the statistics while polling.
  static constexpr uint32_t kPublishInterval = 4096;
  // Large buffers (jumbo and offloaded super-frames, packet_pool.h) beside
  // the standard ones: eight batches' worth. Their memory is touched only
  // when such frames arrive.
  static constexpr uint32_t kLargeBuffers = 256;

  ForwardingThread(unsigned id, std::optional<unsigned> cpu, PollPolicy policy = {},
                   uint32_t pool_size = 8192);
  ~ForwardingThread();  // stops and joins
  ForwardingThread(const ForwardingThread&) = delete;
  ForwardingThread& operator=(const ForwardingThread&) = delete;

  unsigned id() const { return id_; }
  std::optional<unsigned> cpu() const;
  // Pins the thread to `cpu`, or with none lets it run on `unpinned` (the
  // CPUs the process may use), at once: the thread is not stopped.
  Status set_cpu(std::optional<unsigned> cpu, const cpu_set_t& unpinned);
  const PollPolicy& poll_policy() const { return policy_; }

  // Replaces the polled ports; returns when the thread no longer uses the
  // previous list (so ports absent from `targets` may be freed).
  void set_ports(std::vector<PollTarget> targets);

  ForwardingThreadStats stats() const;

 private:
  struct PollList {
    std::vector<PollTarget> targets;
  };
  // ProcessorStats is plain 64-bit counters: the thread, their only writer,
  // publishes it word by word for readers on other threads.
  static constexpr size_t kProcessorWords = sizeof(ProcessorStats) / sizeof(uint64_t);
  static_assert(sizeof(ProcessorStats) % sizeof(uint64_t) == 0);
  struct SharedStats {
    std::atomic<uint64_t> processor[kProcessorWords] = {};
    std::atomic<uint64_t> busy_cycles{0}, idle_cycles{0}, sleeps{0};
  };

  void run();
  void publish_stats(const ProcessorStats& now);
  void sleep_until_readable(const PollList& list);

  unsigned id_;
  std::atomic<int> cpu_{-1};  // -1: unpinned
  PollPolicy policy_;
  std::unique_ptr<PacketPool> pool_;
  std::atomic<PollList*> list_{nullptr};
  std::atomic<uint64_t> list_version_{0};   // bumped by set_ports
  std::atomic<uint64_t> seen_version_{0};   // the version the thread runs with
  std::atomic<bool> stop_{false};
  int wake_fd_ = -1;
  SharedStats shared_;
  std::thread thread_;
};

}  // namespace flowpath
