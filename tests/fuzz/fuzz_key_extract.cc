// libFuzzer target for key extraction.
//
// Input: one selector byte, then the frame. The selector picks the metadata:
//   bits 0-1  0 Ethernet, 1 L3 IPv4, 2 L3 IPv6, 3 another packet type:
//   bits 5-6  (when bits 0-1 are 3) L3 MPLS, L3 NSH, L3 ARP, or IPv4 under a
//             namespace that is not EtherType
//   bit 2     the packet came through a tunnel with Geneve options, whose
//             length is bits 3-7 times 8 (clamped to the maximum)
// Each frame sits at the very end of its pool's memory, so ASan catches any
// read past the frame. A key is extracted from the packet, reused for a
// second packet (the frame without its first bytes, the tunnel toggled and
// fewer options), then for the first again; the checks are the invariants
// every extraction must keep and that reusing a key changes nothing.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "flow/key_extract.h"
#include "packet/packet_pool.h"
#include "packet_at_end.h"

namespace flowpath {
namespace {

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_key_extract: invariant broken: %s\n", what);
  std::abort();
}

using fuzz::PacketAtEnd;

PacketMetadata metadata_for(uint8_t selector, bool tunnel) {
  PacketMetadata md{};
  md.in_port = 1u + (selector & 7);
  md.recirc_id = selector >> 6;
  static constexpr uint32_t kOtherTypes[4] = {0x10000 | ethertype::kMplsUnicast,
                                              0x10000 | ethertype::kNsh, 0x10000 | ethertype::kArp,
                                              0x20000 | ethertype::kIpv4};
  switch (selector & 3) {
    case 0:
      md.packet_type = 0;
      break;
    case 1:
      md.packet_type = hton32(0x10000 | ethertype::kIpv4);
      break;
    case 2:
      md.packet_type = hton32(0x10000 | ethertype::kIpv6);
      break;
    default:
      md.packet_type = hton32(kOtherTypes[(selector >> 5) & 3]);
      break;
  }
  if (tunnel) {
    md.tunnel.tun_id = hton64(selector);
    md.tunnel.ipv4_dst = hton32(0x0a000002);
    md.tunnel.flags = kTunnelFlagKey;
    md.tunnel.tp_dst = hton16(6081);
    uint32_t length = (selector >> 3) * 8u;
    md.tunnel.geneve_length =
        static_cast<uint8_t>(length < kGeneveMaxLength ? length : kGeneveMaxLength);
  }
  return md;
}

void set_options(Packet& p, uint8_t seed) {
  // Bytes past geneve_length are garbage on purpose: they must not leak in.
  for (int i = 0; i < kGeneveMaxLength; ++i) p.geneve_options[i] = uint8_t(seed + i * 31 + 1);
}

bool all_zero(const void* p, size_t n) {
  auto* b = static_cast<const uint8_t*>(p);
  for (size_t i = 0; i < n; ++i) {
    if (b[i] != 0) return false;
  }
  return true;
}

void check_extraction(const Packet& p, const FlowKey& key) {
  uint32_t size = p.size();
  auto within = [size](uint16_t offset) { return offset == Packet::kNoOffset || offset <= size; };
  check(within(p.l2_5_offset) && within(p.l3_offset) && within(p.l4_offset),
        "layer offsets inside the frame");
  if (p.l4_offset != Packet::kNoOffset) {
    check(p.l3_offset != Packet::kNoOffset && p.l3_offset <= p.l4_offset, "L3 before L4");
  }
  if (p.l2_5_offset != Packet::kNoOffset) {
    check(p.l3_offset != Packet::kNoOffset && p.l2_5_offset <= p.l3_offset, "MPLS before L3");
  }

  uint32_t options = key.md.tunnel.geneve_length;
  check(options <= kGeneveMaxLength, "Geneve length in range");
  check(std::memcmp(key.geneve_options, p.geneve_options, options) == 0, "Geneve options copied");
  check(all_zero(key.geneve_options + options, kGeneveMaxLength - options) && key.pad_tail == 0,
        "Geneve bytes past the length are zero");
  check(std::memcmp(&key.md, &p.md, sizeof key.md) == 0, "metadata copied");
  check(key.pad_l2 == 0 && key.pad_mpls == 0 && key.pad_l3 == 0 && key.pad_l4 == 0, "padding zero");
  if (p.md.packet_type == 0 && size < sizeof(EthHeader)) {
    check(all_zero(&key.eth_src, offsetof(FlowKey, geneve_options) - offsetof(FlowKey, eth_src)),
          "no header fields without an Ethernet header");
  }

  // The minimal mask covers everything the parser put into the key (the
  // metadata here only has fields the mask keeps).
  FlowKey masked;
  apply_mask(key, minimal_mask(key), &masked);
  check(masked == key, "minimal mask covers every extracted field");
}

FlowKey fresh_extraction(Packet& p) {
  FlowKey key;
  key.clear();
  extract_key(p, &key);
  return key;
}

}  // namespace
}  // namespace flowpath

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace flowpath;
  if (size < 1 || size > 65536) return 0;
  uint8_t selector = data[0];
  const uint8_t* frame = data + 1;
  uint32_t frame_size = static_cast<uint32_t>(size - 1);

  PacketAtEnd first(frame, frame_size);
  first.packet->md = metadata_for(selector, selector & 4);
  set_options(*first.packet, selector);

  uint32_t skip = frame_size == 0 ? 0 : selector % 7 % (frame_size + 1);
  PacketAtEnd second(frame + skip, frame_size - skip);
  second.packet->md = metadata_for(uint8_t(selector ^ 0x84), !(selector & 4));
  second.packet->md.tunnel.geneve_length /= 2;
  set_options(*second.packet, uint8_t(selector + 1));

  FlowKey key;
  key.clear();
  extract_key(*first.packet, &key);
  check_extraction(*first.packet, key);
  FlowKey first_key = key;

  extract_key(*second.packet, &key);
  check_extraction(*second.packet, key);
  check(key == fresh_extraction(*second.packet), "a reused key gives what a fresh one gives");

  extract_key(*first.packet, &key);
  check(key == first_key, "extracting the same packet again gives the same key");

  // Under vlan-limit 1 a second tag stays in the payload; a packet with
  // fewer tags gets the key it gets under any limit.
  FlowKey one_tag;
  one_tag.clear();
  extract_key(*first.packet, &one_tag, 1);
  check(one_tag.vlans[1].tpid == 0 && one_tag.vlans[1].tci == 0, "vlan-limit 1 takes one tag");
  if (first_key.vlans[1].tci == 0) check(one_tag == first_key, "vlan-limit 1, fewer tags");
  extract_key(*first.packet, &key);  // the limit leaves nothing behind in a reused key
  check(key == first_key, "a key reused across limits");

  // The batch entry point agrees with the single-packet one.
  PacketBatch batch;
  batch.add(first.packet);
  batch.add(second.packet);
  FlowKey keys[2];
  keys[0].clear();
  keys[1].clear();
  extract_keys(batch, keys, kMaxVlanTags);
  check(keys[0] == first_key, "batch extraction agrees (first packet)");
  FlowKey second_key = fresh_extraction(*second.packet);
  check(keys[1] == second_key, "batch extraction agrees (second packet)");

  // Batch keys are reused without clearing: swapping the packets must give
  // each key exactly what a fresh one gets.
  PacketBatch swapped;
  swapped.add(second.packet);
  swapped.add(first.packet);
  extract_keys(swapped, keys, kMaxVlanTags);
  check(keys[0] == second_key && keys[1] == first_key, "reused batch keys");
  return 0;
}
