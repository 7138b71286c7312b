// NAT in the connection tracker: ct(commit,nat(src|dst=...)) and bare
// ct(nat) through Conntrack::execute(), for TCP, UDP, ICMP echo, ICMP
// errors and IPv6: the addresses, ports and identifiers chosen from the
// range without collisions, the drop when the range is exhausted, replies
// de-translated, ct_state's snat/dnat bits as Open vSwitch sets them, and
// every checksum checked against a plain RFC 1071 computation.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "common/netlink.h"
#include "conntrack/connection_format.h"
#include "conntrack/ct_request.h"
#include "conntrack/nat_allocate.h"
#include "conntrack_test_support.h"
#include "odp/odp_action_text.h"

namespace flowpath::conntrack_test {
namespace {

constexpr uint32_t kSnat = odp::kCsSrcNat, kDnat = odp::kCsDstNat;

// ---- A reference checksum: RFC 1071 over the bytes, nothing incremental.
uint16_t reference_sum(const Bytes& b, size_t from, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i < n; i += 2) {
    uint16_t word = static_cast<uint16_t>(b[from + i] << 8);
    if (i + 1 < n) word |= b[from + i + 1];
    sum += word;
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}
uint16_t get16(const Bytes& b, size_t at) { return static_cast<uint16_t>(b[at] << 8 | b[at + 1]); }

// The pseudo-header sum of the IP packet at `l3` for its transport bytes.
uint32_t pseudo_sum(const Bytes& b, size_t l3, bool v6, uint8_t proto, size_t l4_length) {
  uint32_t sum = v6 ? reference_sum(b, l3 + 8, 32) : reference_sum(b, l3 + 12, 8);
  return sum + proto + static_cast<uint32_t>(l4_length);
}

// Whether the frame's IPv4 header checksum and its transport checksum are
// right (a sum over everything covered, checksum included, of 0xffff).
void expect_checksums_valid(const Bytes& f) {
  const size_t l3 = 14;
  const bool v6 = f[12] == 0x86;
  size_t header = v6 ? 40 : (f[l3] & 0x0f) * 4u;
  uint8_t proto = v6 ? f[l3 + 6] : f[l3 + 9];
  if (!v6) {
    EXPECT_EQ(reference_sum(f, l3, header), 0xffff) << "IPv4 header checksum";
  }
  const size_t l4 = l3 + header, n = f.size() - l4;
  uint32_t base = 0;
  if (proto == 6 || proto == 17 || proto == 58) base = pseudo_sum(f, l3, v6, proto, n);
  EXPECT_EQ(reference_sum(f, l4, n, base), 0xffff) << "transport checksum, protocol " << int(proto);
}

// Fills in the checksums of a test frame (the support frames leave the
// transport checksum zero), by the reference computation.
Bytes with_checksums(Bytes f) {
  const size_t l3 = 14;
  const bool v6 = f[12] == 0x86;
  size_t header = v6 ? 40 : 20;
  uint8_t proto = v6 ? f[l3 + 6] : f[l3 + 9];
  const size_t l4 = l3 + header, n = f.size() - l4;
  size_t at = proto == 6 ? 16 : proto == 17 ? 6 : 2;
  f[l4 + at] = f[l4 + at + 1] = 0;
  uint32_t base = (proto == 1) ? 0 : pseudo_sum(f, l3, v6, proto, n);
  uint16_t sum = static_cast<uint16_t>(~reference_sum(f, l4, n, base));
  if (proto == 17 && sum == 0) sum = 0xffff;
  put16(f, l4 + at, sum);
  return f;
}

// The frame's source and destination addresses and ports (or ICMP id).
std::string src_of(const Bytes& f) {
  char buf[64];
  inet_ntop(f[12] == 0x86 ? AF_INET6 : AF_INET, &f[f[12] == 0x86 ? 22 : 26], buf, sizeof buf);
  return buf;
}
std::string dst_of(const Bytes& f) {
  char buf[64];
  inet_ntop(f[12] == 0x86 ? AF_INET6 : AF_INET, &f[f[12] == 0x86 ? 38 : 30], buf, sizeof buf);
  return buf;
}
size_t l4_of(const Bytes& f) { return f[12] == 0x86 ? 54 : 14 + (f[14] & 0x0f) * 4u; }
uint16_t sport_of(const Bytes& f) { return get16(f, l4_of(f)); }
uint16_t dport_of(const Bytes& f) { return get16(f, l4_of(f) + 2); }
uint16_t icmp_id_of(const Bytes& f) { return get16(f, l4_of(f) + 4); }

conntrack::CtRequest nat_request(const std::string& text) {
  // The datapath action as Open vSwitch writes it, through our ODP parser
  // and the tracker's decoder.
  auto actions = parse_odp_actions(text);
  EXPECT_TRUE(actions.ok()) << text << ": " << actions.error();
  auto attrs = parse_attributes(*actions);
  EXPECT_TRUE(attrs.ok());
  auto r = conntrack::decode_ct_action((*attrs)[0].payload);
  EXPECT_TRUE(r.ok()) << text << ": " << r.error();
  return *r;
}

// A tracker whose packets come back: ct() may rewrite them.
struct NatTracker {
  NatTracker() : ct(10), pool(8) {}

  struct Out {
    bool kept = false;
    uint32_t state = 0;
    Bytes frame;
    PacketMetadata md{};
  };
  // Runs `bytes` through ct(`request`); `prior` is metadata from an earlier ct().
  Out run(const Bytes& bytes, const conntrack::CtRequest& request,
          const PacketMetadata* prior = nullptr) {
    Packet* p = pool.allocate();
    EXPECT_TRUE(p->assign(bytes.data(), static_cast<uint32_t>(bytes.size())));
    FlowKey key;
    extract_key(*p, &key);
    if (prior) p->md = *prior;
    PacketBatch batch;
    batch.add(p);
    Out out;
    {
      rcu::ReadSection section;
      out.kept = ct.execute(batch, request, 1000) == 1;
    }
    out.state = p->md.ct_state;
    out.md = p->md;
    out.frame.assign(p->data(), p->data() + p->size());
    pool.release(p);
    return out;
  }
  Out run(const Bytes& bytes, const std::string& action) { return run(bytes, nat_request(action)); }

  conntrack::Conntrack ct;
  PacketPool pool;
};

Bytes tcp_frame(const std::string& s, const std::string& d, uint16_t sp, uint16_t dp,
                uint16_t flags, uint32_t seq, uint32_t ack) {
  return with_checksums(frame(s, d, 6, tcp_header(sp, dp, flags, seq, ack, 65535, 5)));
}
Bytes udp_frame(const std::string& s, const std::string& d, uint16_t sp, uint16_t dp) {
  return with_checksums(frame(s, d, 17, udp_header(sp, dp)));
}

constexpr uint16_t kSyn = 0x02, kAck = 0x10;

TEST(ConntrackNat, SourceNatOfTcpAndRepliesDeTranslated) {
  NatTracker t;
  auto out = t.run(tcp_frame("10.1.0.1", "10.2.0.2", 40000, 80, kSyn, 100, 0),
                   "ct(commit,zone=1,nat(src=10.0.0.100))");
  ASSERT_TRUE(out.kept);
  EXPECT_EQ(out.state, kTrk | kNew | kSnat);
  EXPECT_EQ(src_of(out.frame), "10.0.0.100");
  EXPECT_EQ(dst_of(out.frame), "10.2.0.2");
  EXPECT_EQ(sport_of(out.frame), 40000);  // free: kept
  expect_checksums_valid(out.frame);
  // The original tuple stays the untranslated one.
  EXPECT_EQ(out.md.ct_orig_tuple.src[3], 1);
  EXPECT_EQ(ntoh16(out.md.ct_orig_tuple.src_port), 40000);

  // The server answers the translated address; bare nat de-translates.
  auto back = t.run(tcp_frame("10.2.0.2", "10.0.0.100", 80, 40000, kSyn | kAck, 500, 101),
                    "ct(zone=1,nat)");
  ASSERT_TRUE(back.kept);
  EXPECT_EQ(back.state, kTrk | kEst | kRpl | kDnat);
  EXPECT_EQ(src_of(back.frame), "10.2.0.2");
  EXPECT_EQ(dst_of(back.frame), "10.1.0.1");
  EXPECT_EQ(dport_of(back.frame), 40000);
  expect_checksums_valid(back.frame);

  auto again = t.run(tcp_frame("10.1.0.1", "10.2.0.2", 40000, 80, kAck, 101, 501), "ct(zone=1,nat)");
  EXPECT_EQ(again.state, kTrk | kEst | kSnat);
  EXPECT_EQ(src_of(again.frame), "10.0.0.100");
  expect_checksums_valid(again.frame);

  // Without nat in the action nothing is rewritten, as in Open vSwitch.
  auto plain = t.run(tcp_frame("10.1.0.1", "10.2.0.2", 40000, 80, kAck, 101, 501), "ct(zone=1)");
  EXPECT_EQ(plain.state, kTrk | kEst);
  EXPECT_EQ(src_of(plain.frame), "10.1.0.1");

  auto dump = t.ct.dump(std::nullopt, 1000);
  ASSERT_EQ(dump.size(), 1u);
  EXPECT_EQ(conntrack::format_connection(dump[0], false, false),
            "tcp,orig=(src=10.1.0.1,dst=10.2.0.2,sport=40000,dport=80),"
            "reply=(src=10.2.0.2,dst=10.0.0.100,sport=80,dport=40000),zone=1,"
            "protoinfo=(state=ESTABLISHED)");
}

// An SCTP packet (one chunk) with its CRC32c; `crc_error` is xor-ed into it.
Bytes sctp_frame(const std::string& s, const std::string& d, uint16_t sp, uint16_t dp,
                 uint32_t vtag, uint8_t chunk_type, uint32_t init_tag, uint32_t crc_error = 0) {
  Bytes l4(12 + 20, 0);
  put16(l4, 0, sp);
  put16(l4, 2, dp);
  put32(l4, 4, vtag);
  l4[12] = chunk_type;
  put16(l4, 14, 20);
  put32(l4, 16, init_tag);
  put32(l4, 20, 65535);
  put16(l4, 24, 1);
  put16(l4, 26, 1);
  put32(l4, 28, 1);
  uint32_t crc = sctp_checksum(l4.data(), l4.size()) ^ crc_error;
  std::memcpy(&l4[8], &crc, 4);
  return frame(s, d, 132, l4);
}
// The CRC the frame carries xor the one it should: 0 when right.
uint32_t sctp_crc_error(const Bytes& f) {
  const size_t l4 = l4_of(f);
  Bytes sctp(f.begin() + static_cast<std::ptrdiff_t>(l4), f.end());
  uint32_t stored;
  std::memcpy(&stored, &sctp[8], 4);
  return stored ^ sctp_checksum(sctp.data(), sctp.size());
}

TEST(ConntrackNat, SctpPortsTranslatedWithTheirCrc) {
  NatTracker t;
  // INIT from 10.1.0.1:5000, source NAT to a port range: the port and the
  // CRC32c change, the reply is de-translated with its CRC right too.
  auto out = t.run(sctp_frame("10.1.0.1", "10.2.0.2", 5000, 6000, 0, 1, 0x1111),
                   "ct(commit,nat(src=10.0.0.100:7000-7001))");
  ASSERT_TRUE(out.kept);
  EXPECT_EQ(out.state, kTrk | kNew | kSnat);
  EXPECT_EQ(src_of(out.frame), "10.0.0.100");
  const uint16_t port = sport_of(out.frame);
  EXPECT_TRUE(port == 7000 || port == 7001) << port;
  EXPECT_EQ(sctp_crc_error(out.frame), 0u);
  auto back = t.run(sctp_frame("10.2.0.2", "10.0.0.100", 6000, port, 0x1111, 2, 0x2222), "ct(nat)");
  ASSERT_TRUE(back.kept);
  EXPECT_EQ(back.state, kTrk | kEst | kRpl | kDnat);
  EXPECT_EQ(dst_of(back.frame), "10.1.0.1");
  EXPECT_EQ(dport_of(back.frame), 5000);
  EXPECT_EQ(sctp_crc_error(back.frame), 0u);
  // A wrong CRC stays exactly as wrong (as Open vSwitch's set of SCTP ports).
  auto second = t.run(sctp_frame("10.1.0.2", "10.2.0.2", 5000, 6000, 0, 1, 0x3333, 0x00ff00ff),
                      "ct(commit,nat(src=10.0.0.100:7000-7001))");
  ASSERT_TRUE(second.kept);
  EXPECT_NE(sport_of(second.frame), port);
  EXPECT_EQ(sctp_crc_error(second.frame), 0x00ff00ffu);
  auto dump = t.ct.dump(std::nullopt, 1000);
  ASSERT_EQ(dump.size(), 2u);
}

TEST(ConntrackNat, SourcePortChangesOnCollisionWithinItsClass) {
  NatTracker t;
  auto a = t.run(udp_frame("10.1.0.1", "10.2.0.2", 40000, 53), "ct(commit,nat(src=10.0.0.100))");
  auto b = t.run(udp_frame("10.1.0.2", "10.2.0.2", 40000, 53), "ct(commit,nat(src=10.0.0.100))");
  EXPECT_EQ(sport_of(a.frame), 40000);
  EXPECT_NE(sport_of(b.frame), 40000);
  EXPECT_GE(sport_of(b.frame), 1024);
  auto c = t.run(udp_frame("10.1.0.3", "10.2.0.2", 700, 53), "ct(commit,nat(src=10.0.0.100))");
  auto d = t.run(udp_frame("10.1.0.4", "10.2.0.2", 700, 53), "ct(commit,nat(src=10.0.0.100))");
  EXPECT_EQ(sport_of(c.frame), 700);
  EXPECT_GE(sport_of(d.frame), 600);
  EXPECT_LE(sport_of(d.frame), 1023);
  EXPECT_NE(sport_of(d.frame), 700);
  // Each reply finds its own client.
  auto rb = t.run(udp_frame("10.2.0.2", "10.0.0.100", 53, sport_of(b.frame)), "ct(nat)");
  EXPECT_EQ(dst_of(rb.frame), "10.1.0.2");
  EXPECT_EQ(dport_of(rb.frame), 40000);
  expect_checksums_valid(rb.frame);
  auto ra = t.run(udp_frame("10.2.0.2", "10.0.0.100", 53, 40000), "ct(nat)");
  EXPECT_EQ(dst_of(ra.frame), "10.1.0.1");
}

TEST(ConntrackNat, PortRangeIsUsedUpThenNewConnectionsAreDropped) {
  NatTracker t;
  const std::string action = "ct(commit,nat(src=10.0.0.100:1000-1003))";
  std::set<uint16_t> ports;
  for (uint16_t i = 0; i < 4; ++i) {
    auto out = t.run(udp_frame("10.1.0.1", "10.2.0.2", 40000 + i, 53), action);
    ASSERT_TRUE(out.kept);
    EXPECT_EQ(src_of(out.frame), "10.0.0.100");
    EXPECT_GE(sport_of(out.frame), 1000);
    EXPECT_LE(sport_of(out.frame), 1003);
    ports.insert(sport_of(out.frame));
    expect_checksums_valid(out.frame);
  }
  EXPECT_EQ(ports.size(), 4u);
  auto fifth = t.run(udp_frame("10.1.0.1", "10.2.0.2", 40004, 53), action);
  EXPECT_FALSE(fifth.kept);
  EXPECT_EQ(t.ct.counters().nat_exhausted, 1u);
  EXPECT_EQ(t.ct.connection_count(), 4u);
  // The connections there still work both ways.
  for (uint16_t port : ports) {
    auto back = t.run(udp_frame("10.2.0.2", "10.0.0.100", 53, port), "ct(nat)");
    EXPECT_EQ(back.state, kTrk | kEst | kRpl | kDnat);
    EXPECT_EQ(dst_of(back.frame), "10.1.0.1");
  }
  // A packet of an existing connection is never dropped for the range.
  EXPECT_TRUE(t.run(udp_frame("10.1.0.1", "10.2.0.2", 40000, 53), action).kept);
  EXPECT_EQ(t.ct.counters().nat_exhausted, 1u);
}

TEST(ConntrackNat, AddressRangeIsUsedUpThenDropped) {
  NatTracker t;
  const std::string action = "ct(commit,nat(src=10.0.0.100-10.0.0.101:5000))";
  std::set<std::string> used;
  for (uint16_t i = 0; i < 2; ++i) {
    auto out = t.run(udp_frame("10.1.0.1", "10.2.0.2", 40000 + i, 53), action);
    ASSERT_TRUE(out.kept);
    EXPECT_EQ(sport_of(out.frame), 5000);
    used.insert(src_of(out.frame));
  }
  EXPECT_EQ(used, (std::set<std::string>{"10.0.0.100", "10.0.0.101"}));
  EXPECT_FALSE(t.run(udp_frame("10.1.0.1", "10.2.0.2", 40002, 53), action).kept);
  // Another destination makes other tuples: free again.
  EXPECT_TRUE(t.run(udp_frame("10.1.0.1", "10.2.0.3", 40002, 53), action).kept);
}

TEST(ConntrackNat, DestinationNatWithHashSpreadsOverBackends) {
  NatTracker t;
  const std::string action = "ct(commit,nat(dst=10.3.0.1-10.3.0.2:8080,hash))";
  std::map<std::string, int> backends;
  for (uint16_t i = 0; i < 64; ++i) {
    auto out = t.run(tcp_frame("10.1.0.1", "10.9.9.9", 30000 + i, 80, kSyn, 1, 0), action);
    ASSERT_TRUE(out.kept);
    EXPECT_EQ(out.state, kTrk | kNew | kDnat);
    EXPECT_EQ(src_of(out.frame), "10.1.0.1");
    EXPECT_EQ(dport_of(out.frame), 8080);
    EXPECT_EQ(sport_of(out.frame), 30000 + i);
    expect_checksums_valid(out.frame);
    ++backends[dst_of(out.frame)];
  }
  ASSERT_EQ(backends.size(), 2u);
  EXPECT_GT(backends["10.3.0.1"], 8);
  EXPECT_GT(backends["10.3.0.2"], 8);
  auto first = t.ct.dump(std::nullopt, 1000);
  ASSERT_EQ(first.size(), 64u);
  // A reply from a backend comes back from the virtual IP, +snat.
  auto out = t.run(tcp_frame("10.1.0.1", "10.9.9.9", 30000, 80, kAck, 2, 0), "ct(nat)");
  auto back = t.run(tcp_frame(dst_of(out.frame), "10.1.0.1", 8080, 30000, kSyn | kAck, 9, 2),
                    "ct(nat)");
  EXPECT_EQ(back.state & (kSnat | kDnat | kRpl), kSnat | kRpl);
  EXPECT_EQ(src_of(back.frame), "10.9.9.9");
  EXPECT_EQ(sport_of(back.frame), 80);
  expect_checksums_valid(back.frame);
}

TEST(ConntrackNat, DestinationNatCollisionMovesTheSourcePort) {
  NatTracker t;
  // Two virtual IPs onto one backend: the same client port would collide.
  auto a = t.run(udp_frame("10.1.0.1", "10.9.9.8", 40000, 53), "ct(commit,nat(dst=10.3.0.1))");
  auto b = t.run(udp_frame("10.1.0.1", "10.9.9.9", 40000, 53), "ct(commit,nat(dst=10.3.0.1))");
  EXPECT_EQ(dst_of(a.frame), "10.3.0.1");
  EXPECT_EQ(dst_of(b.frame), "10.3.0.1");
  EXPECT_EQ(sport_of(a.frame), 40000);
  EXPECT_NE(sport_of(b.frame), 40000);
  auto rb = t.run(udp_frame("10.3.0.1", "10.1.0.1", 53, sport_of(b.frame)), "ct(nat)");
  EXPECT_EQ(src_of(rb.frame), "10.9.9.9");
  EXPECT_EQ(dport_of(rb.frame), 40000);
  expect_checksums_valid(rb.frame);
}

TEST(ConntrackNat, IcmpEchoIdentifierTranslatedOnCollision) {
  NatTracker t;
  auto echo = [](const std::string& s, const std::string& d, uint8_t type, uint16_t id) {
    return with_checksums(frame(s, d, 1, icmp_header(type, 0, id)));
  };
  auto a = t.run(echo("10.1.0.1", "10.2.0.2", 8, 77), "ct(commit,nat(src=10.0.0.100))");
  auto b = t.run(echo("10.1.0.2", "10.2.0.2", 8, 77), "ct(commit,nat(src=10.0.0.100))");
  EXPECT_EQ(a.state, kTrk | kNew | kSnat);
  EXPECT_EQ(src_of(a.frame), "10.0.0.100");
  EXPECT_EQ(icmp_id_of(a.frame), 77);
  EXPECT_EQ(src_of(b.frame), "10.0.0.100");
  EXPECT_NE(icmp_id_of(b.frame), 77);
  expect_checksums_valid(a.frame);
  expect_checksums_valid(b.frame);
  auto rb = t.run(echo("10.2.0.2", "10.0.0.100", 0, icmp_id_of(b.frame)), "ct(nat)");
  EXPECT_EQ(rb.state, kTrk | kEst | kRpl | kDnat);
  EXPECT_EQ(dst_of(rb.frame), "10.1.0.2");
  EXPECT_EQ(icmp_id_of(rb.frame), 77);
  expect_checksums_valid(rb.frame);
  auto ra = t.run(echo("10.2.0.2", "10.0.0.100", 0, 77), "ct(nat)");
  EXPECT_EQ(dst_of(ra.frame), "10.1.0.1");
}

TEST(ConntrackNat, IcmpErrorForATranslatedConnectionIsTranslatedInside) {
  NatTracker t;
  auto out = t.run(udp_frame("10.1.0.1", "10.2.0.2", 40000, 53), "ct(commit,nat(src=10.0.0.100))");
  ASSERT_EQ(src_of(out.frame), "10.0.0.100");
  // A router answers the translated packet: port unreachable, quoting it.
  Bytes quoted(out.frame.begin() + 14, out.frame.end());
  Bytes error = with_checksums(frame("10.2.0.254", "10.0.0.100", 1, icmp_error(3, 3, quoted)));
  auto rel = t.run(error, "ct(nat)");
  ASSERT_TRUE(rel.kept);
  EXPECT_EQ(rel.state, kTrk | kRel | kRpl | kDnat);
  EXPECT_EQ(src_of(rel.frame), "10.2.0.254");  // the router stays
  EXPECT_EQ(dst_of(rel.frame), "10.1.0.1");
  expect_checksums_valid(rel.frame);
  // The quoted packet is the client's own again, its checksums right.
  Bytes inner = ethernet(Bytes(rel.frame.begin() + 14 + 20 + 8, rel.frame.end()), false);
  EXPECT_EQ(src_of(inner), "10.1.0.1");
  EXPECT_EQ(dst_of(inner), "10.2.0.2");
  EXPECT_EQ(sport_of(inner), 40000);
  expect_checksums_valid(inner);
  // Without nat in the action it is related and left alone.
  auto plain = t.run(error, conntrack::CtRequest{});
  EXPECT_EQ(plain.state, kTrk | kRel | kRpl);
  EXPECT_EQ(plain.frame, error);
}

TEST(ConntrackNat, Ipv6SourceNatOfTcpAndIcmpv6Echo) {
  NatTracker t;
  auto out = t.run(tcp_frame("fd00:1::1", "fd00:2::2", 40000, 80, kSyn, 7, 0),
                   "ct(commit,nat(src=fd00::100-fd00::101))");
  ASSERT_TRUE(out.kept);
  EXPECT_EQ(out.state, kTrk | kNew | kSnat);
  const std::string translated = src_of(out.frame);
  EXPECT_TRUE(translated == "fd00::100" || translated == "fd00::101") << translated;
  expect_checksums_valid(out.frame);
  auto back = t.run(tcp_frame("fd00:2::2", translated, 80, 40000, kSyn | kAck, 9, 8), "ct(nat)");
  EXPECT_EQ(back.state, kTrk | kEst | kRpl | kDnat);
  EXPECT_EQ(dst_of(back.frame), "fd00:1::1");
  expect_checksums_valid(back.frame);

  auto echo = with_checksums(frame("fd00:1::1", "fd00:2::2", 58, icmp_header(128, 0, 5)));
  auto e = t.run(echo, "ct(commit,nat(src=[fd00::100]:7000-7000))");
  EXPECT_EQ(src_of(e.frame), "fd00::100");
  EXPECT_EQ(icmp_id_of(e.frame), 7000);  // a port range applies to the identifier
  expect_checksums_valid(e.frame);
  auto reply = with_checksums(frame("fd00:2::2", "fd00::100", 58, icmp_header(129, 0, 7000)));
  auto r = t.run(reply, "ct(nat)");
  EXPECT_EQ(r.state, kTrk | kEst | kRpl | kDnat);
  EXPECT_EQ(dst_of(r.frame), "fd00:1::1");
  EXPECT_EQ(icmp_id_of(r.frame), 5);
  expect_checksums_valid(r.frame);
}

TEST(ConntrackNat, TranslatedPacketIsNotTranslatedAgainInItsZone) {
  NatTracker t;
  auto out = t.run(udp_frame("10.1.0.1", "10.2.0.2", 40000, 53), "ct(commit,zone=4,nat(src=10.0.0.100))");
  // The packet, translated, meets ct(nat) again in zone 4 (after a recirculation).
  auto again = t.run(out.frame, nat_request("ct(zone=4,nat)"), &out.md);
  EXPECT_EQ(again.frame, out.frame);
  EXPECT_EQ(again.state, kTrk | kNew | kSnat);
  EXPECT_EQ(t.ct.connection_count(), 1u);
  // In another zone the state starts afresh.
  auto other = t.run(out.frame, nat_request("ct(zone=5,nat)"), &out.md);
  EXPECT_EQ(other.state, kTrk | kNew);
}

TEST(ConntrackNat, BareNatCommitsWithoutTranslation) {
  NatTracker t;
  auto out = t.run(udp_frame("10.1.0.1", "10.2.0.2", 40000, 53), "ct(commit,nat)");
  EXPECT_EQ(out.state, kTrk | kNew);
  EXPECT_EQ(src_of(out.frame), "10.1.0.1");
  EXPECT_EQ(t.ct.connection_count(), 1u);
  // Uncommitted: nothing kept, nothing translated.
  NatTracker u;
  auto none = u.run(udp_frame("10.1.0.1", "10.2.0.2", 40000, 53), "ct(nat)");
  EXPECT_EQ(none.state, kTrk | kNew);
  EXPECT_EQ(u.ct.connection_count(), 0u);
}

TEST(ConntrackNat, PartialChecksumFollowsTheAddressesOnly) {
  NatTracker t;
  Bytes f = frame("10.1.0.1", "10.2.0.2", 6, tcp_header(40000, 80, kSyn, 1, 0));
  // What a sender leaving the checksum to the device writes: the
  // pseudo-header sum, not complemented.
  const size_t l4 = 34;
  put16(f, l4 + 16, reference_sum(f, 0, 0, pseudo_sum(f, 14, false, 6, f.size() - l4)));
  Packet* p = t.pool.allocate();
  ASSERT_TRUE(p->assign(f.data(), static_cast<uint32_t>(f.size())));
  FlowKey key;
  extract_key(*p, &key);
  p->offload.needs = offload::kPartialChecksum;
  p->offload.l4_offset = l4;
  p->offload.checksum_offset = 16;
  PacketBatch batch;
  batch.add(p);
  {
    rcu::ReadSection section;
    t.ct.execute(batch, nat_request("ct(commit,nat(src=10.0.0.100:2000))"), 1000);
  }
  Bytes after(p->data(), p->data() + p->size());
  t.pool.release(p);
  EXPECT_EQ(sport_of(after), 2000);
  EXPECT_EQ(get16(after, l4 + 16),
            reference_sum(after, 0, 0, pseudo_sum(after, 14, false, 6, after.size() - l4)));
}

TEST(ConntrackNat, DecodesTheDatapathAction) {
  auto r = nat_request("ct(commit,nat(dst=10.0.0.1-10.0.0.9:80-88,random))");
  EXPECT_TRUE(r.nat.present);
  EXPECT_EQ(r.nat.kind, conntrack::NatRange::kDst);
  EXPECT_TRUE(r.nat.random);
  EXPECT_EQ(r.nat.port_min, 80);
  EXPECT_EQ(r.nat.port_max, 88);
  EXPECT_EQ(conntrack::nat_address_count(r.nat), 9u);
  auto one = nat_request("ct(commit,nat(src=fd00::1))");
  EXPECT_TRUE(one.nat.ipv6);
  EXPECT_EQ(conntrack::nat_address_count(one.nat), 1u);
  auto wide = nat_request("ct(commit,nat(src=fd00::1-fd01::1))");
  EXPECT_EQ(conntrack::nat_address_count(wide.nat), uint64_t{1} << 32);
  auto carry = nat_request("ct(commit,nat(src=fd00::ffff:ffff:ffff:fffe-fd00:0:0:1::9))");
  EXPECT_EQ(conntrack::nat_address_count(carry.nat), uint64_t{1} << 32);
  uint8_t a[16];
  conntrack::nat_address_at(carry.nat, 3, a);  // carries into the high half: fd00:0:0:1::1
  char text[64];
  inet_ntop(AF_INET6, a, text, sizeof text);
  EXPECT_STREQ(text, "fd00:0:0:1::1");
  EXPECT_FALSE(nat_request("ct(commit)").nat.present);
  // The family of the range must be the packet's: no tuple, dropped.
  NatTracker t;
  EXPECT_FALSE(t.run(udp_frame("fd00:1::1", "fd00:2::2", 1, 2), "ct(commit,nat(src=10.0.0.1))").kept);
}

TEST(ConntrackNat, RandomSpreadsPortsPersistentKeepsTheClientsAddress) {
  NatTracker t;
  std::set<uint16_t> ports;
  for (uint16_t i = 0; i < 16; ++i)
    ports.insert(sport_of(
        t.run(udp_frame("10.1.0.1", "10.2.0.2", 40000 + i, 53),
              "ct(commit,nat(src=10.0.0.100:1000-60000,random))").frame));
  EXPECT_GT(ports.size(), 12u);
  std::set<std::string> addresses;
  for (uint16_t i = 0; i < 16; ++i)
    addresses.insert(src_of(
        t.run(udp_frame("10.1.0.7", "10.2.0." + std::to_string(i + 1), 40000 + i, 53),
              "ct(commit,nat(src=10.0.1.1-10.0.1.200,persistent))").frame));
  EXPECT_EQ(addresses.size(), 1u);
}

}  // namespace
}  // namespace flowpath::conntrack_test
