// libFuzzer target for tunnel decapsulation (tnl_pop of VXLAN and Geneve).
//
// Input: one selector byte, then bytes.
//   selector bit 0 = 0: the bytes are a frame from the wire; it sits at the
//     very end of its pool's memory (ASan catches any read past it) and is
//     decapsulated. A success must leave an inner frame of at least an
//     Ethernet header, shorter than the outer frame by at least the outer
//     headers, with a 24-bit VNI and the key flag. Bit 1: the frame comes
//     with a partial checksum left to the device, as a virtio-net header
//     gives it (start: the next two bytes, little-endian; field at 16 from
//     it with bit 2, else 6); a partial checksum the inner frame keeps is
//     then finished (within the frame, or ASan says so). Bit 3: the frame
//     is popped as Geneve; a success must also leave well-formed options
//     (each option's length inside the options' length, which is a
//     multiple of 4 up to 252) copied from the frame.
//   bit 0 = 1: the bytes are an inner frame; it is encapsulated (bit 1:
//     IPv6 outer header, bit 2: UDP checksum), cut to (selector >> 3) * 2
//     bytes short of whole (0: not cut), and decapsulated. Whole, it must
//     come back byte for byte; cut, it must be refused.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "flow/odp_abi.h"
#include "packet/offload_finish.h"
#include "packet/packet_pool.h"
#include "packet_at_end.h"
#include "tunnel/tunnel_decap.h"
#include "tunnel/tunnel_encap.h"

namespace flowpath {
namespace {

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_tunnel_decap: invariant broken: %s\n", what);
  std::abort();
}

using fuzz::PacketAtEnd;

std::vector<uint8_t> push_payload(bool ipv6, bool checksum) {
  std::vector<uint8_t> h = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
  if (ipv6) {
    h.insert(h.end(), {0x86, 0xdd, 0x60, 0, 0, 0, 0, 0, 17, 64});
    for (int i = 0; i < 32; ++i) h.push_back(static_cast<uint8_t>(i == 15 ? 1 : i == 31 ? 2 : 0));
  } else {
    h.insert(h.end(), {0x08, 0x00, 0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192,
                       0, 2, 2});
  }
  const uint8_t c = checksum ? 0xff : 0;
  h.insert(h.end(), {0, 0, 0x12, 0xb5, 0, 0, c, c, 0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0});
  std::vector<uint8_t> payload(16);
  const uint32_t prefix[4] = {1, 2, static_cast<uint32_t>(h.size()), odp::kVportVxlan};
  std::memcpy(payload.data(), prefix, sizeof prefix);
  payload.insert(payload.end(), h.begin(), h.end());
  return payload;
}

void decapsulate_wire_frame(uint8_t selector, const uint8_t* data, uint32_t n) {
  uint16_t checksum_start = 0;
  if (selector & 2) {
    if (n < 2) return;
    checksum_start = static_cast<uint16_t>(data[0] | data[1] << 8);
    data += 2;
    n -= 2;
  }
  PacketAtEnd at(data, n);
  Packet& p = *at.packet;
  p.reset_metadata(1);
  if (selector & 2) {
    p.offload.needs = offload::kPartialChecksum;
    p.offload.l4_offset = checksum_start;
    p.offload.checksum_offset = (selector & 4) ? 16 : 6;
  }
  const bool geneve = selector & 8;
  uint8_t outer[4096];
  std::memcpy(outer, p.data(), p.size());
  if ((geneve ? tunnel::pop_geneve(p) : tunnel::pop_vxlan(p)) != tunnel::DecapError::kNone) return;
  if (p.offload.needs != 0) {
    check(p.offload.needs == offload::kPartialChecksum, "offloads other than a partial checksum kept");
    check(p.offload.l4_offset + p.offload.checksum_offset + 2u <= p.size(),
          "a kept partial checksum's field lies outside the inner frame");
    finish_checksum(p);
  }
  check(p.size() >= 14, "inner frame shorter than an Ethernet header");
  const uint32_t options = geneve ? p.md.tunnel.geneve_length : 0;
  check(p.size() + 50 + options <= n, "inner frame longer than the outer payload");
  if (geneve) {
    check(options % 4 == 0 && options <= kGeneveMaxLength, "Geneve options' length");
    uint32_t offset = 0;
    while (offset < options) offset += 4 + 4 * (p.geneve_options[offset + 3] & 0x1fu);
    check(offset == options, "a Geneve option runs past the options");
    // They are the frame's, right after the 8-byte Geneve header.
    const uint32_t l4 = 14 + (outer[12] == 0x86 ? 40 : 20);
    check(std::memcmp(outer + l4 + 8 + 8, p.geneve_options, options) == 0,
          "the options are not the frame's");
  } else {
    check(p.md.tunnel.geneve_length == 0, "VXLAN left Geneve options");
  }
  check(ntoh64(p.md.tunnel.tun_id) < (1u << 24), "VNI wider than 24 bits");
  check((p.md.tunnel.flags & kTunnelFlagKey) != 0, "no key flag");
  check(p.md.tunnel.present(), "no outer destination recorded");
}

void round_trip(uint8_t selector, const uint8_t* inner, uint32_t n) {
  if (n < 14 || n > 1400) return;
  const std::vector<uint8_t> payload = push_payload(selector & 2, selector & 4);
  tunnel::EncapHeader header;
  check(tunnel::decode_encap_header(payload, &header), "own push payload refused");
  PacketPool pool(1);
  Packet* p = pool.allocate();
  check(p->assign(inner, n), "inner frame does not fit");
  tunnel::push_encap_header(*p, header, n * 2654435761u);
  std::vector<uint8_t> frame(p->data(), p->data() + p->size());
  pool.release(p);
  const uint32_t cut = (selector >> 3) * 2u;
  if (cut >= frame.size()) return;
  PacketAtEnd at(frame.data(), static_cast<uint32_t>(frame.size() - cut));
  at.packet->reset_metadata(1);
  const tunnel::DecapError e = tunnel::pop_vxlan(*at.packet);
  if (cut != 0) {
    check(e != tunnel::DecapError::kNone, "a cut frame was decapsulated");
    return;
  }
  check(e == tunnel::DecapError::kNone, "an encapsulated frame was refused");
  check(at.packet->size() == n && std::memcmp(at.packet->data(), inner, n) == 0,
        "the inner frame did not come back");
  check(ntoh64(at.packet->md.tunnel.tun_id) == 0x123456, "VNI changed");
}

}  // namespace
}  // namespace flowpath

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 4096) return 0;
  const uint8_t selector = data[0];
  if (selector & 1)
    flowpath::round_trip(selector, data + 1, static_cast<uint32_t>(size - 1));
  else
    flowpath::decapsulate_wire_frame(selector, data + 1, static_cast<uint32_t>(size - 1));
  return 0;
}
