// Group buckets and group properties, shared by group mods and group
// description replies: OpenFlow 1.1-1.4 buckets (weight, watch port and
// group in a fixed header), OpenFlow 1.5 buckets (bucket id, properties),
// which Open vSwitch also uses for OpenFlow 1.0 (NXT_GROUP_MOD), and the
// Netronome selection-method property that carries a select group's
// selection_method, its parameter and the fields it hashes.
#pragma once

#include <vector>

#include "openflow/of_group.h"
#include "openflow/wire/ofp_buffer.h"

namespace flowpath::openflow::wire {

inline constexpr uint32_t kGroupMax = 0xffffff00;     // OFPG_MAX
inline constexpr uint32_t kGroupAll = 0xfffffffc;     // OFPG_ALL
inline constexpr uint32_t kBucketMax = 0xffffff00;    // OFPG15_BUCKET_MAX
inline constexpr uint32_t kBucketFirst = 0xfffffffd;  // OFPG15_BUCKET_FIRST
inline constexpr uint32_t kBucketLast = 0xfffffffe;   // OFPG15_BUCKET_LAST
inline constexpr uint32_t kBucketAll = 0xffffffff;    // OFPG15_BUCKET_ALL

// OpenFlow 1.5's bucket layout (with properties) is used by 1.0 and 1.5.
inline bool uses_ofp15_buckets(uint8_t version) { return version == 1 || version >= 6; }

// `raw_type` is the group type as the message gives it (it may be unknown:
// buckets are read before the type is checked, as Open vSwitch does).
// OFPGMFC_BAD_BUCKET for malformed buckets, OFPGMFC_BAD_WATCH for a watch
// port that is no port, action errors from the bucket actions.
WireResult<std::vector<GroupBucket>> decode_buckets(ByteView bytes, uint8_t version,
                                                    uint8_t raw_type);
void encode_buckets(WireWriter& w, const std::vector<GroupBucket>& buckets, GroupType type,
                    uint8_t version);

// OpenFlow 1.5 (and 1.0) group properties after the buckets. `allows_method`:
// the command may carry a selection method (add, modify, add-or-modify).
WireStatus decode_group_properties(ByteView bytes, uint8_t raw_type, bool allows_method,
                                   GroupSpec& group);
// Writes the selection-method property when the group has a method.
void encode_group_properties(WireWriter& w, const GroupSpec& group, uint8_t version);

// The group type the wire numbers (0 all, 1 select, 2 indirect, 3 fast
// failover); OFPGMFC_BAD_TYPE for others.
WireResult<GroupType> group_type_from_wire(uint8_t raw_type);

}  // namespace flowpath::openflow::wire
