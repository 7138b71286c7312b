// libFuzzer target for the OpenFlow text syntax of ovs-ofctl and ovs-vsctl:
// matches and flow mods, actions, groups, meters and add-port settings.
// The first byte picks the parser. Whatever parses must print, and the
// printed text must parse back to something that prints the same (and, for
// matches, to the same match).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ofproto/bridge_config.h"
#include "openflow/flow_mod.h"
#include "openflow/of_action.h"
#include "openflow/of_group.h"

namespace {

using namespace flowpath::openflow;
using namespace flowpath::ofproto;  // the bridge and port settings

[[noreturn]] void fail(const char* what, const std::string& a, const std::string& b) {
  std::fprintf(stderr, "%s\n  first:  %s\n  second: %s\n", what, a.c_str(), b.c_str());
  std::abort();
}

std::optional<uint32_t> resolve(std::string_view name) {
  if (name == "eth0") return 1;
  if (name == "uplink") return 7;
  return std::nullopt;
}

void check_match(std::string_view text) {
  auto m = parse_of_match(text, resolve);
  if (!m) return;
  std::string printed = format_of_match(*m);
  auto again = parse_of_match(printed, resolve);
  if (!again) fail("printed match does not parse", printed, again.error());
  if (!(*again == *m)) fail("reparsed match differs", printed, format_of_match(*again));
}

void check_flow_mod(std::string_view text) {
  auto f = parse_flow_mod(text, FlowModCommand::kAdd, resolve);
  if (!f) return;
  std::string printed = "table=" + std::to_string(f->table) +
                        ",priority=" + std::to_string(f->priority);
  std::string match = format_of_match(f->match);
  if (!match.empty()) printed += "," + match;
  printed += ",actions=" + format_of_actions(f->actions);
  auto again = parse_flow_mod(printed, FlowModCommand::kAdd, resolve);
  if (!again) fail("printed flow does not parse", printed, again.error());
  if (!(again->match == f->match) || again->priority != f->priority || again->table != f->table)
    fail("reparsed flow differs", printed, format_of_match(again->match));
  if (format_of_actions(again->actions) != format_of_actions(f->actions))
    fail("reparsed actions differ", format_of_actions(f->actions), format_of_actions(again->actions));
  for (auto command : {FlowModCommand::kDelete, FlowModCommand::kFilter, FlowModCommand::kModify})
    (void)parse_flow_mod(text, command, resolve);  // must not crash
}

void check_actions(std::string_view text) {
  auto a = parse_of_actions(text, resolve);
  if (!a) return;
  std::string printed = format_of_actions(*a);
  auto again = parse_of_actions(printed, resolve);
  if (!again) fail("printed actions do not parse", printed, again.error());
  if (format_of_actions(*again) != printed)
    fail("reprinted actions differ", printed, format_of_actions(*again));
}

void check_group(std::string_view text) {
  auto g = parse_group_spec(text, resolve);
  if (!g) return;
  std::string printed = format_group_spec(*g);
  auto again = parse_group_spec(printed, resolve);
  if (!again) fail("printed group does not parse", printed, again.error());
  if (format_group_spec(*again) != printed)
    fail("reprinted group differs", printed, format_group_spec(*again));
}

void check_meter(std::string_view text) {
  auto m = parse_meter_spec(text);
  if (!m) return;
  std::string printed = format_meter_spec(*m);
  auto again = parse_meter_spec(printed);
  if (!again) fail("printed meter does not parse", printed, again.error());
  if (format_meter_spec(*again) != printed)
    fail("reprinted meter differs", printed, format_meter_spec(*again));
}

void check_port_settings(std::string_view text) {
  std::vector<std::string> words;
  size_t start = 0;
  while (start <= text.size()) {
    size_t space = text.find(' ', start);
    words.emplace_back(text.substr(start, space == std::string_view::npos ? std::string_view::npos
                                                                            : space - start));
    if (space == std::string_view::npos) break;
    start = space + 1;
  }
  if (words.empty()) return;
  std::string name = words.front();
  words.erase(words.begin());
  auto p = parse_port_settings(name, words);
  if (!p) return;
  (void)p->vport_spec();
  (void)p->effective_vlan_mode();
  for (uint16_t vlan : {0, 1, 10, 4095}) {
    if (port_carries_vlan(*p, vlan)) (void)output_tagged(*p, vlan);
    (void)input_vlan(*p, vlan);
  }
  (void)input_vlan(*p, std::nullopt);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 6) {
    case 0: check_match(text); break;
    case 1: check_flow_mod(text); break;
    case 2: check_actions(text); break;
    case 3: check_group(text); break;
    case 4: check_meter(text); break;
    case 5: check_port_settings(text); break;
  }
  return 0;
}
