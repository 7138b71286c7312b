// OFPT_HELLO and version negotiation. A hello announces the highest version
// its sender speaks; from OpenFlow 1.3 it may carry a version bitmap element
// listing exactly which versions (bit N = version N).
#pragma once

#include <cstdint>

#include "openflow/wire/ofp_header.h"

namespace flowpath::openflow::wire {

// Bitmaps of OpenFlow versions: bit N set for version N (kOfp10 = bit 1).
inline constexpr uint32_t version_bit(uint8_t version) {
  return version < 32 ? 1u << version : 0;
}
// The versions this codec speaks: 1.0, 1.3, 1.4, 1.5.
inline constexpr uint32_t kSupportedVersions =
    version_bit(1) | version_bit(4) | version_bit(5) | version_bit(6);

struct Hello {
  uint8_t version = 0;    // from the header: the sender's highest version
  uint32_t versions = 0;  // every version the sender speaks (from the bitmap, or 1..version)
  bool has_bitmap = false;
};

// The highest version in a bitmap (0 for none).
uint8_t highest_version(uint32_t versions);

// The bitmap a hello without a bitmap element implies: versions 1..version.
uint32_t versions_up_to(uint8_t version);

// Unknown hello elements are skipped, as OpenFlow asks; malformed elements and
// a bitmap naming no version are errors.
WireResult<Hello> decode_hello(const OfpMessage& msg);
// A hello for `versions` (a bitmap): header version = the highest; a bitmap
// element unless the versions are exactly 1..highest.
Bytes encode_hello(uint32_t versions, uint32_t xid);

// The version both sides speak: the highest common one. nullopt when none;
// the caller then sends OFPHFC_INCOMPATIBLE.
std::optional<uint8_t> negotiate_version(uint32_t ours, const Hello& theirs);

}  // namespace flowpath::openflow::wire
