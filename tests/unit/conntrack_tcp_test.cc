// TCP connection tracking: the handshake, data, closing and resets as
// states (what dump-conntrack prints), +est/+rpl/+new/+inv as Open vSwitch
// sets them, sequence-window checks and switching them off.
#include <gtest/gtest.h>

#include "conntrack/connection_format.h"
#include "conntrack/tcp_tracker.h"
#include "conntrack_test_support.h"

namespace flowpath::conntrack_test {
namespace {

using conntrack::TcpState;
constexpr uint16_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;

// A client (10.0.0.1:40000) and a server (10.0.0.2:80) with their sequence numbers.
struct Conversation {
  Tracker t;
  uint32_t client_seq = 1000, server_seq = 5000;

  Bytes client(uint16_t flags, size_t payload = 0, uint16_t window = 64000) {
    Bytes f = frame("10.0.0.1", "10.0.0.2", 6,
                    tcp_header(40000, 80, flags, client_seq, (flags & kAck) ? server_seq : 0,
                               window, payload));
    client_seq += static_cast<uint32_t>(payload) + ((flags & (kSyn | kFin)) ? 1 : 0);
    return f;
  }
  Bytes server(uint16_t flags, size_t payload = 0, uint16_t window = 64000) {
    Bytes f = frame("10.0.0.2", "10.0.0.1", 6,
                    tcp_header(80, 40000, flags, server_seq, (flags & kAck) ? client_seq : 0,
                               window, payload));
    server_seq += static_cast<uint32_t>(payload) + ((flags & (kSyn | kFin)) ? 1 : 0);
    return f;
  }
  std::string state() {
    auto dump = t.ct.dump(std::nullopt, 1000);
    if (dump.size() != 1) return "connections: " + std::to_string(dump.size());
    std::string s = conntrack::format_connection(dump[0], false, false);
    return s.substr(s.find("protoinfo="));
  }
  void handshake() {
    ASSERT_EQ(t.commit(client(kSyn)).state, kTrk | kNew);
    ASSERT_EQ(t.look(server(kSyn | kAck)).state, kTrk | kEst | kRpl);
    ASSERT_EQ(t.look(client(kAck)).state, kTrk | kEst);
  }
};

TEST(ConntrackTcp, HandshakeDataAndClose) {
  Conversation c;
  EXPECT_EQ(c.t.commit(c.client(kSyn)).state, kTrk | kNew);
  EXPECT_EQ(c.state(), "protoinfo=(state=SYN_SENT)");
  EXPECT_EQ(c.t.look(c.server(kSyn | kAck)).state, kTrk | kEst | kRpl);
  EXPECT_EQ(c.t.look(c.client(kAck)).state, kTrk | kEst);
  EXPECT_EQ(c.state(), "protoinfo=(state=ESTABLISHED)");
  EXPECT_EQ(c.t.look(c.client(kAck | kPsh, 100)).state, kTrk | kEst);
  EXPECT_EQ(c.t.look(c.server(kAck | kPsh, 1000)).state, kTrk | kEst | kRpl);
  EXPECT_EQ(c.t.look(c.client(kAck)).state, kTrk | kEst);
  // The client closes, the server acknowledges and closes, the client acknowledges.
  EXPECT_EQ(c.t.look(c.client(kFin | kAck)).state, kTrk | kEst);
  EXPECT_EQ(c.t.look(c.server(kAck)).state, kTrk | kEst | kRpl);
  EXPECT_EQ(c.t.look(c.server(kFin | kAck)).state, kTrk | kEst | kRpl);
  EXPECT_EQ(c.t.look(c.client(kAck)).state, kTrk | kEst);
  EXPECT_EQ(c.state(), "protoinfo=(state=TIME_WAIT)");
  auto dump = c.t.ct.dump(std::nullopt, 1000);
  ASSERT_EQ(dump.size(), 1u);
  EXPECT_EQ(dump[0].tcp_state[0], TcpState::kFinWait2);
  EXPECT_EQ(dump[0].tcp_state[1], TcpState::kFinWait2);
  EXPECT_LE(dump[0].timeout_s, 45u);  // tcp_time_wait
}

TEST(ConntrackTcp, NewSynAfterCloseStartsANewConnection) {
  Conversation c;
  c.handshake();
  c.t.look(c.client(kRst | kAck));
  EXPECT_EQ(c.state(), "protoinfo=(state=TIME_WAIT)");
  c.client_seq += 100000;
  EXPECT_EQ(c.t.commit(c.client(kSyn)).state, kTrk | kNew);
  EXPECT_EQ(c.state(), "protoinfo=(state=SYN_SENT)");
}

TEST(ConntrackTcp, RetransmittedSynStaysNew) {
  Conversation c;
  Bytes syn = c.client(kSyn);
  c.t.commit(syn);
  EXPECT_EQ(c.t.look(syn).state, kTrk | kNew);
}

TEST(ConntrackTcp, InvalidFlagsAndHalfOpenStarts) {
  Conversation c;
  // A SYN|ACK cannot open a connection; nor can flag combinations no stack sends.
  EXPECT_EQ(c.t.commit(c.server(kSyn | kAck)).state, kTrk | kInv);
  EXPECT_EQ(c.t.commit(c.client(kSyn | kFin)).state, kTrk | kInv);
  EXPECT_EQ(c.t.commit(c.client(0)).state, kTrk | kInv);
  EXPECT_EQ(c.t.commit(c.client(kFin)).state, kTrk | kInv);
  EXPECT_EQ(c.t.ct.connection_count(), 0u);
  // A mid-stream ACK may pick up a connection already open.
  EXPECT_EQ(c.t.commit(c.client(kAck, 10)).state, kTrk | kNew);
  EXPECT_EQ(c.t.ct.connection_count(), 1u);
}

TEST(ConntrackTcp, SegmentsOutsideTheWindowAreInvalid) {
  Conversation c;
  c.handshake();
  // Far beyond what the server's window allows.
  c.client_seq += 10u * 1000 * 1000;
  Bytes wild = c.client(kAck | kPsh, 100);
  EXPECT_EQ(c.t.look(wild).state, kTrk | kInv);
  // A reset must carry the expected sequence number.
  Bytes bad_reset = frame("10.0.0.2", "10.0.0.1", 6,
                          tcp_header(80, 40000, kRst | kAck, c.server_seq + 70000, c.client_seq));
  EXPECT_EQ(c.t.look(bad_reset).state, kTrk | kInv);
  EXPECT_EQ(c.state(), "protoinfo=(state=ESTABLISHED)");
  // With checking off (ct-disable-tcp-seq-chk) both pass.
  c.t.ct.set_tcp_sequence_check(false);
  EXPECT_EQ(c.t.look(wild).state, kTrk | kEst);
  EXPECT_EQ(c.t.look(bad_reset).state, kTrk | kEst | kRpl);
  EXPECT_EQ(c.state(), "protoinfo=(state=TIME_WAIT)");
}

TEST(ConntrackTcp, WindowScalingFromTheHandshake) {
  Tracker t;
  // Both sides scale by 7: a 500 KB window is written as 4000.
  t.commit(frame("10.0.0.1", "10.0.0.2", 6, tcp_header(1, 2, kSyn, 100, 0, 65535, 0, 7)));
  EXPECT_EQ(t.look(frame("10.0.0.2", "10.0.0.1", 6,
                         tcp_header(2, 1, kSyn | kAck, 900, 101, 65535, 0, 7)))
                .state,
            kTrk | kEst | kRpl);
  EXPECT_EQ(t.look(frame("10.0.0.1", "10.0.0.2", 6, tcp_header(1, 2, kAck, 101, 901, 4000))).state,
            kTrk | kEst);
  // 300 KB ahead fits a window of 4000 << 7 = 512,000 bytes.
  EXPECT_EQ(t.look(frame("10.0.0.2", "10.0.0.1", 6,
                         tcp_header(2, 1, kAck | kPsh, 901 + 300000, 101, 4000, 100)))
                .state,
            kTrk | kEst | kRpl);
  auto dump = t.ct.dump(std::nullopt, 1000);
  ASSERT_EQ(dump.size(), 1u);
  EXPECT_NE(conntrack::format_connection(dump[0], true, false).find("wscale_orig=7,wscale_reply=7"),
            std::string::npos);
}

TEST(ConntrackTcp, StateNamesAndCoalescing) {
  EXPECT_EQ(conntrack::tcp_state_name(TcpState::kSynRecv), "SYN_RECV");
  EXPECT_EQ(conntrack::coalesce_tcp_state(TcpState::kSynRecv), TcpState::kEstablished);
  EXPECT_EQ(conntrack::coalesce_tcp_state(TcpState::kFinWait2), TcpState::kTimeWait);
  EXPECT_TRUE(conntrack::tcp_flags_invalid(kSyn | kRst));
  EXPECT_TRUE(conntrack::tcp_flags_invalid(kPsh));
  EXPECT_FALSE(conntrack::tcp_flags_invalid(kRst));
  EXPECT_FALSE(conntrack::tcp_flags_invalid(kAck | kFin));
}

}  // namespace
}  // namespace flowpath::conntrack_test
