#include "conntrack/nat_allocate.h"

#include <chrono>
#include <cstring>

#include "common/hash.h"

namespace flowpath::conntrack {

namespace {

constexpr uint32_t kSequentialAttempts = 128;
constexpr uint32_t kMinimumRun = 16;
constexpr uint64_t kAddressAttempts = 8;

uint64_t load_be64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | p[i];
  return v;
}
void store_be64(uint8_t* p, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
}
uint32_t load_be32_bytes(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

// A per-thread xorshift generator: `random` needs no quality, only spread.
uint64_t next_random() {
  thread_local uint64_t state = 0;
  if (state == 0) {
    state = static_cast<uint64_t>(
                std::chrono::steady_clock::now().time_since_epoch().count()) ^
            reinterpret_cast<uintptr_t>(&state) ^ 0x9e3779b97f4a7c15ull;
    if (state == 0) state = 1;
  }
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

uint64_t mix_bytes(uint64_t h, const uint8_t* p, size_t n) {
  for (size_t i = 0; i + 8 <= n; i += 8) h = hash_mix_word(h, load_be64(p + i));
  return h;
}

uint64_t range_hash(const NatRange& r, uint64_t basis) {
  uint64_t h = mix_bytes(basis, r.min, 16);
  h = mix_bytes(h, r.max, 16);
  return hash_mix_word(h, uint64_t{r.port_min} << 16 | r.port_max);
}

// The ports of a search, host order, min <= cur <= max (ICMP: 0-65535).
struct PortSearch {
  uint32_t cur, min, max;
};

// Tries ports of `s` in `slot` until `reply` is free.
bool search_port(const PortSearch& s, be16* slot, KeyInUse in_use, const void* context,
                 const ConnectionKey& reply) {
  const uint32_t n = s.max - s.min + 1;
  uint32_t attempts = n < kSequentialAttempts ? n : kSequentialAttempts;
  uint32_t cur = s.cur;
  for (;;) {
    for (uint32_t i = 0; i < attempts; ++i) {
      *slot = hton16(static_cast<uint16_t>(cur));
      if (!in_use(context, reply)) return true;
      cur = cur == s.max ? s.min : cur + 1;
    }
    if (attempts >= n || attempts < kMinimumRun) break;
    attempts /= 2;
    cur = s.min + static_cast<uint32_t>(next_random() % n);
  }
  return false;
}

// The source port search (an ICMP query's identifier).
PortSearch source_ports(const ConnectionKey& o, const NatRange& r, uint64_t h) {
  const uint32_t port = ntoh16(o.src_port);
  if (r.kind == NatRange::kSrc && r.has_ports) {
    const uint32_t n = uint32_t{r.port_max} - r.port_min + 1;
    return {r.port_min + static_cast<uint32_t>(h % n), r.port_min, r.port_max};
  }
  if (o.is_icmp()) return {port, 0, 65535};
  if (port < 512) return {port, 1, 511};
  if (port < 1024) return {port < 600 ? 600 : port, 600, 1023};
  return {port, 1024, 65535};
}

}  // namespace

uint64_t nat_address_count(const NatRange& r) {
  if (!r.ipv6) return uint64_t{load_be32_bytes(r.max)} - load_be32_bytes(r.min) + 1;
  if (load_be64(r.min) != load_be64(r.max)) return uint64_t{1} << 32;
  const uint64_t delta = load_be64(r.max + 8) - load_be64(r.min + 8);
  return delta >= (uint64_t{1} << 32) ? uint64_t{1} << 32 : delta + 1;
}

void nat_address_at(const NatRange& r, uint64_t offset, uint8_t out[16]) {
  std::memset(out, 0, 16);
  if (!r.ipv6) {
    const uint32_t a = load_be32_bytes(r.min) + static_cast<uint32_t>(offset);
    out[0] = static_cast<uint8_t>(a >> 24);
    out[1] = static_cast<uint8_t>(a >> 16);
    out[2] = static_cast<uint8_t>(a >> 8);
    out[3] = static_cast<uint8_t>(a);
    return;
  }
  uint64_t hi = load_be64(r.min), lo = load_be64(r.min + 8);
  const uint64_t sum = lo + offset;
  if (sum < lo) ++hi;
  store_be64(out, hi);
  store_be64(out + 8, sum);
}

bool choose_nat_reply(const ConnectionKey& o, const NatRange& r, uint64_t basis, KeyInUse in_use,
                      const void* context, ConnectionKey* reply) {
  *reply = reverse(o);
  if (r.kind == NatRange::kNone) return true;
  if (r.has_addresses && r.ipv6 != (o.ipv6 != 0)) return false;
  const bool src = r.kind == NatRange::kSrc;
  const bool pat = o.proto == kProtoTcp || o.proto == kProtoUdp || o.proto == kProtoSctp ||
                   o.is_icmp();
  const uint64_t h_range = range_hash(r, basis);
  const uint64_t h_tuple = key_hash(o, h_range);
  uint64_t h_address = h_tuple, h_port = h_tuple;
  if (r.persistent) h_address = hash_finish(mix_bytes(hash_mix_word(h_range, o.zone), o.src, 16));
  if (r.random) {
    h_address = next_random();
    h_port = next_random();
  }
  const uint64_t n_addresses = r.has_addresses ? nat_address_count(r) : 1;
  uint64_t offset = n_addresses > 1 ? h_address % n_addresses : 0;
  const uint64_t attempts = n_addresses < kAddressAttempts ? n_addresses : kAddressAttempts;
  uint8_t* address = src ? reply->dst : reply->src;
  // An ICMP query's identifier is in src_port in both directions.
  be16* source_slot = o.is_icmp() ? &reply->src_port : &reply->dst_port;
  const be16 source_original = *source_slot;
  const bool dst_ports = !src && r.has_ports && !o.is_icmp();
  PortSearch dport{};
  if (dst_ports) {
    const uint32_t n = uint32_t{r.port_max} - r.port_min + 1;
    dport = {r.port_min + static_cast<uint32_t>(h_port % n), r.port_min, r.port_max};
    reply->src_port = hton16(static_cast<uint16_t>(dport.cur));
  }
  const be16 dport_start = reply->src_port;
  const PortSearch sport = source_ports(o, r, h_port);
  for (uint64_t i = 0; i < attempts; ++i) {
    if (r.has_addresses) nat_address_at(r, offset, address);
    offset = offset + 1 == n_addresses ? 0 : offset + 1;
    if (!pat) {
      if (!in_use(context, *reply)) return true;
      continue;
    }
    if (dst_ports && search_port(dport, &reply->src_port, in_use, context, *reply)) return true;
    reply->src_port = dport_start;
    if (search_port(sport, source_slot, in_use, context, *reply)) return true;
    *source_slot = source_original;
  }
  return false;
}

}  // namespace flowpath::conntrack
