#include "packet/checksum.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace flowpath {
namespace {

// Reference: RFC 1071 done the slow, obvious way on big-endian words.
uint16_t reference_sum(const std::vector<uint8_t>& bytes) {
  uint32_t sum = 0;
  for (size_t i = 0; i < bytes.size(); i += 2) {
    uint16_t word = static_cast<uint16_t>(bytes[i] << 8);
    if (i + 1 < bytes.size()) word |= bytes[i + 1];
    sum += word;
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<uint16_t>(sum);
}
uint16_t reference_checksum(const std::vector<uint8_t>& bytes) {
  return static_cast<uint16_t>(~reference_sum(bytes));
}

// Checksum values are in memory order: these are the two bytes on the wire.
std::vector<uint8_t> wire(be16 checksum) {
  uint8_t b[2];
  std::memcpy(b, &checksum, 2);
  return {b[0], b[1]};
}
std::vector<uint8_t> wire_of(uint16_t host_value) {
  return {static_cast<uint8_t>(host_value >> 8), static_cast<uint8_t>(host_value)};
}

// Reference CRC32c, bit by bit.
uint32_t reference_crc32c(const std::vector<uint8_t>& bytes) {
  uint32_t crc = 0xffffffff;
  for (uint8_t b : bytes) {
    crc ^= b;
    for (int i = 0; i < 8; ++i) crc = (crc & 1) ? (crc >> 1) ^ 0x82f63b78 : crc >> 1;
  }
  return ~crc;
}

std::vector<uint8_t> random_bytes(std::mt19937& rng, size_t n) {
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

TEST(InternetChecksum, Rfc1071Example) {
  std::vector<uint8_t> data = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(checksum_fold(checksum_add(0, data.data(), data.size())), hton16(0xddf2));
  EXPECT_EQ(wire(internet_checksum(data.data(), data.size())), (std::vector<uint8_t>{0x22, 0x0d}));
}

TEST(InternetChecksum, KnownIpv4Header) {
  std::vector<uint8_t> ip = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                             0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  EXPECT_EQ(wire(ipv4_header_checksum(ip.data(), ip.size())), (std::vector<uint8_t>{0xb8, 0x61}));
  // The stored field is ignored, and a valid header sums to zero.
  ip[10] = 0xb8;
  ip[11] = 0x61;
  EXPECT_EQ(wire(ipv4_header_checksum(ip.data(), ip.size())), (std::vector<uint8_t>{0xb8, 0x61}));
  EXPECT_EQ(internet_checksum(ip.data(), ip.size()), 0);
}

TEST(InternetChecksum, MatchesReferenceForEveryLengthAndOffset) {
  std::mt19937 rng(1);
  std::vector<uint8_t> big = random_bytes(rng, 300);
  for (size_t len = 0; len <= 260; ++len) {
    for (size_t start : {0, 1, 3}) {  // unaligned starts
      std::vector<uint8_t> data(big.begin() + start, big.begin() + start + len);
      ASSERT_EQ(wire(internet_checksum(big.data() + start, len)), wire_of(reference_checksum(data)))
          << "len " << len << " start " << start;
    }
  }
}

TEST(InternetChecksum, AllOnesDataDoesNotOverflow) {
  std::vector<uint8_t> data(65535, 0xff);
  EXPECT_EQ(wire(internet_checksum(data.data(), data.size())), wire_of(reference_checksum(data)));
}

TEST(InternetChecksum, ChainsOverEvenPieces) {
  std::mt19937 rng(2);
  std::vector<uint8_t> data = random_bytes(rng, 101);
  uint64_t sum = checksum_add(0, data.data(), 40);
  sum = checksum_add(sum, data.data() + 40, 36);
  sum = checksum_add(sum, data.data() + 76, 25);
  EXPECT_EQ(checksum_finish(sum), internet_checksum(data.data(), data.size()));
}

// Incremental updates must agree with recomputing from scratch.
TEST(InternetChecksum, IncrementalUpdatesMatchRecompute) {
  std::mt19937 rng(3);
  for (int round = 0; round < 2000; ++round) {
    std::vector<uint8_t> data = random_bytes(rng, 64);
    if (round % 7 == 0)
      for (size_t i = 0; i < 16; ++i) data[i] = 0;  // zero fields
    be16 before = internet_checksum(data.data(), data.size());
    std::vector<uint8_t> after = data;
    size_t at = 2 * (rng() % 20);  // even offset, room for 16 bytes
    size_t width = std::vector<size_t>{2, 4, 6, 16}[round % 4];
    for (size_t i = 0; i < width; ++i) after[at + i] = static_cast<uint8_t>(rng());
    be16 updated;
    switch (width) {
      case 2:
        updated = checksum_update16(before, load_unaligned<be16>(&data[at]),
                                    load_unaligned<be16>(&after[at]));
        break;
      case 4:
        updated = checksum_update32(before, load_unaligned<be32>(&data[at]),
                                    load_unaligned<be32>(&after[at]));
        break;
      case 6:
        updated = checksum_update_bytes(before, &data[at], &after[at], 6);
        break;
      default:
        updated = checksum_update128(before, &data[at], &after[at]);
        break;
    }
    be16 recomputed = internet_checksum(after.data(), after.size());
    // One's complement has two zeros; an update may land on the other one.
    uint16_t u = ntoh16(updated), r = ntoh16(recomputed);
    if (!((u == r) || (u == 0 && r == 0xffff) || (u == 0xffff && r == 0)))
      FAIL() << "round " << round << " width " << width << ": " << u << " vs " << r;
  }
}

TEST(InternetChecksum, PseudoHeaderIpv4MatchesReference) {
  std::mt19937 rng(4);
  std::vector<uint8_t> udp = random_bytes(rng, 27);
  be32 src = hton32(0x0a000001), dst = hton32(0xc0a80102);
  // Reference: pseudo-header bytes then the segment with its checksum zeroed.
  std::vector<uint8_t> all = {10, 0, 0, 1, 192, 168, 1, 2, 0, 17, 0, 27};
  std::vector<uint8_t> zeroed = udp;
  zeroed[6] = zeroed[7] = 0;
  all.insert(all.end(), zeroed.begin(), zeroed.end());
  be16 checksum =
      transport_checksum(pseudo_header_ipv4(src, dst, 17, 27), udp.data(), udp.size(), 6);
  EXPECT_EQ(wire(checksum), wire_of(reference_checksum(all)));
}

TEST(InternetChecksum, PseudoHeaderIpv6MatchesReference) {
  std::mt19937 rng(5);
  std::vector<uint8_t> src = random_bytes(rng, 16), dst = random_bytes(rng, 16);
  std::vector<uint8_t> tcp = random_bytes(rng, 40);
  std::vector<uint8_t> all = src;
  all.insert(all.end(), dst.begin(), dst.end());
  for (uint8_t b : {0, 0, 0, 40, 0, 0, 0, 6}) all.push_back(b);
  std::vector<uint8_t> zeroed = tcp;
  zeroed[16] = zeroed[17] = 0;
  all.insert(all.end(), zeroed.begin(), zeroed.end());
  be16 checksum = transport_checksum(pseudo_header_ipv6(src.data(), dst.data(), 6, 40), tcp.data(),
                                     tcp.size(), 16);
  EXPECT_EQ(wire(checksum), wire_of(reference_checksum(all)));
}

TEST(Crc32c, Rfc3720Vectors) {
  std::string digits = "123456789";
  EXPECT_EQ(crc32c(digits.data(), digits.size()), 0xe3069283u);
  std::vector<uint8_t> zeros(32, 0), ones(32, 0xff), ascending(32), descending(32);
  for (int i = 0; i < 32; ++i) {
    ascending[i] = static_cast<uint8_t>(i);
    descending[i] = static_cast<uint8_t>(31 - i);
  }
  for (auto* f : {&crc32c, &crc32c_portable}) {
    EXPECT_EQ(f(zeros.data(), 32, 0), 0x8a9136aau);
    EXPECT_EQ(f(ones.data(), 32, 0), 0x62a8ab43u);
    EXPECT_EQ(f(ascending.data(), 32, 0), 0x46dd794eu);
    EXPECT_EQ(f(descending.data(), 32, 0), 0x113fdb5cu);
  }
}

TEST(Crc32c, DispatchedAndPortableAgreeWithReference) {
  std::mt19937 rng(6);
  for (size_t len = 0; len < 200; ++len) {
    std::vector<uint8_t> data = random_bytes(rng, len);
    uint32_t expected = reference_crc32c(data);
    ASSERT_EQ(crc32c(data.data(), len), expected) << len;
    ASSERT_EQ(crc32c_portable(data.data(), len), expected) << len;
    size_t split = len / 3;
    ASSERT_EQ(crc32c(data.data() + split, len - split, crc32c(data.data(), split)), expected);
  }
}

TEST(Crc32c, SctpChecksumIgnoresStoredFieldAndIsLittleEndianOnTheWire) {
  std::mt19937 rng(7);
  std::vector<uint8_t> sctp = random_bytes(rng, 48);
  std::vector<uint8_t> zeroed(sctp.begin(), sctp.begin() + 8);
  zeroed.insert(zeroed.end(), 4, 0);
  zeroed.insert(zeroed.end(), sctp.begin() + 12, sctp.end());
  uint32_t crc = reference_crc32c(zeroed);
  uint32_t stored = sctp_checksum(sctp.data(), sctp.size());
  uint8_t bytes[4];
  std::memcpy(bytes, &stored, 4);
  EXPECT_EQ(bytes[0], static_cast<uint8_t>(crc));
  EXPECT_EQ(bytes[1], static_cast<uint8_t>(crc >> 8));
  EXPECT_EQ(bytes[2], static_cast<uint8_t>(crc >> 16));
  EXPECT_EQ(bytes[3], static_cast<uint8_t>(crc >> 24));
}

}  // namespace
}  // namespace flowpath
