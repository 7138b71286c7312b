// The switch description (see desc_stats.h).
#include "openflow/wire/desc_stats.h"

#include "openflow/wire/multipart.h"

namespace flowpath::openflow::wire {

namespace {
constexpr size_t kDescLen = 256;
constexpr size_t kSerialLen = 32;
}  // namespace

Bytes encode_desc_stats_request(uint8_t version, uint32_t xid) {
  return encode_multipart_request(OfpRaw::OFPST_DESC_REQUEST, version, xid);
}

Bytes encode_desc_stats_reply(const DescStats& desc, uint8_t version, uint32_t xid) {
  Bytes out;
  const size_t start = start_message(out, OfpRaw::OFPST_DESC_REPLY, version, xid);
  WireWriter w(&out);
  w.put_string(desc.manufacturer, kDescLen);
  w.put_string(desc.hardware, kDescLen);
  w.put_string(desc.software, kDescLen);
  w.put_string(desc.serial_number, kSerialLen);
  w.put_string(desc.datapath, kDescLen);
  finish_message(out, start);
  return out;
}

WireResult<DescStats> decode_desc_stats_reply(const OfpMessage& msg) {
  WireReader r(msg.body, OfpErrorCode::OFPBRC_BAD_LEN, "desc stats");
  DescStats d;
  WIRE_TRY_ASSIGN(mfr, r.string(kDescLen, "mfr_desc"));
  WIRE_TRY_ASSIGN(hw, r.string(kDescLen, "hw_desc"));
  WIRE_TRY_ASSIGN(sw, r.string(kDescLen, "sw_desc"));
  WIRE_TRY_ASSIGN(serial, r.string(kSerialLen, "serial_num"));
  WIRE_TRY_ASSIGN(dp, r.string(kDescLen, "dp_desc"));
  return DescStats{mfr, hw, sw, serial, dp};
}

}  // namespace flowpath::openflow::wire
