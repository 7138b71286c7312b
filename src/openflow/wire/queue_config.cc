// Queue configuration (see queue_config.h).
#include "openflow/wire/queue_config.h"

#include "openflow/nxm_field.h"
#include "openflow/wire/ofp_property.h"
#include "openflow/wire/port_desc.h"

namespace flowpath::openflow::wire {

namespace {

constexpr uint16_t kPropMinRate = 1, kPropMaxRate = 2;
constexpr size_t kOfp10QueueLen = 8;   // ofp10_packet_queue
constexpr size_t kOfp12QueueLen = 16;  // ofp12_packet_queue
constexpr size_t kOfp14QueueDescLen = 16;
constexpr size_t kOfp10RatePropLen = 16;

// OpenFlow 1.0-1.3 properties: 8-byte header (property, len, pad), rate,
// padding.
WireStatus decode_ofp10_properties(ByteView bytes, QueueConfig& q) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    const size_t left = bytes.size() - pos;
    const size_t len = left >= 4 ? get_u16(bytes.data() + pos + 2) : 0;
    if (left < 8 || len < 8 || len > left || len % 8)
      return wire_error(OfpErrorCode::OFPBRC_BAD_LEN,
                        "queue property of length " + std::to_string(len) + " with " +
                            std::to_string(left) + " bytes left");
    const uint16_t property = get_u16(bytes.data() + pos);
    if (property == kPropMinRate || property == kPropMaxRate) {
      if (len != kOfp10RatePropLen)
        return wire_error(OfpErrorCode::OFPBRC_BAD_LEN,
                          "queue rate property of length " + std::to_string(len));
      (property == kPropMinRate ? q.min_rate : q.max_rate) = get_u16(bytes.data() + pos + 8);
    }
    pos += len;  // unknown properties are passed over
  }
  return Ok{};
}

void put_ofp10_rate(WireWriter& w, uint16_t property, uint16_t rate) {
  if (rate == kNoQueueRate) return;
  w.put_u16(property);
  w.put_u16(kOfp10RatePropLen);
  w.put_zeros(4);
  w.put_u16(rate);
  w.put_zeros(6);
}

WireStatus check_request_port(uint32_t port, bool any_allowed) {
  if (port < 0xff00 || (any_allowed && port == 0xffffffff)) return Ok{};
  return wire_error(OfpErrorCode::OFPQOFC_BAD_PORT,
                    "queue config request: port " + std::to_string(port) +
                        " has no queues to describe");
}

}  // namespace

Bytes encode_queue_config_request(const QueueConfigRequest& request, uint8_t version,
                                  uint32_t xid) {
  uint8_t body[8] = {};
  OfpRaw raw;
  size_t n = 8;
  if (version == kOfp10) {
    raw = OfpRaw::OFPT10_QUEUE_GET_CONFIG_REQUEST;
    put_u16_at(body, port_to_ofp10(request.port_no));
    n = 4;
  } else if (version < kOfp14) {
    raw = OfpRaw::OFPT11_QUEUE_GET_CONFIG_REQUEST;
    put_u32_at(body, request.port_no);
  } else {
    raw = OfpRaw::OFPST14_QUEUE_DESC_REQUEST;
    put_u32_at(body, request.port_no);
    put_u32_at(body + 4, request.queue_id);
  }
  Bytes out;
  const size_t start = start_message(out, raw, version, xid);
  out.insert(out.end(), body, body + n);
  finish_message(out, start);
  return out;
}

WireResult<QueueConfigRequest> decode_queue_config_request(const OfpMessage& msg) {
  QueueConfigRequest out;
  const uint8_t* p = msg.body.data();
  if (msg.raw == OfpRaw::OFPT10_QUEUE_GET_CONFIG_REQUEST) {
    out.port_no = port_from_ofp10(get_u16(p));
    WIRE_TRY(check_request_port(out.port_no, false));
    return out;
  }
  WIRE_TRY_ASSIGN(port, port_from_ofp11(get_u32(p), "queue config request"));
  out.port_no = port;
  if (msg.raw == OfpRaw::OFPST14_QUEUE_DESC_REQUEST) {
    out.queue_id = get_u32(p + 4);
    return out;
  }
  WIRE_TRY(check_request_port(out.port_no, true));
  return out;
}

std::vector<Bytes> encode_queue_config_reply(uint32_t port_no,
                                             const std::vector<QueueConfig>& queues,
                                             uint8_t version, uint32_t xid) {
  if (version >= kOfp14) {
    MultipartReply reply(OfpRaw::OFPST14_QUEUE_DESC_REPLY, version, xid);
    WireWriter& w = reply.writer();
    for (const QueueConfig& q : queues) {
      reply.begin_entry();
      const size_t start = w.size();
      w.put_u32(q.port_no);
      w.put_u32(q.queue_id);
      w.put_u16(0);
      w.put_zeros(6);
      if (q.min_rate != kNoQueueRate) put_property_u16(w, kPropMinRate, q.min_rate);
      if (q.max_rate != kNoQueueRate) put_property_u16(w, kPropMaxRate, q.max_rate);
      w.patch_u16(start + 8, static_cast<uint16_t>(w.size() - start));
      reply.end_entry();
    }
    return reply.finish();
  }
  Bytes out;
  const size_t start = start_message(out,
                                     version == kOfp10 ? OfpRaw::OFPT10_QUEUE_GET_CONFIG_REPLY
                                                       : OfpRaw::OFPT11_QUEUE_GET_CONFIG_REPLY,
                                     version, xid);
  WireWriter w(&out);
  if (version == kOfp10) {
    w.put_u16(port_to_ofp10(port_no));
    w.put_zeros(6);
  } else {
    w.put_u32(port_no);
    w.put_zeros(4);
  }
  for (const QueueConfig& q : queues) {
    const size_t queue_start = w.size();
    w.put_u32(q.queue_id);
    if (version >= kOfp12) {
      w.put_u32(q.port_no);
      w.put_u16(0);
      w.put_zeros(6);
    } else {
      w.put_u16(0);
      w.put_zeros(2);
    }
    put_ofp10_rate(w, kPropMinRate, q.min_rate);
    if (version >= kOfp12) put_ofp10_rate(w, kPropMaxRate, q.max_rate);
    w.patch_u16(queue_start + (version >= kOfp12 ? 8 : 4),
                static_cast<uint16_t>(w.size() - queue_start));
  }
  finish_message(out, start);
  return {out};
}

WireResult<std::vector<QueueConfig>> decode_queue_config_reply(const OfpMessage& msg) {
  std::vector<QueueConfig> out;
  if (msg.raw == OfpRaw::OFPST14_QUEUE_DESC_REPLY) {
    WIRE_TRY_ASSIGN(entries, split_entries(msg.body, 8, kOfp14QueueDescLen, "queue description"));
    for (ByteView e : entries) {
      if (e.size() % 8)
        return wire_error(OfpErrorCode::OFPBRC_BAD_LEN,
                          "queue description of length " + std::to_string(e.size()));
      QueueConfig q;
      WIRE_TRY_ASSIGN(port, port_from_ofp11(get_u32(e.data()), "queue description"));
      q.port_no = port;
      q.queue_id = get_u32(e.data() + 4);
      PropertyReader props(e.subspan(kOfp14QueueDescLen), "queue description property");
      while (!props.empty()) {
        WIRE_TRY_ASSIGN(prop, props.next());
        if (prop.type == kPropMinRate || prop.type == kPropMaxRate) {
          WIRE_TRY_ASSIGN(rate, props.u16(prop));
          (prop.type == kPropMinRate ? q.min_rate : q.max_rate) = rate;
        } else {
          WIRE_TRY(props.unknown(prop, true));
        }
      }
      out.push_back(q);
    }
    return out;
  }
  uint32_t port = 0;
  if (msg.version == kOfp10) {
    port = port_from_ofp10(get_u16(msg.body.data()));
  } else {
    WIRE_TRY_ASSIGN(p, port_from_ofp11(get_u32(msg.body.data()), "queue config reply"));
    port = p;
  }
  const size_t header = msg.version >= kOfp12 ? kOfp12QueueLen : kOfp10QueueLen;
  WIRE_TRY_ASSIGN(entries, split_entries(msg.body.subspan(8), msg.version >= kOfp12 ? 8 : 4,
                                         header, "queue"));
  for (ByteView e : entries) {
    if (e.size() % 8)
      return wire_error(OfpErrorCode::OFPBRC_BAD_LEN,
                        "queue of length " + std::to_string(e.size()));
    QueueConfig q;
    q.port_no = port;
    q.queue_id = get_u32(e.data());
    WIRE_TRY(decode_ofp10_properties(e.subspan(header), q));
    out.push_back(q);
  }
  return out;
}

}  // namespace flowpath::openflow::wire
