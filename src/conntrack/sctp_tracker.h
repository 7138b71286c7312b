// SCTP association tracking as Linux's netfilter does it
// (nf_conntrack_proto_sctp): a state per association driven by the chunks
// each packet carries, in each direction, and the verification tag every
// packet of a direction must carry (RFC 9260 section 8.5), learnt from the
// INIT and INIT ACK chunks (or from a HEARTBEAT seen first, on a secondary
// path of a multi-homed association).
//
// A packet is invalid when its chunks are malformed (a zero length, INIT,
// INIT ACK or SHUTDOWN COMPLETE bundled with others, COOKIE ECHO or COOKIE
// ACK not first, no chunk at all), when its tag is not the one its
// direction expects (INIT: zero; ABORT and SHUTDOWN COMPLETE with the T bit:
// the other direction's), or when a chunk does not fit the state (an INIT
// ACK on a connection's first packet, a chunk in the reply direction of a
// connection opened by a HEARTBEAT...). The states and their timeouts are
// netfilter's; its checksum check (CRC32c) is not made, as flowpath
// verifies no transport checksum.
#pragma once

#include <cstdint>
#include <string_view>

#include "conntrack/tcp_tracker.h"  // UpdateResult
#include "conntrack/timeouts.h"
#include "packet/byte_order.h"

namespace flowpath::conntrack {

// netfilter's order (enum sctp_conntrack); kNone only before the first
// packet has been seen.
enum class SctpState : uint8_t {
  kNone, kClosed, kCookieWait, kCookieEchoed, kEstablished, kShutdownSent, kShutdownRecd,
  kShutdownAckSent, kHeartbeatSent,
};
inline constexpr size_t kSctpStateCount = 9;
// "ESTABLISHED", ... as ovs-dpctl prints the kernel's (NONE shows as CLOSED).
std::string_view sctp_state_name(SctpState s);
Timeout sctp_timeout(SctpState s);

// SCTP chunk types the tracker reads.
namespace sctp_chunk {
inline constexpr uint8_t kData = 0, kInit = 1, kInitAck = 2, kSack = 3, kHeartbeat = 4,
                         kHeartbeatAck = 5, kAbort = 6, kShutdown = 7, kShutdownAck = 8,
                         kError = 9, kCookieEcho = 10, kCookieAck = 11, kShutdownComplete = 14;
inline constexpr uint8_t kFlagT = 0x01;  // ABORT, SHUTDOWN COMPLETE: the tag is the sender's peer's
}  // namespace sctp_chunk

// One association's state, guarded by its connection's lock.
struct SctpConnection {
  // The verification tag each direction's packets carry ([0] original,
  // [1] reply), as on the wire (network byte order).
  be32 vtag[2] = {0, 0};
  SctpState state = SctpState::kNone;
  // An INIT was seen from this direction and no COOKIE ACK since: both set
  // is an INIT collision (RFC 9260 section 5.2.4).
  uint8_t init[2] = {0, 0};
  bool heartbeat_vtag_failed = false;  // a HEARTBEAT carried an unknown tag...
  uint8_t heartbeat_dir = 0;           // ...travelling this way
  bool seen_reply = false;             // a valid packet came from the responder
};

// Sets up `conn` from a connection's first packet (`sctp`: the SCTP packet,
// `length` bytes from its common header to the end of the IP packet).
// False: the packet may not open a connection (it is invalid). *timeout is
// the connection's timeout.
bool sctp_start(SctpConnection* conn, const uint8_t* sctp, uint32_t length, Timeout* timeout);

// Updates an existing connection with a packet from the originator (reply
// false) or the responder. *refresh is false when the connection's timer
// must be left as it is (a retransmitted INIT on a closed association, so
// that a client reusing its port cannot keep it alive forever); *timeout is
// the timeout to restart it with otherwise.
UpdateResult sctp_update(SctpConnection* conn, const uint8_t* sctp, uint32_t length, bool reply,
                         Timeout* timeout, bool* refresh);

}  // namespace flowpath::conntrack
