#include "datapath/forwarding_thread.h"

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <x86intrin.h>

#include <chrono>
#include <cstring>

#include "datapath/datapath.h"
#include "common/log_modules.h"
#include "common/rcu.h"

namespace flowpath {

ForwardingThread::ForwardingThread(unsigned id, std::optional<unsigned> cpu, PollPolicy policy,
                                   uint32_t pool_size)
    : id_(id),
      cpu_(cpu ? static_cast<int>(*cpu) : -1),
      policy_(policy),
      pool_(std::make_unique<PacketPool>(pool_size, PacketPool::kStandardBufferSize,
                                         kLargeBuffers)) {
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  list_.store(new PollList());
  thread_ = std::thread([this] { run(); });
  // Named from here too: once the constructor returns, /proc and ps show it.
  const std::string name = "fp-fwd" + std::to_string(id_);
  pthread_setname_np(thread_.native_handle(), name.c_str());
  // Pinned from here rather than by the thread itself, so that a later
  // set_cpu() cannot be undone by the thread's start.
  if (cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(*cpu, &set);
    pthread_setaffinity_np(thread_.native_handle(), sizeof set, &set);
  }
  // Told from the thread that starts it: a forwarding thread never logs.
  std::string where = cpu ? "on CPU " + std::to_string(*cpu) : std::string("unpinned");
  std::string polling = policy_.busy_poll
                            ? std::string("polls busily")
                            : "sleeps after " + std::to_string(policy_.spin_us) + " us idle";
  module_log(LogModule::kDatapath).info("forwarding thread fp-fwd{} started ({}, {})", id_, where,
                                        polling);
}

ForwardingThread::~ForwardingThread() {
  stop_.store(true);
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
  thread_.join();
  delete list_.load();
  close(wake_fd_);
  module_log(LogModule::kDatapath).info("forwarding thread fp-fwd{} stopped", id_);
}

std::optional<unsigned> ForwardingThread::cpu() const {
  const int cpu = cpu_.load(std::memory_order_relaxed);
  if (cpu < 0) return std::nullopt;
  return static_cast<unsigned>(cpu);
}

Status ForwardingThread::set_cpu(std::optional<unsigned> cpu, const cpu_set_t& unpinned) {
  cpu_set_t set = unpinned;
  if (cpu) {
    if (*cpu >= CPU_SETSIZE) return make_error("CPU " + std::to_string(*cpu) + " does not exist");
    CPU_ZERO(&set);
    CPU_SET(*cpu, &set);
  }
  if (int err = pthread_setaffinity_np(thread_.native_handle(), sizeof set, &set); err != 0) {
    return make_error("forwarding thread fp-fwd" + std::to_string(id_) + ": cannot " +
                      (cpu ? "pin it to CPU " + std::to_string(*cpu) : std::string("unpin it")) +
                      ": " + std::strerror(err));
  }
  cpu_.store(cpu ? static_cast<int>(*cpu) : -1, std::memory_order_relaxed);
  return Ok{};
}

void ForwardingThread::set_ports(std::vector<PollTarget> targets) {
  auto* next = new PollList{std::move(targets)};
  PollList* old = list_.exchange(next, std::memory_order_acq_rel);
  uint64_t version = list_version_.fetch_add(1, std::memory_order_acq_rel) + 1;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
  // The thread acknowledges between iterations, when it holds no pointer
  // from the old list.
  while (seen_version_.load(std::memory_order_acquire) < version && !stop_.load()) {
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  delete old;
}

ForwardingThreadStats ForwardingThread::stats() const {
  ForwardingThreadStats s;
  uint64_t words[kProcessorWords];
  for (size_t i = 0; i < kProcessorWords; ++i) {
    words[i] = shared_.processor[i].load(std::memory_order_relaxed);
  }
  std::memcpy(&s.processor, words, sizeof words);
  s.busy_cycles = shared_.busy_cycles.load(std::memory_order_relaxed);
  s.idle_cycles = shared_.idle_cycles.load(std::memory_order_relaxed);
  s.sleeps = shared_.sleeps.load(std::memory_order_relaxed);
  s.ports = list_.load(std::memory_order_acquire)->targets.size();
  return s;
}

void ForwardingThread::publish_stats(const ProcessorStats& now) {
  uint64_t words[kProcessorWords];
  std::memcpy(words, &now, sizeof words);
  for (size_t i = 0; i < kProcessorWords; ++i) {
    shared_.processor[i].store(words[i], std::memory_order_relaxed);
  }
}

void ForwardingThread::sleep_until_readable(const PollList& list) {
  constexpr size_t kMaxFds = 65;
  pollfd fds[kMaxFds];
  const PollTarget* owners[kMaxFds] = {};
  nfds_t n = 0;
  fds[n++] = {wake_fd_, POLLIN, 0};
  for (const PollTarget& t : list.targets) {
    int fd = t.port->vport().wait_fd();
    if (fd >= 0 && n < kMaxFds) {
      owners[n] = &t;
      fds[n++] = {fd, POLLIN, 0};
    }
  }
  shared_.sleeps.fetch_add(1, std::memory_order_relaxed);
  if (poll(fds, n, kSleepTimeoutMs) <= 0) return;
  if (fds[0].revents & POLLIN) {
    uint64_t v;
    [[maybe_unused]] ssize_t r = read(wake_fd_, &v, sizeof v);
  }
  // A device that went down or away leaves an error on its descriptor,
  // which polls as ready until it is taken: take it (or the thread would
  // spin) and keep it where the control plane shows it.
  for (nfds_t i = 1; i < n; ++i) {
    if ((fds[i].revents & (POLLERR | POLLHUP | POLLNVAL)) == 0) continue;
    Vport& vport = owners[i]->port->vport();
    if (Status st = vport.take_pending_error(); !st.ok()) vport.record_device_error(st.error());
  }
}

void ForwardingThread::run() {
  rcu::ensure_thread_registered();
  PacketProcessor processor(*pool_, static_cast<int>(id_));
  const auto spin = std::chrono::microseconds(policy_.spin_us);
  uint32_t empty_polls = 0;
  std::chrono::steady_clock::time_point idle_since;
  PacketBatch batch;
  while (!stop_.load(std::memory_order_relaxed)) {
    uint64_t version = list_version_.load(std::memory_order_acquire);
    const PollList* list = list_.load(std::memory_order_acquire);
    seen_version_.store(version, std::memory_order_release);

    uint64_t start = __rdtsc();
    size_t received = 0;
    {
      rcu::ReadSection section;
      for (const PollTarget& t : list->targets) {
        batch.clear();
        size_t n = t.port->vport().receive(*pool_, batch);
        if (n == 0) continue;
        received += n;
        processor.process(*t.dp, batch);
      }
    }
    uint64_t cycles = __rdtsc() - start;
    if (received) {
      shared_.busy_cycles.fetch_add(cycles, std::memory_order_relaxed);
      publish_stats(processor.processor_stats());
      empty_polls = 0;
    } else {
      shared_.idle_cycles.fetch_add(cycles, std::memory_order_relaxed);
      if (empty_polls++ == 0) idle_since = std::chrono::steady_clock::now();
      if (policy_.busy_poll) {
        if (empty_polls % kPublishInterval == 0) publish_stats(processor.processor_stats());
      } else if (std::chrono::steady_clock::now() - idle_since >= spin) {
        publish_stats(processor.processor_stats());
        // Acknowledge any pending list change before sleeping.
        if (list_version_.load(std::memory_order_acquire) == version) sleep_until_readable(*list);
        empty_polls = 0;
      }
    }
  }
  seen_version_.store(list_version_.load());
}

}  // namespace flowpath
