#include "common/netlink.h"

namespace flowpath {

uint8_t* NetlinkWriter::put_uninit(uint16_t type, size_t len) {
  size_t off = buf_->size();
  size_t total = nla_align(kNlaHeaderLen + len);
  if (kNlaHeaderLen + len > 0xffff) overflow_ = true;
  buf_->resize(off + total, 0);
  uint16_t nla_len = static_cast<uint16_t>(kNlaHeaderLen + len);
  std::memcpy(buf_->data() + off, &nla_len, 2);
  std::memcpy(buf_->data() + off + 2, &type, 2);
  return buf_->data() + off + kNlaHeaderLen;
}

void NetlinkWriter::put(uint16_t type, const void* data, size_t len) {
  uint8_t* p = put_uninit(type, len);
  if (len != 0) std::memcpy(p, data, len);
}

void NetlinkWriter::put_string(uint16_t type, std::string_view s) {
  uint8_t* p = put_uninit(type, s.size() + 1);
  std::memcpy(p, s.data(), s.size());
}

size_t NetlinkWriter::begin_nested(uint16_t type) {
  size_t off = buf_->size();
  put_uninit(type, 0);
  return off;
}

void NetlinkWriter::end_nested(size_t offset) {
  if (buf_->size() - offset > 0xffff) overflow_ = true;
  uint16_t len = static_cast<uint16_t>(buf_->size() - offset);
  std::memcpy(buf_->data() + offset, &len, 2);
}

Result<std::vector<NetlinkAttr>> parse_attributes(std::span<const uint8_t> buffer) {
  std::vector<NetlinkAttr> out;
  auto st = for_each_attribute(buffer, [&](const NetlinkAttr& a) -> Status {
    out.push_back(a);
    return Ok{};
  });
  if (!st.ok()) return make_error(st.error());
  return out;
}

}  // namespace flowpath
