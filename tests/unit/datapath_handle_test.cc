// The slow path's datapath handle: flows put (one or a batch), read, dumped
// and deleted, packets executed, all without DatapathInterface's control
// mutex — so a port change that holds that mutex (while a device opens, or
// across an RCU grace period) never stalls flow setup. Needs root (a
// datapath's local port is a TAP device).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <unistd.h>
#include <sys/syscall.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "common/rcu.h"
#include "datapath/datapath_interface.h"
#include "datapath/packet_processor.h"
#include "odp/odp_action_text.h"
#include "odp/odp_flow.h"

namespace flowpath {
namespace {

using namespace std::chrono_literals;

bool can_make_datapaths() { return geteuid() == 0 && access("/dev/net/tun", R_OK | W_OK) == 0; }

Match match_of(const std::string& text) {
  auto parsed = parse_flow(text);
  EXPECT_TRUE(parsed.ok()) << parsed.error();
  return parsed.ok() ? parsed->match : Match{};
}

std::vector<uint8_t> actions_of(const std::string& text) {
  auto parsed = parse_odp_actions(text);
  EXPECT_TRUE(parsed.ok()) << parsed.error();
  return parsed.ok() ? *parsed : std::vector<uint8_t>{};
}

Match flow_from_port(uint32_t port, uint32_t host) {
  char text[200];
  std::snprintf(text, sizeof text,
                "in_port(%u),eth(src=02:00:00:%02x:%02x:%02x,dst=02:00:00:00:00:01),"
                "eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=17,tos=0,ttl=64,frag=no),"
                "udp(src=1,dst=2)",
                port, (host >> 16) & 0xff, (host >> 8) & 0xff, host & 0xff);
  return match_of(text);
}

// The state of a thread of this process: 'R' running, 'S'/'D' blocked.
char thread_state(pid_t tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string line;
  std::getline(in, line);
  auto close = line.rfind(')');
  return close == std::string::npos || close + 2 >= line.size() ? '?' : line[close + 2];
}

class DatapathHandleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!can_make_datapaths()) GTEST_SKIP() << "needs root and /dev/net/tun";
    dir_ = std::filesystem::temp_directory_path() / ("dphandle." + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    name_ = "dph" + std::to_string(getpid() % 100000);
    ASSERT_TRUE(dpif_.create_datapath(name_).ok());
    auto port = dpif_.add_port(name_, VportSpec{"out1", VportKind::kPcap,
                                                {{"tx", (dir_ / "out1.pcap").string()}}});
    ASSERT_TRUE(port.ok()) << port.error();
    out_port_ = *port;
    auto keep = dpif_.add_port(name_, VportSpec{"keep1", VportKind::kPcap,
                                                {{"tx", (dir_ / "keep1.pcap").string()}}});
    ASSERT_TRUE(keep.ok()) << keep.error();
    keep_port_ = *keep;
    auto handle = dpif_.open_handle(name_);
    ASSERT_TRUE(handle.ok()) << handle.error();
    handle_ = *handle;
  }
  void TearDown() override {
    handle_.reset();
    (void)dpif_.delete_datapath(name_);
    std::filesystem::remove_all(dir_);
  }

  // Puts, reads, dumps, executes and deletes `n` flows through the handle
  // (output to keep1, which no test changes).
  void flow_setup(uint32_t first_host, uint32_t n) {
    std::vector<uint8_t> actions = actions_of(std::to_string(keep_port_));
    std::vector<MegaflowPut> puts;
    for (uint32_t i = 0; i < n; ++i) {
      MegaflowPut put{flow_from_port(keep_port_, first_host + i), std::nullopt, actions,
                      PutMode::kCreate};
      puts.push_back(put);
    }
    std::vector<Result<MegaflowPutResult>> results;
    handle_->put_batch(puts, &results);
    ASSERT_EQ(results.size(), n);
    for (auto& r : results) ASSERT_TRUE(r.ok()) << r.error();
    auto got = handle_->get(results[0]->ufid);
    ASSERT_TRUE(got.ok()) << got.error();
    std::array<FlowStatsEntry, 16> chunk;
    FlowDumpCursor cursor;
    size_t dumped = 0;
    while (!cursor.done()) dumped += handle_->dump(&cursor, chunk);
    EXPECT_GE(dumped, n);
    PacketExecutor executor;
    std::vector<uint8_t> frame(60, 0);
    frame[12] = 0x08;
    PacketMetadata md{};
    md.in_port = keep_port_;
    EXPECT_TRUE(handle_->execute(executor, frame, md, actions).ok());
    for (auto& r : results) ASSERT_TRUE(handle_->remove(r->ufid).ok());
  }

  DatapathInterface dpif_;
  std::filesystem::path dir_;
  std::string name_;
  uint32_t out_port_ = 0;
  uint32_t keep_port_ = 0;
  std::shared_ptr<DatapathHandle> handle_;
};

TEST_F(DatapathHandleTest, PutsGetsDumpsExecutesAndDeletes) {
  std::vector<uint8_t> good = actions_of(std::to_string(out_port_));
  std::vector<uint8_t> bad = actions_of("77");
  MegaflowPut a{flow_from_port(out_port_, 1), std::nullopt, good, PutMode::kCreate};
  MegaflowPut b{flow_from_port(out_port_, 2), std::nullopt, bad, PutMode::kCreate};
  MegaflowPut c{flow_from_port(out_port_, 3), std::nullopt, good, PutMode::kCreate};
  std::vector<Result<MegaflowPutResult>> results;
  std::vector<MegaflowPut> batch = {a, b, c};
  handle_->put_batch(batch, &results);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0].ok());
  ASSERT_FALSE(results[1].ok());
  EXPECT_NE(results[1].error().find("port 77"), std::string::npos) << results[1].error();
  EXPECT_TRUE(results[2].ok());
  EXPECT_EQ(handle_->flow_count(), 2u);

  // Creating again is refused; modifying is not.
  EXPECT_FALSE(handle_->put(a).ok());
  a.mode = PutMode::kModify;
  EXPECT_TRUE(handle_->put(a).ok());

  std::vector<FlowEntry> entries;
  FlowDumpCursor cursor;
  while (!cursor.done()) handle_->dump(&cursor, &entries, 1);
  EXPECT_EQ(entries.size(), 2u);

  auto removed = handle_->remove(results[0]->ufid);
  ASSERT_TRUE(removed.ok()) << removed.error();
  EXPECT_FALSE(handle_->get(results[0]->ufid).ok());
  EXPECT_TRUE(handle_->flush().ok());
  EXPECT_EQ(handle_->flow_count(), 0u);
}

TEST_F(DatapathHandleTest, ADeletedDatapathFailsEveryOperationByName) {
  ASSERT_TRUE(dpif_.delete_datapath(name_).ok());
  EXPECT_TRUE(handle_->deleted());
  auto r = handle_->put(MegaflowPut{flow_from_port(1, 1), std::nullopt, {}, PutMode::kCreate});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "datapath " + name_ + " was deleted");
  FlowDumpCursor cursor;
  std::array<FlowStatsEntry, 4> chunk;
  EXPECT_EQ(handle_->dump(&cursor, chunk), 0u);
  EXPECT_TRUE(cursor.done());
  // The name is free again although the handle still holds the old object.
  EXPECT_TRUE(dpif_.create_datapath(name_).ok());
}

// set_port holds the control mutex while the new device opens. A pcap port
// whose rx file is a FIFO blocks in that open until a writer comes: while it
// does, flows must still go in and out through the handle.
TEST_F(DatapathHandleTest, APortOpeningUnderTheControlMutexDoesNotStallFlowSetup) {
  std::string fifo = (dir_ / "rx.fifo").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  auto slow = std::async(std::launch::async, [&] {
    return dpif_.set_port(name_, VportSpec{"out1", VportKind::kPcap,
                                           {{"rx", fifo}, {"tx", (dir_ / "out2.pcap").string()}}});
  });
  // A writer can open the FIFO without blocking once the reader has it open:
  // then set_port is inside the device open, holding the mutex.
  int writer = -1;
  for (int i = 0; i < 2000 && writer < 0; ++i) {
    writer = open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
    if (writer < 0) std::this_thread::sleep_for(5ms);
  }
  ASSERT_GE(writer, 0) << "set_port never opened the FIFO";

  auto setup = std::async(std::launch::async, [&] { flow_setup(1000, 500); });
  bool finished = setup.wait_for(30s) == std::future_status::ready;
  EXPECT_TRUE(finished) << "flow setup waited for the port change";
  EXPECT_NE(slow.wait_for(0s), std::future_status::ready);

  // Let the open finish: an empty capture (the global header only).
  const uint32_t header[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};
  ASSERT_EQ(write(writer, header, sizeof header), static_cast<ssize_t>(sizeof header));
  close(writer);
  Status st = slow.get();
  EXPECT_TRUE(st.ok()) << st.error();
  if (!finished) setup.wait();
}

// remove_port holds the control mutex across an RCU grace period. A thread
// sitting in a read section keeps that grace period from ending: while it
// does, flows must still go in and out through the handle.
TEST_F(DatapathHandleTest, APortRemovalWaitingForAGracePeriodDoesNotStallFlowSetup) {
  auto port = dpif_.add_port(name_, VportSpec{"gone1", VportKind::kPcap,
                                              {{"tx", (dir_ / "gone1.pcap").string()}}});
  ASSERT_TRUE(port.ok()) << port.error();
  std::atomic<bool> release{false}, reading{false};
  std::thread reader([&] {
    rcu::ReadSection section;
    reading = true;
    while (!release) std::this_thread::sleep_for(1ms);
  });
  while (!reading) std::this_thread::yield();
  std::atomic<pid_t> remover_tid{0};
  auto slow = std::async(std::launch::async, [&] {
    remover_tid = static_cast<pid_t>(syscall(SYS_gettid));
    return dpif_.remove_port(name_, "gone1");
  });
  // Wait until the removal sleeps (it holds the mutex from its first line).
  bool blocked = false;
  for (int i = 0; i < 2000 && !blocked; ++i) {
    pid_t tid = remover_tid.load();
    blocked = tid != 0 && (thread_state(tid) == 'S' || thread_state(tid) == 'D') &&
              slow.wait_for(0s) != std::future_status::ready;
    if (!blocked) std::this_thread::sleep_for(1ms);
  }
  EXPECT_TRUE(blocked) << "remove_port did not block on the grace period";

  auto setup = std::async(std::launch::async, [&] { flow_setup(5000, 500); });
  bool finished = setup.wait_for(30s) == std::future_status::ready;
  EXPECT_TRUE(finished) << "flow setup waited for the port removal";
  EXPECT_NE(slow.wait_for(0s), std::future_status::ready);

  release = true;
  reader.join();
  Status st = slow.get();
  EXPECT_TRUE(st.ok()) << st.error();
  if (!finished) setup.wait();
}

}  // namespace
}  // namespace flowpath

namespace flowpath {
namespace {

// What the owner of a caller-driven interface gets: upcalls wait in the
// queue until it hands them over, on its own thread.
class CountingUpcallHandler final : public UpcallHandler {
 public:
  void handle(const DatapathHandle&, std::span<Upcall> upcalls) override {
    for (const Upcall& upcall : upcalls) in_ports.push_back(upcall.in_port);
  }
  std::vector<uint32_t> in_ports;
};

// fpctl replay's datapath: no thread, a pcap local port, no root needed.
TEST(CallerDrivenDatapathTest, NoThreadTakesUpcallsAndTheLocalPortIsChosen) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("caller_driven_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto handler = std::make_shared<CountingUpcallHandler>();
  {
    DatapathConfig config;
    config.caller_driven = true;
    config.upcall_handler = handler;
    config.local_port = [&dir](const std::string& dp) {
      return VportSpec{dp, VportKind::kPcap, {{"tx", (dir / "local.pcap").string()}}};
    };
    DatapathInterface dpif(config);
    EXPECT_TRUE(dpif.thread_stats().empty());
    ASSERT_TRUE(dpif.create_datapath("dp0").ok());
    auto ports = dpif.list_ports("dp0");
    ASSERT_TRUE(ports.ok()) << ports.error();
    ASSERT_EQ(ports->size(), 1u);
    EXPECT_EQ((*ports)[0].kind, VportKind::kPcap);

    Datapath* dp = dpif.find("dp0");
    PacketPool pool(64);
    PacketProcessor processor(pool);
    PacketBatch batch;
    Packet* packet = pool.allocate();
    const std::vector<uint8_t> frame(60, 0x11);
    std::memcpy(packet->put(frame.size()), frame.data(), frame.size());
    packet->md.in_port = 0;
    batch.add(packet);
    {
      rcu::ReadSection section;
      processor.process(*dp, batch);
    }
    EXPECT_TRUE(handler->in_ports.empty());
    EXPECT_EQ(dp->upcalls().queued(), 1u);
    auto handled = dpif.handle_upcalls("dp0");
    ASSERT_TRUE(handled.ok()) << handled.error();
    EXPECT_EQ(*handled, 1u);
    EXPECT_EQ(handler->in_ports, std::vector<uint32_t>{0});
    EXPECT_FALSE(dpif.handle_upcalls("nodp").ok());
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace flowpath
