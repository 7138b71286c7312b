#include "odp/odp_flow.h"

#include <cstring>

#include "common/netlink.h"
#include "odp/odp_key_text.h"

namespace flowpath {

namespace {

Result<ParsedFlow> decode_parsed(OdpKeyAttrs attrs, bool with_mask) {
  auto decoded = decode_key(attrs.key);
  if (!decoded.ok()) return make_error(decoded.error());
  ParsedFlow flow;
  flow.match.key = decoded->key;
  flow.fitness = decoded->fitness;
  flow.fitness_detail = decoded->detail;
  std::span<const uint8_t> mask_span;
  if (with_mask) mask_span = attrs.mask;
  auto mask = decode_mask(mask_span, flow.match.key);
  if (!mask.ok()) return make_error("mask: " + mask.error());
  flow.match.mask = *mask;
  flow.match.normalize();
  flow.key_attrs = std::move(attrs.key);
  flow.mask_attrs = std::move(attrs.mask);
  return flow;
}

}  // namespace

Result<ParsedFlow> parse_flow(std::string_view text) {
  auto attrs = parse_odp_key(text);
  if (!attrs.ok()) return make_error(attrs.error());
  auto flow = decode_parsed(std::move(*attrs), true);
  // In a megaflow an attribute left out is wildcarded, whatever the headers
  // imply: "eth_type(0x0806)" alone matches every ARP packet. That is also
  // how a fully wildcarded attribute prints, so dumps read back as they are.
  if (flow.ok() && flow->fitness == KeyFitness::kTooLittle) {
    flow->fitness = KeyFitness::kPerfect;
    flow->fitness_detail.clear();
  }
  return flow;
}

Result<ParsedFlow> parse_exact_key(std::string_view text) {
  auto attrs = parse_odp_key(text);
  if (!attrs.ok()) return make_error(attrs.error());
  // A key given without masks must not wildcard anything it names.
  OdpKeyAttrs exact{std::move(attrs->key), {}};
  return decode_parsed(std::move(exact), false);
}

std::string format_flow(const Match& match, bool verbose) {
  NetlinkWriter key, mask;
  encode_key(match.key, key, &match.mask);
  encode_mask(match.mask, match.key, mask);
  return format_odp_key(key.bytes(), mask.bytes(), verbose);
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
