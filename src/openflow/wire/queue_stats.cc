// Queue statistics (see queue_stats.h).
#include "openflow/wire/queue_stats.h"

#include "openflow/nxm_field.h"
#include "openflow/wire/port_desc.h"

namespace flowpath::openflow::wire {

namespace {

constexpr uint32_t kPortAny = 0xffffffff, kPortAll = 0xfffffffc;
constexpr size_t kOfp10QueueStatsLen = 32;
constexpr size_t kOfp13QueueStatsLen = 40;
constexpr size_t kOfp14QueueStatsLen = 48;

// The 40 bytes of ofp13_queue_stats.
WireResult<QueueStats> read_ofp13(const uint8_t* p) {
  QueueStats s;
  WIRE_TRY_ASSIGN(port, port_from_ofp11(get_u32(p), "queue stats"));
  s.port_no = port;
  s.queue_id = get_u32(p + 4);
  s.tx_bytes = get_u64(p + 8);
  s.tx_packets = get_u64(p + 16);
  s.tx_errors = get_u64(p + 24);
  s.duration_sec = get_u32(p + 32);
  s.duration_nsec = get_u32(p + 36);
  return s;
}

void write_ofp13(WireWriter& w, const QueueStats& s) {
  w.put_u32(s.port_no);
  w.put_u32(s.queue_id);
  w.put_u64(s.tx_bytes);
  w.put_u64(s.tx_packets);
  w.put_u64(s.tx_errors);
  w.put_u32(s.duration_sec);
  w.put_u32(s.duration_nsec);
}

}  // namespace

Bytes encode_queue_stats_request(const QueueStatsRequest& request, uint8_t version, uint32_t xid) {
  uint8_t body[8] = {};
  if (version == kOfp10) {
    put_u16_at(body, port_to_ofp10(request.port_no == kPortAny ? kPortAll : request.port_no));
  } else {
    put_u32_at(body, request.port_no);
  }
  put_u32_at(body + 4, request.queue_id);
  return encode_multipart_request(
      version == kOfp10 ? OfpRaw::OFPST10_QUEUE_REQUEST : OfpRaw::OFPST11_QUEUE_REQUEST, version,
      xid, body);
}

WireResult<QueueStatsRequest> decode_queue_stats_request(const OfpMessage& msg) {
  QueueStatsRequest out;
  const uint8_t* p = msg.body.data();
  out.queue_id = get_u32(p + 4);
  if (msg.raw == OfpRaw::OFPST10_QUEUE_REQUEST) {
    out.port_no = port_from_ofp10(get_u16(p));
    if (out.port_no == kPortAll) out.port_no = kPortAny;
    return out;
  }
  WIRE_TRY_ASSIGN(port, port_from_ofp11(get_u32(p), "queue stats request"));
  out.port_no = port;
  return out;
}

std::vector<Bytes> encode_queue_stats_reply(const std::vector<QueueStats>& queues,
                                            uint8_t version, uint32_t xid) {
  const OfpRaw raw = version == kOfp10   ? OfpRaw::OFPST10_QUEUE_REPLY
                     : version == kOfp13 ? OfpRaw::OFPST13_QUEUE_REPLY
                                         : OfpRaw::OFPST14_QUEUE_REPLY;
  MultipartReply reply(raw, version, xid);
  WireWriter& w = reply.writer();
  for (const QueueStats& s : queues) {
    reply.begin_entry();
    if (raw == OfpRaw::OFPST10_QUEUE_REPLY) {
      w.put_u16(port_to_ofp10(s.port_no));
      w.put_zeros(2);
      w.put_u32(s.queue_id);
      w.put_u64(s.tx_bytes);
      w.put_u64(s.tx_packets);
      w.put_u64(s.tx_errors);
    } else if (raw == OfpRaw::OFPST13_QUEUE_REPLY) {
      write_ofp13(w, s);
    } else {
      w.put_u16(kOfp14QueueStatsLen);
      w.put_zeros(6);
      write_ofp13(w, s);
    }
    reply.end_entry();
  }
  return reply.finish();
}

WireResult<std::vector<QueueStats>> decode_queue_stats_reply(const OfpMessage& msg) {
  std::vector<QueueStats> out;
  if (msg.raw == OfpRaw::OFPST14_QUEUE_REPLY) {
    WIRE_TRY_ASSIGN(entries, split_entries(msg.body, 0, kOfp14QueueStatsLen, "queue stats"));
    for (ByteView e : entries) {  // properties (none defined) are ignored
      WIRE_TRY_ASSIGN(s, read_ofp13(e.data() + 8));
      out.push_back(s);
    }
    return out;
  }
  const bool ofp10 = msg.raw == OfpRaw::OFPST10_QUEUE_REPLY;
  const size_t len = ofp10 ? kOfp10QueueStatsLen : kOfp13QueueStatsLen;
  for (size_t pos = 0; pos + len <= msg.body.size(); pos += len) {
    const uint8_t* p = msg.body.data() + pos;
    if (!ofp10) {
      WIRE_TRY_ASSIGN(s, read_ofp13(p));
      out.push_back(s);
      continue;
    }
    QueueStats s;
    s.port_no = port_from_ofp10(get_u16(p));
    s.queue_id = get_u32(p + 4);
    s.tx_bytes = get_u64(p + 8);
    s.tx_packets = get_u64(p + 16);
    s.tx_errors = get_u64(p + 24);
    out.push_back(s);
  }
  return out;
}

}  // namespace flowpath::openflow::wire
