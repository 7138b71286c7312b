// Port descriptions (see port_desc.h).
#include "openflow/wire/port_desc.h"

#include "openflow/nxm_field.h"
#include "openflow/wire/multipart.h"
#include "openflow/wire/ofp_property.h"

namespace flowpath::openflow::wire {

namespace {

constexpr size_t kOfp10PhyPortLen = 48;
constexpr size_t kOfp11PortLen = 64;
constexpr size_t kOfp14PortLen = 40;
constexpr uint16_t kPortDescPropEthernet = 0;
constexpr size_t kEthernetPropLen = 32;

}  // namespace

namespace port_features {

uint32_t from_ofp10(uint32_t ofp10) { return (ofp10 & 0x7f) | ((ofp10 & 0xf80) << 4); }
uint32_t to_ofp10(uint32_t features) { return (features & 0x7f) | ((features & 0xf800) >> 4); }

uint32_t speed_kbps(uint32_t f) {
  if (f & (1u << 9)) return 1000000000u;        // 1 Tb/s
  if (f & (1u << 8)) return 100000000u;         // 100 Gb/s
  if (f & (1u << 7)) return 40000000u;          // 40 Gb/s
  if (f & (1u << 6)) return 10000000u;          // 10 Gb/s
  if (f & (3u << 4)) return 1000000u;           // 1 Gb/s
  if (f & (3u << 2)) return 100000u;            // 100 Mb/s
  if (f & 3u) return 10000u;                    // 10 Mb/s
  return 0;
}

}  // namespace port_features

WireResult<uint32_t> port_from_ofp11(uint32_t port, std::string_view what) {
  if (port < 0xff00 || port >= 0xfffffff8u) return port;
  return wire_error(OfpErrorCode::OFPBRC_BAD_PORT,
                    std::string(what) + ": port " + std::to_string(port) +
                        " is neither an ordinary port (< 0xff00) nor a reserved one");
}

size_t port_desc_length(uint8_t version) {
  if (version == kOfp10) return kOfp10PhyPortLen;
  if (version < kOfp14) return kOfp11PortLen;
  return kOfp14PortLen + kEthernetPropLen;
}

WireResult<PortDesc> decode_port_desc(WireReader& r, uint8_t version) {
  PortDesc p;
  if (version == kOfp10) {
    WIRE_TRY_ASSIGN(port, r.u16("port_no"));
    p.port_no = port_from_ofp10(port);
    WIRE_TRY_ASSIGN(hw, r.pull(6, "hw_addr"));
    std::copy(hw.begin(), hw.end(), p.hw_addr);
    WIRE_TRY_ASSIGN(name, r.string(16, "name"));
    p.name = name;
    WIRE_TRY_ASSIGN(config, r.u32("config"));
    WIRE_TRY_ASSIGN(state, r.u32("state"));
    p.config = config & port_config::kAll10;
    p.state = state & port_state::kAll10;
    uint32_t f[4];
    for (uint32_t& x : f) {
      WIRE_TRY_ASSIGN(v, r.u32("features"));
      x = port_features::from_ofp10(v);
    }
    p.curr = f[0], p.advertised = f[1], p.supported = f[2], p.peer = f[3];
    p.curr_speed = port_features::speed_kbps(p.curr);
    p.max_speed = port_features::speed_kbps(p.supported);
    return p;
  }
  size_t start = r.offset();
  WIRE_TRY_ASSIGN(port, r.u32("port_no"));
  WIRE_TRY_ASSIGN(port_no, port_from_ofp11(port, r.what()));
  p.port_no = port_no;
  uint16_t length = 0;
  if (version >= kOfp14) {
    WIRE_TRY_ASSIGN(len, r.u16("length"));
    length = len;
    if (length < kOfp14PortLen || length % 8)
      return r.error(OfpErrorCode::OFPBRC_BAD_LEN,
                     "port length " + std::to_string(length) + " is invalid");
    WIRE_TRY(r.skip(2, "pad"));
  } else {
    WIRE_TRY(r.skip(4, "pad"));
  }
  WIRE_TRY_ASSIGN(hw, r.pull(6, "hw_addr"));
  std::copy(hw.begin(), hw.end(), p.hw_addr);
  WIRE_TRY(r.skip(2, "pad"));
  WIRE_TRY_ASSIGN(name, r.string(16, "name"));
  p.name = name;
  WIRE_TRY_ASSIGN(config, r.u32("config"));
  WIRE_TRY_ASSIGN(state, r.u32("state"));
  p.config = config & port_config::kAll11;
  p.state = state & port_state::kAll11;
  auto features = [&](WireReader& in) -> WireStatus {
    uint32_t* dst[] = {&p.curr, &p.advertised, &p.supported, &p.peer, &p.curr_speed, &p.max_speed};
    for (uint32_t* d : dst) {
      WIRE_TRY_ASSIGN(v, in.u32("features"));
      *d = v;
    }
    return Ok{};
  };
  if (version < kOfp14) {
    WIRE_TRY(features(r));
    return p;
  }
  WIRE_TRY_ASSIGN(props, r.pull(length - (r.offset() - start), "properties"));
  PropertyReader pr(props, "port");
  while (!pr.empty()) {
    WIRE_TRY_ASSIGN(prop, pr.next());
    if (prop.type != kPortDescPropEthernet) {
      WIRE_TRY(pr.unknown(prop, true));
      continue;
    }
    if (prop.body.size() != kEthernetPropLen - 4)
      return wire_error(OfpErrorCode::OFPBPC_BAD_LEN,
                        "port: Ethernet property of " + std::to_string(prop.body.size() + 4) +
                            " bytes (32 expected)");
    WireReader e(prop.body, OfpErrorCode::OFPBPC_BAD_LEN, "port Ethernet property");
    WIRE_TRY(e.skip(4, "pad"));
    WIRE_TRY(features(e));
  }
  return p;
}

void encode_port_desc(const PortDesc& p, uint8_t version, WireWriter& w) {
  if (version == kOfp10) {
    w.put_u16(port_to_ofp10(p.port_no));
    w.put_bytes(p.hw_addr, 6);
    w.put_string(p.name, 16);
    w.put_u32(p.config & port_config::kAll10);
    w.put_u32(p.state & port_state::kAll10);
    for (uint32_t f : {p.curr, p.advertised, p.supported, p.peer})
      w.put_u32(port_features::to_ofp10(f));
    return;
  }
  w.put_u32(p.port_no);
  if (version >= kOfp14) {
    w.put_u16(static_cast<uint16_t>(kOfp14PortLen + kEthernetPropLen));
    w.put_zeros(2);
  } else {
    w.put_zeros(4);
  }
  w.put_bytes(p.hw_addr, 6);
  w.put_zeros(2);
  w.put_string(p.name, 16);
  w.put_u32(p.config & port_config::kAll11);
  w.put_u32(p.state & port_state::kAll11);
  if (version >= kOfp14) {
    w.put_u16(kPortDescPropEthernet);
    w.put_u16(kEthernetPropLen);
    w.put_zeros(4);
  }
  for (uint32_t f : {p.curr, p.advertised, p.supported, p.peer, p.curr_speed, p.max_speed})
    w.put_u32(f);
}

Bytes encode_port_desc_request(uint32_t port_no, uint8_t version, uint32_t xid) {
  if (version < kOfp15)
    return encode_multipart_request(OfpRaw::OFPST10_PORT_DESC_REQUEST, version, xid);
  uint8_t body[8] = {};
  put_u32_at(body, port_no);
  return encode_multipart_request(OfpRaw::OFPST15_PORT_DESC_REQUEST, version, xid, body);
}

WireResult<uint32_t> decode_port_desc_request(const OfpMessage& msg) {
  if (msg.raw == OfpRaw::OFPST10_PORT_DESC_REQUEST) return uint32_t{0xffffffff};
  return port_from_ofp11(get_u32(msg.body.data()), "port desc request");
}

std::vector<Bytes> encode_port_desc_reply(const std::vector<PortDesc>& ports, uint8_t version,
                                          uint32_t xid) {
  const OfpRaw raw = version == kOfp10   ? OfpRaw::OFPST10_PORT_DESC_REPLY
                     : version < kOfp14 ? OfpRaw::OFPST11_PORT_DESC_REPLY
                                        : OfpRaw::OFPST14_PORT_DESC_REPLY;
  MultipartReply reply(raw, version, xid);
  for (const PortDesc& p : ports) {
    reply.begin_entry();
    encode_port_desc(p, version, reply.writer());
    reply.end_entry();
  }
  return reply.finish();
}

WireResult<std::vector<PortDesc>> decode_port_desc_reply(const OfpMessage& msg) {
  WireReader r(msg.body, OfpErrorCode::OFPBRC_BAD_LEN, "port desc reply");
  std::vector<PortDesc> out;
  while (!r.empty()) {
    WIRE_TRY_ASSIGN(p, decode_port_desc(r, msg.version));
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace flowpath::openflow::wire
