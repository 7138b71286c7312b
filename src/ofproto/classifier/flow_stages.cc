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

namespace {

class FieldMap {
 public:
  FieldMap() {
    for (size_t i = 0; i < sizeof(OfFlow); ++i) spans_[i] = FieldSpan{static_cast<uint16_t>(i), 1};
    constexpr size_t md = kKey + offsetof(FlowKey, md);
    constexpr size_t tun = md + offsetof(PacketMetadata, tunnel);
#define FIELD(base, type, member) add(base + offsetof(type, member), sizeof(type::member))
    FIELD(tun, TunnelMetadata, tun_id);
    FIELD(tun, TunnelMetadata, ipv4_src);
    FIELD(tun, TunnelMetadata, ipv4_dst);
    FIELD(tun, TunnelMetadata, ipv6_src);
    FIELD(tun, TunnelMetadata, ipv6_dst);
    FIELD(tun, TunnelMetadata, tp_src);
    FIELD(tun, TunnelMetadata, tp_dst);
    FIELD(tun, TunnelMetadata, flags);
    FIELD(tun, TunnelMetadata, gbp_id);
    FIELD(tun, TunnelMetadata, erspan_index);
    FIELD(md, PacketMetadata, in_port);
    FIELD(md, PacketMetadata, skb_priority);
    FIELD(md, PacketMetadata, skb_mark);
    FIELD(md, PacketMetadata, recirc_id);
    FIELD(md, PacketMetadata, dp_hash);
    FIELD(md, PacketMetadata, ct_state);
    FIELD(md, PacketMetadata, ct_zone);
    FIELD(md, PacketMetadata, ct_mark);
    FIELD(md, PacketMetadata, ct_label);
    FIELD(md, PacketMetadata, packet_type);
    FIELD(kKey, FlowKey, eth_src);
    FIELD(kKey, FlowKey, eth_dst);
    FIELD(kKey, FlowKey, eth_type);
    for (int i = 0; i < kMaxVlanTags; ++i) {
      add(kKey + offsetof(FlowKey, vlans) + i * sizeof(VlanTag) + offsetof(VlanTag, tpid), 2);
      add(kKey + offsetof(FlowKey, vlans) + i * sizeof(VlanTag) + offsetof(VlanTag, tci), 2);
    }
    for (int i = 0; i < kMaxMplsLabels; ++i) add(kKey + offsetof(FlowKey, mpls_lse) + 4 * i, 4);
    FIELD(kKey, FlowKey, ipv4_src);
    FIELD(kKey, FlowKey, ipv4_dst);
    FIELD(kKey, FlowKey, ipv6_src);
    FIELD(kKey, FlowKey, ipv6_dst);
    FIELD(kKey, FlowKey, ipv6_label);
    FIELD(kKey, FlowKey, arp_sha);
    FIELD(kKey, FlowKey, arp_tha);
    FIELD(kKey, FlowKey, arp_op);
    FIELD(kKey, FlowKey, tp_src);
    FIELD(kKey, FlowKey, tp_dst);
    FIELD(kKey, FlowKey, tcp_flags);
    FIELD(kKey, FlowKey, nd_target);
    FIELD(kKey, FlowKey, nd_sll);
    FIELD(kKey, FlowKey, nd_tll);
    FIELD(kKey, FlowKey, nd_reserved);
    FIELD(kKey, FlowKey, nsh_path_hdr);
    for (int i = 0; i < 4; ++i) add(kKey + offsetof(FlowKey, nsh_context) + 4 * i, 4);
#undef FIELD
    add(offsetof(OfFlow, metadata), sizeof(OfFlow::metadata));
    for (int i = 0; i < openflow::kNumRegisters; ++i) add(offsetof(OfFlow, regs) + 4 * i, 4);
  }
  FieldSpan at(size_t offset) const { return spans_[offset]; }

 private:
  void add(size_t offset, size_t bytes) {
    for (size_t i = offset; i < offset + bytes; ++i)
      spans_[i] = FieldSpan{static_cast<uint16_t>(offset), static_cast<uint8_t>(bytes)};
  }
  std::array<FieldSpan, sizeof(OfFlow)> spans_{};
};

}  // namespace

FieldSpan field_at(size_t offset) {
  static const FieldMap map;
  return map.at(offset);
}

bool is_protocol_byte(size_t offset) {
  if (offset < kKey) return false;
  size_t k = offset - kKey;
  auto in = [k](size_t begin, size_t size) { return k >= begin && k < begin + size; };
  if (in(offsetof(FlowKey, eth_type), 2) || in(offsetof(FlowKey, nw_proto), 1) ||
      in(offsetof(FlowKey, nw_frag), 1))
    return true;
  for (int i = 0; i < kMaxVlanTags; ++i)
    if (in(offsetof(FlowKey, vlans) + i * sizeof(VlanTag) + offsetof(VlanTag, tpid), 2)) return true;
  return false;
}

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
