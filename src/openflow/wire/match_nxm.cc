// NXM and OXM matches (see match_nxm.h). The writing order and the choice
// between exact and masked entries follow Open vSwitch's nx_match writer.
#include "openflow/wire/match_nxm.h"

#include <cstring>

#include "openflow/wire/ofp_header.h"
#include "packet/headers.h"

namespace flowpath::openflow::wire {

namespace {

constexpr uint16_t kOfpmtOxm = 1;

// Fields whose exact match Open vSwitch still writes with a mask: it keeps
// only the defined bits (ct_state's 8 flags, tun_flags' 1) in its mask.
bool always_masked(const OfFieldInfo& f) { return f.name == "ct_state" || f.name == "tun_flags"; }

// Fields that make a match imply an Ethernet packet (Open vSwitch's fields
// with prerequisites): everything parsed from the packet, and the conntrack
// tuple.
bool implies_ethernet(const OfFieldInfo& f) {
  return (f.offset >= offsetof(OfFlow, key) + offsetof(FlowKey, eth_src) &&
          f.offset < offsetof(OfFlow, metadata)) ||
         f.prereq == FieldPrereq::kCtValid;
}

class MatchWriter {
 public:
  MatchWriter(WireWriter& w, const OfMatch& m, uint8_t version) : w_(w), m_(m), version_(version) {}

  const OfFieldInfo& f(std::string_view name) const { return *find_field(name); }
  NxmNumber value(const OfFieldInfo& field) const {
    return nxm_number(field, m_.value.bytes() + field.offset);
  }
  NxmNumber mask(const OfFieldInfo& field) const {
    return nxm_mask_number(field, m_.mask.bytes() + field.offset);
  }
  NxmNumber value(std::string_view name) const { return value(f(name)); }
  NxmNumber mask(std::string_view name) const { return mask(f(name)); }

  // A field that may be masked: nothing when wildcarded, exact when the
  // whole field is matched, else value and mask.
  void put(std::string_view name) {
    const OfFieldInfo& field = f(name);
    NxmNumber m = mask(field);
    if (!m) return;
    const NxmField& nxm = *nxm_field_for(field, version_);
    bool exact = m == field_internal::low_bits(nxm_value_bits(field)) && !always_masked(field);
    NxmNumber v = value(field) & m;
    put_numbers(field, nxm, v, exact ? nullptr : &m);
  }
  // A field Open vSwitch always writes exact, when any bit of it is matched.
  void put_exact(std::string_view name) {
    const OfFieldInfo& field = f(name);
    if (!mask(field)) return;
    put_number(field, value(field));
  }
  void put_number(const OfFieldInfo& field, NxmNumber v) {
    put_numbers(field, *nxm_field_for(field, version_), v, nullptr);
  }

  bool implied_ethernet() const { return implied_ethernet_; }

 private:
  void put_numbers(const OfFieldInfo& field, const NxmField& nxm, NxmNumber v, const NxmNumber* m) {
    put_nxm_numbers(w_, nxm, v, m);
    if (implies_ethernet(field)) implied_ethernet_ = true;
  }

  WireWriter& w_;
  const OfMatch& m_;
  uint8_t version_;
  bool implied_ethernet_ = false;
};

bool eth_type_is(const OfMatch& m, uint16_t type) {
  return m.mask.key.eth_type && ntoh16(m.value.key.eth_type) == type;
}

void put_ip(MatchWriter& mw, const OfMatch& m, uint8_t version) {
  const bool v4 = eth_type_is(m, ethertype::kIpv4);
  if (v4) {
    mw.put("ip_src");
    mw.put("ip_dst");
  } else {
    mw.put("ipv6_src");
    mw.put("ipv6_dst");
  }
  mw.put("ip_frag");
  const uint8_t tos_mask = m.mask.key.nw_tos, tos = m.value.key.nw_tos;
  if (tos_mask & 0xfc) {
    if (version) mw.put_number(mw.f("ip_dscp"), tos >> 2);
    else mw.put_number(mw.f("nw_tos"), tos & 0xfc);
  }
  if (tos_mask & 0x03) mw.put_number(mw.f("nw_ecn"), tos & 0x03);
  mw.put_exact("nw_ttl");
  mw.put("ipv6_label");
  if (!m.mask.key.nw_proto) return;
  const uint8_t proto = m.value.key.nw_proto;
  mw.put_exact("nw_proto");
  if (proto == ipproto::kTcp) {
    mw.put("tcp_src");
    mw.put("tcp_dst");
    mw.put("tcp_flags");
  } else if (proto == ipproto::kUdp) {
    mw.put("udp_src");
    mw.put("udp_dst");
  } else if (proto == ipproto::kSctp) {
    mw.put("sctp_src");
    mw.put("sctp_dst");
  } else if (v4 && proto == ipproto::kIcmp) {
    mw.put_exact("icmp_type");
    mw.put_exact("icmp_code");
  } else if (!v4 && proto == ipproto::kIcmpv6) {
    mw.put_exact("icmpv6_type");
    mw.put_exact("icmpv6_code");
    const NxmNumber type = mw.value("icmpv6_type"), code = mw.value("icmpv6_code");
    if ((type == 135 || type == 136) && code == 0) {
      mw.put_exact("nd_reserved");
      mw.put("nd_target");
      mw.put_exact("nd_options_type");
      if (type == 135) mw.put("nd_sll");
      else mw.put("nd_tll");
    }
  }
}

}  // namespace

size_t put_nxm_match(WireWriter& out, const OfMatch& m, uint8_t version, const NxmCookie& cookie) {
  // Written aside first: an explicit Ethernet packet_type goes before the
  // rest when nothing else implies Ethernet.
  Bytes body;
  WireWriter w(&body);
  MatchWriter mw(w, m, version);

  const NxmNumber pt_mask = mw.mask("packet_type"), pt = mw.value("packet_type");
  const bool default_packet_type = pt == 0 && pt_mask == 0xffffffffu;
  if (pt_mask && !default_packet_type) mw.put("packet_type");
  mw.put("dp_hash");
  mw.put_exact("recirc_id");
  mw.put_exact("conj_id");
  mw.put_exact(version ? "in_port_oxm" : "in_port");

  mw.put("eth_src");
  mw.put("eth_dst");
  mw.put("eth_type");

  if (version) {
    const uint16_t tci = ntoh16(m.value.key.vlans[0].tci), tci_mask = ntoh16(m.mask.key.vlans[0].tci);
    const uint16_t vid = tci & 0x1fff, vid_mask = tci_mask & 0x1fff;
    if (vid_mask == 0x1fff) mw.put_number(mw.f("vlan_vid"), vid);
    else if (vid_mask) {
      NxmNumber mk = vid_mask;
      put_nxm_numbers(w, *nxm_field_for(mw.f("vlan_vid"), version), vid, &mk);
    }
    if (vid && (tci_mask & 0xe000)) mw.put_number(mw.f("vlan_pcp"), tci >> 13);
  } else {
    mw.put("vlan_tci");
  }

  if (eth_type_is(m, ethertype::kMplsUnicast) || eth_type_is(m, ethertype::kMplsMulticast)) {
    mw.put_exact("mpls_tc");
    mw.put_exact("mpls_bos");
    mw.put_exact("mpls_ttl");
    mw.put_exact("mpls_label");
  }

  if (eth_type_is(m, ethertype::kIpv4) || eth_type_is(m, ethertype::kIpv6)) {
    put_ip(mw, m, version);
  } else if (eth_type_is(m, ethertype::kArp) || eth_type_is(m, ethertype::kRarp)) {
    mw.put_exact("arp_op");
    mw.put("arp_spa");
    mw.put("arp_tpa");
    mw.put("arp_sha");
    mw.put("arp_tha");
  }

  for (std::string_view name :
       {"tun_id", "tun_flags", "tun_src", "tun_dst", "tun_ipv6_src", "tun_ipv6_dst", "tun_gbp_id",
        "tun_gbp_flags", "tun_erspan_idx", "tun_erspan_ver", "tun_erspan_dir", "tun_erspan_hwid",
        "tun_gtpu_flags", "tun_gtpu_msgtype", "nsh_flags", "nsh_ttl", "nsh_mdtype", "nsh_np",
        "nsh_spi", "nsh_si", "nsh_c1", "nsh_c2", "nsh_c3", "nsh_c4"})
    mw.put(name);

  if (version < kOfp15) {
    for (int i = 0; i < kNumRegisters; ++i) mw.put("reg" + std::to_string(i));
  } else {
    for (int i = 0; i < kNumRegisters / 2; ++i) mw.put("xreg" + std::to_string(i));
  }

  for (std::string_view name : {"pkt_mark", "ct_state", "ct_zone", "ct_mark", "ct_label"})
    mw.put(name);
  // The model keeps the conntrack tuple's IPv4 and IPv6 addresses in one
  // place: the match's IP version says which they are.
  if (eth_type_is(m, ethertype::kIpv6)) {
    mw.put("ct_ipv6_src");
    mw.put("ct_ipv6_dst");
  } else {
    mw.put("ct_nw_src");
    mw.put("ct_nw_dst");
  }
  if (mw.value("ct_nw_proto")) {
    mw.put("ct_nw_proto");
    mw.put("ct_tp_src");
    mw.put("ct_tp_dst");
  }
  mw.put("metadata");

  if (cookie.mask) {
    const bool masked = cookie.mask != ~uint64_t{0};
    w.put_u32(uint32_t{kNxmCookie.oxm_class} << 16 | uint32_t{kNxmCookie.oxm_field} << 9 |
              uint32_t{masked} << 8 | (masked ? 16u : 8u));
    w.put_u64(cookie.value & cookie.mask);
    if (masked) w.put_u64(cookie.mask);
  }

  const size_t start = out.size();
  if (default_packet_type && !mw.implied_ethernet())
    put_nxm_numbers(out, *nxm_field_for(*find_field("packet_type"), version), 0, nullptr);
  out.put_bytes(body);
  return out.size() - start;
}

WireResult<OfMatch> decode_nxm_match(ByteView entries, bool strict, NxmCookie* cookie) {
  OfMatch match;
  WireReader r(entries, OfpErrorCode::OFPBMC_BAD_LEN, "match");
  if (cookie) *cookie = NxmCookie{};
  bool have_cookie = false;
  while (!r.empty()) {
    const size_t entry_start = r.offset();
    auto entry = pull_nxm_entry(r, NxmContext::kMatch, true, cookie != nullptr);
    if (!entry.ok()) {
      if (!strict && entry.error().code == OfpErrorCode::OFPBMC_BAD_FIELD) continue;
      return entry.error();
    }
    if (!entry->nxm) {  // the cookie pseudo-field
      if (have_cookie)
        return wire_error(OfpErrorCode::OFPBMC_DUP_FIELD, "match: NXM_NX_COOKIE given twice");
      have_cookie = true;
      cookie->value = entry->cookie & entry->cookie_mask;
      cookie->mask = entry->cookie_mask;
      continue;
    }
    const OfFieldInfo& field = *entry->value.field;
    const std::string where = "match: " + std::string(entry->nxm->name) + " at offset " +
                              std::to_string(entry_start);
    if (strict && !prereq_satisfied(match, field.prereq))
      return wire_error(OfpErrorCode::OFPBMC_BAD_PREREQ,
                        where + " needs " + std::string(prereq_name(field.prereq)) +
                            " matched by an earlier entry");
    uint8_t* value = match.value.bytes() + field.offset;
    uint8_t* mask = match.mask.bytes() + field.offset;
    for (unsigned i = 0; i < field.bytes; ++i)
      if (mask[i] & entry->value.mask[i])
        return wire_error(OfpErrorCode::OFPBMC_DUP_FIELD, where + " matches a field twice");
    for (unsigned i = 0; i < field.bytes; ++i) {
      value[i] |= entry->value.value[i] & entry->value.mask[i];
      mask[i] |= entry->value.mask[i];
    }
    if (field.name == "vlan_pcp") {
      // OXM_OF_VLAN_PCP also says a tag is present.
      match.value.key.vlans[0].tci |= hton16(kVlanCfi);
      match.mask.key.vlans[0].tci |= hton16(kVlanCfi);
    }
  }
  match.normalize();
  return match;
}

std::optional<std::string> nxm_match_problem(const OfMatch& match) {
  OfFlow left = match.mask;
  for (const NxmField& f : all_nxm_fields()) {
    uint8_t* p = left.bytes() + f.field->offset;
    uint8_t ones[16];
    std::memset(ones, 0, sizeof ones);
    store_nxm_mask_number(*f.field, field_internal::low_bits(nxm_value_bits(*f.field)), ones);
    for (unsigned i = 0; i < f.field->bytes; ++i) p[i] &= static_cast<uint8_t>(~ones[i]);
  }
  for (const OfFieldInfo& f : all_fields())
    if (!all_zero(ByteView(left.bytes() + f.offset, f.bytes)))
      return "a match on " + std::string(f.name) + " cannot travel in OpenFlow";
  for (size_t i = 0; i < OfFlow::kWords; ++i)
    if (left.words()[i]) return std::string("the match has bits no OpenFlow field carries");
  return std::nullopt;
}

void put_oxm_match(WireWriter& w, const OfMatch& match, uint8_t version) {
  const size_t start = w.size();
  w.put_u16(kOfpmtOxm);
  w.put_u16(0);
  put_nxm_match(w, match, version);
  w.patch_length16(start + 2, start);
  w.pad_to_8(start);
}

WireResult<OfMatch> pull_oxm_match(WireReader& r, bool strict) {
  if (r.remaining() < 4)
    return wire_error(OfpErrorCode::OFPBMC_BAD_LEN,
                      std::string(r.what()) + ": no room for the match header");
  const uint16_t type = get_u16(r.peek()), length = get_u16(r.peek() + 2);
  if (type != kOfpmtOxm)
    return wire_error(OfpErrorCode::OFPBMC_BAD_TYPE,
                      std::string(r.what()) + ": match type " + std::to_string(type) +
                          " (only OXM, type 1, is supported)");
  if (length < 4)
    return wire_error(OfpErrorCode::OFPBMC_BAD_LEN,
                      std::string(r.what()) + ": match length " + std::to_string(length));
  const size_t padded = round_up8(length);
  if (padded > r.remaining())
    return wire_error(OfpErrorCode::OFPBMC_BAD_LEN,
                      std::string(r.what()) + ": match of " + std::to_string(length) +
                          " bytes (padded to " + std::to_string(padded) + ") overruns the " +
                          std::to_string(r.remaining()) + " bytes left");
  WIRE_TRY_ASSIGN(bytes, r.pull(padded, "match"));
  return decode_nxm_match(bytes.subspan(4, length - 4), strict);
}

}  // namespace flowpath::openflow::wire
