// parse_of_actions / format_of_actions: every action of the ovs-ofctl syntax,
// its canonical printed form, the round trip, and every error path.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <type_traits>

#include "openflow/of_action.h"
#include "openflow/of_text_internal.h"
#include "ovs_ofctl_peer.h"

namespace flowpath::openflow {
namespace {

// How flowpath prints actions differently from Open vSwitch, on purpose
// (docs/openflow-syntax.md says the same). Every other input must print as
// `ovs-ofctl parse-flow` prints it.
constexpr const char* kPortNames =
    "port names come from the bridge, and ovs-ofctl parse-flow has none to ask";
constexpr const char* kOneTtlAction =
    "one action writes the TTL, printed as set_field:N->nw_ttl (Open vSwitch reads it back)";
constexpr const char* kTpWithoutMatch =
    "printed without the rule's match: tp_src/tp_dst stand for TCP, UDP and SCTP alike";
constexpr const char* kPartialLoad =
    "nw_ttl, ip_dscp and mpls_label take no mask in set_field (OpenFlow 1.5); a partial "
    "write prints as load:, which both read";
constexpr const char* kVlanOf10 =
    "OpenFlow 1.0's VLAN actions are kept with their names: mod_vlan_* push a tag only when "
    "there is none, set_vlan_* change an existing tag only; Open vSwitch rewrites them for "
    "OpenFlow 1.5 into actions that do not say so";
const std::vector<ovs_peer::Deliberate> kDeliberate = {
    {"0xffffff00", "",
     "flowpath's ports are OpenFlow 1.1 numbers, 1 to OFPP_MAX (0xffffff00); Open vSwitch's "
     "end at 0xfeff"},
    {"output:eth0", "", kPortNames},
    {"eth0,br-uplink", "", kPortNames},
    {"output(port=eth0,max_len=14)", "", kPortNames},
    {"set_field:eth0->in_port", "", kPortNames},
    {"resubmit:eth0", "", kPortNames},
    {"mod_nw_ttl:64", "mod_nw_ttl:64", kOneTtlAction},
    {"set_nw_ttl:1", "mod_nw_ttl:1", kOneTtlAction},
    {"mod_tp_src:80", "set_field:80->tcp_src", kTpWithoutMatch},
    {"mod_tp_dst:443", "set_field:443->tcp_dst", kTpWithoutMatch},
    {"load:0xfffffffe->NXM_OF_IN_PORT[]", "",
     "in_port is 32 bits under all its names; Open vSwitch's NXM_OF_IN_PORT is 16 bits"},
    {"load:0x12345->OXM_OF_MPLS_LABEL[]", "set_field:74565/0xfffff->mpls_label",
     "a write of the whole field prints no mask"},
    {"load:3->NXM_NX_IP_TTL[0..1]", "set_field:3/0x3->nw_ttl", kPartialLoad},
    {"load:5->OXM_OF_IP_DSCP[0..2]", "set_field:5/0x7->ip_dscp", kPartialLoad},
    {"load:0x7->OXM_OF_MPLS_LABEL[16..19]", "set_field:458752/0xf0000->mpls_label", kPartialLoad},
    {"mod_vlan_vid:10", "push_vlan:0x8100,set_field:4106->vlan_vid", kVlanOf10},
    {"mod_vlan_vid:0xfff", "push_vlan:0x8100,set_field:8191->vlan_vid", kVlanOf10},
    {"set_vlan_vid:0", "set_field:4096->vlan_vid", kVlanOf10},
    {"mod_vlan_pcp:7", "push_vlan:0x8100,set_field:7->vlan_pcp", kVlanOf10},
    {"set_vlan_pcp:5", "set_field:5->vlan_pcp", kVlanOf10},
    {"resubmit( 2 , 3 )", "", "blanks around resubmit's arguments are allowed"},
    {"set_vlan_vid:11", "set_field:4107->vlan_vid", kVlanOf10},
    {"mod_vlan_pcp:3", "push_vlan:0x8100,set_field:3->vlan_pcp", kVlanOf10},
    {"set_vlan_pcp:4", "set_field:4->vlan_pcp", kVlanOf10},
    {"load:0x3->nw_ttl[0..1]", "set_field:3/0x3->nw_ttl", kPartialLoad},
};

std::optional<uint32_t> test_ports(std::string_view name) {
  if (name == "eth0") return 7;
  if (name == "br-uplink") return 12;
  return std::nullopt;
}

// ---- structural equality of actions (the structs have no operator==) ----

bool eq(const action::Output& a, const action::Output& b) {
  return a.port == b.port && a.max_len == b.max_len;
}
bool eq(const action::Controller& a, const action::Controller& b) {
  return a.max_len == b.max_len && a.reason == b.reason && a.controller_id == b.controller_id;
}
bool eq(const action::SetField& a, const action::SetField& b) {
  if (a.field.field != b.field.field) return false;
  unsigned n = a.field.field->bytes;
  return std::memcmp(a.field.value, b.field.value, n) == 0 &&
         std::memcmp(a.field.mask, b.field.mask, n) == 0;
}
bool eq(const action::SetVlanVid& a, const action::SetVlanVid& b) {
  return a.vid == b.vid && a.push_if_absent == b.push_if_absent;
}
bool eq(const action::SetVlanPcp& a, const action::SetVlanPcp& b) {
  return a.pcp == b.pcp && a.push_if_absent == b.push_if_absent;
}
bool eq(const action::PushVlan& a, const action::PushVlan& b) { return a.tpid == b.tpid; }
bool eq(const action::PushMpls& a, const action::PushMpls& b) { return a.ethertype == b.ethertype; }
bool eq(const action::PopMpls& a, const action::PopMpls& b) { return a.ethertype == b.ethertype; }
bool eq(const action::SetMplsTtl& a, const action::SetMplsTtl& b) { return a.ttl == b.ttl; }
bool eq(const action::Resubmit& a, const action::Resubmit& b) {
  return a.in_port == b.in_port && a.table == b.table;
}
bool eq(const action::GotoTable& a, const action::GotoTable& b) { return a.table == b.table; }
bool eq(const action::WriteMetadata& a, const action::WriteMetadata& b) {
  return a.value == b.value && a.mask == b.mask;
}
bool eq(const action::Group& a, const action::Group& b) { return a.group_id == b.group_id; }
bool eq(const action::Meter& a, const action::Meter& b) { return a.meter_id == b.meter_id; }
template <typename T>
  requires std::is_empty_v<T>
bool eq(const T&, const T&) {
  return true;
}
template <typename T>
  requires(!std::is_empty_v<T>)
bool eq(const T& a, const T& b) {
  return a == b;
}

bool same(const std::vector<OfAction>& a, const std::vector<OfAction>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].index() != b[i].index()) return false;
    bool equal = std::visit(
        [&](const auto& x) { return eq(x, std::get<std::decay_t<decltype(x)>>(b[i])); }, a[i]);
    if (!equal) return false;
  }
  return true;
}

// ---- helpers ----

std::vector<OfAction> parse(std::string_view text) {
  auto r = parse_of_actions(text, test_ports);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error());
  return r.ok() ? *r : std::vector<OfAction>{};
}

OfAction parse_one(std::string_view text) {
  auto actions = parse(text);
  EXPECT_EQ(actions.size(), 1u) << text;
  return actions.empty() ? OfAction{action::DecTtl{}} : actions[0];
}

std::string error_of(std::string_view text) {
  auto r = parse_of_actions(text, test_ports);
  EXPECT_FALSE(r.ok()) << text << " parsed but should not have";
  return r.ok() ? "" : r.error();
}

// `text` prints as `canonical`, and the canonical text reads back to the
// same actions and prints the same again; Open vSwitch prints `text` the
// same way too, unless kDeliberate says why not.
void expect_canonical(std::string_view text, std::string_view canonical, bool with_ovs = true) {
  auto first = parse(text);
  std::string printed = format_of_actions(first);
  EXPECT_EQ(printed, canonical) << "from " << text;
  auto again = parse(printed);
  EXPECT_TRUE(same(first, again)) << text << " -> " << printed << " does not read back";
  EXPECT_EQ(format_of_actions(again), printed);
  if (with_ovs)
    ovs_peer::expect_agrees_with_ovs("actions", text, printed, ovs_peer::ovs_actions(text),
                                   kDeliberate);
}

OfFlow applied(const action::SetField& sf, uint8_t fill = 0) {
  OfFlow flow;
  flow.clear();
  std::memset(flow.bytes() + sf.field.field->offset, fill, sf.field.field->bytes);
  sf.field.apply_to(flow);
  return flow;
}

#define EXPECT_ERROR(text, substring)                                            \
  do {                                                                           \
    std::string err_ = error_of(text);                                           \
    EXPECT_NE(err_.find(substring), std::string::npos)                           \
        << "input: " << (text) << "\n  error: " << err_ << "\n  expected: " << (substring); \
  } while (0)

// ---- the list splitter ----

TEST(OfTextSplit, KeysValuesAndNesting) {
  auto r = of_text::split_key_values(" a:1, b=2 c(d(e),f)\tg ,, h:(x,y)z");
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r->size(), 5u);
  EXPECT_EQ((*r)[0].key, "a");
  EXPECT_EQ((*r)[0].delim, ':');
  EXPECT_EQ((*r)[0].value, "1");
  EXPECT_EQ((*r)[1].key, "b");
  EXPECT_EQ((*r)[1].delim, '=');
  EXPECT_EQ((*r)[2].key, "c");
  EXPECT_EQ((*r)[2].delim, '(');
  EXPECT_EQ((*r)[2].value, "d(e),f");
  EXPECT_EQ((*r)[2].whole, "c(d(e),f)");
  EXPECT_EQ((*r)[3].key, "g");
  EXPECT_EQ((*r)[3].delim, '\0');
  EXPECT_EQ((*r)[4].value, "(x,y)z");
}

TEST(OfTextSplit, Errors) {
  auto missing = of_text::split_key_values("a(b(c)");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("missing a closing ')'"), std::string::npos) << missing.error();
  auto extra = of_text::split_key_values("a:b)");
  ASSERT_FALSE(extra.ok());
  EXPECT_NE(extra.error().find("unbalanced ')'"), std::string::npos) << extra.error();
  auto bare = of_text::split_key_values("x),y");
  ASSERT_FALSE(bare.ok());
  EXPECT_NE(bare.error().find("unbalanced ')'"), std::string::npos) << bare.error();
  auto junk = of_text::split_key_values("a(b)c");
  ASSERT_FALSE(junk.ok());
  EXPECT_NE(junk.error().find("unexpected \"c\" after \"a(b)\""), std::string::npos)
      << junk.error();
  auto nameless = of_text::split_key_values(":1");
  ASSERT_FALSE(nameless.ok());
  EXPECT_NE(nameless.error().find("missing name before ':'"), std::string::npos);
}

// ---- output ----

TEST(OfActionParse, OutputForms) {
  auto a = parse_one("output:2");
  ASSERT_TRUE(std::holds_alternative<action::Output>(a));
  EXPECT_EQ(std::get<action::Output>(a).port, 2u);
  EXPECT_EQ(std::get<action::Output>(a).max_len, 0);

  expect_canonical("output:2", "output:2");
  expect_canonical("2", "output:2");
  expect_canonical("0xffffff00", "output:4294967040");
  expect_canonical("output:eth0", "output:7");
  expect_canonical("eth0,br-uplink", "output:7,output:12");
  expect_canonical("NORMAL", "NORMAL");
  expect_canonical("normal", "NORMAL");
  expect_canonical("output:NORMAL", "NORMAL");
  expect_canonical("FLOOD", "FLOOD");
  expect_canonical("ALL", "ALL");
  expect_canonical("IN_PORT", "IN_PORT");
  expect_canonical("in_port", "IN_PORT");
  expect_canonical("output:in_port", "IN_PORT");
  expect_canonical("LOCAL", "LOCAL");
  expect_canonical("output:local", "LOCAL");
  EXPECT_EQ(std::get<action::Output>(parse_one("LOCAL")).port, kOfppLocal);
  EXPECT_EQ(std::get<action::Output>(parse_one("in_port")).port, kOfppInPort);
}

TEST(OfActionParse, TruncatedOutput) {
  auto a = parse_one("output(port=3,max_len=100)");
  ASSERT_TRUE(std::holds_alternative<action::OutputTrunc>(a));
  EXPECT_EQ(std::get<action::OutputTrunc>(a).port, 3u);
  EXPECT_EQ(std::get<action::OutputTrunc>(a).max_len, 100u);
  expect_canonical("output(port=3,max_len=100)", "output(port=3,max_len=100)");
  expect_canonical("output(max_len=64, port=LOCAL)", "output(port=LOCAL,max_len=64)");
  expect_canonical("output(port=eth0,max_len=14)", "output(port=7,max_len=14)");
  expect_canonical("output(port=in_port,max_len=65535)", "output(port=IN_PORT,max_len=65535)");
}

TEST(OfActionParse, OutputErrors) {
  EXPECT_ERROR("output", "output: missing port");
  EXPECT_ERROR("output:", "output: missing port");
  EXPECT_ERROR("output:0", "output: port 0 is out of range");
  EXPECT_ERROR("0", "output: port 0 is out of range");
  EXPECT_ERROR("output:0xffffff01", "port 0xffffff01 is out of range");
  EXPECT_ERROR("99999999999999999999", "is out of range");
  EXPECT_ERROR("output:eth9", "output: unknown port \"eth9\"");
  EXPECT_ERROR("output:ANY", "output: cannot output to port ANY");
  EXPECT_ERROR("output:NONE", "output: cannot output to port ANY");
  EXPECT_ERROR("output:TABLE", "output: cannot output to port TABLE");
  EXPECT_ERROR("output(port=1)", "output: missing max_len=");
  EXPECT_ERROR("output(max_len=100)", "output: missing port=");
  EXPECT_ERROR("output(port=1,max_len=13)", "max_len 13 is less than the minimum 14");
  EXPECT_ERROR("output(port=1,max_len=70000)", "output max_len: 70000 is out of range (0..65535)");
  EXPECT_ERROR("output(port=NORMAL,max_len=100)", "cannot truncate output to port NORMAL");
  EXPECT_ERROR("output(port=1,max_len=100,color=red)", "output: unknown key \"color\"");
  EXPECT_ERROR("output(port=1,max_len=abc)", "\"abc\" is not a number");
}

// ---- controller ----

TEST(OfActionParse, Controller) {
  auto a = parse_one("CONTROLLER");
  ASSERT_TRUE(std::holds_alternative<action::Controller>(a));
  EXPECT_EQ(std::get<action::Controller>(a).max_len, 0xffff);
  EXPECT_EQ(std::get<action::Controller>(a).reason, 1);
  EXPECT_EQ(std::get<action::Controller>(a).controller_id, 0);

  expect_canonical("CONTROLLER", "CONTROLLER:65535");
  expect_canonical("controller", "CONTROLLER:65535");
  expect_canonical("output:CONTROLLER", "CONTROLLER:65535");
  expect_canonical("controller:128", "CONTROLLER:128");
  expect_canonical("CONTROLLER:0", "CONTROLLER:0");
  expect_canonical("controller(reason=action,max_len=100)", "CONTROLLER:100");
  expect_canonical("controller(reason=no_match,max_len=128,id=3)",
                   "controller(reason=no_match,max_len=128,id=3)");
  expect_canonical("controller(reason=invalid_ttl)", "controller(reason=invalid_ttl)");
  expect_canonical("controller(id=5)", "controller(id=5)");

  auto c = std::get<action::Controller>(parse_one("controller(reason=no_match,id=9,max_len=64)"));
  EXPECT_EQ(c.reason, 0);
  EXPECT_EQ(c.controller_id, 9);
  EXPECT_EQ(c.max_len, 64);
  EXPECT_EQ(std::get<action::Controller>(parse_one("controller(reason=invalid_ttl)")).reason, 2);
}

TEST(OfActionParse, ControllerErrors) {
  EXPECT_ERROR("controller(reason=table_miss)", "controller: unknown reason \"table_miss\"");
  EXPECT_ERROR("controller:70000", "controller max_len: 70000 is out of range");
  EXPECT_ERROR("controller(max_len=x)", "controller max_len: \"x\" is not a number");
  EXPECT_ERROR("controller(id=65536)", "controller id: 65536 is out of range");
  EXPECT_ERROR("controller(pause)", "controller: unknown key \"pause\"");
}

// ---- drop ----

TEST(OfActionParse, Drop) {
  EXPECT_TRUE(parse("drop").empty());
  EXPECT_TRUE(parse("DROP").empty());
  EXPECT_TRUE(parse("").empty());
  EXPECT_TRUE(parse("  \t ").empty());
  EXPECT_TRUE(parse(",,").empty());
  EXPECT_EQ(format_of_actions({}), "drop");
  expect_canonical("drop", "drop");
  EXPECT_ERROR("drop,output:1", "\"drop\" must not be accompanied by any other action");
  EXPECT_ERROR("output:1,drop", "\"drop\" must not be accompanied");
  EXPECT_ERROR("drop:1", "drop takes no argument");
}

// ---- set_field and the field shorthands ----

TEST(OfActionParse, SetField) {
  auto a = parse_one("set_field:10.0.0.1->ip_dst");
  ASSERT_TRUE(std::holds_alternative<action::SetField>(a));
  const auto& sf = std::get<action::SetField>(a);
  EXPECT_EQ(sf.field.field, find_field("ip_dst"));
  EXPECT_EQ(applied(sf).key.ipv4_dst, htonl(0x0a000001));

  expect_canonical("set_field:10.0.0.1->ip_dst", "set_field:10.0.0.1->ip_dst");
  expect_canonical("set_field:10.0.0.1->nw_dst", "set_field:10.0.0.1->ip_dst");
  expect_canonical("set_field:10.0.0.0/8->ip_src", "set_field:10.0.0.0/8->ip_src");
  expect_canonical("set_field:00:11:22:33:44:55->eth_src",
                   "set_field:00:11:22:33:44:55->eth_src");
  expect_canonical("set_field:5->tcp_dst", "set_field:5->tcp_dst");
  expect_canonical("set_field:64->nw_ttl", "set_field:64->nw_ttl");
  expect_canonical("set_field:fe80::1->ipv6_src", "set_field:fe80::1->ipv6_src");
  expect_canonical("set_field:0x5/0xf->reg0", "set_field:0x5/0xf->reg0");
  expect_canonical("set_field:0x1234->metadata", "set_field:0x1234->metadata");
  expect_canonical("set_field:3->vlan_pcp", "set_field:3->vlan_pcp");
  expect_canonical("set_field:1->in_port", "set_field:1->in_port");
  expect_canonical("set_field:eth0->in_port", "set_field:7->in_port");

  // Registers are host order in OfFlow; the mask limits the write.
  OfFlow regs = applied(std::get<action::SetField>(parse_one("set_field:0x5/0xf->reg0")), 0xff);
  EXPECT_EQ(regs.regs[0], 0xfffffff5u);
  OfFlow md = applied(std::get<action::SetField>(parse_one("set_field:0x1234->metadata")));
  EXPECT_EQ(md.metadata, 0x1234u);
}

TEST(OfActionParse, SetFieldErrors) {
  EXPECT_ERROR("set_field", "set_field: missing VALUE->FIELD");
  EXPECT_ERROR("set_field:1", "set_field: missing \"->\" in \"1\"");
  EXPECT_ERROR("set_field:->reg0", "set_field: missing value before \"->\"");
  EXPECT_ERROR("set_field:1->", "set_field: missing field name after \"->\"");
  EXPECT_ERROR("set_field:1->bogus", "set_field: unknown field \"bogus\"");
  EXPECT_ERROR("set_field:6->nw_proto", "set_field: field nw_proto cannot be written");
  EXPECT_ERROR("set_field:300->nw_ttl", "out of range");
  EXPECT_ERROR("set_field:1/1->nw_ttl", "a mask is not allowed");
  EXPECT_ERROR("set_field:0/0->reg0", "writes no bits");
  EXPECT_ERROR("set_field:1.2.3->ip_dst", "not a valid IPv4 address");
}

TEST(OfActionParse, Shorthands) {
  expect_canonical("mod_dl_src:00:11:22:33:44:55", "set_field:00:11:22:33:44:55->eth_src");
  expect_canonical("mod_dl_dst:aa:bb:cc:dd:ee:ff", "set_field:aa:bb:cc:dd:ee:ff->eth_dst");
  expect_canonical("mod_nw_src:10.0.0.1", "set_field:10.0.0.1->ip_src");
  expect_canonical("mod_nw_dst:192.168.1.1", "set_field:192.168.1.1->ip_dst");
  expect_canonical("mod_nw_tos:16", "set_field:4->ip_dscp");
  expect_canonical("mod_nw_ecn:3", "set_field:3->nw_ecn");
  expect_canonical("mod_nw_ttl:64", "set_field:64->nw_ttl");
  expect_canonical("set_nw_ttl:1", "set_field:1->nw_ttl");
  expect_canonical("mod_tp_src:80", "set_field:80->tp_src");
  expect_canonical("mod_tp_dst:443", "set_field:443->tp_dst");

  // mod_nw_tos sets the DSCP bits of the TOS byte and keeps ECN.
  OfFlow tos = applied(std::get<action::SetField>(parse_one("mod_nw_tos:0xb8")), 0x03);
  EXPECT_EQ(tos.key.nw_tos, 0xbb);
  OfFlow ecn = applied(std::get<action::SetField>(parse_one("mod_nw_ecn:2")), 0xfc);
  EXPECT_EQ(ecn.key.nw_tos, 0xfe);
  OfFlow tp = applied(std::get<action::SetField>(parse_one("mod_tp_dst:443")));
  EXPECT_EQ(tp.key.tp_dst, htons(443));
  OfFlow mac = applied(std::get<action::SetField>(parse_one("mod_dl_dst:aa:bb:cc:dd:ee:ff")));
  EXPECT_EQ(mac.key.eth_dst.bytes[0], 0xaa);
  EXPECT_EQ(mac.key.eth_dst.bytes[5], 0xff);
}

TEST(OfActionParse, ShorthandErrors) {
  EXPECT_ERROR("mod_dl_src", "mod_dl_src: missing address");
  EXPECT_ERROR("mod_dl_src:zz:11:22:33:44:55", "mod_dl_src: eth_src: \"zz:11:22:33:44:55\"");
  EXPECT_ERROR("mod_nw_src:10.0.0.0/8", "mod_nw_src: takes no mask");
  EXPECT_ERROR("mod_nw_dst:10.0.0.300", "is not a valid IPv4 address");
  EXPECT_ERROR("mod_nw_tos:3", "mod_nw_tos: 3 is not a valid TOS");
  EXPECT_ERROR("mod_nw_tos:256", "mod_nw_tos: 256 is out of range (0..255)");
  EXPECT_ERROR("mod_nw_ecn:4", "mod_nw_ecn: 4 is out of range (0..3)");
  EXPECT_ERROR("mod_nw_ttl:256", "mod_nw_ttl: 256 is out of range");
  EXPECT_ERROR("mod_nw_ttl", "mod_nw_ttl: missing TTL");
  EXPECT_ERROR("mod_tp_src:65536", "mod_tp_src: 65536 is out of range (0..65535)");
  EXPECT_ERROR("mod_tp_dst:http", "mod_tp_dst: \"http\" is not a number");
}

// ---- load ----

TEST(OfActionParse, LoadWholeFields) {
  expect_canonical("load:5->NXM_NX_REG0[]", "set_field:0x5->reg0");
  expect_canonical("load:5->reg0", "set_field:0x5->reg0");
  expect_canonical("load:0x0a000001->NXM_OF_IP_DST[]", "set_field:10.0.0.1->ip_dst");
  expect_canonical("load:0x001122334455->NXM_OF_ETH_SRC[]", "set_field:00:11:22:33:44:55->eth_src");
  expect_canonical("load:0x20010db8000000000000000000000001->NXM_NX_IPV6_DST[]",
                   "set_field:2001:db8::1->ipv6_dst");
  expect_canonical("load:64->NXM_NX_IP_TTL[]", "set_field:64->nw_ttl");
  expect_canonical("load:1->NXM_OF_IN_PORT[]", "set_field:1->in_port");
  expect_canonical("load:0xfffffffe->NXM_OF_IN_PORT[]", "set_field:LOCAL->in_port");
  expect_canonical("load:0x12345->OXM_OF_MPLS_LABEL[]", "set_field:74565->mpls_label");

  OfFlow ip = applied(std::get<action::SetField>(parse_one("load:0x0a000001->NXM_OF_IP_DST[]")));
  EXPECT_EQ(ip.key.ipv4_dst, htonl(0x0a000001));
  OfFlow v6 = applied(std::get<action::SetField>(
      parse_one("load:0x20010db8000000000000000000000001->NXM_NX_IPV6_DST[]")));
  EXPECT_EQ(v6.key.ipv6_dst[0], 0x20);
  EXPECT_EQ(v6.key.ipv6_dst[15], 0x01);
  OfFlow reg = applied(std::get<action::SetField>(parse_one("load:0xdeadbeef->NXM_NX_REG3[]")));
  EXPECT_EQ(reg.regs[3], 0xdeadbeefu);
  OfFlow local = applied(std::get<action::SetField>(parse_one("load:0xfffffffe->NXM_OF_IN_PORT[]")));
  EXPECT_EQ(local.key.md.in_port, 0u);  // datapath numbering: LOCAL is port 0
}

TEST(OfActionParse, LoadBitRanges) {
  // Registers (host order): bits 4..7 only.
  auto reg = std::get<action::SetField>(parse_one("load:0xa->NXM_NX_REG1[4..7]"));
  EXPECT_EQ(applied(reg, 0xff).regs[1], 0xffffffafu);
  EXPECT_EQ(applied(reg, 0x00).regs[1], 0xa0u);
  expect_canonical("load:0xa->NXM_NX_REG1[4..7]", "set_field:0xa0/0xf0->reg1");
  expect_canonical("load:1->NXM_NX_REG2[31]", "set_field:0x80000000/0x80000000->reg2");
  expect_canonical("load:0xffffffff->NXM_NX_REG2[0..31]", "set_field:0xffffffff->reg2");

  // Metadata (host order, 64 bits): the top bit.
  auto md = std::get<action::SetField>(parse_one("load:1->OXM_OF_METADATA[63]"));
  EXPECT_EQ(applied(md).metadata, 1ull << 63);

  // Packet fields (network order): bit 0 is the last byte's low bit.
  auto ip = std::get<action::SetField>(parse_one("load:1->NXM_OF_IP_DST[0]"));
  EXPECT_EQ(applied(ip).key.ipv4_dst, htonl(1));
  expect_canonical("load:1->NXM_OF_IP_DST[0]", "set_field:0.0.0.1/0.0.0.1->ip_dst");
  auto port = std::get<action::SetField>(parse_one("load:0x12->NXM_OF_TCP_DST[8..15]"));
  EXPECT_EQ(applied(port, 0xff).key.tp_dst, htons(0x12ff));

  // Fields without masks print as load: so that they read back.
  auto ttl = std::get<action::SetField>(parse_one("load:3->NXM_NX_IP_TTL[0..1]"));
  EXPECT_EQ(applied(ttl, 0xf0).key.nw_ttl, 0xf3);
  expect_canonical("load:3->NXM_NX_IP_TTL[0..1]", "load:0x3->nw_ttl[0..1]");
  // ip_dscp sits in the high six bits of the TOS byte.
  auto dscp = std::get<action::SetField>(parse_one("load:5->OXM_OF_IP_DSCP[0..2]"));
  EXPECT_EQ(applied(dscp, 0x00).key.nw_tos, 5 << 2);
  EXPECT_EQ(applied(dscp, 0xff).key.nw_tos, 0xf7);
  expect_canonical("load:5->OXM_OF_IP_DSCP[0..2]", "load:0x5->ip_dscp[0..2]");
  expect_canonical("load:0x7->OXM_OF_MPLS_LABEL[16..19]", "load:0x7->mpls_label[16..19]");

  // 128-bit fields across the middle (network order: bit 0 is the last byte's).
  auto v6 = std::get<action::SetField>(parse_one("load:0xffff->NXM_NX_IPV6_DST[56..71]"));
  OfFlow lf = applied(v6);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(lf.key.ipv6_dst[i], i == 7 || i == 8 ? 0xff : 0) << i;
  expect_canonical("load:0xffff->NXM_NX_IPV6_DST[56..71]",
                   "set_field:::ff:ff00:0:0:0/::ff:ff00:0:0:0->ipv6_dst");
}

TEST(OfActionParse, LoadErrors) {
  EXPECT_ERROR("load:5", "load: missing \"->\"");
  EXPECT_ERROR("load:5->bogus[]", "load: unknown field \"bogus\"");
  EXPECT_ERROR("load:6->NXM_OF_IP_PROTO[]", "load: field nw_proto cannot be written");
  EXPECT_ERROR("load:0xffff->NXM_NX_CT_LABEL[56..71]",
               "load: field ct_label is set only by conntrack (a ct action), not by load");
  EXPECT_ERROR("set_field:1->ct_mark",
               "set_field: field ct_mark is set only by conntrack (a ct action), not by set_field");
  EXPECT_ERROR("load:xyz->NXM_NX_REG0[]", "load: \"xyz\" is not a number");
  EXPECT_ERROR("load:0x1000000000000000000000000000000000->NXM_NX_REG0[]", "is not a number");
  EXPECT_ERROR("load:5->NXM_NX_REG0[0..40]",
               "ending bit 40 is not valid because reg0 is only 32 bits wide");
  EXPECT_ERROR("load:1->NXM_NX_REG0[40]",
               "starting bit 40 is not valid because reg0 is only 32 bits wide");
  EXPECT_ERROR("load:5->NXM_NX_REG0[7..3]", "starting bit 7 is after ending bit 3");
  EXPECT_ERROR("load:5->NXM_NX_REG0[a..b]", "bad bit range");
  EXPECT_ERROR("load:5->NXM_NX_REG0[1..2", "expected FIELD[], FIELD[bit] or FIELD[start..end]");
  EXPECT_ERROR("load:0x100->NXM_NX_REG0[0..7]", "value 0x100 does not fit in 8 bits");
  EXPECT_ERROR("load:0x1ff->NXM_NX_IP_TTL[]", "out of range");
  EXPECT_ERROR("load:1->NXM_OF_IN_PORT[0..7]", "in_port can only be loaded whole");
  EXPECT_ERROR("load:0x100000000->NXM_OF_IN_PORT[]", "does not fit in 32 bits");
  EXPECT_ERROR("load:0x1000000000000->NXM_OF_ETH_SRC[]", "does not fit");
}

// ---- VLAN ----

TEST(OfActionParse, Vlan) {
  auto vid = std::get<action::SetVlanVid>(parse_one("mod_vlan_vid:10"));
  EXPECT_EQ(vid.vid, 10);
  EXPECT_TRUE(vid.push_if_absent);
  EXPECT_FALSE(std::get<action::SetVlanVid>(parse_one("set_vlan_vid:10")).push_if_absent);
  auto pcp = std::get<action::SetVlanPcp>(parse_one("mod_vlan_pcp:5"));
  EXPECT_EQ(pcp.pcp, 5);
  EXPECT_TRUE(pcp.push_if_absent);
  EXPECT_FALSE(std::get<action::SetVlanPcp>(parse_one("set_vlan_pcp:5")).push_if_absent);
  EXPECT_EQ(std::get<action::PushVlan>(parse_one("push_vlan:0x88a8")).tpid, 0x88a8);
  EXPECT_TRUE(std::holds_alternative<action::PopVlan>(parse_one("pop_vlan")));

  expect_canonical("mod_vlan_vid:10", "mod_vlan_vid:10");
  expect_canonical("mod_vlan_vid:0xfff", "mod_vlan_vid:4095");
  expect_canonical("set_vlan_vid:0", "set_vlan_vid:0");
  expect_canonical("mod_vlan_pcp:7", "mod_vlan_pcp:7");
  expect_canonical("set_vlan_pcp:5", "set_vlan_pcp:5");
  expect_canonical("strip_vlan", "pop_vlan");
  expect_canonical("pop_vlan", "pop_vlan");
  expect_canonical("push_vlan:0x8100", "push_vlan:0x8100");
  expect_canonical("push_vlan:33024", "push_vlan:0x8100");
  expect_canonical("push_vlan:0x88a8", "push_vlan:0x88a8");
}

TEST(OfActionParse, VlanErrors) {
  EXPECT_ERROR("mod_vlan_vid:4096", "mod_vlan_vid: 4096 is out of range (0..4095)");
  EXPECT_ERROR("set_vlan_vid:-1", "set_vlan_vid: \"-1\" is not a number");
  EXPECT_ERROR("mod_vlan_vid", "mod_vlan_vid: missing VLAN ID");
  EXPECT_ERROR("mod_vlan_pcp:8", "mod_vlan_pcp: 8 is out of range (0..7)");
  EXPECT_ERROR("push_vlan:0x9100", "push_vlan: 0x9100 is not a VLAN TPID (expected 0x8100 or 0x88a8)");
  EXPECT_ERROR("push_vlan", "push_vlan: missing TPID");
  EXPECT_ERROR("push_vlan:0x10000", "push_vlan: 0x10000 is out of range");
  EXPECT_ERROR("strip_vlan:1", "strip_vlan takes no argument");
  EXPECT_ERROR("pop_vlan(1)", "pop_vlan takes no argument");
}

// ---- MPLS and TTLs ----

TEST(OfActionParse, MplsAndTtl) {
  EXPECT_EQ(std::get<action::PushMpls>(parse_one("push_mpls:0x8848")).ethertype, 0x8848);
  EXPECT_EQ(std::get<action::PopMpls>(parse_one("pop_mpls:0x0800")).ethertype, 0x0800);
  EXPECT_EQ(std::get<action::SetMplsTtl>(parse_one("set_mpls_ttl:10")).ttl, 10);
  expect_canonical("push_mpls:0x8847", "push_mpls:0x8847");
  expect_canonical("push_mpls:0x8848", "push_mpls:0x8848");
  expect_canonical("pop_mpls:0x800", "pop_mpls:0x0800");
  expect_canonical("pop_mpls:0x86dd", "pop_mpls:0x86dd");
  expect_canonical("set_mpls_ttl:255", "set_mpls_ttl(255)");
  expect_canonical("set_mpls_ttl(7)", "set_mpls_ttl(7)");
  expect_canonical("dec_mpls_ttl", "dec_mpls_ttl");
  expect_canonical("dec_ttl", "dec_ttl");
  expect_canonical("dec_ttl()", "dec_ttl");
}

TEST(OfActionParse, MplsAndTtlErrors) {
  EXPECT_ERROR("push_mpls:0x0800", "push_mpls: 0x0800 is not an MPLS Ethertype");
  EXPECT_ERROR("push_mpls", "push_mpls: missing Ethertype");
  EXPECT_ERROR("pop_mpls", "pop_mpls: missing Ethertype");
  EXPECT_ERROR("pop_mpls:0x100", "pop_mpls: 0x100 is out of range (1536..65535)");
  EXPECT_ERROR("set_mpls_ttl", "set_mpls_ttl: missing TTL");
  EXPECT_ERROR("set_mpls_ttl:256", "set_mpls_ttl: 256 is out of range (0..255)");
  EXPECT_ERROR("dec_mpls_ttl:1", "dec_mpls_ttl takes no argument");
  EXPECT_ERROR("dec_ttl(1,x)", "dec_ttl controller id");
  EXPECT_ERROR("dec_ttl(65536)", "out of range");
}

// dec_ttl(ids): the controllers that get the invalid_ttl packet-in.
TEST(OfActionParse, DecTtlControllerIds) {
  expect_canonical("dec_ttl(1,2)", "dec_ttl(1,2)");
  expect_canonical("dec_ttl(0, 65535),output:1", "dec_ttl(0,65535),output:1");
}

// The extension actions that read fields or nest actions, as ovs-ofctl
// writes them.
TEST(OfActionParse, ExtensionActions) {
  expect_canonical("move:NXM_OF_IP_SRC[]->NXM_OF_IP_DST[]", "move:NXM_OF_IP_SRC[]->NXM_OF_IP_DST[]");
  expect_canonical("move:reg0[0..15]->reg1[16..31]", "move:NXM_NX_REG0[0..15]->NXM_NX_REG1[16..31]");
  expect_canonical("push:NXM_NX_REG0[],pop:NXM_NX_REG1[8..15]",
                   "push:NXM_NX_REG0[],pop:NXM_NX_REG1[8..15]");
  expect_canonical("output:NXM_NX_REG0[0..15]", "output:NXM_NX_REG0[0..15]");
  expect_canonical("output:reg3[]", "output:NXM_NX_REG3[]");
  expect_canonical("output:1,exit", "output:1,exit");
  expect_canonical("clone(mod_dl_dst:00:00:00:00:00:01,output:2),output:3",
                   "clone(set_field:00:00:00:00:00:01->eth_dst,output:2),output:3");
  expect_canonical("check_pkt_larger(1500)->NXM_NX_REG0[0],resubmit(,1)",
                   "check_pkt_larger(1500)->NXM_NX_REG0[0],resubmit(,1)");
  expect_canonical("write_actions(output:2),goto_table:1", "write_actions(output:2),goto_table:1");
  expect_canonical("clear_actions", "clear_actions");
  expect_canonical("set_queue:5,output:2,pop_queue", "set_queue:5,output:2,pop_queue");
  // ovs-ofctl's parse-flow prints it as set_queue:7,output:2,pop_queue (its
  // OpenFlow 1.1+ encoding, which has no enqueue): the same effect.
  expect_canonical("enqueue:2:7", "enqueue:2:7", /*with_ovs=*/false);
  expect_canonical("multipath(symmetric_l3l4+udp,0,modulo_n,2,0,NXM_NX_REG0[0..1])",
                   "multipath(symmetric_l3l4+udp,0,modulo_n,2,0,NXM_NX_REG0[0..1])");
  expect_canonical("multipath(eth_src,50,hrw,12,0,NXM_NX_REG0[0..3])",
                   "multipath(eth_src,50,hrw,12,0,NXM_NX_REG0[0..3])");
  expect_canonical("bundle(eth_src,0,hrw,ofport,members:4,8)",
                   "bundle(eth_src,0,hrw,ofport,members:4,8)");
  expect_canonical("bundle_load(symmetric_l4,60,active_backup,ofport,NXM_NX_REG0[],members:1,2)",
                   "bundle_load(symmetric_l4,60,active_backup,ofport,NXM_NX_REG0[],members:1,2)");
}

TEST(OfActionParse, ExtensionActionErrors) {
  EXPECT_ERROR("move:NXM_NX_REG0[0..7]->NXM_NX_REG1[0..15]",
               "move: source field is 8 bits wide but destination is 16 bits wide");
  EXPECT_ERROR("move:NXM_NX_REG0[]", "move: missing \"->\"");
  EXPECT_ERROR("move:frob[]->NXM_NX_REG0[]", "move: unknown field \"frob\"");
  EXPECT_ERROR("move:NXM_NX_REG0[0..40]->NXM_NX_REG1[]", "bit 40 is past the 32-bit field");
  EXPECT_ERROR("pop:NXM_NX_REG0", "expected FIELD[], FIELD[bit] or FIELD[start..end]");
  EXPECT_ERROR("exit:1", "exit takes no argument");
  EXPECT_ERROR("clone(goto_table:1)", "clone: goto_table is an instruction");
  EXPECT_ERROR("check_pkt_larger(100)->NXM_NX_REG0[0..1]", "must be one bit");
  EXPECT_ERROR("check_pkt_larger(100)", "expected check_pkt_larger(LEN)->FIELD[bit]");
  EXPECT_ERROR("multipath(eth_src,0,modulo_n,5,0,NXM_NX_REG0[0..1])",
               "multipath: 5 links do not fit in 2 bits");
  EXPECT_ERROR("multipath(frob,0,modulo_n,2,0,NXM_NX_REG0[])", "multipath: unknown fields");
  EXPECT_ERROR("bundle(eth_src,0,frob,ofport,members:1)", "bundle: unknown algorithm");
  EXPECT_ERROR("bundle_load(eth_src,0,hrw,ofport,NXM_NX_REG0[0..7],members:1)",
               "narrower than 16 bits");
  EXPECT_ERROR("enqueue:2", "enqueue: expected PORT:QUEUE");
  // Only check_pkt_larger takes "->" after its parentheses.
  EXPECT_ERROR("output(port=1,max_len=20)->NXM_NX_REG0[0]", "unexpected \"->NXM_NX_REG0[0]\"");
}

// ---- resubmit, goto_table, write_metadata, group, meter ----

TEST(OfActionParse, Resubmit) {
  auto r = std::get<action::Resubmit>(parse_one("resubmit:3"));
  EXPECT_EQ(r.in_port, 3u);
  EXPECT_EQ(r.table, kTableAll);
  r = std::get<action::Resubmit>(parse_one("resubmit(,1)"));
  EXPECT_EQ(r.in_port, kOfppInPort);
  EXPECT_EQ(r.table, 1);
  expect_canonical("resubmit:3", "resubmit:3");
  expect_canonical("resubmit:eth0", "resubmit:7");
  expect_canonical("resubmit:LOCAL", "resubmit:LOCAL");
  expect_canonical("resubmit(,1)", "resubmit(,1)");
  expect_canonical("resubmit(2,3)", "resubmit(2,3)");
  expect_canonical("resubmit( 2 , 3 )", "resubmit(2,3)");
  expect_canonical("resubmit(2)", "resubmit:2");
  expect_canonical("resubmit(2,)", "resubmit:2");
  expect_canonical("resubmit(in_port,254)", "resubmit(,254)");
  expect_canonical("resubmit(LOCAL,0)", "resubmit(LOCAL,0)");
}

TEST(OfActionParse, ResubmitErrors) {
  EXPECT_ERROR("resubmit", "resubmit: missing port");
  EXPECT_ERROR("resubmit(,)", "resubmit: at least one of the in_port and the table");
  EXPECT_ERROR("resubmit:in_port", "at least one of the in_port and the table");
  EXPECT_ERROR("resubmit(,255)", "resubmit table: 255 is out of range (0..254)");
  EXPECT_ERROR("resubmit(1,2,ct)", "the \"ct\" option is not supported");
  EXPECT_ERROR("resubmit(1,2,3)", "resubmit: unexpected \"3\"");
  EXPECT_ERROR("resubmit:NORMAL", "resubmit: NORMAL cannot be an in_port");
  EXPECT_ERROR("resubmit:eth9", "resubmit: unknown port \"eth9\"");
  EXPECT_ERROR("resubmit(,1", "missing a closing ')'");
}

TEST(OfActionParse, Instructions) {
  EXPECT_EQ(std::get<action::GotoTable>(parse_one("goto_table:3")).table, 3);
  auto wm = std::get<action::WriteMetadata>(parse_one("write_metadata:0x1/0xff"));
  EXPECT_EQ(wm.value, 1u);
  EXPECT_EQ(wm.mask, 0xffu);
  EXPECT_EQ(std::get<action::WriteMetadata>(parse_one("write_metadata:5")).mask, ~0ull);
  EXPECT_EQ(std::get<action::Group>(parse_one("group:7")).group_id, 7u);
  EXPECT_EQ(std::get<action::Meter>(parse_one("meter:9")).meter_id, 9u);

  expect_canonical("goto_table:1", "goto_table:1");
  expect_canonical("goto_table:254", "goto_table:254");
  expect_canonical("write_metadata:0x1/0xff", "write_metadata:0x1/0xff");
  expect_canonical("write_metadata:5", "write_metadata:0x5");
  expect_canonical("write_metadata:0xffffffffffffffff/0x1",
                   "write_metadata:0xffffffffffffffff/0x1");
  expect_canonical("group:1", "group:1");
  expect_canonical("group:0xffffff00", "group:4294967040");
  expect_canonical("meter:1", "meter:1");
  expect_canonical("meter:1,output:2,write_metadata:0x10/0xf0,goto_table:3",
                   "meter:1,output:2,write_metadata:0x10/0xf0,goto_table:3");
}

TEST(OfActionParse, InstructionErrors) {
  // Instructions in OpenFlow's order, as ovs-ofctl requires.
  EXPECT_ERROR("output:2,meter:4", "meter must come before every action and write_metadata");
  EXPECT_ERROR("write_metadata:1,meter:4", "meter must come before every action");
  EXPECT_ERROR("goto_table", "goto_table: missing table number");
  EXPECT_ERROR("goto_table:255", "goto_table table: 255 is out of range (0..254)");
  EXPECT_ERROR("goto_table:1,output:2", "goto_table must be the last instruction");
  EXPECT_ERROR("goto_table:1,goto_table:2", "goto_table must be the last instruction");
  EXPECT_ERROR("write_metadata", "write_metadata: missing value");
  EXPECT_ERROR("write_metadata:xyz", "write_metadata value: \"xyz\" is not a number");
  EXPECT_ERROR("write_metadata:1/", "write_metadata mask: missing value");
  EXPECT_ERROR("write_metadata:0x10000000000000000", "write_metadata value: 0x10000000000000000 is out of range");
  EXPECT_ERROR("write_metadata:1,output:1", "write_metadata must come after every action");
  EXPECT_ERROR("write_metadata:1,write_metadata:2", "write_metadata may appear only once");
  EXPECT_ERROR("group", "group: missing group id");
  EXPECT_ERROR("group:0xffffff01", "group: 0xffffff01 is out of range (0..0xffffff00)");
  EXPECT_ERROR("meter:0", "meter: 0 is out of range (1..0xffff0000)");
  EXPECT_ERROR("meter:1,meter:2", "meter may appear only once");
  EXPECT_ERROR("apply_actions(output:1)", "apply_actions is the default instruction");
}

// ---- the list as a whole ----

TEST(OfActionParse, UnknownActions) {
  EXPECT_ERROR("foo", "unknown action \"foo\"");
  EXPECT_ERROR("foo:1", "unknown action \"foo\"");
  EXPECT_ERROR("output:1,frobnicate(1,2)", "unknown action \"frobnicate\"");
  EXPECT_ERROR("eth0:1", "unknown action \"eth0\"");
  EXPECT_ERROR("learn(table=1,frobnicate)", "learn: unknown keyword \"frobnicate\"");
}

TEST(OfActionParse, CaseSpacingAndSyntax) {
  expect_canonical("OUTPUT:1,Resubmit(,2)", "output:1,resubmit(,2)");
  expect_canonical("output:1 , output:2", "output:1,output:2");
  expect_canonical("output:1 output:2", "output:1,output:2");
  expect_canonical(" \toutput:1,\n\toutput:2 \n", "output:1,output:2");
  EXPECT_ERROR("output:1)", "unbalanced ')'");
  EXPECT_ERROR("resubmit(,1)x", "unexpected \"x\" after \"resubmit(,1)\"");
  EXPECT_ERROR(":1", "missing name before ':'");
  EXPECT_ERROR("controller(reason=(no_match)", "missing a closing ')'");
  EXPECT_ERROR("controller(max_len=(5))", "controller max_len: \"(5)\" is not a number");
  // Port names are resolved only when a resolver is given.
  auto no_names = parse_of_actions("output:eth0");
  ASSERT_FALSE(no_names.ok());
  EXPECT_NE(no_names.error().find("unknown port \"eth0\""), std::string::npos);
}

TEST(OfActionFormat, EveryActionRoundTrips) {
  const char* canonical[] = {
      "output:1",
      "output(port=5,max_len=128)",
      "NORMAL",
      "FLOOD",
      "ALL",
      "IN_PORT",
      "LOCAL",
      "CONTROLLER:65535",
      "controller(reason=no_match,max_len=128,id=3)",
      "set_field:10.0.0.1->ip_dst",
      "set_field:0xa0/0xf0->reg1",
      "load:0x3->nw_ttl[0..1]",
      "mod_vlan_vid:10",
      "set_vlan_vid:11",
      "mod_vlan_pcp:3",
      "set_vlan_pcp:4",
      "pop_vlan",
      "push_vlan:0x8100",
      "push_mpls:0x8847",
      "pop_mpls:0x0800",
      "dec_ttl",
      "set_mpls_ttl(9)",
      "dec_mpls_ttl",
      "resubmit(,1)",
      "resubmit:3",
      "resubmit(4,5)",
      "group:1",
      "meter:1",
      "write_metadata:0x1/0xff",
      "goto_table:1",
  };
  std::string all;
  for (const char* text : canonical) {
    expect_canonical(text, text);
    std::string_view t = text;
    if (t == "meter:1" || t == "write_metadata:0x1/0xff" || t == "goto_table:1")
      continue;  // the instructions go where OpenFlow runs them
    all += std::string(all.empty() ? "" : ",") + text;
  }
  all = "meter:1," + all + ",write_metadata:0x1/0xff,goto_table:1";
  expect_canonical(all, all, /*with_ovs=*/false);  // each part is compared above
  EXPECT_EQ(parse(all).size(), std::size(canonical));
}

}  // namespace
}  // namespace flowpath::openflow

namespace flowpath::openflow {
namespace {

TEST(OfActionParse, ConntrackAsOvsOfctlPrintsIt) {
  expect_canonical("ct(commit)", "ct(commit)");
  expect_canonical("ct(zone=5,table=1)", "ct(table=1,zone=5)");
  expect_canonical("ct(commit,force,zone=1)", "ct(commit,force,zone=1)");
  expect_canonical("ct(zone=0)", "ct()");
  expect_canonical("ct(commit,exec(set_field:1->ct_mark))",
                   "ct(commit,exec(set_field:0x1->ct_mark))");
  expect_canonical("ct(commit,exec(load:1->NXM_NX_CT_MARK[]))",
                   "ct(commit,exec(set_field:0x1->ct_mark))");
  expect_canonical("ct(commit,exec(set_field:0x5/0xf->ct_label))",
                   "ct(commit,exec(set_field:0x5/0xf->ct_label))");
  expect_canonical("ct(zone=NXM_NX_REG0[0..15],table=2)", "ct(table=2,zone=NXM_NX_REG0[0..15])");
  expect_canonical("ct(zone=reg1[16..31])", "ct(zone=NXM_NX_REG1[16..31])");
  expect_canonical("ct_clear", "ct_clear");
  expect_canonical("ct(nat)", "ct(nat)");
  expect_canonical("ct(table=1,zone=1,nat)", "ct(table=1,zone=1,nat)");
  expect_canonical("ct(commit,nat(src=10.0.0.100))", "ct(commit,nat(src=10.0.0.100))");
  expect_canonical("ct(commit,nat(src=10.0.0.100-10.0.0.103:1000-2000,random))",
                   "ct(commit,nat(src=10.0.0.100-10.0.0.103:1000-2000,random))");
  expect_canonical("ct(commit,nat(dst=10.0.0.1-10.0.0.2:80,hash))",
                   "ct(commit,nat(dst=10.0.0.1-10.0.0.2:80,hash))");
  expect_canonical("ct(commit,nat(src=10.0.0.1,persistent))",
                   "ct(commit,nat(src=10.0.0.1,persistent))");
  expect_canonical("ct(commit,nat(src=fd00::1-fd00::4))", "ct(commit,nat(src=fd00::1-fd00::4))");
  expect_canonical("ct(commit,nat(dst=[fd00::1]:8080-8090))",
                   "ct(commit,nat(dst=[fd00::1]:8080-8090))");
  expect_canonical("ct(commit,nat(src))", "ct(commit,nat(src))");
  expect_canonical("ct(commit,nat(src=10.0.0.1),exec(set_field:1->ct_mark))",
                   "ct(commit,nat(src=10.0.0.1),exec(set_field:0x1->ct_mark))");
  auto ct = std::get<action::Conntrack>(parse_one("ct(commit,zone=7,table=3)"));
  EXPECT_EQ(ct.flags, action::kCtFlagCommit);
  EXPECT_EQ(ct.zone_imm, 7);
  EXPECT_EQ(ct.recirc_table, 3);
}

TEST(OfActionParse, ConntrackErrors) {
  EXPECT_ERROR("ct(force)", "\"force\" needs \"commit\"");
  EXPECT_ERROR("ct(exec(set_field:1->ct_mark))", "needs \"commit\"");
  EXPECT_ERROR("ct(commit,exec(set_field:1->reg0))", "ct may write only ct_mark and ct_label");
  EXPECT_ERROR("ct(commit,exec(output:1))", "only set_field or load");
  EXPECT_ERROR("ct(nat(src=10.0.0.1))", "needs \"commit\"");
  EXPECT_ERROR("ct(commit,nat(src=10.0.0.1,dst=10.0.0.2))", "may only specify one of \"src\" or \"dst\"");
  EXPECT_ERROR("ct(commit,nat(hash))", "flags allowed only with");
  EXPECT_ERROR("ct(commit,nat(src=10.0.0.1,hash,random))", "exclude each other");
  EXPECT_ERROR("ct(commit,nat(src=10.0.0.2-10.0.0.1))", "invalid nat range");
  EXPECT_ERROR("ct(commit,nat(src=10.0.0.1:200-100))", "invalid nat range");
  EXPECT_ERROR("ct(commit,nat(src=10.0.0.1:0))", "invalid nat range");
  EXPECT_ERROR("ct(commit,nat(src=10.0.0.1x))", "invalid nat range");
  EXPECT_ERROR("ct(commit,nat(bogus))", "invalid argument");
  EXPECT_ERROR("ct(commit,nat,nat)", "nat given twice");
  EXPECT_ERROR("ct(commit,alg=ftp)", "alg=ftp is not supported yet");
  EXPECT_ERROR("ct(zone=reg0[0..7])", "a zone is 16 bits, not 8");
  EXPECT_ERROR("ct(zone=70000)", "over 65535");
  EXPECT_ERROR("ct(table=255)", "out of range");
  EXPECT_ERROR("ct(bogus)", "invalid argument");
  EXPECT_ERROR("ct_clear(1)", "takes no argument");
}

}  // namespace
}  // namespace flowpath::openflow
