#include "conntrack/fragment_store.h"

#include <sys/mman.h>

#include <cstring>
#include <new>
#include <random>

#include "common/hash.h"
#include "conntrack/packet_tuple.h"
#include "packet/byte_order.h"
#include "packet/checksum.h"
#include "packet/headers.h"

namespace flowpath::conntrack {

namespace {

bool ipv6_extension(uint8_t next) {
  return next == ipproto::kHopByHop || next == ipproto::kRouting || next == ipproto::kDstOpts ||
         next == ipproto::kAuth || next == ipproto::kFragment;
}

constexpr uint32_t kIpMaxPacket = 65535;

}  // namespace

FragmentStore::FragmentStore()
    : fragments_(new Fragment[kMaxFragmentsBound]),
      datagrams_(new Datagram[kMaxFragmentsBound]),
      buckets_(new uint32_t[kBuckets]),
      basis_(std::random_device{}()) {
  memory_size_ = size_t{kMaxFragmentsBound} * kSlotBytes;
  void* memory = ::mmap(nullptr, memory_size_, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (memory == MAP_FAILED) throw std::bad_alloc();
  memory_ = static_cast<uint8_t*>(memory);
  for (uint32_t i = 0; i < kBuckets; ++i) buckets_[i] = kNone;
  for (uint32_t i = 0; i < kMaxFragmentsBound; ++i) {
    fragments_[i].next = i + 1 < kMaxFragmentsBound ? i + 1 : kNone;
    datagrams_[i].hash_next = i + 1 < kMaxFragmentsBound ? i + 1 : kNone;
    datagrams_[i].state = State::kFree;
  }
  free_fragments_ = 0;
  free_datagrams_ = 0;
}

FragmentStore::~FragmentStore() { ::munmap(memory_, memory_size_); }

bool FragmentStore::may_take(const Packet& p) const {
  if (p.l3_offset == Packet::kNoOffset) return false;
  const uint32_t available = p.size() - p.l3_offset;
  const uint8_t* l3 = p.data() + p.l3_offset;
  switch (l3_ethertype(p)) {
    case ethertype::kIpv4:
      if (available < sizeof(Ipv4Header)) return false;
      return (ntoh16(load_unaligned<be16>(l3 + 6)) & (kIpv4MoreFragments | kIpv4FragOffsetMask)) != 0 &&
             enabled(false);
    case ethertype::kIpv6:
      if (available < sizeof(Ipv6Header)) return false;
      return ipv6_extension(l3[6]) && enabled(true);
    default:
      return false;
  }
}

// What add() needs from a fragment; kHeld when it is one the store may
// take, kNotFragment, kPassed (malformed, too small: *too_small) or
// kOversized.
FragmentStore::Result FragmentStore::parse(const Packet& p, uint16_t zone, Parsed* f,
                                           bool* too_small, bool* v6) const {
  *too_small = false;
  if (p.l3_offset == Packet::kNoOffset || p.l3_offset > p.size()) return Result::kNotFragment;
  const uint32_t available = p.size() - p.l3_offset;
  const uint8_t* l3 = p.data() + p.l3_offset;
  std::memset(&f->key, 0, sizeof f->key);
  f->key.zone = zone;
  f->key.recirc_id = p.md.recirc_id;
  const uint16_t type = l3_ethertype(p);
  if (type == ethertype::kIpv4) {
    *v6 = false;
    if (!enabled(false) || available < sizeof(Ipv4Header)) return Result::kNotFragment;
    Ipv4Header h;
    std::memcpy(&h, l3, sizeof h);
    const uint32_t ihl = (h.version_ihl & 0x0f) * 4u;
    const uint16_t frag = ntoh16(h.frag_off);
    if (!(frag & (kIpv4MoreFragments | kIpv4FragOffsetMask))) return Result::kNotFragment;
    const uint32_t total = ntoh16(h.total_length);
    if ((h.version_ihl >> 4) != 4 || ihl < sizeof h || total < ihl || total > available)
      return Result::kPassed;
    if (ipv4_header_checksum(l3, ihl) != h.checksum) return Result::kPassed;
    f->last = !(frag & kIpv4MoreFragments);
    f->start = (frag & kIpv4FragOffsetMask) * 8u;
    f->end = f->start + (total - ihl);
    f->payload_offset = p.l3_offset + ihl;
    f->l3_size = total;
    std::memcpy(f->key.src, &h.src, 4);
    std::memcpy(f->key.dst, &h.dst, 4);
    f->key.id = ntoh16(h.id);
    f->key.proto = h.proto;
    if (f->end == f->start) return Result::kPassed;
    if (!f->last && (f->end - f->start) % 8 != 0) return Result::kPassed;
    if (ihl + f->end > kIpMaxPacket) return Result::kOversized;
    if (!f->last && total < min_fragment_size(false)) *too_small = true;
    return Result::kHeld;
  }
  if (type != ethertype::kIpv6) return Result::kNotFragment;
  *v6 = true;
  if (!enabled(true) || available < sizeof(Ipv6Header)) return Result::kNotFragment;
  Ipv6Header h;
  std::memcpy(&h, l3, sizeof h);
  if ((ntoh32(h.version_class_label) >> 28) != 6) return Result::kNotFragment;
  const uint32_t total = sizeof h + ntoh16(h.payload_length);
  uint32_t offset = sizeof h;
  uint32_t next_at = 6;  // the IPv6 header's next-header field
  uint8_t next = h.next_header;
  const uint32_t length = total <= available ? total : available;
  for (int guard = 0; guard < 16; ++guard) {
    if (next == ipproto::kFragment) {
      if (length - offset < 8) return Result::kPassed;
      const uint16_t offlg = ntoh16(load_unaligned<be16>(l3 + offset + 2));
      // An atomic fragment (offset 0, no more fragments) is a whole packet.
      if ((offlg & 0xfff8) == 0 && (offlg & 1) == 0) return Result::kNotFragment;
      if (total > available) return Result::kPassed;
      f->last = (offlg & 1) == 0;
      f->start = offlg & 0xfff8u;
      f->end = f->start + (total - offset - 8);
      f->payload_offset = p.l3_offset + offset + 8;
      f->l3_size = total;
      f->next_header_at = static_cast<uint16_t>(next_at);
      f->next_header = l3[offset];
      std::memcpy(f->key.src, h.src, 16);
      std::memcpy(f->key.dst, h.dst, 16);
      f->key.id = ntoh32(load_unaligned<be32>(l3 + offset + 4));
      f->key.ipv6 = 1;
      if (f->end == f->start) return Result::kPassed;
      if (!f->last && (f->end - f->start) % 8 != 0) return Result::kPassed;
      // The whole packet's payload: the headers before this one and the data.
      if (offset - sizeof h + f->end > kIpMaxPacket) return Result::kOversized;
      if (!f->last && total < min_fragment_size(true)) *too_small = true;
      return Result::kHeld;
    }
    uint32_t ext;
    if (next == ipproto::kHopByHop || next == ipproto::kRouting || next == ipproto::kDstOpts) {
      if (length - offset < 8) return Result::kNotFragment;
      ext = (l3[offset + 1] + 1u) * 8;
    } else if (next == ipproto::kAuth) {
      if (length - offset < 8) return Result::kNotFragment;
      ext = (l3[offset + 1] + 2u) * 4;
    } else {
      return Result::kNotFragment;
    }
    if (ext > length - offset) return Result::kNotFragment;
    next_at = offset;
    next = l3[offset];
    offset += ext;
  }
  return Result::kNotFragment;
}

uint32_t FragmentStore::hash(const Key& k) const {
  uint64_t words[sizeof(Key) / 8 + 1] = {};
  std::memcpy(words, &k, sizeof k);
  uint64_t h = basis_;
  for (uint64_t w : words) h = hash_mix_word(h, w);
  return hash_finish(h);
}

uint32_t FragmentStore::lookup(const Key& k, uint32_t bucket) const {
  for (uint32_t d = buckets_[bucket]; d != kNone; d = datagrams_[d].hash_next)
    if (datagrams_[d].key == k) return d;
  return kNone;
}

void FragmentStore::unlink(uint32_t d) {
  Datagram& g = datagrams_[d];
  uint32_t* link = &buckets_[hash(g.key) & (kBuckets - 1)];
  while (*link != d) link = &datagrams_[*link].hash_next;
  *link = g.hash_next;
  if (g.state == State::kCollecting) {
    if (g.age_prev != kNone) datagrams_[g.age_prev].age_next = g.age_next;
    else oldest_ = g.age_next;
    if (g.age_next != kNone) datagrams_[g.age_next].age_prev = g.age_prev;
    else newest_ = g.age_prev;
    collecting_.fetch_sub(1, std::memory_order_relaxed);
  }
}

uint32_t FragmentStore::free_datagram(uint32_t d) {
  unlink(d);
  Datagram& g = datagrams_[d];
  uint32_t n = 0;
  for (uint32_t f = g.fragments; f != kNone;) {
    const uint32_t next = fragments_[f].next;
    fragments_[f].next = free_fragments_;
    free_fragments_ = f;
    f = next;
    ++n;
  }
  held_.fetch_sub(n, std::memory_order_relaxed);
  const uint32_t count = g.count;
  g.state = State::kFree;
  g.fragments = kNone;
  g.hash_next = free_datagrams_;
  free_datagrams_ = d;
  return count;
}

FragmentStore::Result FragmentStore::add(const Packet& p, uint16_t zone, uint64_t now_ms,
                                         uint32_t* datagram) {
  Parsed f;
  bool too_small = false, v6 = false;
  const Result parsed = parse(p, zone, &f, &too_small, &v6);
  if (parsed == Result::kNotFragment) return parsed;
  std::lock_guard guard(lock_);
  FragmentCounters& c = family(v6);
  if (parsed == Result::kOversized) {
    ++c.oversized;
    return parsed;
  }
  if (parsed == Result::kPassed) return parsed;
  if (too_small) {
    ++c.too_small;
    return Result::kPassed;
  }
  if (p.size() > kFrameBytes || held_.load(std::memory_order_relaxed) >= max_fragments() ||
      free_fragments_ == kNone) {
    ++c.not_held;
    return Result::kPassed;
  }
  const uint32_t bucket = hash(f.key) & (kBuckets - 1);
  uint32_t d = lookup(f.key, bucket);
  if (d != kNone && datagrams_[d].state == State::kCompleted) return Result::kPassed;
  if (d == kNone) {
    if (free_datagrams_ == kNone) {
      ++c.not_held;
      return Result::kPassed;
    }
    d = free_datagrams_;
    Datagram& g = datagrams_[d];
    free_datagrams_ = g.hash_next;
    g.key = f.key;
    g.hash_next = buckets_[bucket];
    buckets_[bucket] = d;
    g.age_prev = newest_;
    g.age_next = kNone;
    if (newest_ != kNone) datagrams_[newest_].age_next = d;
    else oldest_ = d;
    newest_ = d;
    g.fragments = kNone;
    g.count = 0;
    g.received = 0;
    g.total = 0;
    g.expiration_ms = now_ms + kTimeoutMs;
    g.to_emit = kNone;
    g.state = State::kCollecting;
    g.first_seen = g.last_seen = false;
    collecting_.fetch_add(1, std::memory_order_relaxed);
  }
  Datagram& g = datagrams_[d];
  // Where it goes among the held fragments (by offset), and whether it
  // overlaps one of them or passes the datagram's end.
  uint32_t* link = &g.fragments;
  uint32_t last_end = 0;
  bool overlap = false;
  for (uint32_t i = g.fragments; i != kNone; i = fragments_[i].next) {
    const Fragment& h = fragments_[i];
    if (h.start < f.end && f.start < h.end) overlap = true;
    if (h.end <= f.start) link = &fragments_[i].next;
    if (h.end > last_end) last_end = h.end;
  }
  const bool past_end = (g.last_seen && f.end > g.total) || (f.last && last_end > f.end);
  if (overlap || past_end || (f.last && g.last_seen)) {
    if (overlap || (f.last && g.last_seen && f.end == g.total)) ++c.overlapped;
    else ++c.oversized;
    const Result r = overlap || (f.last && g.last_seen && f.end == g.total) ? Result::kOverlap
                                                                            : Result::kOversized;
    if (g.count == 0) free_datagram(d);
    return r;
  }
  const uint32_t i = free_fragments_;
  Fragment& h = fragments_[i];
  free_fragments_ = h.next;
  h.next = *link;
  *link = i;
  h.start = f.start;
  h.end = f.end;
  h.size = p.size();
  h.payload_offset = f.payload_offset;
  h.l2_5_offset = p.l2_5_offset;
  h.l3_offset = p.l3_offset;
  h.l4_offset = p.l4_offset;
  h.next_header_at = f.next_header_at;
  h.next_header = f.next_header;
  h.md = p.md;
  std::memcpy(slot(i), p.data(), p.size());
  if (p.md.tunnel.geneve_length != 0)
    std::memcpy(slot(i) + kFrameBytes, p.geneve_options, p.md.tunnel.geneve_length);
  held_.fetch_add(1, std::memory_order_relaxed);
  ++c.accepted;
  ++g.count;
  g.received += f.end - f.start;
  if (f.start == 0) g.first_seen = true;
  if (f.last) {
    g.last_seen = true;
    g.total = f.end;
  }
  if (!(g.first_seen && g.last_seen && g.received == g.total)) return Result::kHeld;
  // Complete: out of the age list (no expiry); kept in its bucket so that
  // a late duplicate is tracked as it is, as in Open vSwitch.
  if (g.age_prev != kNone) datagrams_[g.age_prev].age_next = g.age_next;
  else oldest_ = g.age_next;
  if (g.age_next != kNone) datagrams_[g.age_next].age_prev = g.age_prev;
  else newest_ = g.age_prev;
  collecting_.fetch_sub(1, std::memory_order_relaxed);
  g.state = State::kCompleted;
  g.to_emit = g.fragments;
  *datagram = d;
  return Result::kCompleted;
}

uint32_t FragmentStore::whole_size(uint32_t d) const {
  std::lock_guard guard(lock_);
  const Datagram& g = datagrams_[d];
  const Fragment& first = fragments_[g.fragments];
  return first.payload_offset - (g.key.ipv6 ? 8 : 0) + g.total;
}

void FragmentStore::reassemble(uint32_t d, Packet& out) {
  std::lock_guard guard(lock_);
  const Datagram& g = datagrams_[d];
  const Fragment& first = fragments_[g.fragments];
  const bool v6 = g.key.ipv6 != 0;
  const uint32_t header = first.payload_offset - (v6 ? 8 : 0);
  uint8_t* w = out.put(header + g.total);
  // The headers (IPv6: those before the fragment header), then the data.
  std::memcpy(w, slot(g.fragments), header);
  for (uint32_t i = g.fragments; i != kNone; i = fragments_[i].next) {
    const Fragment& h = fragments_[i];
    std::memcpy(w + header + h.start, slot(i) + h.payload_offset, h.end - h.start);
  }
  uint8_t* l3 = w + first.l3_offset;
  if (v6) {
    l3[first.next_header_at] = first.next_header;
    store_unaligned<be16>(l3 + 4, hton16(static_cast<uint16_t>(header - first.l3_offset -
                                                               sizeof(Ipv6Header) + g.total)));
  } else {
    const uint32_t ihl = header - first.l3_offset;
    store_unaligned<be16>(l3 + 2, hton16(static_cast<uint16_t>(ihl + g.total)));
    const uint16_t frag = ntoh16(load_unaligned<be16>(l3 + 6));
    store_unaligned<be16>(l3 + 6, hton16(frag & kIpv4DontFragment));
    store_unaligned<be16>(l3 + 10, be16{0});
    store_unaligned<be16>(l3 + 10, ipv4_header_checksum(l3, ihl));
  }
  out.md = first.md;
  if (first.md.tunnel.geneve_length != 0)
    std::memcpy(out.geneve_options, slot(g.fragments) + kFrameBytes, first.md.tunnel.geneve_length);
  out.l2_5_offset = first.l2_5_offset;
  out.l3_offset = first.l3_offset;
  out.l4_offset = static_cast<uint16_t>(header);
}

bool FragmentStore::emit(uint32_t d, const Packet& tracked, PacketPool& pool, PacketBatch& out,
                         uint32_t* no_buffer) {
  std::lock_guard guard(lock_);
  Datagram& g = datagrams_[d];
  const bool v6 = g.key.ipv6 != 0;
  FragmentCounters& c = family(v6);
  const uint8_t* whole = tracked.data();
  const uint8_t* whole_l3 = whole + tracked.l3_offset;
  const uint32_t whole_payload = tracked.l4_offset;  // reassemble() put the payload there
  while (g.to_emit != kNone && !out.full()) {
    const uint32_t i = g.to_emit;
    const Fragment& h = fragments_[i];
    g.to_emit = h.next;
    Packet* q = pool.allocate(h.size);
    if (q == nullptr) {
      ++*no_buffer;
      ++c.purged;
      continue;
    }
    uint8_t* b = q->put(h.size);
    std::memcpy(b, slot(i), h.size);
    q->md = h.md;
    if (h.md.tunnel.geneve_length != 0)
      std::memcpy(q->geneve_options, slot(i) + kFrameBytes, h.md.tunnel.geneve_length);
    q->l2_5_offset = h.l2_5_offset;
    q->l3_offset = h.l3_offset;
    q->l4_offset = h.l4_offset;
    q->md.ct_state = tracked.md.ct_state;
    q->md.ct_zone = tracked.md.ct_zone;
    q->md.ct_mark = tracked.md.ct_mark;
    std::memcpy(q->md.ct_label, tracked.md.ct_label, sizeof q->md.ct_label);
    q->md.ct_orig_tuple = tracked.md.ct_orig_tuple;
    // What ct() changed (NAT): the addresses, and the data (the transport
    // header and checksum sit in the first fragment's).
    std::memcpy(b + h.payload_offset, whole + whole_payload + h.start, h.end - h.start);
    uint8_t* l3 = b + h.l3_offset;
    if (v6) {
      std::memcpy(l3 + 8, whole_l3 + 8, 32);
    } else if (std::memcmp(l3 + 12, whole_l3 + 12, 8) != 0) {
      std::memcpy(l3 + 12, whole_l3 + 12, 8);
      store_unaligned<be16>(l3 + 10, be16{0});
      store_unaligned<be16>(l3 + 10, ipv4_header_checksum(l3, h.payload_offset - h.l3_offset));
    }
    out.add(q);
    ++c.completed;
  }
  if (g.to_emit != kNone) return false;
  free_datagram(d);
  return true;
}

uint32_t FragmentStore::discard(uint32_t d) {
  std::lock_guard guard(lock_);
  Datagram& g = datagrams_[d];
  uint32_t unsent = 0;
  for (uint32_t i = g.to_emit; i != kNone; i = fragments_[i].next) ++unsent;
  family(g.key.ipv6 != 0).purged += unsent;
  free_datagram(d);
  return unsent;
}

uint32_t FragmentStore::expire(uint64_t now_ms) {
  if (collecting_.load(std::memory_order_relaxed) == 0) return 0;
  std::lock_guard guard(lock_);
  uint32_t n = 0;
  while (oldest_ != kNone && datagrams_[oldest_].expiration_ms <= now_ms) {
    const uint32_t d = oldest_;
    const uint32_t count = datagrams_[d].count;
    family(datagrams_[d].key.ipv6 != 0).expired += count;
    n += count;
    free_datagram(d);
  }
  return n;
}

std::string FragmentStore::set_min_fragment_size(bool v6, uint32_t bytes) {
  if (bytes < kMinFragmentSizeBound)
    return "minimum fragment size " + std::to_string(bytes) + " is below the least allowed, " +
           std::to_string(kMinFragmentSizeBound);
  if (bytes > kIpMaxPacket)
    return "minimum fragment size " + std::to_string(bytes) +
           " is larger than an IP packet can be (65535)";
  (v6 ? v6_min_ : v4_min_).store(bytes, std::memory_order_relaxed);
  return "";
}

std::string FragmentStore::set_max_fragments(uint32_t n) {
  if (n > kMaxFragmentsBound)
    return "maximum fragments " + std::to_string(n) + " is above the most allowed, " +
           std::to_string(kMaxFragmentsBound);
  max_fragments_.store(n, std::memory_order_relaxed);
  return "";
}

FragmentStatus FragmentStore::status() const {
  std::lock_guard guard(lock_);
  FragmentStatus s;
  s.v4_enabled = enabled(false);
  s.v6_enabled = enabled(true);
  s.max_fragments = max_fragments();
  s.fragments = held_.load(std::memory_order_relaxed);
  s.datagrams = collecting_.load(std::memory_order_relaxed);
  s.v4_min_size = min_fragment_size(false);
  s.v6_min_size = min_fragment_size(true);
  s.v4 = v4_counters_;
  s.v6 = v6_counters_;
  return s;
}

std::vector<FragmentListEntry> FragmentStore::lists(uint64_t now_ms) const {
  std::lock_guard guard(lock_);
  std::vector<FragmentListEntry> out;
  for (uint32_t d = oldest_; d != kNone; d = datagrams_[d].age_next) {
    const Datagram& g = datagrams_[d];
    FragmentListEntry e;
    e.ipv6 = g.key.ipv6 != 0;
    e.zone = g.key.zone;
    e.recirc_id = g.key.recirc_id;
    std::memcpy(e.src, g.key.src, 16);
    std::memcpy(e.dst, g.key.dst, 16);
    e.id = g.key.id;
    e.proto = g.key.proto;
    e.fragments = g.count;
    e.first_seen = g.first_seen;
    e.last_seen = g.last_seen;
    e.expires_in_ms = g.expiration_ms > now_ms ? static_cast<uint32_t>(g.expiration_ms - now_ms) : 0;
    out.push_back(e);
  }
  return out;
}

}  // namespace flowpath::conntrack
