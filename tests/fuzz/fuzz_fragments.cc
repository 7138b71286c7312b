// libFuzzer target for IP fragment reassembly in front of the connection
// tracker (conntrack/fragment_store.h): frames from outside, fragments or
// not, IPv4 or IPv6, through the store and, when a datagram completes,
// through ct() with commit (and source NAT) and back out as fragments.
//
// Input: a sequence of records, each
//   byte 0    bit 0 zone (0..1), bit 1 commit with source NAT to
//             10.0.0.100 (else a plain commit), bit 7 let 16 s pass first
//             (incomplete datagrams expire)
//   bytes 1-2 frame length (little endian, clamped to what is left)
//   frame     (Ethernet)
// Invariants: the store never holds more than its limit; a completed
// datagram's whole packet is exactly whole_size() bytes, and every one of
// its fragments comes back tracked; at the end, once everything expired,
// nothing is held.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/rcu.h"
#include "conntrack/conntrack.h"
#include "flow/key_extract.h"
#include "flow/odp_abi.h"
#include "packet/packet_pool.h"

namespace flowpath {
namespace {

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_fragments: invariant broken: %s\n", what);
  std::abort();
}

}  // namespace
}  // namespace flowpath

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace flowpath;
  using Result = conntrack::FragmentStore::Result;
  static conntrack::Conntrack* ct = new conntrack::Conntrack(6);
  static PacketPool* pool = new PacketPool(40, PacketPool::kStandardBufferSize, 2);
  conntrack::FragmentStore& store = ct->fragments();
  static uint64_t now = 1000;
  rcu::ReadSection section;
  while (size >= 3) {
    const uint8_t control = data[0];
    size_t length = data[1] | (size_t{data[2]} << 8);
    data += 3;
    size -= 3;
    if (length > size) length = size;
    if (control & 0x80) now += 16000;
    Packet* p = pool->allocate(static_cast<uint32_t>(length));
    check(p != nullptr, "a buffer for the frame");
    if (!p->assign(data, static_cast<uint32_t>(length))) {
      pool->release(p);
      break;
    }
    data += length;
    size -= length;
    FlowKey key;
    extract_key(*p, &key);
    store.expire(now);
    uint32_t datagram = 0;
    const uint16_t zone = control & 1;
    Result r = store.may_take(*p) ? store.add(*p, zone, now, &datagram) : Result::kNotFragment;
    pool->release(p);
    check(store.status().fragments <= store.max_fragments(), "held within the limit");
    if (r != Result::kCompleted) continue;
    const uint32_t whole_size = store.whole_size(datagram);
    check(whole_size <= 65535 + 14 + 8, "a whole packet is an IP packet at most");
    Packet* whole = pool->allocate(whole_size);
    check(whole != nullptr, "a buffer for the whole packet");
    store.reassemble(datagram, *whole);
    check(whole->size() == whole_size, "the whole packet has whole_size() bytes");
    conntrack::CtRequest rq;
    rq.commit = true;
    rq.zone = zone;
    if (control & 2) {
      rq.nat.present = true;
      rq.nat.kind = conntrack::NatRange::kSrc;
      rq.nat.has_addresses = true;
      const uint8_t address[4] = {10, 0, 0, 100};
      std::memcpy(rq.nat.min, address, 4);
      std::memcpy(rq.nat.max, address, 4);
    }
    PacketBatch one;
    one.add(whole);
    if ((ct->execute(one, rq, now) & 1) == 0) {
      store.discard(datagram);
      pool->release(whole);
      continue;
    }
    check(whole->md.ct_state & odp::kCsTracked, "the whole packet is tracked");
    bool all = false;
    while (!all) {
      PacketBatch out;
      uint32_t no_buffer = 0;
      all = store.emit(datagram, *whole, *pool, out, &no_buffer);
      check(no_buffer == 0, "buffers for the fragments");
      for (Packet* f : out) {
        check(f->md.ct_state == whole->md.ct_state, "fragments carry the whole packet's state");
        pool->release(f);
      }
    }
    pool->release(whole);
  }
  store.expire(now + 16000);
  now += 16000;
  check(store.status().fragments == 0, "nothing held once everything expired");
  check(store.status().datagrams == 0, "no datagram left once everything expired");
  return 0;
}
