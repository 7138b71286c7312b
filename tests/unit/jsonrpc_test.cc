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
  EXPECT_EQ(reply(d, "7")["error"]["code"], kInvalidRequest);
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
  // Not even when it fails (JSON-RPC 2.0, section 4.1).
  EXPECT_EQ(d.handle_line(R"({"jsonrpc":"2.0","method":"fail"})"), "");
  EXPECT_EQ(d.handle_line(R"({"jsonrpc":"2.0","method":"nope"})"), "");
}

// JSON-RPC 2.0, section 6, and its examples.
TEST(JsonRpc, Batches) {
  auto d = make_dispatcher();
  Json r = reply(d, R"([{"jsonrpc":"2.0","id":"1","method":"echo","params":{"a":1}},
                        {"jsonrpc":"2.0","method":"echo"},
                        {"jsonrpc":"2.0","id":"2","method":"fail"},
                        {"foo":"boo"},
                        {"jsonrpc":"2.0","id":"5","method":"nope"}])");
  ASSERT_TRUE(r.is_array());
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0]["id"], "1");
  EXPECT_EQ(r[0]["result"]["a"], 1);
  EXPECT_EQ(r[1]["error"]["code"], kOperationFailed);
  EXPECT_EQ(r[2]["error"]["code"], kInvalidRequest);
  EXPECT_TRUE(r[2]["id"].is_null());
  EXPECT_EQ(r[3]["error"]["code"], kMethodNotFound);
  r = reply(d, "[1,2,3]");
  ASSERT_EQ(r.size(), 3u);
  for (const Json& e : r) EXPECT_EQ(e["error"]["code"], kInvalidRequest);
  r = reply(d, "[]");
  EXPECT_EQ(r["error"]["code"], kInvalidRequest);
  EXPECT_EQ(r["error"]["message"], "invalid request: empty batch");
  r = reply(d, R"([{"jsonrpc":"2.0","method":"echo","params":[1,2]},{"jsonrpc":"2.0","method":"echo")");
  EXPECT_EQ(r["error"]["code"], kParseError);
  EXPECT_EQ(d.handle_line(R"([{"jsonrpc":"2.0","method":"echo"},{"jsonrpc":"2.0","method":"echo"}])"),
            "");
}

TEST(JsonRpc, StreamedResults) {
  auto d = make_dispatcher();
  d.add_streaming("three", [](const Json&) -> Result<std::unique_ptr<JsonStream>> {
    auto next = std::make_shared<int>(0);
    return make_array_stream([next](JsonArrayWriter& w) {
      w.add(Json{{"k", (*next)++}});
      return *next == 3;
    });
  });
  d.add_streaming("refuse", [](const Json&) -> Result<std::unique_ptr<JsonStream>> {
    return invalid_params("missing \"dp\"");
  });
  auto stream = d.start(R"({"jsonrpc":"2.0","id":9,"method":"three"})");
  ASSERT_TRUE(stream);
  std::string text;
  int pieces = 1;
  while (!stream->next(text)) ++pieces;
  EXPECT_EQ(pieces, 3);
  EXPECT_EQ(text, R"({"jsonrpc":"2.0","id":9,"result":[{"k":0},{"k":1},{"k":2}]})");
  Json r = reply(d, R"({"jsonrpc":"2.0","id":1,"method":"refuse"})");
  EXPECT_EQ(r["error"]["code"], kInvalidParams);
  // A notification never runs its stream.
  EXPECT_EQ(d.start(R"({"jsonrpc":"2.0","method":"three"})"), nullptr);
}

TEST(JsonRpc, NestingLimit) {
  auto d = make_dispatcher();
  std::string ok = R"({"jsonrpc":"2.0","id":1,"method":"echo","params":{"x":)" +
                   std::string(kMaxJsonDepth - 2, '[') + std::string(kMaxJsonDepth - 2, ']') + "}}";
  EXPECT_TRUE(reply(d, ok).contains("result"));
  std::string deep = R"({"jsonrpc":"2.0","id":1,"method":"echo","params":{"x":)" +
                     std::string(100'000, '{') + "}}";
  Json r = reply(d, deep);
  EXPECT_EQ(r["error"]["code"], kInvalidRequest);
  EXPECT_TRUE(r["id"].is_null());
  // Brackets inside strings do not count.
  EXPECT_FALSE(json_deeper_than(R"(["[[[[[[[[", "\"[[[["])", 2));
  EXPECT_TRUE(json_deeper_than("[[[", 2));
}

// A string that is not UTF-8 (from the system, not from a client) is sent
// with its bad bytes replaced instead of failing the reply.
TEST(JsonRpc, InvalidUtf8InAResultIsReplaced) {
  auto d = make_dispatcher();
  d.add("bad", [](const Json&) -> Result<Json> { return Json(std::string("a\xff" "b")); });
  Json r = reply(d, R"({"jsonrpc":"2.0","id":1,"method":"bad"})");
  EXPECT_EQ(r["result"], "a\xef\xbf\xbd"
                         "b");
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
