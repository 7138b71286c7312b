// Group mods: OFPT_GROUP_MOD of OpenFlow 1.1-1.4 (buckets only) and 1.5
// (bucket ids, insert/remove-bucket commands, properties), and Open vSwitch's
// NXT_GROUP_MOD, which brings OpenFlow 1.5's form to OpenFlow 1.0.
#pragma once

#include <optional>
#include <string>

#include "openflow/of_group.h"
#include "openflow/wire/group_buckets.h"
#include "openflow/wire/ofp_header.h"

namespace flowpath::openflow::wire {

enum class GroupModCommand : uint16_t {
  kAdd = 0,
  kModify = 1,
  kDelete = 2,
  kInsertBucket = 3,        // OpenFlow 1.5 (Open vSwitch accepts them in any version)
  kRemoveBucket = 5,
  kAddOrModify = 0x8000,    // Open vSwitch's extension
};

struct GroupMod {
  GroupModCommand command = GroupModCommand::kAdd;
  // Insert before / remove this bucket: an id, kBucketFirst, kBucketLast
  // or (remove, and every other command) kBucketAll.
  uint32_t command_bucket_id = kBucketAll;
  GroupSpec group;  // group_id may be kGroupAll for delete
};

// Decodes and checks a group mod as Open vSwitch does: bucket layout,
// command_bucket_id for the command, properties, bucket actions, then the
// group's consistency (indirect groups have one bucket, fast failover buckets
// watch something, only select buckets have weights).
WireResult<GroupMod> decode_group_mod(const OfpMessage& msg);
// What `version` cannot carry (a selection method before OpenFlow 1.5,
// bucket actions of other versions, selection fields without a header).
// Insert/remove-bucket travel in OpenFlow 1.1-1.4 as their numbers, as
// Open vSwitch accepts them there.
std::optional<std::string> group_mod_encoding_problem(const GroupMod& gm, uint8_t version);
WireResult<Bytes> encode_group_mod(const GroupMod& gm, uint8_t version, uint32_t xid);

}  // namespace flowpath::openflow::wire
