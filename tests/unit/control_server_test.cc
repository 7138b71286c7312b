#include "control/control_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include "control/control_client.h"

namespace flowpath::control {
namespace {

// A dispatcher with "echo", and "count" whose result is the array
// [0, 1, ..., n-1] of {"i": k, "pad": "..."} elements, streamed.
void add_test_methods(JsonRpcDispatcher& d) {
  d.add("echo", [](const Json& p) -> Result<Json> { return p; });
  d.add_streaming("count", [](const Json& p) -> Result<std::unique_ptr<JsonStream>> {
    TRY_ASSIGN(n, get_unsigned(p, "n", 100'000'000));
    auto next = std::make_shared<uint64_t>(0);
    uint64_t total = n;
    return make_array_stream([next, total](JsonArrayWriter& w) {
      for (int k = 0; k < 100 && *next < total; ++k) {
        w.add(Json{{"i", (*next)++}, {"pad", std::string(100, 'x')}});
      }
      return *next == total;
    });
  });
}

class ControlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("fpctl-test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    path_ = (dir_ / "sub" / "flowpathd.sock").string();
    add_test_methods(dispatcher_);
  }
  void TearDown() override {
    if (thread_.joinable()) {
      server_->stop();
      thread_.join();
    }
    server_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Starts a server with `limits` on a thread of its own.
  void start(ControlLimits limits = {}) {
    server_ = std::make_unique<ControlServer>(dispatcher_, limits);
    ASSERT_TRUE(server_->listen(path_).ok());
    thread_ = std::thread([this] { server_->run(); });
  }

  std::filesystem::path dir_;
  std::string path_;
  JsonRpcDispatcher dispatcher_;
  std::unique_ptr<ControlServer> server_;
  std::thread thread_;
};

// A raw client socket connected to `path` (blocking), or -1.
int connect_raw(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, path.c_str());
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Everything `fd` receives until the server closes it (or 20 s pass).
std::string read_until_closed(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 20'000) <= 0) return out + "<timeout>";
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

void send_all(int fd, const std::string& bytes) {
  for (size_t off = 0; off < bytes.size();) {
    ssize_t n = send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    ASSERT_GT(n, 0) << std::strerror(errno);
    off += static_cast<size_t>(n);
  }
}

// Sends raw bytes on a fresh connection, half-closes, and returns everything
// the server replies before closing.
std::string raw_exchange(const std::string& path, const std::string& bytes) {
  int fd = connect_raw(path);
  if (fd < 0) return "connect failed";
  send_all(fd, bytes);
  shutdown(fd, SHUT_WR);
  std::string out = read_until_closed(fd);
  close(fd);
  return out;
}

Json request_json(int id, const std::string& method, const Json& params = Json::object()) {
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}};
}

// A request line.
std::string request(int id, const std::string& method, const Json& params = Json::object()) {
  return request_json(id, method, params).dump() + "\n";
}

// The replies in `text`, one per line; every line must end with a newline.
std::vector<Json> json_lines(const std::string& text) {
  std::vector<Json> out;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    out.push_back(Json::parse(text.substr(start, nl - start)));
  }
  EXPECT_EQ(start, text.size()) << "a reply without its newline: " << text.substr(start, 200);
  return out;
}

TEST_F(ControlServerTest, ServesRequestsAndSurvivesGarbage) {
  start();
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto replies = json_lines(raw_exchange(
      path_, "garbage\x01\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":{\"x\":2}}\n"));
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0]["error"]["code"], kParseError);
  EXPECT_EQ(replies[1]["result"]["x"], 2);

  ControlClient client;
  ASSERT_TRUE(client.connect(path_).ok());
  auto r = client.call("echo", Json{{"y", "z"}});
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ((*r)["y"], "z");
  auto missing = client.call("nope", Json::object());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), "method not found: nope");
}

// Regression: run() used to look new connections up in a poll set that did
// not hold them yet, reading past its end (ASan: heap-buffer-overflow on the
// very first client). Clients arrive alone, then in a burst while others are
// connected.
TEST_F(ControlServerTest, NewConnectionsAreServedWhetherAloneOrInBursts) {
  start();
  {
    ControlClient first;
    ASSERT_TRUE(first.connect(path_).ok());
    auto r = first.call("echo", Json{{"n", 0}});
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_EQ((*r)["n"], 0);
  }
  std::vector<std::unique_ptr<ControlClient>> clients;
  for (int i = 0; i < 20; ++i) {
    clients.push_back(std::make_unique<ControlClient>());
    ASSERT_TRUE(clients.back()->connect(path_).ok());
  }
  for (int i = 0; i < 20; ++i) {
    auto r = clients[i]->call("echo", Json{{"n", i}});
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_EQ((*r)["n"], i);
  }
}

// Line framing: the end of input ends the last request too.
TEST_F(ControlServerTest, AnswersAFinalRequestWithoutNewline) {
  start();
  auto replies = json_lines(raw_exchange(
      path_, request(1, "echo", {{"a", 1}}) + R"({"jsonrpc":"2.0","id":2,"method":"echo"})"));
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0]["id"], 1);
  EXPECT_EQ(replies[1]["id"], 2);
  EXPECT_TRUE(replies[1]["result"].is_object());
  // Blank lines and a blank tail are no requests.
  EXPECT_EQ(raw_exchange(path_, "\n \r\n\t"), "");
}

// A client that half-closes after its request still gets the whole reply,
// however long (it used to get what one write could take).
TEST_F(ControlServerTest, HalfClosedClientGetsAWholeLongReply) {
  start();
  auto replies = json_lines(raw_exchange(path_, request(7, "count", {{"n", 50'000}})));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0]["id"], 7);
  ASSERT_EQ(replies[0]["result"].size(), 50'000u);
  EXPECT_EQ(replies[0]["result"][49'999]["i"], 49'999);
}

// The client reads a streamed result element by element.
TEST_F(ControlServerTest, ClientStreamsAListResult) {
  start();
  ControlClient client;
  ASSERT_TRUE(client.connect(path_).ok());
  uint64_t expected = 0;
  Status st = client.call_streaming("count", {{"n", 20'000}}, [&](Json&& element) {
    EXPECT_EQ(element["i"], expected);
    ++expected;
  });
  ASSERT_TRUE(st.ok()) << st.error();
  EXPECT_EQ(expected, 20'000u);
  // The connection carries on with ordinary calls.
  auto r = client.call("echo", Json{{"after", true}});
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ((*r)["after"], true);
  // An empty list, and a result that is no list.
  st = client.call_streaming("count", {{"n", 0}}, [&](Json&&) { ADD_FAILURE(); });
  EXPECT_TRUE(st.ok()) << st.error();
  st = client.call_streaming("echo", Json::object(), [&](Json&&) {});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), "flowpathd's reply to echo is not a list");
}

TEST_F(ControlServerTest, BatchesAreAnsweredAsTheSpecSays) {
  start();
  std::string batch = "[" + request_json(1, "echo", {{"a", 1}}).dump() + "," +
                      R"({"jsonrpc":"2.0","method":"echo"})" + "," +
                      request_json(2, "count", {{"n", 3}}).dump() + "," +
                      request_json(3, "nope").dump() + ",5]\n";
  auto replies = json_lines(raw_exchange(path_, batch));
  ASSERT_EQ(replies.size(), 1u);
  const Json& r = replies[0];
  ASSERT_TRUE(r.is_array()) << r;
  ASSERT_EQ(r.size(), 4u) << r;  // the notification gets no response
  EXPECT_EQ(r[0]["result"]["a"], 1);
  EXPECT_EQ(r[1]["result"].size(), 3u);
  EXPECT_EQ(r[2]["error"]["code"], kMethodNotFound);
  EXPECT_EQ(r[3]["error"]["code"], kInvalidRequest);
  // Notifications only: nothing at all. An empty batch: one error.
  EXPECT_EQ(raw_exchange(path_, R"([{"jsonrpc":"2.0","method":"echo"}])" "\n"), "");
  replies = json_lines(raw_exchange(path_, "[]\n"));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0]["error"]["code"], kInvalidRequest);
}

// 100,000 nested arrays: refused before parsing, no stack used up (ASan).
TEST_F(ControlServerTest, RefusesDeeplyNestedRequests) {
  start();
  std::string deep = R"({"jsonrpc":"2.0","id":1,"method":"echo","params":{"x":)" +
                     std::string(100'000, '[') + std::string(100'000, ']') + "}}\n";
  auto replies = json_lines(raw_exchange(path_, deep + request(2, "echo")));
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0]["error"]["code"], kInvalidRequest);
  EXPECT_EQ(replies[0]["error"]["message"], "invalid request: nested deeper than 64 levels");
  EXPECT_EQ(replies[1]["id"], 2);
}

TEST_F(ControlServerTest, RefusesARequestLongerThanTheLimit) {
  ControlLimits limits;
  limits.max_request_bytes = 1000;
  start(limits);
  auto replies = json_lines(raw_exchange(path_, std::string(5000, ' ')));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0]["error"]["code"], kConnectionClosed);
  EXPECT_EQ(replies[0]["error"]["message"], "invalid request: longer than 1000 bytes");
}

// At the limit, the connection idle longest makes room for a new client and
// is told why it is closed.
TEST_F(ControlServerTest, EvictsTheIdlestConnectionAtTheLimit) {
  ControlLimits limits;
  limits.max_connections = 2;
  start(limits);
  ControlClient first, second;
  ASSERT_TRUE(first.connect(path_).ok());
  ASSERT_TRUE(first.call("echo", Json::object()).ok());
  ASSERT_TRUE(second.connect(path_).ok());
  ASSERT_TRUE(second.call("echo", Json::object()).ok());
  ControlClient third;
  ASSERT_TRUE(third.connect(path_).ok());
  auto r = third.call("echo", Json{{"third", 3}});
  ASSERT_TRUE(r.ok()) << r.error();
  auto gone = first.call("echo", Json::object());
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error(),
            "closed: flowpathd reached its limit of 2 connections and this one was idle longest");
  EXPECT_TRUE(second.call("echo", Json::object()).ok());
  EXPECT_EQ(server_->counters().evicted.load(), 1u);
}

// At the limit with no idle connection, a new client is refused with an
// error, and the others are not disturbed.
TEST_F(ControlServerTest, RefusesANewClientWhenNoConnectionIsIdle) {
  ControlLimits limits;
  limits.max_connections = 2;
  start(limits);
  // Two clients that ask for long results and read nothing: never idle.
  int stalled[2];
  for (int& fd : stalled) {
    fd = connect_raw(path_);
    ASSERT_GE(fd, 0);
    send_all(fd, request(1, "count", {{"n", 1'000'000}}));
  }
  // Both are connected once they have been sent something.
  for (int fd : stalled) {
    pollfd p{fd, POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 20'000), 1);
  }
  int refused = connect_raw(path_);
  ASSERT_GE(refused, 0);
  auto replies = json_lines(read_until_closed(refused));
  close(refused);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0]["error"]["code"], kConnectionClosed);
  EXPECT_EQ(replies[0]["error"]["message"],
            "refused: flowpathd is serving its limit of 2 connections and none is idle; try again "
            "later");
  EXPECT_EQ(server_->counters().refused.load(), 1u);
  for (int fd : stalled) close(fd);
}

TEST_F(ControlServerTest, ClosesIdleConnections) {
  ControlLimits limits;
  limits.idle_timeout_ms = 200;
  start(limits);
  int fd = connect_raw(path_);
  ASSERT_GE(fd, 0);
  auto replies = json_lines(read_until_closed(fd));
  close(fd);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0]["error"]["message"], "closed: no traffic for 200 ms");
  EXPECT_EQ(server_->counters().timed_out.load(), 1u);
}

// A client that sends requests and never reads the replies stops being
// read once its unread output reaches the limit: its writes block (the
// requests wait in the kernel, not in the daemon's memory), and everyone
// else is served meanwhile. When it reads at last, every reply is there.
TEST_F(ControlServerTest, StopsReadingAClientThatDoesNotReadItsReplies) {
  ControlLimits limits;
  limits.max_output_bytes = 64 << 10;
  start(limits);
  int fd = connect_raw(path_);
  ASSERT_GE(fd, 0);
  const std::string one = request(1, "echo", {{"pad", std::string(200, 'p')}});
  size_t sent = 0, offset = 0;  // bytes sent; of them, in the current line
  // Send without blocking until the socket has taken nothing for a while.
  for (int quiet = 0; quiet < 50 && sent < (256u << 20);) {
    ssize_t n = send(fd, one.data() + offset, one.size() - offset, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      offset = (offset + static_cast<size_t>(n)) % one.size();
      quiet = 0;
      continue;
    }
    ASSERT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK) << std::strerror(errno);
    ++quiet;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_LT(sent, 256u << 20) << "the server read everything it was sent";
  ControlClient other;
  ASSERT_TRUE(other.connect(path_).ok());
  auto r = other.call("echo", Json{{"other", 1}});
  ASSERT_TRUE(r.ok()) << r.error();
  // Now read: every request is answered, in order.
  std::string replies_text;
  std::thread reader([&] { replies_text = read_until_closed(fd); });
  if (offset != 0) send_all(fd, one.substr(offset));
  size_t requests = (sent + one.size() - 1) / one.size();
  shutdown(fd, SHUT_WR);
  reader.join();
  close(fd);
  auto replies = json_lines(replies_text);
  EXPECT_EQ(replies.size(), requests);
}

// A long streamed reply is written piece by piece between other clients'
// requests: they are answered while it is still being written.
TEST_F(ControlServerTest, InterleavesLongRepliesWithOtherClients) {
  start();
  int fd = connect_raw(path_);
  ASSERT_GE(fd, 0);
  send_all(fd, request(1, "count", {{"n", 2'000'000}}));  // about 250 MB of reply
  char first;
  ASSERT_EQ(read(fd, &first, 1), 1);  // it has begun
  ControlClient other;
  ASSERT_TRUE(other.connect(path_).ok());
  for (int i = 0; i < 20; ++i) {
    auto r = other.call("echo", Json{{"i", i}});
    ASSERT_TRUE(r.ok()) << r.error();
  }
  // The long reply is still under way: read a little more of it.
  char buf[4096];
  EXPECT_GT(read(fd, buf, sizeof buf), 0);
  close(fd);  // abandoned half-way; the server drops it
  auto r = other.call("echo", Json{{"still", "served"}});
  ASSERT_TRUE(r.ok()) << r.error();
}

TEST_F(ControlServerTest, RefusesASecondDaemonOnTheSameSocket) {
  ControlServer first(dispatcher_);
  ASSERT_TRUE(first.listen(path_).ok());
  ControlServer second(dispatcher_);
  Status st = second.listen(path_);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), "cannot serve " + path_ + ": control socket lock " + path_ +
                           ".lock is held by a running flowpathd (pid " +
                           std::to_string(getpid()) + ")");
}

// Removing the lock file of a running daemon does not let a second one take
// its socket from under it.
TEST_F(ControlServerTest, RefusesASecondDaemonWhenTheLockFileWasRemoved) {
  ControlServer first(dispatcher_);
  ASSERT_TRUE(first.listen(path_).ok());
  ASSERT_EQ(unlink((path_ + ".lock").c_str()), 0);
  ControlServer second(dispatcher_);
  Status st = second.listen(path_);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().find("another process answers on it"), std::string::npos) << st.error();
}

// A symbolic link planted where the lock file goes is refused, and its
// target left alone (root would have truncated it).
TEST_F(ControlServerTest, RefusesALinkPlantedAsTheLockFile) {
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
  std::string victim = (dir_ / "victim").string();
  { FILE* f = fopen(victim.c_str(), "w"); ASSERT_NE(f, nullptr); fputs("precious\n", f); fclose(f); }
  ASSERT_EQ(symlink(victim.c_str(), (path_ + ".lock").c_str()), 0);
  ControlServer server(dispatcher_);
  Status st = server.listen(path_);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().find("is a symbolic link; refusing to follow it"), std::string::npos) << st.error();
  char text[32] = {};
  FILE* f = fopen(victim.c_str(), "r");
  ASSERT_NE(f, nullptr);
  ASSERT_NE(fgets(text, sizeof text, f), nullptr);
  fclose(f);
  EXPECT_STREQ(text, "precious\n");
}

TEST_F(ControlServerTest, ReplacesAStaleSocket) {
  {
    ControlServer first(dispatcher_);
    ASSERT_TRUE(first.listen(path_).ok());
  }
  // Simulate a crash that left a socket file behind.
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, path_.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  close(fd);
  ControlServer second(dispatcher_);
  EXPECT_TRUE(second.listen(path_).ok());
}

TEST_F(ControlServerTest, ClientReportsDaemonNotRunning) {
  ControlClient client;
  Status st = client.connect(path_);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().find("flowpathd is not running"), std::string::npos) << st.error();
}

}  // namespace
}  // namespace flowpath::control
