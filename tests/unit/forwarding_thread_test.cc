// How a forwarding thread waits (PollPolicy): by default it sleeps in poll()
// once its ports have been idle for spin_us; with busy_poll it never sleeps.
#include "datapath/forwarding_thread.h"

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "datapath/datapath_port.h"

namespace flowpath {
namespace {

// A port that never has a frame; receive() counts its calls.
class IdlePort final : public Vport {
 public:
  IdlePort() : Vport(VportKind::kPcap, "idle"), fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~IdlePort() override { ::close(fd_); }
  size_t receive(PacketPool&, PacketBatch&) override {
    calls.fetch_add(1, std::memory_order_relaxed);
    return 0;
  }
  size_t send(PacketBatch& batch) override {
    batch.clear();
    return 0;
  }
  int wait_fd() const override { return fd_; }
  uint32_t mtu() const override { return 1500; }
  std::atomic<uint64_t> calls{0};

 private:
  int fd_;
};

// Polls `condition` every millisecond for up to 5 seconds.
template <typename Condition>
bool eventually(Condition condition) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

class ForwardingThreadTest : public ::testing::Test {
 protected:
  ForwardingThreadTest() {
    auto vport = std::make_unique<IdlePort>();
    idle_ = vport.get();
    port_ = std::make_unique<DatapathPort>(1, std::move(vport), VportSpec{});
  }
  // A thread polling the idle port; the port never delivers, so no
  // datapath is needed.
  std::unique_ptr<ForwardingThread> start(PollPolicy policy) {
    auto thread = std::make_unique<ForwardingThread>(0, std::nullopt, policy, 64);
    thread->set_ports({PollTarget{nullptr, port_.get()}});
    return thread;
  }

  IdlePort* idle_ = nullptr;
  std::unique_ptr<DatapathPort> port_;
};

TEST_F(ForwardingThreadTest, DefaultPolicySpinsBrieflyThenSleeps) {
  PollPolicy policy;
  EXPECT_EQ(policy.spin_us, 50u);
  EXPECT_FALSE(policy.busy_poll);
  auto thread = start(policy);
  EXPECT_EQ(thread->poll_policy().spin_us, 50u);
  ASSERT_TRUE(eventually([&] { return thread->stats().sleeps > 0; }));
}

TEST_F(ForwardingThreadTest, BusyPollNeverSleeps) {
  PollPolicy policy;
  policy.busy_poll = true;
  auto thread = start(policy);
  EXPECT_TRUE(thread->poll_policy().busy_poll);
  // Far more empty polls than a default thread makes before it sleeps.
  ASSERT_TRUE(eventually([&] { return idle_->calls.load() > 200'000; }));
  ForwardingThreadStats stats = thread->stats();
  EXPECT_EQ(stats.sleeps, 0u);
  EXPECT_GT(stats.idle_cycles, 0u);
}

TEST_F(ForwardingThreadTest, ZeroSpinSleepsAfterTheFirstEmptyPoll) {
  PollPolicy policy;
  policy.spin_us = 0;
  auto thread = start(policy);
  ASSERT_TRUE(eventually([&] { return thread->stats().sleeps >= 3; }));
  // Every empty poll is followed by a sleep (counted before it begins).
  const uint64_t calls = idle_->calls.load();
  EXPECT_LE(calls, thread->stats().sleeps + 1);
}

}  // namespace
}  // namespace flowpath
