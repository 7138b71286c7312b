// TCP state tracking with sequence-window checks: the algorithm of Guido
// van Rooij ("Real Stateful TCP Packet Filtering in IP Filter") as OpenBSD's
// pf and Open vSwitch's userspace conntrack apply it. Each side has a state
// (Open vSwitch's CT_DPIF_TCPS_* order, so "the larger of the two" is the
// connection's state) and the window of sequence numbers it may send.
//
// Sequence checking can be turned off per tracker (ovs-appctl
// dpctl/ct-disable-tcp-seq-chk): segments then only need valid flags.
#pragma once

#include <cstdint>
#include <string_view>

#include "conntrack/timeouts.h"

namespace flowpath::conntrack {

enum class TcpState : uint8_t {
  kClosed, kListen, kSynSent, kSynRecv, kEstablished, kCloseWait, kFinWait1, kClosing,
  kLastAck, kFinWait2, kTimeWait,
};
inline constexpr size_t kTcpStateCount = 11;
std::string_view tcp_state_name(TcpState s);  // "ESTABLISHED", as ovs-dpctl prints
// What ovs-dpctl prints without -m (the kernel's view): FIN_WAIT_2 shows as
// TIME_WAIT, SYN_RECV as ESTABLISHED.
TcpState coalesce_tcp_state(TcpState s);

// TCP flag bits (the low byte of the header's 13th-14th bytes).
namespace tcp_flag {
inline constexpr uint16_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10,
                          kUrg = 0x20;
}

// The fields of one segment the tracker reads.
struct TcpSegment {
  uint16_t flags = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint16_t window = 0;
  uint32_t payload_length = 0;
  uint8_t window_scale = 0;  // kWscaleSet | shift when the SYN carried the option
};
// Reads a segment from a checked TCP header of `l4_length` bytes (with payload).
TcpSegment read_tcp_segment(const uint8_t* tcp, uint32_t l4_length);

struct TcpPeer {
  uint32_t seqlo = 0;   // highest sequence number sent, plus one
  uint32_t seqhi = 0;   // highest sequence number the other side allows
  uint32_t max_win = 0; // largest (unscaled) window advertised
  uint8_t wscale = 0;   // kWscaleSet | shift, or kWscaleUnknown
  TcpState state = TcpState::kClosed;
};
inline constexpr uint8_t kWscaleSet = 0x80;
inline constexpr uint8_t kWscaleUnknown = 0x40;
inline constexpr uint8_t kWscaleMask = 0x0f;

struct TcpConnection {
  TcpPeer peer[2];  // [0] the originator, [1] the responder
  TcpState state() const { return peer[0].state > peer[1].state ? peer[0].state : peer[1].state; }
};

enum class UpdateResult : uint8_t {
  kValid,     // part of the connection: established (or reply seen)
  kValidNew,  // part of the connection, which is not yet established
  kInvalid,   // out of window or bad flags
  kNew,       // a SYN on a closed connection: start a new one
};

// Flags no TCP stack sends (SYN with RST or FIN, no SYN/ACK/RST, FIN/PSH/URG without ACK).
bool tcp_flags_invalid(uint16_t flags);
// May this segment open a connection? (A SYN|ACK may not.)
bool tcp_valid_new(const TcpSegment& segment);
// Sets up a connection from its first segment; returns its timeout.
Timeout tcp_start(TcpConnection* conn, const TcpSegment& segment);
// Updates the connection with a segment from the originator (reply false)
// or the responder; sets *timeout to the connection's new timeout class
// when it changes it.
UpdateResult tcp_update(TcpConnection* conn, const TcpSegment& segment, bool reply,
                        bool check_sequence, Timeout* timeout, bool* timeout_changed);

}  // namespace flowpath::conntrack
