#include "odp/odp_flow.h"

#include <cstring>

#include "common/netlink.h"
#include "odp/odp_key_text.h"
#include "packet/byte_order.h"
#include "packet/headers.h"

namespace flowpath {

namespace {

// An Ethernet key that names no Ethernet II type ("in_port(1),eth()", an
// empty "encap()" after a VLAN tag, or eth_type(0) as the 802.2 marker) is an
// 802.2/802.3 frame, and Open vSwitch's datapath wants the mask to say so
// exactly (eth_type(0/0xffff)): with the EtherType left open it refuses the
// flow ("mask expected for non-Ethernet II frame"). A flow to install must
// fit, so this is reported as a key that fits too little; as a dump filter or
// to find a flow the text still reads as "every EtherType", which is how a
// dump prints such a megaflow (Open vSwitch's too).
void report_open_ethertype(ParsedFlow& flow) {
  const FlowKey& key = flow.match.key;
  const FlowKey& mask = flow.match.mask.bits;
  if (key.md.packet_type != 0 || ntoh16(key.eth_type) >= ethertype::kMin || mask.eth_type != 0) {
    return;
  }
  if (flow.fitness == KeyFitness::kTooLittle) return;
  const bool tagged = key.vlans[0].tci != 0;  // the EtherType is the one inside encap()
  flow.fitness = KeyFitness::kTooLittle;
  flow.fitness_detail = std::string("mask expected for non-Ethernet II frame: ") +
                        (tagged ? "encap() names" : "the key names") +
                        " no EtherType and the mask leaves it open; match 802.2 frames with "
                        "eth_type(0/0xffff), or every frame with an EtherType masked out, "
                        "e.g. eth_type(0x0600/0)";
}

Result<ParsedFlow> decode_parsed(OdpKeyAttrs attrs, bool with_mask, int max_vlan_headers) {
  auto decoded = decode_key(attrs.key, max_vlan_headers);
  if (!decoded.ok()) return make_error(decoded.error());
  ParsedFlow flow;
  flow.match.key = decoded->key;
  flow.fitness = decoded->fitness;
  flow.fitness_detail = decoded->detail;
  std::span<const uint8_t> mask_span;
  if (with_mask) mask_span = attrs.mask;
  auto mask = decode_mask(mask_span, flow.match.key);
  if (!mask.ok()) {
    // A key that fits badly (a tag past the vlan-limit, say) is the cause;
    // the mask only fails to follow it.
    if (flow.fitness != KeyFitness::kPerfect) return make_error(flow.fitness_detail);
    return make_error("mask: " + mask.error());
  }
  flow.match.mask = *mask;
  if (with_mask) report_open_ethertype(flow);
  // The key stays as written, bits outside the mask included: Open vSwitch
  // keeps and dumps it so (the table matches under the mask either way).
  flow.key_attrs = std::move(attrs.key);
  flow.mask_attrs = std::move(attrs.mask);
  return flow;
}

}  // namespace

Result<ParsedFlow> parse_flow(std::string_view text, int max_vlan_headers,
                              const PortNameResolver* ports) {
  auto attrs = parse_odp_key(text, ports);
  if (!attrs.ok()) return make_error(attrs.error());
  // The key's fitness is reported as it is: a flow to install must fit
  // perfectly (Open vSwitch's datapath refuses "eth_type(0x0806)" without
  // arp()), a dump filter need not.
  return decode_parsed(std::move(*attrs), true, max_vlan_headers);
}

Result<ParsedFlow> parse_exact_key(std::string_view text, const PortNameResolver* ports) {
  auto attrs = parse_odp_key(text, ports);
  if (!attrs.ok()) return make_error(attrs.error());
  // A key given without masks must not wildcard anything it names.
  OdpKeyAttrs exact{std::move(attrs->key), {}};
  return decode_parsed(std::move(exact), false, kMaxVlanTags);
}

std::string format_flow(const Match& match, bool verbose, int max_vlan_headers,
                        const PortNumberNames* names) {
  NetlinkWriter key, mask;
  encode_key(match.key, key, &match.mask, max_vlan_headers);
  encode_mask(match.mask, match.key, mask, max_vlan_headers);
  return format_odp_key(key.bytes(), mask.bytes(), verbose, names);
}

std::string format_key(const FlowKey& key) {
  NetlinkWriter attrs;
  encode_key(key, attrs);
  return format_odp_key(attrs.bytes());
}

std::string format_packet_key(const FlowKey& key) {
  Match m{key, minimal_mask(key)};
  // For display, metadata a packet has not been given (zero priority, mark,
  // hash, conntrack state) is left out; recirc_id and in_port always show.
  PacketMetadata& mask = m.mask.bits.md;
  const PacketMetadata& md = key.md;
  if (md.skb_priority == 0) mask.skb_priority = 0;
  if (md.skb_mark == 0) mask.skb_mark = 0;
  if (md.dp_hash == 0) mask.dp_hash = 0;
  if (md.ct_state == 0) {
    mask.ct_state = 0;
    mask.ct_zone = 0;
    mask.ct_mark = 0;
    std::memset(mask.ct_label, 0, sizeof mask.ct_label);
    std::memset(&mask.ct_orig_tuple, 0, sizeof mask.ct_orig_tuple);
  }
  m.normalize();
  return format_flow(m);
}

namespace {

std::string_view trim_blanks(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const size_t last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

}  // namespace

Result<std::pair<std::string_view, std::string_view>> split_flow_line(std::string_view line) {
  line = trim_blanks(line);
  int depth = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if ((c == ' ' || c == '\t') && depth == 0 && i > 0 && line[i - 1] != ',') {
      std::string_view actions = trim_blanks(line.substr(i));
      if (!actions.empty()) return std::pair{line.substr(0, i), actions};
    }
  }
  return make_error("expected \"FLOW ACTIONS\", got \"" + std::string(line) + "\"");
}

}  // namespace flowpath
