// userspace(...) in Open vSwitch's text form, both ways:
//   userspace(pid=N[,COOKIE][,actions][,tunnel_out_port=N])
// where COOKIE is userdata(HEX) or one of the named forms Open vSwitch's
// ofproto-dpif puts into its userdata (lib/odp-util.h, user_action_cookie):
//   sFlow(vid=N,pcp=N,output=N)
//   slow_path(REASON[|REASON...])       cfm bfd lacp stp lldp action match
//   flow_sample(probability=N,collector_set_id=N,obs_domain_id=N,obs_point_id=N,
//               output_port=N[,ingress|,egress])
//   ipfix(output_port=N)
//   controller(reason=N,dont_send=N,continuation=N,recirc_id=N,rule_cookie=HEX,
//              controller_id=N,max_len=N)
// A named form is the 48-byte cookie, byte for byte as Open vSwitch encodes
// it: host-order fields, in_port OFPP_NONE, a zero ofproto UUID. With no
// cookie at all, the userdata is a zeroed cookie (type "unspecified"), and
// userdata shorter than 8 bytes is padded with zeros to 8, as Open vSwitch
// does for old kernels. A 48-byte userdata whose type is one of the five
// prints in its named form; anything else prints as userdata(HEX).
#include <cctype>
#include <cstring>
#include <iterator>
#include <optional>

#include "flow/odp_abi.h"
#include "odp/odp_action_text_impl.h"
#include "packet/byte_order.h"
#include "packet/headers.h"

namespace flowpath::action_text {
namespace {

// user_action_cookie (Open vSwitch 3.1): a 24-byte header, then the
// per-type part; 48 bytes in all. Offsets are those of the C struct on every
// platform Open vSwitch runs on.
constexpr size_t kCookieSize = 48;
constexpr size_t kMinUserdataSize = 8;
constexpr size_t kTypeOffset = 0;       // u16, host order
constexpr size_t kInPortOffset = 4;     // u32 (ofp_port_t), host order
constexpr size_t kBodyOffset = 24;      // after the 16-byte ofproto UUID
constexpr uint32_t kOfppNone = 0xffff;  // OFPP_NONE

enum CookieType : uint16_t {
  kCookieUnspec = 0,
  kCookieSflow = 1,
  kCookieSlowPath = 2,
  kCookieFlowSample = 3,
  kCookieIpfix = 4,
  kCookieController = 5,
};

// Slow-path reasons, bit i is kSlowPathReasons[i].
constexpr std::string_view kSlowPathReasons[] = {"cfm",  "bfd",    "lacp", "stp",
                                                 "lldp", "action", "match"};
constexpr uint32_t kSlowPathReasonMask = (1u << std::size(kSlowPathReasons)) - 1;

// nx_action_sample_direction.
constexpr uint32_t kSampleIngress = 1;
constexpr uint32_t kSampleEgress = 2;

template <typename T>
void put_host(uint8_t* cookie, size_t offset, T value) {
  std::memcpy(cookie + offset, &value, sizeof value);
}
template <typename T>
T get_host(std::span<const uint8_t> cookie, size_t offset) {
  T value;
  std::memcpy(&value, cookie.data() + offset, sizeof value);
  return value;
}

class CookieParser {
 public:
  CookieParser(TextScanner& in, uint8_t* cookie) : in_(in), cookie_(cookie) {}

  // The scanner is just past "NAME(" of a named form; fills the cookie.
  Status sflow();
  Status slow_path();
  Status flow_sample();
  Status ipfix();
  Status controller();

 private:
  void header(CookieType type) {
    put_host<uint16_t>(cookie_, kTypeOffset, type);
    put_host<uint32_t>(cookie_, kInPortOffset, kOfppNone);
  }
  // "name=" then a number no larger than max.
  Result<uint64_t> field(std::string_view form, std::string_view name, uint64_t max,
                         bool first = false);
  Status close(std::string_view form) { return expect(in_, ")", form); }

  TextScanner& in_;
  uint8_t* cookie_;
};

Result<uint64_t> CookieParser::field(std::string_view form, std::string_view name, uint64_t max,
                                     bool first) {
  std::string what = "userspace: " + std::string(form);
  std::string literal = (first ? "" : ",") + std::string(name) + "=";
  if (auto st = expect(in_, literal, what); !st.ok()) return Error{st.error()};
  return parse_uint(in_, max, what + ": " + std::string(name));
}

Status CookieParser::sflow() {
  TRY_ASSIGN(vid, field("sFlow", "vid", kVlanVidMask, true));
  TRY_ASSIGN(pcp, field("sFlow", "pcp", 7));
  TRY_ASSIGN(output, field("sFlow", "output", UINT32_MAX));
  TRY_STATUS(close("userspace: sFlow"));
  header(kCookieSflow);
  uint16_t tci = static_cast<uint16_t>(vid | pcp << kVlanPcpShift);
  if (tci != 0) tci |= kVlanCfi;  // a tag, unless the sample is untagged
  put_host<be16>(cookie_, kBodyOffset, hton16(tci));
  put_host<uint32_t>(cookie_, kBodyOffset + 4, static_cast<uint32_t>(output));
  return Ok{};
}

// Reasons separated by '|' (what Open vSwitch reads) or ',' (what it
// prints), or numbers; "slow_path()" is no reason.
Status CookieParser::slow_path() {
  uint32_t reasons = 0;
  while (!in_.accept_prefix(")")) {
    size_t item = in_.pos();
    if (std::isdigit(static_cast<unsigned char>(in_.peek()))) {
      // Any bits: the printed form of reasons Open vSwitch has no name for
      // ("slow_path(cfm,0x80)") reads back, where Open vSwitch refuses it.
      TRY_ASSIGN(bits, parse_uint(in_, UINT32_MAX, "userspace: slow_path"));
      reasons |= static_cast<uint32_t>(bits);
    } else {
      std::string_view name = in_.identifier();
      size_t i = 0;
      while (i < std::size(kSlowPathReasons) && kSlowPathReasons[i] != name) ++i;
      if (i == std::size(kSlowPathReasons)) {
        in_.set_pos(item);
        if (in_.at_end())
          return in_.error("userspace: slow_path: expected ')'");
        return in_.error("userspace: slow_path: unknown reason '" + std::string(name) +
                         "' (expected cfm, bfd, lacp, stp, lldp, action or match)");
      }
      reasons |= 1u << i;
    }
    if (in_.peek() == '|' || in_.peek() == ',') {
      in_.set_pos(in_.pos() + 1);
      if (in_.peek() == ')') return in_.error("userspace: slow_path: expected a reason");
    } else if (in_.peek() != ')') {
      return in_.error("userspace: slow_path: expected '|' or ')'");
    }
  }
  header(kCookieSlowPath);
  put_host<uint32_t>(cookie_, kBodyOffset + 4, reasons);
  return Ok{};
}

Status CookieParser::flow_sample() {
  TRY_ASSIGN(probability, field("flow_sample", "probability", UINT16_MAX, true));
  TRY_ASSIGN(collector, field("flow_sample", "collector_set_id", UINT32_MAX));
  TRY_ASSIGN(domain, field("flow_sample", "obs_domain_id", UINT32_MAX));
  TRY_ASSIGN(point, field("flow_sample", "obs_point_id", UINT32_MAX));
  TRY_ASSIGN(port, field("flow_sample", "output_port", UINT32_MAX));
  uint32_t direction = 0;
  if (accept_word(in_, ",ingress")) direction = kSampleIngress;
  else if (accept_word(in_, ",egress")) direction = kSampleEgress;
  if (!in_.accept_prefix(")"))
    return in_.error("userspace: flow_sample: expected ',ingress', ',egress' or ')'");
  header(kCookieFlowSample);
  put_host<uint16_t>(cookie_, kBodyOffset, static_cast<uint16_t>(probability));
  put_host<uint32_t>(cookie_, kBodyOffset + 4, static_cast<uint32_t>(collector));
  put_host<uint32_t>(cookie_, kBodyOffset + 8, static_cast<uint32_t>(domain));
  put_host<uint32_t>(cookie_, kBodyOffset + 12, static_cast<uint32_t>(point));
  put_host<uint32_t>(cookie_, kBodyOffset + 16, static_cast<uint32_t>(port));
  put_host<uint32_t>(cookie_, kBodyOffset + 20, direction);
  return Ok{};
}

Status CookieParser::ipfix() {
  TRY_ASSIGN(port, field("ipfix", "output_port", UINT32_MAX, true));
  TRY_STATUS(close("userspace: ipfix"));
  header(kCookieIpfix);
  put_host<uint32_t>(cookie_, kBodyOffset, static_cast<uint32_t>(port));
  return Ok{};
}

Status CookieParser::controller() {
  TRY_ASSIGN(reason, field("controller", "reason", UINT16_MAX, true));
  TRY_ASSIGN(dont_send, field("controller", "dont_send", UINT8_MAX));
  TRY_ASSIGN(continuation, field("controller", "continuation", UINT8_MAX));
  TRY_ASSIGN(recirc_id, field("controller", "recirc_id", UINT32_MAX));
  TRY_STATUS(expect(in_, ",rule_cookie=", "userspace: controller"));
  TRY_ASSIGN(rule_cookie,
             parse_hex(in_, UINT64_MAX, "userspace: controller: rule_cookie", true));
  TRY_ASSIGN(controller_id, field("controller", "controller_id", UINT16_MAX));
  TRY_ASSIGN(max_len, field("controller", "max_len", UINT16_MAX));
  TRY_STATUS(close("userspace: controller"));
  header(kCookieController);
  cookie_[kBodyOffset] = dont_send != 0;
  cookie_[kBodyOffset + 1] = continuation != 0;
  put_host<uint16_t>(cookie_, kBodyOffset + 2, static_cast<uint16_t>(reason));
  put_host<uint32_t>(cookie_, kBodyOffset + 4, static_cast<uint32_t>(recirc_id));
  // ovs_32aligned_be64: the high then the low 32 bits, each big-endian.
  put_host<be32>(cookie_, kBodyOffset + 8, hton32(static_cast<uint32_t>(rule_cookie >> 32)));
  put_host<be32>(cookie_, kBodyOffset + 12, hton32(static_cast<uint32_t>(rule_cookie)));
  put_host<uint16_t>(cookie_, kBodyOffset + 16, static_cast<uint16_t>(controller_id));
  put_host<uint16_t>(cookie_, kBodyOffset + 18, static_cast<uint16_t>(max_len));
  return Ok{};
}

// The named form of a cookie, or false when it has none.
bool format_cookie(std::span<const uint8_t> c, std::string& out, const PortNumberNames* names) {
  if (c.size() != kCookieSize) return false;
  const size_t b = kBodyOffset;
  switch (get_host<uint16_t>(c, kTypeOffset)) {
    case kCookieSflow: {
      uint16_t tci = ntoh16(get_host<be16>(c, b));
      appendf(out, ",sFlow(vid=%u,pcp=%u,output=%u)", tci & kVlanVidMask, tci >> kVlanPcpShift,
              get_host<uint32_t>(c, b + 4));
      return true;
    }
    case kCookieSlowPath: {
      uint32_t reasons = get_host<uint32_t>(c, b + 4);
      out += ",slow_path(";
      if (reasons == 0) out += '0';
      bool first = true;
      for (size_t i = 0; i < std::size(kSlowPathReasons); ++i) {
        if (!(reasons & (1u << i))) continue;
        if (!first) out += ',';
        out += kSlowPathReasons[i];
        first = false;
      }
      if (uint32_t unknown = reasons & ~kSlowPathReasonMask)
        appendf(out, "%s0x%x", first ? "" : ",", unknown);
      out += ')';
      return true;
    }
    case kCookieFlowSample: {
      appendf(out,
              ",flow_sample(probability=%u,collector_set_id=%u,obs_domain_id=%u,"
              "obs_point_id=%u,output_port=",
              get_host<uint16_t>(c, b), get_host<uint32_t>(c, b + 4),
              get_host<uint32_t>(c, b + 8), get_host<uint32_t>(c, b + 12));
      append_port(out, get_host<uint32_t>(c, b + 16), names);
      uint32_t direction = get_host<uint32_t>(c, b + 20);
      if (direction == kSampleIngress) out += ",ingress";
      else if (direction == kSampleEgress) out += ",egress";
      out += ')';
      return true;
    }
    case kCookieIpfix:
      out += ",ipfix(output_port=";
      append_port(out, get_host<uint32_t>(c, b), names);
      out += ')';
      return true;
    case kCookieController: {
      uint64_t rule_cookie = uint64_t{ntoh32(get_host<be32>(c, b + 8))} << 32 |
                             ntoh32(get_host<be32>(c, b + 12));
      appendf(out,
              ",controller(reason=%u,dont_send=%d,continuation=%d,recirc_id=%u,"
              "rule_cookie=%#llx,controller_id=%u,max_len=%u)",
              get_host<uint16_t>(c, b + 2), c[b] != 0, c[b + 1] != 0,
              get_host<uint32_t>(c, b + 4), static_cast<unsigned long long>(rule_cookie),
              get_host<uint16_t>(c, b + 16), get_host<uint16_t>(c, b + 18));
      return true;
    }
    default: return false;
  }
}

}  // namespace

Status parse_userspace(TextScanner& in, NetlinkWriter& out) {
  size_t open = in.pos() - 1;
  TRY_STATUS(expect(in, "pid=", "userspace"));
  TRY_ASSIGN(pid, parse_uint(in, UINT32_MAX, "userspace: pid"));
  std::optional<std::string> userdata;
  std::optional<uint32_t> tunnel_out_port;
  bool include_actions = false;
  while (in.accept_prefix(",")) {
    size_t item = in.pos();
    std::string_view name = in.identifier();
    const bool call = in.accept_prefix("(");
    if (call) {
      using Form = Status (CookieParser::*)();
      struct Named {
        std::string_view name;
        Form parse;
      };
      static constexpr Named kForms[] = {{"sFlow", &CookieParser::sflow},
                                         {"slow_path", &CookieParser::slow_path},
                                         {"flow_sample", &CookieParser::flow_sample},
                                         {"ipfix", &CookieParser::ipfix},
                                         {"controller", &CookieParser::controller}};
      const Named* form = nullptr;
      for (const Named& f : kForms)
        if (f.name == name) form = &f;
      if (form || name == "userdata") {
        if (userdata)
          return in.error_at(item, "userspace: more than one userdata (" + std::string(name) +
                                       " after an earlier one)");
        if (include_actions || tunnel_out_port)
          return in.error_at(item, "userspace: " + std::string(name) +
                                       " must come before actions and tunnel_out_port");
      }
      if (form) {
        std::string cookie(kCookieSize, '\0');
        CookieParser parser(in, reinterpret_cast<uint8_t*>(cookie.data()));
        TRY_STATUS((parser.*form->parse)());
        userdata = std::move(cookie);
        continue;
      }
      if (name == "userdata") {
        userdata = in.hex_bytes(0xffff);
        if (!userdata) return in.error("userspace: userdata must be an even number of hex digits");
        TRY_STATUS(expect(in, ")", "userspace: userdata"));
        if (userdata->size() < kMinUserdataSize) userdata->resize(kMinUserdataSize, '\0');
        continue;
      }
    } else if (name == "actions") {
      if (include_actions) return in.error_at(item, "userspace: duplicate actions");
      if (tunnel_out_port)
        return in.error_at(item, "userspace: actions must come before tunnel_out_port");
      include_actions = true;
      continue;
    } else if (name == "tunnel_out_port" && in.accept_prefix("=")) {
      if (tunnel_out_port) return in.error_at(item, "userspace: duplicate tunnel_out_port");
      TRY_ASSIGN(port, parse_uint(in, UINT32_MAX, "userspace: tunnel_out_port"));
      tunnel_out_port = static_cast<uint32_t>(port);
      continue;
    }
    in.set_pos(item);
    return in.error(
        "userspace: expected userdata(...), sFlow(...), slow_path(...), flow_sample(...), "
        "ipfix(...), controller(...), actions or tunnel_out_port=");
  }
  if (!in.accept_prefix(")")) {
    if (in.at_end())
      return in.error_at(open, "unbalanced parentheses: userspace( is never closed");
    return in.error("userspace: expected ')'");
  }
  // No userdata given: Open vSwitch sends an all-zero cookie.
  if (!userdata) userdata = std::string(kCookieSize, '\0');
  size_t nested = out.begin_nested(odp::kActionUserspace);
  out.put_u32(odp::kUserspacePid, static_cast<uint32_t>(pid));
  out.put(odp::kUserspaceUserdata, userdata->data(), userdata->size());
  if (tunnel_out_port) out.put_u32(odp::kUserspaceEgressTunPort, *tunnel_out_port);
  if (include_actions) out.put_flag(odp::kUserspaceActions);
  out.end_nested(nested);
  if (!out.ok()) return in.error_at(open, "userspace: userdata too long for a Netlink attribute");
  return Ok{};
}

void format_userspace_userdata(std::span<const uint8_t> userdata, std::string& out,
                               const PortNumberNames* names) {
  if (format_cookie(userdata, out, names)) return;
  out += ",userdata(";
  append_hex_bytes(out, userdata);
  out += ')';
}

}  // namespace flowpath::action_text
