// Barrier and the other messages without a body (see barrier.h).
#include "openflow/wire/barrier.h"

namespace flowpath::openflow::wire {

namespace {

Bytes empty(OfpRaw raw, uint8_t version, uint32_t xid) {
  Bytes out;
  size_t start = start_message(out, raw, version, xid);
  finish_message(out, start);
  return out;
}

}  // namespace

Bytes encode_barrier_request(uint8_t version, uint32_t xid) {
  return empty(version == kOfp10 ? OfpRaw::OFPT10_BARRIER_REQUEST
                                 : OfpRaw::OFPT11_BARRIER_REQUEST,
               version, xid);
}

Bytes encode_barrier_reply(uint8_t version, uint32_t xid) {
  return empty(version == kOfp10 ? OfpRaw::OFPT10_BARRIER_REPLY : OfpRaw::OFPT11_BARRIER_REPLY,
               version, xid);
}

std::optional<Bytes> encode_empty_message(OfpType type, uint8_t version, uint32_t xid) {
  for (RawKind kind : {RawKind::kOfpt, RawKind::kOfpstRequest, RawKind::kOfpstReply,
                       RawKind::kNxt, RawKind::kOnft, RawKind::kNxstRequest}) {
    const RawInfo* raw = find_raw(type, version, kind);
    if (raw && raw->min_body == 0 && raw->step == 0) return empty(raw->raw, version, xid);
  }
  return std::nullopt;
}

}  // namespace flowpath::openflow::wire
