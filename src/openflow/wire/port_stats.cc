// Port statistics (see port_stats.h).
#include "openflow/wire/port_stats.h"

#include "openflow/nxm_field.h"
#include "openflow/wire/ofp_property.h"
#include "openflow/wire/port_desc.h"

namespace flowpath::openflow::wire {

namespace {

constexpr size_t kOfp10PortStatsLen = 104;
constexpr size_t kOfp13PortStatsLen = 112;
constexpr size_t kOfp14PortStatsLen = 80;
constexpr uint16_t kPropEthernet = 0;
constexpr uint32_t kIntelVendorId = 0x0000aa01;
constexpr uint32_t kIntelSizeStats = 1;   // INTEL_PORT_STATS_RFC2819
constexpr uint32_t kIntelCustomStats = 2;  // INTEL_PORT_STATS_CUSTOM

constexpr uint64_t PortSizeStats::*kSizeCounters[] = {
    &PortSizeStats::rx_1_to_64,           &PortSizeStats::rx_65_to_127,
    &PortSizeStats::rx_128_to_255,        &PortSizeStats::rx_256_to_511,
    &PortSizeStats::rx_512_to_1023,       &PortSizeStats::rx_1024_to_1522,
    &PortSizeStats::rx_1523_to_max,       &PortSizeStats::tx_1_to_64,
    &PortSizeStats::tx_65_to_127,         &PortSizeStats::tx_128_to_255,
    &PortSizeStats::tx_256_to_511,        &PortSizeStats::tx_512_to_1023,
    &PortSizeStats::tx_1024_to_1522,      &PortSizeStats::tx_1523_to_max,
    &PortSizeStats::tx_multicast,         &PortSizeStats::rx_broadcast,
    &PortSizeStats::tx_broadcast,         &PortSizeStats::rx_undersized_errors,
    &PortSizeStats::rx_oversize_errors,   &PortSizeStats::rx_fragmented_errors,
    &PortSizeStats::rx_jabber_errors,
};

// The twelve counters of OpenFlow 1.0 and 1.3, in their order.
constexpr uint64_t PortStats::*kCounters[] = {
    &PortStats::rx_packets,      &PortStats::tx_packets,     &PortStats::rx_bytes,
    &PortStats::tx_bytes,        &PortStats::rx_dropped,     &PortStats::tx_dropped,
    &PortStats::rx_errors,       &PortStats::tx_errors,      &PortStats::rx_frame_errors,
    &PortStats::rx_over_errors,  &PortStats::rx_crc_errors,  &PortStats::collisions,
};

void read_counters(const uint8_t* p, PortStats& s, size_t n) {
  for (size_t i = 0; i < n; ++i) s.*kCounters[i] = get_u64(p + 8 * i);
}
void write_counters(WireWriter& w, const PortStats& s, size_t first, size_t n) {
  for (size_t i = first; i < first + n; ++i) w.put_u64(s.*kCounters[i]);
}

WireStatus decode_custom(ByteView body, PortStats& s) {
  WireReader r(body, OfpErrorCode::OFPBPC_BAD_LEN, "port stats custom counters");
  WIRE_TRY(r.skip(2, "pad"));
  WIRE_TRY_ASSIGN(count, r.u16("stats_array_size"));
  for (unsigned i = 0; i < count; ++i) {
    WIRE_TRY_ASSIGN(name_len, r.u8("name length"));
    WIRE_TRY_ASSIGN(name, r.pull(name_len, "name"));
    WIRE_TRY_ASSIGN(value, r.u64("value"));
    s.custom.emplace_back(std::string(name.begin(), name.end()), value);
  }
  return Ok{};
}

WireStatus decode_ofp14_properties(ByteView bytes, PortStats& s) {
  PropertyReader props(bytes, "port stats property");
  while (!props.empty()) {
    WIRE_TRY_ASSIGN(prop, props.next());
    if (prop.type == kPropEthernet) {
      if (prop.body.size() != 36)
        return wire_error(OfpErrorCode::OFPBPC_BAD_LEN,
                          "port stats: Ethernet property of " +
                              std::to_string(prop.body.size() + 4) + " bytes (40 expected)");
      for (size_t i = 0; i < 4; ++i) s.*kCounters[8 + i] = get_u64(prop.body.data() + 4 + 8 * i);
    } else if (prop.type == 0xffff && prop.experimenter == kIntelVendorId &&
               prop.exp_type == kIntelSizeStats) {
      if (prop.body.size() != 4 + 8 * std::size(kSizeCounters))
        return wire_error(OfpErrorCode::OFPBPC_BAD_LEN,
                          "port stats: RFC 2819 property of " +
                              std::to_string(prop.body.size() + 12) + " bytes (184 expected)");
      PortSizeStats size;
      for (size_t i = 0; i < std::size(kSizeCounters); ++i)
        size.*kSizeCounters[i] = get_u64(prop.body.data() + 4 + 8 * i);
      s.size_stats = size;
    } else if (prop.type == 0xffff && prop.experimenter == kIntelVendorId &&
               prop.exp_type == kIntelCustomStats) {
      WIRE_TRY(decode_custom(prop.body, s));
    } else {
      WIRE_TRY(props.unknown(prop, true));
    }
  }
  return Ok{};
}

void encode_ofp14_entry(WireWriter& w, const PortStats& s) {
  const size_t start = w.size();
  w.put_u16(0);
  w.put_zeros(2);
  w.put_u32(s.port_no);
  w.put_u32(s.duration_sec);
  w.put_u32(s.duration_nsec);
  write_counters(w, s, 0, 8);
  size_t prop = start_property(w, kPropEthernet);
  w.put_zeros(4);
  write_counters(w, s, 8, 4);
  end_property(w, prop);
  if (s.size_stats) {
    prop = start_experimenter_property(w, kIntelVendorId, kIntelSizeStats);
    w.put_zeros(4);
    for (auto counter : kSizeCounters) w.put_u64((*s.size_stats).*counter);
    end_property(w, prop);
  }
  if (!s.custom.empty()) {
    prop = start_experimenter_property(w, kIntelVendorId, kIntelCustomStats);
    w.put_zeros(2);
    w.put_u16(static_cast<uint16_t>(s.custom.size()));
    for (const auto& [name, value] : s.custom) {
      const size_t n = std::min<size_t>(name.size(), 255);
      w.put_u8(static_cast<uint8_t>(n));
      w.put_bytes(name.data(), n);
      w.put_u64(value);
    }
    end_property(w, prop);
  }
  w.patch_length16(start, start);
}

}  // namespace

Bytes encode_port_stats_request(uint32_t port_no, uint8_t version, uint32_t xid) {
  uint8_t body[8] = {};
  if (version == kOfp10) put_u16_at(body, port_to_ofp10(port_no));
  else put_u32_at(body, port_no);
  return encode_multipart_request(
      version == kOfp10 ? OfpRaw::OFPST10_PORT_REQUEST : OfpRaw::OFPST11_PORT_REQUEST, version, xid,
      body);
}

WireResult<uint32_t> decode_port_stats_request(const OfpMessage& msg) {
  if (msg.raw == OfpRaw::OFPST10_PORT_REQUEST) return port_from_ofp10(get_u16(msg.body.data()));
  return port_from_ofp11(get_u32(msg.body.data()), "port stats request");
}

std::vector<Bytes> encode_port_stats_reply(const std::vector<PortStats>& ports, uint8_t version,
                                           uint32_t xid) {
  const OfpRaw raw = version == kOfp10   ? OfpRaw::OFPST10_PORT_REPLY
                     : version == kOfp13 ? OfpRaw::OFPST13_PORT_REPLY
                                         : OfpRaw::OFPST14_PORT_REPLY;
  MultipartReply reply(raw, version, xid);
  WireWriter& w = reply.writer();
  for (const PortStats& s : ports) {
    reply.begin_entry();
    if (raw == OfpRaw::OFPST14_PORT_REPLY) {
      encode_ofp14_entry(w, s);
    } else if (raw == OfpRaw::OFPST13_PORT_REPLY) {
      w.put_u32(s.port_no);
      w.put_zeros(4);
      write_counters(w, s, 0, 12);
      w.put_u32(s.duration_sec);
      w.put_u32(s.duration_nsec);
    } else {
      w.put_u16(port_to_ofp10(s.port_no));
      w.put_zeros(6);
      write_counters(w, s, 0, 12);
    }
    reply.end_entry();
  }
  return reply.finish();
}

WireResult<std::vector<PortStats>> decode_port_stats_reply(const OfpMessage& msg) {
  std::vector<PortStats> out;
  if (msg.raw == OfpRaw::OFPST14_PORT_REPLY) {
    WIRE_TRY_ASSIGN(entries, split_entries(msg.body, 0, kOfp14PortStatsLen, "port stats"));
    for (ByteView e : entries) {
      PortStats s;
      WIRE_TRY_ASSIGN(port, port_from_ofp11(get_u32(e.data() + 4), "port stats"));
      s.port_no = port;
      s.duration_sec = get_u32(e.data() + 8);
      s.duration_nsec = get_u32(e.data() + 12);
      read_counters(e.data() + 16, s, 8);
      WIRE_TRY(decode_ofp14_properties(e.subspan(kOfp14PortStatsLen), s));
      out.push_back(std::move(s));
    }
    return out;
  }
  // Fixed-size entries; the framing checked the body is a multiple.
  const bool ofp10 = msg.raw == OfpRaw::OFPST10_PORT_REPLY;
  const size_t len = ofp10 ? kOfp10PortStatsLen : kOfp13PortStatsLen;
  for (size_t pos = 0; pos + len <= msg.body.size(); pos += len) {
    const uint8_t* p = msg.body.data() + pos;
    PortStats s;
    if (ofp10) {
      s.port_no = port_from_ofp10(get_u16(p));
    } else {
      WIRE_TRY_ASSIGN(port, port_from_ofp11(get_u32(p), "port stats"));
      s.port_no = port;
      s.duration_sec = get_u32(p + 104);
      s.duration_nsec = get_u32(p + 108);
    }
    read_counters(p + 8, s, 12);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace flowpath::openflow::wire
