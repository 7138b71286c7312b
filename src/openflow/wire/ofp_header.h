// OpenFlow message framing: versions, the wire forms of every message
// ("raw" types: OFPT_FLOW_MOD of OpenFlow 1.0, NXT_FLOW_MOD, ...), the
// message each form carries, and the checks every message goes through
// before its body is decoded (known version and type, length that suits the
// type).
#pragma once

#include <cstdint>
#include <string_view>

#include "openflow/wire/ofp_buffer.h"
#include "openflow/wire/ofp_error.h"

namespace flowpath::openflow::wire {

inline constexpr uint8_t kOfp10 = 1;
inline constexpr uint8_t kOfp11 = 2;
inline constexpr uint8_t kOfp12 = 3;
inline constexpr uint8_t kOfp13 = 4;
inline constexpr uint8_t kOfp14 = 5;
inline constexpr uint8_t kOfp15 = 6;

// OpenFlow 1.0, 1.3, 1.4 and 1.5.
bool version_supported(uint8_t version);
// "OpenFlow 1.3"; "OpenFlow 0x07" for an unknown version.
std::string version_name(uint8_t version);

inline constexpr size_t kOfpHeaderLen = 8;
inline constexpr uint16_t kMultipartReplyMore = 1;  // OFPSF_REPLY_MORE / OFPMPF_REQ_MORE

// Where a raw's number lives: the ofp_header type (OFPT), the stats type of a
// stats/multipart request or reply (OFPST), or the subtype of a Nicira or ONF
// vendor message (NXT, ONFT) or vendor stats message (NXST, ONFST).
enum class RawKind : uint8_t {
  kOfpt, kNxt, kOnft,
  kOfpstRequest, kOfpstReply, kNxstRequest, kNxstReply, kOnfstRequest, kOnfstReply,
};

// X(RAW, kind, first version, last version, number, minimum body length,
// body length step (0: exactly the minimum, 1: any, N: a multiple of N
// beyond the minimum), message).
#define FLOWPATH_OFP_RAWS(X) \
  X(OFPT_HELLO, kOfpt, 1, 6, 0, 0, 1, kHello) \
  X(OFPT_ERROR, kOfpt, 1, 6, 1, 4, 1, kError) \
  X(OFPT_ECHO_REQUEST, kOfpt, 1, 6, 2, 0, 1, kEchoRequest) \
  X(OFPT_ECHO_REPLY, kOfpt, 1, 6, 3, 0, 1, kEchoReply) \
  X(OFPT_FEATURES_REQUEST, kOfpt, 1, 6, 5, 0, 0, kFeaturesRequest) \
  X(OFPT10_FEATURES_REPLY, kOfpt, 1, 1, 6, 24, 48, kFeaturesReply) \
  X(OFPT13_FEATURES_REPLY, kOfpt, 4, 6, 6, 24, 0, kFeaturesReply) \
  X(OFPT_GET_CONFIG_REQUEST, kOfpt, 1, 6, 7, 0, 0, kGetConfigRequest) \
  X(OFPT_GET_CONFIG_REPLY, kOfpt, 1, 6, 8, 4, 0, kGetConfigReply) \
  X(OFPT_SET_CONFIG, kOfpt, 1, 6, 9, 4, 0, kSetConfig) \
  X(OFPT10_PACKET_IN, kOfpt, 1, 1, 10, 10, 1, kPacketIn) \
  X(OFPT13_PACKET_IN, kOfpt, 4, 6, 10, 16, 1, kPacketIn) \
  X(NXT_PACKET_IN, kNxt, 1, 6, 17, 24, 1, kPacketIn) \
  X(NXT_PACKET_IN2, kNxt, 1, 6, 30, 0, 8, kPacketIn) \
  X(OFPT10_FLOW_REMOVED, kOfpt, 1, 1, 11, 80, 0, kFlowRemoved) \
  X(OFPT11_FLOW_REMOVED, kOfpt, 2, 5, 11, 40, 8, kFlowRemoved) \
  X(OFPT15_FLOW_REMOVED, kOfpt, 6, 6, 11, 16, 8, kFlowRemoved) \
  X(NXT_FLOW_REMOVED, kNxt, 1, 6, 14, 40, 8, kFlowRemoved) \
  X(OFPT10_PORT_STATUS, kOfpt, 1, 1, 12, 56, 0, kPortStatus) \
  X(OFPT11_PORT_STATUS, kOfpt, 2, 4, 12, 72, 0, kPortStatus) \
  X(OFPT14_PORT_STATUS, kOfpt, 5, 6, 12, 48, 8, kPortStatus) \
  X(OFPT10_PACKET_OUT, kOfpt, 1, 1, 13, 8, 1, kPacketOut) \
  X(OFPT11_PACKET_OUT, kOfpt, 2, 5, 13, 16, 1, kPacketOut) \
  X(OFPT15_PACKET_OUT, kOfpt, 6, 6, 13, 8, 1, kPacketOut) \
  X(OFPT10_FLOW_MOD, kOfpt, 1, 1, 14, 64, 8, kFlowMod) \
  X(OFPT11_FLOW_MOD, kOfpt, 2, 6, 14, 40, 8, kFlowMod) \
  X(NXT_FLOW_MOD, kNxt, 1, 6, 13, 32, 8, kFlowMod) \
  X(NXT_GROUP_MOD, kNxt, 1, 1, 31, 16, 8, kGroupMod) \
  X(OFPT11_GROUP_MOD, kOfpt, 2, 5, 15, 8, 8, kGroupMod) \
  X(OFPT15_GROUP_MOD, kOfpt, 6, 6, 15, 16, 8, kGroupMod) \
  X(OFPT10_PORT_MOD, kOfpt, 1, 1, 15, 24, 0, kPortMod) \
  X(OFPT11_PORT_MOD, kOfpt, 2, 4, 16, 32, 0, kPortMod) \
  X(OFPT14_PORT_MOD, kOfpt, 5, 6, 16, 24, 8, kPortMod) \
  X(OFPT11_TABLE_MOD, kOfpt, 2, 4, 17, 8, 0, kTableMod) \
  X(OFPT14_TABLE_MOD, kOfpt, 5, 6, 17, 8, 8, kTableMod) \
  X(OFPT10_BARRIER_REQUEST, kOfpt, 1, 1, 18, 0, 0, kBarrierRequest) \
  X(OFPT11_BARRIER_REQUEST, kOfpt, 2, 6, 20, 0, 0, kBarrierRequest) \
  X(OFPT10_BARRIER_REPLY, kOfpt, 1, 1, 19, 0, 0, kBarrierReply) \
  X(OFPT11_BARRIER_REPLY, kOfpt, 2, 6, 21, 0, 0, kBarrierReply) \
  X(OFPT10_QUEUE_GET_CONFIG_REQUEST, kOfpt, 1, 1, 20, 4, 0, kQueueGetConfigRequest) \
  X(OFPT11_QUEUE_GET_CONFIG_REQUEST, kOfpt, 2, 4, 22, 8, 0, kQueueGetConfigRequest) \
  X(OFPT10_QUEUE_GET_CONFIG_REPLY, kOfpt, 1, 1, 21, 8, 8, kQueueGetConfigReply) \
  X(OFPT11_QUEUE_GET_CONFIG_REPLY, kOfpt, 2, 4, 23, 8, 8, kQueueGetConfigReply) \
  X(OFPT12_ROLE_REQUEST, kOfpt, 3, 6, 24, 16, 0, kRoleRequest) \
  X(NXT_ROLE_REQUEST, kNxt, 1, 6, 10, 4, 0, kRoleRequest) \
  X(OFPT12_ROLE_REPLY, kOfpt, 3, 6, 25, 16, 0, kRoleReply) \
  X(NXT_ROLE_REPLY, kNxt, 1, 6, 11, 4, 0, kRoleReply) \
  X(OFPT13_GET_ASYNC_REQUEST, kOfpt, 4, 4, 26, 0, 0, kGetAsyncRequest) \
  X(OFPT14_GET_ASYNC_REQUEST, kOfpt, 5, 6, 26, 0, 0, kGetAsyncRequest) \
  X(OFPT13_GET_ASYNC_REPLY, kOfpt, 4, 4, 27, 24, 0, kGetAsyncReply) \
  X(OFPT14_GET_ASYNC_REPLY, kOfpt, 5, 6, 27, 0, 8, kGetAsyncReply) \
  X(OFPT13_SET_ASYNC, kOfpt, 4, 4, 28, 24, 0, kSetAsyncConfig) \
  X(NXT_SET_ASYNC_CONFIG, kNxt, 1, 6, 19, 24, 0, kSetAsyncConfig) \
  X(NXT_SET_ASYNC_CONFIG2, kNxt, 1, 4, 27, 0, 8, kSetAsyncConfig) \
  X(OFPT14_SET_ASYNC, kOfpt, 5, 6, 28, 0, 8, kSetAsyncConfig) \
  X(OFPT13_METER_MOD, kOfpt, 4, 6, 29, 8, 8, kMeterMod) \
  X(ONFT13_ROLE_STATUS, kOnft, 4, 4, 1911, 16, 8, kRoleStatus) \
  X(OFPT14_ROLE_STATUS, kOfpt, 5, 6, 30, 16, 8, kRoleStatus) \
  X(OFPT14_TABLE_STATUS, kOfpt, 5, 6, 31, 8, 8, kTableStatus) \
  X(NXT_REQUESTFORWARD, kNxt, 1, 3, 132, 8, 8, kRequestForward) \
  X(ONFT13_REQUESTFORWARD, kOnft, 4, 4, 2350, 8, 8, kRequestForward) \
  X(OFPT14_REQUESTFORWARD, kOfpt, 5, 6, 32, 8, 8, kRequestForward) \
  X(OFPT14_BUNDLE_CONTROL, kOfpt, 5, 6, 33, 8, 8, kBundleControl) \
  X(ONFT13_BUNDLE_CONTROL, kOnft, 4, 4, 2300, 8, 8, kBundleControl) \
  X(OFPT14_BUNDLE_ADD_MESSAGE, kOfpt, 5, 6, 34, 8, 1, kBundleAddMessage) \
  X(ONFT13_BUNDLE_ADD_MESSAGE, kOnft, 4, 4, 2301, 8, 1, kBundleAddMessage) \
  X(OFPST_DESC_REQUEST, kOfpstRequest, 1, 6, 0, 0, 0, kDescStatsRequest) \
  X(OFPST_DESC_REPLY, kOfpstReply, 1, 6, 0, 1056, 0, kDescStatsReply) \
  X(OFPST10_FLOW_REQUEST, kOfpstRequest, 1, 1, 1, 44, 0, kFlowStatsRequest) \
  X(OFPST11_FLOW_REQUEST, kOfpstRequest, 2, 6, 1, 32, 8, kFlowStatsRequest) \
  X(NXST_FLOW_REQUEST, kNxstRequest, 1, 1, 0, 8, 8, kFlowStatsRequest) \
  X(OFPST10_FLOW_REPLY, kOfpstReply, 1, 1, 1, 0, 1, kFlowStatsReply) \
  X(OFPST13_FLOW_REPLY, kOfpstReply, 4, 5, 1, 0, 1, kFlowStatsReply) \
  X(OFPST15_FLOW_REPLY, kOfpstReply, 6, 6, 1, 0, 1, kFlowStatsReply) \
  X(NXST_FLOW_REPLY, kNxstReply, 1, 1, 0, 0, 1, kFlowStatsReply) \
  X(OFPST10_AGGREGATE_REQUEST, kOfpstRequest, 1, 1, 2, 44, 0, kAggregateStatsRequest) \
  X(OFPST11_AGGREGATE_REQUEST, kOfpstRequest, 2, 5, 2, 32, 8, kAggregateStatsRequest) \
  X(OFPST15_AGGREGATE_REQUEST, kOfpstRequest, 6, 6, 2, 32, 8, kAggregateStatsRequest) \
  X(NXST_AGGREGATE_REQUEST, kNxstRequest, 1, 1, 1, 8, 8, kAggregateStatsRequest) \
  X(OFPST_AGGREGATE_REPLY, kOfpstReply, 1, 5, 2, 24, 0, kAggregateStatsReply) \
  X(OFPST15_AGGREGATE_REPLY, kOfpstReply, 6, 6, 2, 0, 1, kAggregateStatsReply) \
  X(NXST_AGGREGATE_REPLY, kNxstReply, 1, 1, 1, 24, 0, kAggregateStatsReply) \
  X(OFPST_TABLE_REQUEST, kOfpstRequest, 1, 6, 3, 0, 0, kTableStatsRequest) \
  X(OFPST10_TABLE_REPLY, kOfpstReply, 1, 1, 3, 0, 64, kTableStatsReply) \
  X(OFPST13_TABLE_REPLY, kOfpstReply, 4, 6, 3, 0, 24, kTableStatsReply) \
  X(OFPST10_PORT_REQUEST, kOfpstRequest, 1, 1, 4, 8, 0, kPortStatsRequest) \
  X(OFPST11_PORT_REQUEST, kOfpstRequest, 2, 6, 4, 8, 0, kPortStatsRequest) \
  X(OFPST10_PORT_REPLY, kOfpstReply, 1, 1, 4, 0, 104, kPortStatsReply) \
  X(OFPST13_PORT_REPLY, kOfpstReply, 4, 4, 4, 0, 112, kPortStatsReply) \
  X(OFPST14_PORT_REPLY, kOfpstReply, 5, 6, 4, 0, 8, kPortStatsReply) \
  X(OFPST10_QUEUE_REQUEST, kOfpstRequest, 1, 1, 5, 8, 0, kQueueStatsRequest) \
  X(OFPST11_QUEUE_REQUEST, kOfpstRequest, 2, 6, 5, 8, 0, kQueueStatsRequest) \
  X(OFPST10_QUEUE_REPLY, kOfpstReply, 1, 1, 5, 0, 32, kQueueStatsReply) \
  X(OFPST13_QUEUE_REPLY, kOfpstReply, 4, 4, 5, 0, 40, kQueueStatsReply) \
  X(OFPST14_QUEUE_REPLY, kOfpstReply, 5, 6, 5, 0, 8, kQueueStatsReply) \
  X(NXST_GROUP_REQUEST, kNxstRequest, 1, 1, 7, 8, 0, kGroupStatsRequest) \
  X(OFPST11_GROUP_REQUEST, kOfpstRequest, 2, 6, 6, 8, 0, kGroupStatsRequest) \
  X(NXST_GROUP_REPLY, kNxstReply, 1, 1, 7, 0, 8, kGroupStatsReply) \
  X(OFPST13_GROUP_REPLY, kOfpstReply, 4, 6, 6, 0, 8, kGroupStatsReply) \
  X(NXST_GROUP_DESC_REQUEST, kNxstRequest, 1, 1, 8, 8, 0, kGroupDescStatsRequest) \
  X(OFPST11_GROUP_DESC_REQUEST, kOfpstRequest, 2, 5, 7, 0, 0, kGroupDescStatsRequest) \
  X(OFPST15_GROUP_DESC_REQUEST, kOfpstRequest, 6, 6, 7, 8, 0, kGroupDescStatsRequest) \
  X(NXST_GROUP_DESC_REPLY, kNxstReply, 1, 1, 8, 0, 8, kGroupDescStatsReply) \
  X(OFPST11_GROUP_DESC_REPLY, kOfpstReply, 2, 6, 7, 0, 8, kGroupDescStatsReply) \
  X(NXST_GROUP_FEATURES_REQUEST, kNxstRequest, 1, 2, 9, 0, 0, kGroupFeaturesStatsRequest) \
  X(OFPST12_GROUP_FEATURES_REQUEST, kOfpstRequest, 3, 6, 8, 0, 0, kGroupFeaturesStatsRequest) \
  X(NXST_GROUP_FEATURES_REPLY, kNxstReply, 1, 2, 9, 40, 0, kGroupFeaturesStatsReply) \
  X(OFPST12_GROUP_FEATURES_REPLY, kOfpstReply, 3, 6, 8, 40, 0, kGroupFeaturesStatsReply) \
  X(OFPST13_METER_REQUEST, kOfpstRequest, 4, 6, 9, 8, 0, kMeterStatsRequest) \
  X(OFPST13_METER_REPLY, kOfpstReply, 4, 6, 9, 0, 8, kMeterStatsReply) \
  X(OFPST13_METER_CONFIG_REQUEST, kOfpstRequest, 4, 6, 10, 8, 0, kMeterConfigStatsRequest) \
  X(OFPST13_METER_CONFIG_REPLY, kOfpstReply, 4, 6, 10, 0, 8, kMeterConfigStatsReply) \
  X(OFPST13_METER_FEATURES_REQUEST, kOfpstRequest, 4, 6, 11, 0, 0, kMeterFeaturesStatsRequest) \
  X(OFPST13_METER_FEATURES_REPLY, kOfpstReply, 4, 6, 11, 16, 0, kMeterFeaturesStatsReply) \
  X(OFPST13_TABLE_FEATURES_REQUEST, kOfpstRequest, 4, 6, 12, 0, 8, kTableFeaturesStatsRequest) \
  X(OFPST13_TABLE_FEATURES_REPLY, kOfpstReply, 4, 6, 12, 64, 8, kTableFeaturesStatsReply) \
  X(OFPST14_TABLE_DESC_REQUEST, kOfpstRequest, 5, 6, 14, 0, 0, kTableDescRequest) \
  X(OFPST14_TABLE_DESC_REPLY, kOfpstReply, 5, 6, 14, 8, 8, kTableDescReply) \
  X(OFPST10_PORT_DESC_REQUEST, kOfpstRequest, 1, 5, 13, 0, 0, kPortDescStatsRequest) \
  X(OFPST15_PORT_DESC_REQUEST, kOfpstRequest, 6, 6, 13, 8, 0, kPortDescStatsRequest) \
  X(OFPST10_PORT_DESC_REPLY, kOfpstReply, 1, 1, 13, 0, 48, kPortDescStatsReply) \
  X(OFPST11_PORT_DESC_REPLY, kOfpstReply, 2, 4, 13, 0, 64, kPortDescStatsReply) \
  X(OFPST14_PORT_DESC_REPLY, kOfpstReply, 5, 6, 13, 0, 8, kPortDescStatsReply) \
  X(OFPST14_QUEUE_DESC_REQUEST, kOfpstRequest, 5, 6, 15, 8, 0, kQueueDescRequest) \
  X(OFPST14_QUEUE_DESC_REPLY, kOfpstReply, 5, 6, 15, 0, 8, kQueueDescReply) \
  X(OFPST14_FLOW_MONITOR_REQUEST, kOfpstRequest, 5, 6, 16, 0, 8, kFlowMonitorStatsRequest) \
  X(ONFST13_FLOW_MONITOR_REQUEST, kOnfstRequest, 4, 4, 1870, 0, 8, kFlowMonitorStatsRequest) \
  X(NXST_FLOW_MONITOR_REQUEST, kNxstRequest, 1, 3, 2, 0, 8, kFlowMonitorStatsRequest) \
  X(OFPST14_FLOW_MONITOR_REPLY, kOfpstReply, 5, 6, 16, 0, 8, kFlowMonitorStatsReply) \
  X(ONFST13_FLOW_MONITOR_REPLY, kOnfstReply, 4, 4, 1870, 0, 8, kFlowMonitorStatsReply) \
  X(NXST_FLOW_MONITOR_REPLY, kNxstReply, 1, 3, 2, 0, 8, kFlowMonitorStatsReply) \
  X(ONFT13_FLOW_MONITOR_CANCEL, kOnft, 4, 4, 1870, 4, 0, kFlowMonitorCancel) \
  X(NXT_FLOW_MONITOR_CANCEL, kNxt, 1, 3, 21, 4, 0, kFlowMonitorCancel) \
  X(ONFT13_FLOW_MONITOR_PAUSED, kOnft, 4, 4, 1871, 0, 0, kFlowMonitorPaused) \
  X(NXT_FLOW_MONITOR_PAUSED, kNxt, 1, 3, 22, 0, 0, kFlowMonitorPaused) \
  X(ONFT13_FLOW_MONITOR_RESUMED, kOnft, 4, 4, 1872, 0, 0, kFlowMonitorResumed) \
  X(NXT_FLOW_MONITOR_RESUMED, kNxt, 1, 3, 23, 0, 0, kFlowMonitorResumed) \
  X(NXT_SET_FLOW_FORMAT, kNxt, 1, 1, 12, 4, 0, kNxSetFlowFormat) \
  X(NXT_FLOW_MOD_TABLE_ID, kNxt, 1, 6, 15, 8, 0, kNxFlowModTableId) \
  X(NXT_SET_PACKET_IN_FORMAT, kNxt, 1, 6, 16, 4, 0, kNxSetPacketInFormat) \
  X(NXT_FLOW_AGE, kNxt, 1, 6, 18, 0, 0, kNxFlowAge) \
  X(NXT_SET_CONTROLLER_ID, kNxt, 1, 6, 20, 8, 0, kNxSetControllerId) \
  X(NXT_TLV_TABLE_MOD, kNxt, 1, 6, 24, 8, 8, kNxTlvTableMod) \
  X(NXT_TLV_TABLE_REQUEST, kNxt, 1, 6, 25, 0, 0, kNxTlvTableRequest) \
  X(NXT_TLV_TABLE_REPLY, kNxt, 1, 6, 26, 16, 8, kNxTlvTableReply) \
  X(NXT_RESUME, kNxt, 1, 6, 28, 0, 8, kNxResume) \
  X(NXT_CT_FLUSH_ZONE, kNxt, 1, 6, 29, 8, 0, kNxCtFlushZone) \
  X(NXT_CT_FLUSH, kNxt, 1, 6, 32, 8, 8, kNxCtFlush) \
  X(NXST_IPFIX_BRIDGE_REQUEST, kNxstRequest, 1, 6, 3, 0, 0, kNxIpfixBridgeStatsRequest) \
  X(NXST_IPFIX_BRIDGE_REPLY, kNxstReply, 1, 6, 3, 88, 0, kNxIpfixBridgeStatsReply) \
  X(NXST_IPFIX_FLOW_REQUEST, kNxstRequest, 1, 6, 4, 0, 0, kNxIpfixFlowStatsRequest) \
  X(NXST_IPFIX_FLOW_REPLY, kNxstReply, 1, 6, 4, 0, 88, kNxIpfixFlowStatsReply)

enum class OfpRaw : uint16_t {
#define FLOWPATH_OFP_RAW_ENUM(raw, kind, v1, v2, number, min_body, step, type) raw,
  FLOWPATH_OFP_RAWS(FLOWPATH_OFP_RAW_ENUM)
#undef FLOWPATH_OFP_RAW_ENUM
};

// The message a raw form carries, whatever the version or vendor encoding.
enum class OfpType : uint8_t {
  kHello, kError, kEchoRequest, kEchoReply, kFeaturesRequest, kFeaturesReply,
  kGetConfigRequest, kGetConfigReply, kSetConfig, kPacketIn, kFlowRemoved, kPortStatus,
  kPacketOut, kFlowMod, kGroupMod, kPortMod, kTableMod, kBarrierRequest, kBarrierReply,
  kQueueGetConfigRequest, kQueueGetConfigReply, kRoleRequest, kRoleReply, kGetAsyncRequest,
  kGetAsyncReply, kSetAsyncConfig, kMeterMod, kRoleStatus, kTableStatus, kRequestForward,
  kBundleControl, kBundleAddMessage, kDescStatsRequest, kDescStatsReply, kFlowStatsRequest,
  kFlowStatsReply, kAggregateStatsRequest, kAggregateStatsReply, kTableStatsRequest,
  kTableStatsReply, kPortStatsRequest, kPortStatsReply, kQueueStatsRequest, kQueueStatsReply,
  kGroupStatsRequest, kGroupStatsReply, kGroupDescStatsRequest, kGroupDescStatsReply,
  kGroupFeaturesStatsRequest, kGroupFeaturesStatsReply, kMeterStatsRequest, kMeterStatsReply,
  kMeterConfigStatsRequest, kMeterConfigStatsReply, kMeterFeaturesStatsRequest,
  kMeterFeaturesStatsReply, kTableFeaturesStatsRequest, kTableFeaturesStatsReply,
  kTableDescRequest, kTableDescReply, kPortDescStatsRequest, kPortDescStatsReply,
  kQueueDescRequest, kQueueDescReply, kFlowMonitorStatsRequest, kFlowMonitorStatsReply,
  kFlowMonitorCancel, kFlowMonitorPaused, kFlowMonitorResumed, kNxSetFlowFormat,
  kNxFlowModTableId, kNxSetPacketInFormat, kNxFlowAge, kNxSetControllerId, kNxTlvTableMod,
  kNxTlvTableRequest, kNxTlvTableReply, kNxResume, kNxCtFlushZone, kNxCtFlush,
  kNxIpfixBridgeStatsRequest, kNxIpfixBridgeStatsReply, kNxIpfixFlowStatsRequest,
  kNxIpfixFlowStatsReply,
};

struct RawInfo {
  OfpRaw raw;
  std::string_view name;  // "OFPT10_FLOW_MOD"
  RawKind kind;
  uint8_t min_version;
  uint8_t max_version;
  uint32_t number;
  uint16_t min_body;
  uint16_t step;
  OfpType type;
};
const RawInfo& raw_info(OfpRaw raw);
std::string_view raw_name(OfpRaw raw);
std::string_view type_name(OfpType type);  // "FlowMod"
// The raw form of `type` in `version` for the given kind; nullptr if none.
const RawInfo* find_raw(OfpType type, uint8_t version, RawKind kind);

// Bytes of the headers of `raw` in `version` (8 for OFPT; more for vendor,
// stats and vendor stats messages).
size_t raw_header_length(RawKind kind, uint8_t version);

// A message whose framing has been checked.
struct OfpMessage {
  OfpRaw raw;
  OfpType type;
  uint8_t version;
  uint32_t xid;
  uint16_t multipart_flags;  // stats messages only
  ByteView bytes;            // the whole message
  ByteView body;             // what follows the raw's headers
};

// Checks a whole message (bytes.size() must equal its length field):
// OFPBRC_BAD_LEN, OFPBRC_BAD_VERSION (versions other than 1.0, 1.3, 1.4 and
// 1.5, except for hello and error, which every version may send),
// OFPBRC_BAD_TYPE / BAD_STAT / BAD_VENDOR / BAD_SUBTYPE for unknown types,
// OFPBRC_BAD_LEN when the body length does not suit the type.
WireResult<OfpMessage> decode_message(ByteView bytes);

// The length field of the message at the start of `bytes` (>= 8 bytes), for
// splitting a stream into messages.
inline uint16_t message_length(ByteView bytes) { return get_u16(bytes.data() + 2); }

// Appends the headers of `raw` with length 0; returns the message's start.
size_t start_message(Bytes& out, OfpRaw raw, uint8_t version, uint32_t xid,
                     uint16_t multipart_flags = 0);
// Sets the length of the message that starts at `start` to the end of `out`.
void finish_message(Bytes& out, size_t start);

}  // namespace flowpath::openflow::wire
