#include "control/control_server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include "control/control_client.h"

namespace flowpath::control {
namespace {

class ControlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("fpctl-test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    path_ = (dir_ / "sub" / "flowpathd.sock").string();
    dispatcher_.add("echo", [](const Json& p) -> Result<Json> { return p; });
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::string path_;
  JsonRpcDispatcher dispatcher_;
};

// Sends raw bytes on a fresh connection and returns everything the server
// replies before closing (the client half-closes after sending).
std::string raw_exchange(const std::string& path, const std::string& bytes) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, path.c_str());
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return "connect failed";
  [[maybe_unused]] ssize_t w = write(fd, bytes.data(), bytes.size());
  shutdown(fd, SHUT_WR);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

TEST_F(ControlServerTest, ServesRequestsAndSurvivesGarbage) {
  ControlServer server(dispatcher_);
  ASSERT_TRUE(server.listen(path_).ok());
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::thread t([&] { server.run(); });

  std::string replies = raw_exchange(path_, "garbage\x01\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":{\"x\":2}}\n");
  auto nl = replies.find('\n');
  ASSERT_NE(nl, std::string::npos);
  EXPECT_EQ(Json::parse(replies.substr(0, nl))["error"]["code"], kParseError);
  EXPECT_EQ(Json::parse(replies.substr(nl + 1))["result"]["x"], 2);

  ControlClient client;
  ASSERT_TRUE(client.connect(path_).ok());
  auto r = client.call("echo", Json{{"y", "z"}});
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ((*r)["y"], "z");
  auto missing = client.call("nope", Json::object());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), "method not found: nope");

  server.stop();
  t.join();
}

// Regression: run() used to look new connections up in a poll set that did
// not hold them yet, reading past its end (ASan: heap-buffer-overflow on the
// very first client). Clients arrive alone, then in a burst while others are
// connected.
TEST_F(ControlServerTest, NewConnectionsAreServedWhetherAloneOrInBursts) {
  ControlServer server(dispatcher_);
  ASSERT_TRUE(server.listen(path_).ok());
  std::thread t([&] { server.run(); });
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
  server.stop();
  t.join();
}

TEST_F(ControlServerTest, RefusesASecondDaemonOnTheSameSocket) {
  ControlServer first(dispatcher_);
  ASSERT_TRUE(first.listen(path_).ok());
  ControlServer second(dispatcher_);
  Status st = second.listen(path_);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().find("already serving " + path_), std::string::npos) << st.error();
  EXPECT_NE(st.error().find("pid " + std::to_string(getpid())), std::string::npos) << st.error();
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
