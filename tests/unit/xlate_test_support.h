// The translation test fixture: a bridge state with ports, rules and groups
// added from ovs-ofctl text, and run() translating an ODP key into datapath
// actions and the megaflow, both as text, with the trace.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "odp/odp_action_text.h"
#include "odp/odp_flow.h"
#include "ofproto/bridge_state.h"
#include "ofproto/rule_batch.h"
#include "openflow/flow_mod.h"
#include "openflow/of_group.h"
#include "ofproto/xlate.h"

namespace flowpath::ofproto {

class XlateTest : public ::testing::Test {
 protected:
  XlateTest() {
    state_.name = "br0";
    add_port(0, "br0");
  }

  void add_port(uint32_t dp_port, const std::string& name, std::vector<std::string> settings = {}) {
    auto config = parse_port_settings(name, settings);
    ASSERT_TRUE(config.ok()) << config.error();
    BridgePort port;
    port.config = *config;
    port.config.ofport = dp_port;
    port.dp_port = dp_port;
    state_.ports[dp_port] = port;
  }

  void add_rule(const std::string& text) {
    auto spec = parse_flow_mod(text, FlowModCommand::kAdd);
    ASSERT_TRUE(spec.ok()) << text << ": " << spec.error();
    auto rule = std::make_shared<Rule>();
    rule->table = spec->table;
    rule->priority = spec->priority;
    rule->cookie = spec->cookie;
    rule->match = spec->match;
    rule->actions = spec->actions;
    rule->sequence = state_.next_rule_sequence++;
    std::lock_guard lock(state_.tables.mutex());
    RuleBatch batch(state_.tables);
    batch.add(std::move(rule));
    batch.commit();
  }

  void add_group(const std::string& text) {
    auto spec = parse_group_spec(text);
    ASSERT_TRUE(spec.ok()) << text << ": " << spec.error();
    auto entry = std::make_shared<GroupEntry>();
    entry->spec = *spec;
    state_.groups[spec->group_id] = entry;
  }

  static FlowKey key(const std::string& odp) {
    auto parsed = parse_exact_key(odp);
    EXPECT_TRUE(parsed.ok()) << odp << ": " << (parsed.ok() ? "" : parsed.error());
    return parsed.ok() ? parsed->match.key : FlowKey{};
  }

  struct Out {
    std::string actions;
    std::string megaflow;
    XlateResult result;
  };
  Out run(const std::string& odp, bool learn = true) {
    FlowKey k = key(odp);
    XlateOptions options;
    options.may_learn = learn;
    options.now_ms = now_ms_;
    std::vector<std::string> trace;
    options.trace = &trace;
    Out out;
    out.result = translate(state_, k, options);
    out.actions = format_odp_actions(out.result.odp_actions);
    Match m{k, out.result.mask};
    m.normalize();
    out.megaflow = format_flow(m);
    last_trace_.clear();
    for (auto& line : trace) last_trace_ += line + "\n";
    return out;
  }

  static std::string udp_packet(int in_port, const std::string& src_mac, const std::string& dst_mac,
                                const std::string& src_ip, const std::string& dst_ip, int sport,
                                int dport) {
    return "in_port(" + std::to_string(in_port) + "),eth(src=" + src_mac + ",dst=" + dst_mac +
           "),eth_type(0x0800),ipv4(src=" + src_ip + ",dst=" + dst_ip +
           ",proto=17,tos=0,ttl=64,frag=no),udp(src=" + std::to_string(sport) +
           ",dst=" + std::to_string(dport) + ")";
  }
  static std::string tcp_packet(int in_port, const std::string& dst_ip, int dport) {
    return "in_port(" + std::to_string(in_port) +
           "),eth(src=00:00:00:00:00:01,dst=00:00:00:00:00:02),eth_type(0x0800),ipv4(src=10.0.0.1,"
           "dst=" + dst_ip + ",proto=6,tos=0,ttl=64,frag=no),tcp(src=40000,dst=" +
           std::to_string(dport) + ")";
  }

  BridgeState state_;
  uint64_t now_ms_ = 1000;
  std::string last_trace_;
};

}  // namespace flowpath::ofproto
