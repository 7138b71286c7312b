// Hashing actions: multipath (hash a set of fields, pick a link, store it in
// a field) and bundle / bundle_load (pick a live member port and output to
// it or store it).
#include "openflow/wire/action_internal.h"

namespace flowpath::openflow::wire::action_wire {

namespace {

constexpr uint16_t kMaxHashFields = 6;      // NX_HASH_FIELDS_SYMMETRIC_L3
constexpr uint16_t kMaxMultipathAlg = 3;    // NX_MP_ALG_ITER_HASH
constexpr uint16_t kBundleActiveBackup = 0, kBundleHrw = 1;
constexpr uint16_t kMaxBundleMembers = 2048;
constexpr uint32_t kNxmOfInPort = 0x00000002;

unsigned log2_ceil(uint32_t n) {
  unsigned bits = 0;
  while ((uint64_t{1} << bits) < n) ++bits;
  return bits;
}

WireStatus check_dst(const RawAction& a, const Subfield& dst) {
  if (!wire_writable(*dst.field))
    return a.error(OfpErrorCode::OFPBAC_BAD_SET_ARGUMENT,
                   std::string(nxm_name(*dst.field)) + " is read-only");
  return Ok{};
}

WireStatus decode_multipath(const RawAction& a, Actions& out) {
  const uint8_t* p = a.bytes.data();
  action::Multipath mp;
  mp.fields = get_u16(p + 10);
  mp.basis = get_u16(p + 12);
  mp.algorithm = get_u16(p + 16);
  mp.max_link = get_u16(p + 18);
  mp.arg = get_u32(p + 20);
  const uint16_t ofs_n = get_u16(p + 26);
  WIRE_TRY_ASSIGN(dst, subfield_from_header(a, get_u32(p + 28), ofs_n >> 6, (ofs_n & 63) + 1));
  mp.dst = dst;
  if (mp.fields > kMaxHashFields)
    return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT, "hash fields " + std::to_string(mp.fields) +
                                                          " are unknown");
  if (mp.algorithm > kMaxMultipathAlg)
    return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT,
                   "algorithm " + std::to_string(mp.algorithm) + " is unknown");
  const unsigned need = log2_ceil(mp.max_link + 1u);
  if (dst.n_bits < need)
    return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT,
                   std::to_string(mp.max_link + 1) + " links need " + std::to_string(need) +
                       " bits, the destination has " + std::to_string(dst.n_bits));
  WIRE_TRY(check_dst(a, dst));
  out.emplace_back(mp);
  return Ok{};
}

WireStatus decode_bundle(const RawAction& a, Actions& out, bool load) {
  const uint8_t* p = a.bytes.data();
  action::Bundle b;
  b.algorithm = get_u16(p + 10);
  b.fields = get_u16(p + 12);
  b.basis = get_u16(p + 14);
  const uint32_t member_type = get_u32(p + 16);
  const uint16_t n = get_u16(p + 20), ofs_n = get_u16(p + 22);
  const uint32_t dst = get_u32(p + 24);
  auto bad = [&](const std::string& what) { return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT, what); };
  if (b.fields > kMaxHashFields) return bad("hash fields " + std::to_string(b.fields) + " are unknown");
  if (n > kMaxBundleMembers) return bad(std::to_string(n) + " members are too many");
  if (b.algorithm != kBundleHrw && b.algorithm != kBundleActiveBackup)
    return bad("algorithm " + std::to_string(b.algorithm) + " is unknown");
  if (member_type != kNxmOfInPort) return bad("members must be NXM_OF_IN_PORT ports");
  if (!all_zero(a.bytes.subspan(28, 4))) return bad("reserved bytes are not zero");
  if (load) {
    WIRE_TRY_ASSIGN(sf, subfield_from_header(a, dst, ofs_n >> 6, (ofs_n & 63) + 1));
    if (sf.n_bits < 16) return bad("bundle_load needs a destination of at least 16 bits");
    WIRE_TRY(check_dst(a, sf));
    b.dst = sf;
  } else if (ofs_n || dst) {
    return bad("bundle has a destination set");
  }
  const size_t room = a.bytes.size() - 32;
  if (room < n * 2u)
    return a.error(OfpErrorCode::OFPBAC_BAD_LEN, std::to_string(n) + " members need " +
                                                     std::to_string(n * 2) + " bytes, " +
                                                     std::to_string(room) + " present");
  for (uint16_t i = 0; i < n; ++i) {
    const uint32_t port = port_from_ofp10(get_u16(p + 32 + 2 * i));
    if (port >= 0xff00 && port != kOfppAny)
      return a.error(OfpErrorCode::OFPBAC_BAD_OUT_PORT,
                     "member " + std::to_string(port) + " is not a port");
    b.members.push_back(port);
  }
  out.emplace_back(std::move(b));
  return Ok{};
}

}  // namespace

WireStatus decode_hash_family(const RawAction& a, Actions& out) {
  switch (a.info->raw) {
    case ActionRaw::NXAST_MULTIPATH: return decode_multipath(a, out);
    case ActionRaw::NXAST_BUNDLE: return decode_bundle(a, out, false);
    case ActionRaw::NXAST_BUNDLE_LOAD: return decode_bundle(a, out, true);
    default: return a.error(OfpErrorCode::OFPBAC_BAD_TYPE, "not a hashing action");
  }
}

void encode_action(const action::Multipath& a, ActionEncoder& e) {
  const size_t s = e.put_raw(ActionRaw::NXAST_MULTIPATH);
  uint8_t* p = e.w.at(s);
  put_u16_at(p + 10, a.fields);
  put_u16_at(p + 12, a.basis);
  put_u16_at(p + 16, a.algorithm);
  put_u16_at(p + 18, a.max_link);
  put_u32_at(p + 20, a.arg);
  put_u16_at(p + 26, ofs_nbits(a.dst.ofs, a.dst.n_bits));
  put_u32_at(p + 28, nxm_header32(*a.dst.field));
}

void encode_action(const action::Bundle& a, ActionEncoder& e) {
  const size_t s = e.put_raw(a.dst.field ? ActionRaw::NXAST_BUNDLE_LOAD : ActionRaw::NXAST_BUNDLE);
  uint8_t* p = e.w.at(s);
  put_u16_at(p + 10, a.algorithm);
  put_u16_at(p + 12, a.fields);
  put_u16_at(p + 14, a.basis);
  put_u32_at(p + 16, kNxmOfInPort);
  put_u16_at(p + 20, static_cast<uint16_t>(a.members.size()));
  if (a.dst.field) {
    put_u16_at(p + 22, ofs_nbits(a.dst.ofs, a.dst.n_bits));
    put_u32_at(p + 24, nxm_header32(*a.dst.field));
  }
  for (uint32_t port : a.members) e.w.put_u16(port_to_ofp10(port));
  e.finish(s);
}

}  // namespace flowpath::openflow::wire::action_wire
