// The connection tracker through Conntrack::execute(): ct_state, zone,
// mark, labels and original tuple as Open vSwitch writes them, for UDP,
// ICMP/ICMPv6 (with related errors), other protocols and invalid packets;
// commit, force, limits, expiry, dump and flush.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "conntrack/connection_format.h"
#include "conntrack_test_support.h"

namespace flowpath::conntrack_test {
namespace {

const Bytes kUdpOut = frame("10.0.0.1", "10.0.0.2", 17, udp_header(40000, 53));
const Bytes kUdpBack = frame("10.0.0.2", "10.0.0.1", 17, udp_header(53, 40000));

TEST(ConntrackUdp, UncommittedIsNewAndNotKept) {
  Tracker t;
  CtResult r = t.look(kUdpOut, 3);
  EXPECT_EQ(r.state, kTrk | kNew);
  EXPECT_EQ(r.zone, 3);
  // The tuple of a new packet is its own.
  EXPECT_EQ(r.tuple.proto, 17);
  EXPECT_EQ(ntoh16(r.tuple.src_port), 40000);
  EXPECT_EQ(ntoh16(r.tuple.dst_port), 53);
  EXPECT_EQ(r.tuple.src[0], 10);
  EXPECT_EQ(r.tuple.dst[3], 2);
  EXPECT_EQ(t.ct.connection_count(), 0u);
  EXPECT_EQ(t.look(kUdpBack, 3).state, kTrk | kNew);
}

TEST(ConntrackUdp, CommittedThenReplyEstablishes) {
  Tracker t;
  EXPECT_EQ(t.commit(kUdpOut).state, kTrk | kNew);
  EXPECT_EQ(t.ct.connection_count(), 1u);
  EXPECT_EQ(t.look(kUdpOut).state, kTrk | kNew);  // still one-sided
  CtResult back = t.look(kUdpBack);
  EXPECT_EQ(back.state, kTrk | kEst | kRpl);
  // The tuple is the original direction's, also for replies.
  EXPECT_EQ(ntoh16(back.tuple.src_port), 40000);
  EXPECT_EQ(back.tuple.src[3], 1);
  EXPECT_EQ(t.look(kUdpOut).state, kTrk | kEst);
}

TEST(ConntrackUdp, ZonesAreSeparate) {
  Tracker t;
  t.commit(kUdpOut, 1);
  EXPECT_EQ(t.look(kUdpBack, 1).state, kTrk | kEst | kRpl);
  EXPECT_EQ(t.look(kUdpBack, 2).state, kTrk | kNew);
}

TEST(ConntrackOther, ProtocolsWithoutPortsTrackByAddress) {
  Tracker t;
  Bytes gre_out = frame("10.0.0.1", "10.0.0.2", 47, Bytes(8, 0));
  Bytes gre_back = frame("10.0.0.2", "10.0.0.1", 47, Bytes(8, 0));
  EXPECT_EQ(t.commit(gre_out).state, kTrk | kNew);
  EXPECT_EQ(t.look(gre_back).state, kTrk | kEst | kRpl);
  auto dump = t.ct.dump(std::nullopt, 1000);
  ASSERT_EQ(dump.size(), 1u);
  EXPECT_EQ(conntrack::format_connection(dump[0], false, false),
            "47,orig=(src=10.0.0.1,dst=10.0.0.2,sport=0,dport=0),"
            "reply=(src=10.0.0.2,dst=10.0.0.1,sport=0,dport=0)");
}

TEST(ConntrackIcmp, EchoRequestAndReply) {
  Tracker t;
  Bytes request = frame("10.0.0.1", "10.0.0.2", 1, icmp_header(8, 0, 77));
  Bytes reply = frame("10.0.0.2", "10.0.0.1", 1, icmp_header(0, 0, 77));
  // A reply nobody asked for cannot start a connection.
  EXPECT_EQ(t.look(reply).state, kTrk | kInv);
  CtResult r = t.commit(request);
  EXPECT_EQ(r.state, kTrk | kNew);
  // ICMP's tuple carries type and code in the port fields.
  EXPECT_EQ(ntoh16(r.tuple.src_port), 8);
  EXPECT_EQ(ntoh16(r.tuple.dst_port), 0);
  EXPECT_EQ(t.look(reply).state, kTrk | kEst | kRpl);
  EXPECT_EQ(t.look(request).state, kTrk | kEst);
  // Another identifier is another connection.
  EXPECT_EQ(t.look(frame("10.0.0.2", "10.0.0.1", 1, icmp_header(0, 0, 78))).state, kTrk | kInv);
  auto dump = t.ct.dump(std::nullopt, 1000);
  ASSERT_EQ(dump.size(), 1u);
  EXPECT_EQ(conntrack::format_connection(dump[0], false, false),
            "icmp,orig=(src=10.0.0.1,dst=10.0.0.2,id=77,type=8,code=0),"
            "reply=(src=10.0.0.2,dst=10.0.0.1,id=77,type=0,code=0)");
}

TEST(ConntrackIcmp, Icmpv6Echo) {
  Tracker t;
  Bytes request = frame("fd00::1", "fd00::2", 58, icmp_header(128, 0, 5));
  Bytes reply = frame("fd00::2", "fd00::1", 58, icmp_header(129, 0, 5));
  EXPECT_EQ(t.commit(request).state, kTrk | kNew);
  CtResult r = t.look(reply);
  EXPECT_EQ(r.state, kTrk | kEst | kRpl);
  EXPECT_EQ(r.tuple.proto, 58);
  EXPECT_EQ(r.tuple.src[15], 1);
  // Neighbour discovery is not a query: invalid, as in Open vSwitch.
  EXPECT_EQ(t.look(frame("fd00::2", "fd00::1", 58, icmp_header(135, 0, 0))).state, kTrk | kInv);
}

TEST(ConntrackIcmp, ErrorsAreRelatedToTheirConnection) {
  Tracker t;
  conntrack::CtRequest commit_marked;
  commit_marked.commit = true;
  commit_marked.set_mark = true;
  commit_marked.mark = 42;
  commit_marked.mark_mask = 0xffffffff;
  t.run(kUdpOut, commit_marked);
  // Port unreachable from the destination, quoting the UDP packet.
  Bytes quoted = ip_packet("10.0.0.1", "10.0.0.2", 17, udp_header(40000, 53));
  CtResult r = t.look(frame("10.0.0.2", "10.0.0.1", 1, icmp_error(3, 3, quoted)));
  EXPECT_EQ(r.state, kTrk | kRel | kRpl);
  EXPECT_EQ(r.mark, 42u);
  EXPECT_EQ(ntoh16(r.tuple.src_port), 40000);
  // From a router on the way: also related.
  EXPECT_EQ(t.look(frame("10.9.9.9", "10.0.0.1", 1, icmp_error(11, 0, quoted))).state,
            kTrk | kRel | kRpl);
  // Quoting a packet of no connection, or one the receiver did not send.
  Bytes stranger = ip_packet("10.0.0.1", "10.0.0.2", 17, udp_header(40001, 53));
  EXPECT_EQ(t.look(frame("10.0.0.2", "10.0.0.1", 1, icmp_error(3, 3, stranger))).state,
            kTrk | kInv);
  EXPECT_EQ(t.look(frame("10.0.0.2", "10.0.0.7", 1, icmp_error(3, 3, quoted))).state,
            kTrk | kInv);
  // An ICMPv6 error.
  t.commit(frame("fd00::1", "fd00::2", 17, udp_header(1000, 2000)));
  Bytes quoted6 = ip_packet("fd00::1", "fd00::2", 17, udp_header(1000, 2000));
  EXPECT_EQ(t.look(frame("fd00::2", "fd00::1", 58, icmp_error(1, 4, quoted6))).state,
            kTrk | kRel | kRpl);
}

TEST(ConntrackInvalid, UntrackablePacketsAreInvalidWithNoTuple) {
  Tracker t;
  // ARP.
  Bytes arp = {0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x06};
  arp.resize(42, 0);
  CtResult r = t.look(arp, 9);
  EXPECT_EQ(r.state, kTrk | kInv);
  EXPECT_EQ(r.zone, 9);
  EXPECT_EQ(r.tuple.proto, 0);
  // A bad IPv4 header checksum.
  Bytes bad = kUdpOut;
  bad[14 + 10] ^= 0xff;
  EXPECT_EQ(t.look(bad).state, kTrk | kInv);
  // A fragment (no reassembly yet).
  Bytes fragment = ip_packet("10.0.0.1", "10.0.0.2", 17, udp_header(1, 2));
  fragment[6] = 0x20;  // more fragments
  fragment[10] = fragment[11] = 0;
  be16 sum = ipv4_header_checksum(fragment.data(), 20);
  std::memcpy(&fragment[10], &sum, 2);
  EXPECT_EQ(t.look(ethernet(fragment, false)).state, kTrk | kInv);
  // A truncated transport header.
  EXPECT_EQ(t.look(frame("10.0.0.1", "10.0.0.2", 6, Bytes(10, 0))).state, kTrk | kInv);
  EXPECT_EQ(t.ct.counters().invalid, 4u);
}

TEST(ConntrackMarkLabel, WritesGoToTheConnection) {
  Tracker t;
  conntrack::CtRequest rq;
  rq.commit = true;
  rq.set_mark = true;
  rq.mark = 0x12345678;
  rq.mark_mask = 0x0000ffff;
  rq.set_label = true;
  rq.label[0] = 0x01;  // host order: the label 0x1
  rq.label_mask[0] = 0xff;
  CtResult r = t.run(kUdpOut, rq);
  EXPECT_EQ(r.mark, 0x5678u);
  EXPECT_EQ(r.label[0], 1);
  CtResult back = t.look(kUdpBack);
  EXPECT_EQ(back.mark, 0x5678u);
  EXPECT_EQ(back.label[0], 1);
  auto dump = t.ct.dump(std::nullopt, 1000);
  ASSERT_EQ(dump.size(), 1u);
  EXPECT_EQ(conntrack::format_connection(dump[0], false, false),
            "udp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=40000,dport=53),"
            "reply=(src=10.0.0.2,dst=10.0.0.1,sport=53,dport=40000),mark=22136,labels=0x1");
  // Without a connection nothing is written and the packet's are cleared.
  CtResult other = t.run(frame("10.0.0.5", "10.0.0.2", 17, udp_header(1, 2)),
                         conntrack::CtRequest{.zone = 0, .set_mark = true, .mark = 7,
                                              .mark_mask = 0xff});
  EXPECT_EQ(other.mark, 0u);
}

TEST(ConntrackForce, ReplyDirectionConnectionRestarts) {
  Tracker t;
  t.commit(kUdpOut);
  conntrack::CtRequest force;
  force.force = true;
  CtResult r = t.run(kUdpBack, force);
  EXPECT_EQ(r.state, kTrk | kNew);
  EXPECT_EQ(ntoh16(r.tuple.src_port), 53);  // the new connection's original is the reply
  ASSERT_EQ(t.ct.connection_count(), 1u);
  EXPECT_EQ(t.look(kUdpOut).state, kTrk | kEst | kRpl);
}

TEST(ConntrackLimits, GlobalMaximumAndZoneLimits) {
  Tracker t;
  t.ct.set_max_connections(2);
  for (uint16_t port = 1; port <= 3; ++port)
    EXPECT_EQ(t.commit(frame("10.0.0.1", "10.0.0.2", 17, udp_header(port, 9))).state, kTrk | kNew);
  EXPECT_EQ(t.ct.connection_count(), 2u);
  EXPECT_EQ(t.ct.counters().full, 1u);
  t.ct.set_max_connections(100);
  t.ct.set_zone_limit(5, 1);
  t.commit(frame("10.0.0.1", "10.0.0.2", 17, udp_header(1, 9)), 5);
  t.commit(frame("10.0.0.1", "10.0.0.2", 17, udp_header(2, 9)), 5);
  EXPECT_EQ(t.ct.counters().zone_limited, 1u);
  auto limits = t.ct.zone_limits({});
  ASSERT_EQ(limits.size(), 1u);
  EXPECT_EQ(limits[0].zone, 5);
  EXPECT_EQ(limits[0].limit, 1u);
  EXPECT_EQ(limits[0].count, 1u);
  // The default applies to zones without their own; deleting falls back to it.
  t.ct.set_default_zone_limit(3);
  EXPECT_EQ(t.ct.zone_limits({7})[0].limit, 3u);
  t.ct.delete_zone_limit(5);
  EXPECT_EQ(t.ct.zone_limits({5})[0].limit, 3u);
  EXPECT_TRUE(t.ct.zone_limits({}).empty());
}

TEST(ConntrackExpiry, IdleConnectionsExpireAndAreSwept) {
  Tracker t;
  t.commit(kUdpOut, 0, 1000);
  EXPECT_EQ(t.look(kUdpBack, 0, 1000 + 59000).state, kTrk | kEst | kRpl);
  // Bidirectional UDP lives 30 s after its last packet.
  EXPECT_EQ(t.look(kUdpBack, 0, 1000 + 59000 + 29000).state, kTrk | kEst | kRpl);
  EXPECT_EQ(t.look(kUdpBack, 0, 1000 + 59000 + 29000 + 31000).state, kTrk | kNew);
  EXPECT_EQ(t.ct.connection_count(), 1u);  // until swept
  EXPECT_EQ(t.ct.sweep(200000, t.ct.bucket_count()), 1u);
  EXPECT_EQ(t.ct.connection_count(), 0u);
  EXPECT_EQ(t.ct.counters().expired, 1u);
  // Timeouts are configurable.
  conntrack::TimeoutTable table = t.ct.timeouts();
  table.seconds[static_cast<size_t>(conntrack::Timeout::kUdpFirst)] = 5;
  t.ct.set_timeouts(table);
  t.commit(kUdpOut, 0, 300000);
  EXPECT_EQ(t.ct.sweep(304000, t.ct.bucket_count()), 0u);
  EXPECT_EQ(t.ct.sweep(305000, t.ct.bucket_count()), 1u);
}

TEST(ConntrackFlush, ByZoneAndByTuple) {
  Tracker t;
  t.commit(kUdpOut, 1);
  t.commit(kUdpOut, 2);
  t.commit(frame("10.0.0.1", "10.0.0.3", 6, tcp_header(5, 80, 0x02, 100, 0)), 2);
  conntrack::FlushFilter zone1;
  zone1.zone = 1;
  EXPECT_EQ(t.ct.flush(zone1), 1u);
  auto filter = conntrack::parse_flush_tuple("ct_nw_dst=10.0.0.3,ct_nw_proto=6,ct_tp_dst=80");
  ASSERT_TRUE(filter.ok()) << filter.error();
  EXPECT_EQ(t.ct.flush(*filter), 1u);
  EXPECT_EQ(t.ct.connection_count(), 1u);
  EXPECT_EQ(t.ct.flush(conntrack::FlushFilter{}), 1u);
  EXPECT_FALSE(conntrack::parse_flush_tuple("ct_nw_src=1.2.3").ok());
  EXPECT_FALSE(conntrack::parse_flush_tuple("ct_tp_dst=70000").ok());
  EXPECT_FALSE(conntrack::parse_flush_tuple("nw_src=1.2.3.4").ok());
}

TEST(ConntrackDump, StatisticsAndZoneFilter) {
  Tracker t;
  t.commit(kUdpOut, 4);
  t.look(kUdpBack, 4);
  auto all = t.ct.dump(std::nullopt, 1000);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].packets[0], 1u);
  EXPECT_EQ(all[0].packets[1], 1u);
  EXPECT_EQ(all[0].bytes[0], kUdpOut.size());
  std::string text = conntrack::format_connection(all[0], true, true);
  EXPECT_NE(text.find("orig=(src=10.0.0.1,dst=10.0.0.2,sport=40000,dport=53,packets=1,bytes=46)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(",zone=4,timeout="), std::string::npos) << text;
  EXPECT_TRUE(t.ct.dump(uint16_t{3}, 1000).empty());
  EXPECT_EQ(t.ct.dump(uint16_t{4}, 1000).size(), 1u);
}

// Lookups on forwarding threads go on while another thread commits and the
// sweeper expires: every packet gets a consistent answer, nothing leaks.
TEST(ConntrackConcurrency, LookupsDuringCommitsAndExpiry) {
  Tracker t(8);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> now{1000};
  constexpr int kFlows = 200;
  std::vector<Bytes> out, back;
  for (int i = 0; i < kFlows; ++i) {
    out.push_back(frame("10.1.0.1", "10.1.0.2", 17, udp_header(static_cast<uint16_t>(1000 + i), 53)));
    back.push_back(frame("10.1.0.2", "10.1.0.1", 17, udp_header(53, static_cast<uint16_t>(1000 + i))));
  }
  std::atomic<uint64_t> bad{0};
  auto reader = [&] {
    conntrack::Conntrack& ct = t.ct;
    PacketPool pool(4);
    conntrack::CtRequest look;
    while (!stop.load()) {
      for (int i = 0; i < kFlows; ++i) {
        Packet* p = pool.allocate();
        p->assign(back[i].data(), static_cast<uint32_t>(back[i].size()));
        FlowKey key;
        extract_key(*p, &key);
        PacketBatch b;
        b.add(p);
        {
          rcu::ReadSection section;
          ct.execute(b, look, now.load());
        }
        uint32_t s = p->md.ct_state;
        if (s != (kTrk | kNew) && s != (kTrk | kEst | kRpl)) bad.fetch_add(1);
        pool.release(p);
      }
    }
  };
  std::thread r1(reader), r2(reader);
  std::thread committer([&] {
    PacketPool pool(4);
    conntrack::CtRequest commit;
    commit.commit = true;
    for (int round = 0; round < 50; ++round) {
      for (int i = 0; i < kFlows; ++i) {
        Packet* p = pool.allocate();
        p->assign(out[i].data(), static_cast<uint32_t>(out[i].size()));
        FlowKey key;
        extract_key(*p, &key);
        PacketBatch b;
        b.add(p);
        {
          rcu::ReadSection section;
          t.ct.execute(b, commit, now.load());
        }
        pool.release(p);
      }
      now.fetch_add(61000);  // everything committed so far expires
      t.ct.sweep(now.load(), t.ct.bucket_count());
    }
  });
  committer.join();
  stop = true;
  r1.join();
  r2.join();
  EXPECT_EQ(bad.load(), 0u);
  t.ct.sweep(now.load() + 1000000, t.ct.bucket_count());
  EXPECT_EQ(t.ct.connection_count(), 0u);
  rcu::wait_for_deferred_frees();
}

}  // namespace
}  // namespace flowpath::conntrack_test
