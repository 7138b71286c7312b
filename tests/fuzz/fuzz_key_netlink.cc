// libFuzzer target for the Netlink key and mask decoders.
//  - decode_key(input): when it succeeds, the key re-encodes to attributes
//    that decode to the same key with a perfect (or the same) fitness, and
//    re-encoding is then byte-for-byte stable. Under vlan-limit 1 it holds
//    one tag at most and agrees on keys without a second tag.
//  - decode_mask(second half of input, key): when it succeeds, the mask
//    re-encodes to attributes the decoder accepts, and one more round trip
//    changes nothing.
// A key that fails to decode still gets its second half tried as a mask of
// one of a few fixed keys (VLAN, tunnel, ND), so the mask paths see input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <span>
#include <vector>

#include "flow/key_netlink.h"
#include "packet/headers.h"

namespace {

using flowpath::DecodedKey;
using flowpath::FlowKey;
using flowpath::FlowMask;
using flowpath::KeyFitness;
using flowpath::NetlinkWriter;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_key_netlink: %s\n", what);
  std::abort();
}

std::vector<uint8_t> encode(const FlowKey& key, int max_vlan_headers = flowpath::kMaxVlanTags) {
  NetlinkWriter w;
  flowpath::encode_key(key, w, nullptr, max_vlan_headers);
  return w.bytes();
}

std::vector<uint8_t> encode(const FlowMask& mask, const FlowKey& key) {
  NetlinkWriter w;
  flowpath::encode_mask(mask, key, w);
  return w.bytes();
}

// An MPLS key none of whose labels is the bottom of the stack does not hold
// how many labels were written (a key of three labels and one of one label
// followed by zeros are the same), as in Open vSwitch: written back it may
// fit differently. Its fitness is not compared.
bool mpls_without_bottom(const FlowKey& key) {
  for (uint32_t lse : key.mpls_lse)
    if (lse & flowpath::hton32(flowpath::kMplsBosMask)) return false;
  return key.eth_type == flowpath::hton16(0x8847) || key.eth_type == flowpath::hton16(0x8848) ||
         key.mpls_lse[0] != 0;
}

void check_key(const DecodedKey& first) {
  std::vector<uint8_t> attrs = encode(first.key);
  auto second = flowpath::decode_key(attrs);
  if (!second.ok()) fail("re-encoded key does not decode");
  if (!(second->key == first.key)) fail("re-encoded key decodes to a different key");
  // A key that fitted keeps fitting. One that did not may change how it does
  // not: attributes past what a key holds (too much) are not written back,
  // and what is left may then lack what it implies (too little), e.g. an
  // MPLS stack of more labels than a key holds, none the bottom one.
  if (first.fitness == KeyFitness::kPerfect && second->fitness != KeyFitness::kPerfect &&
      !mpls_without_bottom(first.key)) {
    fail("re-encoded key has a worse fitness");
  }
  if (encode(second->key) != attrs) fail("key encoding is not stable");
}

void check_mask(std::span<const uint8_t> input, const FlowKey& key) {
  auto first = flowpath::decode_mask(input, key);
  if (!first.ok()) return;
  auto second = flowpath::decode_mask(encode(*first, key), key);
  if (!second.ok()) fail("re-encoded mask does not decode");
  std::vector<uint8_t> canonical = encode(*second, key);
  auto third = flowpath::decode_mask(canonical, key);
  if (!third.ok()) fail("canonical mask does not decode");
  if (!(*third == *second)) fail("mask decoding is not stable");
  if (encode(*third, key) != canonical) fail("mask encoding is not stable");
}

FlowKey fixed_key(unsigned which) {
  FlowKey k;
  k.clear();
  k.md.in_port = 1;
  switch (which % 3) {
    case 0:  // VLAN-tagged IPv4/TCP
      k.vlans[0] = {flowpath::hton16(0x8100), flowpath::hton16(0x1005)};
      k.eth_type = flowpath::hton16(0x0800);
      k.nw_proto = 6;
      break;
    case 1:  // tunnelled, with Geneve options and ERSPAN v2
      k.md.tunnel.ipv4_dst = 0x01020304;
      k.md.tunnel.ttl = 64;
      k.md.tunnel.geneve_length = 8;
      k.geneve_options[3] = 1;
      k.md.tunnel.erspan_version = 2;
      k.eth_type = flowpath::hton16(0x86dd);
      k.nw_proto = 17;
      break;
    default:  // IPv6 neighbor solicitation
      k.eth_type = flowpath::hton16(0x86dd);
      k.nw_proto = 58;
      k.tp_src = flowpath::hton16(135);
      break;
  }
  return k;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> input(data, size);
  std::span<const uint8_t> second_half = input.subspan(size / 2);
  auto decoded = flowpath::decode_key(input);
  // Under vlan-limit 1 a key holds one tag at most, and a key that has no
  // second tag decodes as it does under the highest limit.
  auto one_tag = flowpath::decode_key(input, 1);
  if (one_tag.ok() && one_tag->key.vlans[1].tci != 0) fail("vlan-limit 1 key has two tags");
  if (one_tag.ok()) {
    // Written back under the same limit, it reads back the same.
    auto again = flowpath::decode_key(encode(one_tag->key, 1), 1);
    if (!again.ok() || !(again->key == one_tag->key)) fail("vlan-limit 1 key does not round-trip");
    if (one_tag->fitness == KeyFitness::kPerfect && again->fitness != KeyFitness::kPerfect &&
        !mpls_without_bottom(one_tag->key)) {
      fail("vlan-limit 1 key re-encodes to a worse fitness");
    }
  }
  if (decoded.ok() && decoded->key.vlans[1].tci == 0) {
    if (!one_tag.ok()) fail("vlan-limit 1 refuses a key without a second tag");
    if (!(one_tag->key == decoded->key)) fail("vlan-limit 1 decodes another key");
  }
  if (decoded.ok()) {
    check_key(*decoded);
    check_mask(second_half, decoded->key);
  } else if (size != 0) {
    check_mask(second_half, fixed_key(data[0]));
  }
  return 0;
}
