// libFuzzer target for datapath action text and Netlink.
//
// Text: whatever parses must print, and the printed text must parse back to
// the same bytes and print the same text again.
//
// Netlink: whatever validate_actions accepts must print, the text must parse
// back to a list that validates and prints the same text, and that list must
// be byte-identical to the input unless the input uses a form the text cannot
// carry (lossless_list() below decides):
//  - Netlink framing: type flag bits, non-zero padding, unpadded attributes;
//    nested attributes in another order than the parser emits them;
//  - drop (its reason is not printed; a lone drop prints as the empty list;
//    among other actions its text does not parse, as in Open vSwitch);
//  - userspace userdata shorter than 8 bytes or absent (the text pads it),
//    and Open vSwitch cookies (their named form leaves out in_port and UUID);
//  - tnl_push (only the header fields Open vSwitch prints are in the text);
//  - sample probabilities that "%.1f%%" does not pin down;
//  - ct: a zero zone and the event mask (Open vSwitch prints neither);
//  - add_mpls tunnel flags, the padding bytes of push_mpls, arp and nd_ext;
//  - masked sets: value bits under zero mask bits, all-ones masks (a plain
//    set), nd_ext's nd_reserved mask (printed without it, as in OVS);
//  - tunnel sets: ERSPAN and Geneve option bits and the VXLAN GBP top byte
//    that the tunnel text does not show.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "actions/action_validate.h"
#include "odp/odp_action_text.h"
#include "common/netlink.h"
#include "flow/odp_abi.h"

namespace {

using namespace flowpath;

[[noreturn]] void fail(const char* what, std::string_view a, std::string_view b = {}) {
  std::fprintf(stderr, "%s\n  first:  %.*s\n  second: %.*s\n", what, static_cast<int>(a.size()),
               a.data(), static_cast<int>(b.size()), b.data());
  std::abort();
}

struct RawAttr {
  uint16_t type;  // as on the wire, flag bits included
  std::span<const uint8_t> payload;
};

// Splits a container the way NetlinkWriter would have written it: every
// attribute padded to 4 bytes with zeros, no type flag bits, nothing left
// over. False when the bytes could not have come from the writer.
bool split_canonical(std::span<const uint8_t> buf, std::vector<RawAttr>* out) {
  size_t off = 0;
  while (off < buf.size()) {
    if (buf.size() - off < kNlaHeaderLen) return false;
    uint16_t len, type;
    std::memcpy(&len, buf.data() + off, 2);
    std::memcpy(&type, buf.data() + off + 2, 2);
    if (len < kNlaHeaderLen || nla_align(len) > buf.size() - off) return false;
    if (type & ~kNlaTypeMask) return false;  // NLA_F_NESTED etc. are not written back
    for (size_t i = off + len; i < off + nla_align(len); ++i)
      if (buf[i] != 0) return false;
    out->push_back({type, buf.subspan(off + kNlaHeaderLen, len - kNlaHeaderLen)});
    off += nla_align(len);
  }
  return true;
}

// Attribute types must appear in the order the parser emits them.
bool in_order(const std::vector<RawAttr>& attrs, std::span<const int> rank_by_type) {
  int last = -1;
  for (const RawAttr& a : attrs) {
    int rank = a.type < rank_by_type.size() ? rank_by_type[a.type] : 1000;
    if (rank <= last) return false;
    last = rank;
  }
  return true;
}

bool nested_canonical(std::span<const uint8_t> payload, std::span<const int> rank_by_type,
                      std::vector<RawAttr>* attrs) {
  return split_canonical(payload, attrs) && in_order(*attrs, rank_by_type);
}

constexpr int kIncreasing[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
// ct: commit, force_commit, zone, mark, labels, helper, timeout, nat.
constexpr int kCtRank[] = {0, 1, 3, 4, 5, 6, 8, 2, 9, 7};

bool lossless_list(std::span<const uint8_t> actions);

bool all_ones(std::span<const uint8_t> bytes) {
  for (uint8_t b : bytes)
    if (b != 0xff) return false;
  return true;
}

// A masked set prints value/mask per field; value bits under a zero mask bit
// and an all-ones mask (which parses as a plain set) do not come back.
bool masked_value_prints(std::span<const uint8_t> value_and_mask) {
  size_t half = value_and_mask.size() / 2;
  auto value = value_and_mask.first(half), mask = value_and_mask.subspan(half);
  if (all_ones(mask)) return false;
  for (size_t i = 0; i < half; ++i)
    if (value[i] & ~mask[i]) return false;
  return true;
}

// The text of ERSPAN tunnel metadata has the version and, for v1, the index,
// for v2 the direction and hardware id; the other bytes and bits do not print.
bool erspan_prints(std::span<const uint8_t> opts) {
  odp::ErspanMetadata md;
  if (opts.size() != sizeof md) return false;
  std::memcpy(&md, opts.data(), sizeof md);
  static constexpr uint8_t kPrintedV1[8] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
  static constexpr uint8_t kPrintedV2[8] = {0, 0, 0, 0, 0, 0, 0x03, 0xf8};
  const uint8_t* kPrinted = md.version == 1 ? kPrintedV1 : kPrintedV2;
  for (int i = 0; i < 8; ++i)
    if (md.u[i] & ~kPrinted[i]) return false;
  return true;
}

// Geneve options print class, type, length and data, not the 3 reserved bits.
bool geneve_options_print(std::span<const uint8_t> options) {
  for (size_t off = 0; off + 4 <= options.size(); off += 4 + 4 * (options[off + 3] & 0x1f))
    if (options[off + 3] & 0xe0) return false;
  return true;
}

// VXLAN GBP prints as id (16 bits) and flags (8 bits); the top byte does not.
bool vxlan_gbp_prints(std::span<const uint8_t> vxlan_opts) {
  std::vector<RawAttr> ext;
  if (!split_canonical(vxlan_opts, &ext)) return false;
  for (const RawAttr& e : ext) {
    uint32_t gbp;
    std::memcpy(&gbp, e.payload.data(), 4);
    if (gbp & 0xff000000) return false;
  }
  return true;
}

bool lossless_set(const RawAttr& action) {
  std::vector<RawAttr> keys;
  if (!split_canonical(action.payload, &keys) || keys.size() != 1) return false;
  const RawAttr& key = keys[0];
  if (key.type > odp::kKeyAttrMax) return false;
  if (key.type == odp::kKeyArp) {  // the struct's 2 tail padding bytes are not printed
    for (size_t i = 0; i < key.payload.size(); ++i)
      if (i % sizeof(odp::KeyArp) >= 22 && key.payload[i]) return false;
  }
  if (key.type == odp::kKeyNdExtensions) {
    // Its 3 padding bytes are not printed, and (as in Open vSwitch) nd_reserved
    // prints without its mask.
    for (size_t i = 0; i < key.payload.size(); ++i)
      if (i % sizeof(odp::KeyNdExtensions) >= offsetof(odp::KeyNdExtensions, pad) && key.payload[i])
        return false;
    if (action.type == odp::kActionSetMasked &&
        !all_ones(key.payload.subspan(sizeof(odp::KeyNdExtensions), 4)))
      return false;
  }
  if (action.type == odp::kActionSet) {
    if (key.type == odp::kKeyNsh || key.type == odp::kKeyTunnel) {
      // Nested key attributes print in the key formatter's order.
      std::vector<RawAttr> fields;
      if (!split_canonical(key.payload, &fields) || !in_order(fields, kIncreasing)) return false;
      for (const RawAttr& f : fields) {
        if (key.type != odp::kKeyTunnel) continue;
        if (f.type == odp::kTunnelErspanOpts && !erspan_prints(f.payload)) return false;
        if (f.type == odp::kTunnelGeneveOpts && !geneve_options_print(f.payload)) return false;
        if (f.type == odp::kTunnelVxlanOpts && !vxlan_gbp_prints(f.payload)) return false;
      }
    }
    return true;
  }
  if (key.type == odp::kKeyNsh) {
    std::vector<RawAttr> fields;
    if (!split_canonical(key.payload, &fields) || !in_order(fields, kIncreasing)) return false;
    bool exact = true;
    for (const RawAttr& f : fields) {
      if (!masked_value_prints(f.payload) && !all_ones(f.payload.subspan(f.payload.size() / 2)))
        return false;
      exact = exact && all_ones(f.payload.subspan(f.payload.size() / 2));
    }
    return !exact;
  }
  return masked_value_prints(key.payload);
}

bool lossless_ct(std::span<const uint8_t> payload) {
  std::vector<RawAttr> attrs;
  if (!nested_canonical(payload, kCtRank, &attrs)) return false;
  for (const RawAttr& a : attrs) {
    if (a.type == odp::kCtEventmask) return false;  // not in Open vSwitch's text
    if (a.type == odp::kCtZone && a.payload[0] == 0 && a.payload[1] == 0) return false;
    if (a.type == odp::kCtNat) {
      std::vector<RawAttr> nat;
      if (!nested_canonical(a.payload, kIncreasing, &nat)) return false;
    }
  }
  return true;
}

bool sample_probability_prints(uint32_t probability) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", 100.0 * probability / UINT32_MAX);
  double percent = std::atof(text);
  double scaled = std::floor(UINT32_MAX * (percent / 100.0) + 0.5);
  return static_cast<uint32_t>(scaled) == probability;
}

bool lossless_action(const RawAttr& a) {
  switch (a.type) {
    case odp::kActionDrop:        // the reason is not printed; a lone drop is "drop"
    case odp::kActionTunnelPush:  // only the header fields Open vSwitch prints
      return false;
    case odp::kActionPushMpls:  // the struct's two padding bytes are not printed
      return a.payload[6] == 0 && a.payload[7] == 0;
    case odp::kActionAddMpls: {
      odp::ActionAddMpls m;
      std::memcpy(&m, a.payload.data(), sizeof m);
      return m.tunnel_flags == 0;  // not printed
    }
    case odp::kActionSet:
    case odp::kActionSetMasked: return lossless_set(a);
    case odp::kActionCt: return lossless_ct(a.payload);
    case odp::kActionUserspace: {
      // The text always carries userdata of at least 8 bytes (an all-zero
      // cookie when none is written), and a 48-byte Open vSwitch cookie prints
      // in its named form, which leaves out its in_port, UUID and padding.
      std::vector<RawAttr> attrs;
      if (!nested_canonical(a.payload, kIncreasing, &attrs)) return false;
      for (const RawAttr& attr : attrs) {
        if (attr.type != odp::kUserspaceUserdata) continue;
        if (attr.payload.size() < 8) return false;
        uint16_t cookie_type;
        std::memcpy(&cookie_type, attr.payload.data(), 2);
        return !(attr.payload.size() == 48 && cookie_type >= 1 && cookie_type <= 5);
      }
      return false;  // no userdata
    }
    case odp::kActionPushNsh: {
      std::vector<RawAttr> outer, attrs;
      return split_canonical(a.payload, &outer) && outer.size() == 1 &&
             nested_canonical(outer[0].payload, kIncreasing, &attrs);
    }
    case odp::kActionClone: return lossless_list(a.payload);
    case odp::kActionSample: {
      std::vector<RawAttr> attrs;
      if (!nested_canonical(a.payload, kIncreasing, &attrs) || attrs.size() != 2) return false;
      uint32_t probability;
      std::memcpy(&probability, attrs[0].payload.data(), 4);
      return sample_probability_prints(probability) && lossless_list(attrs[1].payload);
    }
    case odp::kActionCheckPktLen: {
      std::vector<RawAttr> attrs;
      return nested_canonical(a.payload, kIncreasing, &attrs) && attrs.size() == 3 &&
             lossless_list(attrs[1].payload) && lossless_list(attrs[2].payload);
    }
    default: return true;
  }
}

// Does the list hold a drop action next to other actions, at any depth? Its
// text ("1,drop") is what Open vSwitch prints and, like Open vSwitch, the
// parser refuses.
bool drop_among_others(std::span<const uint8_t> actions) {
  std::vector<RawAttr> attrs;
  if (!split_canonical(actions, &attrs)) return false;
  for (const RawAttr& a : attrs) {
    if (a.type == odp::kActionDrop && attrs.size() > 1) return true;
    std::vector<RawAttr> inner;
    switch (a.type) {
      case odp::kActionClone:
        if (drop_among_others(a.payload)) return true;
        break;
      case odp::kActionSample:
      case odp::kActionCheckPktLen:
        if (!split_canonical(a.payload, &inner)) break;
        for (const RawAttr& list : inner)
          if (list.type != odp::kSampleProbability &&  // = kCheckPktLenPktLen
              drop_among_others(list.payload))
            return true;
        break;
      default: break;
    }
  }
  return false;
}

// Can this (valid) list come back byte for byte from its text?
bool lossless_list(std::span<const uint8_t> actions) {
  std::vector<RawAttr> attrs;
  if (!split_canonical(actions, &attrs)) return false;
  for (const RawAttr& a : attrs)
    if (!lossless_action(a)) return false;
  return true;
}

std::string hex(std::span<const uint8_t> bytes) {
  std::string s;
  char b[4];
  for (uint8_t x : bytes) {
    std::snprintf(b, sizeof b, "%02x", x);
    s += b;
  }
  return s;
}

void check_text(std::string_view text) {
  auto first = parse_odp_actions(text);
  if (!first) return;
  std::string printed = format_odp_actions(*first);
  auto second = parse_odp_actions(printed);
  if (!second) fail("printed text does not parse", printed, second.error());
  if (*second != *first) fail("reparsed bytes differ", hex(*first), hex(*second));
  std::string reprinted = format_odp_actions(*second);
  if (reprinted != printed) fail("reprinted text differs", printed, reprinted);
  (void)validate_actions(*first);  // must not crash, may reject (e.g. trunc(10))
}

void check_netlink(std::span<const uint8_t> bytes) {
  std::string printed = format_odp_actions(bytes);  // must not crash, valid or not
  if (!validate_actions(bytes).ok()) return;
  auto parsed = parse_odp_actions(printed);
  if (!parsed && drop_among_others(bytes)) return;
  // The same when the drop's attribute has flag bits in its type (not
  // canonical, so drop_among_others does not see it): the text refuses it.
  if (!parsed && parsed.error().find("drop: only allowed alone") != std::string::npos) return;
  if (!parsed) fail("text of a valid list does not parse", printed, parsed.error());
  if (auto st = validate_actions(*parsed); !st.ok())
    fail("text of a valid list parses to an invalid list", printed, st.error());
  std::string reprinted = format_odp_actions(*parsed);
  if (reprinted != printed) {
    // userspace(pid=N) without userdata, as Open vSwitch's parser reads it,
    // gains an all-zero cookie, which prints as userdata(00...): the text
    // changes once, then stays.
    if (printed.find("userspace(") == std::string::npos)
      fail("text of a valid list does not print back", printed, reprinted);
    auto again = parse_odp_actions(reprinted);
    if (!again) fail("reprinted text does not parse", reprinted, again.error());
    std::string third = format_odp_actions(*again);
    if (third != reprinted) fail("reprinted text is not a fixed point", reprinted, third);
  }
  if (lossless_list(bytes) && *parsed != std::vector<uint8_t>(bytes.begin(), bytes.end()))
    fail("valid list does not come back byte for byte", hex(bytes), hex(*parsed));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  check_text(std::string_view(reinterpret_cast<const char*>(data), size));
  check_netlink(std::span<const uint8_t>(data, size));
  return 0;
}
