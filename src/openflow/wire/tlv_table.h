// Open vSwitch's tunnel-option (Geneve TLV) mapping table:
// NXT_TLV_TABLE_MOD (add, delete, clear mappings of option class/type/length
// to tun_metadata<N>), NXT_TLV_TABLE_REQUEST and NXT_TLV_TABLE_REPLY.
#pragma once

#include <vector>

#include "openflow/wire/ofp_header.h"

namespace flowpath::openflow::wire {

struct TlvMapping {
  uint16_t option_class = 0;
  uint8_t option_type = 0;
  uint8_t option_len = 0;  // a multiple of 4, at most 124
  uint16_t index = 0;      // tun_metadata<index>
  friend bool operator==(const TlvMapping&, const TlvMapping&) = default;
};

enum class TlvTableCommand : uint16_t { kAdd = 0, kDelete = 1, kClear = 2 };

struct TlvTableMod {
  TlvTableCommand command = TlvTableCommand::kAdd;
  std::vector<TlvMapping> mappings;
};

struct TlvTableReply {
  uint32_t max_option_space = 0;
  uint16_t max_fields = 0;
  std::vector<TlvMapping> mappings;
};

inline constexpr uint16_t kTunMetadataFields = 64;

// NXTTMFC_BAD_COMMAND, NXTTMFC_BAD_OPT_LEN, NXTTMFC_BAD_FIELD_IDX.
WireResult<TlvTableMod> decode_tlv_table_mod(const OfpMessage& msg);
Bytes encode_tlv_table_mod(const TlvTableMod& mod, uint8_t version, uint32_t xid);
WireResult<TlvTableReply> decode_tlv_table_reply(const OfpMessage& msg);
Bytes encode_tlv_table_reply(const TlvTableReply& reply, uint8_t version, uint32_t xid);

}  // namespace flowpath::openflow::wire
