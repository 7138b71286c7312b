#include "conntrack/connection_format.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstdio>
#include <ctime>

namespace flowpath::conntrack {

namespace {

std::string address_text(const uint8_t* a, bool ipv6) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(ipv6 ? AF_INET6 : AF_INET, a, buf, sizeof buf);
  return buf;
}

std::string tuple_text(const ConnectionKey& k) {
  std::string s = "src=" + address_text(k.src, k.ipv6) + ",dst=" + address_text(k.dst, k.ipv6);
  if (k.is_icmp()) {
    s += ",id=" + std::to_string(ntoh16(k.src_port)) + ",type=" + std::to_string(k.icmp_type()) +
         ",code=" + std::to_string(k.icmp_code());
  } else if (k.has_ports()) {
    s += ",sport=" + std::to_string(ntoh16(k.src_port)) +
         ",dport=" + std::to_string(ntoh16(k.dst_port));
  } else {
    // Open vSwitch prints zero ports for protocols without them.
    s += ",sport=0,dport=0";
  }
  return s;
}

std::string counters_text(uint64_t packets, uint64_t bytes) {
  if (packets == 0 && bytes == 0) return "";
  return ",packets=" + std::to_string(packets) + ",bytes=" + std::to_string(bytes);
}

std::string start_text(uint64_t wall_ms) {
  time_t seconds = static_cast<time_t>(wall_ms / 1000);
  struct tm tm;
  localtime_r(&seconds, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[80];
  std::snprintf(out, sizeof out, ",start=%s.%03u", buf, static_cast<unsigned>(wall_ms % 1000));
  return out;
}

}  // namespace

std::string label_hex(const uint8_t label[16]) {
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (int i = 15; i >= 0; --i) {
    hex += kHex[label[i] >> 4];
    hex += kHex[label[i] & 15];
  }
  return hex;
}

std::string protocol_name(uint8_t proto) {
  switch (proto) {
    case kProtoIcmp: return "icmp";
    case kProtoIcmpv6: return "icmpv6";
    case kProtoTcp: return "tcp";
    case kProtoUdp: return "udp";
    case kProtoSctp: return "sctp";
    case kProtoUdpLite: return "udplite";
    case kProtoDccp: return "dccp";
    case 2: return "igmp";
    default: return std::to_string(proto);
  }
}

std::string format_connection(const ConnectionEntry& e, bool verbose, bool statistics) {
  std::string s = protocol_name(e.original.proto);
  s += ",orig=(" + tuple_text(e.original);
  if (statistics) s += counters_text(e.packets[0], e.bytes[0]);
  s += "),reply=(" + tuple_text(e.reply);
  if (statistics) s += counters_text(e.packets[1], e.bytes[1]);
  s += ")";
  if (statistics) s += start_text(e.created_ms);
  if (verbose) s += ",id=" + std::to_string(e.id);
  if (e.original.zone) s += ",zone=" + std::to_string(e.original.zone);
  if (statistics) s += ",timeout=" + std::to_string(e.timeout_s);
  if (e.mark) s += ",mark=" + std::to_string(e.mark);
  bool has_label = false;
  for (uint8_t b : e.label) has_label |= b != 0;
  if (has_label) {
    std::string hex = label_hex(e.label);
    s += ",labels=0x" + hex.substr(hex.find_first_not_of('0'));
  }
  if (e.tcp) {
    if (verbose) {
      s += ",protoinfo=(state_orig=" + std::string(tcp_state_name(e.tcp_state[0])) +
           ",state_reply=" + std::string(tcp_state_name(e.tcp_state[1]));
      if ((e.tcp_wscale[0] | e.tcp_wscale[1]) & kWscaleSet) {
        s += ",wscale_orig=" + std::to_string(e.tcp_wscale[0] & kWscaleMask) +
             ",wscale_reply=" + std::to_string(e.tcp_wscale[1] & kWscaleMask);
      }
      s += ")";
    } else {
      TcpState state = e.tcp_state[0] > e.tcp_state[1] ? e.tcp_state[0] : e.tcp_state[1];
      s += ",protoinfo=(state=" + std::string(tcp_state_name(coalesce_tcp_state(state))) + ")";
    }
  } else if (e.sctp) {
    // The tags as ovs-dpctl prints the kernel's: the network-order word
    // read as a host integer (netlink's u32), with or without -m.
    s += ",protoinfo=(state=" + std::string(sctp_state_name(e.sctp_state)) +
         ",vtag_orig=" + std::to_string(e.sctp_vtag[0]) +
         ",vtag_reply=" + std::to_string(e.sctp_vtag[1]) + ")";
  }
  return s;
}

Result<FlushFilter> parse_flush_tuple(std::string_view text) {
  FlushFilter f;
  ConnectionKey k{};
  bool v4 = false, v6 = false;
  int icmp_type = -1, icmp_code = -1;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      return make_error("ct tuple: \"" + std::string(item) + "\" is not FIELD=VALUE");
    std::string_view name = item.substr(0, eq);
    std::string value(item.substr(eq + 1));
    auto number = [&](uint32_t max) -> Result<uint32_t> {
      uint32_t n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || end != value.data() + value.size() || n > max)
        return make_error("ct tuple: " + std::string(name) + ": \"" + value +
                          "\" is not a number up to " + std::to_string(max));
      return n;
    };
    if (name == "ct_nw_src" || name == "ct_nw_dst") {
      uint8_t* a = name == "ct_nw_src" ? k.src : k.dst;
      if (inet_pton(AF_INET, value.c_str(), a) != 1)
        return make_error("ct tuple: " + std::string(name) + ": \"" + value + "\" is not an IPv4 address");
      (name == "ct_nw_src" ? f.has_src : f.has_dst) = true;
      v4 = true;
    } else if (name == "ct_ipv6_src" || name == "ct_ipv6_dst") {
      uint8_t* a = name == "ct_ipv6_src" ? k.src : k.dst;
      if (inet_pton(AF_INET6, value.c_str(), a) != 1)
        return make_error("ct tuple: " + std::string(name) + ": \"" + value + "\" is not an IPv6 address");
      (name == "ct_ipv6_src" ? f.has_src : f.has_dst) = true;
      v6 = true;
    } else if (name == "ct_nw_proto") {
      TRY_ASSIGN(n, number(255));
      k.proto = static_cast<uint8_t>(n);
      f.has_proto = true;
    } else if (name == "ct_tp_src" || name == "icmp_id") {
      TRY_ASSIGN(n, number(65535));
      k.src_port = hton16(static_cast<uint16_t>(n));
      f.has_src_port = true;
    } else if (name == "ct_tp_dst") {
      TRY_ASSIGN(n, number(65535));
      k.dst_port = hton16(static_cast<uint16_t>(n));
      f.has_dst_port = true;
    } else if (name == "icmp_type") {
      TRY_ASSIGN(n, number(255));
      icmp_type = static_cast<int>(n);
    } else if (name == "icmp_code") {
      TRY_ASSIGN(n, number(255));
      icmp_code = static_cast<int>(n);
    } else {
      return make_error("ct tuple: unknown field \"" + std::string(name) +
                        "\" (ct_nw_src, ct_nw_dst, ct_ipv6_src, ct_ipv6_dst, ct_nw_proto, "
                        "ct_tp_src, ct_tp_dst, icmp_id, icmp_type, icmp_code)");
    }
  }
  if (v4 && v6) return make_error("ct tuple: IPv4 and IPv6 addresses mixed");
  if ((icmp_type >= 0) != (icmp_code >= 0))
    return make_error("ct tuple: icmp_type and icmp_code go together");
  if (icmp_type >= 0) {
    if (f.has_dst_port) return make_error("ct tuple: ct_tp_dst and icmp_type exclude each other");
    k.dst_port = static_cast<be16>(icmp_type << 8 | icmp_code);
    f.has_dst_port = true;
  }
  k.ipv6 = v6 ? 1 : 0;
  f.original = k;
  return f;
}

}  // namespace flowpath::conntrack
