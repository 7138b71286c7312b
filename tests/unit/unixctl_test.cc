// The unixctl protocol ovs-appctl speaks: message decoding, the command
// table's answers in Open vSwitch's words, and the protocol served by the
// control server beside its JSON-RPC socket (no delimiter between requests,
// many clients, garbage and stalled clients).
#include "control/unixctl_commands.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "control/control_client.h"
#include "control/control_server.h"
#include "control/unixctl_message.h"

namespace flowpath::control {
namespace {

// ---- Decoding

TEST(UnixctlMessageTest, DecodesARequest) {
  UnixctlDecoded d = decode_unixctl_request(R"({"id":7,"method":"fdb/show","params":["br0"]})");
  ASSERT_TRUE(d.ok()) << d.error;
  EXPECT_EQ(d.request.id, Json(7));
  EXPECT_EQ(d.request.method, "fdb/show");
  EXPECT_EQ(d.request.params, Json::array({"br0"}));
}

TEST(UnixctlMessageTest, RefusesWhatIsNotARequest) {
  struct Case {
    const char* text;
    const char* error;
    Json id;
  };
  const Case cases[] = {
      {"{\"id\":1,", "invalid request: not valid JSON", nullptr},
      {"[1,2]", "invalid request: message is not a JSON object", nullptr},
      {R"({"method":"version","params":[]})",
       "invalid request: request must have \"id\" (a notification gets no reply, so unixctl "
       "takes none)",
       nullptr},
      {R"({"id":null,"method":"version","params":[]})",
       "invalid request: request must have \"id\" (a notification gets no reply, so unixctl "
       "takes none)",
       nullptr},
      {R"({"id":3,"params":[]})", "invalid request: request must have \"method\"", 3},
      {R"({"id":3,"method":5,"params":[]})", "invalid request: method is not a JSON string", 3},
      {R"({"id":"x","method":"version","params":{"a":1}})",
       "invalid request: \"params\" must be JSON array", "x"},
      {R"({"id":4,"method":"version"})", "invalid request: request must have \"params\"", 4},
      {R"({"id":5,"method":"version","params":[],"extra":1})",
       "invalid request: message has unexpected member \"extra\"", 5},
      {R"({"id":6,"result":"x","error":null})", "invalid request: a reply or error, not a request",
       6},
  };
  for (const Case& c : cases) {
    UnixctlDecoded d = decode_unixctl_request(c.text);
    EXPECT_EQ(d.error, c.error) << c.text;
    EXPECT_EQ(d.request.id, c.id) << c.text;
  }
  std::string deep = R"({"id":1,"method":"m","params":[)" + std::string(100, '[') +
                     std::string(100, ']') + "]}";
  EXPECT_EQ(decode_unixctl_request(deep).error, "invalid request: nested deeper than 64 levels");
}

TEST(UnixctlMessageTest, EncodesRepliesAsOpenVSwitchDoes) {
  EXPECT_EQ(encode_unixctl_reply(1, "text"), R"({"id":1,"result":"text\n","error":null})");
  EXPECT_EQ(encode_unixctl_reply(1, "two\n"), R"({"id":1,"result":"two\n","error":null})");
  EXPECT_EQ(encode_unixctl_reply("a", ""), R"({"id":"a","result":"","error":null})");
  EXPECT_EQ(encode_unixctl_error(2, "bad \"x\""),
            R"({"id":2,"result":null,"error":"bad \"x\"\n"})");
}

// ---- Dispatch

class UnixctlCommandsTest : public ::testing::Test {
 protected:
  UnixctlCommandsTest() : commands_("flowpathd (flowpath) 1.2.3") {
    commands_.add("echo/args", "[word...]", 0, 3, [](const std::vector<std::string>& args) -> Result<std::string> {
      std::string out;
      for (const std::string& a : args) out += "<" + a + ">";
      return out;
    });
    commands_.add("two", "a b", 2, 2, [](const std::vector<std::string>&) -> Result<std::string> {
      return std::string("ok");
    });
    commands_.add("fails", "", 0, 0, [](const std::vector<std::string>&) -> Result<std::string> {
      return make_error("no such bridge");
    });
    commands_.add("throws", "", 0, 0, [](const std::vector<std::string>&) -> Result<std::string> {
      return Json::object()["missing"].get<std::string>();  // a JSON type error
    });
  }
  Json call(const std::string& method, const Json& params, const Json& id = 9) {
    Json request{{"id", id}, {"method", method}, {"params", params}};
    return Json::parse(commands_.handle(request.dump()));
  }
  UnixctlCommands commands_;
};

TEST_F(UnixctlCommandsTest, AnswersWithTheCommandsText) {
  Json reply = call("echo/args", {"a", "b c"});
  EXPECT_EQ(reply, (Json{{"id", 9}, {"result", "<a><b c>\n"}, {"error", nullptr}}));
  EXPECT_EQ(call("version", Json::array())["result"], "flowpathd (flowpath) 1.2.3\n");
  EXPECT_EQ(call("two", {"x", "y"}, "id-text")["id"], "id-text");
}

TEST_F(UnixctlCommandsTest, ListsCommandsAsOpenVSwitch) {
  EXPECT_EQ(call("list-commands", Json::array())["result"],
            "The available commands are:\n"
            "  echo/args               [word...]\n"
            "  fails                   \n"
            "  list-commands           \n"
            "  throws                  \n"
            "  two                     a b\n"
            "  version                 \n");
}

TEST_F(UnixctlCommandsTest, RefusesInOpenVSwitchsWords) {
  auto error = [this](const std::string& method, const Json& params) {
    Json reply = call(method, params);
    EXPECT_TRUE(reply["result"].is_null()) << reply;
    EXPECT_EQ(reply["id"], 9);
    return reply["error"].get<std::string>();
  };
  EXPECT_EQ(error("nope", Json::array()),
            "\"nope\" is not a valid command (use \"list-commands\" to see a list of valid "
            "commands)\n");
  EXPECT_EQ(error("two", {"x"}), "\"two\" command requires at least 2 arguments\n");
  EXPECT_EQ(error("echo/args", {"1", "2", "3", "4"}), "\"echo/args\" command takes at most 3 arguments\n");
  EXPECT_EQ(error("two", {"x", 1}), "\"two\" command has non-string argument\n");
  EXPECT_EQ(error("fails", Json::array()), "no such bridge\n");
  // A handler that throws answers an error; the server goes on.
  EXPECT_EQ(error("throws", Json::array()).rfind("\"throws\" failed: ", 0), 0u);
  // A message that is not a request: an error reply with what is known of it.
  Json reply = Json::parse(commands_.handle("{\"id\":3,\"method\":[]}"));
  EXPECT_EQ(reply["id"], 3);
  EXPECT_EQ(reply["error"], "invalid request: method is not a JSON string\n");
  reply = Json::parse(commands_.handle("garbage"));
  EXPECT_TRUE(reply["id"].is_null());
  EXPECT_EQ(reply["error"], "invalid request: not valid JSON\n");
}

// ---- Served beside the JSON-RPC socket

class UnixctlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("unixctl-test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    dispatcher_.add("echo", [](const Json& p) -> Result<Json> { return p; });
    commands_.add("say", "word", 1, 1, [](const std::vector<std::string>& args) -> Result<std::string> {
      return "said " + args[0];
    });
    ControlLimits limits;
    limits.max_request_bytes = 4096;
    server_ = std::make_unique<ControlServer>(dispatcher_, limits);
    ASSERT_TRUE(server_->listen((dir_ / "flowpathd.sock").string()).ok());
    ASSERT_TRUE(server_->listen(ctl(), commands_).ok());
    thread_ = std::thread([this] { server_->run(); });
  }
  void TearDown() override {
    server_->stop();
    thread_.join();
    server_.reset();
    EXPECT_FALSE(std::filesystem::exists(ctl())) << "the socket is removed at exit";
    std::filesystem::remove_all(dir_);
  }
  std::string ctl() const { return (dir_ / "ovs-vswitchd.1.ctl").string(); }

  int connect_to(const std::string& path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);
    return fd;
  }
  static void send_all(int fd, const std::string& bytes) {
    ASSERT_EQ(send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
  }
  // The next `n` replies (one JSON text per line), or fewer if the server
  // closes or 20 s pass.
  static std::vector<Json> replies(int fd, size_t n, bool* closed = nullptr) {
    std::vector<Json> out;
    std::string buffer;
    char chunk[4096];
    while (out.size() < n) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 20'000) <= 0) break;
      ssize_t got = read(fd, chunk, sizeof chunk);
      if (got <= 0) {
        if (closed) *closed = true;
        break;
      }
      buffer.append(chunk, static_cast<size_t>(got));
      for (size_t nl; (nl = buffer.find('\n')) != std::string::npos;) {
        out.push_back(Json::parse(buffer.substr(0, nl)));
        buffer.erase(0, nl + 1);
      }
    }
    return out;
  }

  std::filesystem::path dir_;
  JsonRpcDispatcher dispatcher_;
  UnixctlCommands commands_{"test 1"};
  std::unique_ptr<ControlServer> server_;
  std::thread thread_;
};

TEST_F(UnixctlServerTest, AnswersRequestsWithoutDelimiters) {
  int fd = connect_to(ctl());
  // Two requests in one write, no newline between them (as Open vSwitch's
  // jsonrpc writes them), then one cut in the middle of a string.
  send_all(fd, R"({"id":1,"method":"say","params":["a}"]}{"id":2,"method":"version","params":[]})");
  send_all(fd, R"( {"id":3,"method":"say","params":["x\"])");
  auto got = replies(fd, 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (Json{{"id", 1}, {"result", "said a}\n"}, {"error", nullptr}}));
  EXPECT_EQ(got[1]["result"], "test 1\n");
  send_all(fd, R"({"]})");  // ends the string, the params and the request
  got = replies(fd, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["result"], "said x\"]{\n");
  close(fd);
}

TEST_F(UnixctlServerTest, GarbageAndStalledClientsDoNotHoldUpOthers) {
  int stalled = connect_to(ctl());
  send_all(stalled, R"({"id":1,"method":"say","params":["never fini)");
  int garbage = connect_to(ctl());
  send_all(garbage, "hello\n");
  bool closed = false;
  auto got = replies(garbage, 1, &closed);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0]["id"].is_null());
  EXPECT_EQ(got[0]["error"], "invalid request: not a JSON object\n");
  EXPECT_TRUE(got[0]["result"].is_null());
  EXPECT_EQ(replies(garbage, 1, &closed).size(), 0u);
  EXPECT_TRUE(closed) << "the connection is closed after the garbage";
  close(garbage);

  int oversized = connect_to(ctl());
  send_all(oversized, R"({"id":1,"method":"say","params":[")" + std::string(8000, 'x'));
  closed = false;
  got = replies(oversized, 2, &closed);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["error"], "invalid request: longer than 4096 bytes\n");
  EXPECT_TRUE(closed);
  close(oversized);

  // A client that sends a request and half-closes: the truncated request is
  // answered with an error.
  int truncated = connect_to(ctl());
  send_all(truncated, R"({"id":5,"method":"say")");
  shutdown(truncated, SHUT_WR);
  got = replies(truncated, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["error"], "invalid request: not valid JSON\n");
  close(truncated);

  int fine = connect_to(ctl());
  send_all(fine, R"({"id":9,"method":"say","params":["hi"]})");
  got = replies(fine, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["result"], "said hi\n");
  close(fine);

  // The JSON-RPC socket is served as before.
  ControlClient client;
  ASSERT_TRUE(client.connect((dir_ / "flowpathd.sock").string()).ok());
  auto echoed = client.call("echo", Json{{"k", 1}});
  ASSERT_TRUE(echoed.ok()) << echoed.error();
  EXPECT_EQ(*echoed, (Json{{"k", 1}}));
  close(stalled);
}

TEST_F(UnixctlServerTest, RefusesASecondServerOnTheSameSocket) {
  JsonRpcDispatcher other_dispatcher;
  ControlServer other(other_dispatcher);
  auto st = other.listen(ctl(), commands_);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().find("cannot serve " + ctl()), std::string::npos) << st.error();
}

}  // namespace
}  // namespace flowpath::control
