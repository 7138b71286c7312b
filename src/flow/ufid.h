// Ufid: the 128-bit unique flow identifier of Open vSwitch datapaths
// (OVS_FLOW_ATTR_UFID). It is held as four 32-bit words, as OVS's ovs_u128
// does, and printed the way OVS prints it:
//   ufid:PPPPPPPP-QQQQ-qqqq-RRRR-rrrrSSSSSSSS
// where P is word 0, Qq word 1, Rr word 2 and S word 3, in hex.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "flow/flow_key.h"

namespace flowpath {

struct Ufid {
  uint32_t words[4] = {0, 0, 0, 0};

  static constexpr size_t kTextLength = 5 + 36;  // "ufid:" + UUID form

  // Parses exactly "ufid:" followed by the 36-character form (hex digits in
  // either case), nothing before or after.
  static Result<Ufid> parse(std::string_view text);
  // Parses a UFID at the start of `text` (as in "ufid:... in_port(1),...").
  // Returns the number of characters consumed, 0 if `text` does not start
  // with "ufid:", or an error if it does but the rest is malformed.
  static Result<size_t> parse_prefix(std::string_view text, Ufid* out);

  // The identifier a flow gets when the caller names none: a 128-bit hash of
  // the normalised key and mask (key & mask, mask). Stable across runs and
  // builds; equal matches always give equal UFIDs.
  static Ufid from_match(const Match& match);

  // The 16 bytes of OVS_FLOW_ATTR_UFID: the four words in host order.
  std::array<uint8_t, 16> to_bytes() const;
  static Ufid from_bytes(const uint8_t bytes[16]);

  // "ufid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", lower case.
  std::string to_string() const;

  // 32-bit hash for hash tables (all 128 bits contribute).
  uint32_t hash() const;

  friend bool operator==(const Ufid& a, const Ufid& b) {
    return a.words[0] == b.words[0] && a.words[1] == b.words[1] && a.words[2] == b.words[2] &&
           a.words[3] == b.words[3];
  }
};

}  // namespace flowpath
