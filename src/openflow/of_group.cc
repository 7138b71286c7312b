// Group and meter specs in the syntax of ovs-ofctl add-group/dump-groups and
// add-meter/dump-meters.
#include "openflow/of_group.h"

#include <algorithm>
#include <cstring>

#include "openflow/of_text_internal.h"

namespace flowpath::openflow {

namespace {

using of_text::iequals;
using of_text::KeyValue;
using of_text::parse_uint;

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }
std::string str(std::string_view text) { return std::string(text); }

constexpr uint32_t kOfgMax = 0xffffff00;         // largest group id
constexpr uint32_t kBucketIdMax = 0xffffff00;    // largest bucket id
constexpr uint32_t kOfmMax = 0xffff0000;         // largest meter id

// ---- group header ----

Result<GroupType> parse_group_type(std::string_view text) {
  if (text == "all") return GroupType::kAll;
  if (text == "select") return GroupType::kSelect;
  if (text == "indirect") return GroupType::kIndirect;
  if (text == "ff" || text == "fast_failover") return GroupType::kFastFailover;
  return make_error("unknown group type " + quoted(text) +
                    " (expected all, select, indirect or fast_failover)");
}

// fields(f1,f2) or fields=f1: the fields a select group hashes.
Status parse_hash_fields(const KeyValue& kv, GroupSpec& group) {
  auto names = of_text::split_key_values(kv.value);
  if (!names) return make_error("fields: " + names.error());
  if (names->empty()) return make_error("fields: expected at least one field name");
  for (const KeyValue& name : *names) {
    if (name.delim)
      return make_error("fields: " + quoted(name.whole) +
                        ": only field names are supported here, not values or masks");
    const OfFieldInfo* field = find_field(name.key);
    if (!field) return make_error("fields: unknown field " + quoted(name.key));
    if (std::find(group.fields.begin(), group.fields.end(), field) != group.fields.end())
      return make_error("fields: duplicate field " + str(field->name));
    group.fields.push_back(field);
  }
  return Ok{};
}

Status parse_group_header(std::span<const KeyValue> items, GroupSpec& group) {
  bool have_id = false, have_type = false, have_method = false;
  for (const KeyValue& kv : items) {
    if (kv.key == "group_id") {
      if (have_id) return make_error("duplicate group_id");
      auto id = parse_uint(kv.value, 0, kOfgMax, "group_id");
      if (!id) return Error{id.error()};
      group.group_id = static_cast<uint32_t>(*id);
      have_id = true;
    } else if (kv.key == "type") {
      if (have_type) return make_error("duplicate type");
      auto type = parse_group_type(kv.value);
      if (!type) return Error{type.error()};
      group.type = *type;
      have_type = true;
    } else if (kv.key == "selection_method") {
      if (have_method) return make_error("duplicate selection_method");
      if (kv.value != "hash" && kv.value != "dp_hash")
        return make_error("unknown selection_method " + quoted(kv.value) +
                          " (expected hash or dp_hash)");
      group.selection_method = str(kv.value);
      have_method = true;
    } else if (kv.key == "fields") {
      if (Status s = parse_hash_fields(kv, group); !s) return s;
    } else {
      return make_error("unknown keyword " + quoted(kv.key) +
                        " (expected group_id, type, selection_method, fields or bucket)");
    }
  }
  if (!have_id) return make_error("must specify a group_id");
  if (!have_type) return make_error("must specify a type");
  if (have_method && group.type != GroupType::kSelect)
    return make_error("selection_method is only for select groups");
  if (!group.fields.empty() && group.selection_method != "hash")
    return make_error("fields may only be given with selection_method=hash");
  if (group.selection_method == "hash" && group.fields.empty())
    return make_error("selection_method=hash needs the fields to hash (fields(...))");
  return Ok{};
}

// ---- buckets ----

bool is_instruction(const OfAction& a) {
  return std::holds_alternative<action::GotoTable>(a) ||
         std::holds_alternative<action::WriteMetadata>(a) ||
         std::holds_alternative<action::Meter>(a);
}

std::string_view instruction_name(const OfAction& a) {
  if (std::holds_alternative<action::GotoTable>(a)) return "goto_table";
  if (std::holds_alternative<action::WriteMetadata>(a)) return "write_metadata";
  return "meter";
}

// One bucket's elements: its settings and, in any order around them, its
// actions ("output:1" or "actions=output:1").
Result<GroupBucket> parse_bucket(std::span<const KeyValue> items, GroupType type, size_t index,
                                 const PortNameResolver& ports) {
  const std::string where = "bucket #" + std::to_string(index + 1);
  GroupBucket bucket;
  bucket.bucket_id = static_cast<uint32_t>(index);
  std::string actions_text;
  bool have_actions = false;
  auto add_action_text = [&](std::string_view text) {
    if (!actions_text.empty()) actions_text += ',';
    actions_text += text;
    have_actions = true;
  };
  for (const KeyValue& kv : items) {
    if (iequals(kv.key, "bucket_id")) {
      auto id = parse_uint(kv.value, 0, kBucketIdMax, where + " bucket_id");
      if (!id) return Error{id.error()};
      bucket.bucket_id = static_cast<uint32_t>(*id);
    } else if (iequals(kv.key, "weight")) {
      if (type != GroupType::kSelect)
        return make_error(where + ": weight is only for select groups");
      auto w = parse_uint(kv.value, 0, 0xffff, where + " weight");
      if (!w) return Error{w.error()};
      bucket.weight = static_cast<uint16_t>(*w);
    } else if (iequals(kv.key, "watch_port")) {
      if (type != GroupType::kFastFailover)
        return make_error(where + ": watch_port is only for fast_failover groups");
      auto port = of_text::parse_port(kv.value, ports, where + " watch_port");
      if (!port) return Error{port.error()};
      // A real port or none (ANY), as ovs-ofctl allows; not LOCAL.
      if (*port > kOfppMax && *port != kOfppAny)
        return make_error(where + ": port " + of_text::format_port(*port) +
                          " cannot be watched");
      bucket.watch_port = *port;
    } else if (iequals(kv.key, "watch_group")) {
      if (type != GroupType::kFastFailover)
        return make_error(where + ": watch_group is only for fast_failover groups");
      auto g = parse_uint(kv.value, 0, kOfgMax, where + " watch_group");
      if (!g) return Error{g.error()};
      bucket.watch_group = static_cast<uint32_t>(*g);
    } else if (iequals(kv.key, "actions") || iequals(kv.key, "action")) {
      if (kv.delim == '(') return make_error(where + ": expected actions=..., not actions(...)");
      if (kv.value.empty()) return make_error(where + ": actions= is empty (use actions=drop)");
      add_action_text(kv.value);
    } else {
      add_action_text(kv.whole);
    }
  }
  if (!have_actions) return make_error(where + " must specify actions");
  if (type == GroupType::kFastFailover && bucket.watch_port == kOfppAny &&
      bucket.watch_group == kOfgAny)
    return make_error(where + ": fast_failover buckets need a watch_port or a watch_group");
  auto actions = parse_of_actions(actions_text, ports);
  if (!actions) return make_error(where + ": " + actions.error());
  for (const OfAction& a : *actions)
    if (is_instruction(a))
      return make_error(where + ": " + str(instruction_name(a)) +
                        " is an instruction and is not allowed in a group bucket");
  bucket.actions = std::move(*actions);
  return bucket;
}

// The elements of the text from the first "bucket=" on, cut into buckets.
// A "bucket=X" element carries the bucket's first element in its value.
Result<std::vector<std::vector<KeyValue>>> split_buckets(std::span<const KeyValue> items) {
  std::vector<std::vector<KeyValue>> buckets;
  for (const KeyValue& kv : items) {
    if (kv.key != "bucket") {
      buckets.back().push_back(kv);
      continue;
    }
    if (kv.delim != '=') return make_error("expected bucket=..., got " + quoted(kv.whole));
    buckets.emplace_back();
    auto first = of_text::split_key_values(kv.value);
    if (!first)
      return make_error("bucket #" + std::to_string(buckets.size()) + ": " + first.error());
    buckets.back() = std::move(*first);
  }
  return buckets;
}

}  // namespace

std::string_view to_string(GroupType type) {
  switch (type) {
    case GroupType::kAll: return "all";
    case GroupType::kSelect: return "select";
    case GroupType::kIndirect: return "indirect";
    case GroupType::kFastFailover: return "fast_failover";
  }
  return "unknown";
}

Result<GroupSpec> parse_group_spec(std::string_view text, const PortNameResolver& ports) {
  auto items = of_text::split_key_values(text);
  if (!items) return Error{items.error()};
  auto first_bucket = std::find_if(items->begin(), items->end(),
                                   [](const KeyValue& kv) { return kv.key == "bucket"; });
  GroupSpec group;
  std::span<const KeyValue> all(*items);
  size_t header_size = static_cast<size_t>(first_bucket - items->begin());
  if (Status s = parse_group_header(all.first(header_size), group); !s) return Error{s.error()};

  auto buckets = split_buckets(all.subspan(header_size));
  if (!buckets) return Error{buckets.error()};
  for (size_t i = 0; i < buckets->size(); ++i) {
    auto bucket = parse_bucket((*buckets)[i], group.type, i, ports);
    if (!bucket) return Error{bucket.error()};
    for (const GroupBucket& other : group.buckets)
      if (other.bucket_id == bucket->bucket_id)
        return make_error("duplicate bucket_id " + std::to_string(bucket->bucket_id));
    group.buckets.push_back(std::move(*bucket));
  }
  if (group.type == GroupType::kIndirect && group.buckets.size() != 1)
    return make_error("indirect groups must have exactly one bucket (got " +
                      std::to_string(group.buckets.size()) + ")");
  return group;
}

std::string format_group_spec(const GroupSpec& group) {
  // dump-groups spells fast_failover "ff".
  std::string out = "group_id=" + std::to_string(group.group_id) + ",type=" +
                    (group.type == GroupType::kFastFailover ? std::string("ff")
                                                            : str(to_string(group.type)));
  if (!group.selection_method.empty()) out += ",selection_method=" + group.selection_method;
  if (group.selection_method_param)
    out += ",selection_method_param=" + std::to_string(group.selection_method_param);
  if (group.fields.size() == 1 && group.field_masks.empty()) {
    out += ",fields=" + str(group.fields[0]->name);
  } else if (group.fields.size() > 1) {
    out += ",fields(";
    for (size_t i = 0; i < group.fields.size(); ++i) {
      out += (i ? "," : "") + str(group.fields[i]->name);
      if (i < group.field_masks.size()) {
        FieldValue mask = group.field_masks[i];
        std::memcpy(mask.value, mask.mask, sizeof mask.value);
        out += "=" + format_field_value(mask);
      }
    }
    out += ")";
  }
  for (const GroupBucket& b : group.buckets) {
    out += ",bucket=bucket_id:" + std::to_string(b.bucket_id);
    // As ovs-ofctl: the weight only when it is not the default 1.
    if (group.type == GroupType::kSelect && b.weight != 1) out += ",weight:" + std::to_string(b.weight);
    if (b.watch_port != kOfppAny) out += ",watch_port:" + of_text::format_port(b.watch_port);
    if (b.watch_group != kOfgAny) out += ",watch_group:" + std::to_string(b.watch_group);
    out += ",actions=" + format_of_actions(b.actions);
  }
  return out;
}

// ---- meters ----

namespace {

struct BandText {
  MeterBandSpec band;
  bool have_rate = false;
  bool have_burst_size = false;
};

Status parse_band_item(const KeyValue& kv, std::vector<BandText>& bands) {
  if (kv.key == "type") {
    if (kv.value == "drop") {
      bands.emplace_back();
      return Ok{};
    }
    if (kv.value == "dscp_remark") return make_error("band type dscp_remark is not supported");
    return make_error("unknown band type " + quoted(kv.value) + " (expected drop)");
  }
  if (bands.empty()) return make_error("a band must start with type=");
  BandText& b = bands.back();
  const std::string where = "band #" + std::to_string(bands.size());
  if (kv.key == "rate") {
    if (b.have_rate) return make_error(where + ": duplicate rate");
    auto rate = parse_uint(kv.value, 1, UINT32_MAX, where + " rate");
    if (!rate) return Error{rate.error()};
    b.band.rate = *rate;
    b.have_rate = true;
  } else if (kv.key == "burst_size") {
    if (b.have_burst_size) return make_error(where + ": duplicate burst_size");
    auto burst = parse_uint(kv.value, 1, UINT32_MAX, where + " burst_size");
    if (!burst) return Error{burst.error()};
    b.band.burst_size = *burst;
    b.have_burst_size = true;
  } else {
    return make_error(where + ": unknown keyword " + quoted(kv.key) +
                      " (expected type, rate or burst_size)");
  }
  return Ok{};
}

}  // namespace

Result<MeterSpec> parse_meter_spec(std::string_view text) {
  auto items = of_text::split_key_values(text);
  if (!items) return Error{items.error()};
  MeterSpec meter;
  bool have_id = false, kbps = false, pktps = false, have_bands_key = false;
  std::vector<BandText> bands;
  for (const KeyValue& kv : *items) {
    if (have_bands_key) {
      if (Status s = parse_band_item(kv, bands); !s) return Error{s.error()};
      continue;
    }
    bool flag = kv.delim == '\0';
    if (kv.key == "meter") {
      if (have_id) return make_error("duplicate meter");
      auto id = parse_uint(kv.value, 1, kOfmMax, "meter");
      if (!id) return Error{id.error()};
      meter.meter_id = static_cast<uint32_t>(*id);
      have_id = true;
    } else if (flag && kv.key == "kbps") {
      kbps = true;
    } else if (flag && kv.key == "pktps") {
      pktps = true;
    } else if (flag && kv.key == "burst") {
      meter.burst = true;
    } else if (flag && kv.key == "stats") {
      meter.stats = true;
    } else if (kv.key == "bands" && kv.delim == '=') {
      have_bands_key = true;
      auto first = of_text::split_key_values(kv.value);
      if (!first) return make_error("bands: " + first.error());
      for (const KeyValue& item : *first)
        if (Status s = parse_band_item(item, bands); !s) return Error{s.error()};
    } else {
      return make_error("unknown keyword " + quoted(kv.whole) +
                        " (expected meter=N, kbps, pktps, burst, stats or bands=...)");
    }
  }
  if (!have_id) return make_error("must specify meter=N");
  if (kbps && pktps) return make_error("kbps and pktps are mutually exclusive");
  if (!kbps && !pktps) return make_error("meter must specify either kbps or pktps");
  meter.pktps = pktps;
  if (bands.empty()) return make_error("meter must have bands (bands=type=drop,rate=N)");
  for (size_t i = 0; i < bands.size(); ++i) {
    const std::string where = "band #" + std::to_string(i + 1);
    if (!bands[i].have_rate) return make_error(where + " must have a rate");
    if (bands[i].have_burst_size && !meter.burst)
      return make_error(where + ": burst_size needs the meter's burst flag");
    meter.bands.push_back(bands[i].band);
  }
  return meter;
}

std::string format_meter_spec(const MeterSpec& meter) {
  std::string out = "meter=" + std::to_string(meter.meter_id);
  out += meter.pktps ? ",pktps" : ",kbps";
  if (meter.burst) out += ",burst";
  if (meter.stats) out += ",stats";
  out += ",bands=";
  for (size_t i = 0; i < meter.bands.size(); ++i) {
    if (i) out += ',';
    const MeterBandSpec& band = meter.bands[i];
    out += band.type == OfMeterBandType::kDscpRemark ? "type=dscp_remark" : "type=drop";
    out += ",rate=" + std::to_string(band.rate);
    if (band.burst_size) out += ",burst_size=" + std::to_string(band.burst_size);
    if (band.type == OfMeterBandType::kDscpRemark)
      out += ",prec_level=" + std::to_string(band.prec_level);
  }
  return out;
}

}  // namespace flowpath::openflow
