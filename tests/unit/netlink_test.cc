// NetlinkWriter, parse_attributes and for_each_attribute: header layout,
// 4-byte alignment, nesting, the overflow flag and every malformed-buffer
// error.
#include "common/netlink.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace flowpath {
namespace {

using Bytes = std::vector<uint8_t>;

TEST(NetlinkWriter, FixedSizeAttributesArePaddedToFourBytes) {
  NetlinkWriter w;
  w.put_u8(1, 0xab);
  w.put_u16(2, 0x1234);
  w.put_u32(3, 0xdeadbeef);
  w.put_u64(4, 0x0102030405060708ULL);
  w.put_flag(5);
  // Little-endian host: u16/u32/u64 payloads are in host order.
  Bytes expected = {
      5, 0, 1, 0, 0xab, 0, 0, 0,                          // u8: len 5, 3 pad bytes
      6, 0, 2, 0, 0x34, 0x12, 0, 0,                       // u16: len 6, 2 pad bytes
      8, 0, 3, 0, 0xef, 0xbe, 0xad, 0xde,                 // u32: len 8
      12, 0, 4, 0, 8, 7, 6, 5, 4, 3, 2, 1,                // u64: len 12
      4, 0, 5, 0,                                         // flag: header only
  };
  EXPECT_EQ(w.bytes(), expected);
  EXPECT_TRUE(w.ok());
}

TEST(NetlinkWriter, StringIsNulTerminatedAndPadded) {
  NetlinkWriter w;
  w.put_string(7, "abc");
  EXPECT_EQ(w.bytes(), (Bytes{8, 0, 7, 0, 'a', 'b', 'c', 0}));
  NetlinkWriter w2;
  w2.put_string(7, "abcd");
  EXPECT_EQ(w2.bytes(), (Bytes{9, 0, 7, 0, 'a', 'b', 'c', 'd', 0, 0, 0, 0}));
}

TEST(NetlinkWriter, PutUninitReturnsZeroedPayload) {
  NetlinkWriter w;
  uint8_t* p = w.put_uninit(9, 3);
  EXPECT_EQ(p[0], 0);
  p[0] = 1;
  p[2] = 3;
  EXPECT_EQ(w.bytes(), (Bytes{7, 0, 9, 0, 1, 0, 3, 0}));
}

TEST(NetlinkWriter, NestedLengthCoversChildren) {
  NetlinkWriter w;
  size_t outer = w.begin_nested(1);
  w.put_u8(2, 9);
  size_t inner = w.begin_nested(3);
  w.put_u16(4, 0x0102);
  w.end_nested(inner);
  w.end_nested(outer);
  Bytes expected = {
      24, 0, 1, 0,                  // outer: 4 + 8 + 12
      5, 0, 2, 0, 9, 0, 0, 0,       // u8
      12, 0, 3, 0,                  // inner: 4 + 8
      6, 0, 4, 0, 2, 1, 0, 0,       // u16
  };
  EXPECT_EQ(w.bytes(), expected);
}

TEST(NetlinkWriter, EmptyNestedIsHeaderOnly) {
  NetlinkWriter w;
  w.end_nested(w.begin_nested(6));
  EXPECT_EQ(w.bytes(), (Bytes{4, 0, 6, 0}));
}

TEST(NetlinkWriter, TruncateDropsAttributes) {
  NetlinkWriter w;
  w.put_u32(1, 1);
  size_t mark = w.size();
  w.put_u32(2, 2);
  w.truncate(mark);
  EXPECT_EQ(w.bytes(), (Bytes{8, 0, 1, 0, 1, 0, 0, 0}));
}

TEST(NetlinkWriter, AppendsToCallersVector) {
  Bytes out = {0xaa};
  NetlinkWriter w(&out);
  w.put_flag(2);
  EXPECT_EQ(out, (Bytes{0xaa, 4, 0, 2, 0}));
  EXPECT_EQ(&w.bytes(), &out);
}

TEST(NetlinkWriter, OversizedAttributeClearsOk) {
  NetlinkWriter w;
  std::vector<uint8_t> big(65532, 0x5a);
  w.put(1, big.data(), big.size());  // 4 + 65532 = 65536: one byte too many
  EXPECT_FALSE(w.ok());

  NetlinkWriter fits;
  fits.put(1, big.data(), 65531);  // exactly 65535
  EXPECT_TRUE(fits.ok());
}

TEST(NetlinkWriter, OversizedNestedClearsOk) {
  NetlinkWriter w;
  size_t nested = w.begin_nested(1);
  std::vector<uint8_t> chunk(60000, 1);
  w.put(2, chunk.data(), chunk.size());
  EXPECT_TRUE(w.ok());
  w.put(3, chunk.data(), 10000);
  w.end_nested(nested);
  EXPECT_FALSE(w.ok());
}

TEST(ParseAttributes, ReadsTypesAndPayloads) {
  NetlinkWriter w;
  w.put_u8(1, 7);
  w.put_u32(2, 0x11223344);
  w.put_flag(3);
  auto attrs = parse_attributes(w.bytes());
  ASSERT_TRUE(attrs.ok()) << attrs.error();
  ASSERT_EQ(attrs->size(), 3u);
  EXPECT_EQ((*attrs)[0].type, 1);
  EXPECT_EQ((*attrs)[0].size(), 1u);
  EXPECT_EQ((*attrs)[0].get_u8(), 7);
  EXPECT_EQ((*attrs)[1].type, 2);
  EXPECT_EQ((*attrs)[1].get_u32(), 0x11223344u);
  EXPECT_EQ((*attrs)[2].type, 3);
  EXPECT_EQ((*attrs)[2].size(), 0u);
}

TEST(ParseAttributes, StripsNestedAndByteOrderFlags) {
  Bytes buf = {4, 0, 0x05, 0x80, 4, 0, 0x06, 0x40};  // NLA_F_NESTED, NLA_F_NET_BYTEORDER
  auto attrs = parse_attributes(buf);
  ASSERT_TRUE(attrs.ok());
  EXPECT_EQ((*attrs)[0].type, 5);
  EXPECT_EQ((*attrs)[1].type, 6);
}

TEST(ParseAttributes, NestedPayloadParsesAgain) {
  NetlinkWriter w;
  size_t n = w.begin_nested(1);
  w.put_u16(2, 5);
  w.put_u16(3, 6);
  w.end_nested(n);
  auto outer = parse_attributes(w.bytes());
  ASSERT_TRUE(outer.ok());
  ASSERT_EQ(outer->size(), 1u);
  auto inner = parse_attributes((*outer)[0].payload);
  ASSERT_TRUE(inner.ok());
  ASSERT_EQ(inner->size(), 2u);
  EXPECT_EQ((*inner)[1].type, 3);
  EXPECT_EQ((*inner)[1].get_u16(), 6);
}

TEST(ParseAttributes, EmptyBufferHasNoAttributes) {
  auto attrs = parse_attributes({});
  ASSERT_TRUE(attrs.ok());
  EXPECT_TRUE(attrs->empty());
}

TEST(ParseAttributes, LastAttributeMayLackTrailingPadding) {
  Bytes buf = {5, 0, 1, 0, 0x42};  // no padding after the 1-byte payload
  auto attrs = parse_attributes(buf);
  ASSERT_TRUE(attrs.ok()) << attrs.error();
  ASSERT_EQ(attrs->size(), 1u);
  EXPECT_EQ((*attrs)[0].get_u8(), 0x42);
}

TEST(ParseAttributes, TruncatedHeader) {
  Bytes buf = {8, 0, 1, 0, 1, 2, 3, 4, 9, 0};  // a whole attribute then 2 stray bytes
  auto attrs = parse_attributes(buf);
  ASSERT_FALSE(attrs.ok());
  EXPECT_EQ(attrs.error(), "truncated netlink attribute header at offset 8");
}

TEST(ParseAttributes, LengthPastBuffer) {
  Bytes buf = {12, 0, 1, 0, 1, 2, 3, 4};
  auto attrs = parse_attributes(buf);
  ASSERT_FALSE(attrs.ok());
  EXPECT_EQ(attrs.error(), "netlink attribute at offset 0 has bad length 12 (8 bytes left)");
}

TEST(ParseAttributes, LengthSmallerThanHeader) {
  Bytes buf = {8, 0, 1, 0, 0, 0, 0, 0, 3, 0, 2, 0};
  auto attrs = parse_attributes(buf);
  ASSERT_FALSE(attrs.ok());
  EXPECT_EQ(attrs.error(), "netlink attribute at offset 8 has bad length 3 (4 bytes left)");
}

TEST(ForEachAttribute, StopsAtFirstCallbackError) {
  NetlinkWriter w;
  w.put_u8(1, 1);
  w.put_u8(2, 2);
  w.put_u8(3, 3);
  std::vector<uint16_t> seen;
  auto st = for_each_attribute(w.bytes(), [&](const NetlinkAttr& a) -> Status {
    seen.push_back(a.type);
    if (a.type == 2) return make_error("stop at 2");
    return Ok{};
  });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), "stop at 2");
  EXPECT_EQ(seen, (std::vector<uint16_t>{1, 2}));
}

TEST(ForEachAttribute, VisitsAttributesBeforeAMalformedOne) {
  Bytes buf = {5, 0, 1, 0, 7, 0, 0, 0, 2, 0};
  int visited = 0;
  auto st = for_each_attribute(buf, [&](const NetlinkAttr&) -> Status {
    ++visited;
    return Ok{};
  });
  EXPECT_EQ(visited, 1);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), "truncated netlink attribute header at offset 8");
}

TEST(NlaAlign, RoundsUpToFour) {
  EXPECT_EQ(nla_align(0), 0u);
  EXPECT_EQ(nla_align(1), 4u);
  EXPECT_EQ(nla_align(4), 4u);
  EXPECT_EQ(nla_align(5), 8u);
}

}  // namespace
}  // namespace flowpath
