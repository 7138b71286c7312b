// Multipart (statistics) messages: a reply is a run of entries that may span
// several messages, each but the last flagged REPLY_MORE; a message never
// exceeds 65535 bytes, and an entry never straddles two messages. Requests
// are built with start_message() like any other message.
#pragma once

#include <vector>

#include "openflow/wire/ofp_header.h"

namespace flowpath::openflow::wire {

inline constexpr size_t kMaxMessageLength = 65535;

class MultipartReply {
 public:
  MultipartReply(OfpRaw raw, uint8_t version, uint32_t xid);

  uint8_t version() const { return version_; }
  // Writes into the current message; wrap each entry in begin_entry() /
  // end_entry().
  WireWriter& writer() { return writer_; }
  void begin_entry() { entry_start_ = current().size(); }
  // Moves the entry just written into a new message when the current one
  // would grow past 65535 bytes.
  void end_entry();
  // The messages, lengths set (at least one, possibly without entries).
  std::vector<Bytes> finish();

 private:
  Bytes& current() { return messages_.back(); }
  void start();
  OfpRaw raw_;
  uint8_t version_;
  uint32_t xid_;
  std::vector<Bytes> messages_;
  WireWriter writer_;
  size_t entry_start_ = 0;
};

// Multipart requests whose body is empty or a fixed structure the caller
// writes; `raw` picks the form.
Bytes encode_multipart_request(OfpRaw raw, uint8_t version, uint32_t xid, ByteView body = {},
                               uint16_t flags = 0);

// Reads a run of length-prefixed entries (a 16-bit length at `length_offset`
// within each entry, counting the whole entry): each entry's bytes, checked
// to be at least `min_length` and within the message. `what` names the entry
// in errors (OFPBRC_BAD_LEN).
WireResult<std::vector<ByteView>> split_entries(ByteView body, size_t length_offset,
                                                size_t min_length, std::string_view what);

}  // namespace flowpath::openflow::wire
