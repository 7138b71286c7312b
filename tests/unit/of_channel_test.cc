// OpenFlow endpoints and channels: endpoint syntax and errors, hello
// negotiation (common version, incompatible peers), echo answered by the
// channel, framing errors answered with the standard error, and inactivity
// probes.
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "openflow/channel/channel.h"
#include "openflow/channel/endpoint.h"
#include "openflow/wire/echo.h"
#include "openflow/wire/error_message.h"
#include "openflow/wire/features.h"

namespace flowpath::openflow::channel {
namespace {

using wire::Bytes;

TEST(EndpointTest, ParsesOpenVswitchSyntax) {
  auto tcp = parse_endpoint("tcp:10.0.0.1");
  ASSERT_TRUE(tcp.ok()) << tcp.error();
  EXPECT_EQ(tcp->to_string(), "tcp:10.0.0.1:6653");
  EXPECT_EQ(parse_endpoint("tcp:[::1]:6633")->to_string(), "tcp:[::1]:6633");
  EXPECT_EQ(parse_endpoint("ptcp:")->to_string(), "ptcp:6653");
  EXPECT_EQ(parse_endpoint("ptcp:6634:127.0.0.1")->to_string(), "ptcp:6634:127.0.0.1");
  EXPECT_EQ(parse_endpoint("punix:/run/x.mgmt")->path, "/run/x.mgmt");
  EXPECT_TRUE(parse_endpoint("punix:/run/x.mgmt")->passive());
  EXPECT_FALSE(parse_endpoint("unix:/run/x.mgmt")->passive());
}

TEST(EndpointTest, RefusesWhatItCannotUse) {
  EXPECT_EQ(parse_endpoint("ssl:10.0.0.1:6653").error(),
            "\"ssl:10.0.0.1:6653\": unknown connection method \"ssl\" (tcp, unix, ptcp, punix; "
            "ssl is not supported)");
  EXPECT_EQ(parse_endpoint("tcp:10.0.0.1:x").error(), "tcp:10.0.0.1:x: bad port \"x\"");
  EXPECT_EQ(parse_endpoint("tcp:host.example:1").error(),
            "tcp:host.example:1: \"host.example\" is not an IP address");
  EXPECT_FALSE(parse_endpoint("tcp:").ok());
  EXPECT_FALSE(parse_endpoint("unix:").ok());
  EXPECT_FALSE(parse_endpoint("6653").ok());
}

// Two channels over a socket pair, pumped until quiet.
struct Pair {
  std::unique_ptr<Channel> a, b;
  std::vector<Bytes> to_a, to_b;
  Pair(ChannelOptions oa, ChannelOptions ob) {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    a = std::make_unique<Channel>(fds[0], "a", oa, 0);
    b = std::make_unique<Channel>(fds[1], "b", ob, 0);
  }
  void pump(uint64_t now = 0) {
    for (int i = 0; i < 4; ++i) {
      a->write(now);
      b->write(now);
      a->read(to_a, now);
      b->read(to_b, now);
    }
  }
};

TEST(ChannelTest, NegotiatesTheHighestCommonVersion) {
  ChannelOptions oa, ob;
  ob.versions = wire::version_bit(wire::kOfp10) | wire::version_bit(wire::kOfp13);
  Pair p(oa, ob);
  p.pump();
  ASSERT_TRUE(p.a->is_open());
  ASSERT_TRUE(p.b->is_open());
  EXPECT_EQ(p.a->version(), wire::kOfp13);
  EXPECT_EQ(p.b->version(), wire::kOfp13);
}

TEST(ChannelTest, IncompatiblePeersGetAnErrorAndAreClosed) {
  ChannelOptions oa, ob;
  oa.versions = wire::version_bit(wire::kOfp10);
  ob.versions = wire::version_bit(wire::kOfp15);
  Pair p(oa, ob);
  p.pump();
  EXPECT_EQ(p.a->state(), Channel::State::kClosed);
  EXPECT_EQ(p.a->error(), "We support versions 0x01, you support 0x06, no common versions");
}

TEST(ChannelTest, AnswersEchoAndRefusesBadMessages) {
  Pair p({}, {});
  p.pump();
  ASSERT_TRUE(p.a->is_open());
  p.b->send(wire::encode_echo(wire::Echo{false, {1, 2, 3}}, p.b->version(), 77));
  // A features request with a body: bad length.
  Bytes bad = wire::encode_features_request(p.b->version(), 78);
  bad.push_back(0);
  bad[3] = static_cast<uint8_t>(bad.size());
  p.b->send(bad);
  p.b->send(wire::encode_features_request(p.b->version(), 79));
  p.pump();
  // Only the good request reaches a's owner: a's channel answered the echo
  // (b's channel took the reply, as it takes any echo reply) and the bad
  // message, whose error b's owner gets.
  ASSERT_EQ(p.to_a.size(), 1u);
  EXPECT_EQ(wire::decode_message(p.to_a[0])->xid, 79u);
  ASSERT_EQ(p.to_b.size(), 1u);
  auto error = wire::decode_message(p.to_b[0]);
  ASSERT_EQ(error->type, wire::OfpType::kError);
  EXPECT_EQ(error->xid, 78u);
  EXPECT_EQ(wire::decode_error_message(*error)->code, wire::OfpErrorCode::OFPBRC_BAD_LEN);
}

TEST(ChannelTest, ProbesAnIdlePeerAndDropsADeadOne) {
  ChannelOptions probing;
  probing.probe_interval_ms = 1000;
  Pair p(probing, {});
  p.pump(0);
  ASSERT_TRUE(p.a->is_open());
  EXPECT_EQ(p.a->next_deadline_ms(), 1000u);
  EXPECT_TRUE(p.a->run(1000));  // sends an echo request
  p.pump(1000);                 // b answers it: a hears from its peer
  EXPECT_TRUE(p.a->is_open());
  EXPECT_EQ(p.a->next_deadline_ms(), 2000u);
  EXPECT_TRUE(p.a->run(2000));  // b now says nothing more
  EXPECT_FALSE(p.a->run(3000));
  EXPECT_EQ(p.a->error(), "no response to inactivity probe after 2 seconds");
}

}  // namespace
}  // namespace flowpath::openflow::channel
