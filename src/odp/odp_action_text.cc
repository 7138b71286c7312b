// Text -> Netlink for datapath action lists in Open vSwitch's syntax. This
// file parses the list structure, the simple actions, set, sample, clone,
// check_pkt_len and push_nsh; conntrack, tnl_push and userspace have their
// own files (odp_ct_text.cc, odp_tunnel_push_text.cc, odp_userspace_text.cc), printing lives in
// odp_action_format.cc.
//
// Where Open vSwitch's own formatter and parser disagree (it prints forms it
// cannot read back, e.g. "clone(drop)"), we read back what we print.
#include "odp/odp_action_text.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>

#include "actions/action_validate.h"
#include "odp/odp_action_text_impl.h"
#include "flow/odp_abi.h"
#include "odp/odp_key_text.h"
#include "packet/byte_order.h"
#include "packet/headers.h"

namespace flowpath {
namespace {

using namespace action_text;

constexpr std::string_view kDelimiters = ", \t\r\n";
constexpr uint16_t kNshNextProtoEthernet = 3;
constexpr int kNshMaxTtl = 63;
constexpr size_t kNshMaxContextLen = 248;
constexpr size_t kMaxActionsLen = 0xffff - kNlaHeaderLen;

void skip_delimiters(TextScanner& in) {
  while (!in.at_end() && kDelimiters.find(in.peek()) != std::string_view::npos)
    in.set_pos(in.pos() + 1);
}

// ---------------------------------------------------------------- parsing

class ActionParser {
 public:
  ActionParser(TextScanner& in, NetlinkWriter& out, const PortNameResolver* ports)
      : in_(in), out_(out), ports_(ports), start_(out.size()) {}

  // Parses until end of input or an unmatched ')'. `depth` counts the nested
  // lists around this one (0 for the outermost).
  Status parse_list(int depth);

 private:
  Status parse_action(int depth);
  Status parse_nested_list(uint16_t type, int depth, std::string_view what);
  Status parse_u32_call(uint16_t type, std::string_view what);
  Status parse_set();
  Status parse_push_vlan();
  Status parse_mpls_lse(std::string_view what, uint32_t* lse, uint16_t* ethertype);
  Status parse_push_eth();
  Status parse_hash();
  Status parse_sample(int depth);
  Status parse_check_pkt_len(int depth);
  Status parse_push_nsh();
  Status close_paren(std::string_view what, size_t open_pos);

  TextScanner& in_;
  NetlinkWriter& out_;
  const PortNameResolver* ports_;  // may be null
  size_t start_;  // where this parse began appending
};

// "drop" alone is the empty list; elsewhere it is the drop action.
bool accept_lone_drop(TextScanner& in) {
  size_t save = in.pos();
  std::string_view rest = in.rest();
  if (rest.size() < 4) return false;
  for (int i = 0; i < 4; ++i)
    if (std::tolower(static_cast<unsigned char>(rest[i])) != "drop"[i]) return false;
  in.set_pos(save + 4);
  skip_delimiters(in);
  if (in.at_end() || in.peek() == ')') return true;
  in.set_pos(save);
  return false;
}

Status ActionParser::parse_list(int depth) {
  if (depth > kMaxActionNesting)
    return in_.error("actions nested more than " + std::to_string(kMaxActionNesting) +
                     " levels deep");
  skip_delimiters(in_);
  if (accept_lone_drop(in_)) return Ok{};
  while (true) {
    skip_delimiters(in_);
    if (in_.at_end() || in_.peek() == ')') return Ok{};
    size_t action_start = in_.pos();
    if (auto st = parse_action(depth); !st.ok()) return st;
    if (!out_.ok() || out_.size() - start_ > kMaxActionsLen)
      return in_.error_at(action_start, "actions do not fit in a Netlink attribute (65,531 bytes)");
    if (!in_.at_end() && in_.peek() != ')' &&
        kDelimiters.find(in_.peek()) == std::string_view::npos)
      return in_.error(std::string("unexpected '") + in_.peek() + "' after action");
  }
}

Status ActionParser::close_paren(std::string_view what, size_t open_pos) {
  if (in_.accept_prefix(")")) return Ok{};
  if (in_.at_end())
    return in_.error_at(open_pos,
                        "unbalanced parentheses: " + std::string(what) + "( is never closed");
  return in_.error(std::string(what) + ": expected ')'");
}

Status ActionParser::parse_nested_list(uint16_t type, int depth, std::string_view what) {
  size_t open = in_.pos() - 1;  // the (
  size_t nested = out_.begin_nested(type);
  if (auto st = parse_list(depth + 1); !st.ok()) return st;
  out_.end_nested(nested);
  return close_paren(what, open);
}

// name(N) for the actions whose argument is one u32.
Status ActionParser::parse_u32_call(uint16_t type, std::string_view what) {
  size_t open = in_.pos() - 1;  // the (
  auto v = parse_uint(in_, UINT32_MAX, what);
  if (!v) return Error{v.error()};
  out_.put_u32(type, static_cast<uint32_t>(*v));
  return close_paren(what, open);
}

Status ActionParser::parse_action(int depth) {
  const size_t start = in_.pos();
  if (std::isdigit(static_cast<unsigned char>(in_.peek()))) {
    auto port = parse_uint(in_, UINT32_MAX, "output");
    if (!port) return Error{port.error()};
    out_.put_u32(odp::kActionOutput, static_cast<uint32_t>(*port));
    return Ok{};
  }
  if (ports_ != nullptr && *ports_) {
    // A port name, up to the next delimiter, outputs to that port (checked
    // before the action names, as Open vSwitch's dpctl does).
    std::string_view token = in_.rest().substr(0, in_.rest().find_first_of(", \t\r\n)"));
    if (auto port = (*ports_)(token)) {
      in_.set_pos(start + token.size());
      out_.put_u32(odp::kActionOutput, *port);
      return Ok{};
    }
  }
  std::string_view name = in_.identifier();
  const bool call = in_.accept_prefix("(");
  auto is = [&](std::string_view n, bool with_args) { return name == n && call == with_args; };

  if (is("lb_output", true)) return parse_u32_call(odp::kActionLbOutput, "lb_output");
  if (is("trunc", true)) return parse_u32_call(odp::kActionTrunc, "trunc");
  if (is("recirc", true)) return parse_u32_call(odp::kActionRecirc, "recirc");
  if (is("meter", true)) return parse_u32_call(odp::kActionMeter, "meter");
  if (is("tnl_pop", true)) return parse_u32_call(odp::kActionTunnelPop, "tnl_pop");
  if (is("userspace", true)) return parse_userspace(in_, out_);
  if (is("set", true)) return parse_set();
  if (is("push_vlan", true)) return parse_push_vlan();
  if (is("push_mpls", true) || is("add_mpls", true)) {
    uint32_t lse = 0;
    uint16_t ethertype = 0;
    if (auto st = parse_mpls_lse(name, &lse, &ethertype); !st.ok()) return st;
    if (name == "push_mpls") {
      odp::ActionPushMpls a{hton32(lse), hton16(ethertype)};
      out_.put(odp::kActionPushMpls, &a, sizeof a);
    } else {
      odp::ActionAddMpls a{hton32(lse), hton16(ethertype), 0};
      out_.put(odp::kActionAddMpls, &a, sizeof a);
    }
    return Ok{};
  }
  if (is("pop_mpls", true)) {
    size_t open = in_.pos() - 1;  // the (
    if (auto st = expect(in_, "eth_type=", "pop_mpls"); !st.ok()) return st;
    auto ethertype = parse_hex(in_, 0xffff, "pop_mpls: eth_type");
    if (!ethertype) return Error{ethertype.error()};
    out_.put_u16(odp::kActionPopMpls, hton16(static_cast<uint16_t>(*ethertype)));
    return close_paren("pop_mpls", open);
  }
  if (is("push_eth", true)) return parse_push_eth();
  if (is("hash", true)) return parse_hash();
  if (is("sample", true)) return parse_sample(depth);
  if (is("clone", true)) return parse_nested_list(odp::kActionClone, depth, "clone");
  if (is("check_pkt_len", true)) return parse_check_pkt_len(depth);
  if (is("push_nsh", true)) return parse_push_nsh();
  if (is("tnl_push", true)) return parse_tunnel_push(in_, out_);
  if (name == "ct") {
    if (call) in_.set_pos(in_.pos() - 1);  // parse_ct reads its own "("
    return parse_ct(in_, out_);
  }
  if (is("pop_nsh", true)) {
    if (auto st = expect(in_, ")", "pop_nsh"); !st.ok()) return st;
    out_.put_flag(odp::kActionPopNsh);
    return Ok{};
  }
  struct Flag {
    std::string_view name;
    uint16_t type;
  };
  static constexpr Flag kFlags[] = {
      {"pop_vlan", odp::kActionPopVlan},
      {"pop_eth", odp::kActionPopEth},
      {"ct_clear", odp::kActionCtClear},
      {"pop_nsh", odp::kActionPopNsh},
  };
  for (const Flag& f : kFlags) {
    if (is(f.name, false)) {
      out_.put_flag(f.type);
      return Ok{};
    }
  }
  if (is("drop", false)) {
    // As in Open vSwitch, "drop" is a whole action list (the empty one), never
    // one action among others: it refuses "2,drop" and "drop,2" alike.
    in_.set_pos(start);
    return in_.error("drop: only allowed alone, as the whole action list");
  }
  in_.set_pos(start);
  if (name.empty()) return in_.error("expected an action");
  for (std::string_view n : {"pop_vlan", "pop_eth", "ct_clear", "drop"})
    if (name == n) return in_.error(std::string(name) + ": takes no arguments");
  bool known_name = false;
  for (std::string_view n : {"lb_output", "trunc", "recirc", "meter", "tnl_pop", "userspace", "set",
                             "push_vlan", "push_mpls", "add_mpls", "pop_mpls", "push_eth", "hash",
                             "sample", "clone", "check_pkt_len", "push_nsh", "tnl_push"})
    known_name |= name == n;
  if (known_name) return in_.error(std::string(name) + ": expected '('");
  return in_.error("unknown action '" + std::string(name) + "'");
}

bool all_ones(std::span<const uint8_t> bytes) {
  for (uint8_t b : bytes)
    if (b != 0xff) return false;
  return true;
}

// A masked NSH set carries each NSH sub-attribute as value then mask; with
// all-ones masks it is a plain set.
void put_nsh_set(const NetlinkAttr& key, std::span<const uint8_t> mask_buf, NetlinkWriter& out) {
  auto key_fields = parse_attributes(key.payload);
  std::vector<NetlinkAttr> mask_fields;
  if (auto mask = single_attribute(mask_buf); mask && mask->type == odp::kKeyNsh) {
    if (auto parsed = parse_attributes(mask->payload)) mask_fields = std::move(*parsed);
  }
  auto mask_of = [&](const NetlinkAttr& field) -> std::optional<NetlinkAttr> {
    for (const NetlinkAttr& m : mask_fields)
      if (m.type == field.type && m.size() == field.size()) return m;
    return std::nullopt;
  };
  bool exact = true;
  if (key_fields) {
    for (const NetlinkAttr& f : *key_fields) {
      auto m = mask_of(f);
      exact = exact && m && all_ones(m->payload);
    }
  }
  size_t s = out.begin_nested(exact ? odp::kActionSet : odp::kActionSetMasked);
  if (exact) {
    out.put(key.type, key.data(), key.size());
  } else {
    size_t nsh = out.begin_nested(odp::kKeyNsh);
    for (const NetlinkAttr& f : *key_fields) {
      uint8_t* p = out.put_uninit(f.type, 2 * f.size());
      std::memcpy(p, f.data(), f.size());
      if (auto m = mask_of(f)) std::memcpy(p + f.size(), m->data(), f.size());
    }
    out.end_nested(nsh);
  }
  out.end_nested(s);
}

// The set action for one parsed key attribute and its mask: a field mask
// other than all-ones makes it a masked set whose payload is the value
// followed by the mask. Tunnel and other nested attributes (except NSH) have
// no masked form.
void put_set(std::span<const uint8_t> key_buf, std::span<const uint8_t> mask_buf,
             NetlinkWriter& out) {
  auto key = single_attribute(key_buf);
  auto mask = single_attribute(mask_buf);
  if (key->type == odp::kKeyNsh) return put_nsh_set(*key, mask_buf, out);
  bool nested = key->type > odp::kKeyAttrMax || odp::kKeyAttrLength[key->type] == odp::kNested;
  if (nested || !mask || mask->type != key->type || mask->size() != key->size() ||
      all_ones(mask->payload)) {
    size_t s = out.begin_nested(odp::kActionSet);
    out.put(key->type, key->data(), key->size());
    out.end_nested(s);
    return;
  }
  size_t s = out.begin_nested(odp::kActionSetMasked);
  uint8_t* p = out.put_uninit(key->type, 2 * key->size());
  std::memcpy(p, key->data(), key->size());
  std::memcpy(p + key->size(), mask->data(), key->size());
  out.end_nested(s);
}

// Parses "set(<key attribute>)" from `text` as it was printed, into `out`.
bool reparse_printed_set(std::string_view text, std::vector<uint8_t>* out) {
  TextScanner in(text);
  std::vector<uint8_t> key_buf, mask_buf;
  NetlinkWriter key_writer(&key_buf), mask_writer(&mask_buf);
  if (!in.accept_prefix("set(") || !parse_odp_key_attr(in, key_writer, &mask_writer).ok() ||
      !in.accept_prefix(")") || !in.at_end() || !single_attribute(key_buf))
    return false;
  out->clear();
  NetlinkWriter writer(out);
  put_set(key_buf, mask_buf, writer);
  return true;
}

Status ActionParser::parse_set() {
  size_t open = in_.pos() - 1;
  std::vector<uint8_t> key_buf, mask_buf;
  NetlinkWriter key_writer(&key_buf), mask_writer(&mask_buf);
  size_t attr_pos = in_.pos();
  if (auto st = parse_odp_key_attr(in_, key_writer, &mask_writer); !st.ok()) return st;
  if (auto st = close_paren("set", open); !st.ok()) return st;
  if (!single_attribute(key_buf))
    return in_.error_at(attr_pos, "set: expected exactly one key attribute");
  std::vector<uint8_t> action;
  NetlinkWriter writer(&action);
  put_set(key_buf, mask_buf, writer);
  // Store what the printed form reads back as, so that parsing is stable:
  // a masked key prints only the fields its mask covers ("c1=0x9/0" prints
  // like "c1=0/0"), a whole NSH key prints its context only for MD type 1.
  // Bits under a partial mask stay, as Open vSwitch prints them.
  std::vector<uint8_t> reparsed;
  if (reparse_printed_set(format_odp_actions(action), &reparsed)) action = std::move(reparsed);
  out_.bytes().insert(out_.bytes().end(), action.begin(), action.end());
  return Ok{};
}

// push_vlan([tpid=N,]vid=N,pcp=N[,cfi=N]); Open vSwitch prints exactly that
// order, we accept the fields in any order.
Status ActionParser::parse_push_vlan() {
  size_t open = in_.pos() - 1;
  std::optional<uint64_t> tpid, vid, pcp, cfi;
  struct Field {
    std::string_view name;
    std::optional<uint64_t>* value;
    uint64_t max;
  };
  const Field fields[] = {
      {"tpid", &tpid, 0xffff}, {"vid", &vid, 0xfff}, {"pcp", &pcp, 7}, {"cfi", &cfi, 1}};
  do {
    size_t item = in_.pos();
    std::string_view name = in_.identifier();
    const Field* field = nullptr;
    for (const Field& f : fields)
      if (f.name == name) field = &f;
    if (!field || !in_.accept_prefix("=")) {
      in_.set_pos(item);
      return in_.error("push_vlan: expected tpid=, vid=, pcp= or cfi=");
    }
    if (field->value->has_value())
      return in_.error_at(item, "push_vlan: duplicate " + std::string(name));
    auto v = parse_uint(in_, field->max, "push_vlan: " + std::string(name));
    if (!v) return Error{v.error()};
    *field->value = *v;
  } while (in_.accept_prefix(","));
  if (!vid) return in_.error("push_vlan: missing vid");
  if (!pcp) return in_.error("push_vlan: missing pcp");
  if (auto st = close_paren("push_vlan", open); !st.ok()) return st;
  uint16_t tci =
      static_cast<uint16_t>(*vid | (*pcp << kVlanPcpShift) | (cfi.value_or(1) ? kVlanCfi : 0));
  odp::ActionPushVlan a{hton16(static_cast<uint16_t>(tpid.value_or(ethertype::kVlan8021Q))),
                        hton16(tci)};
  out_.put(odp::kActionPushVlan, &a, sizeof a);
  return Ok{};
}

// label=N,tc=N,ttl=N,bos=N,eth_type=0xN) as push_mpls and add_mpls print it.
Status ActionParser::parse_mpls_lse(std::string_view what, uint32_t* lse, uint16_t* ethertype) {
  size_t open = in_.pos() - 1;
  struct Field {
    std::string_view prefix;
    uint64_t max;
    int shift;
  };
  static constexpr Field kFields[] = {{"label=", 0xfffff, kMplsLabelShift},
                                      {",tc=", 7, kMplsTcShift},
                                      {",ttl=", 255, 0},
                                      {",bos=", 1, kMplsBosShift}};
  uint32_t value = 0;
  for (const Field& f : kFields) {
    if (auto st = expect(in_, f.prefix, what); !st.ok()) return st;
    std::string field(f.prefix.substr(f.prefix[0] == ',' ? 1 : 0));
    field.pop_back();
    auto v = parse_uint(in_, f.max, std::string(what) + ": " + field);
    if (!v) return Error{v.error()};
    value |= static_cast<uint32_t>(*v) << f.shift;
  }
  if (auto st = expect(in_, ",eth_type=", what); !st.ok()) return st;
  auto type = parse_hex(in_, 0xffff, std::string(what) + ": eth_type");
  if (!type) return Error{type.error()};
  *lse = value;
  *ethertype = static_cast<uint16_t>(*type);
  return close_paren(what, open);
}

Status ActionParser::parse_push_eth() {
  size_t open = in_.pos() - 1;
  odp::ActionPushEth a{};
  if (auto st = expect(in_, "src=", "push_eth"); !st.ok()) return st;
  auto src = in_.eth_address();
  if (!src) return in_.error("push_eth: src: expected an Ethernet address");
  if (auto st = expect(in_, ",dst=", "push_eth"); !st.ok()) return st;
  auto dst = in_.eth_address();
  if (!dst) return in_.error("push_eth: dst: expected an Ethernet address");
  std::memcpy(a.src, src->bytes, 6);
  std::memcpy(a.dst, dst->bytes, 6);
  if (auto st = close_paren("push_eth", open); !st.ok()) return st;
  out_.put(odp::kActionPushEth, &a, sizeof a);
  return Ok{};
}

Status ActionParser::parse_hash() {
  size_t open = in_.pos() - 1;
  uint32_t alg;
  if (in_.accept_prefix("l4(")) {
    alg = odp::kHashAlgL4;
  } else if (in_.accept_prefix("sym_l4(")) {
    alg = odp::kHashAlgSymL4;
  } else {
    return in_.error("hash: expected l4(...) or sym_l4(...)");
  }
  auto basis = parse_uint(in_, UINT32_MAX, "hash: basis");
  if (!basis) return Error{basis.error()};
  if (auto st = expect(in_, ")", "hash"); !st.ok()) return st;
  if (auto st = close_paren("hash", open); !st.ok()) return st;
  odp::ActionHash a{alg, static_cast<uint32_t>(*basis)};
  out_.put(odp::kActionHash, &a, sizeof a);
  return Ok{};
}

// sample(sample=P%,actions(...)): P in [0, 100], stored as a fraction of
// UINT32_MAX rounded to nearest.
Status ActionParser::parse_sample(int depth) {
  size_t open = in_.pos() - 1;
  if (auto st = expect(in_, "sample=", "sample"); !st.ok()) return st;
  std::string_view rest = in_.rest();
  double percent = 0;
  auto [ptr, ec] =
      std::from_chars(rest.data(), rest.data() + rest.size(), percent, std::chars_format::fixed);
  if (ec != std::errc() || ptr == rest.data()) return in_.error("sample: expected a percentage");
  if (!(percent >= 0.0 && percent <= 100.0))
    return in_.error(
        "sample: " + std::string(rest.substr(0, static_cast<size_t>(ptr - rest.data()))) +
        "% is out of range (0 to 100)");
  in_.set_pos(in_.pos() + static_cast<size_t>(ptr - rest.data()));
  if (auto st = expect(in_, "%,actions(", "sample"); !st.ok()) return st;
  // The text carries what it shows: 0.1% steps, so that a parsed list prints
  // and parses back to the same probability.
  percent = std::round(percent * 10.0) / 10.0;
  double scaled = std::floor(UINT32_MAX * (percent / 100.0) + 0.5);
  uint32_t probability = scaled <= 0            ? 0
                         : scaled >= UINT32_MAX ? UINT32_MAX
                                                : static_cast<uint32_t>(scaled);
  size_t sample = out_.begin_nested(odp::kActionSample);
  out_.put_u32(odp::kSampleProbability, probability);
  if (auto st = parse_nested_list(odp::kSampleActions, depth, "sample: actions"); !st.ok())
    return st;
  out_.end_nested(sample);
  return close_paren("sample", open);
}

// check_pkt_len(size=N,gt(...),le(...)).
Status ActionParser::parse_check_pkt_len(int depth) {
  size_t open = in_.pos() - 1;
  if (auto st = expect(in_, "size=", "check_pkt_len"); !st.ok()) return st;
  auto size = parse_uint(in_, 0xffff, "check_pkt_len: size");
  if (!size) return Error{size.error()};
  size_t cpl = out_.begin_nested(odp::kActionCheckPktLen);
  out_.put_u16(odp::kCheckPktLenPktLen, static_cast<uint16_t>(*size));
  if (auto st = expect(in_, ",gt(", "check_pkt_len"); !st.ok()) return st;
  if (auto st = parse_nested_list(odp::kCheckPktLenActionsIfGreater, depth, "check_pkt_len: gt");
      !st.ok())
    return st;
  if (auto st = expect(in_, ",le(", "check_pkt_len"); !st.ok()) return st;
  if (auto st = parse_nested_list(odp::kCheckPktLenActionsIfLessEqual, depth, "check_pkt_len: le");
      !st.ok())
    return st;
  out_.end_nested(cpl);
  return close_paren("check_pkt_len", open);
}

// push_nsh(flags=N,ttl=N,mdtype=1|2,np=N,spi=N,si=N,c1..c4=N | md2=0xHEX).
// Fields may come in any order; absent ones take Open vSwitch's defaults
// (ttl 63, MD type 1, next protocol Ethernet, SI 255).
Status ActionParser::parse_push_nsh() {
  size_t open = in_.pos() - 1;
  uint64_t flags = 0, ttl = kNshMaxTtl, mdtype = 1, np = kNshNextProtoEthernet, spi = 0, si = 255;
  uint32_t context[4] = {};
  bool have_context = false;
  std::optional<std::string> md2;
  struct Field {
    std::string_view name;
    uint64_t* value;
    uint64_t max;
  };
  const Field fields[] = {{"flags", &flags, 3}, {"ttl", &ttl, kNshMaxTtl}, {"mdtype", &mdtype, 2},
                          {"np", &np, 255},     {"spi", &spi, 0xffffff},   {"si", &si, 255}};
  std::string seen;
  while (true) {
    skip_delimiters(in_);
    if (in_.peek() == ')' || in_.at_end()) break;
    size_t item = in_.pos();
    std::string_view name = in_.identifier();
    if (!in_.accept_prefix("=")) {
      in_.set_pos(item);
      return in_.error("push_nsh: expected field=value");
    }
    std::string key = "," + std::string(name) + ",";
    if (seen.find(key) != std::string::npos)
      return in_.error_at(item, "push_nsh: duplicate " + std::string(name));
    seen += key;
    const Field* field = nullptr;
    for (const Field& f : fields)
      if (f.name == name) field = &f;
    if (field) {
      auto v = parse_uint(in_, field->max, "push_nsh: " + std::string(name));
      if (!v) return Error{v.error()};
      *field->value = *v;
    } else if (name.size() == 2 && name[0] == 'c' && name[1] >= '1' && name[1] <= '4') {
      auto v = parse_uint(in_, UINT32_MAX, "push_nsh: " + std::string(name));
      if (!v) return Error{v.error()};
      context[name[1] - '1'] = hton32(static_cast<uint32_t>(*v));
      have_context = true;
    } else if (name == "md2") {
      size_t at = in_.pos();
      if (!in_.accept_prefix("0x")) return in_.error("push_nsh: md2: expected 0x and hex bytes");
      md2 = in_.hex_bytes(kNshMaxContextLen);
      if (!md2 || md2->empty()) {
        in_.set_pos(at);
        return in_.error("push_nsh: md2: expected 1 to 248 bytes as an even number of hex digits");
      }
      md2->resize((md2->size() + 3) & ~size_t{3}, '\0');
    } else {
      in_.set_pos(item);
      return in_.error("push_nsh: unknown field '" + std::string(name) + "'");
    }
  }
  if (mdtype == 0) return in_.error_at(open, "push_nsh: mdtype must be 1 or 2");
  if (mdtype == 1 && md2) return in_.error_at(open, "push_nsh: md2 needs mdtype=2");
  if (mdtype == 2 && have_context) return in_.error_at(open, "push_nsh: c1..c4 need mdtype=1");
  if (auto st = close_paren("push_nsh", open); !st.ok()) return st;

  odp::NshBase base{static_cast<uint8_t>(flags), static_cast<uint8_t>(ttl),
                    static_cast<uint8_t>(mdtype), static_cast<uint8_t>(np),
                    hton32(static_cast<uint32_t>(spi << 8 | si))};
  size_t push = out_.begin_nested(odp::kActionPushNsh);
  size_t nsh = out_.begin_nested(odp::kKeyNsh);
  out_.put(odp::kNshBase, &base, sizeof base);
  if (mdtype == 1) out_.put(odp::kNshMd1, context, sizeof context);
  if (mdtype == 2 && md2) out_.put(odp::kNshMd2, md2->data(), md2->size());
  out_.end_nested(nsh);
  out_.end_nested(push);
  return Ok{};
}

}  // namespace

Status parse_odp_actions_into(TextScanner& in, NetlinkWriter& out,
                              const PortNameResolver* ports) {
  size_t start = out.size();
  ActionParser parser(in, out, ports);
  auto st = parser.parse_list(0);
  if (!st.ok()) out.truncate(start);
  return st;
}

Result<std::vector<uint8_t>> parse_odp_actions(std::string_view text,
                                               const PortNameResolver* ports) {
  std::vector<uint8_t> buf;
  NetlinkWriter out(&buf);
  TextScanner in(text);
  if (auto st = parse_odp_actions_into(in, out, ports); !st.ok()) return Error{st.error()};
  if (!in.at_end()) return in.error("unbalanced parentheses: unexpected ')'");
  return buf;
}

}  // namespace flowpath
