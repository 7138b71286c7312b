// Text <-> Netlink for the conntrack action:
//   ct(commit|force_commit,zone=N,mark=V/M,label=V/M,helper=NAME,timeout=NAME,
//      nat(src|dst[=IP[-IP][:PORT[-PORT]]],persistent,hash,random))
// in Open vSwitch's syntax and order.
#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "odp/odp_action_text_impl.h"
#include "flow/odp_abi.h"

namespace flowpath::action_text {
namespace {

constexpr std::string_view kDelimiters = ", \t\r\n";
constexpr size_t kMaxHelperLen = 15;   // plus NUL: 16 bytes on the wire
constexpr size_t kMaxTimeoutLen = 31;  // plus NUL: 32 bytes on the wire

void skip_delimiters(TextScanner& in) {
  while (!in.at_end() && kDelimiters.find(in.peek()) != std::string_view::npos)
    in.set_pos(in.pos() + 1);
}

// ct labels travel as a host-order 128-bit integer (as Open vSwitch's
// ovs_u128 does); text shows them big-endian.
void swap_label_order(const uint8_t in[16], uint8_t out[16]) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  for (int i = 0; i < 16; ++i) out[i] = in[15 - i];
#else
  std::memcpy(out, in, 16);
#endif
}

uint32_t load_ipv4(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

struct NatParams {
  bool src = false, dst = false;
  size_t addr_len = 0;  // 0, 4 or 16
  uint8_t ip_min[16] = {}, ip_max[16] = {};
  bool have_ip_max = false;
  std::optional<uint16_t> proto_min, proto_max;
  bool persistent = false, hash = false, random = false;
};

// One address of a NAT range; the family must match `*addr_len` once set.
Status parse_nat_address(TextScanner& in, size_t* addr_len, uint8_t out[16]) {
  size_t at = in.pos();
  if (in.accept_prefix("[")) {
    if (!in.ipv6_address(out)) return in.error("ct: nat: expected an IPv6 address after '['");
    if (auto st = expect(in, "]", "ct: nat"); !st.ok()) return st;
    if (*addr_len == 4) return in.error_at(at, "ct: nat: IPv4 and IPv6 addresses mixed in a range");
    *addr_len = 16;
    return Ok{};
  }
  // IPv4 when the leading run of digits and dots has a dot ("10.0.0.1:80");
  // "1::2" and "::ffff:1.2.3.4" do not.
  std::string_view rest = in.rest();
  std::string_view digits_and_dots = rest.substr(0, rest.find_first_not_of("0123456789."));
  if (digits_and_dots.find('.') != std::string_view::npos) {
    auto ip = in.ipv4_address();
    if (!ip) return in.error("ct: nat: bad IPv4 address");
    if (*addr_len == 16)
      return in.error_at(at, "ct: nat: IPv4 and IPv6 addresses mixed in a range");
    std::memcpy(out, &*ip, 4);
    *addr_len = 4;
    return Ok{};
  }
  if (!in.ipv6_address(out)) return in.error("ct: nat: expected an IP address");
  if (*addr_len == 4) return in.error_at(at, "ct: nat: IPv4 and IPv6 addresses mixed in a range");
  *addr_len = 16;
  return Ok{};
}

// "=IP[-IP][:PORT[-PORT]]" after src or dst.
Status parse_nat_range(TextScanner& in, NatParams* p) {
  if (!in.accept_prefix("=")) return Ok{};
  size_t at = in.pos();
  if (auto st = parse_nat_address(in, &p->addr_len, p->ip_min); !st.ok()) return st;
  if (in.accept_prefix("-")) {
    if (auto st = parse_nat_address(in, &p->addr_len, p->ip_max); !st.ok()) return st;
    p->have_ip_max = true;
    bool reversed = p->addr_len == 4 ? ntohl(load_ipv4(p->ip_min)) > ntohl(load_ipv4(p->ip_max))
                                     : std::memcmp(p->ip_min, p->ip_max, 16) > 0;
    if (reversed) return in.error_at(at, "ct: nat: address range ends below its start");
  }
  if (in.accept_prefix(":")) {
    size_t port_at = in.pos();
    auto min = parse_uint(in, 0xffff, "ct: nat: port");
    if (!min) return Error{min.error()};
    p->proto_min = static_cast<uint16_t>(*min);
    if (in.accept_prefix("-")) {
      auto max = parse_uint(in, 0xffff, "ct: nat: port");
      if (!max) return Error{max.error()};
      if (*max < *min) return in.error_at(port_at, "ct: nat: port range ends below its start");
      p->proto_max = static_cast<uint16_t>(*max);
    }
  }
  return Ok{};
}

Status parse_nat(TextScanner& in, NetlinkWriter& out) {
  NatParams p;
  size_t open = in.pos();
  if (in.accept_prefix("(")) {
    while (true) {
      skip_delimiters(in);
      if (in.accept_prefix(")")) break;
      if (in.at_end()) return in.error_at(open, "unbalanced parentheses: nat( is never closed");
      size_t item = in.pos();
      auto once = [&](bool* flag, std::string_view name) -> Status {
        if (*flag) return in.error_at(item, "ct: nat: duplicate " + std::string(name));
        *flag = true;
        return Ok{};
      };
      Status st = Ok{};
      if (accept_word(in, "src")) {
        if (p.src || p.dst)
          return in.error_at(item, "ct: nat: only one of src and dst may be given");
        p.src = true;
        st = parse_nat_range(in, &p);
      } else if (accept_word(in, "dst")) {
        if (p.src || p.dst)
          return in.error_at(item, "ct: nat: only one of src and dst may be given");
        p.dst = true;
        st = parse_nat_range(in, &p);
      } else if (accept_word(in, "persistent")) {
        st = once(&p.persistent, "persistent");
      } else if (accept_word(in, "hash")) {
        st = once(&p.hash, "hash");
      } else if (accept_word(in, "random")) {
        st = once(&p.random, "random");
      } else {
        return in.error("ct: nat: expected src, dst, persistent, hash or random");
      }
      if (!st.ok()) return st;
      if (!in.at_end() && in.peek() != ')' && kDelimiters.find(in.peek()) == std::string_view::npos)
        return in.error("ct: nat: unexpected text");
    }
    if (p.hash && p.random)
      return in.error_at(open, "ct: nat: hash and random are mutually exclusive");
    if (!p.src && !p.dst && (p.persistent || p.hash || p.random))
      return in.error_at(open, "ct: nat: options need src or dst");
  }
  size_t nat = out.begin_nested(odp::kCtNat);
  if (p.src) out.put_flag(odp::kNatSrc);
  if (p.dst) out.put_flag(odp::kNatDst);
  if (p.addr_len) {
    out.put(odp::kNatIpMin, p.ip_min, p.addr_len);
    if (p.have_ip_max) out.put(odp::kNatIpMax, p.ip_max, p.addr_len);
  }
  if (p.proto_min) out.put_u16(odp::kNatProtoMin, *p.proto_min);
  if (p.proto_max) out.put_u16(odp::kNatProtoMax, *p.proto_max);
  if (p.persistent) out.put_flag(odp::kNatPersistent);
  if (p.hash) out.put_flag(odp::kNatProtoHash);
  if (p.random) out.put_flag(odp::kNatProtoRandom);
  out.end_nested(nat);
  return Ok{};
}

struct CtParams {
  bool commit = false, force_commit = false;
  std::optional<uint16_t> zone;
  std::optional<odp::CtMark> mark;
  std::optional<odp::CtLabels> labels;
  std::string_view helper, timeout;
  bool have_helper = false, have_timeout = false;
  std::vector<uint8_t> nat;  // the encoded nat attribute
};

// A helper or timeout policy name: [A-Za-z0-9_.-], as validate_actions
// requires, so that every name prints and parses back.
Result<std::string_view> parse_ct_name(TextScanner& in, size_t max, std::string_view what) {
  std::string_view name = in.identifier();
  if (name.empty() || name.size() > max) {
    in.set_pos(in.pos() - name.size());
    return in.error("ct: " + std::string(what) + " must be 1 to " + std::to_string(max) +
                    " characters from [A-Za-z0-9_.-]");
  }
  return name;
}

Status parse_ct_item(TextScanner& in, CtParams* p) {
  size_t item = in.pos();
  auto dup = [&](std::string_view name) {
    return in.error_at(item, "ct: duplicate " + std::string(name));
  };
  if (accept_word(in, "commit")) {
    if (p->commit) return dup("commit");
    p->commit = true;
  } else if (accept_word(in, "force_commit")) {
    if (p->force_commit) return dup("force_commit");
    p->force_commit = true;
  } else if (in.accept_prefix("zone=")) {
    if (p->zone) return dup("zone");
    auto zone = parse_uint(in, 0xffff, "ct: zone");
    if (!zone) return Error{zone.error()};
    p->zone = static_cast<uint16_t>(*zone);
  } else if (in.accept_prefix("mark=")) {
    if (p->mark) return dup("mark");
    auto value = parse_hex(in, UINT32_MAX, "ct: mark", true);
    if (!value) return Error{value.error()};
    uint64_t mask = UINT32_MAX;
    if (in.accept_prefix("/")) {
      auto m = parse_hex(in, UINT32_MAX, "ct: mark mask", true);
      if (!m) return Error{m.error()};
      mask = *m;
    }
    p->mark = odp::CtMark{static_cast<uint32_t>(*value), static_cast<uint32_t>(mask)};
  } else if (in.accept_prefix("label=")) {
    if (p->labels) return dup("label");
    uint8_t value[16], mask[16];
    if (auto st = parse_be_number(in, value, "ct: label"); !st.ok()) return st;
    if (in.accept_prefix("/")) {
      if (auto st = parse_be_number(in, mask, "ct: label mask"); !st.ok()) return st;
    } else {
      std::memset(mask, 0xff, sizeof mask);
    }
    odp::CtLabels labels;
    swap_label_order(value, labels.value);
    swap_label_order(mask, labels.mask);
    p->labels = labels;
  } else if (in.accept_prefix("helper=")) {
    if (p->have_helper) return dup("helper");
    auto name = parse_ct_name(in, kMaxHelperLen, "helper");
    if (!name) return Error{name.error()};
    p->helper = *name;
    p->have_helper = true;
  } else if (in.accept_prefix("timeout=")) {
    if (p->have_timeout) return dup("timeout");
    auto name = parse_ct_name(in, kMaxTimeoutLen, "timeout");
    if (!name) return Error{name.error()};
    p->timeout = *name;
    p->have_timeout = true;
  } else if (accept_word(in, "nat")) {
    if (!p->nat.empty()) return dup("nat");
    NetlinkWriter nat(&p->nat);
    if (auto st = parse_nat(in, nat); !st.ok()) return st;
  } else {
    std::string_view token = in.token_until(", \t\r\n()=");
    return in.error_at(item, "ct: unknown option '" + std::string(token) + "'");
  }
  return Ok{};
}

}  // namespace

Status parse_ct(TextScanner& in, NetlinkWriter& out) {
  CtParams p;
  size_t open = in.pos();
  if (in.accept_prefix("(")) {
    while (true) {
      skip_delimiters(in);
      if (in.accept_prefix(")")) break;
      if (in.at_end()) return in.error_at(open, "unbalanced parentheses: ct( is never closed");
      if (auto st = parse_ct_item(in, &p); !st.ok()) return st;
      if (!in.at_end() && in.peek() != ')' && kDelimiters.find(in.peek()) == std::string_view::npos)
        return in.error("ct: unexpected text after option");
    }
  }
  if (p.commit && p.force_commit)
    return in.error_at(open, "ct: commit and force_commit are mutually exclusive");
  size_t ct = out.begin_nested(odp::kActionCt);
  if (p.commit) out.put_flag(odp::kCtCommit);
  if (p.force_commit) out.put_flag(odp::kCtForceCommit);
  // A zero zone is the default zone: Open vSwitch neither encodes nor prints it.
  if (p.zone && *p.zone != 0) out.put_u16(odp::kCtZone, *p.zone);
  if (p.mark) out.put_struct(odp::kCtMark, *p.mark);
  if (p.labels) out.put_struct(odp::kCtLabels, *p.labels);
  if (p.have_helper) out.put_string(odp::kCtHelper, p.helper);
  if (p.have_timeout) out.put_string(odp::kCtTimeout, p.timeout);
  if (!p.nat.empty()) out.bytes().insert(out.bytes().end(), p.nat.begin(), p.nat.end());
  out.end_nested(ct);
  return Ok{};
}

namespace {

void append_ip(std::string& out, const uint8_t* ip, size_t len, bool bracket) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(len == 4 ? AF_INET : AF_INET6, ip, buf, sizeof buf);
  if (bracket) out += '[';
  out += buf;
  if (bracket) out += ']';
}

void format_nat(std::span<const uint8_t> payload, std::string& out) {
  std::optional<NetlinkAttr> a[odp::kNatAttrMax + 1];
  auto st = for_each_attribute(payload, [&](const NetlinkAttr& attr) -> Status {
    if (attr.type > odp::kNatAttrMax || a[attr.type]) return make_error("");
    a[attr.type] = attr;
    return Ok{};
  });
  const auto& ip_min = a[odp::kNatIpMin];
  const auto& ip_max = a[odp::kNatIpMax];
  size_t addr_len = ip_min ? ip_min->size() : 0;
  bool bad = !st.ok() || (a[odp::kNatSrc] && a[odp::kNatDst]) ||
             (addr_len != 0 && addr_len != 4 && addr_len != 16) ||
             (ip_max && (!ip_min || ip_max->size() != addr_len)) ||
             (a[odp::kNatProtoMin] && (!ip_min || a[odp::kNatProtoMin]->size() != 2)) ||
             (a[odp::kNatProtoMax] && (!a[odp::kNatProtoMin] || a[odp::kNatProtoMax]->size() != 2));
  bool type = a[odp::kNatSrc] || a[odp::kNatDst];
  bool options =
      ip_min || a[odp::kNatPersistent] || a[odp::kNatProtoHash] || a[odp::kNatProtoRandom];
  if (bad || (!type && options)) {
    out += "nat(error)";
    return;
  }
  out += "nat";
  if (!type) return;
  out += a[odp::kNatSrc] ? "(src" : "(dst";
  if (ip_min) {
    bool bracket = addr_len == 16 && a[odp::kNatProtoMin];
    out += '=';
    append_ip(out, ip_min->data(), addr_len, bracket);
    if (ip_max) {
      out += '-';
      append_ip(out, ip_max->data(), addr_len, bracket);
    }
    if (a[odp::kNatProtoMin]) {
      appendf(out, ":%u", a[odp::kNatProtoMin]->get_u16());
      if (a[odp::kNatProtoMax]) appendf(out, "-%u", a[odp::kNatProtoMax]->get_u16());
    }
  }
  if (a[odp::kNatPersistent]) out += ",persistent";
  if (a[odp::kNatProtoHash]) out += ",hash";
  if (a[odp::kNatProtoRandom]) out += ",random";
  out += ')';
}

// A NUL-terminated string attribute's text, or nullopt when unterminated.
std::optional<std::string_view> attr_string(const NetlinkAttr& a) {
  const char* p = reinterpret_cast<const char*>(a.data());
  const char* nul = static_cast<const char*>(std::memchr(p, '\0', a.size()));
  if (!nul) return std::nullopt;
  return std::string_view(p, static_cast<size_t>(nul - p));
}

}  // namespace

void format_ct(std::span<const uint8_t> payload, std::string& out) {
  std::optional<NetlinkAttr> a[odp::kCtAttrMax + 1];
  auto st = for_each_attribute(payload, [&](const NetlinkAttr& attr) -> Status {
    if (attr.type > odp::kCtAttrMax || a[attr.type]) return make_error("");
    a[attr.type] = attr;
    return Ok{};
  });
  std::optional<std::string_view> helper, timeout;
  if (a[odp::kCtHelper]) helper = attr_string(*a[odp::kCtHelper]);
  if (a[odp::kCtTimeout]) timeout = attr_string(*a[odp::kCtTimeout]);
  if (!st.ok() || (a[odp::kCtZone] && a[odp::kCtZone]->size() != 2) ||
      (a[odp::kCtMark] && a[odp::kCtMark]->size() != sizeof(odp::CtMark)) ||
      (a[odp::kCtLabels] && a[odp::kCtLabels]->size() != sizeof(odp::CtLabels)) ||
      (a[odp::kCtHelper] && !helper) || (a[odp::kCtTimeout] && !timeout)) {
    out += "ct(error)";
    return;
  }
  std::string items;
  if (a[odp::kCtCommit]) items += "commit,";
  if (a[odp::kCtForceCommit]) items += "force_commit,";
  if (a[odp::kCtZone] && a[odp::kCtZone]->get_u16() != 0)
    appendf(items, "zone=%u,", a[odp::kCtZone]->get_u16());
  if (a[odp::kCtMark]) {
    auto mark = a[odp::kCtMark]->get<odp::CtMark>();
    appendf(items, "mark=%#x/%#x,", mark.value, mark.mask);
  }
  if (a[odp::kCtLabels]) {
    auto labels = a[odp::kCtLabels]->get<odp::CtLabels>();
    uint8_t value[16], mask[16];
    swap_label_order(labels.value, value);
    swap_label_order(labels.mask, mask);
    items += "label=";
    append_hex_number(items, value);
    if (!std::all_of(mask, mask + 16, [](uint8_t b) { return b == 0xff; })) {
      items += '/';
      append_hex_number(items, mask);
    }
    items += ',';
  }
  if (helper) items += "helper=" + std::string(*helper) + ",";
  if (timeout) items += "timeout=" + std::string(*timeout) + ",";
  if (a[odp::kCtNat]) {
    format_nat(a[odp::kCtNat]->payload, items);
    items += ',';
  }
  out += "ct";
  if (!items.empty()) {
    items.pop_back();
    out += '(' + items + ')';
  }
}

}  // namespace flowpath::action_text
