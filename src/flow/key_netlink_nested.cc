// The nested key attributes: tunnel (OVS_TUNNEL_KEY_ATTR_*, with the nested
// VXLAN extension and the Geneve, ERSPAN and GTP-U options) and NSH
// (OVS_NSH_KEY_ATTR_*). Layouts and rules follow Open vSwitch 3.1's
// userspace: optional fields appear only when non-zero, ttl always.
#include <cstdio>
#include <cstring>

#include "flow/key_netlink_internal.h"

namespace flowpath::key_netlink {

namespace {

using namespace odp;

// Walks nested attributes with `visit`; a framing error (bad length, cut
// header) is reported with `context` in front, the visitor's own errors as
// they are.
template <typename Visit>
Status walk_nested(std::span<const uint8_t> payload, const char* context, Visit&& visit) {
  bool visitor_failed = false;
  auto st = for_each_attribute(payload, [&](const NetlinkAttr& a) -> Status {
    Status r = visit(a);
    visitor_failed = !r.ok();
    return r;
  });
  if (!st.ok() && !visitor_failed) return make_error(std::string(context) + ": " + st.error());
  return st;
}

bool all_zero(const void* data, size_t len) {
  const auto* bytes = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < len; ++i) {
    if (bytes[i] != 0) return false;
  }
  return true;
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%#llx", static_cast<unsigned long long>(v));
  return buf;
}

// ---------------------------------------------------------------- tunnel

constexpr const char* kTunnelAttrNames[kTunnelAttrMax + 1] = {
    "tun_id", "src", "dst", "tos", "ttl", "df", "csum", "oam", "geneve",
    "tp_src", "tp_dst", "vxlan", "ipv6_src", "ipv6_dst", "pad", "erspan", "gtpu",
};

// Payload lengths of the nested tunnel attributes; kVariable for Geneve
// options, kNested for the VXLAN extensions.
constexpr int kTunnelAttrLength[kTunnelAttrMax + 1] = {
    8, 4, 4, 1, 1, 0, 0, 0, kVariable, 2, 2, kNested, 16, 16, kVariable,
    static_cast<int>(sizeof(ErspanMetadata)), static_cast<int>(sizeof(GtpuMetadata)),
};

std::string tunnel_attr_name(uint16_t type) {
  if (type <= kTunnelAttrMax) return kTunnelAttrNames[type];
  return "type " + std::to_string(type);
}

// ERSPAN v2 keeps direction and hardware id in the last two bytes of the
// options (see odp::ErspanMetadata).
void pack_erspan_v2(uint8_t dir, uint8_t hwid, uint8_t* u) {
  u[6] = static_cast<uint8_t>((hwid >> 4) & 0x3);
  u[7] = static_cast<uint8_t>(((hwid & 0xf) << 4) | ((dir & 1) << 3));
}
uint8_t erspan_v2_dir(const uint8_t* u) { return (u[7] >> 3) & 1; }
uint8_t erspan_v2_hwid(const uint8_t* u) {
  return static_cast<uint8_t>(((u[6] & 0x3) << 4) | (u[7] >> 4));
}

void put_erspan(const TunnelMetadata& data, int key_version, NetlinkWriter& out) {
  ErspanMetadata opts{};
  opts.version = data.erspan_version;  // a mask's 0xff becomes -1: all ones
  if (key_version == 1) {
    std::memcpy(opts.u, &data.erspan_index, sizeof data.erspan_index);
  } else if (key_version == 2) {
    pack_erspan_v2(data.erspan_dir, data.erspan_hwid, opts.u);
  }
  out.put_struct(kTunnelErspanOpts, opts);
}

bool erspan_mask_nonzero(const TunnelMetadata& m) {
  return m.erspan_version != 0 || m.erspan_index != 0 || m.erspan_dir != 0 || m.erspan_hwid != 0;
}

// A Geneve option is a 4-byte header (class, type, reserved:3 length:5 in
// 4-byte words) and its data. Checks that the options fill `len` exactly.
Status check_geneve_options(const uint8_t* opts, size_t len) {
  if (len % 4 != 0 || len > static_cast<size_t>(kGeneveMaxLength)) {
    return make_error("tunnel geneve attribute has length " + std::to_string(len) +
                      ", expected a multiple of 4 up to " + std::to_string(kGeneveMaxLength));
  }
  size_t off = 0;
  while (off < len) {  // off and len are multiples of 4: a header fits
    size_t option_len = 4 + 4 * size_t{opts[off + 3] & 0x1fu};
    if (option_len > len - off) {
      return make_error("tunnel geneve option at offset " + std::to_string(off) + " has length " +
                        std::to_string(option_len) + " but only " + std::to_string(len - off) +
                        " bytes remain");
    }
    off += option_len;
  }
  return Ok{};
}

struct VxlanGbp {
  bool present = false;
  uint32_t value = 0;
};

Status parse_vxlan_opts(const NetlinkAttr& attr, bool is_mask, VxlanGbp* gbp,
                        FitnessReport* fitness) {
  return walk_nested(attr.payload, "tunnel vxlan", [&](const NetlinkAttr& a) -> Status {
    if (a.type != kVxlanExtGbp) {
      std::string what = "tunnel vxlan has unknown attribute type " + std::to_string(a.type);
      if (is_mask || fitness == nullptr) return make_error(what);
      fitness->too_much(std::move(what));
      return Ok{};
    }
    if (gbp->present) return make_error("duplicate tunnel vxlan gbp attribute");
    if (a.size() != 4) {
      return make_error("tunnel vxlan gbp attribute has length " + std::to_string(a.size()) +
                        ", expected 4");
    }
    gbp->present = true;
    gbp->value = a.get_u32();
    if (gbp->value >> 24) {
      return make_error("tunnel vxlan gbp " + hex(gbp->value) +
                        " has bits above the 8 flag bits and the 16-bit policy id");
    }
    return Ok{};
  });
}

// One parser for keys and masks: the rules differ only where noted.
class TunnelParser {
 public:
  TunnelParser(FlowKey* out, const FlowKey* key_of_mask, FitnessReport* fitness)
      : out_(out), key_(key_of_mask), fitness_(fitness) {}

  Status parse(std::span<const uint8_t> payload) {
    auto st = walk_nested(payload, "tunnel", [this](const NetlinkAttr& a) { return attribute(a); });
    if (!st.ok()) return st;
    return is_mask() ? Ok{} : check_key();
  }

 private:
  bool is_mask() const { return key_ != nullptr; }

  Status attribute(const NetlinkAttr& a) {
    if (a.type == kTunnelPad) return Ok{};  // alignment filler, no information
    if (a.type > kTunnelAttrMax) {
      std::string what = "tunnel has unknown attribute type " + std::to_string(a.type);
      if (is_mask()) return make_error(what);
      fitness_->too_much(std::move(what));
      return Ok{};
    }
    if (seen_ & (1u << a.type)) return make_error("duplicate tunnel " + tunnel_attr_name(a.type) +
                                                  " attribute");
    seen_ |= 1u << a.type;
    int expected = kTunnelAttrLength[a.type];
    if (expected >= 0 && a.size() != static_cast<size_t>(expected)) {
      return make_error("tunnel " + tunnel_attr_name(a.type) + " attribute has length " +
                        std::to_string(a.size()) + ", expected " + std::to_string(expected));
    }
    TunnelMetadata& t = out_->md.tunnel;
    switch (a.type) {
      case kTunnelId:
        t.tun_id = a.get_u64();
        t.flags |= kTunnelFlagKey;
        break;
      case kTunnelIpv4Src: t.ipv4_src = a.get_u32(); break;
      case kTunnelIpv4Dst: t.ipv4_dst = a.get_u32(); break;
      case kTunnelIpv6Src: std::memcpy(t.ipv6_src, a.data(), 16); break;
      case kTunnelIpv6Dst: std::memcpy(t.ipv6_dst, a.data(), 16); break;
      case kTunnelTos: t.tos = a.get_u8(); break;
      case kTunnelTtl: t.ttl = a.get_u8(); break;
      case kTunnelDontFragment: t.flags |= kTunnelFlagDontFragment; break;
      case kTunnelCsum: t.flags |= kTunnelFlagCsum; break;
      case kTunnelOam: t.flags |= kTunnelFlagOam; break;
      case kTunnelTpSrc: t.tp_src = a.get_u16(); break;
      case kTunnelTpDst: t.tp_dst = a.get_u16(); break;
      case kTunnelVxlanOpts: {
        VxlanGbp gbp;
        if (auto st = parse_vxlan_opts(a, is_mask(), &gbp, fitness_); !st.ok()) return st;
        t.gbp_id = hton16(static_cast<uint16_t>(gbp.value & 0xffff));
        t.gbp_flags = static_cast<uint8_t>(gbp.value >> 16);
        break;
      }
      case kTunnelGeneveOpts: return geneve(a);
      case kTunnelErspanOpts: return erspan(a);
      case kTunnelGtpuOpts: {
        GtpuMetadata gtpu = a.get<GtpuMetadata>();
        if (!is_mask() && (gtpu.flags == 0 || gtpu.msgtype == 0)) {
          return make_error("tunnel gtpu attribute needs non-zero flags and msgtype (has " +
                            hex(gtpu.flags) + ", " + std::to_string(gtpu.msgtype) + ")");
        }
        t.gtpu_flags = gtpu.flags;
        t.gtpu_msgtype = gtpu.msgtype;
        break;
      }
      default:
        break;
    }
    return Ok{};
  }

  Status geneve(const NetlinkAttr& a) {
    TunnelMetadata& t = out_->md.tunnel;
    if (is_mask()) {
      // The mask covers the key's options byte for byte; the length itself
      // is always matched exactly so that longer option lists do not match.
      size_t key_len = key_->md.tunnel.geneve_length;
      if (a.size() != key_len) {
        return make_error("tunnel geneve mask has length " + std::to_string(a.size()) +
                          ", expected the key's " + std::to_string(key_len));
      }
      t.geneve_length = 0xff;
    } else {
      if (auto st = check_geneve_options(a.data(), a.size()); !st.ok()) return st;
      t.geneve_length = static_cast<uint8_t>(a.size());
    }
    if (a.size() != 0) std::memcpy(out_->geneve_options, a.data(), a.size());
    return Ok{};
  }

  Status erspan(const NetlinkAttr& a) {
    TunnelMetadata& t = out_->md.tunnel;
    ErspanMetadata opts = a.get<ErspanMetadata>();
    int layout = opts.version;
    if (is_mask()) {
      t.erspan_version = static_cast<int8_t>(opts.version & 0xff);
      layout = key_->md.tunnel.erspan_version;
    } else {
      if (opts.version != 1 && opts.version != 2) {
        return make_error("tunnel erspan attribute has version " + std::to_string(opts.version) +
                          ", expected 1 or 2");
      }
      t.erspan_version = static_cast<int8_t>(opts.version);
    }
    if (layout == 1) {
      std::memcpy(&t.erspan_index, opts.u, sizeof t.erspan_index);
    } else if (layout == 2) {
      t.erspan_dir = erspan_v2_dir(opts.u);
      t.erspan_hwid = erspan_v2_hwid(opts.u);
    }
    return Ok{};
  }

  Status check_key() const {
    const TunnelMetadata& t = out_->md.tunnel;
    // Open vSwitch insists on a ttl here; a megaflow that does not match on
    // it prints without one, and must read back, so a missing ttl is 0.
    bool v4 = t.ipv4_dst != 0 || t.ipv4_src != 0;
    bool v6 = !all_zero(t.ipv6_dst, 16) || !all_zero(t.ipv6_src, 16);
    if (v4 && v6) return make_error("tunnel attribute mixes IPv4 and IPv6 addresses");
    if (!t.present()) return make_error("tunnel attribute has no destination address");
    return Ok{};
  }

  FlowKey* out_;
  const FlowKey* key_;  // non-null when parsing a mask
  FitnessReport* fitness_;
  uint32_t seen_ = 0;
};

// ---------------------------------------------------------------- NSH

constexpr const char* kNshAttrNames[kNshAttrMax + 1] = {"unspec", "base", "md1", "md2"};

std::string nsh_attr_name(uint16_t type) {
  if (type <= kNshAttrMax) return kNshAttrNames[type];
  return "type " + std::to_string(type);
}

struct NshAttrs {
  NetlinkAttr base{}, md1{};
  bool has_base = false, has_md1 = false;
};

// Splits the NSH payload. Attributes other than base and md1 are reported
// through `other` (MD type 2 metadata is not modelled).
template <typename OnOther>
Status split_nsh(std::span<const uint8_t> payload, NshAttrs* nsh, OnOther&& other) {
  return walk_nested(payload, "nsh", [&](const NetlinkAttr& a) -> Status {
    bool* seen = a.type == kNshBase ? &nsh->has_base : a.type == kNshMd1 ? &nsh->has_md1 : nullptr;
    if (seen == nullptr) return other(a);
    if (*seen) return make_error("duplicate nsh " + nsh_attr_name(a.type) + " attribute");
    size_t expected = a.type == kNshBase ? sizeof(NshBase) : sizeof(NshMd1);
    if (a.size() != expected) {
      return make_error("nsh " + nsh_attr_name(a.type) + " attribute has length " +
                        std::to_string(a.size()) + ", expected " + std::to_string(expected));
    }
    *seen = true;
    (a.type == kNshBase ? nsh->base : nsh->md1) = a;
    return Ok{};
  });
}

void store_nsh(const NshAttrs& nsh, FlowKey* out) {
  if (nsh.has_base) {
    NshBase base = nsh.base.get<NshBase>();
    out->nsh_flags = base.flags;
    out->nsh_ttl = base.ttl;
    out->nsh_mdtype = base.mdtype;
    out->nsh_np = base.np;
    out->nsh_path_hdr = base.path_hdr;
  }
  if (nsh.has_md1) std::memcpy(out->nsh_context, nsh.md1.data(), sizeof out->nsh_context);
}

}  // namespace

bool tunnel_has_address(const TunnelMetadata& tunnel) {
  return tunnel.present() || tunnel.ipv4_src != 0 || !all_zero(tunnel.ipv6_src, 16);
}

bool tunnel_mask_nonzero(const FlowKey& mask) {
  const TunnelMetadata& t = mask.md.tunnel;
  return !all_zero(&t, sizeof t) || !all_zero(mask.geneve_options, sizeof mask.geneve_options);
}

void encode_tunnel(const FlowKey& data, const FlowKey& key, bool is_mask, NetlinkWriter& out) {
  const TunnelMetadata& t = data.md.tunnel;
  const TunnelMetadata& kt = key.md.tunnel;
  size_t nested = out.begin_nested(kKeyTunnel);
  if (t.tun_id != 0 || (t.flags & kTunnelFlagKey)) out.put_u64(kTunnelId, t.tun_id);
  if (t.ipv4_src != 0) out.put_u32(kTunnelIpv4Src, t.ipv4_src);
  if (t.ipv4_dst != 0) out.put_u32(kTunnelIpv4Dst, t.ipv4_dst);
  if (!all_zero(t.ipv6_src, 16)) out.put(kTunnelIpv6Src, t.ipv6_src, 16);
  if (!all_zero(t.ipv6_dst, 16)) out.put(kTunnelIpv6Dst, t.ipv6_dst, 16);
  if (t.tos != 0) out.put_u8(kTunnelTos, t.tos);
  out.put_u8(kTunnelTtl, t.ttl);
  if (t.flags & kTunnelFlagDontFragment) out.put_flag(kTunnelDontFragment);
  if (t.flags & kTunnelFlagCsum) out.put_flag(kTunnelCsum);
  if (t.tp_src != 0) out.put_u16(kTunnelTpSrc, t.tp_src);
  if (t.tp_dst != 0) out.put_u16(kTunnelTpDst, t.tp_dst);
  if (t.flags & kTunnelFlagOam) out.put_flag(kTunnelOam);
  if (t.gbp_id != 0 || t.gbp_flags != 0) {
    size_t vxlan = out.begin_nested(kTunnelVxlanOpts);
    out.put_u32(kVxlanExtGbp, uint32_t{t.gbp_flags} << 16 | ntoh16(t.gbp_id));
    out.end_nested(vxlan);
  }
  // The key's options decide the length; a mask with an exact length but a
  // key without options says "no options" with an empty attribute.
  if (kt.geneve_length != 0 || (is_mask && t.geneve_length != 0)) {
    out.put(kTunnelGeneveOpts, data.geneve_options, kt.geneve_length);
  }
  if (is_mask ? erspan_mask_nonzero(t) : (t.erspan_version == 1 || t.erspan_version == 2)) {
    put_erspan(t, kt.erspan_version, out);
  }
  if (is_mask ? (t.gtpu_flags != 0 || t.gtpu_msgtype != 0)
              : (t.gtpu_flags != 0 && t.gtpu_msgtype != 0)) {
    GtpuMetadata gtpu{t.gtpu_flags, t.gtpu_msgtype};
    out.put_struct(kTunnelGtpuOpts, gtpu);
  }
  out.end_nested(nested);
}

Status decode_tunnel_key(std::span<const uint8_t> payload, FlowKey* key, FitnessReport* fitness) {
  return TunnelParser(key, nullptr, fitness).parse(payload);
}

Status decode_tunnel_mask(std::span<const uint8_t> payload, const FlowKey& key, FlowKey* mask) {
  return TunnelParser(mask, &key, nullptr).parse(payload);
}

void encode_nsh(const FlowKey& data, const FlowKey& key, bool is_mask, NetlinkWriter& out) {
  size_t nested = out.begin_nested(kKeyNsh);
  NshBase base{data.nsh_flags, data.nsh_ttl, data.nsh_mdtype, data.nsh_np, data.nsh_path_hdr};
  out.put_struct(kNshBase, base);
  // Only MD type 1 context headers are modelled; a mask always carries them.
  if (is_mask || key.nsh_mdtype == 1) out.put(kNshMd1, data.nsh_context, sizeof data.nsh_context);
  out.end_nested(nested);
}

Status decode_nsh_key(std::span<const uint8_t> payload, FlowKey* key, FitnessReport* fitness) {
  NshAttrs nsh;
  auto st = split_nsh(payload, &nsh, [&](const NetlinkAttr& a) -> Status {
    if (a.type == kNshMd2) {
      fitness->too_much("nsh md2 metadata is not modelled");
    } else {
      fitness->too_much("nsh has unknown attribute type " + std::to_string(a.type));
    }
    return Ok{};
  });
  if (!st.ok()) return st;
  store_nsh(nsh, key);
  if (!nsh.has_base) fitness->too_little("nsh attribute lacks base");
  if (nsh.has_md1 && key->nsh_mdtype != 1) {
    return make_error("nsh md1 attribute given for mdtype " + std::to_string(key->nsh_mdtype) +
                      ", expected mdtype 1");
  }
  if (!nsh.has_md1 && nsh.has_base && key->nsh_mdtype == 1) {
    fitness->too_little("nsh attribute with mdtype 1 lacks md1");
  }
  return Ok{};
}

Status decode_nsh_mask(std::span<const uint8_t> payload, FlowKey* mask) {
  NshAttrs nsh;
  auto st = split_nsh(payload, &nsh, [](const NetlinkAttr& a) -> Status {
    return make_error("nsh mask has unsupported attribute " + nsh_attr_name(a.type));
  });
  if (!st.ok()) return st;
  store_nsh(nsh, mask);
  return Ok{};
}

}  // namespace flowpath::key_netlink
