// Group statistics and features (see group_stats.h).
#include "openflow/wire/group_stats.h"

namespace flowpath::openflow::wire {

namespace {
constexpr size_t kGroupStatsLen = 40;  // ofp13_group_stats
constexpr size_t kBucketCounterLen = 16;
}  // namespace

Bytes encode_group_stats_request(uint32_t group_id, uint8_t version, uint32_t xid) {
  uint8_t body[8] = {};
  put_u32_at(body, group_id);
  return encode_multipart_request(
      version == kOfp10 ? OfpRaw::NXST_GROUP_REQUEST : OfpRaw::OFPST11_GROUP_REQUEST, version, xid,
      body);
}

WireResult<uint32_t> decode_group_stats_request(const OfpMessage& msg) {
  return get_u32(msg.body.data());  // 8 bytes, checked by the framing
}

std::vector<Bytes> encode_group_stats_reply(const std::vector<GroupStats>& groups,
                                            uint8_t version, uint32_t xid) {
  MultipartReply reply(
      version == kOfp10 ? OfpRaw::NXST_GROUP_REPLY : OfpRaw::OFPST13_GROUP_REPLY, version, xid);
  WireWriter& w = reply.writer();
  for (const GroupStats& g : groups) {
    reply.begin_entry();
    w.put_u16(static_cast<uint16_t>(kGroupStatsLen + kBucketCounterLen * g.buckets.size()));
    w.put_zeros(2);
    w.put_u32(g.group_id);
    w.put_u32(g.ref_count);
    w.put_zeros(4);
    w.put_u64(g.packet_count);
    w.put_u64(g.byte_count);
    w.put_u32(g.duration_sec);
    w.put_u32(g.duration_nsec);
    for (const BucketCounter& b : g.buckets) {
      w.put_u64(b.packet_count);
      w.put_u64(b.byte_count);
    }
    reply.end_entry();
  }
  return reply.finish();
}

WireResult<std::vector<GroupStats>> decode_group_stats_reply(const OfpMessage& msg) {
  WIRE_TRY_ASSIGN(entries, split_entries(msg.body, 0, kGroupStatsLen, "group stats"));
  std::vector<GroupStats> out;
  for (ByteView e : entries) {
    const uint8_t* p = e.data();
    if ((e.size() - kGroupStatsLen) % kBucketCounterLen)
      return wire_error(OfpErrorCode::OFPBRC_BAD_LEN,
                        "group stats: bucket counters of " +
                            std::to_string(e.size() - kGroupStatsLen) + " bytes");
    GroupStats g;
    g.group_id = get_u32(p + 4);
    g.ref_count = get_u32(p + 8);
    g.packet_count = get_u64(p + 16);
    g.byte_count = get_u64(p + 24);
    g.duration_sec = get_u32(p + 32);
    g.duration_nsec = get_u32(p + 36);
    for (size_t off = kGroupStatsLen; off < e.size(); off += kBucketCounterLen)
      g.buckets.push_back({get_u64(p + off), get_u64(p + off + 8)});
    out.push_back(std::move(g));
  }
  return out;
}

Bytes encode_group_features_request(uint8_t version, uint32_t xid) {
  return encode_multipart_request(version < kOfp12 ? OfpRaw::NXST_GROUP_FEATURES_REQUEST
                                                   : OfpRaw::OFPST12_GROUP_FEATURES_REQUEST,
                                  version, xid);
}

Bytes encode_group_features_reply(const GroupFeatures& f, uint8_t version, uint32_t xid) {
  Bytes out;
  const size_t start = start_message(out,
                                     version < kOfp12 ? OfpRaw::NXST_GROUP_FEATURES_REPLY
                                                      : OfpRaw::OFPST12_GROUP_FEATURES_REPLY,
                                     version, xid);
  WireWriter w(&out);
  w.put_u32(f.types);
  w.put_u32(f.capabilities);
  for (uint32_t m : f.max_groups) w.put_u32(m);
  for (uint32_t a : f.actions) w.put_u32(a);
  finish_message(out, start);
  return out;
}

WireResult<GroupFeatures> decode_group_features_reply(const OfpMessage& msg) {
  const uint8_t* p = msg.body.data();  // 40 bytes, checked by the framing
  GroupFeatures f;
  f.types = get_u32(p);
  f.capabilities = get_u32(p + 4);
  for (int i = 0; i < 4; ++i) {
    f.max_groups[i] = get_u32(p + 8 + 4 * i);
    f.actions[i] = get_u32(p + 24 + 4 * i);
  }
  return f;
}

}  // namespace flowpath::openflow::wire
