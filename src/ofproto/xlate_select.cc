// Translation of multipath(...) and bundle(...)/bundle_load(...): a link or
// a member port chosen by a hash over the named fields (NX_HASH_FIELDS_*),
// and, for bundles, by the members' liveness. The megaflow matches exactly
// the fields hashed, as Open vSwitch's flow_mask_hash_fields does, so every
// packet of a megaflow hashes the same. The hash function is ours, not
// Open vSwitch's: the same flow may pick another link than it would there.
#include <fmt/format.h>

#include <cstring>

#include "ofproto/xlate_context.h"

namespace flowpath::ofproto {

namespace {

constexpr uint16_t kVlanCfi = 0x1000, kVlanVidMask = 0x0fff;
enum HashFields : uint16_t {
  kEthSrc = 0,
  kSymmetricL4 = 1,
  kSymmetricL3L4 = 2,
  kSymmetricL3L4Udp = 3,
  kNwSrc = 4,
  kNwDst = 5,
  kSymmetricL3 = 6,
};

uint32_t mix32(uint32_t h, uint32_t v) {
  h ^= v;
  h *= 0x9e3779b1u;
  h ^= h >> 15;
  h *= 0x85ebca77u;
  h ^= h >> 13;
  return h;
}

uint32_t mix_bytes(uint32_t h, const void* p, size_t n) {
  const uint8_t* b = static_cast<const uint8_t*>(p);
  for (size_t i = 0; i < n; i += 4) {
    uint32_t w = 0;
    std::memcpy(&w, b + i, std::min<size_t>(4, n - i));
    h = mix32(h, w);
  }
  return h;
}

// XOR of the two ends: the same whichever way the packet goes.
uint32_t mix_pair(uint32_t h, const void* a, const void* b, size_t n) {
  uint8_t x[16];
  for (size_t i = 0; i < n; ++i) x[i] = static_cast<const uint8_t*>(a)[i] ^ static_cast<const uint8_t*>(b)[i];
  return mix_bytes(h, x, n);
}

uint32_t finish32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x7feb352du;
  h ^= h >> 15;
  h *= 0x846ca68bu;
  h ^= h >> 16;
  return h;
}

unsigned round_up_pow2(unsigned n) {
  unsigned p = 1;
  while (p < n) p <<= 1;
  return p;
}

}  // namespace

uint32_t XlateContext::hash_fields(uint16_t fields, uint16_t basis) {
  const FlowKey& k = flow_.key;
  FlowKey& m = wc_.key;
  const bool ip4 = k.eth_type == hton16(ethertype::kIpv4);
  const bool ip6 = k.eth_type == hton16(ethertype::kIpv6);
  const bool fragment = k.nw_frag & kFragAny;
  uint32_t h = mix32(0x2545f491u, basis);
  auto addresses = [&](bool src, bool dst, bool symmetric) {
    if (ip4) {
      if (src) m.ipv4_src = ~0u;
      if (dst) m.ipv4_dst = ~0u;
      if (symmetric) return mix_pair(h, &k.ipv4_src, &k.ipv4_dst, 4);
      return mix_bytes(h, src ? &k.ipv4_src : &k.ipv4_dst, 4);
    }
    if (ip6) {
      if (src) std::memset(m.ipv6_src, 0xff, 16);
      if (dst) std::memset(m.ipv6_dst, 0xff, 16);
      if (symmetric) return mix_pair(h, k.ipv6_src, k.ipv6_dst, 16);
      return mix_bytes(h, src ? k.ipv6_src : k.ipv6_dst, 16);
    }
    return h;
  };
  auto ports = [&] {
    m.tp_src = 0xffff;
    m.tp_dst = 0xffff;
    return mix_pair(h, &k.tp_src, &k.tp_dst, 2);
  };
  switch (fields) {
    case kEthSrc:
      std::memset(&m.eth_src, 0xff, sizeof m.eth_src);
      return finish32(mix_bytes(h, &k.eth_src, sizeof k.eth_src));
    case kSymmetricL4:
      std::memset(&m.eth_src, 0xff, sizeof m.eth_src);
      std::memset(&m.eth_dst, 0xff, sizeof m.eth_dst);
      h = mix_pair(h, &k.eth_src, &k.eth_dst, sizeof k.eth_src);
      h = mix32(h, k.eth_type);
      for (int i = 0; i < kMaxVlanTags; ++i) {
        m.vlans[i].tci |= hton16(kVlanVidMask | kVlanCfi);
        h = mix32(h, k.vlans[i].tci & hton16(kVlanVidMask));
      }
      h = addresses(true, true, true);
      if (ip4 || ip6) {
        m.nw_proto = 0xff;
        h = mix32(h, k.nw_proto);
        if (k.nw_proto != 17) h = ports();  // UDP ports are not hashed (as OVS)
      }
      return finish32(h);
    case kSymmetricL3L4Udp:
    case kSymmetricL3L4:
      if (!ip4 && !ip6) return finish32(h);
      h = addresses(true, true, true);
      m.nw_proto = 0xff;
      h = mix32(h, k.nw_proto);
      if (!fragment && (k.nw_proto == 6 || k.nw_proto == 132 ||
                        (fields == kSymmetricL3L4Udp && k.nw_proto == 17)))
        h = ports();
      return finish32(h);
    case kNwSrc: return finish32(addresses(true, false, false));
    case kNwDst: return finish32(addresses(false, true, false));
    case kSymmetricL3: return finish32(addresses(true, true, true));
    default: return finish32(h);
  }
}

void XlateContext::do_multipath(const action::Multipath& mp) {
  const uint32_t hash = hash_fields(mp.fields, mp.basis);
  const unsigned n = mp.max_link + 1u;
  uint32_t link = 0;
  switch (mp.algorithm) {
    case 0:  // modulo_n
      link = hash % n;
      break;
    case 1:  // hash_threshold
      link = n == 1 ? 0 : hash / (0xffffffffu / n + 1);
      break;
    case 2:  // hrw: the link whose weight for this hash is highest
    case 3: {  // iter_hash
      if (mp.algorithm == 2 && n <= 64) {
        uint32_t best = 0;
        for (unsigned i = 0; i < n; ++i) {
          uint32_t w = finish32(mix32(hash, i));
          if (i == 0 || w > best) {
            best = w;
            link = i;
          }
        }
        break;
      }
      unsigned modulo = mp.algorithm == 3 ? mp.arg : 0;
      if (modulo < n || modulo / 2 > n) modulo = round_up_pow2(n);
      uint32_t i = 0;
      do {
        link = finish32(mix32(hash, i++)) % modulo;
      } while (link >= n);
      break;
    }
    default:
      return fail(fmt::format("multipath: algorithm {} is unknown", mp.algorithm));
  }
  write_subfield(mp.dst, link);
  if (tracing())
    trace(fmt::format("{}multipath: link {} of {} -> {}[{}..{}]", indent(), link, n,
                      mp.dst.field->name, mp.dst.ofs, mp.dst.ofs + mp.dst.n_bits - 1));
}

bool XlateContext::member_enabled(uint32_t of_port) const {
  switch (of_port) {
    case kOfppInPort:
    case kOfppTable:
    case kOfppNormal:
    case kOfppFlood:
    case kOfppAll:
    case kOfppAny:
      return true;
    case kOfppController:  // not a bundle member
      return false;
    default: {
      const BridgePort* p = bridge_.port(of_port_to_dp(of_port));
      return p && p->live();
    }
  }
}

void XlateContext::do_bundle(const action::Bundle& b) {
  uint32_t chosen = kOfppAny;
  if (b.algorithm == 0) {  // active_backup: the first live member
    for (uint32_t m : b.members)
      if (member_enabled(m)) {
        chosen = m;
        break;
      }
  } else if (b.algorithm == 1) {  // hrw over the live members
    // With one member the hash decides nothing: nothing to match.
    uint32_t hash = 0;
    if (b.members.size() > 1) {
      hash = hash_fields(b.fields, b.basis);
    }
    uint32_t best = 0;
    bool any = false;
    for (size_t i = 0; i < b.members.size(); ++i) {
      if (!member_enabled(b.members[i])) continue;
      const uint32_t w = finish32(mix32(static_cast<uint32_t>(i) * 0x9e3779b9u, hash));
      if (!any || w > best) {
        best = w;
        chosen = b.members[i];
        any = true;
      }
    }
  } else {
    return fail(fmt::format("bundle: algorithm {} is unknown", b.algorithm));
  }
  if (b.dst.field) {
    // bundle_load: the member's 16-bit number (OFPP_NONE 0xffff when none).
    const uint32_t value = chosen == kOfppAny ? 0xffff
                           : chosen >= 0xffffff00 ? chosen - 0xffff0000u
                                                  : chosen;
    write_subfield(b.dst, value);
    if (tracing())
      trace(fmt::format("{}bundle_load: member {:#x} -> {}[{}..{}]", indent(), value,
                        b.dst.field->name, b.dst.ofs, b.dst.ofs + b.dst.n_bits - 1));
    return;
  }
  if (chosen == kOfppAny) {
    trace(indent() + "bundle: no live member: drop");
    return;
  }
  if (tracing()) trace(fmt::format("{}bundle: member {}", indent(), chosen));
  do_output(chosen, 0, false);
}

}  // namespace flowpath::ofproto
