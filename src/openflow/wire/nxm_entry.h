// Single NXM/OXM entries and headers, as matches and actions carry them:
// header (class, field, hasmask, length; experimenter id for class 0xffff),
// then the value and, when hasmask, the mask. Values travel as nxm_field.h
// numbers them; here they become model FieldValues and back.
#pragma once

#include "openflow/nxm_field.h"
#include "openflow/wire/ofp_buffer.h"

namespace flowpath::openflow::wire {

// Where an entry is read: a match (errors OFPBMC_*) or an action (set_field,
// reg_load2, move, ...: errors OFPBAC_BAD_SET_*).
enum class NxmContext : uint8_t { kMatch, kAction };

struct NxmEntry {
  const NxmField* nxm = nullptr;  // nullptr for the NXM_NX_COOKIE pseudo-field
  FieldValue value;               // value & mask in model storage
  bool masked = false;            // the header had hasmask
  uint64_t cookie = 0, cookie_mask = 0;  // NXM_NX_COOKIE only
};

// The raw header of the next entry.
struct RawNxmHeader {
  NxmHeader header;
  bool hasmask = false;
  uint8_t length = 0;  // oxm_length: payload bytes (experimenter id included)
};

// Reads one header; `context` picks the errors. OFPBMC_BAD_LEN (or
// OFPBAC_BAD_SET_LEN) when it does not fit, OFPBMC_BAD_FIELD (or
// OFPBAC_BAD_SET_TYPE) for a header no field of ours has.
WireResult<const NxmField*> pull_nxm_header(WireReader& r, NxmContext context,
                                            bool* masked = nullptr);
// Reads one entry with its value and mask, checked as Open vSwitch checks
// them: mask consistent with value (OFPBMC_BAD_WILDCARDS), masks only where
// the field takes one (OFPBMC_BAD_MASK), values in range (OFPBMC_BAD_VALUE).
// `allow_mask` false refuses masked entries (OpenFlow 1.2-1.4 set_field).
// `allow_cookie` accepts the NXM_NX_COOKIE pseudo-field.
WireResult<NxmEntry> pull_nxm_entry(WireReader& r, NxmContext context, bool allow_mask,
                                    bool allow_cookie = false);

void put_nxm_header(WireWriter& w, const NxmField& nxm, bool masked);
// The entry for `value` (only the field's bits), exact when `masked` is false.
void put_nxm_entry(WireWriter& w, const NxmField& nxm, const FieldValue& value, bool masked);
// The entry for raw numbers (value and mask as the wire numbers them).
void put_nxm_numbers(WireWriter& w, const NxmField& nxm, NxmNumber value, const NxmNumber* mask);

// The field's value as the wire numbers it must fit in its width; fields
// with narrower legal values (ct_state, nsh_ttl, ...) are checked too. An
// error message when the value is not valid.
std::optional<std::string> nxm_value_problem(const OfFieldInfo& field, NxmNumber value);

// The NXM pseudo-field that carries a flow mod's cookie in NXT_FLOW_MOD and
// NXST_FLOW requests.
inline constexpr NxmHeader kNxmCookie{kOxmClassNxm1, 30, 0};

}  // namespace flowpath::openflow::wire
