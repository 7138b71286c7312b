// Vport tests: kinds and specs, the pcap port end to end, and (as root with
// /dev/net/tun) tap, internal and afpacket ports on real TAP devices.
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <linux/capability.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "vport/afpacket_port.h"
#include "vport/afxdp_port.h"
#include "vport/pcap_port.h"
#include "vport/tap_port.h"
#include "vport/vport.h"
#include "vport_test_support.h"

namespace flowpath {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// ---------------------------------------------------------------- kinds, specs

TEST(VportKindTest, ToAndFromString) {
  EXPECT_EQ(to_string(VportKind::kAfPacket), "afpacket");
  EXPECT_EQ(to_string(VportKind::kTap), "tap");
  EXPECT_EQ(to_string(VportKind::kInternal), "internal");
  EXPECT_EQ(to_string(VportKind::kPcap), "pcap");
  EXPECT_EQ(to_string(VportKind::kAfXdp), "afxdp");
  EXPECT_EQ(to_string(VportKind::kVxlan), "vxlan");
  EXPECT_EQ(to_string(VportKind::kGeneve), "geneve");
  EXPECT_EQ(to_string(VportKind::kGre), "gre");
  for (VportKind kind : {VportKind::kAfPacket, VportKind::kTap, VportKind::kInternal,
                         VportKind::kPcap, VportKind::kAfXdp, VportKind::kVxlan,
                         VportKind::kGeneve, VportKind::kGre}) {
    Result<VportKind> parsed = vport_kind_from_string(to_string(kind));
    ASSERT_TRUE(parsed.ok()) << to_string(kind);
    EXPECT_EQ(*parsed, kind);
  }
  Result<VportKind> bad = vport_kind_from_string("bogus");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(),
            "unknown port type 'bogus' (expected afpacket, tap, internal, pcap, afxdp, vxlan, "
            "geneve or gre)");
  EXPECT_FALSE(vport_kind_from_string("").ok());
  EXPECT_FALSE(vport_kind_from_string("Tap").ok());
}

TEST(VportSpecTest, ParsesNameTypeAndOptions) {
  Result<VportSpec> spec = parse_vport_spec("p0,type=pcap,rx=in.pcap,loop=3");
  ASSERT_TRUE(spec.ok()) << spec.error();
  EXPECT_EQ(spec->name, "p0");
  EXPECT_EQ(spec->kind, VportKind::kPcap);
  using Option = std::pair<const std::string, std::string>;
  EXPECT_THAT(spec->options, ElementsAre(Option("loop", "3"), Option("rx", "in.pcap")));

  Result<VportSpec> plain = parse_vport_spec("veth0");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->name, "veth0");
  EXPECT_EQ(plain->kind, VportKind::kAfPacket);
  EXPECT_TRUE(plain->options.empty());

  Result<VportSpec> empty_value = parse_vport_spec("t0,type=tap,mtu=");
  ASSERT_TRUE(empty_value.ok());
  EXPECT_EQ(empty_value->options.at("mtu"), "");
}

TEST(VportSpecTest, RejectsMalformedSpecs) {
  auto error_of = [](std::string_view text) {
    Result<VportSpec> spec = parse_vport_spec(text);
    return spec.ok() ? std::string("(accepted)") : spec.error();
  };
  EXPECT_EQ(error_of(""), "port specification '' has no port name");
  EXPECT_EQ(error_of(",type=tap"), "port specification ',type=tap' has no port name");
  EXPECT_EQ(error_of("type=tap"),
            "port specification 'type=tap' must start with the port name, not 'type=tap'");
  EXPECT_EQ(error_of("p0,loop"), "port option 'loop' is not key=value");
  EXPECT_EQ(error_of("p0,=3"), "port option '=3' is not key=value");
  EXPECT_EQ(error_of("p0,rx=a,rx=b"), "port option 'rx' is given twice");
  EXPECT_EQ(error_of("p0,type=tap,type=pcap"), "port option 'type' is given twice");
  EXPECT_EQ(error_of("p0,type=gre"), "(accepted)");
  EXPECT_EQ(error_of("p0,type=ip6gre"),
            "unknown port type 'ip6gre' (expected afpacket, tap, internal, pcap, afxdp, vxlan, "
            "geneve or gre; an IPv6 GRE tunnel is type=gre with an IPv6 remote_ip)");
  EXPECT_EQ(error_of("p0,type=erspan"),
            "unknown port type 'erspan' (expected afpacket, tap, internal, pcap, afxdp, vxlan, "
            "geneve or gre; erspan tunnels are not implemented yet)");
}

// ------------------------------------------------------------------------ pcap

class PcapPortTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("vport_test_" + std::to_string(::getpid()) + "_" + info->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& file) const { return (dir_ / file).string(); }

  // Writes `frames` to a pcap file through a tx-only port.
  void write_pcap(const std::string& file, const std::vector<Bytes>& frames) {
    Result<std::unique_ptr<Vport>> writer =
        create_vport(VportKind::kPcap, "writer", {{"tx", path(file)}});
    ASSERT_TRUE(writer.ok()) << writer.error();
    EXPECT_EQ(send_frames(**writer, pool_, frames), frames.size());
  }

  std::filesystem::path dir_;
  PacketPool pool_{256};
};

TEST_F(PcapPortTest, SentFramesReadBackByteExact) {
  std::vector<Bytes> frames = {make_frame(1, 60), make_frame(2, 1514), make_frame(3, 14),
                               make_frame(4, 64, {{0x8100, 0x2064}})};
  uint32_t available_before = pool_.available();
  {
    Result<std::unique_ptr<Vport>> writer =
        create_vport(VportKind::kPcap, "w0", {{"tx", path("out.pcap")}});
    ASSERT_TRUE(writer.ok()) << writer.error();
    EXPECT_EQ((*writer)->type(), VportKind::kPcap);
    EXPECT_EQ((*writer)->name(), "w0");
    EXPECT_EQ((*writer)->wait_fd(), -1);
    EXPECT_EQ(send_frames(**writer, pool_, frames), 4u);
    EXPECT_EQ(pool_.available(), available_before);  // send released every packet
    VportStats stats = (*writer)->stats();
    EXPECT_EQ(stats.tx_packets, 4u);
    EXPECT_EQ(stats.tx_bytes, 60u + 1514u + 15u + 64u);  // make_frame(3, 14) holds 15 bytes
    EXPECT_EQ(stats.tx_errors, 0u);
    EXPECT_EQ(stats.tx_dropped, 0u);
  }

  Result<std::unique_ptr<Vport>> reader =
      create_vport(VportKind::kPcap, "r0", {{"rx", path("out.pcap")}});
  ASSERT_TRUE(reader.ok()) << reader.error();
  (*reader)->set_port_no(7);
  PacketBatch batch;
  ASSERT_EQ((*reader)->receive(pool_, batch), 4u);
  ASSERT_EQ(batch.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(Bytes(batch[i]->data(), batch[i]->data() + batch[i]->size()), frames[i]) << i;
    EXPECT_EQ(batch[i]->md.in_port, 7u);
    EXPECT_EQ(batch[i]->headroom(), Packet::kDefaultHeadroom);
    pool_.release(batch[i]);
  }
  batch.clear();
  EXPECT_EQ((*reader)->receive(pool_, batch), 0u);
  EXPECT_TRUE(static_cast<PcapPort&>(**reader).rx_finished());
  VportStats stats = (*reader)->stats();
  EXPECT_EQ(stats.rx_packets, 4u);
  EXPECT_EQ(stats.rx_bytes, 60u + 1514u + 15u + 64u);
  EXPECT_EQ(stats.rx_dropped, 0u);
}

TEST_F(PcapPortTest, ReceiveAppendsOnlyUpToFreeSpace) {
  std::vector<Bytes> frames;
  for (uint8_t i = 0; i < 40; ++i) frames.push_back(make_frame(i));
  write_pcap("many.pcap", frames);
  auto reader = create_vport(VportKind::kPcap, "r0", {{"rx", path("many.pcap")}});
  ASSERT_TRUE(reader.ok()) << reader.error();
  PacketBatch batch;
  for (int i = 0; i < 30; ++i) batch.add(pool_.allocate());
  EXPECT_EQ((*reader)->receive(pool_, batch), 2u);
  EXPECT_TRUE(batch.full());
  EXPECT_EQ((*reader)->receive(pool_, batch), 0u);  // full: nothing taken
  for (Packet* packet : batch) pool_.release(packet);
  batch.clear();
  std::vector<Bytes> rest = receive_once(**reader, pool_);
  ASSERT_EQ(rest.size(), 32u);
  EXPECT_EQ(rest.front(), frames[2]);
  EXPECT_EQ(receive_once(**reader, pool_).size(), 6u);
}

// fpctl replay steps through a capture: the next frame's capture time, one
// frame at a time (a runt too), and sent frames stamped with a given time.
TEST_F(PcapPortTest, StepsFrameByFrameAndStampsTheGivenTime) {
  std::vector<Bytes> frames = {make_frame(1, 60), Bytes(10, 0xab), make_frame(3, 60)};
  write_pcap("steps.pcap", frames);
  auto opened = PcapPort::open("r0", {{"rx", path("steps.pcap")}, {"tx", path("out.pcap")}});
  ASSERT_TRUE(opened.ok()) << opened.error();
  PcapPort& port = **opened;
  PacketBatch batch;
  ASSERT_TRUE(port.next_rx_time().has_value());
  EXPECT_EQ(port.receive_at_most(pool_, batch, 1), 1u);
  EXPECT_TRUE(port.next_rx_time().has_value());
  EXPECT_EQ(port.receive_at_most(pool_, batch, 1), 0u);  // the runt, dropped and counted
  EXPECT_EQ(port.stats().drops[DropReason::kRxInvalidPacket], 1u);
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(port.receive_at_most(pool_, batch, 5), 1u);
  EXPECT_FALSE(port.next_rx_time().has_value());
  EXPECT_EQ(Bytes(batch[1]->data(), batch[1]->data() + batch[1]->size()), frames[2]);

  port.set_tx_time(timeval{42, 7});
  EXPECT_EQ(port.send(batch), 2u);
  opened->reset();  // closes the file
  char error[PCAP_ERRBUF_SIZE];
  pcap_t* reader = pcap_open_offline(path("out.pcap").c_str(), error);
  ASSERT_NE(reader, nullptr) << error;
  pcap_pkthdr* header;
  const u_char* data;
  int read = 0;
  while (pcap_next_ex(reader, &header, &data) == 1) {
    EXPECT_EQ(header->ts.tv_sec, 42);
    EXPECT_EQ(header->ts.tv_usec, 7);
    ++read;
  }
  pcap_close(reader);
  EXPECT_EQ(read, 2);
}

TEST_F(PcapPortTest, LoopReplaysTheFile) {
  std::vector<Bytes> frames = {make_frame(10), make_frame(11), make_frame(12)};
  write_pcap("in.pcap", frames);
  auto reader = create_vport(VportKind::kPcap, "r0", {{"rx", path("in.pcap")}, {"loop", "3"}});
  ASSERT_TRUE(reader.ok()) << reader.error();
  std::vector<Bytes> got = receive_once(**reader, pool_);
  ASSERT_EQ(got.size(), 9u);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], frames[i % 3]) << i;
  EXPECT_TRUE(receive_once(**reader, pool_).empty());
  EXPECT_EQ((*reader)->stats().rx_packets, 9u);
}

TEST_F(PcapPortTest, LoopZeroReplaysForever) {
  write_pcap("in.pcap", {make_frame(1), make_frame(2)});
  auto reader = create_vport(VportKind::kPcap, "r0", {{"rx", path("in.pcap")}, {"loop", "0"}});
  ASSERT_TRUE(reader.ok()) << reader.error();
  size_t total = 0;
  for (int i = 0; i < 10; ++i) total += receive_once(**reader, pool_).size();
  EXPECT_EQ(total, 320u);
}

TEST_F(PcapPortTest, EmptyFileWithLoopZeroEnds) {
  write_pcap("empty.pcap", {});
  auto reader = create_vport(VportKind::kPcap, "r0", {{"rx", path("empty.pcap")}, {"loop", "0"}});
  ASSERT_TRUE(reader.ok()) << reader.error();
  EXPECT_TRUE(receive_once(**reader, pool_).empty());
  EXPECT_TRUE(static_cast<PcapPort&>(**reader).rx_finished());
}

TEST_F(PcapPortTest, PoolExhaustionLosesNoFrame) {
  std::vector<Bytes> frames;
  for (uint8_t i = 0; i < 10; ++i) frames.push_back(make_frame(i));
  write_pcap("in.pcap", frames);
  auto reader = create_vport(VportKind::kPcap, "r0", {{"rx", path("in.pcap")}});
  ASSERT_TRUE(reader.ok()) << reader.error();
  PacketPool small(4);
  std::vector<Bytes> got;
  for (int round = 0; round < 4; ++round) {
    for (Bytes& frame : receive_once(**reader, small)) got.push_back(std::move(frame));
  }
  EXPECT_EQ(got, frames);
  EXPECT_EQ((*reader)->stats().rx_dropped, 0u);
}

TEST_F(PcapPortTest, FramesLargerThanTheBufferAreDroppedAndCounted) {
  write_pcap("in.pcap", {make_frame(1, 60), make_frame(2, 100), make_frame(3, 64)});
  auto reader = create_vport(VportKind::kPcap, "r0", {{"rx", path("in.pcap")}});
  ASSERT_TRUE(reader.ok()) << reader.error();
  PacketPool small(8, Packet::kDefaultHeadroom + 64);  // 64 bytes of frame room
  std::vector<Bytes> got = receive_once(**reader, small);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], make_frame(1, 60));
  EXPECT_EQ(got[1], make_frame(3, 64));
  VportStats stats = (*reader)->stats();
  EXPECT_EQ(stats.rx_packets, 2u);
  EXPECT_EQ(stats.rx_dropped, 1u);
  EXPECT_EQ(small.available(), 8u);
}

TEST_F(PcapPortTest, SendWithoutTxFileDropsAndReleases) {
  write_pcap("in.pcap", {make_frame(1)});
  auto reader = create_vport(VportKind::kPcap, "r0", {{"rx", path("in.pcap")}});
  ASSERT_TRUE(reader.ok()) << reader.error();
  uint32_t before = pool_.available();
  EXPECT_EQ(send_frames(**reader, pool_, {make_frame(1), make_frame(2)}), 0u);
  EXPECT_EQ(pool_.available(), before);
  EXPECT_EQ((*reader)->stats().tx_dropped, 2u);
}

TEST_F(PcapPortTest, OpenErrorsArePrecise) {
  auto error_of = [](const VportOptions& options) {
    auto port = create_vport(VportKind::kPcap, "p0", options);
    return port.ok() ? std::string("(accepted)") : port.error();
  };
  EXPECT_EQ(error_of({{"rx", "/nonexistent/x.pcap"}}),
            "pcap port p0: cannot read rx file: /nonexistent/x.pcap: No such file or directory");
  EXPECT_EQ(error_of({{"tx", "/nonexistent/y.pcap"}}),
            "pcap port p0: cannot write tx file: /nonexistent/y.pcap: No such file or directory");
  EXPECT_EQ(error_of({{"rx", path("a")}, {"colour", "red"}}),
            "pcap port p0: unknown option 'colour' (known: rx tx loop mtu)");
  EXPECT_EQ(error_of({}), "pcap port p0: needs rx=FILE, tx=FILE or both");
  EXPECT_EQ(error_of({{"rx", path("a")}, {"tx", path("a")}}),
            "pcap port p0: rx and tx name the same file " + path("a"));
  EXPECT_EQ(error_of({{"tx", path("a")}, {"loop", "2"}}),
            "pcap port p0: option loop needs rx=FILE");
  write_pcap("in.pcap", {make_frame(1)});
  EXPECT_EQ(error_of({{"rx", path("in.pcap")}, {"loop", "x"}}),
            "pcap port p0: option loop=x is not an integer in 0..1000000000");
  EXPECT_EQ(error_of({{"rx", path("in.pcap")}, {"loop", "-1"}}),
            "pcap port p0: option loop=-1 is not an integer in 0..1000000000");
  EXPECT_EQ(error_of({{"rx", path("in.pcap")}, {"loop", ""}}),
            "pcap port p0: option loop= is not an integer in 0..1000000000");
}

TEST_F(PcapPortTest, RejectsNonEthernetCaptures) {
  pcap_t* dead = pcap_open_dead(DLT_RAW, 65535);
  pcap_dumper_t* dumper = pcap_dump_open(dead, path("raw.pcap").c_str());
  ASSERT_NE(dumper, nullptr);
  pcap_dump_close(dumper);
  pcap_close(dead);
  auto port = create_vport(VportKind::kPcap, "p0", {{"rx", path("raw.pcap")}});
  ASSERT_FALSE(port.ok());
  EXPECT_EQ(port.error(), "pcap port p0: rx file " + path("raw.pcap") +
                              " has link type RAW, expected EN10MB (Ethernet)");
}

// --------------------------------------------------- errors that need no root

TEST(VportErrorsTest, AfPacketNamesTheMissingInterface) {
  auto port = create_vport(VportKind::kAfPacket, "fpvt-nope9", {});
  ASSERT_FALSE(port.ok());
  EXPECT_EQ(port.error(), "interface fpvt-nope9 does not exist");
  auto long_name = create_vport(VportKind::kAfPacket, "fpvt-0123456789ab", {});
  ASSERT_FALSE(long_name.ok());
  EXPECT_EQ(long_name.error(), "interface name 'fpvt-0123456789ab' is longer than 15 bytes");
}

TEST(VportErrorsTest, UnknownOptionsAreNamed) {
  auto afpacket = create_vport(VportKind::kAfPacket, "lo", {{"speed", "10"}});
  ASSERT_FALSE(afpacket.ok());
  EXPECT_EQ(afpacket.error(),
            "afpacket port lo: unknown option 'speed' (known: mtu offloads tx_ring tx_frames)");
  auto tap = create_vport(VportKind::kTap, "fpvt-t0", {{"queues", "4"}});
  ASSERT_FALSE(tap.ok());
  EXPECT_EQ(tap.error(), "tap port fpvt-t0: unknown option 'queues' (known: mtu offloads)");
  auto internal = create_vport(VportKind::kInternal, "fpvt-dp", {{"mtu", "9"}});
  ASSERT_FALSE(internal.ok());
  EXPECT_EQ(internal.error(), "internal port fpvt-dp: option mtu=9 is not an integer in 68..65535");
  auto long_tap = create_vport(VportKind::kTap, "fpvt-0123456789ab", {});
  ASSERT_FALSE(long_tap.ok());
  EXPECT_EQ(long_tap.error(), "tap: interface name 'fpvt-0123456789ab' is longer than 15 bytes");
}

// ---------------------------------------------------------- afpacket options

TEST(AfPacketOptionsTest, DefaultsAndEveryOption) {
  Result<AfPacketConfig> defaults = parse_afpacket_options("veth0", {});
  ASSERT_TRUE(defaults.ok()) << defaults.error();
  EXPECT_TRUE(defaults->offloads);
  EXPECT_FALSE(defaults->tx_ring) << "the ring's slots cannot carry super-frames";
  EXPECT_EQ(defaults->tx_frames, 256u);
  Result<AfPacketConfig> plain = parse_afpacket_options("veth0", {{"offloads", "off"}});
  ASSERT_TRUE(plain.ok()) << plain.error();
  EXPECT_FALSE(plain->offloads);
  EXPECT_TRUE(plain->tx_ring) << "without offloads the ring is the default";

  Result<AfPacketConfig> on = parse_afpacket_options("veth0", {{"tx_ring", "on"},
                                                               {"tx_frames", "1024"}});
  ASSERT_TRUE(on.ok()) << on.error();
  EXPECT_TRUE(on->tx_ring);
  EXPECT_EQ(on->tx_frames, 1024u);

  Result<AfPacketConfig> off = parse_afpacket_options("veth0", {{"tx_ring", "off"}});
  ASSERT_TRUE(off.ok()) << off.error();
  EXPECT_FALSE(off->tx_ring);
  // The limits themselves are accepted.
  EXPECT_TRUE(parse_afpacket_options("v", {{"tx_ring", "on"}, {"tx_frames", "64"}}).ok());
  EXPECT_TRUE(parse_afpacket_options("v", {{"offloads", "off"}, {"tx_frames", "65536"}}).ok());
}

TEST(AfPacketOptionsTest, EveryBadOptionIsNamed) {
  auto error_of = [](const VportOptions& options) {
    Result<AfPacketConfig> config = parse_afpacket_options("veth0", options);
    return config.ok() ? std::string("(accepted)") : config.error();
  };
  EXPECT_EQ(error_of({{"tx_rings", "on"}}),
            "afpacket port veth0: unknown option 'tx_rings' (known: mtu offloads tx_ring tx_frames)");
  EXPECT_EQ(error_of({{"offloads", "1"}}),
            "afpacket port veth0: option offloads=1 is not one of on, off");
  EXPECT_EQ(error_of({{"tx_ring", "yes"}}),
            "afpacket port veth0: option tx_ring=yes is not one of on, off");
  EXPECT_EQ(error_of({{"tx_ring", "ON"}}),
            "afpacket port veth0: option tx_ring=ON is not one of on, off");
  EXPECT_EQ(error_of({{"tx_ring", ""}}),
            "afpacket port veth0: option tx_ring= is not one of on, off");
  EXPECT_EQ(error_of({{"tx_frames", "1000"}}),
            "afpacket port veth0: option tx_frames=1000 is not a power of two");
  EXPECT_EQ(error_of({{"tx_frames", "32"}}),
            "afpacket port veth0: option tx_frames=32 is not an integer in 64..65536");
  EXPECT_EQ(error_of({{"tx_frames", "131072"}}),
            "afpacket port veth0: option tx_frames=131072 is not an integer in 64..65536");
  EXPECT_EQ(error_of({{"tx_frames", "1k"}}),
            "afpacket port veth0: option tx_frames=1k is not an integer in 64..65536");
  EXPECT_EQ(error_of({{"tx_frames", "-64"}}),
            "afpacket port veth0: option tx_frames=-64 is not an integer in 64..65536");
  EXPECT_EQ(error_of({{"tx_ring", "off"}, {"tx_frames", "512"}}),
            "afpacket port veth0: option tx_frames=512 needs tx_ring=on");
}

TEST(AfPacketOptionsTest, CreateChecksOptionsBeforeTheInterface) {
  // Bad options are refused before any system call, so no root is needed.
  auto port = create_vport(VportKind::kAfPacket, "fpvt-nope9", {{"tx_ring", "fast"}});
  ASSERT_FALSE(port.ok());
  EXPECT_EQ(port.error(), "afpacket port fpvt-nope9: option tx_ring=fast is not one of on, off");
  auto missing = create_vport(VportKind::kAfPacket, "fpvt-nope9", {{"tx_ring", "off"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), "interface fpvt-nope9 does not exist");

  Result<VportSpec> spec = parse_vport_spec("veth0,tx_ring=on,tx_frames=128");
  ASSERT_TRUE(spec.ok()) << spec.error();
  EXPECT_EQ(spec->kind, VportKind::kAfPacket);
  Result<AfPacketConfig> config = parse_afpacket_options(spec->name, spec->options);
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_TRUE(config->tx_ring);
  EXPECT_EQ(config->tx_frames, 128u);
}

// ------------------------------------------------------------- afxdp options

TEST(AfXdpOptionsTest, DefaultsAndEveryOption) {
  Result<AfXdpConfig> defaults = parse_afxdp_options("veth0", {});
  ASSERT_TRUE(defaults.ok()) << defaults.error();
  EXPECT_EQ(defaults->queue, 0u);
  EXPECT_EQ(defaults->mode, XdpAttachMode::kAuto);
  EXPECT_EQ(defaults->zero_copy, XdpZeroCopy::kAuto);
  EXPECT_EQ(defaults->frames, 4096u);
  EXPECT_EQ(defaults->frame_size, 4096u);
  EXPECT_EQ(defaults->ring, 2048u);

  Result<AfXdpConfig> all = parse_afxdp_options(
      "veth0", {{"queue", "3"}, {"mode", "native"}, {"zerocopy", "on"}, {"frames", "256"},
                {"frame_size", "2048"}, {"ring", "128"}});
  ASSERT_TRUE(all.ok()) << all.error();
  EXPECT_EQ(all->queue, 3u);
  EXPECT_EQ(all->mode, XdpAttachMode::kNative);
  EXPECT_EQ(all->zero_copy, XdpZeroCopy::kOn);
  EXPECT_EQ(all->frames, 256u);
  EXPECT_EQ(all->frame_size, 2048u);
  EXPECT_EQ(all->ring, 128u);

  Result<AfXdpConfig> generic = parse_afxdp_options("veth0", {{"mode", "generic"},
                                                              {"zerocopy", "off"}});
  ASSERT_TRUE(generic.ok()) << generic.error();
  EXPECT_EQ(generic->mode, XdpAttachMode::kGeneric);
  EXPECT_EQ(generic->zero_copy, XdpZeroCopy::kOff);
  // The limits themselves are accepted.
  EXPECT_TRUE(parse_afxdp_options("v", {{"frames", "64"}, {"ring", "32"}}).ok());
  EXPECT_TRUE(parse_afxdp_options("v", {{"frames", "32768"}, {"ring", "16384"}}).ok());
  EXPECT_TRUE(parse_afxdp_options("v", {{"queue", "65535"}}).ok());
}

TEST(AfXdpOptionsTest, EveryBadOptionIsNamed) {
  auto error_of = [](const VportOptions& options) {
    Result<AfXdpConfig> config = parse_afxdp_options("veth0", options);
    return config.ok() ? std::string("(accepted)") : config.error();
  };
  EXPECT_EQ(error_of({{"speed", "10"}}),
            "afxdp port veth0: unknown option 'speed' (known: queue mode zerocopy frames "
            "frame_size ring mtu)");
  EXPECT_EQ(error_of({{"queue", "-1"}}),
            "afxdp port veth0: option queue=-1 is not an integer in 0..65535");
  EXPECT_EQ(error_of({{"queue", "65536"}}),
            "afxdp port veth0: option queue=65536 is not an integer in 0..65535");
  EXPECT_EQ(error_of({{"queue", ""}}),
            "afxdp port veth0: option queue= is not an integer in 0..65535");
  EXPECT_EQ(error_of({{"mode", "drv"}}),
            "afxdp port veth0: option mode=drv is not one of native, generic, auto");
  EXPECT_EQ(error_of({{"mode", "Native"}}),
            "afxdp port veth0: option mode=Native is not one of native, generic, auto");
  EXPECT_EQ(error_of({{"zerocopy", "yes"}}),
            "afxdp port veth0: option zerocopy=yes is not one of auto, on, off");
  EXPECT_EQ(error_of({{"zerocopy", "on"}, {"mode", "generic"}}),
            "afxdp port veth0: option zerocopy=on needs native XDP (mode=native or auto), not "
            "mode=generic");
  EXPECT_EQ(error_of({{"frames", "1000"}}),
            "afxdp port veth0: option frames=1000 is not a power of two");
  EXPECT_EQ(error_of({{"frames", "32"}}),
            "afxdp port veth0: option frames=32 is not an integer in 64..262144");
  EXPECT_EQ(error_of({{"frames", "4k"}}),
            "afxdp port veth0: option frames=4k is not an integer in 64..262144");
  EXPECT_EQ(error_of({{"frame_size", "3072"}}),
            "afxdp port veth0: option frame_size=3072 is not a power of two");
  EXPECT_EQ(error_of({{"frame_size", "8192"}}),
            "afxdp port veth0: option frame_size=8192 is not an integer in 2048..4096");
  EXPECT_EQ(error_of({{"ring", "100"}}),
            "afxdp port veth0: option ring=100 is not a power of two");
  EXPECT_EQ(error_of({{"ring", "16"}}),
            "afxdp port veth0: option ring=16 is not an integer in 32..16384");
  EXPECT_EQ(error_of({{"frames", "8192"}}),
            "afxdp port veth0: option frames=8192 is more than twice ring=2048 (each "
            "direction uses half the frames, at most one ring's worth)");
  EXPECT_EQ(error_of({{"frames", "512"}, {"ring", "128"}}),
            "afxdp port veth0: option frames=512 is more than twice ring=128 (each direction "
            "uses half the frames, at most one ring's worth)");
}

TEST(AfXdpOptionsTest, CreateChecksOptionsBeforeTheInterface) {
  // Bad options are refused before any system call, so no root is needed.
  auto port = create_vport(VportKind::kAfXdp, "fpvt-nope9", {{"mode", "fast"}});
  ASSERT_FALSE(port.ok());
  EXPECT_EQ(port.error(),
            "afxdp port fpvt-nope9: option mode=fast is not one of native, generic, auto");
  auto missing = create_vport(VportKind::kAfXdp, "fpvt-nope9", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), "interface fpvt-nope9 does not exist");

  Result<VportSpec> spec = parse_vport_spec("veth0,type=afxdp,mode=native,queue=1");
  ASSERT_TRUE(spec.ok()) << spec.error();
  EXPECT_EQ(spec->kind, VportKind::kAfXdp);
  Result<AfXdpConfig> config = parse_afxdp_options(spec->name, spec->options);
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config->mode, XdpAttachMode::kNative);
  EXPECT_EQ(config->queue, 1u);
}

// ------------------------------------------------- tap, internal and afpacket

// Skips unless TAP devices can be created (root and /dev/net/tun).
class DevicePortTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to create TAP devices";
    if (::access("/dev/net/tun", R_OK | W_OK) != 0) GTEST_SKIP() << "no /dev/net/tun";
  }
  // A device name unique to this process: "fpvt<pid><suffix>".
  static std::string device_name(char suffix) {
    return "fpvt" + std::to_string(::getpid() % 10000000) + suffix;
  }
  std::unique_ptr<Vport> make_port(VportKind kind, const std::string& name,
                                   const VportOptions& options = {}) {
    auto port = create_vport(kind, name, options);
    EXPECT_TRUE(port.ok()) << port.error();
    return port.ok() ? std::move(*port) : nullptr;
  }

  PacketPool pool_{512};
};

bool interface_exists(const std::string& name) { return ::if_nametoindex(name.c_str()) != 0; }

void set_interface_up(const std::string& name, bool up) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ifreq request = {};
  std::snprintf(request.ifr_name, IFNAMSIZ, "%s", name.c_str());
  ASSERT_EQ(::ioctl(fd, SIOCGIFFLAGS, &request), 0);
  request.ifr_flags = static_cast<short>(up ? (request.ifr_flags | IFF_UP)
                                            : (request.ifr_flags & ~IFF_UP));
  ASSERT_EQ(::ioctl(fd, SIOCSIFFLAGS, &request), 0);
  ::close(fd);
}

bool interface_is_up(const std::string& name) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ifreq request = {};
  std::snprintf(request.ifr_name, IFNAMSIZ, "%s", name.c_str());
  bool up = ::ioctl(fd, SIOCGIFFLAGS, &request) == 0 && (request.ifr_flags & IFF_UP) != 0;
  ::close(fd);
  return up;
}

TEST_F(DevicePortTest, TapIsCreatedUpAndRemovedOnDestruction) {
  std::string name = device_name('t');
  {
    auto tap = make_port(VportKind::kTap, name, {{"mtu", "1400"}});
    ASSERT_NE(tap, nullptr);
    EXPECT_EQ(tap->type(), VportKind::kTap);
    EXPECT_TRUE(interface_exists(name));
    EXPECT_TRUE(interface_is_up(name));
    EXPECT_EQ(tap->mtu(), 1400u);
    EXPECT_GE(tap->wait_fd(), 0);
    EXPECT_TRUE(tap->take_pending_error().ok());
  }
  EXPECT_FALSE(interface_exists(name));
}

TEST_F(DevicePortTest, InternalPortIsATapOfKindInternal) {
  std::string name = device_name('i');
  {
    auto internal = make_port(VportKind::kInternal, name);
    ASSERT_NE(internal, nullptr);
    EXPECT_EQ(internal->type(), VportKind::kInternal);
    EXPECT_EQ(to_string(internal->type()), "internal");
    EXPECT_EQ(internal->mtu(), 1500u);
    EXPECT_TRUE(interface_is_up(name));
  }
  EXPECT_FALSE(interface_exists(name));
}

TEST_F(DevicePortTest, TapSendReachesTheDeviceAndDeviceFramesReachReceive) {
  std::string name = device_name('t');
  auto tap = make_port(VportKind::kTap, name);
  ASSERT_NE(tap, nullptr);
  tap->set_port_no(3);
  int sniffer = open_packet_socket(name);
  ASSERT_GE(sniffer, 0);

  // tap -> device: the kernel receives the frame on the device.
  Bytes frame = make_frame(0x5a, 80);
  EXPECT_EQ(send_frames(*tap, pool_, {frame}), 1u);
  Bytes seen;
  for (int attempt = 0; attempt < 100 && seen.empty(); ++attempt) {
    uint8_t buffer[2048];
    ssize_t n = ::recv(sniffer, buffer, sizeof buffer, 0);
    uint8_t marker;
    if (n > 0 && is_test_frame(Bytes(buffer, buffer + n), &marker)) seen.assign(buffer, buffer + n);
    if (n < 0) ::usleep(10000);
  }
  EXPECT_EQ(seen, frame);

  // device -> tap: a frame transmitted on the device is read by receive().
  Bytes reply = make_frame(0xa5, 90);
  sockaddr_ll address = {};
  address.sll_family = AF_PACKET;
  address.sll_ifindex = static_cast<int>(::if_nametoindex(name.c_str()));
  address.sll_halen = 6;
  ASSERT_EQ(::sendto(sniffer, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&address),
                     sizeof address),
            static_cast<ssize_t>(reply.size()));
  PacketBatch batch;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  Packet* found = nullptr;
  while (found == nullptr && std::chrono::steady_clock::now() < deadline) {
    pollfd wait = {tap->wait_fd(), POLLIN, 0};
    ::poll(&wait, 1, 50);
    tap->receive(pool_, batch);
    for (Packet* packet : batch) {
      uint8_t marker;
      if (found == nullptr &&
          is_test_frame(Bytes(packet->data(), packet->data() + packet->size()), &marker)) {
        found = packet;
      } else {
        pool_.release(packet);
      }
    }
    batch.clear();
  }
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(Bytes(found->data(), found->data() + found->size()), reply);
  EXPECT_EQ(found->md.in_port, 3u);
  pool_.release(found);
  ::close(sniffer);
  VportStats stats = tap->stats();
  EXPECT_EQ(stats.tx_packets, 1u);
  EXPECT_EQ(stats.tx_bytes, 80u);
  EXPECT_GE(stats.rx_packets, 1u);
}

TEST_F(DevicePortTest, TapDropsFramesLargerThanTheBuffer) {
  std::string name = device_name('t');
  auto tap = make_port(VportKind::kTap, name);
  ASSERT_NE(tap, nullptr);
  int sender = open_packet_socket(name);
  sockaddr_ll address = {};
  address.sll_family = AF_PACKET;
  address.sll_ifindex = static_cast<int>(::if_nametoindex(name.c_str()));
  Bytes big = make_frame(1, 1000);
  ASSERT_EQ(::sendto(sender, big.data(), big.size(), 0, reinterpret_cast<sockaddr*>(&address),
                     sizeof address),
            static_cast<ssize_t>(big.size()));
  PacketPool small(8, Packet::kDefaultHeadroom + 512);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (tap->stats().rx_dropped == 0 && std::chrono::steady_clock::now() < deadline) {
    receive_once(*tap, small);
    ::usleep(5000);
  }
  EXPECT_EQ(tap->stats().rx_dropped, 1u);
  EXPECT_EQ(small.available(), 8u);
  ::close(sender);
}

TEST_F(DevicePortTest, TapDeletedUnderneathIsReportedWithoutCrash) {
  std::string name = device_name('d');
  auto tap = make_port(VportKind::kTap, name);
  ASSERT_NE(tap, nullptr);
  if (std::system(("ip link del " + name + " 2>/dev/null").c_str()) != 0) {
    GTEST_SKIP() << "cannot delete links with ip(8)";
  }
  EXPECT_FALSE(interface_exists(name));
  EXPECT_TRUE(receive_once(*tap, pool_).empty());  // notices the device is gone
  Status error = tap->take_pending_error();
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.error(), "tap port " + name + ": device is gone (File descriptor in bad state)");
  EXPECT_TRUE(receive_once(*tap, pool_).empty());
  uint32_t before = pool_.available();
  EXPECT_EQ(send_frames(*tap, pool_, {make_frame(1), make_frame(2)}), 0u);
  EXPECT_EQ(pool_.available(), before);
  VportStats stats = tap->stats();
  EXPECT_EQ(stats.tx_errors, 2u);
  EXPECT_EQ(stats.rx_errors, 0u);
}

TEST_F(DevicePortTest, TapCreationWithoutPrivilegeNamesDeviceAndReason) {
  // A child without CAP_NET_ADMIN (still uid 0, so it may open /dev/net/tun)
  // tries; the parent reads its message through a pipe.
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (::syscall(SYS_capget, &header, data) != 0) _exit(2);
    for (auto& set : data) {
      set.effective &= ~(1u << CAP_NET_ADMIN);
      set.permitted &= ~(1u << CAP_NET_ADMIN);
    }
    if (::syscall(SYS_capset, &header, data) != 0) _exit(3);
    auto port = create_vport(VportKind::kTap, "fpvt-noperm", {});
    std::string message = port.ok() ? "(created)" : port.error();
    (void)!::write(pipe_fds[1], message.data(), message.size());
    _exit(0);
  }
  ::close(pipe_fds[1]);
  char buffer[256] = {};
  ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer - 1);
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(std::string(buffer, n > 0 ? static_cast<size_t>(n) : 0),
            "tap: cannot create device fpvt-noperm: Operation not permitted");
  EXPECT_FALSE(interface_exists("fpvt-noperm"));
}

// AF_PACKET port attached to a tap device: what the tap port sends is what
// the kernel receives on that device, and the reverse. Every test runs with
// the transmit ring (tx_ring=on) and with sendmmsg() (tx_ring=off).
class AfPacketPortTest : public DevicePortTest, public ::testing::WithParamInterface<bool> {
 protected:
  void SetUp() override {
    DevicePortTest::SetUp();
    if (IsSkipped()) return;
    tap_name_ = device_name('a');
    tap_ = make_port(VportKind::kTap, tap_name_);
    ASSERT_NE(tap_, nullptr);
    // Plain frames (offloads=off): with virtio-net headers the kernel leaves
    // the MTU to the sender (the datapath checks it), which these tests
    // check the kernel for; offload_netns_test.sh covers the headers.
    afpacket_ = make_port(VportKind::kAfPacket, tap_name_,
                          {{"tx_ring", GetParam() ? "on" : "off"}, {"offloads", "off"}});
    ASSERT_NE(afpacket_, nullptr);
    ASSERT_EQ(afpacket().uses_tx_ring(), GetParam());
  }
  AfPacketPort& afpacket() { return static_cast<AfPacketPort&>(*afpacket_); }

  std::string tap_name_;
  std::unique_ptr<Vport> tap_;
  std::unique_ptr<Vport> afpacket_;
};

TEST_P(AfPacketPortTest, ReceivesWhatTheDeviceReceives) {
  afpacket_->set_port_no(9);
  EXPECT_EQ(afpacket_->type(), VportKind::kAfPacket);
  EXPECT_EQ(afpacket_->mtu(), 1500u);
  std::vector<Bytes> frames = {make_frame(1, 60), make_frame(2, 1514), make_frame(3, 200)};
  EXPECT_EQ(send_frames(*tap_, pool_, frames), 3u);
  std::vector<Bytes> got = receive_test_frames(*afpacket_, pool_, 3, std::chrono::seconds(2));
  EXPECT_EQ(got, frames);
  VportStats stats = afpacket_->stats();
  EXPECT_EQ(stats.rx_packets, 3u);
  EXPECT_EQ(stats.rx_bytes, 60u + 1514u + 200u);
  EXPECT_EQ(stats.rx_dropped, 0u);
}

// The receive ring hands each frame over on its own: a lone frame is
// readable as soon as the device has it (a TAP write delivers it before it
// returns), with no block timer to wait for.
TEST_P(AfPacketPortTest, ALoneFrameIsReadableAtOnce) {
  EXPECT_EQ(afpacket().rx_frame_size(), 2048u) << "1500 + headers, rounded up";
  EXPECT_EQ(afpacket().rx_frames(), 2048u) << "4 MiB of slots";
  for (uint8_t i = 0; i < 5; ++i) {
    ASSERT_EQ(send_frames(*tap_, pool_, {make_frame(i)}), 1u);
    pollfd wait = {afpacket_->wait_fd(), POLLIN, 0};
    ASSERT_EQ(::poll(&wait, 1, 0), 1) << "frame " << int{i} << " is not readable yet";
    EXPECT_EQ(receive_once(*afpacket_, pool_), std::vector<Bytes>{make_frame(i)});
    wait.revents = 0;
    EXPECT_EQ(::poll(&wait, 1, 0), 0) << "nothing left once it is taken";
  }
}

// Frames larger than a ring slot (2 KiB here) come whole through the
// socket's queue, in order with the others, their VLAN tag put back.
TEST_P(AfPacketPortTest, FramesLargerThanASlotArriveWholeInOrder) {
  PacketPool large(64, PacketPool::kStandardBufferSize, 8);
  std::vector<Bytes> frames = {make_frame(1, 64), make_frame(2, 4000), make_frame(3, 100),
                               make_frame(4, 9018, {{0x8100, 0x2005}}), make_frame(5, 2040),
                               make_frame(6, 65000), make_frame(7, 60)};
  EXPECT_EQ(send_frames(*tap_, large, frames), frames.size());
  EXPECT_EQ(receive_test_frames(*afpacket_, large, frames.size(), std::chrono::seconds(2)),
            frames);
  VportStats stats = afpacket_->stats();
  EXPECT_EQ(stats.rx_packets, frames.size());
  EXPECT_EQ(stats.rx_dropped, 0u);
  EXPECT_EQ(large.available(), 64u);
  EXPECT_EQ(large.larger()->available(), 8u);
}

// A large frame no buffer holds is dropped from the socket's queue too, so
// the frames behind it stay matched with their slots.
TEST_P(AfPacketPortTest, ALargeFrameWithoutABufferIsDroppedAlone) {
  std::vector<Bytes> frames = {make_frame(1, 64), make_frame(2, 5000), make_frame(3, 3000),
                               make_frame(4, 100)};
  PacketPool large(8, PacketPool::kStandardBufferSize, 2);
  EXPECT_EQ(send_frames(*tap_, large, frames), frames.size());
  EXPECT_EQ(receive_test_frames(*afpacket_, pool_, 2, std::chrono::seconds(2)),
            (std::vector<Bytes>{frames[0], frames[3]}));
  EXPECT_EQ(afpacket_->stats().rx_dropped, 2u);
  // And the next large frame, with a buffer for it, is the right one.
  EXPECT_EQ(send_frames(*tap_, large, {make_frame(5, 3000)}), 1u);
  EXPECT_EQ(receive_test_frames(*afpacket_, large, 1, std::chrono::seconds(2)),
            std::vector<Bytes>{make_frame(5, 3000)});
}

TEST_P(AfPacketPortTest, SetsInPort) {
  afpacket_->set_port_no(9);
  EXPECT_EQ(send_frames(*tap_, pool_, {make_frame(1)}), 1u);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  PacketBatch batch;
  while (batch.empty() && std::chrono::steady_clock::now() < deadline) {
    pollfd wait = {afpacket_->wait_fd(), POLLIN, 0};
    ::poll(&wait, 1, 20);
    afpacket_->receive(pool_, batch);
  }
  ASSERT_FALSE(batch.empty());
  EXPECT_EQ(batch[0]->md.in_port, 9u);
  for (Packet* packet : batch) pool_.release(packet);
}

TEST_P(AfPacketPortTest, ReinsertsTheVlanTagTheKernelStripped) {
  std::vector<Bytes> frames = {
      make_frame(1, 64, {{0x8100, 0xa064}}),                    // PCP 5, VID 100
      make_frame(2, 64, {{0x88a8, 0x0fff}, {0x8100, 0x0005}}),  // 802.1ad outer, 802.1Q inner
      make_frame(3, 64, {{0x8100, 0x0000}}),                    // priority tag, VID 0
      make_frame(4, 64),
  };
  EXPECT_EQ(send_frames(*tap_, pool_, frames), 4u);
  std::vector<Bytes> got = receive_test_frames(*afpacket_, pool_, 4, std::chrono::seconds(2));
  EXPECT_EQ(got, frames);
}

TEST_P(AfPacketPortTest, SendReachesTheDeviceAndIsNotReceivedBack) {
  std::vector<Bytes> frames;
  for (uint8_t i = 0; i < 20; ++i) frames.push_back(make_frame(i, 64 + i));
  uint32_t before = pool_.available();
  EXPECT_EQ(send_frames(*afpacket_, pool_, frames), 20u);
  EXPECT_EQ(pool_.available(), before);
  std::vector<Bytes> at_tap = receive_test_frames(*tap_, pool_, 20, std::chrono::seconds(2));
  EXPECT_EQ(at_tap, frames);
  // Nothing we sent may come back.
  std::vector<Bytes> echoed =
      receive_test_frames(*afpacket_, pool_, 1, std::chrono::milliseconds(200));
  EXPECT_TRUE(echoed.empty());
  EXPECT_EQ(afpacket().outgoing_skipped(), 0u);
  EXPECT_TRUE(afpacket().kernel_ignores_outgoing());
  VportStats stats = afpacket_->stats();
  EXPECT_EQ(stats.tx_packets, 20u);
  EXPECT_EQ(stats.tx_bytes, 20u * 64u + 190u);
  EXPECT_EQ(stats.tx_errors, 0u);
}

TEST_P(AfPacketPortTest, OversizedSendIsCountedAsError) {
  std::vector<Bytes> frames = {make_frame(1), make_frame(2, 1600), make_frame(3)};
  EXPECT_EQ(send_frames(*afpacket_, pool_, frames), 2u);
  VportStats stats = afpacket_->stats();
  EXPECT_EQ(stats.tx_packets, 2u);
  EXPECT_EQ(stats.tx_errors, 1u);
  std::vector<Bytes> at_tap = receive_test_frames(*tap_, pool_, 2, std::chrono::seconds(2));
  EXPECT_EQ(at_tap, (std::vector<Bytes>{frames[0], frames[2]}));
}

TEST_P(AfPacketPortTest, FramesLargerThanTheBufferAreDroppedAndCounted) {
  PacketPool small(64, Packet::kDefaultHeadroom + 512);
  // The tagged frame fits the buffer as the kernel hands it over (tag taken
  // off) but not once the tag is put back.
  std::vector<Bytes> frames = {make_frame(1, 100), make_frame(2, 1000),
                               make_frame(3, 514, {{0x8100, 7}})};
  EXPECT_EQ(send_frames(*tap_, pool_, frames), 3u);
  std::vector<Bytes> got = receive_test_frames(*afpacket_, small, 1, std::chrono::seconds(2));
  EXPECT_EQ(got, (std::vector<Bytes>{make_frame(1, 100)}));
  EXPECT_TRUE(receive_test_frames(*afpacket_, small, 1, std::chrono::milliseconds(50)).empty());
  EXPECT_EQ(afpacket_->stats().rx_dropped, 2u);
  EXPECT_EQ(small.available(), 64u);
}

TEST_P(AfPacketPortTest, PoolExhaustionKeepsFramesInTheRing) {
  std::vector<Bytes> frames;
  for (uint8_t i = 0; i < 10; ++i) frames.push_back(make_frame(i));
  EXPECT_EQ(send_frames(*tap_, pool_, frames), 10u);
  PacketPool tiny(3);
  std::vector<Bytes> got;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (got.size() < 10 && std::chrono::steady_clock::now() < deadline) {
    std::vector<Bytes> some = receive_once(*afpacket_, tiny);
    EXPECT_LE(some.size(), 3u);
    for (Bytes& frame : some) got.push_back(std::move(frame));
    ::usleep(2000);
  }
  EXPECT_EQ(got, frames);
  EXPECT_EQ(afpacket_->stats().rx_dropped, 0u);
}

TEST_P(AfPacketPortTest, InterfaceDownIsReportedAndUpResumes) {
  set_interface_up(tap_name_, false);
  pollfd wait = {afpacket_->wait_fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&wait, 1, 1000), 1);
  EXPECT_NE(wait.revents & POLLERR, 0);
  Status error = afpacket_->take_pending_error();
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.error(), "afpacket port " + tap_name_ + ": interface " + tap_name_ +
                               " went down (Network is down)");
  EXPECT_EQ(send_frames(*afpacket_, pool_, {make_frame(1), make_frame(2)}), 0u);
  EXPECT_EQ(afpacket_->stats().tx_errors, 2u);

  set_interface_up(tap_name_, true);
  EXPECT_TRUE(afpacket_->take_pending_error().ok());
  EXPECT_EQ(send_frames(*tap_, pool_, {make_frame(3)}), 1u);
  EXPECT_EQ(receive_test_frames(*afpacket_, pool_, 1, std::chrono::seconds(2)),
            std::vector<Bytes>{make_frame(3)});
  EXPECT_EQ(send_frames(*afpacket_, pool_, {make_frame(4)}), 1u);
  EXPECT_EQ(receive_test_frames(*tap_, pool_, 1, std::chrono::seconds(2)),
            std::vector<Bytes>{make_frame(4)});
}

TEST_P(AfPacketPortTest, InterfaceGoneIsReportedWithoutCrash) {
  EXPECT_TRUE(afpacket_->take_pending_error().ok());
  tap_.reset();  // deletes the device under the afpacket port
  ASSERT_FALSE(interface_exists(tap_name_));
  pollfd wait = {afpacket_->wait_fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&wait, 1, 1000), 1);
  EXPECT_NE(wait.revents & POLLERR, 0);
  Status error = afpacket_->take_pending_error();
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.error(), "afpacket port " + tap_name_ + ": interface " + tap_name_ +
                               " no longer exists (Network is down)");
  EXPECT_TRUE(afpacket_->take_pending_error().ok());  // reported once
  EXPECT_TRUE(receive_once(*afpacket_, pool_).empty());
  uint32_t before = pool_.available();
  EXPECT_EQ(send_frames(*afpacket_, pool_, {make_frame(1), make_frame(2)}), 0u);
  EXPECT_EQ(pool_.available(), before);
  EXPECT_EQ(afpacket_->stats().tx_errors, 2u);
}

// The kernel's own length rules, which both send paths must report the same
// way: shorter than an Ethernet header, longer than MTU + header (4 more
// bytes only when the outer tag is 802.1Q), or longer than a ring slot.
// The frames around each refused one still go, in order.
TEST_P(AfPacketPortTest, SendChecksLengthsAsTheKernelDoes) {
  std::vector<Bytes> frames = {
      make_frame(1),
      Bytes(10, 0x02),                          // shorter than an Ethernet header
      make_frame(3, 1518, {{0x8100, 5}}),       // MTU + header + one 802.1Q tag: allowed
      make_frame(4, 1518),                      // untagged, 4 bytes too long
      make_frame(5, 1518, {{0x88a8, 5}}),       // 802.1ad outer tag earns no allowance
      make_frame(6, 2040),                      // longer than a ring slot holds
      make_frame(7, 100),
  };
  EXPECT_EQ(send_frames(*afpacket_, pool_, frames), 3u);
  VportStats stats = afpacket_->stats();
  EXPECT_EQ(stats.tx_packets, 3u);
  EXPECT_EQ(stats.tx_bytes, 64u + 1518u + 100u);
  EXPECT_EQ(stats.tx_errors, 4u);
  EXPECT_EQ(stats.tx_dropped, 0u);
  std::vector<Bytes> at_tap = receive_test_frames(*tap_, pool_, 3, std::chrono::seconds(2));
  EXPECT_EQ(at_tap, (std::vector<Bytes>{frames[0], frames[2], frames[6]}));
  // Nothing refused is left behind to go out later.
  EXPECT_EQ(send_frames(*afpacket_, pool_, {make_frame(8)}), 1u);
  EXPECT_EQ(receive_test_frames(*tap_, pool_, 1, std::chrono::seconds(2)),
            std::vector<Bytes>{make_frame(8)});
}

// More batches than the transmit ring has slots: the ring wraps around and
// every frame arrives once, in order.
TEST_P(AfPacketPortTest, ManyBatchesArriveInOrder) {
  constexpr int kRounds = 12;  // 384 frames through 256 slots
  uint64_t bytes = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<Bytes> frames;
    for (int i = 0; i < 32; ++i) {
      frames.push_back(make_frame(static_cast<uint8_t>(round * 32 + i), 60 + (round + i) % 40));
      bytes += frames.back().size();
    }
    ASSERT_EQ(send_frames(*afpacket_, pool_, frames), 32u) << "round " << round;
    ASSERT_EQ(receive_test_frames(*tap_, pool_, 32, std::chrono::seconds(2)), frames)
        << "round " << round;
  }
  VportStats stats = afpacket_->stats();
  EXPECT_EQ(stats.tx_packets, kRounds * 32u);
  EXPECT_EQ(stats.tx_bytes, bytes);
  EXPECT_EQ(stats.tx_dropped + stats.tx_errors, 0u);
}

INSTANTIATE_TEST_SUITE_P(SendPaths, AfPacketPortTest, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return param.param ? "TxRing" : "Sendmmsg";
                         });

// Transmit-ring specifics.
class AfPacketTxRingTest : public DevicePortTest {
 protected:
  void SetUp() override {
    DevicePortTest::SetUp();
    if (IsSkipped()) return;
    tap_name_ = device_name('r');
  }
  std::string tap_name_;
};

TEST_F(AfPacketTxRingTest, SlotsAreSizedForTheMtu) {
  auto tap = make_port(VportKind::kTap, tap_name_, {{"mtu", "9000"}});
  ASSERT_NE(tap, nullptr);
  auto port = make_port(VportKind::kAfPacket, tap_name_, {{"offloads", "off"}, {"tx_frames", "64"}});
  ASSERT_NE(port, nullptr);
  auto& afpacket = static_cast<AfPacketPort&>(*port);
  EXPECT_TRUE(afpacket.uses_tx_ring());
  EXPECT_EQ(afpacket.tx_frames(), 64u);
  EXPECT_EQ(afpacket.rx_frame_size(), 16384u) << "9000 + headers, rounded up";
  EXPECT_EQ(afpacket.rx_frames(), 256u) << "4 MiB of slots";
  EXPECT_EQ(afpacket.tx_frame_capacity(), 16384u - 32u);  // 9000 + 18 rounded up, less header
  // A jumbo frame spans several pages of its slot.
  PacketPool jumbo(64, 9100 + Packet::kDefaultHeadroom);
  std::vector<Bytes> frames = {make_frame(1, 9014), make_frame(2, 9018, {{0x8100, 9}}),
                               make_frame(3, 9015)};
  EXPECT_EQ(send_frames(*port, jumbo, frames), 2u);
  EXPECT_EQ(port->stats().tx_errors, 1u);
  EXPECT_EQ(receive_test_frames(*tap, jumbo, 2, std::chrono::seconds(2)),
            (std::vector<Bytes>{frames[0], frames[1]}));

  auto off = make_port(VportKind::kAfPacket, tap_name_, {{"tx_ring", "off"}});
  ASSERT_NE(off, nullptr);
  EXPECT_FALSE(static_cast<AfPacketPort&>(*off).uses_tx_ring());
  EXPECT_EQ(static_cast<AfPacketPort&>(*off).tx_frames(), 0u);
}

// Frames the device holds keep their slots (TP_STATUS_SENDING). With every
// slot held, send() drops the rest of the batch at once instead of waiting,
// and sends again once the device lets go.
TEST_F(AfPacketTxRingTest, FullRingDropsTheRestWithoutWaiting) {
  auto tap = make_port(VportKind::kTap, tap_name_);
  ASSERT_NE(tap, nullptr);
  // A token bucket of 8 kbit/s with a 1600-byte burst on the tap: about 26
  // of the 60-byte frames pass at once, the rest wait in the qdisc.
  const std::string tbf = "tc qdisc replace dev " + tap_name_ +
                          " root tbf rate 8kbit burst 1600 limit 1000000 2>/dev/null";
  if (std::system(tbf.c_str()) != 0) GTEST_SKIP() << "cannot add a tbf qdisc (tc, sch_tbf)";
  auto port = make_port(VportKind::kAfPacket, tap_name_, {{"offloads", "off"}, {"tx_frames", "64"}});
  ASSERT_NE(port, nullptr);
  std::vector<Bytes> frames;
  for (uint8_t i = 0; i < 128; ++i) frames.push_back(make_frame(i, 60));
  size_t sent = send_frames(*port, pool_, frames);
  VportStats stats = port->stats();
  EXPECT_EQ(stats.tx_packets, sent);
  EXPECT_GE(sent, 64u);
  // No waiting, shown without a clock: the bucket lets about 16 frames a
  // second through, so a send() that waited for slots would have sent all
  // 128. Only the slots of the frames the burst let through come back.
  EXPECT_LE(sent, 64u + 40u);
  EXPECT_GE(stats.tx_dropped, 128u - (64u + 40u));
  EXPECT_EQ(stats.tx_packets + stats.tx_dropped, 128u);
  EXPECT_EQ(stats.tx_errors, 0u);

  // Deleting the qdisc frees what it held, and with it the slots.
  ASSERT_EQ(std::system(("tc qdisc del dev " + tap_name_ + " root").c_str()), 0);
  size_t resent = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (resent == 0 && std::chrono::steady_clock::now() < deadline) {
    resent = send_frames(*port, pool_, {make_frame(200)});
    if (resent == 0) ::usleep(10000);
  }
  EXPECT_EQ(resent, 1u);
  bool arrived = false;
  for (const Bytes& frame : receive_test_frames(*tap, pool_, 200, std::chrono::seconds(1))) {
    arrived = arrived || frame == make_frame(200);
  }
  EXPECT_TRUE(arrived);
}

}  // namespace
}  // namespace flowpath
