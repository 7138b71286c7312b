#include "conntrack/timeouts.h"

namespace flowpath::conntrack {

namespace {
constexpr std::string_view kNames[kTimeoutCount] = {
    "tcp_syn_sent", "tcp_syn_recv", "tcp_established", "tcp_fin_wait", "tcp_time_wait",
    "tcp_close",    "udp_first",    "udp_single",      "udp_multiple", "icmp_first",
    "icmp_reply",   "sctp_closed",  "sctp_cookie_wait", "sctp_cookie_echoed",
    "sctp_established", "sctp_shutdown_sent", "sctp_shutdown_recd", "sctp_shutdown_ack_sent",
    "sctp_heartbeat_sent"};
}  // namespace

std::string_view timeout_name(Timeout t) { return kNames[static_cast<size_t>(t)]; }

std::optional<Timeout> timeout_from_name(std::string_view name) {
  for (size_t i = 0; i < kTimeoutCount; ++i)
    if (kNames[i] == name) return static_cast<Timeout>(i);
  return std::nullopt;
}

}  // namespace flowpath::conntrack
