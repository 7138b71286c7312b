// Group descriptions (multipart): every group's type, buckets and (OpenFlow
// 1.5, and Open vSwitch's NXST_GROUP_DESC in 1.0) selection method. Requests
// name one group from 1.5 on; earlier versions always ask for all.
#pragma once

#include <vector>

#include "openflow/of_group.h"
#include "openflow/wire/group_buckets.h"
#include "openflow/wire/multipart.h"

namespace flowpath::openflow::wire {

Bytes encode_group_desc_request(uint32_t group_id, uint8_t version, uint32_t xid);
// kGroupAll when the request cannot name a group.
WireResult<uint32_t> decode_group_desc_request(const OfpMessage& msg);

std::vector<Bytes> encode_group_desc_reply(const std::vector<GroupSpec>& groups, uint8_t version,
                                           uint32_t xid);
// Buckets are read as group mods read them; OFPGMFC_BAD_TYPE for unknown
// group types.
WireResult<std::vector<GroupSpec>> decode_group_desc_reply(const OfpMessage& msg);

}  // namespace flowpath::openflow::wire
