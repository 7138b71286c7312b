// libFuzzer target for GRE decapsulation (tnl_pop of a gre port) and the
// GRE header tnl_push writes.
//
// Input: one selector byte, then bytes.
//   selector bit 0 = 0: the bytes are a frame from the wire; it sits at the
//     very end of its pool's memory (ASan catches any read past it) and is
//     popped as GRE. A success must leave an inner frame of at least an
//     Ethernet header, shorter than the outer frame by at least the outer
//     Ethernet, IP and GRE headers; the key flag exactly when the frame's
//     GRE header had K (tun_id 32 bits wide), the csum flag exactly when it
//     had C, and then a GRE checksum that verifies; the outer addresses the
//     frame's; no UDP ports.
//   bit 0 = 1: the bytes are an inner frame; a GRE header (bit 1: IPv6
//     outer header, bit 2: checksum, bit 3: key) is pushed, the frame cut to
//     (selector >> 4) * 2 bytes short of whole (0: not cut) and popped.
//     Whole, it must come back byte for byte with its key; cut, it must be
//     refused.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "flow/odp_abi.h"
#include "packet/checksum.h"
#include "packet/packet_pool.h"
#include "packet_at_end.h"
#include "tunnel/tunnel_decap.h"
#include "tunnel/tunnel_encap.h"

namespace flowpath {
namespace {

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_gre_decap: invariant broken: %s\n", what);
  std::abort();
}

using fuzz::PacketAtEnd;

constexpr uint32_t kKey = 0x89abcdef;

// An ActionPushTunnel payload for GRE, written out by hand (not by the
// header builder, so that the two check each other).
std::vector<uint8_t> push_payload(bool ipv6, bool checksum, bool key) {
  std::vector<uint8_t> h = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
  if (ipv6) {
    h.insert(h.end(), {0x86, 0xdd, 0x60, 0, 0, 0, 0, 0, 47, 64});
    for (int i = 0; i < 32; ++i) h.push_back(static_cast<uint8_t>(i == 15 ? 1 : i == 31 ? 2 : 0));
  } else {
    h.insert(h.end(), {0x08, 0x00, 0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 47, 0, 0, 192, 0, 2, 1, 192,
                       0, 2, 2});
  }
  h.insert(h.end(), {static_cast<uint8_t>((checksum ? 0x80 : 0) | (key ? 0x20 : 0)), 0, 0x65, 0x58});
  if (checksum) h.insert(h.end(), {0, 0, 0, 0});
  if (key) h.insert(h.end(), {0x89, 0xab, 0xcd, 0xef});
  std::vector<uint8_t> payload(16);
  const uint32_t prefix[4] = {1, 2, static_cast<uint32_t>(h.size()),
                              ipv6 ? uint32_t{odp::kVportIp6gre} : uint32_t{odp::kVportGre}};
  std::memcpy(payload.data(), prefix, sizeof prefix);
  payload.insert(payload.end(), h.begin(), h.end());
  return payload;
}

void decapsulate_wire_frame(const uint8_t* data, uint32_t n) {
  PacketAtEnd at(data, n);
  Packet& p = *at.packet;
  p.reset_metadata(1);
  if (tunnel::pop_gre(p) != tunnel::DecapError::kNone) return;
  // pop_gre() checked all this; the frame is still `data`.
  const uint32_t l4 = 14 + (data[12] == 0x86 ? 40 : 20);
  check(n >= l4 + 4, "popped a frame without a whole GRE base header");
  const uint16_t flags = static_cast<uint16_t>(data[l4] << 8 | data[l4 + 1]);
  check((flags & ~0xb000) == 0, "popped GRE flags other than C, K and S");
  check(data[l4 + 2] == 0x65 && data[l4 + 3] == 0x58, "popped a protocol other than 0x6558");
  const uint32_t gre_length = 4 + ((flags & 0x8000) ? 4 : 0) + ((flags & 0x2000) ? 4 : 0) +
                              ((flags & 0x1000) ? 4 : 0);
  check(p.size() >= 14, "inner frame shorter than an Ethernet header");
  check(p.size() + l4 + gre_length <= n, "inner frame longer than the outer payload");
  const TunnelMetadata& t = p.md.tunnel;
  check(((t.flags & kTunnelFlagKey) != 0) == ((flags & 0x2000) != 0), "key flag without K or K without it");
  check(((t.flags & kTunnelFlagCsum) != 0) == ((flags & 0x8000) != 0), "csum flag without C or C without it");
  check(ntoh64(t.tun_id) <= UINT32_MAX, "GRE key wider than 32 bits");
  if (!(flags & 0x2000)) check(t.tun_id == 0, "a tun_id without a key");
  check(t.tp_src == 0 && t.tp_dst == 0, "UDP ports recorded for GRE");
  // The outer addresses are the frame's (any value: a flow decides where
  // tnl_pop applies).
  if (data[12] == 0x08) {
    check(std::memcmp(&t.ipv4_src, data + 14 + 12, 4) == 0 &&
              std::memcmp(&t.ipv4_dst, data + 14 + 16, 4) == 0,
          "outer IPv4 addresses not the frame's");
  } else {
    check(std::memcmp(t.ipv6_src, data + 14 + 8, 16) == 0 &&
              std::memcmp(t.ipv6_dst, data + 14 + 24, 16) == 0,
          "outer IPv6 addresses not the frame's");
  }
  if (flags & 0x8000) {
    const uint32_t end = l4 + gre_length + p.size();  // the IP packet's end
    check(internet_checksum(data + l4, end - l4) == 0, "a GRE checksum that does not verify");
  }
}

void round_trip(uint8_t selector, const uint8_t* inner, uint32_t n) {
  if (n < 14 || n > 1400) return;
  const bool key = selector & 8;
  const std::vector<uint8_t> payload = push_payload(selector & 2, selector & 4, key);
  tunnel::EncapHeader header;
  check(tunnel::decode_encap_header(payload, &header), "own push payload refused");
  PacketPool pool(1);
  Packet* p = pool.allocate();
  check(p->assign(inner, n), "inner frame does not fit");
  tunnel::push_encap_header(*p, header, n * 2654435761u);
  std::vector<uint8_t> frame(p->data(), p->data() + p->size());
  pool.release(p);
  const uint32_t cut = (selector >> 4) * 2u;
  if (cut >= frame.size()) return;
  PacketAtEnd at(frame.data(), static_cast<uint32_t>(frame.size() - cut));
  at.packet->reset_metadata(1);
  const tunnel::DecapError e = tunnel::pop_gre(*at.packet);
  if (cut != 0) {
    check(e != tunnel::DecapError::kNone, "a cut frame was decapsulated");
    return;
  }
  check(e == tunnel::DecapError::kNone, "an encapsulated frame was refused");
  check(at.packet->size() == n && std::memcmp(at.packet->data(), inner, n) == 0,
        "the inner frame did not come back");
  check(ntoh64(at.packet->md.tunnel.tun_id) == (key ? kKey : 0), "key changed");
}

}  // namespace
}  // namespace flowpath

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 4096) return 0;
  const uint8_t selector = data[0];
  if (selector & 1)
    flowpath::round_trip(selector, data + 1, static_cast<uint32_t>(size - 1));
  else
    flowpath::decapsulate_wire_frame(data + 1, static_cast<uint32_t>(size - 1));
  return 0;
}
