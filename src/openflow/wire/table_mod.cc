// Table mods (see table_mod.h).
#include "openflow/wire/table_mod.h"

#include "openflow/wire/ofp_property.h"

namespace flowpath::openflow::wire {

namespace {

constexpr uint16_t kPropEviction = 0x2;  // OFPTMPT14_EVICTION
constexpr uint16_t kPropVacancy = 0x3;   // OFPTMPT14_VACANCY

}  // namespace

WireStatus decode_table_properties(ByteView bytes, bool table_mod,
                                   std::optional<uint32_t>& eviction_flags,
                                   std::optional<TableVacancy>& vacancy) {
  const char* what = table_mod ? "table_mod" : "table description";
  PropertyReader props(bytes, what);
  while (!props.empty()) {
    WIRE_TRY_ASSIGN(prop, props.next());
    if (prop.type == kPropEviction) {
      WIRE_TRY_ASSIGN(flags, props.u32(prop));
      eviction_flags = flags;
    } else if (prop.type == kPropVacancy) {
      if (prop.body.size() != 4)
        return wire_error(OfpErrorCode::OFPBPC_BAD_LEN,
                          std::string(what) + ": vacancy property of " +
                              std::to_string(prop.body.size() + 4) + " bytes (8 expected)");
      TableVacancy v{prop.body[0], prop.body[1], prop.body[2]};
      if (table_mod) {
        if (v.down > v.up)
          return wire_error(OfpErrorCode::OFPBPC_BAD_VALUE,
                            "table_mod: vacancy_down is above vacancy_up");
        if (v.up > 100)
          return wire_error(OfpErrorCode::OFPBPC_BAD_VALUE,
                            "table_mod: vacancy thresholds are percentages up to 100");
        if (v.current)
          return wire_error(OfpErrorCode::OFPBPC_BAD_VALUE,
                            "table_mod: the vacancy of a table mod must be zero");
      }
      vacancy = v;
    } else if (table_mod) {
      return wire_error(OfpErrorCode::OFPBRC_BAD_TYPE,
                        "table_mod: unknown property type " + std::to_string(prop.type));
    } else {
      WIRE_TRY(props.unknown(prop, true));
    }
  }
  return Ok{};
}

void encode_table_properties(WireWriter& w, const std::optional<uint32_t>& eviction_flags,
                             const std::optional<TableVacancy>& vacancy) {
  if (eviction_flags) put_property_u32(w, kPropEviction, *eviction_flags);
  if (vacancy) {
    const size_t prop = start_property(w, kPropVacancy);
    w.put_u8(vacancy->down);
    w.put_u8(vacancy->up);
    w.put_u8(vacancy->current);
    w.put_u8(0);
    end_property(w, prop);
  }
}

WireResult<TableMod> decode_table_mod(const OfpMessage& msg) {
  TableMod tm;
  tm.table_id = msg.body[0];
  tm.config = get_u32(msg.body.data() + 4);
  if (msg.raw != OfpRaw::OFPT14_TABLE_MOD) return tm;
  WIRE_TRY(decode_table_properties(msg.body.subspan(8), true, tm.eviction_flags, tm.vacancy));
  return tm;
}

WireResult<Bytes> encode_table_mod(const TableMod& tm, uint8_t version, uint32_t xid) {
  if (version < kOfp13)
    return wire_error(OfpErrorCode::OFPBRC_BAD_VERSION, "table_mod needs OpenFlow 1.1 or later");
  Bytes out;
  const bool ofp14 = version >= kOfp14;
  const size_t start =
      start_message(out, ofp14 ? OfpRaw::OFPT14_TABLE_MOD : OfpRaw::OFPT11_TABLE_MOD, version, xid);
  WireWriter w(&out);
  w.put_u8(tm.table_id);
  w.put_zeros(3);
  w.put_u32(tm.config);
  if (ofp14) encode_table_properties(w, tm.eviction_flags, tm.vacancy);
  finish_message(out, start);
  return out;
}

}  // namespace flowpath::openflow::wire
