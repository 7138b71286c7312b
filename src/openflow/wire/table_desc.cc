// Table descriptions and table status (see table_desc.h).
#include "openflow/wire/table_desc.h"

namespace flowpath::openflow::wire {

namespace {

constexpr size_t kTableDescLen = 8;

WireResult<TableDesc> decode_desc(ByteView e) {
  TableDesc d;
  d.table_id = e[2];
  d.config = get_u32(e.data() + 4);
  WIRE_TRY(decode_table_properties(e.subspan(kTableDescLen), false, d.eviction_flags,
                                   d.vacancy));
  return d;
}

void encode_desc(WireWriter& w, const TableDesc& d) {
  const size_t start = w.size();
  w.put_u16(0);
  w.put_u8(d.table_id);
  w.put_u8(0);
  w.put_u32(d.config);
  encode_table_properties(w, d.eviction_flags, d.vacancy);
  w.patch_length16(start, start);
}

}  // namespace

Bytes encode_table_desc_request(uint8_t version, uint32_t xid) {
  return encode_multipart_request(OfpRaw::OFPST14_TABLE_DESC_REQUEST, version, xid);
}

std::vector<Bytes> encode_table_desc_reply(const std::vector<TableDesc>& tables, uint8_t version,
                                           uint32_t xid) {
  MultipartReply reply(OfpRaw::OFPST14_TABLE_DESC_REPLY, version, xid);
  for (const TableDesc& d : tables) {
    reply.begin_entry();
    encode_desc(reply.writer(), d);
    reply.end_entry();
  }
  return reply.finish();
}

WireResult<std::vector<TableDesc>> decode_table_desc_reply(const OfpMessage& msg) {
  WIRE_TRY_ASSIGN(entries, split_entries(msg.body, 0, kTableDescLen, "table description"));
  std::vector<TableDesc> out;
  for (ByteView e : entries) {
    WIRE_TRY_ASSIGN(d, decode_desc(e));
    out.push_back(std::move(d));
  }
  return out;
}

WireResult<TableStatus> decode_table_status(const OfpMessage& msg) {
  const uint8_t reason = msg.body[0];
  if (reason != 3 && reason != 4)
    return wire_error(OfpErrorCode::OFPBPC_BAD_VALUE,
                      "table status: reason " + std::to_string(reason) + " is unknown");
  WIRE_TRY_ASSIGN(entries, split_entries(msg.body.subspan(8), 0, kTableDescLen, "table status"));
  if (entries.size() != 1)
    return wire_error(OfpErrorCode::OFPBRC_BAD_LEN,
                      "table status: " + std::to_string(entries.size()) +
                          " table descriptions (1 expected)");
  WIRE_TRY_ASSIGN(desc, decode_desc(entries[0]));
  return TableStatus{static_cast<TableStatusReason>(reason), std::move(desc)};
}

Bytes encode_table_status(const TableStatus& status, uint8_t version) {
  Bytes out;
  const size_t start = start_message(out, OfpRaw::OFPT14_TABLE_STATUS, version, 0);
  WireWriter w(&out);
  w.put_u8(static_cast<uint8_t>(status.reason));
  w.put_zeros(7);
  encode_desc(w, status.desc);
  finish_message(out, start);
  return out;
}

}  // namespace flowpath::openflow::wire
