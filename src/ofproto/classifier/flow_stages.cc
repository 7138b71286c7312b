#include "ofproto/classifier/flow_stages.h"

#include <bit>

#include "packet/headers.h"

namespace flowpath::ofproto::classifier {

namespace {

constexpr size_t kKey = offsetof(OfFlow, key);

// Stage boundaries fall on word boundaries.
static_assert(offsetof(FlowKey, eth_src) % 8 == 0 && offsetof(FlowKey, ipv4_src) % 8 == 0 &&
              offsetof(FlowKey, tp_src) % 8 == 0 && offsetof(FlowKey, nsh_flags) % 8 == 0 &&
              offsetof(FlowKey, geneve_options) % 8 == 0 && sizeof(FlowKey) % 8 == 0 &&
              kKey % 8 == 0);

constexpr Stage stage_of_offset(size_t offset) {
  if (offset < kKey) return Stage::kMetadata;
  size_t k = offset - kKey;
  if (k < offsetof(FlowKey, eth_src)) return Stage::kMetadata;
  if (k < offsetof(FlowKey, ipv4_src)) return Stage::kL2;
  if (k < offsetof(FlowKey, tp_src)) return Stage::kL3;
  if (k < offsetof(FlowKey, nsh_flags)) return Stage::kL4;
  if (k < offsetof(FlowKey, geneve_options)) return Stage::kL3;  // NSH
  return Stage::kMetadata;  // Geneve options (tunnel), then the pipeline fields
}

constexpr std::array<Stage, OfFlow::kWords> make_stage_table() {
  std::array<Stage, OfFlow::kWords> table{};
  for (size_t w = 0; w < OfFlow::kWords; ++w) table[w] = stage_of_offset(w * 8);
  return table;
}

constexpr std::array<Stage, OfFlow::kWords> kStageOfWord = make_stage_table();

constexpr std::array<PrefixField, kPrefixFields> kPrefixFieldTable = {{
    {"nw_dst", kKey + offsetof(FlowKey, ipv4_dst), 4, ethertype::kIpv4},
    {"nw_src", kKey + offsetof(FlowKey, ipv4_src), 4, ethertype::kIpv4},
    {"ipv6_dst", kKey + offsetof(FlowKey, ipv6_dst), 16, ethertype::kIpv6},
    {"ipv6_src", kKey + offsetof(FlowKey, ipv6_src), 16, ethertype::kIpv6},
}};

}  // namespace

Stage stage_of_word(size_t word) { return kStageOfWord[word]; }

const std::array<PrefixField, kPrefixFields>& prefix_fields() { return kPrefixFieldTable; }

unsigned prefix_length(const OfFlow& mask, const PrefixField& field) {
  const uint8_t* m = mask.bytes() + field.offset;
  unsigned length = 0;
  size_t i = 0;
  for (; i < field.bytes && m[i] == 0xff; ++i) length += 8;
  if (i < field.bytes) {
    uint8_t last = m[i];
    unsigned ones = static_cast<unsigned>(std::countl_one(last));
    if (static_cast<uint8_t>(last << ones) != 0) return 0;  // a hole: not a prefix
    length += ones;
    for (++i; i < field.bytes; ++i)
      if (m[i]) return 0;
  }
  return length;
}

}  // namespace flowpath::ofproto::classifier
