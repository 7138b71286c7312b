// OpenFlow 1.4-style properties (TLVs: type, length, body, padding to 8
// bytes), which many messages and Open vSwitch's extensions use. Type 0xffff
// (at or above `min_experimenter`) is an experimenter property: experimenter
// id and exp_type follow the header.
#pragma once

#include <string>
#include <string_view>

#include "openflow/wire/ofp_buffer.h"

namespace flowpath::openflow::wire {

struct Property {
  uint16_t type = 0;
  uint32_t experimenter = 0;  // experimenter properties only
  uint32_t exp_type = 0;
  ByteView body;  // after the (experimenter) header, without padding
};

class PropertyReader {
 public:
  // `alignment`: the padding between properties (8, or 1 where a format does
  // not pad).
  PropertyReader(ByteView bytes, std::string_view what, size_t alignment = 8,
                 uint16_t min_experimenter = 0xffff)
      : bytes_(bytes), what_(what), alignment_(alignment), min_experimenter_(min_experimenter) {}

  bool empty() const { return pos_ == bytes_.size(); }
  // OFPBPC_BAD_LEN for a property that does not fit, OFPBPC_BAD_EXPERIMENTER
  // for experimenter 0.
  WireResult<Property> next();
  // Unknown properties are skipped when `loose`, else OFPBPC_BAD_TYPE (or
  // OFPBPC_BAD_EXP_TYPE for experimenter properties).
  WireStatus unknown(const Property& p, bool loose) const;

  // Typed bodies: OFPBPC_BAD_LEN when the body has another size.
  WireResult<uint8_t> u8(const Property& p) const;
  WireResult<uint16_t> u16(const Property& p) const;
  WireResult<uint32_t> u32(const Property& p) const;
  WireResult<uint64_t> u64(const Property& p) const;
  WireStatus flag(const Property& p) const;  // empty body

 private:
  OfpError bad_len(const Property& p, size_t expected) const;
  ByteView bytes_;
  std::string_view what_;
  size_t pos_ = 0;
  size_t alignment_;
  uint16_t min_experimenter_;
};

// Writing properties: start, body, end (which sets the length and pads).
size_t start_property(WireWriter& w, uint16_t type);
size_t start_experimenter_property(WireWriter& w, uint32_t experimenter, uint32_t exp_type);
void end_property(WireWriter& w, size_t start);
void put_property_u8(WireWriter& w, uint16_t type, uint8_t v);
void put_property_u16(WireWriter& w, uint16_t type, uint16_t v);
void put_property_u32(WireWriter& w, uint16_t type, uint32_t v);
void put_property_u64(WireWriter& w, uint16_t type, uint64_t v);
void put_property_bytes(WireWriter& w, uint16_t type, ByteView v);
void put_property_flag(WireWriter& w, uint16_t type);

}  // namespace flowpath::openflow::wire
