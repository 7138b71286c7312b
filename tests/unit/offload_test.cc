// Offloads a sender left to the device (packet_offload.h): partial
// checksums completed and super-frames segmented in software
// (offload_finish.h), actions that rewrite headers keeping them right, and
// Vport::output() finishing what a port cannot take. Results are checked
// against the reference checksums of action_test_support.h.
#include <gtest/gtest.h>

#include <vector>

#include "action_test_support.h"
#include "datapath/datapath.h"
#include "datapath/packet_processor.h"
#include "packet/offload_finish.h"
#include "tunnel/tunnel_decap.h"
#include "tunnel/tunnel_encap.h"
#include "vport/vport.h"

namespace flowpath::action_test {
namespace {

constexpr uint16_t kMss = 1448;

Bytes payload(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 7 + 3);
  return b;
}
// A TCP header (seq 1000, ACK|PSH|FIN as given) and `data`.
Bytes tcp_segment(const Bytes& data, uint16_t flags = 0x018) {
  Bytes t = hex("04d2 0050 000003e8 00000001 5000 ffff 0000 0000");
  put16(t, 12, static_cast<uint16_t>(0x5000 | flags));
  return cat({t, data});
}

// `frame` with its L4 checksum field holding the pseudo-header sum, as a
// sender leaves it partial, in a packet carrying that offload.
class OffloadTest : public ::testing::Test {
 protected:
  PacketPool pool{64, PacketPool::kStandardBufferSize, 4};

  void TearDown() override {
    EXPECT_EQ(pool.available(), 64u) << "packets leaked";
    EXPECT_EQ(pool.larger()->available(), 4u) << "large packets leaked";
  }

  Packet* partial(Bytes frame, uint8_t segmentation = 0, uint16_t mss = 0) {
    fill_checksums(frame);
    Layout l = layout(frame);
    const size_t field = l.l4 + (l.proto == 6 ? 16 : 6);
    put16(frame, field, fold(pseudo_header_sum(frame, l)));
    Packet* p = pool.allocate(static_cast<uint32_t>(frame.size()));
    EXPECT_NE(p, nullptr);
    EXPECT_TRUE(p->assign(frame.data(), static_cast<uint32_t>(frame.size())));
    FlowKey key;
    extract_key(*p, &key);
    p->offload.needs = offload::kPartialChecksum | segmentation;
    p->offload.l3_offset = static_cast<uint16_t>(l.l3);
    p->offload.l4_offset = static_cast<uint16_t>(l.l4);
    p->offload.checksum_offset = static_cast<uint16_t>(field - l.l4);
    p->offload.segment_size = mss;
    return p;
  }
  static Bytes bytes_of(const Packet& p) { return Bytes(p.data(), p.data() + p.size()); }
};

// Reassembles segments' payloads and checks each segment.
struct Cut {
  std::vector<Bytes> frames;
  Bytes payload;
};
Cut cut(Packet* super_frame, PacketPool& pool) {
  Cut out;
  Segmenter segmenter(*super_frame);
  EXPECT_TRUE(segmenter.valid());
  while (Packet* s = segmenter.next(pool)) {
    out.frames.emplace_back(s->data(), s->data() + s->size());
    EXPECT_EQ(s->offload.needs, 0);
    s->pool()->release(s);
  }
  super_frame->pool()->release(super_frame);
  return out;
}

TEST_F(OffloadTest, PartialChecksumsAreCompleted) {
  for (const Bytes& frame : {cat({eth(0x0800), ipv4(6, tcp_segment(payload(333)))}),
                             cat({eth(0x86dd), ipv6(6, tcp_segment(payload(100)))}),
                             cat({eth(0x0800), ipv4(17, udp(1234, 53, payload(77)))}),
                             cat({eth(0x86dd), ipv6(17, udp(1234, 53, payload(8)))})}) {
    Bytes expected = frame;
    fill_checksums(expected);
    Packet* p = partial(frame);
    finish_checksum(*p);
    EXPECT_EQ(p->offload.needs, 0);
    EXPECT_EQ(bytes_of(*p), expected);
    pool.release(p);
  }
}

// An upcall carries only the frame's bytes, which the slow path sends out
// again: a checksum the sender left partial must be complete in them.
TEST_F(OffloadTest, AMissBecomesAnUpcallWithItsChecksumComplete) {
  Datapath dp("offload", 1);
  dp.upcalls().add_port(1);
  PacketProcessor processor(pool, 0);
  const Bytes frame = cat({eth(0x0800), ipv4(6, tcp_segment(payload(120), 0x002))});
  Bytes expected = frame;
  fill_checksums(expected);
  Packet* p = partial(frame);
  p->md.in_port = 1;
  PacketBatch batch;
  batch.add(p);
  {
    rcu::ReadSection section;
    processor.process(dp, batch);
  }
  std::vector<Upcall> upcalls(2);
  ASSERT_EQ(dp.upcalls().dequeue(upcalls, 2, std::chrono::milliseconds(0)), 1u);
  EXPECT_EQ(upcalls[0].packet, expected);
}

TEST_F(OffloadTest, Tcp4SuperFrameIsCutIntoValidSegments) {
  const Bytes data = payload(10000);
  Bytes frame = cat({eth(0x0800), ipv4(6, tcp_segment(data, 0x019))});  // ACK|PSH|FIN
  Cut segments = cut(partial(frame, offload::kTcp4Segmentation, kMss), pool);
  ASSERT_EQ(segments.frames.size(), 7u);  // 6 x 1448 + 1312
  Bytes joined;
  for (size_t i = 0; i < segments.frames.size(); ++i) {
    const Bytes& s = segments.frames[i];
    SCOPED_TRACE(i);
    expect_valid_checksums(s);
    const size_t length = i + 1 < segments.frames.size() ? kMss : 10000 - 6 * kMss;
    EXPECT_EQ(s.size(), 14 + 20 + 20 + length);
    EXPECT_EQ(get16(s, 14 + 2), 40 + length) << "IPv4 total length";
    EXPECT_EQ(get16(s, 14 + 4), 1 + i) << "IPv4 ID, +1 a segment";
    EXPECT_EQ(get16(s, 34 + 4) << 16 | get16(s, 34 + 6), 1000 + i * kMss) << "sequence";
    const uint16_t flags = get16(s, 34 + 12) & 0x0fff;
    EXPECT_EQ(flags, i + 1 < segments.frames.size() ? 0x010 : 0x019)
        << "PSH and FIN on the last segment only";
    joined.insert(joined.end(), s.begin() + 54, s.end());
  }
  EXPECT_EQ(joined, data);
}

// A TCP super-frame pushed into VXLAN (tnl_push) stays one; cut on output,
// each segment has its inner and outer headers right, and decapsulates back
// to the segment a plain port would have got.
TEST_F(OffloadTest, SuperFrameInVxlanIsCutWithItsOuterHeaders) {
  for (bool ipv6 : {false, true}) {
    for (bool udp_checksum : {false, true}) {
      SCOPED_TRACE(testing::Message() << "ipv6 " << ipv6 << ", udp checksum " << udp_checksum);
      const Bytes data = payload(4000);
      const Bytes inner = cat({eth(0x0800), ipv4(6, tcp_segment(data, 0x018))});
      Bytes outer_ip = ipv6 ? hex("6000000000001140 20010db8000000000000000000000001"
                                  "20010db8000000000000000000000002")
                            : hex("450000000000400040110000 c0000201 c0000202");
      const Bytes header = cat({hex("020000000202 020000000101"), hex(ipv6 ? "86dd" : "0800"),
                                outer_ip, hex(udp_checksum ? "000012b50000ffff" : "000012b500000000"),
                                hex("0800000000002a00")});
      const tunnel::EncapHeader encap{.bytes = header,
                                      .tnl_type = odp::kVportVxlan,
                                      .tnl_port = 4789,
                                      .out_port = 1,
                                      .l4_offset = static_cast<uint16_t>(14 + outer_ip.size()),
                                      .ipv6 = ipv6};
      Packet* p = partial(inner, offload::kTcp4Segmentation, kMss);
      tunnel::push_encap_header(*p, encap, 7);
      EXPECT_NE(p->offload.needs & offload::kUdpTunnel, 0);
      EXPECT_NE(p->offload.needs & offload::kSoftwareOnly, 0) << "no device cuts it";
      Cut segments = cut(p, pool);
      ASSERT_EQ(segments.frames.size(), 3u);  // 1448 + 1448 + 1104
      Bytes joined;
      for (size_t i = 0; i < segments.frames.size(); ++i) {
        SCOPED_TRACE(i);
        const Bytes& s = segments.frames[i];
        const size_t outer = header.size();
        const size_t udp = 14 + outer_ip.size();
        EXPECT_EQ(get16(s, udp + 4), s.size() - udp) << "outer UDP length";
        if (ipv6) {
          EXPECT_EQ(get16(s, 14 + 4), s.size() - 14 - 40) << "outer IPv6 payload length";
        } else {
          EXPECT_EQ(get16(s, 14 + 2), s.size() - 14) << "outer IPv4 total length";
        }
        expect_valid_checksums(s);  // the outer IPv4 header and UDP checksum
        const Bytes inner_segment(s.begin() + static_cast<std::ptrdiff_t>(outer), s.end());
        expect_valid_checksums(inner_segment);
        EXPECT_EQ(get16(inner_segment, 14 + 2), inner_segment.size() - 14) << "inner length";
        joined.insert(joined.end(), inner_segment.begin() + 54, inner_segment.end());
        // What tnl_pop makes of it: the inner segment.
        Packet* received = pool.allocate(static_cast<uint32_t>(s.size()));
        ASSERT_TRUE(received->assign(s.data(), static_cast<uint32_t>(s.size())));
        received->reset_metadata(1);
        EXPECT_EQ(tunnel::pop_vxlan(*received), tunnel::DecapError::kNone);
        EXPECT_EQ(bytes_of(*received), inner_segment);
        pool.release(received);
      }
      EXPECT_EQ(joined, data);
    }
  }
}

// The same in GRE (with a checksum and a key): each segment gets its outer
// IP length and its own GRE checksum, and pops back to the inner segment.
TEST_F(OffloadTest, SuperFrameInGreIsCutWithItsOuterHeaders) {
  for (bool ipv6 : {false, true}) {
    for (bool gre_checksum : {false, true}) {
      SCOPED_TRACE(testing::Message() << "ipv6 " << ipv6 << ", gre checksum " << gre_checksum);
      const Bytes data = payload(4000);
      const Bytes inner = cat({eth(0x0800), ipv4(6, tcp_segment(data, 0x018))});
      Bytes outer_ip = ipv6 ? hex("600000000000" "2f40" "20010db8000000000000000000000001"
                                  "20010db8000000000000000000000002")
                            : hex("450000000000400040" "2f" "0000 c0000201 c0000202");
      const Bytes header = cat({hex("020000000202 020000000101"), hex(ipv6 ? "86dd" : "0800"),
                                outer_ip,
                                hex(gre_checksum ? "a0006558 00000000 0000002a" : "20006558 0000002a")});
      const tunnel::EncapHeader encap{.bytes = header,
                                      .tnl_type = ipv6 ? odp::kVportIp6gre : odp::kVportGre,
                                      .tnl_port = 4,
                                      .out_port = 1,
                                      .l4_offset = static_cast<uint16_t>(14 + outer_ip.size()),
                                      .ipv6 = ipv6,
                                      .gre = true,
                                      .gre_checksum = gre_checksum};
      Packet* p = partial(inner, offload::kTcp4Segmentation, kMss);
      tunnel::push_encap_header(*p, encap, 7);
      EXPECT_NE(p->offload.needs & offload::kGreTunnel, 0);
      EXPECT_EQ(p->offload.needs & offload::kUdpTunnel, 0);
      EXPECT_NE(p->offload.needs & offload::kSoftwareOnly, 0) << "no device cuts it";
      Cut segments = cut(p, pool);
      ASSERT_EQ(segments.frames.size(), 3u);  // 1448 + 1448 + 1104
      Bytes joined;
      for (size_t i = 0; i < segments.frames.size(); ++i) {
        SCOPED_TRACE(i);
        const Bytes& s = segments.frames[i];
        const size_t outer = header.size();
        const size_t gre = 14 + outer_ip.size();
        if (ipv6) {
          EXPECT_EQ(get16(s, 14 + 4), s.size() - 14 - 40) << "outer IPv6 payload length";
        } else {
          EXPECT_EQ(get16(s, 14 + 2), s.size() - 14) << "outer IPv4 total length";
          EXPECT_EQ(fold(add_words(0, &s[14], 20)), 0xffff) << "outer IPv4 header checksum";
        }
        if (gre_checksum) {
          EXPECT_NE(get16(s, gre + 4), 0);
          EXPECT_EQ(fold(add_words(0, &s[gre], s.size() - gre)), 0xffff) << "GRE checksum";
        }
        const Bytes inner_segment(s.begin() + static_cast<std::ptrdiff_t>(outer), s.end());
        expect_valid_checksums(inner_segment);
        joined.insert(joined.end(), inner_segment.begin() + 54, inner_segment.end());
        Packet* received = pool.allocate(static_cast<uint32_t>(s.size()));
        ASSERT_TRUE(received->assign(s.data(), static_cast<uint32_t>(s.size())));
        received->reset_metadata(1);
        EXPECT_EQ(tunnel::pop_gre(*received), tunnel::DecapError::kNone);
        EXPECT_EQ(bytes_of(*received), inner_segment);
        EXPECT_EQ(ntoh64(received->md.tunnel.tun_id), 42u);
        pool.release(received);
      }
      EXPECT_EQ(joined, data);
    }
  }
}

// A partial checksum (no segmentation) is finished before the outer header
// goes on: the outer UDP checksum covers it, and no port could finish it
// under the outer headers.
TEST_F(OffloadTest, PartialChecksumIsFinishedBeforeVxlanGoesOn) {
  const Bytes inner = cat({eth(0x0800), ipv4(17, udp(1234, 53, payload(100)))});
  Bytes expected = inner;
  fill_checksums(expected);
  const Bytes header = hex("020000000202 020000000101 0800 450000000000400040110000 c0000201 "
                           "c0000202 000012b5 0000 ffff 0800000000002a00");
  const tunnel::EncapHeader encap{.bytes = header, .tnl_type = odp::kVportVxlan,
                                  .tnl_port = 4789, .out_port = 1, .l4_offset = 34};
  Packet* p = partial(inner);
  tunnel::push_encap_header(*p, encap, 7);
  EXPECT_EQ(p->offload.needs, 0);
  const Bytes sent = bytes_of(*p);
  expect_valid_checksums(sent);
  EXPECT_EQ(Bytes(sent.begin() + 50, sent.end()), expected);
  pool.release(p);
}

// Linux's vxlan device over a veth leaves the inner checksum to the device
// and computes the outer UDP checksum as if it were done (local checksum
// offload): tnl_pop accepts it, and the inner frame keeps its partial
// checksum for the output port.
TEST_F(OffloadTest, PopKeepsAnInnerChecksumLeftToTheDevice) {
  Bytes inner = cat({eth(0x0800), ipv4(6, tcp_segment(payload(200)))});
  fill_checksums(inner);
  const Bytes finished_inner = inner;
  Bytes frame = cat({hex("020000000101 020000000202 0800 450000000000400040110000 c0000202 "
                         "c0000201 9c40 12b5 0000 0000 0800000000002a00"),
                     inner});
  put16(frame, 14 + 2, static_cast<uint16_t>(frame.size() - 14));
  put16(frame, 34 + 4, static_cast<uint16_t>(frame.size() - 34));
  fill_checksums(frame);  // the outer IPv4 and UDP checksums, over the finished inner frame
  const Layout l = layout(inner);
  const size_t field = 50 + l.l4 + 16;
  put16(frame, field, fold(pseudo_header_sum(inner, l)));  // the inner TCP checksum, partial
  Packet* p = pool.allocate(static_cast<uint32_t>(frame.size()));
  ASSERT_TRUE(p->assign(frame.data(), static_cast<uint32_t>(frame.size())));
  p->reset_metadata(1);
  p->offload.needs = offload::kPartialChecksum;
  p->offload.l3_offset = static_cast<uint16_t>(50 + l.l3);
  p->offload.l4_offset = static_cast<uint16_t>(50 + l.l4);
  p->offload.checksum_offset = 16;
  ASSERT_EQ(tunnel::pop_vxlan(*p), tunnel::DecapError::kNone);
  EXPECT_NE(p->md.tunnel.flags & kTunnelFlagCsum, 0) << "the outer checksum was present";
  EXPECT_EQ(p->offload.needs, offload::kPartialChecksum);
  EXPECT_EQ(p->offload.l4_offset, l.l4);
  finish_checksum(*p);
  EXPECT_EQ(bytes_of(*p), finished_inner);
  pool.release(p);

  // A wrong outer checksum without that offload is still refused.
  Packet* q = pool.allocate(static_cast<uint32_t>(frame.size()));
  ASSERT_TRUE(q->assign(frame.data(), static_cast<uint32_t>(frame.size())));
  q->reset_metadata(1);
  EXPECT_EQ(tunnel::pop_vxlan(*q), tunnel::DecapError::kUdpChecksum);
  pool.release(q);
}

TEST_F(OffloadTest, Tcp6SuperFrameWithVlanTagIsCut) {
  const Bytes data = payload(3000);
  Bytes frame = cat({hex("000000000002 000000000001 8100 0005 86dd"),
                     ipv6(6, tcp_segment(data, 0x098))});  // CWR|ACK|PSH
  Cut segments = cut(partial(frame, offload::kTcp6Segmentation, 1000), pool);
  ASSERT_EQ(segments.frames.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const Bytes& s = segments.frames[i];
    SCOPED_TRACE(i);
    expect_valid_checksums(s);
    EXPECT_EQ(get16(s, 18 + 4), 20 + 1000) << "IPv6 payload length";
    EXPECT_EQ(get16(s, 58 + 12) & 0x0fff, i == 0 ? 0x090 : i == 2 ? 0x018 : 0x010)
        << "CWR on the first segment, PSH on the last";
  }
}

TEST_F(OffloadTest, UdpSuperFrameIsCutIntoDatagrams) {
  Bytes frame = cat({eth(0x0800), ipv4(17, udp(1234, 53, payload(2500)))});
  Cut segments = cut(partial(frame, offload::kUdpSegmentation, 1200), pool);
  ASSERT_EQ(segments.frames.size(), 3u);
  for (const Bytes& s : segments.frames) {
    expect_valid_checksums(s);
    EXPECT_EQ(get16(s, 34 + 4), s.size() - 34) << "UDP length";
  }
}

TEST_F(OffloadTest, HeadersThatDoNotMatchTheOffloadAreNotCut) {
  Bytes frame = cat({eth(0x0800), ipv4(6, tcp_segment(payload(3000)))});
  Packet* p = partial(frame, offload::kTcp6Segmentation, kMss);  // IPv4 called IPv6
  EXPECT_FALSE(Segmenter(*p).valid());
  pool.release(p);
}

// ---------------------------------------------------------------- actions

class RecordingContext : public TestContext {
 public:
  using TestContext::TestContext;
  // What a port without offloads would send: the checksum finished.
  void output(uint32_t port, PacketBatch& batch) override {
    for (Packet* p : batch) {
      if ((p->offload.needs & offload::kPartialChecksum) != 0) finish_checksum(*p);
    }
    TestContext::output(port, batch);
  }
};

TEST_F(OffloadTest, SetFieldKeepsPartialChecksumsRight) {
  RecordingContext ctx(pool);
  odp::KeyPorts ports{hton16(4000), hton16(8080)};
  struct Case {
    Bytes frame;
    Actions actions;
  };
  std::vector<Case> cases;
  cases.push_back({cat({eth(0x0800), ipv4(6, tcp_segment(payload(200)))}),
                   Actions().set(odp::kKeyIpv4, ipv4_key(0x0a010101, 0xc0a80102))});
  cases.push_back({cat({eth(0x0800), ipv4(6, tcp_segment(payload(200)))}),
                   Actions().set(odp::kKeyTcp, ports)});
  cases.push_back({cat({eth(0x0800), ipv4(17, udp(1, 2, payload(99)))}),
                   Actions().set(odp::kKeyIpv4, ipv4_key(0x0a010101, 0xc0a80102)).set(
                       odp::kKeyUdp, ports)});
  odp::KeyIpv6 v6{};
  copy_hex(v6.src, "20010db8000000000000000000000001");
  copy_hex(v6.dst, "20010db8000000000000000000000002");
  v6.proto = 6;
  v6.hlimit = 64;
  cases.push_back({cat({eth(0x86dd), ipv6(6, tcp_segment(payload(64)))}),
                   Actions().set(odp::kKeyIpv6, v6)});
  cases.push_back({cat({eth(0x0800), ipv4(6, tcp_segment(payload(200)))}),
                   Actions().push_vlan(0x8100, 0x1005).set(odp::kKeyTcp, ports)});
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    ctx.sent.clear();
    PacketBatch batch;
    batch.add(partial(cases[i].frame));
    execute_actions(batch, cases[i].actions.output(1).span(), ctx);
    ASSERT_EQ(ctx.sent.size(), 1u);
    expect_valid_checksums(ctx.sent[0].bytes);
  }
}

TEST_F(OffloadTest, TruncationEndsASuperFrame) {
  Packet* p = partial(cat({eth(0x0800), ipv4(6, tcp_segment(payload(3000)))}),
                      offload::kTcp4Segmentation, kMss);
  p->truncate(200);
  EXPECT_EQ(p->offload.needs, offload::kPartialChecksum);
  p->truncate(40);  // the checksum field is gone
  EXPECT_EQ(p->offload.needs, 0);
  pool.release(p);
}

// ---------------------------------------------------------------- Vport::output

class RecordingPort final : public Vport {
 public:
  explicit RecordingPort(uint8_t accepted) : Vport(VportKind::kPcap, "recorder") {
    set_accepted_offloads(accepted);
  }
  size_t receive(PacketPool&, PacketBatch&) override { return 0; }
  size_t send(PacketBatch& batch) override {
    ++sends;
    for (Packet* p : batch) {
      frames.emplace_back(p->data(), p->data() + p->size());
      needs.push_back(p->offload.needs);
      p->pool()->release(p);
    }
    const size_t n = batch.size();
    batch.clear();
    return n;
  }
  int wait_fd() const override { return -1; }
  uint32_t mtu() const override { return 1500; }

  std::vector<Bytes> frames;
  std::vector<uint8_t> needs;
  int sends = 0;
};

TEST_F(OffloadTest, OutputFinishesWhatThePortCannotTake) {
  Bytes plain = cat({eth(0x0800), ipv4(6, tcp_segment(payload(10)))});
  fill_checksums(plain);
  auto batch_of_three = [&] {
    PacketBatch batch;
    Packet* p = pool.allocate();
    p->assign(plain.data(), static_cast<uint32_t>(plain.size()));
    batch.add(p);
    batch.add(partial(cat({eth(0x0800), ipv4(6, tcp_segment(payload(100)))})));
    batch.add(partial(cat({eth(0x0800), ipv4(6, tcp_segment(payload(60000)))}),
                      offload::kTcp4Segmentation, kMss));
    return batch;
  };
  {
    RecordingPort port(0);
    PacketBatch batch = batch_of_three();
    EXPECT_EQ(port.output(batch), 3u);
    EXPECT_TRUE(batch.empty());
    ASSERT_EQ(port.frames.size(), 2u + 42u) << "60000 bytes in segments of 1448";
    EXPECT_EQ(port.sends, 2) << "in batches of 32";
    for (const Bytes& f : port.frames) expect_valid_checksums(f);
    for (uint8_t n : port.needs) EXPECT_EQ(n, 0);
  }
  {
    RecordingPort port(offload::kAll);
    PacketBatch batch = batch_of_three();
    EXPECT_EQ(port.output(batch), 3u);
    ASSERT_EQ(port.frames.size(), 3u) << "a port that takes them gets them as they are";
    EXPECT_EQ(port.needs[2], offload::kPartialChecksum | offload::kTcp4Segmentation);
  }
}

}  // namespace
}  // namespace flowpath::action_test
