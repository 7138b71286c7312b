// Group buckets and properties (see group_buckets.h).
#include "openflow/wire/group_buckets.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "openflow/nxm_field.h"
#include "openflow/wire/action_codec.h"
#include "openflow/wire/nxm_entry.h"
#include "openflow/wire/ofp_property.h"
#include "openflow/wire/port_desc.h"

namespace flowpath::openflow::wire {

namespace {

constexpr size_t kOfp11BucketLen = 16;
constexpr size_t kOfp15BucketLen = 8;
constexpr uint16_t kBucketPropWeight = 0;      // OFPGBPT15_WEIGHT
constexpr uint16_t kBucketPropWatchPort = 1;   // OFPGBPT15_WATCH_PORT
constexpr uint16_t kBucketPropWatchGroup = 2;  // OFPGBPT15_WATCH_GROUP
constexpr uint32_t kNtrVendorId = 0x0000154d;
constexpr uint32_t kNtrCompatVendorId = 0x00001540;  // Open vSwitch 2.4's wrong id
constexpr uint32_t kNtrSelectionMethod = 1;
constexpr size_t kSelectionMethodLen = 16;
// The selection-method body after the experimenter header: pad, method,
// parameter.
constexpr size_t kSelectionMethodBody = 4 + kSelectionMethodLen + 8;
constexpr uint8_t kRawSelect = 1;

OfpError bad_bucket(const std::string& detail) {
  return wire_error(OfpErrorCode::OFPGMFC_BAD_BUCKET, "group bucket: " + detail);
}

WireResult<uint32_t> watch_port(uint32_t port) {
  auto p = port_from_ofp11(port, "group bucket watch_port");
  if (!p.ok()) return wire_error(OfpErrorCode::OFPGMFC_BAD_WATCH, p.error().detail);
  return *p;
}

WireResult<GroupBucket> decode_ofp11_bucket(WireReader& r, uint8_t version, uint32_t index) {
  if (r.remaining() < kOfp11BucketLen)
    return bad_bucket("buckets end with " + std::to_string(r.remaining()) + " leftover bytes");
  const uint8_t* p = r.peek();
  const size_t len = get_u16(p);
  if (len < kOfp11BucketLen)
    return bad_bucket("bucket length " + std::to_string(len) + " is below 16");
  if (len > r.remaining())
    return bad_bucket("bucket length " + std::to_string(len) + " exceeds the " +
                      std::to_string(r.remaining()) + " bytes of buckets left");
  GroupBucket b;
  b.bucket_id = index;
  b.weight = get_u16(p + 2);
  WIRE_TRY_ASSIGN(actions_bytes, r.pull(len, "bucket"));
  WIRE_TRY_ASSIGN(actions, decode_actions(actions_bytes.subspan(kOfp11BucketLen), version));
  WIRE_TRY_ASSIGN(port, watch_port(get_u32(p + 4)));
  b.watch_port = port;
  b.watch_group = get_u32(p + 8);
  b.actions = std::move(actions);
  return b;
}

WireResult<GroupBucket> decode_ofp15_bucket(WireReader& r, uint8_t version, uint8_t raw_type) {
  if (r.remaining() < kOfp15BucketLen)
    return bad_bucket("buckets end with " + std::to_string(r.remaining()) + " leftover bytes");
  const uint8_t* p = r.peek();
  const size_t len = get_u16(p);
  const size_t actions_len = get_u16(p + 2);
  if (len < kOfp15BucketLen)
    return bad_bucket("bucket length " + std::to_string(len) + " is below 8");
  if (len > r.remaining())
    return bad_bucket("bucket length " + std::to_string(len) + " exceeds the " +
                      std::to_string(r.remaining()) + " bytes of buckets left");
  if (actions_len > len - kOfp15BucketLen)
    return bad_bucket("actions length " + std::to_string(actions_len) +
                      " exceeds the bucket's " + std::to_string(len - kOfp15BucketLen) + " bytes");
  GroupBucket b;
  b.bucket_id = get_u32(p + 4);
  WIRE_TRY_ASSIGN(bytes, r.pull(len, "bucket"));
  WIRE_TRY_ASSIGN(actions, decode_actions(bytes.subspan(kOfp15BucketLen, actions_len), version));
  b.actions = std::move(actions);
  uint16_t weight = raw_type == kRawSelect ? 1 : 0;
  uint32_t port = 0xffffffff, group = 0xffffffff;
  PropertyReader props(bytes.subspan(kOfp15BucketLen + actions_len), "group bucket property");
  while (!props.empty()) {
    WIRE_TRY_ASSIGN(prop, props.next());
    if (prop.type == kBucketPropWeight) {
      WIRE_TRY_ASSIGN(v, props.u16(prop));
      weight = v;
    } else if (prop.type == kBucketPropWatchPort) {
      WIRE_TRY_ASSIGN(v, props.u32(prop));
      port = v;
    } else if (prop.type == kBucketPropWatchGroup) {
      WIRE_TRY_ASSIGN(v, props.u32(prop));
      group = v;
    } else {
      WIRE_TRY(props.unknown(prop, false));
    }
  }
  b.weight = weight;
  WIRE_TRY_ASSIGN(watch, watch_port(port));
  b.watch_port = watch;
  b.watch_group = group;
  if (b.bucket_id > kBucketMax)
    return bad_bucket("bucket id " + std::to_string(b.bucket_id) + " is out of range");
  return b;
}

// The weight a bucket carries on the wire: Open vSwitch gives only select
// groups' buckets one.
uint16_t wire_weight(const GroupBucket& b, GroupType type) {
  return type == GroupType::kSelect ? b.weight : 0;
}

NxmNumber load_be(ByteView bytes) {
  NxmNumber v = 0;
  for (uint8_t b : bytes) v = (v << 8) | b;
  return v;
}

// The fields a selection method hashes: OXM entries without mask whose
// value says which bits count.
WireStatus decode_selection_fields(ByteView bytes, GroupSpec& group) {
  WireReader r(bytes, OfpErrorCode::OFPBMC_BAD_LEN, "selection method fields");
  std::vector<FieldValue> masks;
  bool any_partial = false;
  while (!r.empty()) {
    WIRE_TRY_ASSIGN(nxm, pull_nxm_header(r, NxmContext::kMatch));
    WIRE_TRY_ASSIGN(payload, r.pull(nxm->payload_bytes, std::string(nxm->name)));
    const OfFieldInfo& field = *nxm->field;
    for (const OfFieldInfo* seen : group.fields)
      if (seen == &field)
        return wire_error(OfpErrorCode::OFPBMC_DUP_FIELD,
                          "selection method fields: " + std::string(nxm->name) + " appears twice");
    const unsigned bits = nxm_value_bits(field);
    const NxmNumber all = field_internal::low_bits(bits);
    const NxmNumber mask = load_be(payload) & all;
    if (!field.maskable && mask && mask != all)
      return wire_error(OfpErrorCode::OFPBMC_BAD_MASK, "selection method fields: " +
                                                           std::string(nxm->name) +
                                                           " takes no partial mask");
    FieldValue fv;
    fv.field = &field;
    store_nxm_mask_number(field, mask, fv.mask);
    any_partial |= mask != all;
    group.fields.push_back(&field);
    masks.push_back(fv);
  }
  if (any_partial) group.field_masks = std::move(masks);
  return Ok{};
}

WireStatus decode_selection_method(const Property& prop, uint8_t raw_type, bool allows_method,
                                   GroupSpec& group) {
  if (raw_type != kRawSelect) {
    WIRE_TRY(group_type_from_wire(raw_type));
    return wire_error(OfpErrorCode::OFPBPC_BAD_VALUE,
                      "group property: a selection method is only for select groups");
  }
  if (!allows_method)
    return wire_error(OfpErrorCode::OFPBPC_BAD_VALUE,
                      "group property: a selection method is only for adding and modifying "
                      "groups");
  if (prop.body.size() < kSelectionMethodBody)
    return wire_error(OfpErrorCode::OFPBPC_BAD_LEN,
                      "group property: selection method of " +
                          std::to_string(prop.body.size() + 12) + " bytes");
  const uint8_t* method = prop.body.data() + 4;
  size_t n = 0;
  while (n < kSelectionMethodLen && method[n]) ++n;
  if (n == kSelectionMethodLen)
    return wire_error(OfpErrorCode::OFPBPC_BAD_VALUE,
                      "group property: selection method is not NUL-terminated");
  std::string name(reinterpret_cast<const char*>(method), n);
  if (name != "hash" && name != "dp_hash")
    return wire_error(OfpErrorCode::OFPBPC_BAD_VALUE,
                      "group property: selection method '" + name + "' is not supported");
  group.selection_method = name;
  group.selection_method_param = get_u64(prop.body.data() + 4 + kSelectionMethodLen);
  ByteView fields = prop.body.subspan(kSelectionMethodBody);
  if (!fields.empty() && name != "hash")
    return wire_error(OfpErrorCode::OFPBPC_BAD_VALUE,
                      "group property: selection method " + name + " takes no fields");
  return decode_selection_fields(fields, group);
}

}  // namespace

WireResult<GroupType> group_type_from_wire(uint8_t raw_type) {
  if (raw_type > 3)
    return wire_error(OfpErrorCode::OFPGMFC_BAD_TYPE,
                      "group type " + std::to_string(raw_type) + " is unknown");
  return static_cast<GroupType>(raw_type);
}

WireResult<std::vector<GroupBucket>> decode_buckets(ByteView bytes, uint8_t version,
                                                    uint8_t raw_type) {
  WireReader r(bytes, OfpErrorCode::OFPGMFC_BAD_BUCKET, "group bucket");
  std::vector<GroupBucket> buckets;
  while (!r.empty()) {
    if (uses_ofp15_buckets(version)) {
      WIRE_TRY_ASSIGN(b, decode_ofp15_bucket(r, version, raw_type));
      buckets.push_back(std::move(b));
    } else {
      WIRE_TRY_ASSIGN(b, decode_ofp11_bucket(r, version, static_cast<uint32_t>(buckets.size())));
      buckets.push_back(std::move(b));
    }
  }
  if (uses_ofp15_buckets(version)) {
    for (size_t i = 0; i < buckets.size(); ++i)
      for (size_t j = 0; j < i; ++j)
        if (buckets[i].bucket_id == buckets[j].bucket_id)
          return bad_bucket("bucket id " + std::to_string(buckets[i].bucket_id) +
                            " appears twice");
  }
  return buckets;
}

void encode_buckets(WireWriter& w, const std::vector<GroupBucket>& buckets, GroupType type,
                    uint8_t version) {
  for (const GroupBucket& b : buckets) {
    const size_t start = w.size();
    if (!uses_ofp15_buckets(version)) {
      w.put_u16(0);
      w.put_u16(wire_weight(b, type));
      w.put_u32(b.watch_port);
      w.put_u32(b.watch_group);
      w.put_zeros(4);
      encode_actions(w, b.actions, version);
      w.patch_length16(start, start);
      continue;
    }
    w.put_zeros(4);
    w.put_u32(b.bucket_id);
    const size_t actions_start = w.size();
    encode_actions(w, b.actions, version);
    w.patch_u16(start + 2, static_cast<uint16_t>(w.size() - actions_start));
    if (type == GroupType::kSelect) put_property_u16(w, kBucketPropWeight, b.weight);
    if (b.watch_port != kOfppAny) put_property_u32(w, kBucketPropWatchPort, b.watch_port);
    if (b.watch_group != kOfgAny) put_property_u32(w, kBucketPropWatchGroup, b.watch_group);
    w.patch_length16(start, start);
  }
}

WireStatus decode_group_properties(ByteView bytes, uint8_t raw_type, bool allows_method,
                                   GroupSpec& group) {
  PropertyReader props(bytes, "group property");
  while (!props.empty()) {
    WIRE_TRY_ASSIGN(prop, props.next());
    if (prop.type == 0xffff &&
        (prop.experimenter == kNtrVendorId || prop.experimenter == kNtrCompatVendorId) &&
        prop.exp_type == kNtrSelectionMethod) {
      WIRE_TRY(decode_selection_method(prop, raw_type, allows_method, group));
    } else {
      WIRE_TRY(props.unknown(prop, false));
    }
  }
  return Ok{};
}

void encode_group_properties(WireWriter& w, const GroupSpec& group, uint8_t version) {
  if (group.selection_method.empty()) return;
  const size_t start = start_experimenter_property(w, kNtrVendorId, kNtrSelectionMethod);
  w.put_zeros(4);
  w.put_string(group.selection_method, kSelectionMethodLen);
  w.put_u64(group.selection_method_param);
  // Fields in Open vSwitch's field order, whatever order the text gave.
  std::vector<size_t> order(group.fields.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return group.fields[a] < group.fields[b]; });
  for (size_t i : order) {
    const OfFieldInfo& field = *group.fields[i];
    const NxmField* nxm = nxm_field_for(field, version);
    if (!nxm) continue;  // refused by group_encoding_problem()
    const NxmNumber all = field_internal::low_bits(nxm_value_bits(*nxm->field));
    NxmNumber mask = all;
    if (i < group.field_masks.size()) mask = nxm_mask_number(field, group.field_masks[i].mask);
    put_nxm_numbers(w, *nxm, mask & all, nullptr);
  }
  end_property(w, start);
}

}  // namespace flowpath::openflow::wire
