// Printing key attributes as Open vSwitch 3.1 does (lib/odp-util.c): the
// number style of each field (decimal or %#x hex), masks shown only when
// partial, fields with a zero mask left out unless verbose, and OVS's
// diagnostics for payloads of the wrong length.
//
// Where OVS would print nothing for an attribute given without any mask
// (ct_mark, ct_zone, ct_label when not verbose), the value is printed: with
// no mask every field is exact.
#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "odp/odp_key_text_impl.h"
#include "packet/byte_order.h"

namespace flowpath::odp_text {

using namespace odp;

// ---------------------------------------------------------------------------
// Numbers and addresses

void put_dec(std::string& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void put_0x(std::string& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, 16);
  out += "0x";
  out.append(buf, end);
}

void put_alt_hex(std::string& out, uint64_t v) {
  if (v == 0) out += '0';
  else put_0x(out, v);
}

void put_0x04(std::string& out, uint16_t v) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "0x";
  for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(v >> shift) & 15];
}

void put_eth(std::string& out, const uint8_t* mac) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 6; ++i) {
    if (i) out += ':';
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 15];
  }
}

void put_ipv4(std::string& out, const uint8_t* ip) {
  for (int i = 0; i < 4; ++i) {
    if (i) out += '.';
    put_dec(out, ip[i]);
  }
}

void put_ipv6(std::string& out, const uint8_t* ip) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, ip, buf, sizeof buf);
  out += buf;
}

void put_trimmed_hex(std::string& out, std::span<const uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  bool printed = false;
  for (uint8_t b : bytes) {
    if (!printed && b == 0) continue;
    if (!printed) {
      out += "0x";
      if (b >> 4) out += kHex[b >> 4];
      out += kHex[b & 15];
      printed = true;
    } else {
      out += kHex[b >> 4];
      out += kHex[b & 15];
    }
  }
  if (!printed) out += '0';
}

void put_byte_list(std::string& out, std::span<const uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i) out += ' ';
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 15];
  }
}

void chomp(std::string& out, char c) {
  if (!out.empty() && out.back() == c) out.pop_back();
}

namespace {

bool all_bytes_are(const uint8_t* p, size_t n, uint8_t value) {
  for (size_t i = 0; i < n; ++i)
    if (p[i] != value) return false;
  return true;
}

void put_name(std::string& out, std::string_view name) {
  out += name;
  out += '=';
}

}  // namespace

// ---------------------------------------------------------------------------
// Fields

void format_u8(std::string& out, std::string_view name, uint8_t v, const uint8_t* m, bool verbose,
               bool hex) {
  if (!verbose && m && *m == 0) return;
  put_name(out, name);
  if (hex) put_alt_hex(out, v);
  else put_dec(out, v);
  if (m && *m != 0xff) {
    out += '/';
    put_alt_hex(out, *m);
  }
  out += ',';
}

void format_u16(std::string& out, std::string_view name, uint16_t v, const uint16_t* m,
                bool verbose, bool hex) {
  if (!verbose && m && *m == 0) return;
  put_name(out, name);
  if (hex) put_alt_hex(out, v);
  else put_dec(out, v);
  if (m && *m != 0xffff) {
    out += '/';
    put_alt_hex(out, *m);
  }
  out += ',';
}

void format_ipv4_field(std::string& out, std::string_view name, const uint8_t* v,
                       const uint8_t* m, bool verbose) {
  if (!verbose && m && all_bytes_are(m, 4, 0)) return;
  put_name(out, name);
  put_ipv4(out, v);
  if (m && !all_bytes_are(m, 4, 0xff)) {
    out += '/';
    put_ipv4(out, m);
  }
  out += ',';
}

void format_ipv6_field(std::string& out, std::string_view name, const uint8_t* v,
                       const uint8_t* m, bool verbose) {
  if (!verbose && m && all_bytes_are(m, 16, 0)) return;
  put_name(out, name);
  put_ipv6(out, v);
  if (m && !all_bytes_are(m, 16, 0xff)) {
    out += '/';
    put_ipv6(out, m);
  }
  out += ',';
}

namespace {

void format_eth_field(std::string& out, std::string_view name, const uint8_t* v, const uint8_t* m,
                      bool verbose) {
  if (!verbose && m && all_bytes_are(m, 6, 0)) return;
  put_name(out, name);
  put_eth(out, v);
  if (m && !all_bytes_are(m, 6, 0xff)) {
    out += '/';
    put_eth(out, m);
  }
  out += ',';
}

// frag is an enumeration: a partial mask has no meaning, and a zero mask
// hides it even when verbose (as in OVS).
void format_frag_field(std::string& out, std::string_view name, uint8_t v, const uint8_t* m) {
  bool empty = m && *m == 0;
  bool full = !m || *m == 0xff;
  if (!empty && !full) {
    out += "error: partial mask not supported for frag (";
    put_alt_hex(out, *m);
    out += "),";
  } else if (!empty) {
    static constexpr std::string_view kNames[] = {"no", "first", "later"};
    put_name(out, name);
    out += v < 3 ? kNames[v] : "<error>";
    out += ',';
  }
}

void format_label_field(std::string& out, std::string_view name, const uint8_t* v,
                        const uint8_t* m, bool verbose) {
  uint32_t label = ntoh32(load_unaligned<be32>(v));
  uint32_t mask = m ? ntoh32(load_unaligned<be32>(m)) : 0xffffffff;
  if (!verbose && m && mask == 0) return;
  put_name(out, name);
  put_alt_hex(out, label);
  if (m && (mask & 0xfffff) != 0xfffff) {
    out += '/';
    put_alt_hex(out, mask);
  }
  out += ',';
}

void format_struct_field(std::string& out, const FieldSpec& f, const uint8_t* key,
                         const uint8_t* mask, bool verbose) {
  const uint8_t* v = key + f.offset;
  const uint8_t* m = mask ? mask + f.offset : nullptr;
  switch (f.kind) {
    case FieldKind::kU8Dec:
    case FieldKind::kU8Hex:
      format_u8(out, f.name, *v, m, verbose, f.kind == FieldKind::kU8Hex);
      return;
    case FieldKind::kBe16Dec:
    case FieldKind::kBe16Hex: {
      uint16_t value = ntoh16(load_unaligned<be16>(v));
      uint16_t mask16 = m ? ntoh16(load_unaligned<be16>(m)) : 0;
      format_u16(out, f.name, value, m ? &mask16 : nullptr, verbose,
                 f.kind == FieldKind::kBe16Hex);
      return;
    }
    case FieldKind::kBe32Hex:  // nd_reserved: printed whatever its mask
      put_name(out, f.name);
      put_0x(out, ntoh32(load_unaligned<be32>(v)));
      out += ',';
      return;
    case FieldKind::kIpv4:
      format_ipv4_field(out, f.name, v, m, verbose);
      return;
    case FieldKind::kIpv6:
      format_ipv6_field(out, f.name, v, m, verbose);
      return;
    case FieldKind::kEth:
      format_eth_field(out, f.name, v, m, verbose);
      return;
    case FieldKind::kFrag:
      format_frag_field(out, f.name, *v, m);
      return;
    case FieldKind::kIpv6Label:
      format_label_field(out, f.name, v, m, verbose);
      return;
  }
}

void format_struct(std::string& out, const StructSpec& spec, const NetlinkAttr& key,
                   const NetlinkAttr* mask, bool verbose) {
  for (const FieldSpec& f : spec.fields)
    format_struct_field(out, f, key.data(), mask ? mask->data() : nullptr, verbose);
  chomp(out, ',');
}

}  // namespace

// ---------------------------------------------------------------------------
// Flags

void format_flags(std::string& out, std::span<const FlagName> names, uint32_t value) {
  if (value == 0) {
    out += '0';
    return;
  }
  uint32_t unnamed = 0;
  for (uint32_t rest = value; rest;) {
    uint32_t bit = rest & -rest;
    rest &= ~bit;
    const FlagName* f = nullptr;
    for (const FlagName& n : names)
      if (n.bit == bit) f = &n;
    if (!f) {
      unnamed |= bit;
      continue;
    }
    out += f->name;
    out += '|';
  }
  if (unnamed) {
    put_0x(out, unnamed);
    out += '|';
  }
  chomp(out, '|');
}

void format_flags_masked(std::string& out, std::span<const FlagName> names, uint32_t value,
                         uint32_t mask, uint32_t max_mask) {
  if (mask == max_mask) {
    format_flags(out, names, value);
    return;
  }
  if (mask == 0) {
    out += "0/0";
    return;
  }
  for (uint32_t rest = mask; rest;) {
    uint32_t bit = rest & -rest;
    rest &= ~bit;
    out += (value & bit) ? '+' : '-';
    const FlagName* f = nullptr;
    for (const FlagName& n : names)
      if (n.bit == bit) f = &n;
    out += f ? f->name : "[Unknown]";
  }
}

// ---------------------------------------------------------------------------
// Length diagnostics

bool check_lengths(std::string& out, const NetlinkAttr& key, const NetlinkAttr* mask,
                   std::optional<int> expected, bool need_key) {
  if (!expected || *expected == kVariable || *expected == kNested) return true;
  size_t want = static_cast<size_t>(*expected);
  bool bad_key = key.size() != want;
  bool bad_mask = mask && mask->size() != want;
  if (!bad_key && !bad_mask) return true;
  if (need_key) out += "key" + std::to_string(key.type);
  if (bad_key)
    out += "(bad key length " + std::to_string(key.size()) + ", expected " +
           std::to_string(want) + ")(";
  put_byte_list(out, key.payload);
  if (mask) {
    out += '/';
    if (bad_mask)
      out += "(bad mask length " + std::to_string(mask->size()) + ", expected " +
             std::to_string(want) + ")(";
    put_byte_list(out, mask->payload);
  }
  out += ')';
  return false;
}

void format_unknown_nested(std::string& out, const NetlinkAttr& key, const NetlinkAttr* mask) {
  out += "key" + std::to_string(key.type) + "(";
  put_byte_list(out, key.payload);
  if (mask && !all_bytes_are(mask->data(), mask->size(), 0xff)) {
    out += '/';
    put_byte_list(out, mask->payload);
  }
  out += "),";
}

// ---------------------------------------------------------------------------
// Attributes

namespace {

bool mask_is_zero(const NetlinkAttr* mask) {
  return mask && all_bytes_are(mask->data(), mask->size(), 0);
}

void format_vlan(std::string& out, uint16_t tci, uint16_t mask, bool verbose) {
  uint16_t vid = tci & 0xfff, vid_mask = mask & 0xfff;
  uint16_t pcp = tci >> 13, pcp_mask = mask >> 13;
  if (verbose || vid || vid_mask) {
    out += "vid=";
    put_dec(out, vid);
    if (vid_mask != 0xfff) {
      out += "/";
      put_0x(out, vid_mask);
    }
    out += ',';
  }
  if (verbose || pcp || pcp_mask) {
    out += "pcp=";
    put_dec(out, pcp);
    if (pcp_mask != 7) {
      out += "/";
      put_0x(out, pcp_mask);
    }
    out += ',';
  }
  if (!(tci & 0x1000)) out += "cfi=0,";
  chomp(out, ',');
}

// Returns false when OVS would stop without the closing parenthesis.
bool format_mpls(std::string& out, const NetlinkAttr& key, const NetlinkAttr* mask, bool exact) {
  size_t size = key.size();
  if (size == 0 || size % 4) {
    out += "(bad key length " + std::to_string(size) + ")";
    return false;
  }
  if (!exact && mask->size() != size) {
    out += "(key length " + std::to_string(size) + " != mask length " +
           std::to_string(mask->size()) + ")";
    return false;
  }
  for (size_t i = 0; i < size / 4; ++i) {
    uint32_t lse = ntoh32(load_unaligned<be32>(key.data() + 4 * i));
    uint32_t label = lse >> 12, tc = (lse >> 9) & 7, bos = (lse >> 8) & 1, ttl = lse & 0xff;
    if (i) out += ',';
    if (exact) {
      out += "label=" + std::to_string(label) + ",tc=" + std::to_string(tc) +
             ",ttl=" + std::to_string(ttl) + ",bos=" + std::to_string(bos);
      continue;
    }
    uint32_t m = ntoh32(load_unaligned<be32>(mask->data() + 4 * i));
    // OVS prints the tc and bos masks as bare hex digits.
    out += "label=" + std::to_string(label) + "/";
    put_0x(out, m >> 12);
    out += ",tc=" + std::to_string(tc) + "/" + "01234567"[(m >> 9) & 7];
    out += ",ttl=" + std::to_string(ttl) + "/";
    put_0x(out, m & 0xff);
    out += ",bos=" + std::to_string(bos) + "/" + "01"[(m >> 8) & 1];
  }
  return true;
}

void format_packet_type(std::string& out, const NetlinkAttr& key, const NetlinkAttr* mask,
                        bool verbose) {
  uint32_t value = ntoh32(key.get_u32());
  uint32_t m = mask ? ntoh32(mask->get_u32()) : 0xffffffff;
  uint16_t ns_mask = static_cast<uint16_t>(m >> 16), id_mask = static_cast<uint16_t>(m);
  format_u16(out, "ns", static_cast<uint16_t>(value >> 16), &ns_mask, verbose, false);
  format_u16(out, "id", static_cast<uint16_t>(value), &id_mask, verbose, true);
  chomp(out, ',');
}

// A 32- or 16-bit metadata value as "%#x[/%#x]".
void format_hex_value(std::string& out, uint64_t value, const NetlinkAttr* mask, bool exact,
                      uint64_t mask_value) {
  put_alt_hex(out, value);
  if (!exact && mask) {
    out += '/';
    put_alt_hex(out, mask_value);
  }
}

// 128-bit labels: the attribute is host order; the text is one big number.
void format_ct_label(std::string& out, const NetlinkAttr& key, const NetlinkAttr* mask,
                     bool verbose) {
  if (!verbose && mask_is_zero(mask)) return;
  auto big_endian = [](const uint8_t* p, uint8_t* be) {
    std::memcpy(be, p, 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    std::reverse(be, be + 16);
#endif
  };
  uint8_t be[16];
  big_endian(key.data(), be);
  put_trimmed_hex(out, be);
  if (mask && !all_bytes_are(mask->data(), 16, 0xff)) {
    big_endian(mask->data(), be);
    out += '/';
    put_trimmed_hex(out, be);
  }
}

}  // namespace

void format_attribute_body(const NetlinkAttr& a, const NetlinkAttr* ma, bool verbose,
                           std::string& out, int depth) {
  bool exact = !ma || mask_is_constant(a.type, ma->payload, true);
  switch (a.type) {
    case kKeyEncap:
      if (depth >= kMaxNesting) put_byte_list(out, a.payload);
      else if (ma && ma->size() && a.size())
        format_attribute_list(a.payload, &ma->payload, verbose, out, depth + 1);
      else if (a.size())
        format_attribute_list(a.payload, nullptr, verbose, out, depth + 1);
      break;
    case kKeyPriority:
    case kKeySkbMark:
    case kKeyDpHash:
    case kKeyRecircId:
      format_hex_value(out, a.get_u32(), ma, exact, ma ? ma->get_u32() : 0);
      break;
    case kKeyCtMark:
      if (verbose || !mask_is_zero(ma)) format_hex_value(out, a.get_u32(), ma, exact, ma ? ma->get_u32() : 0);
      break;
    case kKeyCtZone:
      if (verbose || !mask_is_zero(ma)) format_hex_value(out, a.get_u16(), ma, exact, ma ? ma->get_u16() : 0);
      break;
    case kKeyCtState: {
      uint32_t mask = ma ? ma->get_u32() : UINT32_MAX;
      if (verbose) format_hex_value(out, a.get_u32(), ma, exact, mask);
      else if (!exact) format_flags_masked(out, kCtStateFlagSet.names, a.get_u32(), mask, UINT32_MAX);
      else format_flags(out, kCtStateFlagSet.names, a.get_u32());
      break;
    }
    case kKeyCtLabels:
      format_ct_label(out, a, ma, verbose);
      break;
    case kKeyTunnel:
      format_tunnel(a, ma, verbose, out);
      break;
    case kKeyInPort:
      put_dec(out, a.get_u32());
      if (!exact) {
        out += '/';
        put_alt_hex(out, ma->get_u32());
      }
      break;
    case kKeyPacketType:
      format_packet_type(out, a, ma, verbose);
      break;
    case kKeyVlan:
      format_vlan(out, ntoh16(a.get_u16()), ma ? ntoh16(ma->get_u16()) : 0xffff, verbose);
      break;
    case kKeyMpls:
      if (!format_mpls(out, a, ma, exact)) return;
      break;
    case kKeyEthertype:
      put_0x04(out, ntoh16(a.get_u16()));
      if (!exact) {
        out += '/';
        put_0x04(out, ntoh16(ma->get_u16()));
      }
      break;
    case kKeyTcpFlags:
      if (!exact)
        format_flags_masked(out, kTcpFlagSet.names, ntoh16(a.get_u16()),
                            ntoh16(ma->get_u16()) & 0x0fff, 0x0fff);
      else
        format_flags(out, kTcpFlagSet.names, ntoh16(a.get_u16()));
      break;
    case kKeyNsh:
      format_nsh(a, ma, out);
      break;
    default:
      if (const StructSpec* spec = find_struct_spec(a.type)) {
        format_struct(out, *spec, a, ma, verbose);
        break;
      }
      // unspec, tunnel_info and types OVS 3.1 does not know: raw bytes.
      put_byte_list(out, a.payload);
      if (!exact) {
        out += '/';
        put_byte_list(out, ma->payload);
      }
      break;
  }
  out += ')';
}

// ---------------------------------------------------------------------------
// NSH

namespace {

void format_nsh_u8(std::string& out, std::string_view name, uint8_t v, uint8_t m) {
  if (m == 0) return;
  out += name;
  out += '=';
  if (m == 0xff) {
    put_dec(out, v);
  } else {
    static constexpr char kHex[] = "0123456789abcdef";
    out += "0x";
    out += kHex[v >> 4];
    out += kHex[v & 15];
    out += "/0x";
    out += kHex[m >> 4];
    out += kHex[m & 15];
  }
  out += ',';
}

void format_nsh_u32(std::string& out, std::string_view name, uint32_t v, uint32_t m) {
  if (m == 0) return;
  out += name;
  out += '=';
  put_0x(out, v);
  if (m != 0xffffffff) {
    char buf[12];
    std::snprintf(buf, sizeof buf, "/0x%08x", m);
    out += buf;
  }
  out += ',';
}

void put_md2(std::string& out, std::span<const uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "0x";
  for (uint8_t b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
}

}  // namespace

void format_nsh(const NetlinkAttr& attr, const NetlinkAttr* mask_attr, std::string& out) {
  NshBase base{}, base_mask;
  be32 context[4] = {}, context_mask[4];
  std::memset(&base_mask, 0xff, sizeof base_mask);
  std::memset(context_mask, 0xff, sizeof context_mask);
  std::span<const uint8_t> md2, md2_mask;
  static constexpr std::optional<int> kLengths[] = {0, sizeof(NshBase), sizeof(NshMd1), kVariable};
  walk_attributes(attr.payload, [&](const NetlinkAttr& a) {
    std::optional<NetlinkAttr> ma;
    if (mask_attr) ma = find_attribute(mask_attr->payload, a.type);
    std::optional<int> expected = a.type <= kNshAttrMax ? kLengths[a.type] : std::nullopt;
    if (!check_lengths(out, a, ma ? &*ma : nullptr, expected, true)) return;
    if (a.type == kNshBase) {
      std::memcpy(&base, a.data(), sizeof base);
      if (ma) std::memcpy(&base_mask, ma->data(), sizeof base_mask);
    } else if (a.type == kNshMd1) {
      std::memcpy(context, a.data(), sizeof context);
      if (ma) std::memcpy(context_mask, ma->data(), sizeof context_mask);
    } else if (a.type == kNshMd2) {
      // OVS does not print MD2 metadata of a key; it is shown so nothing is lost.
      md2 = a.payload;
      if (ma && ma->size() == a.size()) md2_mask = ma->payload;
    }
  });
  uint32_t path = ntoh32(base.path_hdr);
  if (!mask_attr) {
    out += "flags=" + std::to_string(base.flags) + ",ttl=" + std::to_string(base.ttl) +
           ",mdtype=" + std::to_string(base.mdtype) + ",np=" + std::to_string(base.np) + ",spi=";
    put_0x(out, path >> 8);
    out += ",si=" + std::to_string(path & 0xff);
    if (base.mdtype == 1) {
      for (int i = 0; i < 4; ++i) {
        out += ",c" + std::to_string(i + 1) + "=";
        put_0x(out, ntoh32(context[i]));
      }
    }
    if (!md2.empty()) {
      out += ",md2=";
      put_md2(out, md2);
    }
    return;
  }
  uint32_t path_mask = ntoh32(base_mask.path_hdr);
  uint32_t spi_mask = path_mask >> 8;
  if (spi_mask == 0xffffff) spi_mask = 0xffffffff;
  format_nsh_u8(out, "flags", base.flags, base_mask.flags);
  format_nsh_u8(out, "ttl", base.ttl, base_mask.ttl);
  format_nsh_u8(out, "mdtype", base.mdtype, base_mask.mdtype);
  format_nsh_u8(out, "np", base.np, base_mask.np);
  format_nsh_u32(out, "spi", path >> 8, spi_mask);
  format_nsh_u8(out, "si", static_cast<uint8_t>(path), static_cast<uint8_t>(path_mask));
  for (int i = 0; i < 4; ++i)
    format_nsh_u32(out, "c" + std::to_string(i + 1), ntoh32(context[i]), ntoh32(context_mask[i]));
  if (!md2.empty() && !(md2_mask.size() && all_bytes_are(md2_mask.data(), md2_mask.size(), 0))) {
    out += "md2=";
    put_md2(out, md2);
    if (md2_mask.size() && !all_bytes_are(md2_mask.data(), md2_mask.size(), 0xff)) {
      out += '/';
      put_md2(out, md2_mask);
    }
    out += ',';
  }
  chomp(out, ',');
}

}  // namespace flowpath::odp_text
