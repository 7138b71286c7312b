// Table statistics (see table_stats.h).
#include "openflow/wire/table_stats.h"

namespace flowpath::openflow::wire {

namespace {
constexpr size_t kOfp10TableStatsLen = 64;
constexpr size_t kOfp13TableStatsLen = 24;
constexpr size_t kTableNameLen = 32;
}  // namespace

Bytes encode_table_stats_request(uint8_t version, uint32_t xid) {
  return encode_multipart_request(OfpRaw::OFPST_TABLE_REQUEST, version, xid);
}

std::vector<Bytes> encode_table_stats_reply(const std::vector<TableStats>& tables,
                                            uint8_t version, uint32_t xid) {
  const bool ofp10 = version == kOfp10;
  MultipartReply reply(ofp10 ? OfpRaw::OFPST10_TABLE_REPLY : OfpRaw::OFPST13_TABLE_REPLY,
                       version, xid);
  WireWriter& w = reply.writer();
  for (const TableStats& t : tables) {
    reply.begin_entry();
    w.put_u8(t.table_id);
    w.put_zeros(3);
    if (ofp10) {
      w.put_string(t.name, kTableNameLen);
      w.put_u32(t.wildcards);
      w.put_u32(t.max_entries);
    }
    w.put_u32(t.active_count);
    w.put_u64(t.lookup_count);
    w.put_u64(t.matched_count);
    reply.end_entry();
  }
  return reply.finish();
}

WireResult<std::vector<TableStats>> decode_table_stats_reply(const OfpMessage& msg) {
  const bool ofp10 = msg.raw == OfpRaw::OFPST10_TABLE_REPLY;
  const size_t len = ofp10 ? kOfp10TableStatsLen : kOfp13TableStatsLen;
  std::vector<TableStats> out;
  // The framing checked the body is a multiple of the entry length.
  for (size_t pos = 0; pos + len <= msg.body.size(); pos += len) {
    WireReader r(msg.body.subspan(pos, len), OfpErrorCode::OFPBRC_BAD_LEN, "table stats");
    TableStats t;
    WIRE_TRY_ASSIGN(id, r.u8("table_id"));
    WIRE_TRY(r.skip(3, "pad"));
    t.table_id = id;
    if (ofp10) {
      WIRE_TRY_ASSIGN(name, r.string(kTableNameLen, "name"));
      WIRE_TRY_ASSIGN(wildcards, r.u32("wildcards"));
      WIRE_TRY_ASSIGN(max_entries, r.u32("max_entries"));
      t.name = name;
      t.wildcards = wildcards;
      t.max_entries = max_entries;
    }
    WIRE_TRY_ASSIGN(active, r.u32("active_count"));
    WIRE_TRY_ASSIGN(lookup, r.u64("lookup_count"));
    WIRE_TRY_ASSIGN(matched, r.u64("matched_count"));
    t.active_count = active;
    t.lookup_count = lookup;
    t.matched_count = matched;
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace flowpath::openflow::wire
