#include "control/jsonrpc.h"

#include <gtest/gtest.h>

namespace flowpath::control {
namespace {

JsonRpcDispatcher make_dispatcher() {
  JsonRpcDispatcher d;
  d.add("echo", [](const Json& params) -> Result<Json> { return params; });
  d.add("need-name", [](const Json& params) -> Result<Json> {
    auto name = get_string(params, "name");
    if (!name.ok()) return make_error(name.error());
    return Json(*name);
  });
  d.add("fail", [](const Json&) -> Result<Json> { return make_error("datapath dp9 does not exist"); });
  return d;
}

Json reply(const JsonRpcDispatcher& d, const std::string& line) {
  return Json::parse(d.handle_line(line));
}

TEST(JsonRpc, EchoesParams) {
  auto d = make_dispatcher();
  Json r = reply(d, R"({"jsonrpc":"2.0","id":7,"method":"echo","params":{"a":1}})");
  EXPECT_EQ(r["id"], 7);
  EXPECT_EQ(r["result"]["a"], 1);
  EXPECT_FALSE(r.contains("error"));
}

TEST(JsonRpc, GarbageIsAParseError) {
  auto d = make_dispatcher();
  Json r = reply(d, "\x01\x02 not json {");
  EXPECT_EQ(r["error"]["code"], kParseError);
  EXPECT_TRUE(r["id"].is_null());
}

TEST(JsonRpc, InvalidRequests) {
  auto d = make_dispatcher();
  EXPECT_EQ(reply(d, "[1,2]")["error"]["code"], kInvalidRequest);
  EXPECT_EQ(reply(d, R"({"id":1,"method":"echo"})")["error"]["code"], kInvalidRequest);
  EXPECT_EQ(reply(d, R"({"jsonrpc":"2.0","id":1,"method":5})")["error"]["code"], kInvalidRequest);
  EXPECT_EQ(reply(d, R"({"jsonrpc":"2.0","id":{},"method":"echo"})")["error"]["code"],
            kInvalidRequest);
  EXPECT_EQ(reply(d, R"({"jsonrpc":"2.0","id":1,"method":"echo","params":[1]})")["error"]["code"],
            kInvalidParams);
}

TEST(JsonRpc, UnknownMethod) {
  auto d = make_dispatcher();
  Json r = reply(d, R"({"jsonrpc":"2.0","id":"x","method":"nope"})");
  EXPECT_EQ(r["error"]["code"], kMethodNotFound);
  EXPECT_EQ(r["error"]["message"], "method not found: nope");
  EXPECT_EQ(r["id"], "x");
}

TEST(JsonRpc, ParamErrorsAreInvalidParams) {
  auto d = make_dispatcher();
  Json r = reply(d, R"({"jsonrpc":"2.0","id":1,"method":"need-name","params":{"name":3}})");
  EXPECT_EQ(r["error"]["code"], kInvalidParams);
  EXPECT_EQ(r["error"]["message"], "invalid params: \"name\" must be a string");
  r = reply(d, R"({"jsonrpc":"2.0","id":1,"method":"need-name"})");
  EXPECT_EQ(r["error"]["message"], "invalid params: missing \"name\"");
}

TEST(JsonRpc, OperationFailure) {
  auto d = make_dispatcher();
  Json r = reply(d, R"({"jsonrpc":"2.0","id":1,"method":"fail"})");
  EXPECT_EQ(r["error"]["code"], kOperationFailed);
  EXPECT_EQ(r["error"]["message"], "datapath dp9 does not exist");
}

TEST(JsonRpc, NotificationGetsNoReply) {
  auto d = make_dispatcher();
  EXPECT_EQ(d.handle_line(R"({"jsonrpc":"2.0","method":"echo"})"), "");
}

TEST(JsonRpc, UnsignedParams) {
  Json p = {{"n", 5}, {"neg", -1}, {"s", "x"}};
  EXPECT_EQ(*get_unsigned(p, "n", 10), 5u);
  EXPECT_EQ(get_unsigned(p, "n", 4).error(),
            "invalid params: \"n\" is 5, more than the maximum 4");
  EXPECT_FALSE(get_unsigned(p, "neg", 10).ok());
  EXPECT_FALSE(get_unsigned(p, "s", 10).ok());
  EXPECT_FALSE(get_unsigned(p, "missing", 10).ok());
}

}  // namespace
}  // namespace flowpath::control
