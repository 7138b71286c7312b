// Matches and flow mods in ovs-ofctl's text: parsing (fields, protocol
// shorthands, flow-mod settings, "actions=" last) with the checks ovs-ofctl
// users rely on, and the dump-flows form of a match.
#include "openflow/flow_mod.h"
#include "openflow/of_learn.h"

#include <cstdio>
#include <cstring>
#include <optional>
#include <set>

#include "openflow/of_text_internal.h"

namespace flowpath::openflow {

namespace {

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// ---- Protocol shorthands: "tcp" is dl_type=0x0800,nw_proto=6.

struct Shorthand {
  std::string_view name;
  uint16_t eth_type;
  std::optional<uint8_t> nw_proto;
};

constexpr Shorthand kShorthands[] = {
    {"ip", ethertype::kIpv4, std::nullopt},
    {"ipv4", ethertype::kIpv4, std::nullopt},
    {"ip4", ethertype::kIpv4, std::nullopt},
    {"icmp", ethertype::kIpv4, ipproto::kIcmp},
    {"tcp", ethertype::kIpv4, ipproto::kTcp},
    {"udp", ethertype::kIpv4, ipproto::kUdp},
    {"sctp", ethertype::kIpv4, ipproto::kSctp},
    {"ipv6", ethertype::kIpv6, std::nullopt},
    {"ip6", ethertype::kIpv6, std::nullopt},
    {"icmp6", ethertype::kIpv6, ipproto::kIcmpv6},
    {"tcp6", ethertype::kIpv6, ipproto::kTcp},
    {"udp6", ethertype::kIpv6, ipproto::kUdp},
    {"sctp6", ethertype::kIpv6, ipproto::kSctp},
    {"arp", ethertype::kArp, std::nullopt},
    {"rarp", ethertype::kRarp, std::nullopt},
    {"mpls", ethertype::kMplsUnicast, std::nullopt},
    {"mplsm", ethertype::kMplsMulticast, std::nullopt},
};

const Shorthand* find_shorthand(std::string_view name) {
  for (const Shorthand& s : kShorthands)
    if (s.name == name) return &s;
  return nullptr;
}

// An exact FieldValue for a whole-byte field given in host order.
FieldValue exact_value(std::string_view field_name, uint64_t host_value) {
  const OfFieldInfo* f = find_field(field_name);
  FieldValue v;
  v.field = f;
  for (unsigned i = 0; i < f->bytes; ++i) {
    v.value[f->bytes - 1 - i] = static_cast<uint8_t>(host_value >> (8 * i));
    v.mask[i] = 0xff;
  }
  return v;
}

// ---- The match being built, with what each part came from, so a conflict
// or a missing prerequisite names the text at fault.

class MatchBuilder {
 public:
  explicit MatchBuilder(const PortNameResolver& ports) : ports_(ports) {}

  // Takes a field or shorthand; false when `kv` is neither.
  Result<bool> accept(const of_text::KeyValue& kv) {
    if (const OfFieldInfo* f = find_field(kv.key)) {
      auto v = field_internal::parse_field_value_as(*f, kv.key, kv.value, ports_);
      if (!v.ok()) return Error{v.error()};
      if (Status s = add(kv.whole, kv.key, *v); !s.ok()) return Error{s.error()};
      return true;
    }
    if (const Shorthand* s = find_shorthand(kv.key)) {
      if (kv.delim != '\0') return make_error(quoted(kv.key) + " takes no value");
      if (Status st = add(kv.key, {}, exact_value("eth_type", s->eth_type)); !st.ok())
        return Error{st.error()};
      if (s->nw_proto) {
        if (Status st = add(kv.key, {}, exact_value("nw_proto", *s->nw_proto)); !st.ok())
          return Error{st.error()};
      }
      return true;
    }
    return false;
  }

  // Checks every field's prerequisites against the whole match (so order
  // does not matter: "nw_dst=10.0.0.1,ip" is fine).
  Result<OfMatch> finish() {
    for (const Part& p : parts_) {
      if (p.field_name.empty()) continue;
      const OfFieldInfo& f = *p.value.field;
      if (prereq_satisfied(match_, f.prereq)) continue;
      // ovs-ofctl prints ICMPv6 type and code as icmp_type/icmp_code, so
      // those names must read back under icmp6 (same storage).
      if (f.prereq == FieldPrereq::kIcmpv4 && prereq_satisfied(match_, FieldPrereq::kIcmpv6))
        continue;
      return make_error(p.field_name + ": needs " + std::string(prereq_name(f.prereq)) +
                        " (add " + std::string(prereq_hint(f.prereq)) + ")");
    }
    match_.normalize();
    return match_;
  }

 private:
  struct Part {
    std::string text;        // "tcp_dst=80" or "tcp"
    std::string field_name;  // as typed; empty for shorthands
    FieldValue value;
  };

  // ORs `v` into the match unless it contradicts an earlier part on some
  // bit both constrain.
  Status add(std::string_view text, std::string_view field_name, const FieldValue& v) {
    const OfFieldInfo& f = *v.field;
    uint8_t* value = match_.value.bytes() + f.offset;
    uint8_t* mask = match_.mask.bytes() + f.offset;
    for (unsigned i = 0; i < f.bytes; ++i) {
      uint8_t clash = static_cast<uint8_t>((value[i] ^ v.value[i]) & mask[i] & v.mask[i]);
      if (clash)
        return make_error(quoted(text) + " conflicts with " + earlier(f.offset + i, clash));
    }
    for (unsigned i = 0; i < f.bytes; ++i) {
      value[i] = static_cast<uint8_t>(value[i] | (v.value[i] & v.mask[i]));
      mask[i] |= v.mask[i];
    }
    parts_.push_back(Part{std::string(text), std::string(field_name), v});
    return Ok{};
  }

  // The earlier part that set bits `bits` of OfFlow byte `offset`.
  std::string earlier(unsigned offset, uint8_t bits) const {
    for (const Part& p : parts_) {
      unsigned start = p.value.field->offset;
      if (offset >= start && offset < start + p.value.field->bytes &&
          (p.value.mask[offset - start] & bits))
        return quoted(p.text);
    }
    return "an earlier field";
  }

  const PortNameResolver& ports_;
  OfMatch match_;
  std::vector<Part> parts_;
};

// ---- Flow-mod settings.

std::string_view command_text(FlowModCommand c) {
  switch (c) {
    case FlowModCommand::kAdd: return "add-flow";
    case FlowModCommand::kModify: return "mod-flows";
    case FlowModCommand::kModifyStrict: return "mod-flows --strict";
    case FlowModCommand::kDelete: return "del-flows";
    case FlowModCommand::kDeleteStrict: return "del-flows --strict";
    case FlowModCommand::kFilter: return "a flow filter";
  }
  return "?";
}

bool takes_actions(FlowModCommand c) {
  return c == FlowModCommand::kAdd || c == FlowModCommand::kModify ||
         c == FlowModCommand::kModifyStrict;
}

// Which settings each command accepts (as ovs-ofctl: timeouts and flags
// change rules, out_port/out_group select them; priority selects only in
// strict commands and filters).
enum SettingGroup : unsigned {
  kAny = 0,
  kTimeouts = 1 << 0,
  kFlags = 1 << 1,
  kPriority = 1 << 2,
  kOutput = 1 << 3,
  kImportance = 1 << 4,
};

unsigned groups_of(FlowModCommand c) {
  switch (c) {
    case FlowModCommand::kAdd: return kTimeouts | kFlags | kPriority | kImportance;
    case FlowModCommand::kModify:
    case FlowModCommand::kModifyStrict: return kTimeouts | kFlags | kPriority;
    case FlowModCommand::kDelete: return kOutput;
    case FlowModCommand::kDeleteStrict:
    case FlowModCommand::kFilter: return kOutput | kPriority;
  }
  return 0;
}

struct Setting {
  std::string_view name;
  SettingGroup group;
  bool takes_value;
};

constexpr Setting kSettings[] = {
    {"table", kAny, true},
    {"cookie", kAny, true},
    {"priority", kPriority, true},
    {"idle_timeout", kTimeouts, true},
    {"hard_timeout", kTimeouts, true},
    {"importance", kImportance, true},
    {"out_port", kOutput, true},
    {"out_group", kOutput, true},
    {"send_flow_rem", kFlags, false},
    {"check_overlap", kFlags, false},
    {"reset_counts", kFlags, false},
    {"no_packet_counts", kFlags, false},
    {"no_byte_counts", kFlags, false},
};

// What dump-flows prints about a rule's life; ignored so its output can be
// fed back.
constexpr std::string_view kDumpStatistics[] = {"duration", "n_packets", "n_bytes", "idle_age",
                                                "hard_age"};

const Setting* find_setting(std::string_view name) {
  for (const Setting& s : kSettings)
    if (s.name == name) return &s;
  return nullptr;
}

Result<uint64_t> setting_number(std::string_view name, std::string_view text, uint64_t max) {
  std::optional<uint64_t> v = of_text::to_uint(text);
  if (!v) return make_error(std::string(name) + ": " + quoted(text) + " is not a number");
  if (*v > max)
    return make_error(std::string(name) + " " + std::string(text) + " is out of range (0-" +
                      std::to_string(max) + ")");
  return *v;
}

Result<uint64_t> cookie_number(std::string_view text, std::string_view what) {
  if (text == "-1") return ~uint64_t{0};  // ovs-ofctl's "all ones" mask
  std::optional<uint64_t> v = of_text::to_uint(text);
  if (!v) return make_error("cookie: " + quoted(text) + " is not a valid " + std::string(what));
  return *v;
}

class FlowModParser {
 public:
  FlowModParser(FlowModCommand command, const PortNameResolver& ports)
      : command_(command), ports_(ports), match_(ports) {
    spec_.table = takes_actions(command) ? 0 : kTableAll;
  }

  Result<FlowModSpec> parse(std::string_view text) {
    std::string_view match_text = text;
    std::optional<std::string_view> actions_text = split_actions(text, &match_text);
    if (actions_text && !takes_actions(command_))
      return make_error(std::string(command_text(command_)) +
                        " takes no actions (remove \"actions=...\")");
    if (!actions_text && takes_actions(command_))
      return make_error(std::string(command_text(command_)) +
                        " needs \"actions=...\" (\"actions=drop\" for none)");
    auto items = of_text::split_key_values(match_text);
    if (!items.ok()) return Error{items.error()};
    for (const of_text::KeyValue& kv : *items) {
      auto taken = match_.accept(kv);
      if (!taken.ok()) return Error{taken.error()};
      if (*taken) continue;
      if (Status s = setting(kv); !s.ok()) return Error{s.error()};
    }
    auto match = match_.finish();
    if (!match.ok()) return Error{match.error()};
    spec_.match = *match;
    if (actions_text) {
      auto actions = parse_of_actions(*actions_text, ports_);
      if (!actions.ok()) return Error{actions.error()};
      spec_.actions = std::move(*actions);
      spec_.has_actions = true;
      if (Status st = check_ct_actions(spec_.match, spec_.actions); !st.ok())
        return Error{st.error()};
      if (Status st = check_learn_actions(spec_.match, spec_.actions); !st.ok())
        return Error{st.error()};
    }
    return std::move(spec_);
  }

 private:
  // The text after the first "actions=" (or "action=") that starts an
  // element; everything after it belongs to the actions.
  static std::optional<std::string_view> split_actions(std::string_view text,
                                                       std::string_view* match_text) {
    for (std::string_view keyword : {"actions=", "action="}) {
      for (size_t p = text.find(keyword); p != std::string_view::npos;
           p = text.find(keyword, p + 1)) {
        if (p > 0 && std::string_view(", \t\r\n").find(text[p - 1]) == std::string_view::npos)
          continue;
        *match_text = text.substr(0, p);
        return text.substr(p + keyword.size());
      }
    }
    return std::nullopt;
  }

  Status setting(const of_text::KeyValue& kv) {
    for (std::string_view ignored : kDumpStatistics)
      if (kv.key == ignored) return Ok{};
    const Setting* s = find_setting(kv.key);
    if (!s) return make_error("unknown field " + quoted(kv.key));
    if (s->group != kAny && !(groups_of(command_) & s->group))
      return make_error(std::string(kv.key) + " is not allowed in " +
                        std::string(command_text(command_)));
    if (!seen_.insert(std::string(kv.key)).second)
      return make_error(std::string(kv.key) + " given twice");
    if (!s->takes_value) {
      if (kv.delim != '\0') return make_error(std::string(kv.key) + " takes no value");
      if (kv.key == "send_flow_rem") spec_.send_flow_rem = true;
      else if (kv.key == "check_overlap") spec_.check_overlap = true;
      else if (kv.key == "reset_counts") spec_.reset_counts = true;
      else if (kv.key == "no_packet_counts") spec_.no_packet_counts = true;
      else if (kv.key == "no_byte_counts") spec_.no_byte_counts = true;
      return Ok{};
    }
    if (kv.value.empty()) return make_error(std::string(kv.key) + ": missing value");
    if (kv.key == "table") {
      auto v = setting_number("table", kv.value, kMaxTableId);
      if (!v.ok()) return Error{v.error()};
      spec_.table = static_cast<uint8_t>(*v);
    } else if (kv.key == "priority" || kv.key == "idle_timeout" || kv.key == "hard_timeout" ||
               kv.key == "importance") {
      auto v = setting_number(kv.key, kv.value, 0xffff);
      if (!v.ok()) return Error{v.error()};
      auto n = static_cast<uint16_t>(*v);
      if (kv.key == "priority") spec_.priority = n;
      else if (kv.key == "idle_timeout") spec_.idle_timeout = n;
      else if (kv.key == "hard_timeout") spec_.hard_timeout = n;
      else spec_.importance = n;
    } else if (kv.key == "cookie") {
      return cookie(kv.value);
    } else if (kv.key == "out_port") {
      auto p = of_text::parse_port(kv.value, ports_, "out_port");
      if (!p.ok()) return Error{p.error()};
      spec_.out_port = *p;
    } else if (kv.key == "out_group") {
      return out_group(kv.value);
    }
    return Ok{};
  }

  Status cookie(std::string_view text) {
    size_t slash = text.find('/');
    auto value = cookie_number(text.substr(0, slash), "value");
    if (!value.ok()) return Error{value.error()};
    if (slash == std::string_view::npos) {
      if (!takes_actions(command_))
        return make_error("cookie: " + std::string(command_text(command_)) +
                          " cannot set a cookie (to match one, give a mask, e.g. \"cookie=" +
                          std::string(text) + "/-1\")");
      spec_.cookie = *value;
      return Ok{};
    }
    if (command_ == FlowModCommand::kAdd)
      return make_error("cookie: add-flow cannot use a cookie mask (it sets the cookie)");
    auto mask = cookie_number(text.substr(slash + 1), "mask");
    if (!mask.ok()) return Error{mask.error()};
    spec_.cookie = *value & *mask;
    spec_.cookie_mask = *mask;
    return Ok{};
  }

  Status out_group(std::string_view text) {
    if (of_text::iequals(text, "any")) {
      spec_.out_group = kOfgAny;
      return Ok{};
    }
    if (of_text::iequals(text, "all")) {
      spec_.out_group = 0xfffffffc;  // OFPG_ALL
      return Ok{};
    }
    std::optional<uint64_t> v = of_text::to_uint(text);
    if (!v) return make_error("out_group: " + quoted(text) + " is not a group number");
    if (*v > 0xffffff00)
      return make_error("out_group " + std::string(text) +
                        " is out of range (0-4294967040, all or any)");
    spec_.out_group = static_cast<uint32_t>(*v);
    return Ok{};
  }

  FlowModCommand command_;
  const PortNameResolver& ports_;
  MatchBuilder match_;
  FlowModSpec spec_;
  std::set<std::string> seen_;
};


// ---- The dump-flows form of a match, in ovs-ofctl's order.

class MatchFormatter {
 public:
  explicit MatchFormatter(const OfMatch& m) : m_(m), left_(m.mask) {}

  std::string format(uint16_t priority) {
    if (priority != kDefaultPriority) out_ += "priority=" + std::to_string(priority) + ",";
    for (std::string_view f : {"pkt_mark", "recirc_id", "dp_hash", "skb_priority", "ct_state",
                               "ct_zone", "ct_mark", "ct_label"})
      put(f, f);
    const uint16_t eth_type = ntoh16(m_.value.key.eth_type);
    const uint8_t nw_proto = m_.value.key.nw_proto;
    shorthand(eth_type);
    for (int i = 0; i < kNumRegisters; ++i) {
      std::string reg = "reg" + std::to_string(i);
      put(reg, reg);
    }
    for (std::string_view f : {"tun_id", "tun_src", "tun_dst", "tun_ipv6_src", "tun_ipv6_dst",
                               "tun_gbp_id", "tun_gbp_flags", "tun_tos", "tun_ttl", "metadata",
                               "in_port"})
      put(f, f);
    vlan();
    put("dl_src", "eth_src");
    put("dl_dst", "eth_dst");
    put("dl_type", "eth_type");
    const bool arp = eth_type == ethertype::kArp || eth_type == ethertype::kRarp;
    if (eth_type == ethertype::kIpv6) {
      for (std::string_view f : {"ipv6_src", "ipv6_dst", "ipv6_label"}) put(f, f);
    } else if (arp) {
      put("arp_spa", "arp_spa");
      put("arp_tpa", "arp_tpa");
    } else {
      put("nw_src", "ip_src");
      put("nw_dst", "ip_dst");
    }
    if (arp) {
      for (std::string_view f : {"arp_op", "arp_sha", "arp_tha"}) put(f, f);
    } else {
      put("nw_proto", "nw_proto");
    }
    for (std::string_view f : {"nw_tos", "nw_ecn", "nw_ttl", "mpls_label", "mpls_tc", "mpls_ttl",
                               "mpls_bos"})
      put(f, f);
    put("nw_frag", "ip_frag");
    if (eth_type == ethertype::kIpv4 && nw_proto == ipproto::kIcmp) {
      put("icmp_type", "icmp_type");
      put("icmp_code", "icmp_code");
    } else if (eth_type == ethertype::kIpv6 && nw_proto == ipproto::kIcmpv6) {
      // ovs-ofctl prints ICMPv6 type and code under the ICMP names.
      put("icmp_type", "icmpv6_type");
      put("icmp_code", "icmpv6_code");
      for (std::string_view f : {"nd_target", "nd_sll", "nd_tll", "nd_reserved",
                                 "nd_options_type"})
        put(f, f);
    } else {
      put("tp_src", "tp_src");
      put("tp_dst", "tp_dst");
    }
    if ((eth_type == ethertype::kIpv4 || eth_type == ethertype::kIpv6) &&
        nw_proto == ipproto::kTcp)
      put("tcp_flags", "tcp_flags");
    // Whatever the usual order did not cover (a field without its
    // prerequisites, set by a caller rather than by the parser) still shows,
    // under the field's own name.
    for (const OfFieldInfo& f : all_fields()) {
      auto rule = field_internal::field_layout(f).rule;
      if (rule == field_internal::ValueRule::kPlain || rule == field_internal::ValueRule::kInPlace)
        put(f.name, f.name);
    }
    if (!out_.empty()) out_.pop_back();  // the last ','
    return out_;
  }

 private:
  // "name=value," for the bits of `field_name` not printed yet, if any.
  void put(std::string_view name, std::string_view field_name) {
    const OfFieldInfo* f = find_field(field_name);
    if (!f) return;
    const auto& l = field_internal::field_layout(*f);
    field_internal::U128 left =
        field_internal::load_number(left_.bytes() + f->offset, f->bytes, l.order) &
        field_internal::field_storage_bits(l);
    if (left == 0) return;
    FieldValue v;
    v.field = f;
    std::memcpy(v.value, m_.value.bytes() + f->offset, f->bytes);
    field_internal::store_number(v.mask, f->bytes, l.order, left);
    for (unsigned i = 0; i < f->bytes; ++i) {
      v.value[i] &= v.mask[i];
      left_.bytes()[f->offset + i] &= static_cast<uint8_t>(~v.mask[i]);
    }
    out_ += std::string(name) + "=" + format_field_value(v) + ",";
  }

  // "tcp" for dl_type=0x0800,nw_proto=6; "ip" for dl_type=0x0800 alone.
  void shorthand(uint16_t eth_type) {
    if (m_.mask.key.eth_type != 0xffff) return;
    const Shorthand* pick = nullptr;
    for (const Shorthand& s : kShorthands) {
      if (s.eth_type != eth_type) continue;
      if (!s.nw_proto) {
        if (!pick) pick = &s;  // the first bare name: "ip", not "ipv4"
      } else if (m_.mask.key.nw_proto == 0xff && *s.nw_proto == m_.value.key.nw_proto) {
        pick = &s;
        break;
      }
    }
    if (!pick) return;
    out_ += std::string(pick->name) + ",";
    left_.key.eth_type = 0;
    if (pick->nw_proto) left_.key.nw_proto = 0;
  }

  // VLAN tag 0 as dl_vlan/dl_vlan_pcp when the match is "a tag with this VID
  // and/or PCP", else as the raw vlan_tci.
  void vlan() {
    const uint16_t mask = ntoh16(left_.key.vlans[0].tci);
    if (mask == 0) return;
    const uint16_t tci = ntoh16(m_.value.key.vlans[0].tci) & mask;
    const uint16_t vid_mask = mask & 0x0fff, pcp_mask = mask & 0xe000;
    char buf[32];
    if ((mask & 0x1000) && (tci & 0x1000) && (vid_mask == 0 || vid_mask == 0x0fff) &&
        (pcp_mask == 0 || pcp_mask == 0xe000) && (vid_mask || pcp_mask)) {
      if (vid_mask) out_ += "dl_vlan=" + std::to_string(tci & 0x0fff) + ",";
      if (pcp_mask) out_ += "dl_vlan_pcp=" + std::to_string(tci >> 13) + ",";
    } else if (mask == 0xffff) {
      std::snprintf(buf, sizeof buf, "vlan_tci=0x%04x,", tci);
      out_ += buf;
    } else {
      std::snprintf(buf, sizeof buf, "vlan_tci=0x%04x/0x%04x,", tci, mask);
      out_ += buf;
    }
    left_.key.vlans[0].tci = 0;
  }

  const OfMatch& m_;
  OfFlow left_;  // mask bits not printed yet
  std::string out_;
};

}  // namespace

Result<FlowModSpec> parse_flow_mod(std::string_view text, FlowModCommand command,
                                   const PortNameResolver& ports) {
  return FlowModParser(command, ports).parse(text);
}

Result<OfMatch> parse_of_match(std::string_view text, const PortNameResolver& ports) {
  auto items = of_text::split_key_values(text);
  if (!items.ok()) return Error{items.error()};
  MatchBuilder match(ports);
  for (const of_text::KeyValue& kv : *items) {
    auto taken = match.accept(kv);
    if (!taken.ok()) return Error{taken.error()};
    if (*taken) continue;
    if (find_setting(kv.key) || kv.key == "actions" || kv.key == "action")
      return make_error(quoted(kv.key) + " is a flow setting, not a match field");
    return make_error("unknown field " + quoted(kv.key));
  }
  return match.finish();
}

std::string format_of_match(const OfMatch& match, uint16_t priority) {
  return MatchFormatter(match).format(priority);
}

}  // namespace flowpath::openflow
