// NXM/OXM entries (see nxm_entry.h).
#include "openflow/wire/nxm_entry.h"

namespace flowpath::openflow::wire {

namespace {

NxmNumber load_be(const uint8_t* p, size_t n) {
  NxmNumber v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

void store_be(uint8_t* p, size_t n, NxmNumber v) {
  for (size_t i = n; i-- > 0;) {
    p[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
}

OfpErrorCode len_error(NxmContext c) {
  return c == NxmContext::kMatch ? OfpErrorCode::OFPBMC_BAD_LEN : OfpErrorCode::OFPBAC_BAD_SET_LEN;
}

std::string header_text(const RawNxmHeader& h) {
  char buf[80];
  if (h.header.oxm_class == kOxmClassExperimenter)
    std::snprintf(buf, sizeof buf, "OXM header 0x%04x:%u:%u:%u (experimenter 0x%08x)",
                  h.header.oxm_class, h.header.oxm_field, h.hasmask, h.length,
                  h.header.experimenter);
  else
    std::snprintf(buf, sizeof buf, "OXM header 0x%04x:%u:%u:%u", h.header.oxm_class,
                  h.header.oxm_field, h.hasmask, h.length);
  return buf;
}

WireResult<RawNxmHeader> pull_raw_header(WireReader& r, NxmContext context) {
  if (r.remaining() < 4)
    return wire_error(len_error(context), std::string(r.what()) + ": " +
                                              std::to_string(r.remaining()) +
                                              " bytes left for an OXM header");
  uint32_t h = get_u32(r.peek());
  RawNxmHeader out;
  out.header.oxm_class = static_cast<uint16_t>(h >> 16);
  out.header.oxm_field = static_cast<uint8_t>((h >> 9) & 0x7f);
  out.hasmask = (h >> 8) & 1;
  out.length = static_cast<uint8_t>(h);
  size_t header_len = 4;
  if (out.header.oxm_class == kOxmClassExperimenter) {
    if (r.remaining() < 8)
      return wire_error(len_error(context),
                        std::string(r.what()) + ": experimenter OXM header cut short");
    out.header.experimenter = get_u32(r.peek() + 4);
    if (out.length < 4)
      return wire_error(len_error(context), std::string(r.what()) + ": " + header_text(out) +
                                                " is shorter than its experimenter id");
    header_len = 8;
  }
  WIRE_TRY(r.skip(header_len, "OXM header"));
  return out;
}

// Payload bytes of the value (without experimenter id and mask).
unsigned value_bytes(const RawNxmHeader& h) {
  unsigned n = h.length - (h.header.oxm_class == kOxmClassExperimenter ? 4u : 0u);
  return h.hasmask ? n / 2 : n;
}

// The field for a header whose length suits it.
WireResult<const NxmField*> resolve(const WireReader& r, const RawNxmHeader& h,
                                    NxmContext context) {
  const NxmField* f = find_nxm_field(h.header);
  unsigned bytes = value_bytes(h);
  unsigned payload = h.length - (h.header.oxm_class == kOxmClassExperimenter ? 4u : 0u);
  bool length_ok = f && bytes == f->payload_bytes && (!h.hasmask || payload == 2u * bytes);
  if (f && f->field && length_ok) return f;
  if (context == NxmContext::kAction) {
    if (f && f->field)
      return wire_error(OfpErrorCode::OFPBAC_BAD_SET_LEN,
                        std::string(r.what()) + ": " + header_text(h) + " has the wrong length for " +
                            std::string(f->name));
    return wire_error(OfpErrorCode::OFPBAC_BAD_SET_TYPE,
                      std::string(r.what()) + ": " + header_text(h) + " names no field flowpath knows");
  }
  return wire_error(OfpErrorCode::OFPBMC_BAD_FIELD,
                    std::string(r.what()) + ": " + header_text(h) +
                        (f ? " has the wrong length for " + std::string(f->name)
                           : std::string(" names no field flowpath knows")));
}

bool all_ones(NxmNumber v, unsigned bits) { return v == field_internal::low_bits(bits); }

}  // namespace

std::optional<std::string> nxm_value_problem(const OfFieldInfo& field, NxmNumber value) {
  const unsigned bits = nxm_value_bits(field);
  if (field.format == FieldFormat::kPort) {
    auto port = static_cast<uint32_t>(value);
    if (bits == 32 && port >= 0xff00 && port < 0xfffffff8u)
      return "port " + std::to_string(port) + " is neither an ordinary nor a reserved port";
    uint32_t of_port = bits == 16 ? port_from_ofp10(static_cast<uint16_t>(port)) : port;
    if (of_port == 0) return std::string("port 0 does not exist");
    return std::nullopt;
  }
  if (value & ~field_internal::low_bits(bits))
    return "value has bits beyond the field's " + std::to_string(bits);
  if (field_internal::field_layout(field).rule == field_internal::ValueRule::kInPlace &&
      (value & 3))
    return std::string("nw_tos has ECN bits set (only the DSCP bits 0xfc may be)");
  const std::string_view n = field.name;
  if (n == "ct_state" && value > 0xff) return std::string("ct_state has unknown flags");
  if (n == "tun_flags" && value > 1) return std::string("tun_flags has unknown flags");
  if (n == "nsh_ttl" && value > 63) return std::string("nsh_ttl is above 63");
  if (n == "nsh_mdtype" && value != 1 && value != 2) return std::string("nsh_mdtype must be 1 or 2");
  return std::nullopt;
}

WireResult<const NxmField*> pull_nxm_header(WireReader& r, NxmContext context, bool* masked) {
  WIRE_TRY_ASSIGN(h, pull_raw_header(r, context));
  if (h.hasmask && !masked) {
    if (context == NxmContext::kAction)
      return wire_error(OfpErrorCode::OFPBAC_BAD_SET_MASK,
                        std::string(r.what()) + ": " + header_text(h) + " may not have a mask");
    return wire_error(OfpErrorCode::OFPBMC_BAD_MASK,
                      std::string(r.what()) + ": " + header_text(h) + " may not have a mask");
  }
  if (masked) *masked = h.hasmask;
  // A header alone: its length is that of the value, or twice with a mask.
  return resolve(r, h, context);
}

WireResult<NxmEntry> pull_nxm_entry(WireReader& r, NxmContext context, bool allow_mask,
                                    bool allow_cookie) {
  WIRE_TRY_ASSIGN(h, pull_raw_header(r, context));
  const unsigned payload = h.length - (h.header.oxm_class == kOxmClassExperimenter ? 4u : 0u);
  if (payload > r.remaining())
    return wire_error(len_error(context), std::string(r.what()) + ": " + header_text(h) +
                                              " needs " + std::to_string(payload) +
                                              " bytes of payload, " +
                                              std::to_string(r.remaining()) + " remain");
  const unsigned width = value_bytes(h);
  if (h.hasmask && payload != 2 * width)
    return wire_error(len_error(context),
                      std::string(r.what()) + ": " + header_text(h) + " has an odd masked length");
  WIRE_TRY_ASSIGN(bytes, r.pull(payload, "OXM payload"));
  if (h.hasmask) {
    for (unsigned i = 0; i < width; ++i)
      if (bytes[i] & ~bytes[width + i])
        return wire_error(OfpErrorCode::OFPBMC_BAD_WILDCARDS,
                          std::string(r.what()) + ": " + header_text(h) +
                              " has 1-bits in its value where its mask has 0-bits");
    if (!allow_mask)
      return wire_error(context == NxmContext::kAction ? OfpErrorCode::OFPBAC_BAD_SET_MASK
                                                       : OfpErrorCode::OFPBMC_BAD_MASK,
                        std::string(r.what()) + ": " + header_text(h) + " may not have a mask");
  }
  NxmEntry out;
  out.masked = h.hasmask;
  if (allow_cookie && h.header == kNxmCookie && width == 8) {
    out.cookie = get_u64(bytes.data());
    out.cookie_mask = h.hasmask ? get_u64(bytes.data() + 8) : ~uint64_t{0};
    return out;
  }
  WIRE_TRY_ASSIGN(nxm, resolve(r, h, context));
  const OfFieldInfo& field = *nxm->field;
  const unsigned bits = nxm_value_bits(field);
  NxmNumber value = load_be(bytes.data(), width);
  NxmNumber mask = h.hasmask ? load_be(bytes.data() + width, width) : field_internal::low_bits(bits);
  const OfpErrorCode bad_value = context == NxmContext::kAction
                                     ? OfpErrorCode::OFPBAC_BAD_SET_ARGUMENT
                                     : OfpErrorCode::OFPBMC_BAD_VALUE;
  if (auto problem = nxm_value_problem(field, value))
    return wire_error(bad_value, std::string(r.what()) + ": " + std::string(nxm->name) + ": " +
                                     *problem);
  mask &= field_internal::low_bits(bits);
  if (h.hasmask && !field.maskable && mask && !all_ones(mask, bits))
    return wire_error(context == NxmContext::kAction ? OfpErrorCode::OFPBAC_BAD_SET_MASK
                                                     : OfpErrorCode::OFPBMC_BAD_MASK,
                      std::string(r.what()) + ": " + std::string(nxm->name) +
                          " takes no partial mask");
  out.nxm = nxm;
  out.value.field = &field;
  store_nxm_number(field, value & mask, out.value.value);
  store_nxm_mask_number(field, mask, out.value.mask);
  return out;
}

void put_nxm_header(WireWriter& w, const NxmField& nxm, bool masked) {
  unsigned length = nxm.payload_bytes * (masked ? 2u : 1u) + (nxm.experimenter() ? 4u : 0u);
  w.put_u32(uint32_t{nxm.header.oxm_class} << 16 | uint32_t{nxm.header.oxm_field} << 9 |
            uint32_t{masked} << 8 | length);
  if (nxm.experimenter()) w.put_u32(nxm.header.experimenter);
}

void put_nxm_numbers(WireWriter& w, const NxmField& nxm, NxmNumber value, const NxmNumber* mask) {
  put_nxm_header(w, nxm, mask != nullptr);
  uint8_t buf[16];
  store_be(buf, nxm.payload_bytes, value);
  w.put_bytes(buf, nxm.payload_bytes);
  if (mask) {
    store_be(buf, nxm.payload_bytes, *mask);
    w.put_bytes(buf, nxm.payload_bytes);
  }
}

void put_nxm_entry(WireWriter& w, const NxmField& nxm, const FieldValue& value, bool masked) {
  // The entry's field numbers the value: it may be the field's wire alias,
  // which shares its storage (tcp_src for tp_src).
  const OfFieldInfo& field = *nxm.field;
  NxmNumber v = nxm_number(field, value.value);
  if (!masked) {
    put_nxm_numbers(w, nxm, v, nullptr);
    return;
  }
  NxmNumber m = nxm_mask_number(field, value.mask);
  put_nxm_numbers(w, nxm, v & m, &m);
}

}  // namespace flowpath::openflow::wire
