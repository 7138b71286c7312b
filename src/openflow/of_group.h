// OpenFlow groups and meters with the ovs-ofctl text syntax:
//   group_id=1,type=select,selection_method=hash,fields(ip_src,tcp_dst),bucket=output:1,bucket=weight:3,output:2
//   group_id=2,type=fast_failover,bucket=watch_port:1,output:1,bucket=watch_port:2,output:2
//   meter=1,pktps,burst,bands=type=drop,rate=1000,burst_size=100
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "openflow/of_action.h"
#include "openflow/of_field.h"

namespace flowpath::openflow {

enum class GroupType : uint8_t { kAll, kSelect, kIndirect, kFastFailover };
std::string_view to_string(GroupType type);  // "all", "select", "indirect", "fast_failover"

struct GroupBucket {
  uint32_t bucket_id = 0;             // bucket_id:N, else the bucket's index
  uint16_t weight = 1;                // select
  uint32_t watch_port = kOfppAny;     // fast_failover
  uint32_t watch_group = kOfgAny;
  std::vector<OfAction> actions;
};

struct GroupSpec {
  uint32_t group_id = 0;
  GroupType type = GroupType::kAll;
  // select: "" (default hash of the L2-L4 5-tuple fields), "hash" (hash of
  // `fields`), "dp_hash" (treated as the default).
  std::string selection_method;
  uint64_t selection_method_param = 0;  // the method's parameter (hash basis)
  std::vector<const OfFieldInfo*> fields;
  // The bits of each of `fields` that count (FieldValue::mask), when not all
  // of them: empty, or one entry per field. Only the OpenFlow wire sets it.
  std::vector<FieldValue> field_masks;
  std::vector<GroupBucket> buckets;
};

// add-group/mod-group syntax (group_id and type required; indirect groups
// must have exactly one bucket). del-groups takes "group_id=N" or nothing.
Result<GroupSpec> parse_group_spec(std::string_view text, const PortNameResolver& ports = {});
std::string format_group_spec(const GroupSpec& group);  // as dump-groups prints it

// The wire numbers band types: drop 1, dscp_remark 2.
enum class OfMeterBandType : uint16_t { kDrop = 1, kDscpRemark = 2 };
struct MeterBandSpec {
  OfMeterBandType type = OfMeterBandType::kDrop;  // the text syntax has type=drop only
  uint64_t rate = 0;        // kbps or pktps
  uint64_t burst_size = 0;  // 0: the default (rate)
  uint8_t prec_level = 0;   // dscp_remark: drop precedence to add
};
struct MeterSpec {
  uint32_t meter_id = 0;
  bool pktps = false;  // else kbps
  bool burst = false;
  bool stats = false;
  std::vector<MeterBandSpec> bands;
};
Result<MeterSpec> parse_meter_spec(std::string_view text);
std::string format_meter_spec(const MeterSpec& meter);

}  // namespace flowpath::openflow
