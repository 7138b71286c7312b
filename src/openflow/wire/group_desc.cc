// Group descriptions (see group_desc.h).
#include "openflow/wire/group_desc.h"

namespace flowpath::openflow::wire {

namespace {
constexpr size_t kOfp11GroupDescLen = 8;
constexpr size_t kOfp15GroupDescLen = 16;
}  // namespace

Bytes encode_group_desc_request(uint32_t group_id, uint8_t version, uint32_t xid) {
  if (!uses_ofp15_buckets(version))
    return encode_multipart_request(OfpRaw::OFPST11_GROUP_DESC_REQUEST, version, xid);
  uint8_t body[8] = {};
  put_u32_at(body, group_id);
  return encode_multipart_request(version == kOfp10 ? OfpRaw::NXST_GROUP_DESC_REQUEST
                                                    : OfpRaw::OFPST15_GROUP_DESC_REQUEST,
                                  version, xid, body);
}

WireResult<uint32_t> decode_group_desc_request(const OfpMessage& msg) {
  if (msg.raw == OfpRaw::OFPST11_GROUP_DESC_REQUEST) return kGroupAll;
  return get_u32(msg.body.data());
}

std::vector<Bytes> encode_group_desc_reply(const std::vector<GroupSpec>& groups, uint8_t version,
                                           uint32_t xid) {
  const bool ofp15 = uses_ofp15_buckets(version);
  MultipartReply reply(version == kOfp10 ? OfpRaw::NXST_GROUP_DESC_REPLY
                                         : OfpRaw::OFPST11_GROUP_DESC_REPLY,
                       version, xid);
  WireWriter& w = reply.writer();
  for (const GroupSpec& g : groups) {
    reply.begin_entry();
    const size_t start = w.size();
    w.put_u16(0);
    w.put_u8(static_cast<uint8_t>(g.type));
    w.put_u8(0);
    w.put_u32(g.group_id);
    if (ofp15) {
      w.put_u16(0);
      w.put_zeros(6);
    }
    const size_t buckets = w.size();
    encode_buckets(w, g.buckets, g.type, version);
    if (ofp15) {
      w.patch_u16(start + 8, static_cast<uint16_t>(w.size() - buckets));
      encode_group_properties(w, g, version);
    }
    w.patch_length16(start, start);
    reply.end_entry();
  }
  return reply.finish();
}

WireResult<std::vector<GroupSpec>> decode_group_desc_reply(const OfpMessage& msg) {
  const bool ofp15 = uses_ofp15_buckets(msg.version);
  WIRE_TRY_ASSIGN(entries, split_entries(msg.body, 0,
                                         ofp15 ? kOfp15GroupDescLen : kOfp11GroupDescLen,
                                         "group description"));
  std::vector<GroupSpec> out;
  for (ByteView e : entries) {
    GroupSpec g;
    const uint8_t raw_type = e[2];
    g.group_id = get_u32(e.data() + 4);
    if (ofp15) {
      const size_t bucket_list_len = get_u16(e.data() + 8);
      if (kOfp15GroupDescLen + bucket_list_len > e.size())
        return wire_error(OfpErrorCode::OFPBRC_BAD_LEN,
                          "group description: bucket list length " +
                              std::to_string(bucket_list_len) + " overruns the entry");
      WIRE_TRY_ASSIGN(buckets, decode_buckets(e.subspan(kOfp15GroupDescLen, bucket_list_len),
                                              msg.version, raw_type));
      g.buckets = std::move(buckets);
      WIRE_TRY(decode_group_properties(e.subspan(kOfp15GroupDescLen + bucket_list_len), raw_type,
                                       true, g));
    } else {
      WIRE_TRY_ASSIGN(buckets,
                      decode_buckets(e.subspan(kOfp11GroupDescLen), msg.version, raw_type));
      g.buckets = std::move(buckets);
    }
    WIRE_TRY_ASSIGN(type, group_type_from_wire(raw_type));
    g.type = type;
    out.push_back(std::move(g));
  }
  return out;
}

}  // namespace flowpath::openflow::wire
