// Message framing (see ofp_header.h): the raw table, header decoding and
// the length checks.
#include "openflow/wire/ofp_header.h"

#include <array>
#include <cstdio>
#include <map>
#include <tuple>

#include "openflow/nxm_field.h"

namespace flowpath::openflow::wire {

namespace {

constexpr RawInfo kRaws[] = {
#define FLOWPATH_OFP_RAW_INFO(raw, kind, v1, v2, number, min_body, step, type) \
  {OfpRaw::raw, #raw, RawKind::kind, v1, v2, number, min_body, step, OfpType::type},
    FLOWPATH_OFP_RAWS(FLOWPATH_OFP_RAW_INFO)
#undef FLOWPATH_OFP_RAW_INFO
};

constexpr std::string_view kTypeNames[] = {
    "Hello", "Error", "EchoRequest", "EchoReply", "FeaturesRequest", "FeaturesReply",
    "GetConfigRequest", "GetConfigReply", "SetConfig", "PacketIn", "FlowRemoved", "PortStatus",
    "PacketOut", "FlowMod", "GroupMod", "PortMod", "TableMod", "BarrierRequest", "BarrierReply",
    "QueueGetConfigRequest", "QueueGetConfigReply", "RoleRequest", "RoleReply",
    "GetAsyncRequest", "GetAsyncReply", "SetAsyncConfig", "MeterMod", "RoleStatus",
    "TableStatus", "RequestForward", "BundleControl", "BundleAddMessage", "DescStatsRequest",
    "DescStatsReply", "FlowStatsRequest", "FlowStatsReply", "AggregateStatsRequest",
    "AggregateStatsReply", "TableStatsRequest", "TableStatsReply", "PortStatsRequest",
    "PortStatsReply", "QueueStatsRequest", "QueueStatsReply", "GroupStatsRequest",
    "GroupStatsReply", "GroupDescStatsRequest", "GroupDescStatsReply",
    "GroupFeaturesStatsRequest", "GroupFeaturesStatsReply", "MeterStatsRequest",
    "MeterStatsReply", "MeterConfigStatsRequest", "MeterConfigStatsReply",
    "MeterFeaturesStatsRequest", "MeterFeaturesStatsReply", "TableFeaturesStatsRequest",
    "TableFeaturesStatsReply", "TableDescRequest", "TableDescReply", "PortDescStatsRequest",
    "PortDescStatsReply", "QueueDescRequest", "QueueDescReply", "FlowMonitorStatsRequest",
    "FlowMonitorStatsReply", "FlowMonitorCancel", "FlowMonitorPaused", "FlowMonitorResumed",
    "NxSetFlowFormat", "NxFlowModTableId", "NxSetPacketInFormat", "NxFlowAge",
    "NxSetControllerId", "NxTlvTableMod", "NxTlvTableRequest", "NxTlvTableReply", "NxResume",
    "NxCtFlushZone", "NxCtFlush", "NxIpfixBridgeStatsRequest", "NxIpfixBridgeStatsReply",
    "NxIpfixFlowStatsRequest", "NxIpfixFlowStatsReply",
};
static_assert(std::size(kTypeNames) == static_cast<size_t>(OfpType::kNxIpfixFlowStatsReply) + 1);

constexpr uint8_t kOfptVendor = 4;
constexpr uint16_t kOfpstVendor = 0xffff;

uint8_t stats_request_type(uint8_t version) { return version == kOfp10 ? 16 : 18; }
uint8_t stats_reply_type(uint8_t version) { return version == kOfp10 ? 17 : 19; }

bool is_stats_kind(RawKind k) {
  return k != RawKind::kOfpt && k != RawKind::kNxt && k != RawKind::kOnft;
}
bool is_reply_kind(RawKind k) {
  return k == RawKind::kOfpstReply || k == RawKind::kNxstReply || k == RawKind::kOnfstReply;
}
uint32_t kind_vendor(RawKind k) {
  switch (k) {
    case RawKind::kNxt:
    case RawKind::kNxstRequest:
    case RawKind::kNxstReply: return kNxVendorId;
    case RawKind::kOnft:
    case RawKind::kOnfstRequest:
    case RawKind::kOnfstReply: return kOnfVendorId;
    default: return 0;
  }
}

// (kind, number, version) -> raw.
using RawKey = std::tuple<RawKind, uint32_t, uint8_t>;
const std::map<RawKey, const RawInfo*>& raw_index() {
  static const auto* map = [] {
    auto* m = new std::map<RawKey, const RawInfo*>;
    for (const RawInfo& r : kRaws)
      for (unsigned v = r.min_version; v <= r.max_version; ++v)
        m->emplace(RawKey{r.kind, r.number, static_cast<uint8_t>(v)}, &r);
    return m;
  }();
  return *map;
}

OfpError framing_error(OfpErrorCode code, const std::string& detail) {
  return wire_error(code, detail);
}

}  // namespace

bool version_supported(uint8_t version) {
  return version == kOfp10 || version == kOfp13 || version == kOfp14 || version == kOfp15;
}

std::string version_name(uint8_t version) {
  if (version >= 1 && version <= 6) return "OpenFlow 1." + std::to_string(version - 1);
  char buf[24];
  std::snprintf(buf, sizeof buf, "OpenFlow 0x%02x", version);
  return buf;
}

const RawInfo& raw_info(OfpRaw raw) { return kRaws[static_cast<size_t>(raw)]; }
std::string_view raw_name(OfpRaw raw) { return raw_info(raw).name; }
std::string_view type_name(OfpType type) { return kTypeNames[static_cast<size_t>(type)]; }

const RawInfo* find_raw(OfpType type, uint8_t version, RawKind kind) {
  for (const RawInfo& r : kRaws)
    if (r.type == type && r.kind == kind && version >= r.min_version && version <= r.max_version)
      return &r;
  return nullptr;
}

size_t raw_header_length(RawKind kind, uint8_t version) {
  switch (kind) {
    case RawKind::kOfpt: return kOfpHeaderLen;
    case RawKind::kNxt:
    case RawKind::kOnft: return 16;
    case RawKind::kOfpstRequest:
    case RawKind::kOfpstReply: return version == kOfp10 ? 12 : 16;
    default: return 24;  // Nicira/ONF stats: 12 + vendor + subtype + pad, or 16 + vendor + subtype
  }
}

WireResult<OfpMessage> decode_message(ByteView bytes) {
  if (bytes.size() < kOfpHeaderLen)
    return framing_error(OfpErrorCode::OFPBRC_BAD_LEN,
                         "message of " + std::to_string(bytes.size()) +
                             " bytes is shorter than the 8-byte OpenFlow header");
  const uint8_t version = bytes[0], type = bytes[1];
  const uint16_t length = get_u16(bytes.data() + 2);
  if (length != bytes.size())
    return framing_error(OfpErrorCode::OFPBRC_BAD_LEN,
                         "header length " + std::to_string(length) + " but the message has " +
                             std::to_string(bytes.size()) + " bytes");
  OfpMessage msg{};
  msg.version = version;
  msg.xid = get_u32(bytes.data() + 4);
  msg.bytes = bytes;

  // Hello and error are understood in every version: they negotiate it.
  const bool any_version = type == 0 || type == 1;
  if (!version_supported(version) && !(any_version && version >= 1))
    return framing_error(OfpErrorCode::OFPBRC_BAD_VERSION,
                         version_name(version) + " is not supported (1.0, 1.3, 1.4, 1.5 are)");
  const uint8_t lookup_version = version_supported(version) ? version : kOfp10;

  RawKind kind = RawKind::kOfpt;
  uint32_t number = type;
  std::string what = "message type " + std::to_string(type);
  if (type == kOfptVendor) {
    if (bytes.size() < 16)
      return framing_error(OfpErrorCode::OFPBRC_BAD_LEN, "vendor message shorter than 16 bytes");
    uint32_t vendor = get_u32(bytes.data() + 8);
    if (vendor == kNxVendorId) kind = RawKind::kNxt;
    else if (vendor == kOnfVendorId) kind = RawKind::kOnft;
    else
      return framing_error(OfpErrorCode::OFPBRC_BAD_VENDOR,
                           "vendor " + std::to_string(vendor) + " is not supported");
    number = get_u32(bytes.data() + 12);
    what = (kind == RawKind::kNxt ? "Nicira" : "ONF") + std::string(" message subtype ") +
           std::to_string(number);
  } else if (type == stats_request_type(version) || type == stats_reply_type(version)) {
    const bool reply = type == stats_reply_type(version);
    const size_t stats_len = raw_header_length(RawKind::kOfpstRequest, version);
    if (bytes.size() < stats_len)
      return framing_error(OfpErrorCode::OFPBRC_BAD_LEN, "multipart message shorter than " +
                                                             std::to_string(stats_len) + " bytes");
    uint16_t stat = get_u16(bytes.data() + 8);
    msg.multipart_flags = get_u16(bytes.data() + 10);
    kind = reply ? RawKind::kOfpstReply : RawKind::kOfpstRequest;
    number = stat;
    what = std::string(reply ? "multipart reply" : "multipart request") + " type " +
           std::to_string(stat);
    if (stat == kOfpstVendor) {
      if (bytes.size() < 24)
        return framing_error(OfpErrorCode::OFPBRC_BAD_LEN,
                             "vendor multipart message shorter than 24 bytes");
      uint32_t vendor = get_u32(bytes.data() + stats_len);
      if (vendor == kNxVendorId) kind = reply ? RawKind::kNxstReply : RawKind::kNxstRequest;
      else if (vendor == kOnfVendorId && version != kOfp10)
        kind = reply ? RawKind::kOnfstReply : RawKind::kOnfstRequest;
      else
        return framing_error(OfpErrorCode::OFPBRC_BAD_VENDOR,
                             "multipart vendor " + std::to_string(vendor) + " is not supported");
      number = get_u32(bytes.data() + stats_len + 4);
      what = std::string(kind_vendor(kind) == kNxVendorId ? "Nicira" : "ONF") + " multipart " +
             (reply ? "reply" : "request") + " subtype " + std::to_string(number);
    }
  }

  const auto& index = raw_index();
  auto it = index.find(RawKey{kind, number, lookup_version});
  if (it == index.end()) {
    OfpErrorCode code = kind_vendor(kind) ? OfpErrorCode::OFPBRC_BAD_SUBTYPE
                        : is_stats_kind(kind) ? OfpErrorCode::OFPBRC_BAD_STAT
                                              : OfpErrorCode::OFPBRC_BAD_TYPE;
    return framing_error(code, what + " is not known in " + version_name(version));
  }
  const RawInfo& info = *it->second;
  const size_t header_len = raw_header_length(info.kind, lookup_version);
  const size_t min_len = header_len + info.min_body;
  const size_t len = bytes.size();
  bool ok = info.step == 0 ? len == min_len
                           : len >= min_len && (info.step == 1 || (len - min_len) % info.step == 0);
  if (!ok) {
    std::string expected = info.step == 0 ? "exactly " + std::to_string(min_len)
                           : info.step == 1
                               ? "at least " + std::to_string(min_len)
                               : std::to_string(min_len) + " plus a multiple of " +
                                     std::to_string(info.step);
    return framing_error(OfpErrorCode::OFPBRC_BAD_LEN, std::string(info.name) + " of " +
                                                           std::to_string(len) + " bytes (" +
                                                           expected + " expected)");
  }
  msg.raw = info.raw;
  msg.type = info.type;
  msg.body = bytes.subspan(header_len);
  return msg;
}

size_t start_message(Bytes& out, OfpRaw raw, uint8_t version, uint32_t xid,
                     uint16_t multipart_flags) {
  const RawInfo& info = raw_info(raw);
  const size_t start = out.size();
  WireWriter w(&out);
  w.put_u8(version);
  switch (info.kind) {
    case RawKind::kOfpt: w.put_u8(static_cast<uint8_t>(info.number)); break;
    case RawKind::kNxt:
    case RawKind::kOnft: w.put_u8(kOfptVendor); break;
    default: w.put_u8(is_reply_kind(info.kind) ? stats_reply_type(version)
                                                : stats_request_type(version));
  }
  w.put_u16(0);
  w.put_u32(xid);
  switch (info.kind) {
    case RawKind::kOfpt: break;
    case RawKind::kNxt:
    case RawKind::kOnft:
      w.put_u32(kind_vendor(info.kind));
      w.put_u32(info.number);
      break;
    case RawKind::kOfpstRequest:
    case RawKind::kOfpstReply:
      w.put_u16(static_cast<uint16_t>(info.number));
      w.put_u16(multipart_flags);
      if (version != kOfp10) w.put_zeros(4);
      break;
    default:
      w.put_u16(kOfpstVendor);
      w.put_u16(multipart_flags);
      if (version != kOfp10) w.put_zeros(4);
      w.put_u32(kind_vendor(info.kind));
      w.put_u32(info.number);
      if (version == kOfp10) w.put_zeros(4);
  }
  return start;
}

void finish_message(Bytes& out, size_t start) {
  put_u16_at(out.data() + start + 2, static_cast<uint16_t>(out.size() - start));
}

}  // namespace flowpath::openflow::wire
