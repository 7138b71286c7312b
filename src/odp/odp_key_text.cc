// Key attribute lists in text form: the public entry points, the attribute
// tables (names, lengths, which mask bits count) and the list-level rules of
// Open vSwitch's flow printer (wildcarded attributes left out, "eth()" kept,
// leftover bytes shown).
#include "odp/odp_key_text.h"

#include <cctype>
#include <cstddef>
#include <vector>

#include "odp/odp_key_text_impl.h"

namespace flowpath {
namespace odp_text {
namespace {

using namespace odp;

bool is_delimiter(char c) { return c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

void skip_delimiters(TextScanner& in) {
  while (!in.at_end() && is_delimiter(in.peek())) in.set_pos(in.pos() + 1);
}

bool all_bytes_are(std::span<const uint8_t> bytes, uint8_t value) {
  for (uint8_t b : bytes)
    if (b != value) return false;
  return true;
}

}  // namespace

// Each attribute type may appear once per level.
Status parse_attribute_list(ParseState& st, KeyMaskWriter& out, bool nested) {
  TextScanner& in = st.in;
  uint64_t seen = 0;
  for (;;) {
    skip_delimiters(in);
    if (in.at_end()) {
      if (nested) return in.error("missing ')' to close 'encap('");
      return Ok{};
    }
    if (in.peek() == ')') {
      if (nested) {
        in.set_pos(in.pos() + 1);
        return Ok{};
      }
      return in.error("unbalanced parentheses: unexpected ')'");
    }
    size_t start = in.pos();
    auto type = parse_one_attribute(st, out);
    if (!type.ok()) return Error{type.error()};
    if (*type < 64) {
      if ((seen >> *type) & 1)
        return in.error_at(start, "duplicate attribute '" + key_attr_name(*type) + "'");
      seen |= uint64_t{1} << *type;
    }
    if (!out.ok()) return in.error_at(start, "key too long: an attribute exceeds 65535 bytes");
    if (!in.at_end() && !is_delimiter(in.peek()) && in.peek() != ')')
      return in.error("expected ',' after " + key_attr_name(*type) + "(...)");
  }
}

namespace {

// A mask that wildcards every field of `key`, for attributes the mask does
// not mention. Nested lists keep their shape (minus tunnel flags, whose mere
// presence in a mask would mean "match this flag").
void append_wildcard_mask(const NetlinkAttr& key, bool in_tunnel, NetlinkWriter& out);

void append_wildcard_list(std::span<const uint8_t> list, bool in_tunnel, NetlinkWriter& out) {
  walk_attributes(list, [&](const NetlinkAttr& inner) {
    append_wildcard_mask(inner, in_tunnel, out);
  });
}

void append_wildcard_mask(const NetlinkAttr& key, bool in_tunnel, NetlinkWriter& out) {
  if (in_tunnel) {
    switch (key.type) {
      case kTunnelDontFragment:
      case kTunnelCsum:
      case kTunnelOam:
        return;
      case kTunnelVxlanOpts: {
        size_t nest = out.begin_nested(key.type);
        append_wildcard_list(key.payload, false, out);
        out.end_nested(nest);
        return;
      }
      default:
        out.put_uninit(key.type, key.size());
        return;
    }
  }
  switch (key.type) {
    case kKeyEncap:
    case kKeyTunnel:
    case kKeyNsh: {
      size_t nest = out.begin_nested(key.type);
      append_wildcard_list(key.payload, key.type == kKeyTunnel, out);
      out.end_nested(nest);
      return;
    }
    default:
      out.put_uninit(key.type, key.size());
  }
}

void format_named_attribute(const NetlinkAttr& key, const NetlinkAttr* mask, bool verbose,
                            std::string& out, int depth) {
  out += key_attr_name(key.type);
  out += '(';
  format_attribute_body(key, mask, verbose, out, depth);
}

}  // namespace

namespace {

constexpr FieldSpec kEthernetFields[] = {
    {"src", offsetof(KeyEthernet, src), FieldKind::kEth},
    {"dst", offsetof(KeyEthernet, dst), FieldKind::kEth},
};
constexpr FieldSpec kIpv4Fields[] = {
    {"src", offsetof(KeyIpv4, src), FieldKind::kIpv4},
    {"dst", offsetof(KeyIpv4, dst), FieldKind::kIpv4},
    {"proto", offsetof(KeyIpv4, proto), FieldKind::kU8Dec},
    {"tos", offsetof(KeyIpv4, tos), FieldKind::kU8Hex},
    {"ttl", offsetof(KeyIpv4, ttl), FieldKind::kU8Dec},
    {"frag", offsetof(KeyIpv4, frag), FieldKind::kFrag},
};
constexpr FieldSpec kIpv6Fields[] = {
    {"src", offsetof(KeyIpv6, src), FieldKind::kIpv6},
    {"dst", offsetof(KeyIpv6, dst), FieldKind::kIpv6},
    {"label", offsetof(KeyIpv6, label), FieldKind::kIpv6Label},
    {"proto", offsetof(KeyIpv6, proto), FieldKind::kU8Dec},
    {"tclass", offsetof(KeyIpv6, tclass), FieldKind::kU8Hex},
    {"hlimit", offsetof(KeyIpv6, hlimit), FieldKind::kU8Dec},
    {"frag", offsetof(KeyIpv6, frag), FieldKind::kFrag},
};
constexpr FieldSpec kPortFields[] = {
    {"src", offsetof(KeyPorts, src), FieldKind::kBe16Dec},
    {"dst", offsetof(KeyPorts, dst), FieldKind::kBe16Dec},
};
constexpr FieldSpec kIcmpFields[] = {
    {"type", offsetof(KeyIcmp, type), FieldKind::kU8Dec},
    {"code", offsetof(KeyIcmp, code), FieldKind::kU8Dec},
};
constexpr FieldSpec kArpFields[] = {
    {"sip", offsetof(KeyArp, sip), FieldKind::kIpv4},
    {"tip", offsetof(KeyArp, tip), FieldKind::kIpv4},
    {"op", offsetof(KeyArp, op), FieldKind::kBe16Dec},
    {"sha", offsetof(KeyArp, sha), FieldKind::kEth},
    {"tha", offsetof(KeyArp, tha), FieldKind::kEth},
};
constexpr FieldSpec kNdFields[] = {
    {"target", offsetof(KeyNd, target), FieldKind::kIpv6},
    {"sll", offsetof(KeyNd, sll), FieldKind::kEth},
    {"tll", offsetof(KeyNd, tll), FieldKind::kEth},
};
constexpr FieldSpec kNdExtensionFields[] = {
    {"nd_reserved", offsetof(KeyNdExtensions, nd_reserved), FieldKind::kBe32Hex},
    {"nd_options_type", offsetof(KeyNdExtensions, nd_options_type), FieldKind::kU8Dec},
};
constexpr FieldSpec kCtTupleIpv4Fields[] = {
    {"src", offsetof(KeyCtTupleIpv4, src), FieldKind::kIpv4},
    {"dst", offsetof(KeyCtTupleIpv4, dst), FieldKind::kIpv4},
    {"proto", offsetof(KeyCtTupleIpv4, proto), FieldKind::kU8Dec},
    {"tp_src", offsetof(KeyCtTupleIpv4, src_port), FieldKind::kBe16Dec},
    {"tp_dst", offsetof(KeyCtTupleIpv4, dst_port), FieldKind::kBe16Dec},
};
// OVS prints src_port/dst_port here but parses only tp_src/tp_dst; both are
// accepted so the printed form reads back.
constexpr FieldSpec kCtTupleIpv6Fields[] = {
    {"src", offsetof(KeyCtTupleIpv6, src), FieldKind::kIpv6},
    {"dst", offsetof(KeyCtTupleIpv6, dst), FieldKind::kIpv6},
    {"proto", offsetof(KeyCtTupleIpv6, proto), FieldKind::kU8Dec},
    {"src_port", offsetof(KeyCtTupleIpv6, src_port), FieldKind::kBe16Dec, "tp_src"},
    {"dst_port", offsetof(KeyCtTupleIpv6, dst_port), FieldKind::kBe16Dec, "tp_dst"},
};
// be32 (namespace << 16 | type): two be16 halves.
constexpr FieldSpec kPacketTypeFields[] = {
    {"ns", 0, FieldKind::kBe16Dec},
    {"id", 2, FieldKind::kBe16Hex},
};

constexpr StructSpec kStructSpecs[] = {
    {kKeyEthernet, sizeof(KeyEthernet), kEthernetFields},
    {kKeyIpv4, sizeof(KeyIpv4), kIpv4Fields},
    {kKeyIpv6, sizeof(KeyIpv6), kIpv6Fields},
    {kKeyTcp, sizeof(KeyPorts), kPortFields},
    {kKeyUdp, sizeof(KeyPorts), kPortFields},
    {kKeySctp, sizeof(KeyPorts), kPortFields},
    {kKeyIcmp, sizeof(KeyIcmp), kIcmpFields},
    {kKeyIcmpv6, sizeof(KeyIcmp), kIcmpFields},
    {kKeyArp, sizeof(KeyArp), kArpFields},
    {kKeyNd, sizeof(KeyNd), kNdFields},
    {kKeyNdExtensions, sizeof(KeyNdExtensions), kNdExtensionFields},
    {kKeyCtOrigTupleIpv4, sizeof(KeyCtTupleIpv4), kCtTupleIpv4Fields},
    {kKeyCtOrigTupleIpv6, sizeof(KeyCtTupleIpv6), kCtTupleIpv6Fields},
    {kKeyPacketType, 4, kPacketTypeFields},
};

}  // namespace

const StructSpec* find_struct_spec(uint16_t type) {
  for (const StructSpec& spec : kStructSpecs)
    if (spec.type == type) return &spec;
  return nullptr;
}

std::optional<int> expected_key_length(uint16_t type) {
  if (type > kOvsKeyAttrMax) return std::nullopt;
  // OVS's table has no entry (so length 0) for unspec and tunnel_info.
  if (type == kKeyUnspec || type == kKeyTunnelInfo) return 0;
  return kKeyAttrLength[type];
}

std::string key_attr_name(uint16_t type) {
  // Printing follows OVS: tunnel_info is an error on the wire, and types it
  // does not know (ipv6_exthdrs) print generically as keyN(...).
  if (type == kKeyTunnelInfo) return "<error: kernel-only tunnel_info>";
  if (type <= kOvsKeyAttrMax) return odp::key_attribute_name(type);
  return "key" + std::to_string(type);
}

bool mask_is_constant(uint16_t type, std::span<const uint8_t> mask, bool all_ones) {
  uint8_t byte = all_ones ? 0xff : 0;
  auto prefix = [&](size_t n) { return mask.subspan(0, std::min(n, mask.size())); };
  switch (type) {
    case kKeyPriority: case kKeyInPort: case kKeyEthernet: case kKeyVlan: case kKeyEthertype:
    case kKeyIpv4: case kKeyTcp: case kKeyUdp: case kKeyIcmp: case kKeyIcmpv6: case kKeyNd:
    case kKeyNdExtensions: case kKeySkbMark: case kKeyTunnel: case kKeySctp: case kKeyDpHash:
    case kKeyRecircId: case kKeyMpls: case kKeyCtState: case kKeyCtZone: case kKeyCtMark:
    case kKeyCtLabels: case kKeyPacketType: case kKeyNsh:
      return all_bytes_are(mask, byte);
    case kKeyTcpFlags: {
      if (mask.size() < 2) return false;
      uint16_t flags = static_cast<uint16_t>((mask[0] << 8 | mask[1]) & 0x0fff);
      return flags == (all_ones ? 0x0fff : 0);
    }
    case kKeyIpv6: {
      if (mask.size() < sizeof(KeyIpv6)) return false;
      KeyIpv6 m;
      std::memcpy(&m, mask.data(), sizeof m);
      uint32_t label = ntoh32(m.label) & 0xfffff;
      return label == (all_ones ? 0xfffffu : 0u) && m.proto == byte && m.tclass == byte &&
             m.hlimit == byte && m.frag == byte && all_bytes_are(m.src, byte) &&
             all_bytes_are(m.dst, byte);
    }
    case kKeyArp:  // the padding after tha does not count
      return all_bytes_are(prefix(offsetof(KeyArp, tha) + 6), byte);
    case kKeyCtOrigTupleIpv4:
      return all_bytes_are(prefix(offsetof(KeyCtTupleIpv4, proto) + 1), byte);
    case kKeyCtOrigTupleIpv6:
      return all_bytes_are(prefix(offsetof(KeyCtTupleIpv6, proto) + 1), byte);
    default:
      return false;
  }
}

std::optional<NetlinkAttr> find_attribute(std::span<const uint8_t> buffer, uint16_t type) {
  std::optional<NetlinkAttr> found;
  walk_attributes(buffer, [&](const NetlinkAttr& a) {
    if (!found && a.type == type) found = a;
  });
  return found;
}

bool format_attribute_list(std::span<const uint8_t> key, const std::span<const uint8_t>* mask,
                           bool verbose, std::string& out, int depth,
                           const PortNumberNames* names) {
  size_t start = out.size();
  if (key.empty()) {
    out += "<empty>";
    return true;
  }
  bool have_mask = mask && !mask->empty();
  bool first = true, has_ethertype = false, has_packet_type = false;
  size_t left = walk_attributes(key, [&](const NetlinkAttr& a) {
    std::optional<NetlinkAttr> found = have_mask ? find_attribute(*mask, a.type) : std::nullopt;
    const NetlinkAttr* ma = found ? &*found : nullptr;
    std::optional<int> expected = expected_key_length(a.type);
    if (!check_lengths(out, a, ma, expected, false)) return;
    if (a.type == kKeyEthertype) has_ethertype = true;
    if (a.type == kKeyPacketType) has_packet_type = true;

    bool nested = expected && *expected == kNested;
    bool wildcard = have_mask && (!ma || mask_is_constant(a.type, ma->payload, false));
    if (verbose || !wildcard || nested) {
      std::vector<uint8_t> generated;
      NetlinkAttr generated_attr{};
      if (wildcard && !ma) {
        NetlinkWriter w(&generated);
        append_wildcard_mask(a, false, w);
        generated_attr = *find_attribute(generated, a.type);
        ma = &generated_attr;
      }
      if (!first) out += ',';
      first = false;
      if (a.type == kKeyInPort && names &&
          (!ma || mask_is_constant(a.type, ma->payload, true))) {
        if (auto name = names->find(a.get_u32()); name != names->end()) {
          out += "in_port(" + name->second + ")";
          return;
        }
      }
      format_named_attribute(a, ma, verbose, out, depth);
    } else if (a.type == kKeyEthernet && !has_packet_type) {
      // An Ethernet attribute says "this is an Ethernet packet" even when
      // every address is wildcarded, unless packet_type already said so.
      if (!first) out += ',';
      out += "eth()";
      first = false;  // OVS forgets this and glues the next attribute on
    } else if (a.type == kKeyPacketType && wildcard) {
      has_packet_type = false;
    }
  });
  if (left) {
    if (left == key.size()) out += "<empty>";
    out += ",***" + std::to_string(left) + " leftover bytes*** (";
    static constexpr char kHex[] = "0123456789abcdef";
    for (uint8_t b : key.subspan(key.size() - left)) {
      out += kHex[b >> 4];
      out += kHex[b & 15];
    }
    out += ')';
  }
  if (!has_ethertype && mask) {
    // A mask on eth_type without a key value: say what it wildcards.
    auto ma = find_attribute(*mask, kKeyEthertype);
    // A zero mask wildcards it: nothing to say (unless verbose).
    if (ma && ma->size() == 2 && (verbose || ma->get_u16() != 0)) {
      out += ",eth_type(0/";
      put_0x04(out, ntoh16(ma->get_u16()));
      out += ')';
    }
  }
  return out.size() != start;
}

}  // namespace odp_text

using namespace odp_text;

Result<OdpKeyAttrs> parse_odp_key(std::string_view text, const PortNameResolver* ports) {
  OdpKeyAttrs attrs;
  // What format_odp_key prints for a key that matches everything.
  std::string_view trimmed = text;
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.front())))
    trimmed.remove_prefix(1);
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back())))
    trimmed.remove_suffix(1);
  if (trimmed == "<empty>") return attrs;

  TextScanner in(text);
  NetlinkWriter key(&attrs.key), mask(&attrs.mask);
  KeyMaskWriter out(key, &mask);
  ParseState st{in, true};
  st.ports = ports;
  if (auto status = parse_attribute_list(st, out, false); !status.ok())
    return Error{status.error()};
  if (attrs.key.size() > 0xffff - kNlaHeaderLen)
    return in.error("key too long: " + std::to_string(attrs.key.size()) + " bytes of attributes");
  return attrs;
}

Status parse_odp_key_attr(TextScanner& in, NetlinkWriter& key, NetlinkWriter* mask) {
  size_t key_start = key.size(), mask_start = mask ? mask->size() : 0;
  KeyMaskWriter out(key, mask);
  ParseState st{in, mask != nullptr};
  in.skip_spaces();
  size_t start = in.pos();
  auto type = parse_one_attribute(st, out);
  Status status = Ok{};
  if (!type.ok()) status = Error{type.error()};
  else if (!out.ok()) status = in.error_at(start, "attribute too long: exceeds 65535 bytes");
  if (!status.ok()) {
    key.truncate(key_start);
    if (mask) mask->truncate(mask_start);
  }
  return status;
}

std::string format_odp_key(std::span<const uint8_t> key, std::span<const uint8_t> mask,
                           bool verbose, const PortNumberNames* names) {
  std::string out;
  bool printed = format_attribute_list(key, mask.empty() ? nullptr : &mask, verbose, out, 0, names);
  // Every attribute wildcarded: print what parses back to an empty key
  // (OVS prints nothing here, which would not read back the same way).
  if (!printed) out = "<empty>";
  return out;
}

void format_odp_key_attr(const NetlinkAttr& key, const NetlinkAttr* mask, bool verbose,
                         std::string& out) {
  if (check_lengths(out, key, mask, expected_key_length(key.type), false))
    format_named_attribute(key, mask, verbose, out, 0);
}

}  // namespace flowpath
