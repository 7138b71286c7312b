// Test support for the action executor's tests: frame builders, reference
// checksums (written independently of src/packet/checksum), an action list
// builder and a context that records what leaves the executor.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "actions/action_execute.h"
#include "actions/meter.h"
#include "flow/key_extract.h"
#include "common/netlink.h"
#include "flow/odp_abi.h"
#include "packet/packet_pool.h"

namespace flowpath::action_test {

using Bytes = std::vector<uint8_t>;

// ---------------------------------------------------------------- bytes

inline Bytes hex(std::string_view text) {
  Bytes out;
  int high = -1;
  for (char c : text) {
    int v;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'f')
      v = c - 'a' + 10;
    else
      continue;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  return out;
}

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline void put16(Bytes& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}
inline uint16_t get16(const Bytes& b, size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}

// Reference checksum arithmetic, independent of src/packet/checksum.
inline uint32_t add_words(uint32_t sum, const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; i += 2) sum += (p[i] << 8) | (i + 1 < n ? p[i + 1] : 0);
  return sum;
}
inline uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}
inline uint32_t reference_crc32c(const uint8_t* p, size_t n) {
  uint32_t crc = 0xffffffff;
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? (crc >> 1) ^ 0x82f63b78 : crc >> 1;
  }
  return ~crc;
}

// Where the L3 and L4 headers of a test frame (Ethernet, optional VLAN
// tags, IPv4 without options or IPv6 without extension headers) are.
struct Layout {
  size_t l3 = 0, l4 = 0, l4_length = 0;
  bool ipv6 = false;
  uint8_t proto = 0;
};
inline Layout layout(const Bytes& f) {
  Layout l;
  l.l3 = 14;
  uint16_t type = get16(f, 12);
  while (type == 0x8100 || type == 0x88a8) {
    type = get16(f, l.l3 + 2);
    l.l3 += 4;
  }
  l.ipv6 = type == 0x86dd;
  if (l.ipv6) {
    l.proto = f[l.l3 + 6];
    l.l4 = l.l3 + 40;
    l.l4_length = get16(f, l.l3 + 4);
  } else {
    size_t ihl = (f[l.l3] & 0xf) * 4;
    l.proto = f[l.l3 + 9];
    l.l4 = l.l3 + ihl;
    l.l4_length = get16(f, l.l3 + 2) - ihl;
  }
  return l;
}

inline uint32_t pseudo_header_sum(const Bytes& f, const Layout& l) {
  uint32_t sum = l.ipv6 ? add_words(0, &f[l.l3 + 8], 32) : add_words(0, &f[l.l3 + 12], 8);
  return sum + l.proto + static_cast<uint32_t>(l.l4_length);
}

inline size_t checksum_offset(uint8_t proto) {
  switch (proto) {
    case 6:
      return 16;
    case 17:
      return 6;
    default:
      return 2;  // ICMP, ICMPv6
  }
}

// Fills the IPv4 header checksum and the L4 checksum of a test frame.
inline void fill_checksums(Bytes& f, bool udp_checksum = true) {
  Layout l = layout(f);
  if (!l.ipv6) {
    put16(f, l.l3 + 10, 0);
    put16(f, l.l3 + 10, static_cast<uint16_t>(~fold(add_words(0, &f[l.l3], 20))));
  }
  if (l.proto == 132) {
    for (size_t i = 8; i < 12; ++i) f.at(l.l4 + i) = 0;
    uint32_t crc = reference_crc32c(&f[l.l4], l.l4_length);
    for (int i = 0; i < 4; ++i) f[l.l4 + 8 + i] = static_cast<uint8_t>(crc >> (8 * i));
    return;
  }
  size_t at = l.l4 + checksum_offset(l.proto);
  put16(f, at, 0);
  if (l.proto == 17 && !udp_checksum) return;
  uint32_t sum = l.proto == 1 ? 0 : pseudo_header_sum(f, l);
  uint16_t checksum = static_cast<uint16_t>(~fold(add_words(sum, &f[l.l4], l.l4_length)));
  if (l.proto == 17 && checksum == 0) checksum = 0xffff;
  put16(f, at, checksum);
}

// Checks every checksum of a test frame against a full recomputation.
inline void expect_valid_checksums(const Bytes& f) {
  Layout l = layout(f);
  if (!l.ipv6) {
    EXPECT_EQ(fold(add_words(0, &f[l.l3], 20)), 0xffff) << "IPv4 header checksum";
  }
  if (l.proto == 132) {
    Bytes zeroed(f.begin() + l.l4, f.begin() + l.l4 + l.l4_length);
    for (size_t i = 8; i < 12; ++i) zeroed.at(i) = 0;
    uint32_t crc = reference_crc32c(zeroed.data(), zeroed.size());
    uint32_t stored = f[l.l4 + 8] | f[l.l4 + 9] << 8 | f[l.l4 + 10] << 16 |
                      static_cast<uint32_t>(f[l.l4 + 11]) << 24;
    EXPECT_EQ(stored, crc) << "SCTP CRC32c";
    return;
  }
  if (l.proto == 17 && get16(f, l.l4 + 6) == 0) return;  // no UDP checksum
  uint32_t sum = l.proto == 1 ? 0 : pseudo_header_sum(f, l);
  EXPECT_EQ(fold(add_words(sum, &f[l.l4], l.l4_length)), 0xffff)
      << "L4 checksum of protocol " << int(l.proto);
}

// ---------------------------------------------------------------- frames

inline const Bytes kEth = hex("000000000002 000000000001");  // dst, src
inline Bytes eth(uint16_t type) {
  return cat({kEth, {static_cast<uint8_t>(type >> 8), uint8_t(type)}});
}

inline Bytes ipv4(uint8_t proto, const Bytes& payload, const char* src = "0a000001",
                  const char* dst = "0a000002", uint16_t frag = 0x4000) {
  Bytes h = hex("4500 0000 0001 0000 4000 0000");
  put16(h, 2, static_cast<uint16_t>(20 + payload.size()));
  put16(h, 6, frag);
  h[9] = proto;
  return cat({h, hex(src), hex(dst), payload});
}
inline Bytes ipv6(uint8_t next, const Bytes& payload,
                  const char* src = "fe800000000000000000000000000001",
                  const char* dst = "fe800000000000000000000000000002") {
  Bytes h = hex("60000000 0000 00 40");
  put16(h, 4, static_cast<uint16_t>(payload.size()));
  h[6] = next;
  return cat({h, hex(src), hex(dst), payload});
}
inline Bytes tcp(uint16_t sport, uint16_t dport) {
  Bytes t = hex("0000 0000 00000001 00000000 5018 ffff 0000 0000 68656c6c6f");  // + "hello"
  put16(t, 0, sport);
  put16(t, 2, dport);
  return t;
}
inline Bytes udp(uint16_t sport, uint16_t dport, const Bytes& data = hex("6461746121")) {
  Bytes u = hex("0000 0000 0000 0000");
  put16(u, 0, sport);
  put16(u, 2, dport);
  put16(u, 4, static_cast<uint16_t>(8 + data.size()));
  return cat({u, data});
}
inline Bytes sctp(uint16_t sport, uint16_t dport) {
  Bytes s = hex("0000 0000 01020304 00000000  0001000c 00000000 00000000");  // + INIT-ish chunk
  put16(s, 0, sport);
  put16(s, 2, dport);
  return s;
}

inline Bytes ipv4_tcp() {
  Bytes f = cat({eth(0x0800), ipv4(6, tcp(1234, 80))});
  fill_checksums(f);
  return f;
}
inline Bytes ipv4_udp(bool with_checksum = true) {
  Bytes f = cat({eth(0x0800), ipv4(17, udp(1234, 53))});
  fill_checksums(f, with_checksum);
  return f;
}
inline Bytes ipv6_tcp() {
  Bytes f = cat({eth(0x86dd), ipv6(6, tcp(1234, 80))});
  fill_checksums(f);
  return f;
}
inline Bytes ipv6_udp() {
  Bytes f = cat({eth(0x86dd), ipv6(17, udp(1234, 53))});
  fill_checksums(f);
  return f;
}

// A fixed IPv4/UDP frame without UDP checksum, written out in full.
inline const Bytes kUdpFrame =
    hex("000000000002 000000000001 0800"
        "4500001c 00010000 4011 66ce 0a000001 0a000002"
        "04d2 0050 0008 0000");
inline const Bytes kUdpFrameIp = Bytes(kUdpFrame.begin() + 14, kUdpFrame.end());

// ---------------------------------------------------------------- actions

class Actions {
 public:
  Actions& output(uint32_t port) { return u32(odp::kActionOutput, port); }
  Actions& recirc(uint32_t id) { return u32(odp::kActionRecirc, id); }
  Actions& trunc(uint32_t max_len) { return u32(odp::kActionTrunc, max_len); }
  Actions& meter(uint32_t id) { return u32(odp::kActionMeter, id); }
  Actions& drop() { return u32(odp::kActionDrop, 0); }
  Actions& flag(uint16_t type) {
    writer().put_flag(type);
    return *this;
  }
  template <typename T>
  Actions& put(uint16_t type, const T& value) {
    writer().put_struct(type, value);
    return *this;
  }
  template <typename T>
  Actions& set(uint16_t key, const T& value) {
    size_t at = writer().begin_nested(odp::kActionSet);
    writer().put_struct(key, value);
    writer().end_nested(at);
    return *this;
  }
  template <typename T>
  Actions& set_masked(uint16_t key, const T& value, const T& mask) {
    size_t at = writer().begin_nested(odp::kActionSetMasked);
    uint8_t* p = writer().put_uninit(key, 2 * sizeof(T));
    std::memcpy(p, &value, sizeof(T));
    std::memcpy(p + sizeof(T), &mask, sizeof(T));
    writer().end_nested(at);
    return *this;
  }
  Actions& push_vlan(uint16_t tpid, uint16_t tci) {
    return put(odp::kActionPushVlan, odp::ActionPushVlan{hton16(tpid), hton16(tci)});
  }
  Actions& push_mpls(uint32_t lse, uint16_t type) {
    return put(odp::kActionPushMpls, odp::ActionPushMpls{hton32(lse), hton16(type)});
  }
  Actions& pop_mpls(uint16_t type) { return put(odp::kActionPopMpls, hton16(type)); }
  Actions& hash(uint32_t alg, uint32_t basis) {
    return put(odp::kActionHash, odp::ActionHash{alg, basis});
  }
  Actions& nested(uint16_t type, const Actions& inner) {
    size_t at = writer().begin_nested(type);
    bytes_.insert(bytes_.end(), inner.bytes_.begin(), inner.bytes_.end());
    writer().end_nested(at);
    return *this;
  }
  Actions& clone(const Actions& inner) { return nested(odp::kActionClone, inner); }
  Actions& sample(uint32_t probability, const Actions& inner) {
    size_t at = writer().begin_nested(odp::kActionSample);
    u32(odp::kSampleProbability, probability);
    nested(odp::kSampleActions, inner);
    writer().end_nested(at);
    return *this;
  }
  Actions& check_pkt_len(uint16_t length, const Actions& greater, const Actions& less_equal) {
    size_t at = writer().begin_nested(odp::kActionCheckPktLen);
    writer().put_u16(odp::kCheckPktLenPktLen, length);
    nested(odp::kCheckPktLenActionsIfGreater, greater);
    nested(odp::kCheckPktLenActionsIfLessEqual, less_equal);
    writer().end_nested(at);
    return *this;
  }
  Actions& raw_nested(uint16_t type, const Bytes& attributes) {
    size_t at = writer().begin_nested(type);
    bytes_.insert(bytes_.end(), attributes.begin(), attributes.end());
    writer().end_nested(at);
    bytes_.resize(nla_align(bytes_.size()), 0);  // the next attribute starts aligned
    return *this;
  }
  Actions& u32(uint16_t type, uint32_t v) {
    writer().put_u32(type, v);
    return *this;
  }
  std::span<const uint8_t> span() const { return bytes_; }

 private:
  NetlinkWriter writer() { return NetlinkWriter(&bytes_); }
  Bytes bytes_;
};

// Nested attributes built by hand (tunnel keys, userspace, ct, NSH).
class Attributes {
 public:
  template <typename T>
  Attributes& put(uint16_t type, const T& value) {
    NetlinkWriter(&bytes_).put_struct(type, value);
    return *this;
  }
  Attributes& put_bytes(uint16_t type, const Bytes& value) {
    NetlinkWriter(&bytes_).put(type, value.data(), value.size());
    return *this;
  }
  Attributes& flag(uint16_t type) {
    NetlinkWriter(&bytes_).put_flag(type);
    return *this;
  }
  const Bytes& bytes() const { return bytes_; }

 private:
  Bytes bytes_;
};

// ---------------------------------------------------------------- context

struct Sent {
  uint32_t port;
  Bytes bytes;
  PacketMetadata md;
  const Packet* packet;  // identity: was it the original or a copy?
  uint16_t l2_5, l3;
};

inline Sent record(uint32_t port, const Packet& p) {
  return Sent{port, Bytes(p.data(), p.data() + p.size()), p.md, &p, p.l2_5_offset, p.l3_offset};
}

class TestContext : public ActionContext {
 public:
  explicit TestContext(PacketPool& pool) : ActionContext(pool) {}

  void output(uint32_t port, PacketBatch& batch) override {
    ++output_calls;
    for (Packet* p : batch) {
      sent.push_back(record(port, *p));
      p->pool()->release(p);
    }
  }
  void userspace(const PacketBatch& batch, const UserspaceRequest& request) override {
    for (size_t i = 0; i < batch.size(); ++i) {
      upcalls.push_back(record(request.pid, *batch[i]));
      upcall_cuts.push_back(request.cut.empty() ? 0 : request.cut[i]);
    }
    last_request = request;
  }
  void recirculate(PacketBatch& batch, uint32_t recirc_id) override {
    for (Packet* p : batch) {
      recirculated.push_back(record(recirc_id, *p));
      p->pool()->release(p);
    }
  }
  uint32_t meter(uint32_t meter_id, const PacketBatch& batch) override {
    if (meters != nullptr) return meters->execute(meter_id, batch);
    return meter_pass;
  }

  std::vector<Sent> sent, upcalls, recirculated;
  std::vector<uint32_t> upcall_cuts;
  UserspaceRequest last_request;
  int output_calls = 0;
  uint32_t meter_pass = 0xffffffff;
  MeterTable* meters = nullptr;
};

class ActionExecuteTest : public ::testing::Test {
 protected:
  PacketPool pool{64};
  TestContext ctx{pool};
  const uint32_t start = pool.available();

  void TearDown() override { EXPECT_EQ(pool.available(), start) << "packets leaked"; }

  // A packet holding `frame`, parsed so its layer offsets are set.
  Packet* packet(const Bytes& frame, be32 packet_type = 0) {
    Packet* p = pool.allocate();
    // (assign() of nothing would memcpy from a null pointer)
    if (!frame.empty()) {
      EXPECT_TRUE(p->assign(frame.data(), static_cast<uint32_t>(frame.size())));
    }
    p->md.in_port = 1;
    p->md.packet_type = packet_type;
    FlowKey key;
    extract_key(*p, &key);
    return p;
  }
  void run(std::initializer_list<Packet*> packets, const Actions& actions) {
    PacketBatch batch;
    for (Packet* p : packets) batch.add(p);
    execute_actions(batch, actions.span(), ctx);
    EXPECT_TRUE(batch.empty());
  }
  // Runs actions on one frame and returns what reached port 1.
  Bytes run_one(const Bytes& frame, Actions actions, be32 packet_type = 0) {
    ctx.sent.clear();
    run({packet(frame, packet_type)}, actions.output(1));
    EXPECT_EQ(ctx.sent.size(), 1u);
    return ctx.sent.empty() ? Bytes{} : ctx.sent.back().bytes;
  }
};

inline be32 l3_type(uint16_t ethertype) { return hton32((1u << 16) | ethertype); }

inline odp::KeyIpv4 ipv4_key(uint32_t src, uint32_t dst, uint8_t tos = 0, uint8_t ttl = 64) {
  return odp::KeyIpv4{hton32(src), hton32(dst), 0, tos, ttl, 0};
}
inline void copy_hex(uint8_t* to, const char* text) {
  Bytes b = hex(text);
  std::memcpy(to, b.data(), b.size());
}

}  // namespace flowpath::action_test
