// Packet-ins: OFPT_PACKET_IN of OpenFlow 1.0 (in_port only) and 1.3+ (OXM
// metadata, table and cookie), Nicira's NXT_PACKET_IN (NXM metadata) and
// NXT_PACKET_IN2 (properties: userdata from controller(userdata=...) and the
// continuation a controller hands back in NXT_RESUME after
// controller(pause)). Which one a session gets is its packet-in format
// (NXT_SET_PACKET_IN_FORMAT).
#pragma once

#include "openflow/of_flow.h"
#include "openflow/wire/flow_mod.h"
#include "openflow/wire/ofp_header.h"

namespace flowpath::openflow::wire {

enum class PacketInFormat : uint8_t { kStandard = 0, kNxt = 1, kNxt2 = 2 };

// Packet-in reasons, numbered as OpenFlow 1.4 numbers them; versions before
// 1.4 see action_set, group and packet_out as "action".
namespace packet_in_reason {
inline constexpr uint8_t kNoMatch = 0;
inline constexpr uint8_t kAction = 1;
inline constexpr uint8_t kInvalidTtl = 2;
inline constexpr uint8_t kActionSet = 3;
inline constexpr uint8_t kGroup = 4;
inline constexpr uint8_t kPacketOut = 5;
}  // namespace packet_in_reason

struct PacketIn {
  uint8_t reason = packet_in_reason::kNoMatch;
  uint8_t table_id = 0;
  uint64_t cookie = kNoCookie;  // kNoCookie: none (OpenFlow 1.0, table misses)
  uint32_t buffer_id = kNoBuffer;
  uint32_t total_len = 0;       // the packet's full length; 0: that of `packet`
  OfMatch metadata;             // in_port and the pipeline fields (tunnel, registers, ...)
  Bytes packet;                 // what is sent of the packet (max_len bytes at most)
  Bytes userdata;               // NXT_PACKET_IN2 only
  Bytes continuation;           // NXT_PACKET_IN2 only: opaque, for NXT_RESUME

  uint32_t full_length() const { return total_len ? total_len : static_cast<uint32_t>(packet.size()); }
};

// `loose` (as controllers read packet-ins): unknown metadata fields and
// properties are skipped.
WireResult<PacketIn> decode_packet_in(const OfpMessage& msg, bool loose = true);
Bytes encode_packet_in(const PacketIn& pin, uint8_t version, PacketInFormat format,
                       uint32_t xid = 0);

// NXT_RESUME: a paused packet-in sent back, continuation included.
WireResult<PacketIn> decode_resume(const OfpMessage& msg);
Bytes encode_resume(const PacketIn& pin, uint8_t version, uint32_t xid);

}  // namespace flowpath::openflow::wire
