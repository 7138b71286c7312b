#include "conntrack/tcp_tracker.h"

#include <algorithm>

#include "packet/byte_order.h"

namespace flowpath::conntrack {

namespace {

constexpr uint8_t kMaxWscale = 14;
// How far an ACK may lag or lead: a full unscaled window plus a fudge.
constexpr int64_t kMaxAckWindow = 0xffff + 1500;

// Sequence-space comparisons (mod 2^32).
inline bool seq_gt(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) > 0; }
inline bool seq_geq(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) >= 0; }

uint8_t read_window_scale(const uint8_t* tcp, uint32_t header_length) {
  const uint8_t* option = tcp + 20;
  int32_t left = static_cast<int32_t>(header_length) - 20;
  while (left >= 3) {
    uint8_t kind = option[0];
    if (kind == 0) break;  // end of options
    if (kind == 1) {       // no-op
      ++option;
      --left;
      continue;
    }
    uint8_t length = std::max<uint8_t>(option[1], 2);
    if (kind == 3) return static_cast<uint8_t>(kWscaleSet | std::min(option[2], kMaxWscale));
    option += length;
    left -= length;
  }
  return 0;
}

void set_timeout(Timeout value, Timeout* timeout, bool* changed) {
  *timeout = value;
  *changed = true;
}

}  // namespace

std::string_view tcp_state_name(TcpState s) {
  static constexpr std::string_view kNames[kTcpStateCount] = {
      "CLOSED",     "LISTEN",     "SYN_SENT", "SYN_RECV",   "ESTABLISHED", "CLOSE_WAIT",
      "FIN_WAIT_1", "CLOSING",    "LAST_ACK", "FIN_WAIT_2", "TIME_WAIT"};
  return kNames[static_cast<size_t>(s)];
}

TcpState coalesce_tcp_state(TcpState s) {
  if (s == TcpState::kFinWait2) return TcpState::kTimeWait;
  if (s == TcpState::kSynRecv) return TcpState::kEstablished;
  return s;
}

TcpSegment read_tcp_segment(const uint8_t* tcp, uint32_t l4_length) {
  TcpSegment s;
  uint32_t header_length = (tcp[12] >> 4) * 4u;
  s.flags = static_cast<uint16_t>(((tcp[12] & 0x0f) << 8) | tcp[13]);
  s.seq = ntoh32(load_unaligned<be32>(tcp + 4));
  s.ack = ntoh32(load_unaligned<be32>(tcp + 8));
  s.window = ntoh16(load_unaligned<be16>(tcp + 14));
  s.payload_length = l4_length - header_length;
  if (s.flags & tcp_flag::kSyn) s.window_scale = read_window_scale(tcp, header_length);
  return s;
}

bool tcp_flags_invalid(uint16_t flags) {
  using namespace tcp_flag;
  if (flags & kSyn) {
    if (flags & (kRst | kFin)) return true;
  } else if (!(flags & (kAck | kRst))) {
    return true;
  }
  if (!(flags & kAck) && (flags & (kFin | kPsh | kUrg))) return true;
  return false;
}

bool tcp_valid_new(const TcpSegment& s) {
  using namespace tcp_flag;
  if (tcp_flags_invalid(s.flags)) return false;
  // Only a SYN (a new connection) or a mid-stream segment (picking up a
  // connection already open) may start one, never a half-open SYN|ACK.
  return !((s.flags & kSyn) && (s.flags & kAck));
}

Timeout tcp_start(TcpConnection* conn, const TcpSegment& s) {
  using namespace tcp_flag;
  TcpPeer& src = conn->peer[0];
  TcpPeer& dst = conn->peer[1];
  src = TcpPeer{};
  dst = TcpPeer{};
  src.seqlo = s.seq;
  src.seqhi = s.seq + s.payload_length + 1;
  if (s.flags & kSyn) {
    ++src.seqhi;
    src.wscale = s.window_scale;
  } else {
    // Picked up mid-stream: the scales are unknown.
    src.wscale = kWscaleUnknown;
    dst.wscale = kWscaleUnknown;
  }
  src.max_win = std::max<uint32_t>(s.window, 1);
  if (src.wscale & kWscaleMask) {
    uint32_t shift = src.wscale & kWscaleMask;
    src.max_win = (src.max_win + (1u << shift) - 1) >> shift;
  }
  if (s.flags & kFin) ++src.seqhi;
  dst.seqhi = 1;
  dst.max_win = 1;
  src.state = TcpState::kSynSent;
  dst.state = TcpState::kClosed;
  return Timeout::kTcpSynSent;
}

UpdateResult tcp_update(TcpConnection* conn, const TcpSegment& s, bool reply, bool check_sequence,
                        Timeout* timeout, bool* timeout_changed) {
  using namespace tcp_flag;
  *timeout_changed = false;
  TcpPeer& src = conn->peer[reply ? 1 : 0];  // the sender of this segment
  TcpPeer& dst = conn->peer[reply ? 0 : 1];
  const uint16_t flags = s.flags;
  if (tcp_flags_invalid(flags)) return UpdateResult::kInvalid;

  if ((flags & (kSyn | kAck)) == kSyn) {
    if (dst.state >= TcpState::kFinWait2 && src.state >= TcpState::kFinWait2) {
      // Both sides closed: a new SYN reopens the 5-tuple.
      src.state = dst.state = TcpState::kClosed;
      return UpdateResult::kNew;
    }
    if (src.state <= TcpState::kSynSent) {  // a retransmitted SYN
      src.state = TcpState::kSynSent;
      set_timeout(Timeout::kTcpSynSent, timeout, timeout_changed);
      return UpdateResult::kValidNew;
    }
  }

  uint8_t sws = 0, dws = 0;
  if ((src.wscale & kWscaleSet) && (dst.wscale & kWscaleSet) && !(flags & kSyn)) {
    sws = src.wscale & kWscaleMask;
    dws = dst.wscale & kWscaleMask;
  } else if ((src.wscale & kWscaleUnknown) && (dst.wscale & kWscaleUnknown) && !(flags & kSyn)) {
    sws = dws = kMaxWscale;
  }

  uint32_t window = s.window;
  const uint32_t original_seq = s.seq;
  uint32_t seq = s.seq;
  uint32_t ack = s.ack;
  uint32_t end;
  bool check_ackskew = true;
  if (src.state < TcpState::kSynSent) {
    // The first segment from this side (the SYN|ACK, usually).
    end = seq + s.payload_length;
    if (flags & kSyn) {
      ++end;
      if (dst.wscale & kWscaleSet) {
        src.wscale = s.window_scale;
        if (src.wscale & kWscaleSet) {
          sws = src.wscale & kWscaleMask;
          window = (window + (1u << sws) - 1) >> sws;
          dws = dst.wscale & kWscaleMask;
        } else {
          // The other side asked for scaling, this one did not: none at all.
          dst.max_win <<= dst.wscale & kWscaleMask;
          dst.wscale = 0;
        }
      }
    }
    if (flags & kFin) ++end;
    src.seqlo = seq;
    src.state = TcpState::kSynSent;
    const uint32_t reach = end + std::max<uint32_t>(1, dst.max_win << dws);
    if (src.seqhi == 1 || seq_geq(reach, src.seqhi)) {
      src.seqhi = reach;
      // A new connection or one picked up late: be lenient with its ACKs.
      check_ackskew = false;
    }
    src.max_win = std::max(src.max_win, window);
  } else {
    end = seq + s.payload_length;
    if (flags & kSyn) ++end;
    if (flags & kFin) ++end;
  }

  if (!(flags & kAck)) {
    ack = dst.seqlo;  // nothing acknowledged: passes the skew check
  } else if (ack == 0 && (flags & (kAck | kRst)) == (kAck | kRst)) {
    ack = dst.seqlo;  // stacks that send RST|ACK without an ACK number
  }
  if (seq == end) {  // no data: relax the sequence checks
    seq = src.seqlo;
    end = seq;
  }

  const int64_t ackskew = check_ackskew ? static_cast<int32_t>(dst.seqlo - ack) : 0;
  const bool in_window =
      seq_geq(src.seqhi, end) &&                                 // ends inside the peer's window
      seq_geq(seq, src.seqlo - (dst.max_win << dws)) &&          // at most a window back
      ackskew >= -kMaxAckWindow &&                               // ACK not too far back
      ackskew <= (kMaxAckWindow << sws) &&                       // ACK not too far ahead
      (!(flags & kRst) || original_seq == src.seqlo ||           // resets must hit exactly
       original_seq == src.seqlo + 1 || original_seq + 1 == src.seqlo);

  auto slide_windows = [&] {
    src.max_win = std::max(src.max_win, window);
    if (seq_gt(end, src.seqlo)) src.seqlo = end;
    if (seq_geq(ack + (window << sws), dst.seqhi))
      dst.seqhi = ack + std::max<uint32_t>(window << sws, 1);
  };

  if (in_window || !check_sequence) {
    slide_windows();
    if ((flags & kSyn) && src.state < TcpState::kSynSent) src.state = TcpState::kSynSent;
    if ((flags & kFin) && src.state < TcpState::kClosing) src.state = TcpState::kClosing;
    if (flags & kAck) {
      if (dst.state == TcpState::kSynSent) dst.state = TcpState::kEstablished;
      else if (dst.state == TcpState::kClosing) dst.state = TcpState::kFinWait2;
    }
    if (flags & kRst) src.state = dst.state = TcpState::kTimeWait;

    Timeout t;
    if (src.state >= TcpState::kFinWait2 && dst.state >= TcpState::kFinWait2)
      t = Timeout::kTcpTimeWait;
    else if (src.state >= TcpState::kClosing && dst.state >= TcpState::kClosing)
      t = Timeout::kTcpFinWait;
    else if (src.state < TcpState::kEstablished || dst.state < TcpState::kEstablished)
      t = Timeout::kTcpSynRecv;
    else if (src.state >= TcpState::kClosing || dst.state >= TcpState::kClosing)
      t = Timeout::kTcpClose;
    else
      t = Timeout::kTcpEstablished;
    set_timeout(t, timeout, timeout_changed);
    return UpdateResult::kValid;
  }

  if ((dst.state < TcpState::kSynSent || dst.state >= TcpState::kFinWait2 ||
       src.state >= TcpState::kFinWait2) &&
      seq_geq(src.seqhi + kMaxAckWindow, end) && seq_geq(seq, src.seqlo - kMaxAckWindow)) {
    // Within a window of the expected: SYNs sent before the peer answered,
    // a connection picked up mid-stream, stray segments after a close. The
    // state is followed but the timeout not refreshed, so a flood of these
    // cannot keep a connection alive.
    slide_windows();
    if ((flags & kFin) && src.state < TcpState::kClosing) src.state = TcpState::kClosing;
    if (flags & kRst) src.state = dst.state = TcpState::kTimeWait;
    return UpdateResult::kValid;
  }
  return UpdateResult::kInvalid;
}

}  // namespace flowpath::conntrack
