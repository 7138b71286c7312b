// Multipart messages (see multipart.h).
#include "openflow/wire/multipart.h"

namespace flowpath::openflow::wire {

MultipartReply::MultipartReply(OfpRaw raw, uint8_t version, uint32_t xid)
    : raw_(raw), version_(version), xid_(xid) {
  start();
}

void MultipartReply::start() {
  messages_.emplace_back();
  start_message(current(), raw_, version_, xid_);
  writer_ = WireWriter(&current());
}

void MultipartReply::end_entry() {
  const size_t headers = raw_header_length(raw_info(raw_).kind, version_);
  if (current().size() <= kMaxMessageLength || entry_start_ == headers) return;
  Bytes entry(current().begin() + static_cast<std::ptrdiff_t>(entry_start_), current().end());
  current().resize(entry_start_);
  finish_message(current(), 0);
  put_u16_at(current().data() + 10, static_cast<uint16_t>(get_u16(current().data() + 10) |
                                                           kMultipartReplyMore));
  start();
  writer_.put_bytes(entry);
}

std::vector<Bytes> MultipartReply::finish() {
  finish_message(current(), 0);
  std::vector<Bytes> out = std::move(messages_);
  messages_.clear();
  start();
  return out;
}

Bytes encode_multipart_request(OfpRaw raw, uint8_t version, uint32_t xid, ByteView body,
                               uint16_t flags) {
  Bytes out;
  const size_t start = start_message(out, raw, version, xid, flags);
  out.insert(out.end(), body.begin(), body.end());
  finish_message(out, start);
  return out;
}

WireResult<std::vector<ByteView>> split_entries(ByteView body, size_t length_offset,
                                                size_t min_length, std::string_view what) {
  std::vector<ByteView> out;
  size_t pos = 0;
  while (pos < body.size()) {
    const size_t left = body.size() - pos;
    if (left < min_length || left < length_offset + 2)
      return wire_error(OfpErrorCode::OFPBRC_BAD_LEN,
                        std::string(what) + ": " + std::to_string(left) +
                            " leftover bytes at the end");
    const size_t len = get_u16(body.data() + pos + length_offset);
    if (len < min_length || len > left)
      return wire_error(OfpErrorCode::OFPBRC_BAD_LEN,
                        std::string(what) + " claims length " + std::to_string(len) + " with " +
                            std::to_string(left) + " bytes left");
    out.push_back(body.subspan(pos, len));
    pos += len;
  }
  return out;
}

}  // namespace flowpath::openflow::wire
