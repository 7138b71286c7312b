// The OVSDB wire: values (RFC 7047 5.1), framing of back-to-back JSON texts,
// JSON-RPC message decoding, remotes, and the replica kept by monitor updates.
#include <gtest/gtest.h>

#include "ovsdb/connection.h"
#include "ovsdb/datum.h"
#include "ovsdb/message.h"
#include "ovsdb/replica.h"

namespace flowpath::ovsdb {
namespace {

constexpr const char* kUuid1 = "36b1a7d0-4c5c-4e0a-9f0b-0a1b2c3d4e5f";
constexpr const char* kUuid2 = "a0a1a2a3-b0b1-c0c1-d0d1-e0e1e2e3e4e5";

TEST(OvsdbDatum, OptionalValuesAreSetsOfAtMostOne) {
  EXPECT_EQ(*optional_integer(Json(5), "tag"), 5);
  EXPECT_EQ(*optional_integer(Json::parse(R"(["set",[]])"), "tag"), std::nullopt);
  EXPECT_EQ(*optional_integer(Json::parse(R"(["set",[7]])"), "tag"), 7);
  auto two = optional_integer(Json::parse(R"(["set",[1,2]])"), "tag");
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.error(), "column tag: expected at most one integer, got [\"set\",[1,2]]");
  auto text = optional_integer(Json("5"), "tag");
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error(), "column tag: expected at most one integer, got \"5\"");
  EXPECT_EQ(*optional_string(Json("internal"), "type"), "internal");
}

TEST(OvsdbDatum, SetsMapsAndUuids) {
  EXPECT_EQ(*integer_set(Json::parse(R"(["set",[10,20]])"), "trunks"),
            (std::vector<int64_t>{10, 20}));
  EXPECT_EQ(*integer_set(Json(10), "trunks"), (std::vector<int64_t>{10}));
  auto uuids = uuid_set(Json::parse(std::string(R"(["set",[["uuid",")") + kUuid1 +
                                    R"("],["uuid",")" + kUuid2 + R"("]]])"),
                        "ports");
  ASSERT_TRUE(uuids.ok()) << uuids.error();
  EXPECT_EQ(*uuids, (std::vector<std::string>{kUuid1, kUuid2}));
  auto single = uuid_set(Json::parse(std::string(R"(["uuid",")") + kUuid1 + R"("])"), "ports");
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->size(), 1u);
  auto bad = uuid_set(Json::parse(R"(["uuid","not-a-uuid"])"), "ports");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "column ports: \"\"not-a-uuid\"\" is not a UUID");
  auto map = string_map(Json::parse(R"(["map",[["a","1"],["b","2"]]])"), "options");
  ASSERT_TRUE(map.ok());
  EXPECT_EQ(map->at("b"), "2");
  auto bad_map = string_map(Json::parse(R"(["map",[["a",1]]])"), "options");
  ASSERT_FALSE(bad_map.ok());
  EXPECT_EQ(bad_map.error(), "column options: entry [\"a\", 1] is not a pair of strings");
  EXPECT_FALSE(string_map(Json::parse(R"(["map",[["a"]]])"), "options").ok());
  EXPECT_FALSE(string_map(Json::parse(R"(["set",[]])"), "options").ok());
  EXPECT_FALSE(decode_set(Json::object()).ok());
  EXPECT_FALSE(decode_set(Json::parse("[1,2,3]")).ok());
  EXPECT_EQ(encode_string_map({{"k", "v"}}).dump(), R"(["map",[["k","v"]]])");
  EXPECT_EQ(encode_set({}).dump(), R"(["set",[]])");
}

TEST(OvsdbFramer, SplitsBackToBackTextsAcrossReads) {
  JsonFramer framer;
  std::vector<std::string> out;
  ASSERT_TRUE(framer.feed(R"({"id":1,"s":"a}\"{"}{"id")", &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], R"({"id":1,"s":"a}\"{"})");
  ASSERT_TRUE(framer.feed(":2}\n  [1]", &out).ok());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[1], R"({"id":2})");
  EXPECT_EQ(out[2], "[1]");
  EXPECT_EQ(framer.buffered(), 0u);
}

TEST(OvsdbFramer, RefusesGarbageDepthAndSize) {
  std::vector<std::string> out;
  JsonFramer framer;
  auto st = framer.feed("hello", &out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), "a JSON-RPC message must be an object, got a text starting with 'h'");
  JsonFramer deep;
  st = deep.feed(std::string(100, '['), &out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), "a JSON-RPC message nests deeper than 64 levels");
  JsonFramer small(16);
  st = small.feed(R"({"a":"0123456789abcdef"})", &out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), "a JSON-RPC message is longer than 16 bytes");
}

TEST(OvsdbMessage, ClassifiesRequestsNotificationsReplies) {
  auto echo = decode_message(R"({"method":"echo","params":[],"id":"echo"})");
  ASSERT_TRUE(echo.ok());
  EXPECT_EQ(echo->kind, Message::Kind::kRequest);
  auto update = decode_message(R"({"method":"update","params":[null,{}],"id":null})");
  ASSERT_TRUE(update.ok());
  EXPECT_EQ(update->kind, Message::Kind::kNotification);
  auto reply = decode_message(R"({"result":{"locked":true},"error":null,"id":"lock"})");
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->kind, Message::Kind::kReply);
  EXPECT_EQ(reply->result["locked"], true);
}

TEST(OvsdbMessage, MalformedMessagesSayWhatIsWrong) {
  auto broken = decode_message(R"({"method":"echo",)");
  ASSERT_FALSE(broken.ok());
  EXPECT_TRUE(broken.error().starts_with("message is not valid JSON at byte 18")) << broken.error();
  EXPECT_EQ(decode_message("[1]").error(), "message is not a JSON object: [1]");
  EXPECT_EQ(decode_message(R"({"method":1,"params":[],"id":1})").error(),
            "\"method\" is not a string: {\"id\":1,\"method\":1,\"params\":[]}");
  EXPECT_EQ(decode_message(R"({"method":"update","params":{},"id":null})").error(),
            "request update has no \"params\" array: {\"id\":null,\"method\":\"update\",\"params\":{}}");
  EXPECT_EQ(decode_message(R"({"method":"echo","params":[]})").error(), "request echo has no \"id\"");
  EXPECT_EQ(decode_message(R"({"result":1})").error(), "reply has no \"id\": {\"result\":1}");
  EXPECT_EQ(decode_message(R"({"x":1})").error(),
            "message is neither a request (\"method\") nor a reply (\"result\"/\"error\"): "
            "{\"x\":1}");
}

TEST(OvsdbRemote, ParsesUnixAndTcp) {
  auto unix_remote = parse_remote("unix:/run/x/db.sock");
  ASSERT_TRUE(unix_remote.ok());
  EXPECT_EQ(unix_remote->path, "/run/x/db.sock");
  auto tcp = parse_remote("tcp:127.0.0.1:6640");
  ASSERT_TRUE(tcp.ok());
  EXPECT_EQ(tcp->host, "127.0.0.1");
  EXPECT_EQ(tcp->port, 6640);
  auto v6 = parse_remote("tcp:[::1]:6641");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(parse_remote("ssl:1.2.3.4:6640").error(),
            "remote \"ssl:1.2.3.4:6640\" is neither unix:PATH nor tcp:IP:PORT");
  EXPECT_EQ(parse_remote("tcp:127.0.0.1:0").error(),
            "remote \"tcp:127.0.0.1:0\": port \"0\" is not 1..65535");
  EXPECT_EQ(parse_remote("tcp:localhost:6640").error(),
            "remote \"tcp:localhost:6640\": \"localhost\" is not a numeric IPv4 or IPv6 address");
  EXPECT_EQ(parse_remote("unix:").error(), "remote \"unix:\" has no socket path");
}

TEST(OvsdbReplica, InitialInsertModifyDelete) {
  Replica replica;
  Json initial = Json::parse(std::string(R"({"Bridge":{")") + kUuid1 +
                             R"(":{"new":{"name":"br0","ports":["set",[]]}}}})");
  ASSERT_TRUE(replica.reset(initial).ok());
  ASSERT_NE(replica.row("Bridge", kUuid1), nullptr);
  EXPECT_EQ((*replica.row("Bridge", kUuid1))["name"], "br0");
  Json modify = Json::parse(std::string(R"({"Bridge":{")") + kUuid1 +
                            R"(":{"old":{"name":"br0"},"new":{"name":"br1","ports":["set",[]]}}}})");
  ASSERT_TRUE(replica.apply(modify).ok());
  EXPECT_EQ((*replica.row("Bridge", kUuid1))["name"], "br1");
  Json remove = Json::parse(std::string(R"({"Bridge":{")") + kUuid1 + R"(":{"old":{"name":"br1"}}}})");
  ASSERT_TRUE(replica.apply(remove).ok());
  EXPECT_EQ(replica.row("Bridge", kUuid1), nullptr);
  EXPECT_EQ(Replica::column(Json::object(), "ports"), Json::parse(R"(["set",[]])"));
}

TEST(OvsdbReplica, BadUpdateChangesNothing) {
  Replica replica;
  ASSERT_TRUE(replica.reset(Json::parse(std::string(R"({"Port":{")") + kUuid1 +
                                        R"(":{"new":{"name":"p1"}}}})"))
                  .ok());
  // The first row is fine, the second is not: neither is applied.
  Json update = Json::parse(std::string(R"({"Port":{")") + kUuid2 +
                            R"(":{"new":{"name":"p2"}},"nope":{"new":{}}}})");
  auto st = replica.apply(update);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), "table Port: \"nope\" is not a UUID");
  EXPECT_EQ(replica.row("Port", kUuid2), nullptr);
  EXPECT_EQ(replica.apply(Json::parse(std::string(R"({"Port":{")") + kUuid1 + R"(":{}}})")).error(),
            std::string("table Port row ") + kUuid1 + ": row update has neither \"old\" nor \"new\"");
  EXPECT_EQ(replica.apply(Json::parse(R"({"Port":[]})")).error(),
            "table Port: row updates are not an object: []");
  EXPECT_EQ(replica.apply(Json(3)).error(), "table-updates is not an object: 3");
  EXPECT_EQ(replica.table("Port").size(), 1u);
}

}  // namespace
}  // namespace flowpath::ovsdb
