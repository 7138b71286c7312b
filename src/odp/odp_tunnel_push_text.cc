// Text <-> Netlink for the userspace tnl_push action, which carries a
// ready-made outer header:
//   tnl_push(tnl_port(N),header(size=N,type=N,eth(dst=..,src=..,dl_type=0x..),
//            ipv4(...)|ipv6(...),udp(...),vxlan(...)|geneve(...)|gtpu(...)
//            | gre((flags=..,proto=..),csum=..,key=..,seq=..) | erspan(...)),
//            out_port(N))
// Only the fields Open vSwitch prints are in the text; the rest of the header
// is what Open vSwitch's parser builds (IPv4 IHL 5 with its checksum, zero
// lengths, identification and reserved bits).
#include <arpa/inet.h>

#include <cstring>

#include "odp/odp_action_text_impl.h"
#include "actions/tunnel_push_header.h"
#include "flow/odp_abi.h"
#include "packet/byte_order.h"

namespace flowpath::action_text {
namespace {

namespace tp = tunnel_push;

constexpr uint16_t kGeneveProtoTeb = ethertype::kTeb;
constexpr size_t kGeneveMaxOptionsLen = 4 * tp::kGeneveOptLenMask;
constexpr size_t kGeneveMaxOptionDataLen = 4 * tp::kGeneveOptionLenMask;

// The header under construction, with bounds-checked appends.
class HeaderBuilder {
 public:
  uint8_t* grow(size_t n) {
    if (len_ + n > sizeof bytes_) {
      overflow_ = true;
      return scratch_;
    }
    uint8_t* p = bytes_ + len_;
    std::memset(p, 0, n);
    len_ += n;
    return p;
  }
  void put8(uint8_t v) { *grow(1) = v; }
  void put16(uint16_t v) { store_unaligned(grow(2), hton16(v)); }
  void put32(uint32_t v) { store_unaligned(grow(4), hton32(v)); }
  size_t size() const { return len_; }
  uint8_t* at(size_t off) { return bytes_ + off; }
  const uint8_t* data() const { return bytes_; }
  bool overflow() const { return overflow_; }

 private:
  uint8_t bytes_[odp::kTunnelPushHeaderMax];
  uint8_t scratch_[odp::kTunnelPushHeaderMax];
  size_t len_ = 0;
  bool overflow_ = false;
};

// Parses `prefix` ("udp(src=", ",ttl=", "tnl_port(") then an unsigned number
// up to max; errors name the field ("tnl_push: ipv4 ttl: ...").
Result<uint64_t> field(TextScanner& in, std::string_view prefix, uint64_t max,
                       std::string_view what, bool hex = false) {
  if (auto st = expect(in, prefix, "tnl_push: " + std::string(what)); !st.ok())
    return Error{st.error()};
  std::string_view name = prefix;
  if (name.front() == ',') name.remove_prefix(1);
  name.remove_suffix(1);  // '=' or '('
  if (size_t paren = name.rfind('('); paren != std::string_view::npos)
    name.remove_prefix(paren + 1);
  std::string label = "tnl_push: " + std::string(what);
  if (name != what) label += " " + std::string(name);
  return hex ? parse_hex(in, max, label) : parse_uint(in, max, label);
}

uint16_t ipv4_checksum(const uint8_t* header) {
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2) sum += static_cast<uint32_t>(header[i] << 8 | header[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

Status parse_eth(TextScanner& in, HeaderBuilder& h, uint16_t* eth_type) {
  if (auto st = expect(in, "eth(dst=", "tnl_push: header"); !st.ok()) return st;
  auto dst = in.eth_address();
  if (!dst) return in.error("tnl_push: eth dst: expected an Ethernet address");
  if (auto st = expect(in, ",src=", "tnl_push: eth"); !st.ok()) return st;
  auto src = in.eth_address();
  if (!src) return in.error("tnl_push: eth src: expected an Ethernet address");
  auto type = field(in, ",dl_type=", 0xffff, "eth", true);
  if (!type) return Error{type.error()};
  if (auto st = expect(in, "),", "tnl_push: eth"); !st.ok()) return st;
  std::memcpy(h.grow(6), dst->bytes, 6);
  std::memcpy(h.grow(6), src->bytes, 6);
  h.put16(static_cast<uint16_t>(*type));
  *eth_type = static_cast<uint16_t>(*type);
  return Ok{};
}

Status parse_ipv4(TextScanner& in, HeaderBuilder& h) {
  if (auto st = expect(in, "ipv4(src=", "tnl_push: header"); !st.ok()) return st;
  auto src = in.ipv4_address();
  if (!src) return in.error("tnl_push: ipv4 src: expected an IPv4 address");
  if (auto st = expect(in, ",dst=", "tnl_push: ipv4"); !st.ok()) return st;
  auto dst = in.ipv4_address();
  if (!dst) return in.error("tnl_push: ipv4 dst: expected an IPv4 address");
  auto proto = field(in, ",proto=", 255, "ipv4");
  if (!proto) return Error{proto.error()};
  auto tos = field(in, ",tos=", 255, "ipv4");
  if (!tos) return Error{tos.error()};
  auto ttl = field(in, ",ttl=", 255, "ipv4");
  if (!ttl) return Error{ttl.error()};
  auto frag = field(in, ",frag=", 0xffff, "ipv4", true);
  if (!frag) return Error{frag.error()};
  if (auto st = expect(in, "),", "tnl_push: ipv4"); !st.ok()) return st;
  size_t start = h.size();
  h.put8(0x45);
  h.put8(static_cast<uint8_t>(*tos));
  h.put16(0);  // total length: filled in per packet
  h.put16(0);  // identification
  h.put16(static_cast<uint16_t>(*frag));
  h.put8(static_cast<uint8_t>(*ttl));
  h.put8(static_cast<uint8_t>(*proto));
  h.put16(0);  // checksum, below
  std::memcpy(h.grow(4), &*src, 4);
  std::memcpy(h.grow(4), &*dst, 4);
  if (!h.overflow()) store_unaligned(h.at(start + 10), hton16(ipv4_checksum(h.at(start))));
  return Ok{};
}

Status parse_ipv6(TextScanner& in, HeaderBuilder& h) {
  if (auto st = expect(in, "ipv6(src=", "tnl_push: header"); !st.ok()) return st;
  uint8_t src[16], dst[16];
  if (!in.ipv6_address(src)) return in.error("tnl_push: ipv6 src: expected an IPv6 address");
  if (auto st = expect(in, ",dst=", "tnl_push: ipv6"); !st.ok()) return st;
  if (!in.ipv6_address(dst)) return in.error("tnl_push: ipv6 dst: expected an IPv6 address");
  auto label = field(in, ",label=", 0xfffff, "ipv6");
  if (!label) return Error{label.error()};
  auto proto = field(in, ",proto=", 255, "ipv6");
  if (!proto) return Error{proto.error()};
  auto tclass = field(in, ",tclass=", 255, "ipv6", true);
  if (!tclass) return Error{tclass.error()};
  auto hlimit = field(in, ",hlimit=", 255, "ipv6");
  if (!hlimit) return Error{hlimit.error()};
  if (auto st = expect(in, "),", "tnl_push: ipv6"); !st.ok()) return st;
  h.put32(6u << 28 | static_cast<uint32_t>(*tclass) << 20 | static_cast<uint32_t>(*label));
  h.put16(0);  // payload length: filled in per packet
  h.put8(static_cast<uint8_t>(*proto));
  h.put8(static_cast<uint8_t>(*hlimit));
  std::memcpy(h.grow(16), src, 16);
  std::memcpy(h.grow(16), dst, 16);
  return Ok{};
}

// Geneve options: "{class=N,type=N,len=N[,DATA]}" repeated, then ')'.
Status parse_geneve_options(TextScanner& in, HeaderBuilder& h, size_t* options_len) {
  size_t open = in.pos();
  size_t start = h.size();
  while (in.accept_prefix("{")) {
    auto cls = field(in, "class=", 0xffff, "geneve option");
    if (!cls) return Error{cls.error()};
    auto type = field(in, ",type=", 255, "geneve option");
    if (!type) return Error{type.error()};
    size_t len_at = in.pos() + 5;
    auto len = field(in, ",len=", 255, "geneve option");
    if (!len) return Error{len.error()};
    if (*len % 4 || *len > kGeneveMaxOptionDataLen)
      return in.error_at(len_at, "tnl_push: geneve option len " + std::to_string(*len) +
                                     " is not a multiple of 4 up to 124");
    h.put16(static_cast<uint16_t>(*cls));
    h.put8(static_cast<uint8_t>(*type));
    h.put8(static_cast<uint8_t>(*len / 4));
    uint8_t* data = h.grow(*len);
    if (in.accept_prefix(",")) {
      uint8_t value[kGeneveMaxOptionDataLen];
      std::span<uint8_t> bytes(value, *len);
      if (auto st = parse_be_number(in, bytes, "tnl_push: geneve option data"); !st.ok()) return st;
      if (!h.overflow()) std::memcpy(data, value, *len);
    }
    if (auto st = expect(in, "}", "tnl_push: geneve option"); !st.ok()) return st;
    in.accept_prefix(",");
  }
  if (auto st = expect(in, ")", "tnl_push: geneve options"); !st.ok()) return st;
  *options_len = h.size() - start;
  if (*options_len > kGeneveMaxOptionsLen)
    return in.error_at(open, "tnl_push: geneve options take " + std::to_string(*options_len) +
                                 " bytes, more than 252");
  return Ok{};
}

Status parse_geneve(TextScanner& in, HeaderBuilder& h) {
  bool oam = in.accept_prefix("oam,");
  bool critical = in.accept_prefix("crit,");
  auto vni = field(in, "vni=", 0xffffff, "geneve");
  if (!vni) return Error{vni.error()};
  size_t geneve = h.size();
  h.put8(0);  // version 0, options length below
  h.put8(static_cast<uint8_t>((oam ? tp::kGeneveOam : 0) | (critical ? tp::kGeneveCritical : 0)));
  h.put16(kGeneveProtoTeb);
  h.put32(static_cast<uint32_t>(*vni) << 8);
  size_t options_len = 0;
  if (in.accept_prefix(",options(")) {
    if (auto st = parse_geneve_options(in, h, &options_len); !st.ok()) return st;
  }
  if (!h.overflow()) *h.at(geneve) = static_cast<uint8_t>(options_len / 4);
  return expect(in, ")", "tnl_push: geneve");
}

// udp(...) and what follows it; returns the tunnel type the header implies.
Result<uint32_t> parse_udp_tunnel(TextScanner& in, HeaderBuilder& h) {
  auto src = field(in, "udp(src=", 0xffff, "udp");
  if (!src) return Error{src.error()};
  auto dst = field(in, ",dst=", 0xffff, "udp");
  if (!dst) return Error{dst.error()};
  auto csum = field(in, ",csum=", 0xffff, "udp", true);
  if (!csum) return Error{csum.error()};
  if (auto st = expect(in, "),", "tnl_push: udp"); !st.ok()) return Error{st.error()};
  h.put16(static_cast<uint16_t>(*src));
  h.put16(static_cast<uint16_t>(*dst));
  h.put16(0);  // length: filled in per packet
  h.put16(static_cast<uint16_t>(*csum));
  if (in.accept_prefix("vxlan(")) {
    auto flags = field(in, "flags=", UINT32_MAX, "vxlan", true);
    if (!flags) return Error{flags.error()};
    auto vni = field(in, ",vni=", 0xffffff, "vxlan", true);
    if (!vni) return Error{vni.error()};
    if (auto st = expect(in, ")", "tnl_push: vxlan"); !st.ok()) return Error{st.error()};
    h.put32(static_cast<uint32_t>(*flags));
    h.put32(static_cast<uint32_t>(*vni) << 8);
    return uint32_t{odp::kVportVxlan};
  }
  if (in.accept_prefix("geneve(")) {
    if (auto st = parse_geneve(in, h); !st.ok()) return Error{st.error()};
    return uint32_t{odp::kVportGeneve};
  }
  if (in.accept_prefix("gtpu(")) {
    auto flags = field(in, "flags=", 255, "gtpu");
    if (!flags) return Error{flags.error()};
    auto msgtype = field(in, ",msgtype=", 255, "gtpu");
    if (!msgtype) return Error{msgtype.error()};
    auto teid = field(in, ",teid=", UINT32_MAX, "gtpu", true);
    if (!teid) return Error{teid.error()};
    if (auto st = expect(in, ")", "tnl_push: gtpu"); !st.ok()) return Error{st.error()};
    h.put8(static_cast<uint8_t>(*flags));
    h.put8(static_cast<uint8_t>(*msgtype));
    h.put16(0);  // length: filled in per packet
    h.put32(static_cast<uint32_t>(*teid));
    return uint32_t{odp::kVportGtpu};
  }
  return in.error("tnl_push: expected vxlan(, geneve( or gtpu( after udp(...)");
}

// gre((flags=0xN,proto=0xN),csum=..,key=..,seq=..): one option per flag bit.
Status parse_gre(TextScanner& in, HeaderBuilder& h) {
  auto flags = field(in, "flags=", 0xffff, "gre", true);
  if (!flags) return Error{flags.error()};
  auto proto = field(in, ",proto=", 0xffff, "gre", true);
  if (!proto) return Error{proto.error()};
  if (auto st = expect(in, ")", "tnl_push: gre"); !st.ok()) return st;
  h.put16(static_cast<uint16_t>(*flags));
  h.put16(static_cast<uint16_t>(*proto));
  if (*flags & tp::kGreCsum) {
    auto csum = field(in, ",csum=", 0xffff, "gre", true);
    if (!csum) return Error{csum.error()};
    h.put16(static_cast<uint16_t>(*csum));
    h.put16(0);  // reserved
  }
  if (*flags & tp::kGreKey) {
    auto key = field(in, ",key=", UINT32_MAX, "gre", true);
    if (!key) return Error{key.error()};
    h.put32(static_cast<uint32_t>(*key));
  }
  if (*flags & tp::kGreSeq) {
    auto seq = field(in, ",seq=", UINT32_MAX, "gre", true);
    if (!seq) return Error{seq.error()};
    h.put32(static_cast<uint32_t>(*seq));
  }
  return expect(in, ")", "tnl_push: gre");
}

// erspan(ver=1,sid=0xN,idx=0xN) or erspan(ver=2,sid=0xN,dir=N,hwid=0xN).
Status parse_erspan(TextScanner& in, HeaderBuilder& h) {
  auto version = field(in, "ver=", 2, "erspan");
  if (!version) return Error{version.error()};
  if (*version == 0) return in.error("tnl_push: erspan: ver must be 1 or 2");
  auto sid = field(in, ",sid=", 0x3ff, "erspan", true);
  if (!sid) return Error{sid.error()};
  h.put16(tp::kGreSeq);
  h.put16(*version == 1 ? tp::kErspanV1Proto : tp::kErspanV2Proto);
  h.put32(0);  // sequence number
  h.put8(static_cast<uint8_t>(*version << 4));
  h.put8(0);
  h.put8(static_cast<uint8_t>(*sid >> 8));
  h.put8(static_cast<uint8_t>(*sid & 0xff));
  if (*version == 1) {
    auto index = field(in, ",idx=", UINT32_MAX, "erspan", true);
    if (!index) return Error{index.error()};
    h.put32(static_cast<uint32_t>(*index));
  } else {
    auto dir = field(in, ",dir=", 1, "erspan");
    if (!dir) return Error{dir.error()};
    auto hwid = field(in, ",hwid=", 0x3f, "erspan", true);
    if (!hwid) return Error{hwid.error()};
    h.put32(0);  // timestamp
    h.put16(0);  // security group tag
    h.put8(static_cast<uint8_t>(*hwid >> 4));
    h.put8(static_cast<uint8_t>((*hwid & 0xf) << 4 | *dir << 3));
  }
  return expect(in, ")", "tnl_push: erspan");
}

}  // namespace

Status parse_tunnel_push(TextScanner& in, NetlinkWriter& out) {
  const size_t open = in.pos() - std::string_view("tnl_push(").size();
  auto tnl_port = field(in, "tnl_port(", UINT32_MAX, "tnl_port");
  if (!tnl_port) return Error{tnl_port.error()};
  if (auto st = expect(in, "),header(", "tnl_push"); !st.ok()) return st;
  const size_t size_at = in.pos() + 5;
  auto size = field(in, "size=", UINT32_MAX, "header");
  if (!size) return Error{size.error()};
  const size_t type_at = in.pos() + 6;
  auto type = field(in, ",type=", UINT32_MAX, "header");
  if (!type) return Error{type.error()};
  if (auto st = expect(in, ",", "tnl_push: header"); !st.ok()) return st;

  HeaderBuilder h;
  uint16_t eth_type = 0;
  if (auto st = parse_eth(in, h, &eth_type); !st.ok()) return st;
  bool ipv6 = eth_type == ethertype::kIpv6;
  if (eth_type != ethertype::kIpv4 && !ipv6)
    return in.error("tnl_push: dl_type must be 0x0800 (IPv4) or 0x86dd (IPv6)");
  if (auto st = ipv6 ? parse_ipv6(in, h) : parse_ipv4(in, h); !st.ok()) return st;

  uint32_t implied_type;
  if (in.rest().substr(0, 4) == "udp(") {
    auto t = parse_udp_tunnel(in, h);
    if (!t) return Error{t.error()};
    implied_type = *t;
  } else if (in.accept_prefix("gre((")) {
    if (auto st = parse_gre(in, h); !st.ok()) return st;
    implied_type = ipv6 ? odp::kVportIp6gre : odp::kVportGre;
  } else if (in.accept_prefix("erspan(")) {
    if (auto st = parse_erspan(in, h); !st.ok()) return st;
    implied_type = ipv6 ? odp::kVportIp6erspan : odp::kVportErspan;
  } else {
    return in.error("tnl_push: expected udp(, gre(( or erspan( after the IP header");
  }
  if (auto st = expect(in, ")", "tnl_push: header"); !st.ok()) return st;
  if (h.overflow()) return in.error_at(open, "tnl_push: header longer than 512 bytes");
  if (*type != implied_type)
    return in.error_at(type_at, "tnl_push: type " + std::to_string(*type) + " does not match the " +
                                    tp::type_name(implied_type) + " header (type " +
                                    std::to_string(implied_type) + ")");
  if (*size != h.size())
    return in.error_at(size_at, "tnl_push: size " + std::to_string(*size) + " does not match the " +
                                    std::to_string(h.size()) + "-byte header given");
  auto out_port = field(in, ",out_port(", UINT32_MAX, "out_port");
  if (!out_port) return Error{out_port.error()};
  if (auto st = expect(in, "))", "tnl_push"); !st.ok()) return st;

  uint32_t prefix[4] = {static_cast<uint32_t>(*tnl_port), static_cast<uint32_t>(*out_port),
                        static_cast<uint32_t>(h.size()), implied_type};
  uint8_t* p = out.put_uninit(odp::kActionTunnelPush, sizeof prefix + h.size());
  std::memcpy(p, prefix, sizeof prefix);
  std::memcpy(p + sizeof prefix, h.data(), h.size());
  return Ok{};
}

namespace {

void append_ip(std::string& out, int family, const uint8_t* ip) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(family, ip, buf, sizeof buf);
  out += buf;
}

void format_geneve(std::span<const uint8_t> g, std::string& out) {
  appendf(out, "geneve(%s%svni=0x%x", (g[1] & tp::kGeneveOam) ? "oam," : "",
          (g[1] & tp::kGeneveCritical) ? "crit," : "", tp::read_be32(g, 4) >> 8);
  std::span<const uint8_t> options = g.subspan(tp::kGeneveLen);
  if (!options.empty()) {
    out += ",options(";
    while (options.size() >= 4) {
      size_t data_len = 4 * static_cast<size_t>(options[3] & tp::kGeneveOptionLenMask);
      if (data_len > options.size() - 4) break;  // decode() has ruled this out
      appendf(out, "{class=%#x,type=%#x,len=%zu", tp::read_be16(options, 0), options[2], data_len);
      if (data_len) {
        out += ',';
        append_hex_number(out, options.subspan(4, data_len));
      }
      out += '}';
      options = options.subspan(4 + data_len);
    }
    out += ')';
  }
  out += ')';
}

void format_tunnel(const tp::Layout& l, std::string& out) {
  std::span<const uint8_t> h = l.header;
  size_t l4 = l.l4;
  switch (l.tnl_type) {
    case odp::kVportVxlan:
    case odp::kVportGeneve:
    case odp::kVportGtpu: {
      appendf(out, "udp(src=%u,dst=%u,csum=0x%x),", tp::read_be16(h, l4), tp::read_be16(h, l4 + 2),
              tp::read_be16(h, l4 + 6));
      std::span<const uint8_t> t = h.subspan(l4 + tp::kUdpLen);
      if (l.tnl_type == odp::kVportVxlan)
        appendf(out, "vxlan(flags=0x%x,vni=0x%x)", tp::read_be32(t, 0), tp::read_be32(t, 4) >> 8);
      else if (l.tnl_type == odp::kVportGeneve)
        format_geneve(t, out);
      else
        appendf(out, "gtpu(flags=0x%x,msgtype=%u,teid=0x%x)", t[0], t[1], tp::read_be32(t, 4));
      return;
    }
    case odp::kVportGre:
    case odp::kVportIp6gre: {
      uint16_t flags = tp::read_be16(h, l4);
      appendf(out, "gre((flags=0x%x,proto=0x%x)", flags, tp::read_be16(h, l4 + 2));
      size_t opt = l4 + tp::kGreBaseLen;
      if (flags & tp::kGreCsum) {
        appendf(out, ",csum=0x%x", tp::read_be16(h, opt));
        opt += 4;
      }
      if (flags & tp::kGreKey) {
        appendf(out, ",key=0x%x", tp::read_be32(h, opt));
        opt += 4;
      }
      if (flags & tp::kGreSeq) appendf(out, ",seq=0x%x", tp::read_be32(h, opt));
      out += ')';
      return;
    }
    default: {  // ERSPAN v1 or v2, as decode() checked
      size_t base = l4 + tp::kGreBaseLen + 4;
      unsigned sid = static_cast<unsigned>((h[base + 2] & 0x3) << 8 | h[base + 3]);
      size_t md = base + tp::kErspanBaseLen;
      if ((h[base] >> 4) == 1) {
        appendf(out, "erspan(ver=1,sid=0x%x,idx=0x%x)", sid, tp::read_be32(h, md));
      } else {
        unsigned hwid = static_cast<unsigned>((h[md + 6] & 0x3) << 4 | h[md + 7] >> 4);
        appendf(out, "erspan(ver=2,sid=0x%x,dir=%u,hwid=0x%x)", sid, (h[md + 7] >> 3) & 1u, hwid);
      }
      return;
    }
  }
}

}  // namespace

void format_tunnel_push(std::span<const uint8_t> payload, std::string& out,
                        const PortNumberNames* names) {
  auto layout = tp::decode(payload);
  if (!layout) {
    out += "tnl_push(error)";
    return;
  }
  const tp::Layout& l = *layout;
  std::span<const uint8_t> h = l.header;
  out += "tnl_push(tnl_port(";
  append_port(out, l.tnl_port, names);
  appendf(out, "),header(size=%u,type=%u,", l.header_len, l.tnl_type);
  appendf(out,
          "eth(dst=%02x:%02x:%02x:%02x:%02x:%02x,src=%02x:%02x:%02x:%02x:%02x:%02x,"
          "dl_type=0x%04x),",
          h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11],
          tp::read_be16(h, 12));
  const uint8_t* ip = h.data() + tp::kEthLen;
  if (!l.ipv6) {
    out += "ipv4(src=";
    append_ip(out, AF_INET, ip + 12);
    out += ",dst=";
    append_ip(out, AF_INET, ip + 16);
    appendf(out, ",proto=%u,tos=%#x,ttl=%u,frag=0x%x),", ip[9], ip[1], ip[8],
            tp::read_be16(h, tp::kEthLen + 6));
  } else {
    uint32_t flow = tp::read_be32(h, tp::kEthLen);
    out += "ipv6(src=";
    append_ip(out, AF_INET6, ip + 8);
    out += ",dst=";
    append_ip(out, AF_INET6, ip + 24);
    appendf(out, ",label=%u,proto=%u,tclass=0x%x,hlimit=%u),", flow & 0xfffff, ip[6],
            (flow >> 20) & 0xff, ip[7]);
  }
  format_tunnel(l, out);
  out += "),out_port(";
  append_port(out, l.out_port, names);
  out += "))";
}

}  // namespace flowpath::action_text
