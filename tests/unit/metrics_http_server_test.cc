// The metrics endpoint over real sockets: what it answers, and that neither
// a stalled scraper nor too many of them can hold it.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>

#include "control/metrics_http_server.h"

namespace flowpath::control {
namespace {

// A client socket connected to 127.0.0.1:port (-1 on failure).
int connect_to(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Reads until the peer closes or `timeout_ms` pass; "TIMEOUT" if it never closed.
std::string read_all(int fd, int timeout_ms = 10'000) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return "TIMEOUT";
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

std::string request(uint16_t port, const std::string& text) {
  int fd = connect_to(port);
  if (fd < 0) return "CONNECT FAILED";
  (void)::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
  std::string reply = read_all(fd);
  ::close(fd);
  return reply;
}

std::string get(uint16_t port, const std::string& path, const std::string& method = "GET") {
  return request(port, method + " " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
}

class MetricsHttpServerTest : public ::testing::Test {
 protected:
  void start(MetricsHttpLimits limits = {}) {
    auto endpoint = parse_metrics_endpoint("127.0.0.1:1");
    ASSERT_TRUE(endpoint.ok());
    reinterpret_cast<sockaddr_in*>(&endpoint->address)->sin_port = 0;  // any free port
    auto started = MetricsHttpServer::start(
        *endpoint,
        [this] {
          ++renders_;
          return std::string("# HELP x_total X.\n# TYPE x_total counter\nx_total 7\n");
        },
        limits);
    ASSERT_TRUE(started.ok()) << started.error();
    server_ = std::move(*started);
    ASSERT_NE(server_->port(), 0);
  }
  std::atomic<int> renders_{0};
  std::unique_ptr<MetricsHttpServer> server_;
};

TEST_F(MetricsHttpServerTest, AnswersGetMetrics) {
  start();
  std::string reply = get(server_->port(), "/metrics");
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 200 OK\r\n")) << reply;
  EXPECT_NE(reply.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"),
            std::string::npos)
      << reply;
  EXPECT_TRUE(reply.ends_with("\r\n\r\n# HELP x_total X.\n# TYPE x_total counter\nx_total 7\n"))
      << reply;
  // A query string is not part of the path.
  EXPECT_TRUE(get(server_->port(), "/metrics?name[]=x").starts_with("HTTP/1.1 200 OK"));
  std::string head = get(server_->port(), "/metrics", "HEAD");
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n")) << head;
  EXPECT_TRUE(head.ends_with("\r\n\r\n")) << "HEAD has no body: " << head;
}

TEST_F(MetricsHttpServerTest, OtherPathsAndMethodsAreRefused) {
  start();
  int before = renders_;
  std::string reply = get(server_->port(), "/");
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 404 Not Found\r\n")) << reply;
  EXPECT_TRUE(get(server_->port(), "/metrics/").starts_with("HTTP/1.1 404 "));
  reply = request(server_->port(),
                  "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: "
                  "close\r\n\r\nabc");
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 405 Method Not Allowed\r\n")) << reply;
  EXPECT_NE(reply.find("Allow: GET, HEAD\r\n"), std::string::npos) << reply;
  EXPECT_TRUE(get(server_->port(), "/metrics", "DELETE").starts_with("HTTP/1.1 405 "));
  EXPECT_EQ(renders_, before) << "nothing rendered for a refused request";
}

TEST_F(MetricsHttpServerTest, AStalledScraperHoldsNothingAndIsTimedOut) {
  start({.max_connections = 16, .timeout_seconds = 1});
  int stalled = connect_to(server_->port());
  ASSERT_GE(stalled, 0);
  ASSERT_EQ(::send(stalled, "GET /metr", 9, MSG_NOSIGNAL), 9);
  // Others are served meanwhile.
  EXPECT_TRUE(get(server_->port(), "/metrics").starts_with("HTTP/1.1 200 OK"));
  // The stalled one is closed after the timeout, without an answer.
  EXPECT_EQ(read_all(stalled, 10'000), "");
  ::close(stalled);
}

TEST_F(MetricsHttpServerTest, ConnectionsBeyondTheLimitWaitForAFreeOne) {
  start({.max_connections = 2, .timeout_seconds = 1});
  int a = connect_to(server_->port()), b = connect_to(server_->port());
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  ASSERT_EQ(::send(a, "GET", 3, MSG_NOSIGNAL), 3);
  ASSERT_EQ(::send(b, "GET", 3, MSG_NOSIGNAL), 3);
  // The two stalled ones hold both connections: a third is served only once
  // the server has closed one of them (their timeout), never alongside.
  std::string third = get(server_->port(), "/metrics");
  EXPECT_TRUE(third.starts_with("HTTP/1.1 200 OK")) << third;
  auto closed = [](int fd) {
    pollfd p{fd, POLLIN, 0};
    char c;
    return ::poll(&p, 1, 0) == 1 && ::recv(fd, &c, 1, MSG_DONTWAIT) == 0;
  };
  EXPECT_TRUE(closed(a) || closed(b)) << "served while two connections were open";
  ::close(a);
  ::close(b);
}

TEST(MetricsEndpoint, ParsesAddresses) {
  auto port_only = parse_metrics_endpoint("9464");
  ASSERT_TRUE(port_only.ok()) << port_only.error();
  EXPECT_EQ(port_only->text, "127.0.0.1:9464") << "a port alone is loopback";
  auto v4 = parse_metrics_endpoint("0.0.0.0:9100");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->address.ss_family, AF_INET);
  EXPECT_EQ(ntohs(reinterpret_cast<sockaddr_in*>(&v4->address)->sin_port), 9100);
  auto v6 = parse_metrics_endpoint("[::1]:9464");
  ASSERT_TRUE(v6.ok()) << v6.error();
  EXPECT_EQ(v6->address.ss_family, AF_INET6);
  EXPECT_EQ(v6->text, "[::1]:9464");
}

TEST(MetricsEndpoint, RefusesBadAddressesSayingWhy) {
  auto error = [](const char* text) {
    auto r = parse_metrics_endpoint(text);
    return r.ok() ? std::string("accepted") : r.error();
  };
  EXPECT_NE(error("").find("empty metrics address"), std::string::npos);
  EXPECT_NE(error("0").find("port \"0\" is not a number from 1 to 65535"), std::string::npos);
  EXPECT_NE(error("65536").find("port \"65536\""), std::string::npos);
  EXPECT_NE(error("127.0.0.1:").find("port \"\""), std::string::npos);
  EXPECT_NE(error("127.0.0.1:9x").find("port \"9x\""), std::string::npos);
  EXPECT_NE(error("localhost:9464").find("\"localhost\" is not an IPv4 address"),
            std::string::npos);
  EXPECT_NE(error("300.1.1.1:9464").find("\"300.1.1.1\" is not an IPv4 address"),
            std::string::npos);
  EXPECT_NE(error(":9464").find("no address before the port"), std::string::npos);
  EXPECT_NE(error("::1:9464").find("in brackets"), std::string::npos);
  EXPECT_NE(error("[::1]").find("followed by :PORT"), std::string::npos);
  EXPECT_NE(error("[fe80::zz]:1").find("\"fe80::zz\" is not an IPv6 address"), std::string::npos);
}

TEST(MetricsHttpServer, AnAddressInUseIsRefusedWithTheReason) {
  auto endpoint = parse_metrics_endpoint("127.0.0.1:1");
  ASSERT_TRUE(endpoint.ok());
  reinterpret_cast<sockaddr_in*>(&endpoint->address)->sin_port = 0;
  auto first = MetricsHttpServer::start(*endpoint, [] { return std::string(); });
  ASSERT_TRUE(first.ok()) << first.error();
  reinterpret_cast<sockaddr_in*>(&endpoint->address)->sin_port = htons((*first)->port());
  endpoint->text = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = MetricsHttpServer::start(*endpoint, [] { return std::string(); });
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error(), "metrics endpoint " + endpoint->text +
                                ": cannot bind: Address already in use");
}

}  // namespace
}  // namespace flowpath::control
