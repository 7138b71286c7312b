// Frames of every legal size on every port type (vport.h): runts dropped
// and counted against the port and its datapath, jumbo and 64 KiB frames
// received into large buffers and sent whole, and the mtu=N option. (The
// datapath keeps frames above a port's MTU from it: datapath_drops_test.)
// pcap ports run anywhere; tap, afpacket and afxdp ports need root and
// /dev/net/tun (an afpacket or afxdp port opens on a TAP device made for
// the test).
#include <pcap/pcap.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "vport/afpacket_port.h"
#include "vport/afxdp_port.h"
#include "vport/netdev.h"
#include "vport/vport.h"
#include "vport_test_support.h"

namespace flowpath {
namespace {

// The forwarding threads' pool shape: standard buffers and a few large ones.
PacketPool make_thread_pool(uint32_t large = 8) {
  return PacketPool(64, PacketPool::kStandardBufferSize, large);
}

// ---------------------------------------------------------------- mtu=N

TEST(MtuOptionTest, IsCheckedByEveryPortType) {
  EXPECT_EQ(parse_afpacket_options("p0", {{"mtu", "9000"}})->mtu, 9000u);
  EXPECT_EQ(parse_afpacket_options("p0", {})->mtu, 0u) << "absent: the interface keeps its MTU";
  EXPECT_EQ(parse_afpacket_options("p0", {{"mtu", "67"}}).error(),
            "afpacket port p0: option mtu=67 is not an integer in 68..65535");
  EXPECT_EQ(parse_afxdp_options("p0", {{"mtu", "9000"}})->mtu, 9000u);
  EXPECT_EQ(parse_afxdp_options("p0", {{"mtu", "65536"}}).error(),
            "afxdp port p0: option mtu=65536 is not an integer in 68..65535");
  auto pcap = create_vport(VportKind::kPcap, "p0", {{"tx", "/dev/null"}, {"mtu", "jumbo"}});
  ASSERT_FALSE(pcap.ok());
  EXPECT_EQ(pcap.error(), "pcap port p0: option mtu=jumbo is not an integer in 68..65535");
  auto tap = create_vport(VportKind::kTap, "p0", {{"mtu", "0"}});
  ASSERT_FALSE(tap.ok());
  EXPECT_EQ(tap.error(), "tap port p0: option mtu=0 is not an integer in 68..65535");
}

// ----------------------------------------------------------------------- pcap

class PcapFramesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("vport_frames_test_" + std::to_string(::getpid()) + "_" + info->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& file) const { return (dir_ / file).string(); }

  // Writes `frames` with libpcap itself, runts included (no port sends those).
  void write_capture(const std::string& file, const std::vector<Bytes>& frames) {
    pcap_t* dead = pcap_open_dead(DLT_EN10MB, 262144);
    pcap_dumper_t* dumper = pcap_dump_open(dead, path(file).c_str());
    ASSERT_NE(dumper, nullptr);
    for (const Bytes& frame : frames) {
      pcap_pkthdr header = {};
      header.caplen = header.len = static_cast<uint32_t>(frame.size());
      pcap_dump(reinterpret_cast<u_char*>(dumper), &header, frame.data());
    }
    pcap_dump_close(dumper);
    pcap_close(dead);
  }
  std::vector<Bytes> read_capture(const std::string& file) {
    char error[PCAP_ERRBUF_SIZE] = {};
    pcap_t* capture = pcap_open_offline(path(file).c_str(), error);
    EXPECT_NE(capture, nullptr) << error;
    std::vector<Bytes> frames;
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    while (capture != nullptr && pcap_next_ex(capture, &header, &data) == 1) {
      EXPECT_EQ(header->caplen, header->len);
      frames.emplace_back(data, data + header->caplen);
    }
    if (capture != nullptr) pcap_close(capture);
    return frames;
  }
  std::unique_ptr<Vport> open(const VportOptions& options) {
    auto port = create_vport(VportKind::kPcap, "p0", options);
    EXPECT_TRUE(port.ok()) << port.error();
    return port.ok() ? std::move(*port) : nullptr;
  }

  std::filesystem::path dir_;
};

TEST_F(PcapFramesTest, RuntsAreDroppedAndCountedAgainstPortAndDatapath) {
  std::vector<Bytes> frames;
  for (size_t size = 0; size < kMinFrameSize; ++size) frames.push_back(Bytes(size, 0xee));
  frames.insert(frames.begin() + 5, Bytes(14, 0x02));
  frames.push_back(make_frame(2, 60));
  write_capture("runts.pcap", frames);
  auto port = open({{"rx", path("runts.pcap")}});
  ASSERT_NE(port, nullptr);
  DropCounters datapath_drops;
  port->set_datapath_drops(&datapath_drops);
  PacketPool pool = make_thread_pool();
  std::vector<Bytes> got = receive_once(*port, pool);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], Bytes(14, 0x02)) << "an Ethernet header alone is a frame";
  EXPECT_EQ(got[1], make_frame(2, 60));
  VportStats stats = port->stats();
  EXPECT_EQ(stats.rx_packets, 2u);
  EXPECT_EQ(stats.rx_bytes, 74u);
  EXPECT_EQ(stats.drops[DropReason::kRxInvalidPacket], kMinFrameSize)
      << "the 14 runts of 0..13 bytes";
  EXPECT_EQ(stats.drops.total(), kMinFrameSize);
  EXPECT_EQ(datapath_drops.get(DropReason::kRxInvalidPacket), kMinFrameSize);
  EXPECT_EQ(stats.rx_errors, 0u);
  EXPECT_EQ(stats.rx_dropped, 0u);
  EXPECT_EQ(pool.available(), 64u);
  EXPECT_EQ(drop_reason_name(DropReason::kRxInvalidPacket), "datapath_drop_rx_invalid_packet")
      << "Open vSwitch's name for it";
}

TEST_F(PcapFramesTest, JumboAndLargestFramesArriveWholeInLargeBuffers) {
  const uint32_t largest = PacketPool::kLargeFrameSize;
  write_capture("big.pcap", {make_frame(1, 9014), make_frame(2, 60), make_frame(3, largest),
                             make_frame(4, largest + 1), make_frame(5, 1514)});
  auto port = open({{"rx", path("big.pcap")}});
  ASSERT_NE(port, nullptr);
  PacketPool pool = make_thread_pool();
  PacketBatch batch;
  ASSERT_EQ(port->receive(pool, batch), 4u);
  EXPECT_EQ(Bytes(batch[0]->data(), batch[0]->data() + batch[0]->size()), make_frame(1, 9014));
  EXPECT_EQ(batch[0]->pool(), pool.larger());
  EXPECT_EQ(batch[1]->pool(), &pool) << "small frames stay in standard buffers";
  EXPECT_EQ(Bytes(batch[2]->data(), batch[2]->data() + batch[2]->size()),
            make_frame(3, largest));
  EXPECT_EQ(batch[2]->pool(), pool.larger());
  EXPECT_EQ(batch[3]->size(), 1514u);
  EXPECT_EQ(batch[3]->pool(), &pool);
  for (Packet* p : batch) p->pool()->release(p);
  VportStats stats = port->stats();
  EXPECT_EQ(stats.rx_dropped, 1u) << "one byte beyond the largest buffer";
  EXPECT_EQ(stats.rx_errors, 0u);
  EXPECT_EQ(pool.available(), 64u);
  EXPECT_EQ(pool.larger()->available(), 8u);
}

TEST_F(PcapFramesTest, LargeBuffersRunningOutLoseNoFrame) {
  std::vector<Bytes> frames;
  for (uint8_t i = 0; i < 5; ++i) frames.push_back(make_frame(i, 9014));
  write_capture("jumbo.pcap", frames);
  auto port = open({{"rx", path("jumbo.pcap")}});
  ASSERT_NE(port, nullptr);
  PacketPool pool = make_thread_pool(/*large=*/2);
  std::vector<Bytes> got;
  for (int round = 0; round < 3; ++round) {
    std::vector<Bytes> part = receive_once(*port, pool);
    EXPECT_EQ(part.size(), round < 2 ? 2u : 1u);
    got.insert(got.end(), part.begin(), part.end());
  }
  EXPECT_EQ(got, frames);
  EXPECT_EQ(port->stats().rx_dropped, 0u);
}

TEST_F(PcapFramesTest, MtuOptionIsTheLinksMtu) {
  EXPECT_EQ(open({{"tx", path("out.pcap")}, {"mtu", "1500"}})->mtu(), 1500u);
  EXPECT_EQ(open({{"tx", path("out.pcap")}})->mtu(), 65535u) << "a file has no MTU of its own";
}

TEST_F(PcapFramesTest, WrittenJumboFramesReadBackWhole) {
  {
    auto writer = open({{"tx", path("jumbo.pcap")}});
    ASSERT_NE(writer, nullptr);
    PacketPool pool = make_thread_pool();
    EXPECT_EQ(send_frames(*writer, pool, {make_frame(1, 9014), make_frame(2, 65535 + 14)}), 2u);
  }
  EXPECT_EQ(read_capture("jumbo.pcap"),
            (std::vector<Bytes>{make_frame(1, 9014), make_frame(2, 65535 + 14)}));
}

// -------------------------------------------------- tap, afpacket and afxdp

class DeviceFramesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to create TAP devices";
    if (::access("/dev/net/tun", R_OK | W_OK) != 0) GTEST_SKIP() << "no /dev/net/tun";
  }
  static std::string device_name(char suffix) {
    return "fpfr" + std::to_string(::getpid() % 10000000) + suffix;
  }
  std::unique_ptr<Vport> make_port(VportKind kind, const std::string& name,
                                   const VportOptions& options = {}) {
    auto port = create_vport(kind, name, options);
    EXPECT_TRUE(port.ok()) << port.error();
    return port.ok() ? std::move(*port) : nullptr;
  }
  // Sends `frame` on interface `name` through a raw socket.
  static void inject(const std::string& name, const Bytes& frame) {
    int fd = open_packet_socket(name);
    sockaddr_ll address = {};
    address.sll_family = AF_PACKET;
    address.sll_ifindex = static_cast<int>(::if_nametoindex(name.c_str()));
    EXPECT_EQ(::sendto(fd, frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&address),
                       sizeof address),
              static_cast<ssize_t>(frame.size()));
    ::close(fd);
  }

  PacketPool pool_ = make_thread_pool();
};

TEST_F(DeviceFramesTest, TapCarriesJumboFramesBothWays) {
  const std::string name = device_name('t');
  auto tap = make_port(VportKind::kTap, name, {{"mtu", "9000"}});
  ASSERT_NE(tap, nullptr);
  EXPECT_EQ(tap->mtu(), 9000u);
  EXPECT_EQ(*interface_mtu(name), 9000u);

  // Device -> port: read whole although larger than a standard buffer.
  const Bytes in = make_frame(0x11, 9014);
  inject(name, in);
  std::vector<Bytes> got = receive_test_frames(*tap, pool_, 1, std::chrono::seconds(2));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], in);

  // Port -> device: a frame at the MTU leaves whole.
  int sniffer = open_packet_socket(name);
  const Bytes out = make_frame(0x22, 9014);
  EXPECT_EQ(send_frames(*tap, pool_, {out}), 1u);
  Bytes seen;
  for (int attempt = 0; attempt < 200 && seen.empty(); ++attempt) {
    static uint8_t buffer[16384];
    ssize_t n = ::recv(sniffer, buffer, sizeof buffer, 0);
    uint8_t marker;
    if (n > 0 && is_test_frame(Bytes(buffer, buffer + n), &marker) && marker == 0x22) {
      seen.assign(buffer, buffer + n);
    }
    if (n < 0) ::usleep(5000);
  }
  ::close(sniffer);
  EXPECT_EQ(seen, out);
  EXPECT_EQ(tap->stats().tx_packets, 1u);
  EXPECT_EQ(pool_.available(), 64u);
  EXPECT_EQ(pool_.larger()->available(), 8u);
}

// An afpacket or afxdp port opened on a TAP device made for the test: what
// the port sends, the TAP port reads, and what the TAP port writes, the
// port receives.
class WireFramesTest : public DeviceFramesTest {
 protected:
  static constexpr uint32_t kTapMtu = 9000;
  static constexpr uint32_t kPortMtu = 9100;  // set by the port's option

  // The TAP end at MTU 9000, then a port of `kind` on it with `options`
  // and mtu=9100.
  void open_wire(VportKind kind, VportOptions options) {
    name_ = device_name('w');
    tap_ = make_port(VportKind::kTap, name_, {{"mtu", std::to_string(kTapMtu)}});
    ASSERT_NE(tap_, nullptr);
    options["mtu"] = std::to_string(kPortMtu);
    port_ = make_port(kind, name_, options);
    ASSERT_NE(port_, nullptr);
  }
  // The MTU option set the device's MTU; jumbo frames cross both ways whole.
  void check_jumbo_wire() {
    EXPECT_EQ(*interface_mtu(name_), kPortMtu) << "mtu=N sets the device's MTU";
    EXPECT_EQ(port_->mtu(), kPortMtu);
    const std::vector<Bytes> jumbo = {make_frame(1, 9014), make_frame(2, 64),
                                      make_frame(3, 9018, {{0x8100, 9}}), make_frame(4, 1514)};
    send_frames(*tap_, tap_pool_, jumbo);
    EXPECT_EQ(receive_test_frames(*port_, pool_, jumbo.size(), std::chrono::seconds(2)), jumbo);

    send_frames(*port_, pool_, {jumbo[0], jumbo[1], jumbo[2]});
    EXPECT_EQ(receive_test_frames(*tap_, tap_pool_, 3, std::chrono::seconds(2)),
              (std::vector<Bytes>{jumbo[0], jumbo[1], jumbo[2]}));
    VportStats stats = port_->stats();
    EXPECT_EQ(stats.tx_errors, 0u);
    EXPECT_EQ(stats.tx_packets, 3u);
    EXPECT_EQ(stats.rx_dropped, 0u);
    EXPECT_EQ(pool_.larger()->available(), 8u);
    EXPECT_EQ(tap_pool_.larger()->available(), 8u);
  }

  std::string name_;
  std::unique_ptr<Vport> tap_;
  std::unique_ptr<Vport> port_;
  PacketPool tap_pool_ = make_thread_pool();
};

TEST_F(WireFramesTest, AfPacketWithTheTransmitRing) {
  open_wire(VportKind::kAfPacket, {{"tx_ring", "on"}});
  if (HasFatalFailure()) return;
  EXPECT_GE(static_cast<AfPacketPort&>(*port_).tx_frame_capacity(), kPortMtu + 18);
  check_jumbo_wire();
}

TEST_F(WireFramesTest, AfPacketWithSendmmsg) {
  open_wire(VportKind::kAfPacket, {{"tx_ring", "off"}});
  if (HasFatalFailure()) return;
  check_jumbo_wire();
}

// A TAP device has one queue and takes generic XDP; 9,100 bytes need
// multi-buffer sockets (Linux 6.6+).
TEST_F(WireFramesTest, AfXdpMultiBufferInGenericMode) {
  open_wire(VportKind::kAfXdp, {{"mode", "generic"}});
  if (HasFatalFailure()) return;
  EXPECT_TRUE(static_cast<AfXdpPort&>(*port_).multi_buffer());
  check_jumbo_wire();
}

TEST_F(WireFramesTest, AfXdpAtAStandardMtuStaysSingleBuffer) {
  name_ = device_name('w');
  tap_ = make_port(VportKind::kTap, name_);
  ASSERT_NE(tap_, nullptr);
  port_ = make_port(VportKind::kAfXdp, name_, {{"mode", "generic"}, {"frame_size", "2048"}});
  ASSERT_NE(port_, nullptr);
  EXPECT_FALSE(static_cast<AfXdpPort&>(*port_).multi_buffer())
      << "1,518 bytes fit a 2 KiB chunk after the 256-byte headroom";
}

}  // namespace
}  // namespace flowpath
