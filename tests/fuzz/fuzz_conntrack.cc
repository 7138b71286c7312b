// libFuzzer target for the connection tracker: arbitrary packets through
// ct() with commit, force, zones, mark and label writes, and NAT.
//
// Input: a sequence of records, each
//   byte 0    bit 0 commit, bit 1 force, bit 2 set mark, bit 3 set label,
//             bit 4 zone (0..1), bit 5 nat: with commit source NAT to
//             10.0.0.100-10.0.0.101 ports 1000-1003 (a range soon used up),
//             else a bare nat, bit 6 the frame is an L3 IPv4/IPv6 packet
//             (packet type, no Ethernet header; bit 7 picks IPv6)
//   bytes 1-2 frame length (little endian, clamped to what is left)
//   frame
// Every packet must come out tracked, unless dropped for an exhausted NAT
// range (only with nat and commit); an invalid one carries no other state
// bit than snat/dnat and no tuple; a valid one has exactly one of new,
// established, related; snat and dnat only with nat. The table must count what it holds, and flushing empties it.
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
  std::fprintf(stderr, "fuzz_conntrack: invariant broken: %s\n", what);
  std::abort();
}

}  // namespace
}  // namespace flowpath

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace flowpath;
  static conntrack::Conntrack* ct = new conntrack::Conntrack(6);
  static PacketPool* pool = new PacketPool(1);
  uint64_t now = 1000;
  while (size >= 3) {
    const uint8_t control = data[0];
    size_t length = data[1] | (size_t{data[2]} << 8);
    data += 3;
    size -= 3;
    if (length > size) length = size;
    Packet* p = pool->allocate();
    if (!p->assign(data, static_cast<uint32_t>(length))) {
      pool->release(p);
      break;
    }
    data += length;
    size -= length;
    if (control & 0x40) {
      p->md.packet_type = hton32((1u << 16) | ((control & 0x80) ? 0x86dd : 0x0800));
    }
    FlowKey key;
    extract_key(*p, &key);
    conntrack::CtRequest rq;
    rq.commit = (control & 1) != 0 && (control & 2) == 0;
    rq.force = (control & 2) != 0;
    rq.zone = static_cast<uint16_t>((control >> 4) & 1);
    if (control & 0x20) {
      rq.nat.present = true;
      if (rq.commit || rq.force) {
        rq.nat.kind = conntrack::NatRange::kSrc;
        rq.nat.has_addresses = rq.nat.has_ports = true;
        const uint8_t min[4] = {10, 0, 0, 100}, max[4] = {10, 0, 0, 101};
        std::memcpy(rq.nat.min, min, 4);
        std::memcpy(rq.nat.max, max, 4);
        rq.nat.port_min = 1000;
        rq.nat.port_max = 1003;
      }
    }
    rq.set_mark = (control & 4) != 0;
    rq.mark = 0x1234;
    rq.mark_mask = 0xffff;
    rq.set_label = (control & 8) != 0;
    rq.label[0] = 0xab;
    rq.label_mask[0] = 0xff;
    PacketBatch batch;
    batch.add(p);
    uint32_t kept;
    {
      rcu::ReadSection section;
      kept = ct->execute(batch, rq, now);
    }
    if (kept == 0) {
      check(rq.nat.kind != conntrack::NatRange::kNone, "dropped only for NAT");
      pool->release(p);
      now += 10;
      continue;
    }
    const uint32_t s = p->md.ct_state;
    const uint32_t nat_bits = odp::kCsSrcNat | odp::kCsDstNat;
    check(rq.nat.present || (s & nat_bits) == 0, "snat/dnat only with nat");
    check((s & odp::kCsTracked) != 0, "tracked");
    check(p->md.ct_zone == rq.zone, "zone");
    if (s & odp::kCsInvalid) {
      check((s & ~nat_bits) == (odp::kCsTracked | odp::kCsInvalid), "invalid alone");
      ConntrackTuple zero{};
      check(std::memcmp(&p->md.ct_orig_tuple, &zero, sizeof zero) == 0, "no tuple when invalid");
    } else {
      int kinds = !!(s & odp::kCsNew) + !!(s & odp::kCsEstablished) + !!(s & odp::kCsRelated);
      check(kinds == 1, "one of new, established, related");
    }
    pool->release(p);
    now += 10;
  }
  check(ct->dump(std::nullopt, now).size() == ct->connection_count(), "dump matches count");
  const bool had_connections = ct->connection_count() != 0;
  ct->flush(conntrack::FlushFilter{});
  check(ct->connection_count() == 0, "flush empties");
  // Freed connections go after a grace period; wait for them so that
  // libFuzzer's per-input leak check sees every allocation freed.
  if (had_connections) rcu::wait_for_deferred_frees();
  return 0;
}
