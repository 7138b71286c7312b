// IPFIX statistics (see ipfix_stats.h).
#include "openflow/wire/ipfix_stats.h"

namespace flowpath::openflow::wire {

namespace {

constexpr size_t kIpfixStatsLen = 88;
constexpr uint64_t IpfixStats::*kCounters[] = {
    &IpfixStats::total_flows,        &IpfixStats::current_flows,  &IpfixStats::packets,
    &IpfixStats::ipv4_packets,       &IpfixStats::ipv6_packets,   &IpfixStats::error_packets,
    &IpfixStats::ipv4_error_packets, &IpfixStats::ipv6_error_packets, &IpfixStats::tx_packets,
    &IpfixStats::tx_errors,
};

}  // namespace

Bytes encode_ipfix_stats_request(bool per_flow, uint8_t version, uint32_t xid) {
  return encode_multipart_request(
      per_flow ? OfpRaw::NXST_IPFIX_FLOW_REQUEST : OfpRaw::NXST_IPFIX_BRIDGE_REQUEST, version, xid);
}

std::vector<Bytes> encode_ipfix_stats_reply(const std::vector<IpfixStats>& stats, bool per_flow,
                                            uint8_t version, uint32_t xid) {
  MultipartReply reply(per_flow ? OfpRaw::NXST_IPFIX_FLOW_REPLY : OfpRaw::NXST_IPFIX_BRIDGE_REPLY,
                       version, xid);
  WireWriter& w = reply.writer();
  for (const IpfixStats& s : stats) {
    reply.begin_entry();
    for (auto counter : kCounters) w.put_u64(s.*counter);
    w.put_u32(s.collector_set_id);
    w.put_zeros(4);
    reply.end_entry();
    if (!per_flow) break;
  }
  return reply.finish();
}

WireResult<std::vector<IpfixStats>> decode_ipfix_stats_reply(const OfpMessage& msg) {
  std::vector<IpfixStats> out;
  // The framing checked the body is a multiple of 88 bytes (exactly 88 for
  // the bridge).
  for (size_t pos = 0; pos + kIpfixStatsLen <= msg.body.size(); pos += kIpfixStatsLen) {
    const uint8_t* p = msg.body.data() + pos;
    IpfixStats s;
    for (size_t i = 0; i < std::size(kCounters); ++i) s.*kCounters[i] = get_u64(p + 8 * i);
    s.collector_set_id = get_u32(p + 80);
    out.push_back(s);
  }
  return out;
}

}  // namespace flowpath::openflow::wire
