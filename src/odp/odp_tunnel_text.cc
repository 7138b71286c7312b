// tunnel(...) in text form, both directions:
//   tunnel(tun_id=0x1,src=10.0.0.1,dst=10.0.0.2,ipv6_src=..,ipv6_dst=..,tos=0x8,ttl=64,
//          tp_src=..,tp_dst=..,vxlan(gbp(id=..,flags=..)),geneve({class=..,type=..,len=4,0x..}),
//          erspan(ver=1,idx=..), gtpu(flags=..,msgtype=..),flags(df|csum|key))
// The parser writes the nested attributes in the order OVS emits them for a
// flow, whatever the order of the text, so the printed form is canonical.
#include <cctype>
#include <cstring>
#include <iterator>
#include <vector>

#include "odp/odp_key_text_impl.h"
#include "packet/byte_order.h"

namespace flowpath::odp_text {

using namespace odp;

namespace {

// Tunnel flags as OVS names them (FLOW_TNL_F_*). "key" is not an attribute:
// it says that tun_id is present.
constexpr uint32_t kFlagOam = 1 << 0, kFlagDontFragment = 1 << 1, kFlagCsum = 1 << 2,
                   kFlagKey = 1 << 3, kAllFlags = 0xf;
constexpr FlagName kTunnelFlagNames[] = {
    {kFlagOam, "oam"}, {kFlagDontFragment, "df"}, {kFlagCsum, "csum"}, {kFlagKey, "key"}};

constexpr size_t kGeneveMaxOptionsLength = 252;  // TLV_TOT_OPT_SIZE
constexpr size_t kGeneveOptionHeader = 4;        // be16 class, u8 type, u8 length/4

// OVS's length table for tunnel attributes; erspan and gtpu are checked too
// (OVS trusts them) so a short payload cannot be over-read.
std::optional<int> tunnel_length(uint16_t type) {
  switch (type) {
    case kTunnelId: return 8;
    case kTunnelIpv4Src: case kTunnelIpv4Dst: return 4;
    case kTunnelTos: case kTunnelTtl: return 1;
    case kTunnelTpSrc: case kTunnelTpDst: return 2;
    case kTunnelIpv6Src: case kTunnelIpv6Dst: return 16;
    case kTunnelGeneveOpts: return kVariable;
    case kTunnelVxlanOpts: return kNested;
    case kTunnelErspanOpts: return static_cast<int>(sizeof(ErspanMetadata));
    case kTunnelGtpuOpts: return static_cast<int>(sizeof(GtpuMetadata));
    default: return type <= kTunnelAttrMax ? std::optional<int>(0) : std::nullopt;
  }
}

// ---------------------------------------------------------------------------
// Parsing

// What the text gave, before it is written in canonical order.
struct TunnelText {
  struct Value {
    bool present = false;
    uint8_t size = 0;
    uint8_t key[16] = {};
    uint8_t mask[16] = {};
  };
  Value fields[kTunnelAttrMax + 1];  // by TunnelAttr; geneve apart
  bool has_geneve = false;
  size_t geneve_length = 0;
  uint8_t geneve[kGeneveMaxOptionsLength] = {}, geneve_mask[kGeneveMaxOptionsLength] = {};
  bool has_vxlan = false, has_gbp = false;
  uint32_t gbp = 0, gbp_mask = 0;  // host order: flags << 16 | id
  bool has_flags = false;
  uint32_t flags = 0, flags_mask = 0;
};

Status expect_open(ParseState& st, std::string_view name) {
  if (st.in.accept_prefix("(")) return Ok{};
  return st.in.error("expected '(' after '" + std::string(name) + "'");
}

Status expect_close(ParseState& st, std::string_view name) {
  if (st.in.accept(')')) return Ok{};
  if (st.in.at_end()) return st.in.error("missing ')' to close '" + std::string(name) + "('");
  return st.in.error("expected ')' to close '" + std::string(name) + "('");
}

Status parse_u8_into(ParseState& st, std::string_view name, uint64_t max, uint8_t& key,
                     uint8_t& mask) {
  uint64_t v, m;
  if (auto s = parse_masked_number(st, name, max, v, m); !s.ok()) return s;
  key = static_cast<uint8_t>(v);
  mask = static_cast<uint8_t>(m);
  return Ok{};
}

// vxlan(gbp(id=..,flags=..)), or an empty vxlan().
Status parse_vxlan(ParseState& st, TunnelText& t) {
  t.has_vxlan = true;
  st.in.skip_spaces();
  if (st.in.accept(')')) return Ok{};
  size_t pos = st.in.pos();
  std::string_view name = st.in.identifier();
  if (name != "gbp") return unknown_field(st, pos, name, "vxlan");
  if (auto s = expect_open(st, name); !s.ok()) return s;
  t.has_gbp = true;
  uint32_t seen = 0;
  auto status = parse_items(st, "gbp", [&](std::string_view field, size_t at) -> Status {
    int index = field == "id" ? 0 : field == "flags" ? 1 : -1;
    if (index < 0) return unknown_field(st, at, field, "gbp");
    if (seen & (1u << index)) return duplicate_field(st, at, field, "gbp");
    seen |= 1u << index;
    if (auto s = expect_equals(st, field); !s.ok()) return s;
    uint64_t v, m;
    int shift = index == 0 ? 0 : 16;
    if (auto s = parse_masked_number(st, field, index == 0 ? 0xffff : 0xff, v, m); !s.ok())
      return s;
    t.gbp |= static_cast<uint32_t>(v << shift);
    t.gbp_mask |= static_cast<uint32_t>(m << shift);
    return Ok{};
  });
  if (!status.ok()) return status;
  return expect_close(st, "vxlan");
}

// One Geneve option "{class=..,type=..,len=..,data[/mask]}"; the data, if
// any, comes last and is len bytes wide. Fields not given are wildcarded.
Status parse_geneve_option(ParseState& st, TunnelText& t) {
  TextScanner& in = st.in;
  if (t.geneve_length + kGeneveOptionHeader > kGeneveMaxOptionsLength)
    return in.error("geneve options too long (at most 252 bytes)");
  uint8_t* key = t.geneve + t.geneve_length;
  uint8_t* mask = t.geneve_mask + t.geneve_length;
  size_t data_length = 0;
  uint32_t seen = 0;
  bool has_data = false;
  in.skip_spaces();
  if (!in.accept('}')) {
    for (;;) {
      in.skip_spaces();
      size_t pos = in.pos();
      if (has_data) return in.error("the option data must come last in geneve({...})");
      if (std::isdigit(static_cast<unsigned char>(in.peek()))) {
        has_data = true;
        if (auto s = parse_wide_integer(st, "'geneve option data'", key + 4, data_length); !s.ok())
          return s;
        std::memset(mask + 4, 0xff, data_length);
        auto slash = mask_follows(st, "geneve option data");
        if (!slash.ok()) return Error{slash.error()};
        if (*slash) {
          auto s = parse_wide_integer(st, "the mask of 'geneve option data'", mask + 4, data_length);
          if (!s.ok()) return s;
        }
      } else {
        std::string_view name = in.identifier();
        int index = name == "class" ? 0 : name == "type" ? 1 : name == "len" ? 2 : -1;
        if (index < 0) {
          if (name.empty()) return in.error("expected class=, type=, len= or data in geneve({...})");
          return unknown_field(st, pos, name, "geneve");
        }
        if (seen & (1u << index)) return duplicate_field(st, pos, name, "geneve");
        seen |= 1u << index;
        if (auto s = expect_equals(st, name); !s.ok()) return s;
        uint64_t v, m;
        if (index == 0) {
          if (auto s = parse_masked_number(st, name, 0xffff, v, m); !s.ok()) return s;
          store_unaligned<be16>(key, hton16(static_cast<uint16_t>(v)));
          store_unaligned<be16>(mask, hton16(static_cast<uint16_t>(m)));
        } else if (index == 1) {
          if (auto s = parse_u8_into(st, name, 0xff, key[2], mask[2]); !s.ok()) return s;
        } else {
          size_t at = in.pos();
          if (auto s = parse_masked_number(st, name, 0xff, v, m); !s.ok()) return s;
          if (v > 124 || v % 4)
            return in.error_at(at, "geneve option len must be a multiple of 4 up to 124");
          if (t.geneve_length + kGeneveOptionHeader + v > kGeneveMaxOptionsLength)
            return in.error_at(at, "geneve options too long (at most 252 bytes)");
          data_length = v;
          key[3] = static_cast<uint8_t>(v / 4);
          mask[3] = static_cast<uint8_t>(m & 0x1f);  // the 5-bit length field
        }
      }
      if (in.accept(',')) continue;
      if (in.accept('}')) break;
      if (in.at_end()) return in.error("missing '}' to close a geneve option");
      return in.error("expected ',' or '}' in geneve({...})");
    }
  }
  t.geneve_length += kGeneveOptionHeader + data_length;
  return Ok{};
}

Status parse_geneve(ParseState& st, TunnelText& t) {
  t.has_geneve = true;
  for (;;) {
    st.in.skip_spaces();
    if (st.in.accept(')')) return Ok{};
    if (!st.in.accept('{')) {
      if (st.in.at_end()) return st.in.error("missing ')' to close 'geneve('");
      return st.in.error("expected '{' or ')' in geneve(...)");
    }
    if (auto s = parse_geneve_option(st, t); !s.ok()) return s;
  }
}

// erspan(ver=1,idx=..) or erspan(ver=2,dir=..,hwid=..). As in OVS, hwid is
// the 4-bit field of the second flags byte (the upper two bits, in the first
// flags byte, have no text form), and the version is always matched exactly.
Status parse_erspan(ParseState& st, TunnelText& t) {
  TunnelText::Value& v = t.fields[kTunnelErspanOpts];
  ErspanMetadata key{}, mask;
  std::memset(&mask, 0xff, sizeof mask);
  int version = 0;
  uint32_t seen = 0;
  auto status = parse_items(st, "erspan", [&](std::string_view name, size_t pos) -> Status {
    static constexpr std::string_view kNames[] = {"ver", "idx", "dir", "hwid"};
    size_t i = 0;
    while (i < 4 && kNames[i] != name) ++i;
    if (i == 4) return unknown_field(st, pos, name, "erspan");
    if ((version == 1 && i > 1) || (version == 2 && i == 1))
      return st.in.error_at(pos, "field '" + std::string(name) + "' is not valid with erspan ver=" +
                                     std::to_string(version));
    if (seen & (1u << i)) return duplicate_field(st, pos, name, "erspan");
    if (i > 0 && !version) return st.in.error_at(pos, "erspan(...) must start with ver=1 or ver=2");
    seen |= 1u << i;
    if (auto s = expect_equals(st, name); !s.ok()) return s;
    if (i == 0) {
      size_t at = st.in.pos();
      auto n = parse_number(st.in, "'ver'", 0xff);
      if (!n.ok()) return Error{n.error()};
      if (*n != 1 && *n != 2) return st.in.error_at(at, "erspan ver must be 1 or 2");
      // OVS reads a mask here and ignores it: the version is always exact.
      if (auto slash = mask_follows(st, name); !slash.ok()) return Error{slash.error()};
      else if (*slash) {
        if (auto m = parse_number(st.in, "the mask of 'ver'", 0xff); !m.ok()) return Error{m.error()};
      }
      version = static_cast<int>(*n);
      key.version = version;
      if (version == 1) std::memset(mask.u, 0, 4);  // idx wildcarded until given
      return Ok{};
    }
    uint64_t value, m;
    if (i == 1) {
      if (auto s = parse_masked_number(st, name, 0xffffffff, value, m); !s.ok()) return s;
      store_unaligned<be32>(key.u, hton32(static_cast<uint32_t>(value)));
      store_unaligned<be32>(mask.u, hton32(static_cast<uint32_t>(m)));
      return Ok{};
    }
    // Version 2 flags byte: hwid:4 dir:1 gra:2 o:1 (network bit order).
    int shift = i == 2 ? 3 : 4;
    if (auto s = parse_masked_number(st, name, i == 2 ? 1 : 0xf, value, m); !s.ok()) return s;
    uint8_t bits = static_cast<uint8_t>((i == 2 ? 1 : 0xf) << shift);
    key.u[7] = static_cast<uint8_t>((key.u[7] & ~bits) | (value << shift));
    mask.u[7] = static_cast<uint8_t>((mask.u[7] & ~bits) | (m << shift));
    return Ok{};
  });
  if (!status.ok()) return status;
  if (!version) return st.in.error("erspan(...) needs ver=1 or ver=2");
  if (version == 2 && !(seen & 4)) mask.u[7] &= static_cast<uint8_t>(~0x08);
  if (version == 2 && !(seen & 8)) mask.u[7] &= 0x0f;
  v.present = true;
  v.size = sizeof key;
  std::memcpy(v.key, &key, sizeof key);
  std::memcpy(v.mask, &mask, sizeof mask);
  return Ok{};
}

Status parse_gtpu(ParseState& st, TunnelText& t) {
  TunnelText::Value& v = t.fields[kTunnelGtpuOpts];
  uint32_t seen = 0;
  auto status = parse_items(st, "gtpu", [&](std::string_view name, size_t pos) -> Status {
    int i = name == "flags" ? 0 : name == "msgtype" ? 1 : -1;
    if (i < 0) return unknown_field(st, pos, name, "gtpu");
    if (seen & (1u << i)) return duplicate_field(st, pos, name, "gtpu");
    seen |= 1u << i;
    if (auto s = expect_equals(st, name); !s.ok()) return s;
    return parse_u8_into(st, name, 0xff, v.key[i], v.mask[i]);
  });
  if (!status.ok()) return status;
  v.present = true;
  v.size = sizeof(GtpuMetadata);
  return Ok{};
}

struct ScalarField {
  std::string_view name;
  uint16_t type;
};
constexpr ScalarField kScalarFields[] = {
    {"tun_id", kTunnelId},         {"src", kTunnelIpv4Src},       {"dst", kTunnelIpv4Dst},
    {"ipv6_src", kTunnelIpv6Src},  {"ipv6_dst", kTunnelIpv6Dst},  {"tos", kTunnelTos},
    {"ttl", kTunnelTtl},           {"tp_src", kTunnelTpSrc},      {"tp_dst", kTunnelTpDst},
};

Status parse_scalar(ParseState& st, std::string_view name, uint16_t type, TunnelText& t) {
  TunnelText::Value& v = t.fields[type];
  v.present = true;
  uint64_t value, mask;
  switch (type) {
    case kTunnelId:
      v.size = 8;
      if (auto s = parse_masked_number(st, name, UINT64_MAX, value, mask); !s.ok()) return s;
      store_unaligned<be64>(v.key, hton64(value));
      store_unaligned<be64>(v.mask, hton64(mask));
      return Ok{};
    case kTunnelIpv4Src:
    case kTunnelIpv4Dst:
      v.size = 4;
      return parse_masked_ipv4(st, name, v.key, v.mask);
    case kTunnelIpv6Src:
    case kTunnelIpv6Dst:
      v.size = 16;
      return parse_masked_ipv6(st, name, v.key, v.mask);
    case kTunnelTos:
    case kTunnelTtl:
      v.size = 1;
      return parse_u8_into(st, name, 0xff, v.key[0], v.mask[0]);
    default:  // tp_src, tp_dst
      v.size = 2;
      if (auto s = parse_masked_number(st, name, 0xffff, value, mask); !s.ok()) return s;
      store_unaligned<be16>(v.key, hton16(static_cast<uint16_t>(value)));
      store_unaligned<be16>(v.mask, hton16(static_cast<uint16_t>(mask)));
      return Ok{};
  }
}

void put_value(KeyMaskWriter& out, const TunnelText& t, uint16_t type) {
  const TunnelText::Value& v = t.fields[type];
  if (v.present) out.put(type, v.key, v.mask, v.size);
}

void put_flag(KeyMaskWriter& out, const TunnelText& t, uint32_t flag, uint16_t type) {
  if (t.flags & flag) out.key().put_flag(type);
  if (out.mask() && (t.flags_mask & flag)) out.mask()->put_flag(type);
}

// Writes the attributes in the order OVS uses for a flow's tunnel key.
void write_tunnel(KeyMaskWriter& out, TunnelText& t) {
  // flags(key) or flags(+key) without tun_id: tun_id is what says "key", so
  // add it, wildcarded, to keep the flag (OVS drops it, and then prints a
  // form that does not read back the same).
  if (!t.fields[kTunnelId].present && out.has_mask() && (t.flags & kFlagKey) &&
      (t.flags_mask & kFlagKey)) {
    t.fields[kTunnelId].present = true;
    t.fields[kTunnelId].size = 8;
  }
  KeyMaskWriter::Nest nest = out.begin_nested(kKeyTunnel);
  for (uint16_t type : {kTunnelId, kTunnelIpv4Src, kTunnelIpv4Dst, kTunnelIpv6Src,
                        kTunnelIpv6Dst, kTunnelTos, kTunnelTtl})
    put_value(out, t, type);
  put_flag(out, t, kFlagDontFragment, kTunnelDontFragment);
  put_flag(out, t, kFlagCsum, kTunnelCsum);
  put_value(out, t, kTunnelTpSrc);
  put_value(out, t, kTunnelTpDst);
  put_flag(out, t, kFlagOam, kTunnelOam);
  if (t.has_vxlan) {
    KeyMaskWriter::Nest vxlan = out.begin_nested(kTunnelVxlanOpts);
    if (t.has_gbp) out.put(kVxlanExtGbp, &t.gbp, &t.gbp_mask, 4);
    out.end_nested(vxlan);
  }
  if (t.has_geneve) out.put(kTunnelGeneveOpts, t.geneve, t.geneve_mask, t.geneve_length);
  put_value(out, t, kTunnelErspanOpts);
  put_value(out, t, kTunnelGtpuOpts);
  out.end_nested(nest);
}

}  // namespace

const FlagSet kTunnelFlagSet{"flags", kTunnelFlagNames, kAllFlags};

Status parse_tunnel(ParseState& st, KeyMaskWriter& out) {
  TunnelText t;
  uint32_t seen_nested = 0;  // vxlan, geneve, erspan, gtpu, flags
  uint32_t seen_scalar = 0;
  auto status = parse_items(st, "tunnel", [&](std::string_view name, size_t pos) -> Status {
    for (size_t i = 0; i < std::size(kScalarFields); ++i) {
      if (name != kScalarFields[i].name) continue;
      if (seen_scalar & (1u << i)) return duplicate_field(st, pos, name, "tunnel");
      seen_scalar |= 1u << i;
      if (auto s = expect_equals(st, name); !s.ok()) return s;
      return parse_scalar(st, name, kScalarFields[i].type, t);
    }
    static constexpr std::string_view kNested[] = {"vxlan", "geneve", "erspan", "gtpu", "flags"};
    size_t i = 0;
    while (i < std::size(kNested) && kNested[i] != name) ++i;
    if (i == std::size(kNested)) return unknown_field(st, pos, name, "tunnel");
    if (seen_nested & (1u << i)) return duplicate_field(st, pos, name, "tunnel");
    seen_nested |= 1u << i;
    if (auto s = expect_open(st, name); !s.ok()) return s;
    switch (i) {
      case 0: return parse_vxlan(st, t);
      case 1: return parse_geneve(st, t);
      case 2: return parse_erspan(st, t);
      case 3: return parse_gtpu(st, t);
      default: {
        t.has_flags = true;
        if (auto s = parse_flags(st, kTunnelFlagSet, true, t.flags, t.flags_mask); !s.ok())
          return s;
        return expect_close(st, "flags");
      }
    }
  });
  if (!status.ok()) return status;
  write_tunnel(out, t);
  return Ok{};
}

// ---------------------------------------------------------------------------
// Formatting

namespace {

// The mask OVS makes up for a tunnel attribute the mask does not mention:
// the same shape, all zero.
void append_zero_mask(const NetlinkAttr& key, std::vector<uint8_t>& buffer) {
  NetlinkWriter w(&buffer);
  if (key.type == kTunnelVxlanOpts) {
    size_t nest = w.begin_nested(key.type);
    walk_attributes(key.payload, [&](const NetlinkAttr& inner) { w.put_uninit(inner.type, inner.size()); });
    w.end_nested(nest);
  } else {
    w.put_uninit(key.type, key.size());
  }
}

// The mask attribute of `key` inside `mask_list`, or a zero one in `storage`.
std::optional<NetlinkAttr> mask_for(const NetlinkAttr& key, const NetlinkAttr* mask_list,
                                    std::vector<uint8_t>& storage) {
  if (!mask_list) return std::nullopt;
  if (auto found = find_attribute(mask_list->payload, key.type)) return found;
  append_zero_mask(key, storage);
  return find_attribute(storage, key.type);
}

void format_vxlan(std::string& out, const NetlinkAttr& attr, const NetlinkAttr* mask_attr,
                  bool verbose) {
  walk_attributes(attr.payload, [&](const NetlinkAttr& a) {
    std::vector<uint8_t> storage;
    std::optional<NetlinkAttr> found = mask_for(a, mask_attr, storage);
    const NetlinkAttr* ma = found ? &*found : nullptr;
    std::optional<int> expected =
        a.type == kVxlanExtGbp ? std::optional<int>(4)
                               : a.type == kVxlanExtUnspec ? std::optional<int>(0) : std::nullopt;
    if (!check_lengths(out, a, ma, expected, true)) return;
    if (a.type != kVxlanExtGbp) {
      format_unknown_nested(out, a, ma);
      return;
    }
    uint32_t gbp = a.get_u32(), gbp_mask = ma ? ma->get_u32() : 0;
    uint16_t id_mask = static_cast<uint16_t>(gbp_mask);
    uint8_t flags_mask = static_cast<uint8_t>(gbp_mask >> 16);
    out += "gbp(";
    format_u16(out, "id", static_cast<uint16_t>(gbp), ma ? &id_mask : nullptr, verbose, false);
    format_u8(out, "flags", static_cast<uint8_t>(gbp >> 16), ma ? &flags_mask : nullptr, verbose,
              true);
    chomp(out, ',');
    out += "),";
  });
  chomp(out, ',');
}

void format_geneve(std::string& out, const NetlinkAttr& attr, const NetlinkAttr* mask_attr,
                   bool verbose) {
  if (mask_attr && mask_attr->size() != attr.size()) {
    out += "value len " + std::to_string(attr.size()) + " different from mask len " +
           std::to_string(mask_attr->size());
    return;
  }
  const uint8_t* opt = attr.data();
  const uint8_t* mask = mask_attr ? mask_attr->data() : nullptr;
  size_t left = attr.size();
  while (left > 0) {
    if (left < kGeneveOptionHeader) {
      out += "opt len " + std::to_string(left) + " less than minimum 4";
      return;
    }
    size_t data_length = (opt[3] & 0x1f) * 4u;
    size_t length = kGeneveOptionHeader + data_length;
    if (length > left) {
      out += "opt len " + std::to_string(length) + " greater than remaining " +
             std::to_string(left);
      return;
    }
    uint16_t option_class = ntoh16(load_unaligned<be16>(opt));
    uint16_t class_mask = mask ? ntoh16(load_unaligned<be16>(mask)) : 0;
    uint8_t length_mask = 0;
    if (mask) length_mask = (mask[3] & 0x1f) == 0x1f ? 0xff : (mask[3] & 0x1f);
    std::span<const uint8_t> data(opt + 4, data_length);
    std::span<const uint8_t> data_mask;
    if (mask) data_mask = std::span<const uint8_t>(mask + 4, data_length);
    auto all = [](std::span<const uint8_t> s, uint8_t b) {
      for (uint8_t x : s)
        if (x != b) return false;
      return true;
    };
    bool show_data = data_length && (verbose || !mask || !all(data_mask, 0));
    out += '{';
    format_u16(out, "class", option_class, mask ? &class_mask : nullptr, verbose, true);
    format_u8(out, "type", opt[2], mask ? &mask[2] : nullptr, verbose, true);
    // The data's width is len: shown data needs len shown too, even with a
    // zero mask (which OVS, always matching len exactly, never produces).
    auto data_length_u8 = static_cast<uint8_t>(data_length);
    format_u8(out, "len", data_length_u8, mask ? &length_mask : nullptr, verbose || show_data,
              false);
    if (show_data) {
      put_trimmed_hex(out, data);
      if (mask && !all(data_mask, 0xff)) {
        out += '/';
        put_trimmed_hex(out, data_mask);
      }
    } else {
      chomp(out, ',');
    }
    out += '}';
    opt += length;
    if (mask) mask += length;
    left -= length;
  }
}

void format_erspan(std::string& out, const NetlinkAttr& attr, const NetlinkAttr* mask_attr,
                   bool verbose) {
  ErspanMetadata key, mask{};
  std::memcpy(&key, attr.data(), sizeof key);
  if (mask_attr) std::memcpy(&mask, mask_attr->data(), sizeof mask);
  auto version_mask = static_cast<uint8_t>(mask.version);
  format_u8(out, "ver", static_cast<uint8_t>(key.version), mask_attr ? &version_mask : nullptr,
            verbose, false);
  if (key.version == 1) {
    out += "idx=";
    put_alt_hex(out, ntoh32(load_unaligned<be32>(key.u)));
    if (mask_attr) {  // OVS always shows this mask
      out += '/';
      put_alt_hex(out, ntoh32(load_unaligned<be32>(mask.u)));
    }
    out += ',';
  } else if (key.version == 2) {
    uint8_t dir = (key.u[7] >> 3) & 1, hwid = key.u[7] >> 4;
    uint8_t dir_mask = (mask.u[7] >> 3) & 1, hwid_mask = mask.u[7] >> 4;
    format_u8(out, "dir", dir, mask_attr ? &dir_mask : nullptr, verbose, false);
    format_u8(out, "hwid", hwid, mask_attr ? &hwid_mask : nullptr, verbose, true);
  }
  chomp(out, ',');
}

void format_gtpu(std::string& out, const NetlinkAttr& attr, const NetlinkAttr* mask_attr,
                 bool verbose) {
  const uint8_t* key = attr.data();
  const uint8_t* mask = mask_attr ? mask_attr->data() : nullptr;
  format_u8(out, "flags", key[0], mask ? &mask[0] : nullptr, verbose, true);
  format_u8(out, "msgtype", key[1], mask ? &mask[1] : nullptr, verbose, false);
  chomp(out, ',');
}

void format_tunnel_id(std::string& out, const NetlinkAttr& a, const NetlinkAttr* ma,
                      bool verbose) {
  uint64_t id = ntoh64(a.get_u64());
  uint64_t mask = ma ? ntoh64(ma->get_u64()) : UINT64_MAX;
  if (!verbose && mask == 0) return;
  out += "tun_id=";
  put_0x(out, id);
  if (mask != UINT64_MAX) {
    out += '/';
    put_alt_hex(out, mask);
  }
  out += ',';
}

}  // namespace

void format_tunnel(const NetlinkAttr& attr, const NetlinkAttr* mask_attr, bool verbose,
                   std::string& out) {
  uint32_t flags = 0, mask_flags = 0;
  walk_attributes(attr.payload, [&](const NetlinkAttr& a) {
    std::vector<uint8_t> storage;
    std::optional<NetlinkAttr> found = mask_for(a, mask_attr, storage);
    const NetlinkAttr* ma = found ? &*found : nullptr;
    if (!check_lengths(out, a, ma, tunnel_length(a.type), true)) return;
    const uint8_t* m = ma ? ma->data() : nullptr;
    switch (a.type) {
      case kTunnelId:
        format_tunnel_id(out, a, ma, verbose);
        flags |= kFlagKey;
        if (ma) mask_flags |= kFlagKey;
        break;
      case kTunnelIpv4Src: format_ipv4_field(out, "src", a.data(), m, verbose); break;
      case kTunnelIpv4Dst: format_ipv4_field(out, "dst", a.data(), m, verbose); break;
      case kTunnelIpv6Src: format_ipv6_field(out, "ipv6_src", a.data(), m, verbose); break;
      case kTunnelIpv6Dst: format_ipv6_field(out, "ipv6_dst", a.data(), m, verbose); break;
      case kTunnelTos: format_u8(out, "tos", a.data()[0], m, verbose, true); break;
      case kTunnelTtl: format_u8(out, "ttl", a.data()[0], m, verbose, false); break;
      case kTunnelDontFragment: flags |= kFlagDontFragment; break;
      case kTunnelCsum: flags |= kFlagCsum; break;
      case kTunnelOam: flags |= kFlagOam; break;
      case kTunnelTpSrc:
      case kTunnelTpDst: {
        uint16_t mask16 = m ? ntoh16(load_unaligned<be16>(m)) : 0;
        format_u16(out, a.type == kTunnelTpSrc ? "tp_src" : "tp_dst",
                   ntoh16(load_unaligned<be16>(a.data())), m ? &mask16 : nullptr, verbose, false);
        break;
      }
      case kTunnelVxlanOpts:
        out += "vxlan(";
        format_vxlan(out, a, ma, verbose);
        out += "),";
        break;
      case kTunnelGeneveOpts:
        out += "geneve(";
        format_geneve(out, a, ma, verbose);
        out += "),";
        break;
      case kTunnelErspanOpts:
        out += "erspan(";
        format_erspan(out, a, ma, verbose);
        out += "),";
        break;
      case kTunnelGtpuOpts:
        out += "gtpu(";
        format_gtpu(out, a, ma, verbose);
        out += "),";
        break;
      case kTunnelPad:
        break;
      default:
        format_unknown_nested(out, a, ma);
        break;
    }
  });
  // A flag can be matched (as absent) without being in the key.
  if (mask_attr) {
    walk_attributes(mask_attr->payload, [&](const NetlinkAttr& a) {
      if (a.type == kTunnelDontFragment) mask_flags |= kFlagDontFragment;
      else if (a.type == kTunnelCsum) mask_flags |= kFlagCsum;
      else if (a.type == kTunnelOam) mask_flags |= kFlagOam;
    });
  }
  if (verbose || !mask_attr || mask_flags) {
    out += "flags(";
    if (mask_attr) format_flags_masked(out, kTunnelFlagNames, flags, mask_flags, kAllFlags);
    else format_flags(out, kTunnelFlagNames, flags);
    out += "),";
  }
  chomp(out, ',');
}

}  // namespace flowpath::odp_text
