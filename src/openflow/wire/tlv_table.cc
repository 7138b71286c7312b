// The tunnel-option mapping table (see tlv_table.h).
#include "openflow/wire/tlv_table.h"

namespace flowpath::openflow::wire {

namespace {

constexpr size_t kMapLen = 8;
constexpr uint8_t kMaxOptionLen = 124;

WireResult<std::vector<TlvMapping>> decode_mappings(ByteView bytes, uint16_t max_fields) {
  std::vector<TlvMapping> out;
  // The framing made the length a multiple of 8.
  for (size_t pos = 0; pos + kMapLen <= bytes.size(); pos += kMapLen) {
    const uint8_t* p = bytes.data() + pos;
    TlvMapping m{get_u16(p), p[2], p[3], get_u16(p + 4)};
    if (m.option_len % 4 || m.option_len > kMaxOptionLen)
      return wire_error(OfpErrorCode::NXTTMFC_BAD_OPT_LEN,
                        "TLV table: option length " + std::to_string(m.option_len) +
                            " is not a multiple of 4 up to 124");
    if (m.index >= max_fields)
      return wire_error(OfpErrorCode::NXTTMFC_BAD_FIELD_IDX,
                        "TLV table: field index " + std::to_string(m.index) + " is above " +
                            std::to_string(max_fields - 1));
    out.push_back(m);
  }
  return out;
}

void encode_mappings(WireWriter& w, const std::vector<TlvMapping>& mappings) {
  for (const TlvMapping& m : mappings) {
    w.put_u16(m.option_class);
    w.put_u8(m.option_type);
    w.put_u8(m.option_len);
    w.put_u16(m.index);
    w.put_zeros(2);
  }
}

}  // namespace

WireResult<TlvTableMod> decode_tlv_table_mod(const OfpMessage& msg) {
  const uint16_t command = get_u16(msg.body.data());
  if (command > 2)
    return wire_error(OfpErrorCode::NXTTMFC_BAD_COMMAND,
                      "TLV table mod: command " + std::to_string(command) + " is unknown");
  WIRE_TRY_ASSIGN(mappings, decode_mappings(msg.body.subspan(8), kTunMetadataFields));
  return TlvTableMod{static_cast<TlvTableCommand>(command), std::move(mappings)};
}

Bytes encode_tlv_table_mod(const TlvTableMod& mod, uint8_t version, uint32_t xid) {
  Bytes out;
  const size_t start = start_message(out, OfpRaw::NXT_TLV_TABLE_MOD, version, xid);
  WireWriter w(&out);
  w.put_u16(static_cast<uint16_t>(mod.command));
  w.put_zeros(6);
  encode_mappings(w, mod.mappings);
  finish_message(out, start);
  return out;
}

WireResult<TlvTableReply> decode_tlv_table_reply(const OfpMessage& msg) {
  TlvTableReply reply;
  reply.max_option_space = get_u32(msg.body.data());
  reply.max_fields = get_u16(msg.body.data() + 4);
  WIRE_TRY_ASSIGN(mappings, decode_mappings(msg.body.subspan(16), reply.max_fields));
  reply.mappings = std::move(mappings);
  return reply;
}

Bytes encode_tlv_table_reply(const TlvTableReply& reply, uint8_t version, uint32_t xid) {
  Bytes out;
  const size_t start = start_message(out, OfpRaw::NXT_TLV_TABLE_REPLY, version, xid);
  WireWriter w(&out);
  w.put_u32(reply.max_option_space);
  w.put_u16(reply.max_fields);
  w.put_zeros(10);
  encode_mappings(w, reply.mappings);
  finish_message(out, start);
  return out;
}

}  // namespace flowpath::openflow::wire
