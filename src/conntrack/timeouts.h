// How long a connection lives without packets, by protocol and state: the
// attributes of Open vSwitch's timeout policies (and their userspace
// datapath's defaults, in seconds), then SCTP's states with netfilter's
// defaults (Open vSwitch's policies have no SCTP attributes). Protocols
// other than TCP, SCTP and ICMP use the UDP values, as Open vSwitch does.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace flowpath::conntrack {

enum class Timeout : uint8_t {
  kTcpSynSent,      // first packet seen
  kTcpSynRecv,      // opening: one side not yet established
  kTcpEstablished,
  kTcpFinWait,      // both sides closing
  kTcpTimeWait,     // both sides closed (or reset)
  kTcpClose,        // one side closing
  kUdpFirst,        // one packet
  kUdpSingle,       // more packets, one direction
  kUdpMultiple,     // both directions
  kIcmpFirst,
  kIcmpReply,
  kSctpClosed,  // also a connection's first INIT
  kSctpCookieWait,
  kSctpCookieEchoed,
  kSctpEstablished,
  kSctpShutdownSent,
  kSctpShutdownRecd,
  kSctpShutdownAckSent,
  kSctpHeartbeatSent,
};
inline constexpr size_t kTimeoutCount = 19;

// "tcp_syn_sent", ... as ovs-vsctl add-zone-tp spells them; "sctp_closed",
// ... (netfilter's names for its SCTP timeouts, prefixed).
std::string_view timeout_name(Timeout t);
std::optional<Timeout> timeout_from_name(std::string_view name);

struct TimeoutTable {
  std::array<uint32_t, kTimeoutCount> seconds = {30, 30, 24 * 60 * 60, 15 * 60, 45, 30,
                                                 60, 60, 30, 60, 30,
                                                 // SCTP, as nf_conntrack_sctp_timeout_*
                                                 10, 3, 3, 210, 3, 3, 3, 30};
  uint64_t ms(Timeout t) const { return uint64_t{seconds[static_cast<size_t>(t)]} * 1000; }
};

}  // namespace flowpath::conntrack
