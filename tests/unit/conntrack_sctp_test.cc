// SCTP association tracking through Conntrack::execute(), as netfilter's
// nf_conntrack_proto_sctp tracks it: every state transition in both
// directions, verification tags per direction, INIT's zero tag, chunks
// out of state or malformed, retransmitted INITs, INIT collisions, a
// secondary path opened by a HEARTBEAT and a restart seen by HEARTBEATs;
// the ct_state each packet gets, the timeouts and dump-conntrack's text.
#include <gtest/gtest.h>

#include "conntrack/connection_format.h"
#include "conntrack_test_support.h"

namespace flowpath::conntrack_test {
namespace {

using conntrack::SctpState;
namespace chunk = conntrack::sctp_chunk;

constexpr uint32_t kTagA = 0x11223344;  // the originator's (in its INIT)
constexpr uint32_t kTagB = 0x55667788;  // the responder's (in its INIT ACK)

Bytes sctp_chunk(uint8_t type, uint8_t flags, const Bytes& body = {}) {
  Bytes c(4, 0);
  c[0] = type;
  c[1] = flags;
  put16(c, 2, static_cast<uint16_t>(4 + body.size()));
  append(c, body);
  while (c.size() % 4) c.push_back(0);
  return c;
}
Bytes init_chunk(uint8_t type, uint32_t tag) {
  Bytes body(16, 0);
  put32(body, 0, tag);
  put32(body, 4, 65535);  // a_rwnd
  put16(body, 8, 1);
  put16(body, 10, 1);
  put32(body, 12, 1);     // initial TSN
  return sctp_chunk(type, 0, body);
}
Bytes data_chunk() { return sctp_chunk(chunk::kData, 3, Bytes(16, 0xab)); }

struct Pkt {
  bool from_b = false;  // the responder's direction
  uint32_t vtag = 0;
  std::vector<Bytes> chunks;
  bool v6 = false;
};

Bytes build(const Pkt& p) {
  Bytes l4(12, 0);
  put16(l4, 0, p.from_b ? 6000 : 5000);
  put16(l4, 2, p.from_b ? 5000 : 6000);
  put32(l4, 4, p.vtag);
  for (const Bytes& c : p.chunks) append(l4, c);
  be32 crc = sctp_checksum(l4.data(), l4.size());
  std::memcpy(&l4[8], &crc, 4);
  std::string a = p.v6 ? "fd00::1" : "10.0.0.1", b = p.v6 ? "fd00::2" : "10.0.0.2";
  return p.from_b ? frame(b, a, 132, l4) : frame(a, b, 132, l4);
}

Pkt from_a(uint32_t vtag, std::vector<Bytes> chunks) { return {false, vtag, std::move(chunks)}; }
Pkt from_b(uint32_t vtag, std::vector<Bytes> chunks) { return {true, vtag, std::move(chunks)}; }

const Pkt kInit = from_a(0, {init_chunk(chunk::kInit, kTagA)});
const Pkt kInitAck = from_b(kTagA, {init_chunk(chunk::kInitAck, kTagB)});
const Pkt kCookieEcho = from_a(kTagB, {sctp_chunk(chunk::kCookieEcho, 0, Bytes(8, 1))});
const Pkt kCookieAck = from_b(kTagA, {sctp_chunk(chunk::kCookieAck, 0)});
const Pkt kDataA = from_a(kTagB, {data_chunk()});
const Pkt kDataB = from_b(kTagA, {data_chunk()});

class SctpTracker : public Tracker {
 public:
  uint32_t send(const Pkt& p, uint64_t now_ms = 1000) {
    return (p.from_b ? look(build(p), 0, now_ms) : commit(build(p), 0, now_ms)).state;
  }
  // The only connection's state, tags and seconds left at `now_ms`.
  conntrack::ConnectionEntry entry(uint64_t now_ms = 1000) {
    auto d = ct.dump(std::nullopt, now_ms);
    EXPECT_EQ(d.size(), 1u);
    return d.empty() ? conntrack::ConnectionEntry{} : d[0];
  }
  SctpState state() { return entry().sctp_state; }
  // Brings an association to ESTABLISHED.
  void establish() {
    ASSERT_EQ(send(kInit), kTrk | kNew);
    ASSERT_EQ(send(kInitAck), kTrk | kEst | kRpl);
    ASSERT_EQ(send(kCookieEcho), kTrk | kEst);
    ASSERT_EQ(send(kCookieAck), kTrk | kEst | kRpl);
    ASSERT_EQ(state(), SctpState::kEstablished);
  }
};

TEST(ConntrackSctp, HandshakeDataAndShutdown) {
  SctpTracker t;
  // Each step: the packet's ct_state, the state after it and its timeout
  // (netfilter's defaults).
  EXPECT_EQ(t.send(kInit), kTrk | kNew);
  auto e = t.entry();
  EXPECT_TRUE(e.sctp);
  EXPECT_EQ(e.sctp_state, SctpState::kClosed);
  EXPECT_EQ(e.timeout_s, 10u);
  EXPECT_EQ(e.sctp_vtag[1], hton32(kTagA));  // what the responder's packets must carry
  EXPECT_EQ(e.sctp_vtag[0], 0u);
  EXPECT_EQ(t.send(kInitAck), kTrk | kEst | kRpl);
  e = t.entry();
  EXPECT_EQ(e.sctp_state, SctpState::kCookieWait);
  EXPECT_EQ(e.timeout_s, 3u);
  EXPECT_EQ(e.sctp_vtag[0], hton32(kTagB));
  EXPECT_EQ(t.send(kCookieEcho), kTrk | kEst);
  EXPECT_EQ(t.state(), SctpState::kCookieEchoed);
  EXPECT_EQ(t.entry().timeout_s, 3u);
  EXPECT_EQ(t.send(kCookieAck), kTrk | kEst | kRpl);
  EXPECT_EQ(t.state(), SctpState::kEstablished);
  EXPECT_EQ(t.entry().timeout_s, 210u);
  EXPECT_EQ(t.send(kDataA), kTrk | kEst);
  EXPECT_EQ(t.send(kDataB), kTrk | kEst | kRpl);
  // SACK with DATA bundled: no change.
  EXPECT_EQ(t.send(from_b(kTagA, {sctp_chunk(chunk::kSack, 0, Bytes(12, 0)), data_chunk()})),
            kTrk | kEst | kRpl);
  EXPECT_EQ(t.state(), SctpState::kEstablished);

  EXPECT_EQ(t.send(from_a(kTagB, {sctp_chunk(chunk::kShutdown, 0, Bytes(4, 0))})), kTrk | kEst);
  EXPECT_EQ(t.state(), SctpState::kShutdownSent);
  EXPECT_EQ(t.entry().timeout_s, 3u);
  EXPECT_EQ(t.send(from_b(kTagA, {sctp_chunk(chunk::kShutdownAck, 0)})), kTrk | kEst | kRpl);
  EXPECT_EQ(t.state(), SctpState::kShutdownAckSent);
  EXPECT_EQ(t.entry().timeout_s, 3u);
  EXPECT_EQ(t.send(from_a(kTagB, {sctp_chunk(chunk::kShutdownComplete, 0)})), kTrk | kEst);
  EXPECT_EQ(t.state(), SctpState::kClosed);
  EXPECT_EQ(t.entry().timeout_s, 10u);
  // Expired after CLOSED's 10 s.
  EXPECT_TRUE(t.ct.dump(std::nullopt, 1000 + 10001).empty());
}

TEST(ConntrackSctp, ShutdownFromTheResponder) {
  SctpTracker t;
  t.establish();
  EXPECT_EQ(t.send(from_b(kTagA, {sctp_chunk(chunk::kShutdown, 0, Bytes(4, 0))})),
            kTrk | kEst | kRpl);
  EXPECT_EQ(t.state(), SctpState::kShutdownRecd);
  EXPECT_EQ(t.send(from_a(kTagB, {sctp_chunk(chunk::kShutdownAck, 0)})), kTrk | kEst);
  EXPECT_EQ(t.state(), SctpState::kShutdownAckSent);
  // SHUTDOWN COMPLETE with the T bit carries the peer's tag.
  EXPECT_EQ(t.send(from_b(kTagA, {sctp_chunk(chunk::kShutdownComplete, chunk::kFlagT)})),
            kTrk | kInv);
  EXPECT_EQ(t.send(from_b(kTagB, {sctp_chunk(chunk::kShutdownComplete, chunk::kFlagT)})),
            kTrk | kEst | kRpl);
  EXPECT_EQ(t.state(), SctpState::kClosed);
}

TEST(ConntrackSctp, WrongVerificationTagsAreInvalidEachWay) {
  SctpTracker t;
  t.establish();
  // Each direction's tag is its own: A's packets carry B's tag, not A's.
  EXPECT_EQ(t.send(from_a(kTagA, {data_chunk()})), kTrk | kInv);
  EXPECT_EQ(t.send(from_b(kTagB, {data_chunk()})), kTrk | kInv);
  EXPECT_EQ(t.send(from_a(0x1234, {data_chunk()})), kTrk | kInv);
  EXPECT_EQ(t.send(from_a(0, {sctp_chunk(chunk::kShutdown, 0, Bytes(4, 0))})), kTrk | kInv);
  EXPECT_EQ(t.send(from_b(kTagB, {sctp_chunk(chunk::kAbort, 0)})), kTrk | kInv);
  // None of them changed the state.
  EXPECT_EQ(t.state(), SctpState::kEstablished);
}

TEST(ConntrackSctp, TagsOfTheHandshakeAreChecked) {
  SctpTracker t;
  EXPECT_EQ(t.send(kInit), kTrk | kNew);
  // An INIT ACK must carry the INIT's tag; a COOKIE ECHO the INIT ACK's.
  EXPECT_EQ(t.send(from_b(0x999, {init_chunk(chunk::kInitAck, kTagB)})), kTrk | kInv);
  EXPECT_EQ(t.state(), SctpState::kClosed);
  EXPECT_EQ(t.send(kInitAck), kTrk | kEst | kRpl);
  EXPECT_EQ(t.send(from_a(kTagA, {sctp_chunk(chunk::kCookieEcho, 0, Bytes(8, 1))})), kTrk | kInv);
  EXPECT_EQ(t.state(), SctpState::kCookieWait);
  // ABORT: the sender's own tag; with the T bit, the peer's.
  EXPECT_EQ(t.send(from_a(kTagA, {sctp_chunk(chunk::kAbort, 0)})), kTrk | kInv);
  EXPECT_EQ(t.send(from_a(kTagB, {sctp_chunk(chunk::kAbort, chunk::kFlagT)})), kTrk | kInv);
  EXPECT_EQ(t.state(), SctpState::kCookieWait);
  EXPECT_EQ(t.send(from_a(kTagA, {sctp_chunk(chunk::kAbort, chunk::kFlagT)})), kTrk | kEst);
  EXPECT_EQ(t.state(), SctpState::kClosed);
}

TEST(ConntrackSctp, AbortFromEitherSideCloses) {
  for (bool b : {false, true}) {
    SctpTracker t;
    t.establish();
    Pkt abort = b ? from_b(kTagA, {sctp_chunk(chunk::kAbort, 0)})
                  : from_a(kTagB, {sctp_chunk(chunk::kAbort, 0)});
    EXPECT_EQ(t.send(abort), kTrk | kEst | (b ? kRpl : 0));
    EXPECT_EQ(t.state(), SctpState::kClosed);
  }
}

TEST(ConntrackSctp, WhatMayOpenAConnection) {
  SctpTracker t;
  // INIT with a non-zero tag (RFC 9260 8.5.1 A).
  EXPECT_EQ(t.send(from_a(7, {init_chunk(chunk::kInit, kTagA)})), kTrk | kInv);
  // Chunks that only ever answer, or that belong to an association.
  EXPECT_EQ(t.send(from_a(0, {sctp_chunk(chunk::kAbort, 0)})), kTrk | kInv);
  EXPECT_EQ(t.send(from_a(0, {sctp_chunk(chunk::kShutdownComplete, 0)})), kTrk | kInv);
  EXPECT_EQ(t.send(from_a(0, {sctp_chunk(chunk::kCookieAck, 0)})), kTrk | kInv);
  EXPECT_EQ(t.send(from_a(kTagB, {data_chunk()})), kTrk | kInv);
  EXPECT_EQ(t.send(from_a(0, {data_chunk()})), kTrk | kInv);  // even with the tag it would need
  EXPECT_EQ(t.send(from_a(0, {sctp_chunk(chunk::kSack, 0, Bytes(12, 0))})), kTrk | kInv);
  // A COOKIE ECHO with a tag nobody told (its tag must be the one learnt).
  EXPECT_EQ(t.send(from_a(kTagB, {sctp_chunk(chunk::kCookieEcho, 0, Bytes(8, 1))})), kTrk | kInv);
  EXPECT_EQ(t.ct.connection_count(), 0u);
  // Malformed: INIT bundled, COOKIE ECHO not first, a zero-length chunk,
  // no chunk at all, an INIT cut short.
  EXPECT_EQ(t.send(from_a(0, {init_chunk(chunk::kInit, kTagA), data_chunk()})), kTrk | kInv);
  EXPECT_EQ(t.send(from_a(0, {data_chunk(), init_chunk(chunk::kInit, kTagA)})), kTrk | kInv);
  Bytes zero_length = sctp_chunk(chunk::kHeartbeat, 0, Bytes(4, 0));
  zero_length[2] = zero_length[3] = 0;
  EXPECT_EQ(t.send(from_a(0, {zero_length})), kTrk | kInv);
  EXPECT_EQ(t.send(from_a(0, {})), kTrk | kInv);
  EXPECT_EQ(t.send(from_a(0, {sctp_chunk(chunk::kInit, 0, Bytes(8, 0))})), kTrk | kInv);
  EXPECT_EQ(t.ct.connection_count(), 0u);
  // An out-of-the-blue SHUTDOWN ACK may (it is answered by a SHUTDOWN
  // COMPLETE carrying its tag).
  EXPECT_EQ(t.send(from_a(0x42, {sctp_chunk(chunk::kShutdownAck, 0)})), kTrk | kNew);
  EXPECT_EQ(t.state(), SctpState::kShutdownAckSent);
  EXPECT_EQ(t.send(from_b(0x42, {sctp_chunk(chunk::kShutdownComplete, chunk::kFlagT)})),
            kTrk | kInv);
  EXPECT_EQ(t.send(from_b(0x42, {sctp_chunk(chunk::kShutdownComplete, 0)})), kTrk | kEst | kRpl);
  EXPECT_EQ(t.state(), SctpState::kClosed);
}

TEST(ConntrackSctp, UncommittedPacketsAreNewAndKeepNothing) {
  SctpTracker t;
  EXPECT_EQ(t.look(build(kInit)).state, kTrk | kNew);
  EXPECT_EQ(t.ct.connection_count(), 0u);
  // A reply-direction packet of a connection that does not exist is a new one.
  EXPECT_EQ(t.look(build(from_b(0, {init_chunk(chunk::kInit, kTagB)}))).state, kTrk | kNew);
}

TEST(ConntrackSctp, RetransmittedInitDoesNotExtendTheTimer) {
  SctpTracker t;
  EXPECT_EQ(t.send(kInit, 1000), kTrk | kNew);
  EXPECT_EQ(t.send(kInit, 6000), kTrk | kNew);  // still one-sided
  auto e = t.entry(6000);
  EXPECT_EQ(e.sctp_state, SctpState::kClosed);
  EXPECT_EQ(e.timeout_s, 5u);  // from the first INIT at 1 s, not the second
  // An INIT with another tag (the client restarted) does not either.
  EXPECT_EQ(t.send(from_a(0, {init_chunk(chunk::kInit, 0xabcdef)}), 8000), kTrk | kNew);
  e = t.entry(8000);
  EXPECT_EQ(e.timeout_s, 3u);
  EXPECT_EQ(e.sctp_vtag[1], hton32(0xabcdef));
  // The answer to the latest INIT goes through, the old one's does not.
  EXPECT_EQ(t.send(kInitAck, 8000), kTrk | kInv);
  EXPECT_EQ(t.send(from_b(0xabcdef, {init_chunk(chunk::kInitAck, kTagB)}), 8000),
            kTrk | kEst | kRpl);
  EXPECT_EQ(t.entry(8000).timeout_s, 3u);
  EXPECT_EQ(t.state(), SctpState::kCookieWait);
}

TEST(ConntrackSctp, InitCollision) {
  // Both ends send an INIT at once (RFC 9260 5.2.4): each answers the
  // other's with an INIT ACK carrying its own tag.
  SctpTracker t;
  EXPECT_EQ(t.send(kInit), kTrk | kNew);
  EXPECT_EQ(t.send(from_b(0, {init_chunk(chunk::kInit, kTagB)})), kTrk | kEst | kRpl);
  EXPECT_EQ(t.state(), SctpState::kClosed);
  // An INIT ACK with a tag other than the one its sender's INIT told.
  EXPECT_EQ(t.send(from_a(kTagB, {init_chunk(chunk::kInitAck, 0x777)})), kTrk | kInv);
  EXPECT_EQ(t.send(from_a(kTagB, {init_chunk(chunk::kInitAck, kTagA)})), kTrk | kEst);
  EXPECT_EQ(t.send(from_b(kTagA, {init_chunk(chunk::kInitAck, 0x777)})), kTrk | kInv);
  EXPECT_EQ(t.send(from_b(kTagA, {init_chunk(chunk::kInitAck, kTagB)})), kTrk | kEst | kRpl);
  EXPECT_EQ(t.state(), SctpState::kCookieWait);
  EXPECT_EQ(t.send(kCookieEcho), kTrk | kEst);
  EXPECT_EQ(t.send(kCookieAck), kTrk | kEst | kRpl);
  EXPECT_EQ(t.state(), SctpState::kEstablished);
  // After the COOKIE ACK an INIT ACK must carry the known tag.
  EXPECT_EQ(t.send(from_b(kTagA, {init_chunk(chunk::kInitAck, 0x777)})), kTrk | kInv);
}

TEST(ConntrackSctp, OutOfStateChunks) {
  SctpTracker t;
  // A connection opened by a HEARTBEAT (a secondary path): the responder
  // may only answer with HEARTBEAT ACK (or more HEARTBEATs).
  EXPECT_EQ(t.send(from_a(kTagB, {sctp_chunk(chunk::kHeartbeat, 0, Bytes(8, 0))})), kTrk | kNew);
  EXPECT_EQ(t.state(), SctpState::kHeartbeatSent);
  EXPECT_EQ(t.entry().timeout_s, 30u);
  EXPECT_EQ(t.send(from_b(0, {init_chunk(chunk::kInit, kTagA)})), kTrk | kInv);
  EXPECT_EQ(t.send(from_b(kTagA, {sctp_chunk(chunk::kAbort, 0)})), kTrk | kInv);
  EXPECT_EQ(t.send(from_b(kTagA, {data_chunk()})), kTrk | kInv);  // no tag known that way
  EXPECT_EQ(t.send(from_b(kTagA, {sctp_chunk(chunk::kCookieAck, 0)})), kTrk | kInv);
  EXPECT_EQ(t.state(), SctpState::kHeartbeatSent);
  EXPECT_EQ(t.send(from_b(kTagA, {sctp_chunk(chunk::kHeartbeatAck, 0, Bytes(8, 0))})),
            kTrk | kEst | kRpl);
  EXPECT_EQ(t.state(), SctpState::kEstablished);
  // Both tags learnt from the heartbeats: DATA is checked against them.
  EXPECT_EQ(t.send(kDataA), kTrk | kEst);
  EXPECT_EQ(t.send(kDataB), kTrk | kEst | kRpl);
  EXPECT_EQ(t.send(from_b(kTagB, {data_chunk()})), kTrk | kInv);
}

TEST(ConntrackSctp, CookieEchoedErrorFromTheResponderCloses) {
  SctpTracker t;
  t.send(kInit);
  t.send(kInitAck);
  t.send(kCookieEcho);
  // An ERROR (e.g. a stale cookie) from the responder closes; from the
  // originator it does not.
  EXPECT_EQ(t.send(from_a(kTagB, {sctp_chunk(chunk::kError, 0, Bytes(8, 0))})), kTrk | kEst);
  EXPECT_EQ(t.state(), SctpState::kCookieEchoed);
  EXPECT_EQ(t.send(from_b(kTagA, {sctp_chunk(chunk::kError, 0, Bytes(8, 0))})),
            kTrk | kEst | kRpl);
  EXPECT_EQ(t.state(), SctpState::kClosed);
}

TEST(ConntrackSctp, HeartbeatsSeeARestartedAssociation) {
  SctpTracker t;
  t.establish();
  // A HEARTBEAT with an unknown tag passes once, without refreshing...
  EXPECT_EQ(t.send(from_a(0x5150, {sctp_chunk(chunk::kHeartbeat, 0, Bytes(8, 0))}), 5000),
            kTrk | kEst);
  EXPECT_EQ(t.entry(5000).timeout_s, 206u);
  // ...not with DATA, and its ACK must come from the other side.
  EXPECT_EQ(t.send(from_a(0x5150, {sctp_chunk(chunk::kHeartbeat, 0, Bytes(8, 0)), data_chunk()})),
            kTrk | kInv);
  EXPECT_EQ(t.send(from_a(0x5151, {sctp_chunk(chunk::kHeartbeatAck, 0, Bytes(8, 0))})),
            kTrk | kInv);
  // The ACK with the new tag makes it the responder's and forgets the other.
  EXPECT_EQ(t.send(from_b(0x6160, {sctp_chunk(chunk::kHeartbeatAck, 0, Bytes(8, 0))})),
            kTrk | kEst | kRpl);
  auto e = t.entry();
  EXPECT_EQ(e.sctp_vtag[1], hton32(0x6160));
  EXPECT_EQ(e.sctp_vtag[0], 0u);
  // A HEARTBEAT ACK with an unknown tag and no HEARTBEAT before it.
  EXPECT_EQ(t.send(from_b(0x7170, {sctp_chunk(chunk::kHeartbeatAck, 0, Bytes(8, 0))})),
            kTrk | kInv);
}

TEST(ConntrackSctp, Ipv6BothWays) {
  SctpTracker t;
  auto v6 = [](Pkt p) {
    p.v6 = true;
    return p;
  };
  EXPECT_EQ(t.send(v6(kInit)), kTrk | kNew);
  EXPECT_EQ(t.send(v6(kInitAck)), kTrk | kEst | kRpl);
  EXPECT_EQ(t.send(v6(kCookieEcho)), kTrk | kEst);
  EXPECT_EQ(t.send(v6(kCookieAck)), kTrk | kEst | kRpl);
  EXPECT_EQ(t.send(v6(from_b(kTagB, {data_chunk()}))), kTrk | kInv);
  EXPECT_EQ(t.state(), SctpState::kEstablished);
}

TEST(ConntrackSctp, DumpConntrackText) {
  SctpTracker t;
  t.establish();
  // The tags as ovs-dpctl prints the kernel's: the wire word read as a host integer.
  auto e = t.entry();
  EXPECT_EQ(conntrack::format_connection(e, false, false),
            "sctp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=5000,dport=6000),"
            "reply=(src=10.0.0.2,dst=10.0.0.1,sport=6000,dport=5000),"
            "protoinfo=(state=ESTABLISHED,vtag_orig=" + std::to_string(hton32(kTagB)) +
                ",vtag_reply=" + std::to_string(hton32(kTagA)) + ")");
  // -m prints the same protoinfo.
  EXPECT_NE(conntrack::format_connection(e, true, false).find(",protoinfo=(state=ESTABLISHED,"),
            std::string::npos);
}

TEST(ConntrackSctp, TimeoutsAreSettable) {
  SctpTracker t;
  conntrack::TimeoutTable table = t.ct.timeouts();
  EXPECT_EQ(table.seconds[static_cast<size_t>(conntrack::Timeout::kSctpEstablished)], 210u);
  EXPECT_EQ(conntrack::timeout_name(conntrack::Timeout::kSctpHeartbeatSent), "sctp_heartbeat_sent");
  table.seconds[static_cast<size_t>(conntrack::Timeout::kSctpEstablished)] = 1000;
  t.ct.set_timeouts(table);
  t.establish();
  EXPECT_EQ(t.entry().timeout_s, 1000u);
}

}  // namespace
}  // namespace flowpath::conntrack_test
