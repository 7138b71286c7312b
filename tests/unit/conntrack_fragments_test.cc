// IP fragment reassembly in front of the connection tracker
// (conntrack/fragment_store.h): IPv4 and IPv6 datagrams in order, out of
// order, overlapping, too many, too small, timed out, past 65,535 bytes,
// IPv6 extension header chains, tracking and NAT of the whole packet and
// what its fragments carry on.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "conntrack/fragment_store.h"
#include "conntrack_test_support.h"

namespace flowpath::conntrack_test {
namespace {

using conntrack::FragmentStore;
using Result = FragmentStore::Result;

// Splits an IPv4 packet (no Ethernet header) into Ethernet frames of
// fragments carrying `sizes` payload bytes each (the last takes the rest).
std::vector<Bytes> fragment_v4(const Bytes& ip, const std::vector<size_t>& sizes, uint16_t id) {
  const size_t ihl = (ip[0] & 0x0f) * 4u;
  const size_t payload = ip.size() - ihl;
  std::vector<Bytes> out;
  size_t at = 0;
  for (size_t i = 0; at < payload; ++i) {
    size_t n = i < sizes.size() ? std::min(sizes[i], payload - at) : payload - at;
    Bytes f(ip.begin(), ip.begin() + static_cast<long>(ihl));
    for (size_t j = 0; j < n; ++j) f.push_back(ip[ihl + at + j]);
    put16(f, 2, static_cast<uint16_t>(ihl + n));
    put16(f, 4, id);
    const bool more = at + n < payload;
    put16(f, 6, static_cast<uint16_t>((more ? 0x2000 : 0) | (at / 8)));
    put16(f, 10, 0);
    be16 sum = ipv4_header_checksum(f.data(), ihl);
    std::memcpy(&f[10], &sum, 2);
    out.push_back(ethernet(f, false));
    at += n;
  }
  return out;
}

// Splits an IPv6 packet whose headers before the payload are `unfragmentable`
// bytes long (the IPv6 header and any extension headers the fragment
// header follows; `next_at` names the byte that gives the next header).
std::vector<Bytes> fragment_v6(const Bytes& ip, size_t unfragmentable, size_t next_at,
                               const std::vector<size_t>& sizes, uint32_t id) {
  const size_t payload = ip.size() - unfragmentable;
  const uint8_t next = ip[next_at];
  std::vector<Bytes> out;
  size_t at = 0;
  for (size_t i = 0; at < payload; ++i) {
    size_t n = i < sizes.size() ? std::min(sizes[i], payload - at) : payload - at;
    Bytes f(ip.begin(), ip.begin() + static_cast<long>(unfragmentable));
    f[next_at] = 44;
    const bool more = at + n < payload;
    Bytes header(8, 0);
    header[0] = next;
    put16(header, 2, static_cast<uint16_t>(at | (more ? 1 : 0)));
    put32(header, 4, id);
    append(f, header);
    for (size_t j = 0; j < n; ++j) f.push_back(ip[unfragmentable + at + j]);
    put16(f, 4, static_cast<uint16_t>(f.size() - 40));
    out.push_back(ethernet(f, true));
    at += n;
  }
  return out;
}

Bytes udp_datagram(const std::string& src, const std::string& dst, size_t payload) {
  Bytes udp = udp_header(40000, 9999, payload);
  for (size_t i = 0; i < payload; ++i) udp[8 + i] = static_cast<uint8_t>(i * 7);
  return ip_packet(src, dst, 17, udp);
}

class FragmentTest : public ::testing::Test {
 protected:
  FragmentTest() : pool(64, PacketPool::kStandardBufferSize, 4) {}

  // A packet as the datapath's key extraction leaves it.
  Packet* packet(const Bytes& bytes) {
    Packet* p = pool.allocate();
    EXPECT_NE(p, nullptr);
    EXPECT_TRUE(p->assign(bytes.data(), static_cast<uint32_t>(bytes.size())));
    FlowKey key;
    extract_key(*p, &key);
    return p;
  }
  Result add(const Bytes& bytes, uint64_t now = 1000, uint16_t zone = 0) {
    Packet* p = packet(bytes);
    Result r = store().add(*p, zone, now, &datagram);
    pool.release(p);
    return r;
  }
  // The whole packet of the completed datagram, tracked with `request`.
  Packet* track(const conntrack::CtRequest& request) {
    Packet* whole = pool.allocate(store().whole_size(datagram));
    EXPECT_NE(whole, nullptr);
    store().reassemble(datagram, *whole);
    PacketBatch one;
    one.add(whole);
    rcu::ReadSection section;
    EXPECT_EQ(ct.execute(one, request, 1000) & 1, 1u);
    return whole;
  }
  // The fragments as they go on.
  std::vector<Bytes> emit(Packet* whole, std::vector<uint32_t>* states = nullptr) {
    std::vector<Bytes> out;
    bool all = false;
    while (!all) {
      PacketBatch batch;
      uint32_t no_buffer = 0;
      all = store().emit(datagram, *whole, pool, batch, &no_buffer);
      EXPECT_EQ(no_buffer, 0u);
      for (Packet* p : batch) {
        out.emplace_back(p->data(), p->data() + p->size());
        if (states) states->push_back(p->md.ct_state);
        pool.release(p);
      }
    }
    pool.release(whole);
    return out;
  }
  FragmentStore& store() { return ct.fragments(); }

  conntrack::Conntrack ct{10};
  PacketPool pool;
  uint32_t datagram = 0;
};

TEST_F(FragmentTest, InOrderIpv4IsReassembledTrackedAndSentOnAsItCame) {
  const Bytes ip = udp_datagram("10.0.0.1", "10.0.0.2", 3000);
  auto frags = fragment_v4(ip, {1480, 1480}, 77);
  ASSERT_EQ(frags.size(), 3u);
  EXPECT_EQ(add(frags[0]), Result::kHeld);
  EXPECT_EQ(add(frags[1]), Result::kHeld);
  EXPECT_EQ(store().status().fragments, 2u);
  EXPECT_EQ(store().status().datagrams, 1u);
  ASSERT_EQ(add(frags[2]), Result::kCompleted);
  EXPECT_EQ(store().whole_size(datagram), 14 + ip.size());

  conntrack::CtRequest commit;
  commit.commit = true;
  commit.zone = 0;
  Packet* whole = track(commit);
  // The whole packet is the original one (with the fragments' id), and ct
  // saw its ports.
  Bytes original = ip;
  put16(original, 4, 77);
  put16(original, 10, 0);
  be16 sum = ipv4_header_checksum(original.data(), 20);
  std::memcpy(&original[10], &sum, 2);
  EXPECT_EQ(Bytes(whole->data(), whole->data() + whole->size()), ethernet(original, false));
  EXPECT_EQ(whole->md.ct_state, kTrk | kNew);
  EXPECT_EQ(ntoh16(whole->md.ct_orig_tuple.dst_port), 9999);

  std::vector<uint32_t> states;
  EXPECT_EQ(emit(whole, &states), frags);
  EXPECT_EQ(states, std::vector<uint32_t>(3, kTrk | kNew));
  auto s = store().status();
  EXPECT_EQ(s.fragments, 0u);
  EXPECT_EQ(s.datagrams, 0u);
  EXPECT_EQ(s.v4.accepted, 3u);
  EXPECT_EQ(s.v4.completed, 3u);
  EXPECT_EQ(ct.connection_count(), 1u);
}

TEST_F(FragmentTest, OutOfOrderIpv4ReplyIsEstablished) {
  conntrack::CtRequest commit;
  commit.commit = true;
  const Bytes request = udp_datagram("10.0.0.1", "10.0.0.2", 2000);
  auto frags = fragment_v4(request, {1480}, 5);
  ASSERT_EQ(add(frags[1]), Result::kHeld);
  ASSERT_EQ(add(frags[0]), Result::kCompleted);
  emit(track(commit));

  Bytes udp = udp_header(9999, 40000, 4000);
  const Bytes reply = ip_packet("10.0.0.2", "10.0.0.1", 17, udp);
  auto back = fragment_v4(reply, {1208, 1208, 1208}, 6);
  ASSERT_EQ(back.size(), 4u);
  EXPECT_EQ(add(back[3]), Result::kHeld);
  EXPECT_EQ(add(back[1]), Result::kHeld);
  EXPECT_EQ(add(back[2]), Result::kHeld);
  ASSERT_EQ(add(back[0]), Result::kCompleted);
  std::vector<uint32_t> states;
  EXPECT_EQ(emit(track(commit), &states), back);  // sent on in offset order
  EXPECT_EQ(states, std::vector<uint32_t>(4, kTrk | kEst | kRpl));
}

TEST_F(FragmentTest, OverlappingAndDuplicateFragmentsAreDropped) {
  const Bytes ip = udp_datagram("10.0.0.1", "10.0.0.2", 3000);
  auto frags = fragment_v4(ip, {1480, 1480}, 9);
  ASSERT_EQ(add(frags[0]), Result::kHeld);
  EXPECT_EQ(add(frags[0]), Result::kOverlap);  // a duplicate
  // One starting inside the first.
  auto shifted = fragment_v4(ip, {1200, 1480}, 9);
  EXPECT_EQ(add(shifted[1]), Result::kOverlap);
  EXPECT_EQ(store().status().v4.overlapped, 2u);
  EXPECT_EQ(store().status().fragments, 1u);
  // The datagram still completes from the right pieces.
  EXPECT_EQ(add(frags[1]), Result::kHeld);
  EXPECT_EQ(add(frags[2]), Result::kCompleted);
  conntrack::CtRequest look;
  EXPECT_EQ(emit(track(look)), frags);
}

TEST_F(FragmentTest, FragmentPastTheEndTheLastOneSetIsOversized) {
  const Bytes ip = udp_datagram("10.0.0.1", "10.0.0.2", 3000);
  auto frags = fragment_v4(ip, {1480, 1480}, 10);
  ASSERT_EQ(add(frags[2]), Result::kHeld);  // the last: the datagram ends at 3008
  Bytes beyond = frags[1];
  put16(beyond, 14 + 6, static_cast<uint16_t>(0x2000 | (3008 / 8)));
  put16(beyond, 14 + 10, 0);
  be16 sum = ipv4_header_checksum(&beyond[14], 20);
  std::memcpy(&beyond[14 + 10], &sum, 2);
  EXPECT_EQ(add(beyond), Result::kOversized);
  EXPECT_EQ(store().status().v4.oversized, 1u);
}

TEST_F(FragmentTest, DatagramBeyond65535BytesIsOversized) {
  const Bytes ip = udp_datagram("10.0.0.1", "10.0.0.2", 1472);
  auto frags = fragment_v4(ip, {1480}, 11);
  ASSERT_EQ(frags.size(), 1u);
  Bytes last = frags[0];  // a last fragment at offset 65000
  put16(last, 14 + 6, static_cast<uint16_t>(65000 / 8));
  put16(last, 14 + 10, 0);
  be16 sum = ipv4_header_checksum(&last[14], 20);
  std::memcpy(&last[14 + 10], &sum, 2);
  EXPECT_EQ(add(last), Result::kOversized);
  EXPECT_EQ(store().status().fragments, 0u);
  EXPECT_EQ(store().status().v4.oversized, 1u);
}

TEST_F(FragmentTest, SmallFragmentsAreNotHeldAndTrackedInvalid) {
  const Bytes ip = udp_datagram("10.0.0.1", "10.0.0.2", 2000);
  auto frags = fragment_v4(ip, {504}, 12);  // 524 bytes < 1200
  EXPECT_EQ(add(frags[0]), Result::kPassed);
  EXPECT_EQ(store().status().v4.too_small, 1u);
  // ct marks a fragment it is given invalid.
  Tracker t;
  EXPECT_EQ(t.look(frags[0]).state, kTrk | kInv);
  // Allowed once the minimum is lowered; the last fragment may be small.
  EXPECT_EQ(store().set_min_fragment_size(false, 500), "");
  EXPECT_EQ(add(frags[0]), Result::kHeld);
  auto tail = fragment_v4(udp_datagram("10.0.0.1", "10.0.0.2", 1500), {1480}, 13);
  EXPECT_EQ(add(tail[0]), Result::kHeld);
  EXPECT_EQ(add(tail[1]), Result::kCompleted);  // 48 bytes, the last
  EXPECT_EQ(store().discard(datagram), 2u);
}

TEST_F(FragmentTest, StoreHoldsAtMostMaxFragments) {
  ASSERT_EQ(store().set_max_fragments(2), "");
  for (uint16_t id = 1; id <= 3; ++id) {
    auto frags = fragment_v4(udp_datagram("10.0.0.1", "10.0.0.2", 3000), {1480, 1480}, id);
    EXPECT_EQ(add(frags[0]), id <= 2 ? Result::kHeld : Result::kPassed) << id;
  }
  auto s = store().status();
  EXPECT_EQ(s.fragments, 2u);
  EXPECT_EQ(s.max_fragments, 2u);
  EXPECT_EQ(s.v4.not_held, 1u);
}

TEST_F(FragmentTest, IncompleteDatagramsExpireAfter15Seconds) {
  auto frags = fragment_v4(udp_datagram("10.0.0.1", "10.0.0.2", 3000), {1480, 1480}, 20);
  ASSERT_EQ(add(frags[0], 1000), Result::kHeld);
  ASSERT_EQ(add(frags[1], 2000), Result::kHeld);
  EXPECT_EQ(store().lists(1000).size(), 1u);
  EXPECT_EQ(store().expire(1000 + FragmentStore::kTimeoutMs - 1), 0u);
  EXPECT_EQ(store().expire(1000 + FragmentStore::kTimeoutMs), 2u);
  auto s = store().status();
  EXPECT_EQ(s.fragments, 0u);
  EXPECT_EQ(s.datagrams, 0u);
  EXPECT_EQ(s.v4.expired, 2u);
  // The last one alone starts a new datagram.
  EXPECT_EQ(add(frags[2], 20000), Result::kHeld);
}

TEST_F(FragmentTest, KeyIncludesZoneAndIdentification) {
  auto frags = fragment_v4(udp_datagram("10.0.0.1", "10.0.0.2", 3000), {1480, 1480}, 30);
  auto other = fragment_v4(udp_datagram("10.0.0.1", "10.0.0.2", 3000), {1480, 1480}, 31);
  EXPECT_EQ(add(frags[0], 1000, 1), Result::kHeld);
  EXPECT_EQ(add(frags[1], 1000, 2), Result::kHeld);   // another zone
  EXPECT_EQ(add(other[2], 1000, 1), Result::kHeld);   // another id
  EXPECT_EQ(store().status().datagrams, 3u);
}

TEST_F(FragmentTest, Ipv6BehindDestinationOptionsOutOfOrder) {
  // IPv6 + destination options (8 bytes) + UDP, fragmented after the options.
  Bytes udp = udp_header(40000, 9999, 3000);
  Bytes ip = ip_packet("2001:db8::1", "2001:db8::2", 60, Bytes{});
  Bytes options = {17, 0, 1, 4, 0, 0, 0, 0};  // next: UDP; PadN
  append(ip, options);
  append(ip, udp);
  put16(ip, 4, static_cast<uint16_t>(ip.size() - 40));
  auto frags = fragment_v6(ip, 48, 40, {1232, 1232}, 0xabcdef);
  ASSERT_EQ(frags.size(), 3u);
  EXPECT_EQ(add(frags[2]), Result::kHeld);
  EXPECT_EQ(add(frags[0]), Result::kHeld);
  EXPECT_EQ(store().status().v6.accepted, 2u);
  ASSERT_EQ(add(frags[1]), Result::kCompleted);
  conntrack::CtRequest commit;
  commit.commit = true;
  Packet* whole = track(commit);
  // The whole packet: no fragment header, the options point at UDP again.
  EXPECT_EQ(Bytes(whole->data(), whole->data() + whole->size()), ethernet(ip, true));
  EXPECT_EQ(whole->md.ct_state, kTrk | kNew);
  EXPECT_EQ(whole->md.ct_orig_tuple.proto, 17);
  EXPECT_EQ(ntoh16(whole->md.ct_orig_tuple.src_port), 40000);
  EXPECT_EQ(emit(whole), frags);
  EXPECT_EQ(store().status().v6.completed, 3u);
}

TEST_F(FragmentTest, Ipv6AtomicFragmentIsNoFragment) {
  Bytes ip = udp_datagram("2001:db8::1", "2001:db8::2", 100);
  auto frags = fragment_v6(ip, 40, 6, {2000}, 1);
  ASSERT_EQ(frags.size(), 1u);  // offset 0, no more fragments
  EXPECT_EQ(add(frags[0]), Result::kNotFragment);
}

TEST_F(FragmentTest, DisabledFamilyIsNotTaken) {
  store().set_enabled(false, false);
  auto frags = fragment_v4(udp_datagram("10.0.0.1", "10.0.0.2", 3000), {1480, 1480}, 40);
  Packet* p = packet(frags[0]);
  EXPECT_FALSE(store().may_take(*p));
  pool.release(p);
  EXPECT_EQ(add(frags[0]), Result::kNotFragment);
  EXPECT_FALSE(store().status().v4_enabled);
  EXPECT_TRUE(store().status().v6_enabled);
}

TEST_F(FragmentTest, BadSettingsAreRefusedAndChangeNothing) {
  EXPECT_NE(store().set_min_fragment_size(false, 399), "");
  EXPECT_NE(store().set_min_fragment_size(true, 70000), "");
  EXPECT_NE(store().set_max_fragments(5001), "");
  auto s = store().status();
  EXPECT_EQ(s.v4_min_size, 1200u);
  EXPECT_EQ(s.v6_min_size, 1280u);
  EXPECT_EQ(s.max_fragments, 1000u);
}

TEST_F(FragmentTest, SourceNatOfTheWholePacketReachesEveryFragment) {
  const Bytes ip = udp_datagram("10.0.0.1", "10.0.0.2", 3000);
  auto frags = fragment_v4(ip, {1480, 1480}, 50);
  add(frags[0]);
  add(frags[1]);
  ASSERT_EQ(add(frags[2]), Result::kCompleted);
  conntrack::CtRequest snat;
  snat.commit = true;
  snat.nat.present = true;
  snat.nat.kind = conntrack::NatRange::kSrc;
  snat.nat.has_addresses = true;
  inet_pton(AF_INET, "192.0.2.9", snat.nat.min);
  inet_pton(AF_INET, "192.0.2.9", snat.nat.max);
  Packet* whole = track(snat);
  EXPECT_TRUE(whole->md.ct_state & odp::kCsSrcNat);
  auto out = emit(whole);
  ASSERT_EQ(out.size(), 3u);
  uint8_t translated[4];
  inet_pton(AF_INET, "192.0.2.9", translated);
  for (const Bytes& f : out) {
    EXPECT_EQ(std::memcmp(&f[14 + 12], translated, 4), 0);
    EXPECT_EQ(ipv4_header_checksum(&f[14], 20), load_unaligned<be16>(&f[14 + 10]));
    // Everything else is as it came.
    EXPECT_EQ(f.size(), frags[&f - out.data()].size());
  }
}

}  // namespace
}  // namespace flowpath::conntrack_test
