// OpenFlow properties (see ofp_property.h).
#include "openflow/wire/ofp_property.h"

namespace flowpath::openflow::wire {

WireResult<Property> PropertyReader::next() {
  const std::string what(what_);
  size_t left = bytes_.size() - pos_;
  if (left < 4)
    return wire_error(OfpErrorCode::OFPBPC_BAD_LEN,
                      what + ": " + std::to_string(left) + " bytes left for a property");
  const uint8_t* p = bytes_.data() + pos_;
  Property prop;
  prop.type = get_u16(p);
  uint16_t len = get_u16(p + 2);
  size_t padded = (len + alignment_ - 1) / alignment_ * alignment_;
  if (len < 4 || padded > left)
    return wire_error(OfpErrorCode::OFPBPC_BAD_LEN,
                      what + ": property " + std::to_string(prop.type) + " of length " +
                          std::to_string(len) + " does not fit in " + std::to_string(left) +
                          " bytes");
  size_t header = 4;
  if (prop.type >= min_experimenter_) {
    if (len < 12)
      return wire_error(OfpErrorCode::OFPBPC_BAD_LEN,
                        what + ": experimenter property of length " + std::to_string(len));
    prop.experimenter = get_u32(p + 4);
    prop.exp_type = get_u32(p + 8);
    if (!prop.experimenter)
      return wire_error(OfpErrorCode::OFPBPC_BAD_EXPERIMENTER,
                        what + ": experimenter property with experimenter 0");
    header = 12;
  }
  prop.body = bytes_.subspan(pos_ + header, len - header);
  pos_ += padded;
  return prop;
}

WireStatus PropertyReader::unknown(const Property& p, bool loose) const {
  if (loose) return Ok{};
  if (p.type >= min_experimenter_)
    return wire_error(OfpErrorCode::OFPBPC_BAD_EXP_TYPE,
                      std::string(what_) + ": unknown property " +
                          std::to_string(p.experimenter) + "/" + std::to_string(p.exp_type));
  return wire_error(OfpErrorCode::OFPBPC_BAD_TYPE,
                    std::string(what_) + ": unknown property type " + std::to_string(p.type));
}

OfpError PropertyReader::bad_len(const Property& p, size_t expected) const {
  return wire_error(OfpErrorCode::OFPBPC_BAD_LEN,
                    std::string(what_) + ": property " + std::to_string(p.type) + " has " +
                        std::to_string(p.body.size()) + " bytes of value, " +
                        std::to_string(expected) + " expected");
}

// 8- and 16-bit values may come padded (OpenFlow gives 16-bit properties a
// length of 8): any body at least as long is accepted.
WireResult<uint8_t> PropertyReader::u8(const Property& p) const {
  if (p.body.size() < 1) return bad_len(p, 1);
  return p.body[0];
}
WireResult<uint16_t> PropertyReader::u16(const Property& p) const {
  if (p.body.size() < 2) return bad_len(p, 2);
  return get_u16(p.body.data());
}
WireResult<uint32_t> PropertyReader::u32(const Property& p) const {
  if (p.body.size() != 4) return bad_len(p, 4);
  return get_u32(p.body.data());
}
WireResult<uint64_t> PropertyReader::u64(const Property& p) const {
  // 64-bit properties are padded to 16 bytes before the value.
  if (p.body.size() == 12) return get_u64(p.body.data() + 4);
  if (p.body.size() != 8) return bad_len(p, 8);
  return get_u64(p.body.data());
}
WireStatus PropertyReader::flag(const Property& p) const {
  if (!p.body.empty()) return bad_len(p, 0);
  return Ok{};
}

size_t start_property(WireWriter& w, uint16_t type) {
  size_t start = w.size();
  w.put_u16(type);
  w.put_u16(4);
  return start;
}

size_t start_experimenter_property(WireWriter& w, uint32_t experimenter, uint32_t exp_type) {
  size_t start = w.size();
  w.put_u16(0xffff);
  w.put_u16(12);
  w.put_u32(experimenter);
  w.put_u32(exp_type);
  return start;
}

void end_property(WireWriter& w, size_t start) {
  w.patch_length16(start + 2, start);
  w.pad_to_8(start);
}

void put_property_u8(WireWriter& w, uint16_t type, uint8_t v) {
  size_t s = start_property(w, type);
  w.put_u8(v);
  end_property(w, s);
}
void put_property_u16(WireWriter& w, uint16_t type, uint16_t v) {
  // OpenFlow gives 16-bit properties a length of 8: two bytes of padding.
  size_t s = start_property(w, type);
  w.put_u16(v);
  w.put_zeros(2);
  end_property(w, s);
}
void put_property_u32(WireWriter& w, uint16_t type, uint32_t v) {
  size_t s = start_property(w, type);
  w.put_u32(v);
  end_property(w, s);
}
void put_property_u64(WireWriter& w, uint16_t type, uint64_t v) {
  size_t s = start_property(w, type);
  w.put_zeros(4);
  w.put_u64(v);
  end_property(w, s);
}
void put_property_bytes(WireWriter& w, uint16_t type, ByteView v) {
  size_t s = start_property(w, type);
  w.put_bytes(v);
  end_property(w, s);
}
void put_property_flag(WireWriter& w, uint16_t type) {
  size_t s = start_property(w, type);
  end_property(w, s);
}

}  // namespace flowpath::openflow::wire
