// Frames for the connection tracker's tests: Ethernet + IPv4/IPv6 + TCP,
// UDP, ICMP/ICMPv6 (queries and errors quoting another packet), with
// correct IPv4 header checksums, run through a Conntrack one at a time.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "conntrack/conntrack.h"
#include "flow/key_extract.h"
#include "flow/odp_abi.h"
#include "common/rcu.h"
#include "packet/checksum.h"
#include "packet/packet_pool.h"

namespace flowpath::conntrack_test {

using Bytes = std::vector<uint8_t>;

struct Ends {
  std::string src, dst;  // IPv4 or IPv6 addresses
  uint16_t sport = 0, dport = 0;
};

inline bool is_v6(const std::string& a) { return a.find(':') != std::string::npos; }

// Appends `tail` (byte by byte: GCC 12 warns wrongly about insert() and resize()).
inline void append(Bytes& b, const Bytes& tail) {
  b.reserve(b.size() + tail.size());
  for (uint8_t byte : tail) b.push_back(byte);
}

inline void put16(Bytes& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}
inline void put32(Bytes& b, size_t at, uint32_t v) {
  put16(b, at, static_cast<uint16_t>(v >> 16));
  put16(b, at + 2, static_cast<uint16_t>(v));
}

// An IP packet (no Ethernet header) carrying `proto` with `l4` bytes.
inline Bytes ip_packet(const std::string& src, const std::string& dst, uint8_t proto,
                       const Bytes& l4) {
  Bytes b;
  if (is_v6(src)) {
    b.assign(40, 0);
    b[0] = 0x60;
    put16(b, 4, static_cast<uint16_t>(l4.size()));
    b[6] = proto;
    b[7] = 64;
    inet_pton(AF_INET6, src.c_str(), &b[8]);
    inet_pton(AF_INET6, dst.c_str(), &b[24]);
  } else {
    b.assign(20, 0);
    b[0] = 0x45;
    put16(b, 2, static_cast<uint16_t>(20 + l4.size()));
    b[8] = 64;
    b[9] = proto;
    inet_pton(AF_INET, src.c_str(), &b[12]);
    inet_pton(AF_INET, dst.c_str(), &b[16]);
    be16 sum = ipv4_header_checksum(b.data(), 20);
    std::memcpy(&b[10], &sum, 2);
  }
  append(b, l4);
  return b;
}

inline Bytes ethernet(const Bytes& ip, bool v6) {
  Bytes b = {0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, static_cast<uint8_t>(v6 ? 0x86 : 0x08),
             static_cast<uint8_t>(v6 ? 0xdd : 0x00)};
  append(b, ip);
  return b;
}

inline Bytes tcp_header(uint16_t sport, uint16_t dport, uint16_t flags, uint32_t seq, uint32_t ack,
                        uint16_t window = 65535, size_t payload = 0, int wscale = -1) {
  size_t header = wscale >= 0 ? 24 : 20;
  Bytes b(header + payload, 0);
  put16(b, 0, sport);
  put16(b, 2, dport);
  put32(b, 4, seq);
  put32(b, 8, ack);
  b[12] = static_cast<uint8_t>((header / 4) << 4);
  b[13] = static_cast<uint8_t>(flags);
  put16(b, 14, window);
  if (wscale >= 0) {
    b[20] = 3;  // window scale
    b[21] = 3;
    b[22] = static_cast<uint8_t>(wscale);
    b[23] = 0;  // end of options
  }
  return b;
}

inline Bytes udp_header(uint16_t sport, uint16_t dport, size_t payload = 4) {
  Bytes b(8 + payload, 0);
  put16(b, 0, sport);
  put16(b, 2, dport);
  put16(b, 4, static_cast<uint16_t>(8 + payload));
  return b;
}

inline Bytes icmp_header(uint8_t type, uint8_t code, uint16_t id, uint16_t seq = 1) {
  Bytes b(8, 0);
  b[0] = type;
  b[1] = code;
  put16(b, 4, id);
  put16(b, 6, seq);
  return b;
}

// An ICMP/ICMPv6 error quoting `quoted` (an IP packet).
inline Bytes icmp_error(uint8_t type, uint8_t code, const Bytes& quoted) {
  Bytes b(8, 0);
  b[0] = type;
  b[1] = code;
  append(b, quoted);
  return b;
}

inline Bytes frame(const std::string& src, const std::string& dst, uint8_t proto, const Bytes& l4) {
  return ethernet(ip_packet(src, dst, proto, l4), is_v6(src));
}

// What ct() left on a packet.
struct CtResult {
  uint32_t state = 0;
  uint16_t zone = 0;
  uint32_t mark = 0;
  uint8_t label[16] = {};
  ConntrackTuple tuple = {};
};

inline constexpr uint32_t kTrk = odp::kCsTracked, kNew = odp::kCsNew, kEst = odp::kCsEstablished,
                          kRel = odp::kCsRelated, kRpl = odp::kCsReplyDir, kInv = odp::kCsInvalid;

class Tracker {
 public:
  explicit Tracker(uint32_t bucket_bits = 10) : ct(bucket_bits), pool(8) {}

  CtResult run(const Bytes& bytes, const conntrack::CtRequest& request, uint64_t now_ms = 1000) {
    Packet* p = pool.allocate();
    EXPECT_NE(p, nullptr);
    EXPECT_TRUE(p->assign(bytes.data(), static_cast<uint32_t>(bytes.size())));
    FlowKey key;
    extract_key(*p, &key);
    PacketBatch batch;
    batch.add(p);
    {
      rcu::ReadSection section;
      ct.execute(batch, request, now_ms);
    }
    CtResult r;
    r.state = p->md.ct_state;
    r.zone = p->md.ct_zone;
    r.mark = p->md.ct_mark;
    std::memcpy(r.label, p->md.ct_label, 16);
    r.tuple = p->md.ct_orig_tuple;
    pool.release(p);
    return r;
  }
  CtResult commit(const Bytes& bytes, uint16_t zone = 0, uint64_t now_ms = 1000) {
    conntrack::CtRequest r;
    r.commit = true;
    r.zone = zone;
    return run(bytes, r, now_ms);
  }
  CtResult look(const Bytes& bytes, uint16_t zone = 0, uint64_t now_ms = 1000) {
    conntrack::CtRequest r;
    r.zone = zone;
    return run(bytes, r, now_ms);
  }

  conntrack::Conntrack ct;
  PacketPool pool;
};

}  // namespace flowpath::conntrack_test
