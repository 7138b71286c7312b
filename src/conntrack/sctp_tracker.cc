#include "conntrack/sctp_tracker.h"

#include <cstring>

namespace flowpath::conntrack {

namespace {

using S = SctpState;
constexpr S kNo = S::kNone, kCl = S::kClosed, kCw = S::kCookieWait, kCe = S::kCookieEchoed,
            kEs = S::kEstablished, kSs = S::kShutdownSent, kSr = S::kShutdownRecd,
            kSa = S::kShutdownAckSent, kHs = S::kHeartbeatSent;
// Not allowed: the packet is invalid.
constexpr S kIv = static_cast<S>(kSctpStateCount);

// The chunks that move the state, in the rows of kNext.
enum Row : uint8_t {
  kRowInit, kRowInitAck, kRowAbort, kRowShutdown, kRowShutdownAck, kRowError, kRowCookieEcho,
  kRowCookieAck, kRowShutdownComplete, kRowHeartbeat, kRowHeartbeatAck, kRows, kRowNone = 0xff,
};

Row row_of(uint8_t type) {
  switch (type) {
    case sctp_chunk::kInit: return kRowInit;
    case sctp_chunk::kInitAck: return kRowInitAck;
    case sctp_chunk::kAbort: return kRowAbort;
    case sctp_chunk::kShutdown: return kRowShutdown;
    case sctp_chunk::kShutdownAck: return kRowShutdownAck;
    case sctp_chunk::kError: return kRowError;
    case sctp_chunk::kCookieEcho: return kRowCookieEcho;
    case sctp_chunk::kCookieAck: return kRowCookieAck;
    case sctp_chunk::kShutdownComplete: return kRowShutdownComplete;
    case sctp_chunk::kHeartbeat: return kRowHeartbeat;
    case sctp_chunk::kHeartbeatAck: return kRowHeartbeatAck;
    default: return kRowNone;  // DATA, SACK, ...: the state stays
  }
}

// The state after a chunk: [direction][chunk][state before], netfilter's
// transitions (columns NONE, CLOSED, COOKIE_WAIT, COOKIE_ECHOED,
// ESTABLISHED, SHUTDOWN_SENT, SHUTDOWN_RECD, SHUTDOWN_ACK_SENT,
// HEARTBEAT_SENT).
constexpr S kNext[2][kRows][kSctpStateCount] = {
    {
        // From the originator.
        /* INIT          */ {kCl, kCl, kCw, kCe, kEs, kCl, kCl, kSa, kCw},
        /* INIT ACK      */ {kCl, kCl, kCw, kCe, kEs, kSs, kSr, kSa, kCl},
        /* ABORT         */ {kCl, kCl, kCl, kCl, kCl, kCl, kCl, kCl, kCl},
        /* SHUTDOWN      */ {kCl, kCl, kCw, kCe, kSs, kSs, kSr, kSa, kCl},
        /* SHUTDOWN ACK  */ {kSa, kCl, kCw, kCe, kEs, kSa, kSa, kSa, kSa},
        /* ERROR         */ {kCl, kCl, kCw, kCe, kEs, kSs, kSr, kSa, kCl},
        /* COOKIE ECHO   */ {kCl, kCl, kCe, kCe, kEs, kSs, kSr, kSa, kCl},
        /* COOKIE ACK    */ {kCl, kCl, kCw, kEs, kEs, kSs, kSr, kSa, kCl},
        /* SHUTDOWN COMP */ {kCl, kCl, kCw, kCe, kEs, kSs, kSr, kCl, kCl},
        /* HEARTBEAT     */ {kHs, kCl, kCw, kCe, kEs, kSs, kSr, kSa, kHs},
        /* HEARTBEAT ACK */ {kCl, kCl, kCw, kCe, kEs, kSs, kSr, kSa, kHs},
    },
    {
        // From the responder.
        /* INIT          */ {kIv, kCl, kCw, kCe, kEs, kSs, kSr, kSa, kIv},
        /* INIT ACK      */ {kIv, kCw, kCw, kCe, kEs, kSs, kSr, kSa, kIv},
        /* ABORT         */ {kIv, kCl, kCl, kCl, kCl, kCl, kCl, kCl, kIv},
        /* SHUTDOWN      */ {kIv, kCl, kCw, kCe, kSr, kSs, kSr, kSa, kIv},
        /* SHUTDOWN ACK  */ {kIv, kCl, kCw, kCe, kEs, kSa, kSa, kSa, kIv},
        /* ERROR         */ {kIv, kCl, kCw, kCl, kEs, kSs, kSr, kSa, kIv},
        /* COOKIE ECHO   */ {kIv, kCl, kCe, kCe, kEs, kSs, kSr, kSa, kIv},
        /* COOKIE ACK    */ {kIv, kCl, kCw, kEs, kEs, kSs, kSr, kSa, kIv},
        /* SHUTDOWN COMP */ {kIv, kCl, kCw, kCe, kEs, kSs, kSr, kCl, kIv},
        /* HEARTBEAT     */ {kIv, kCl, kCw, kCe, kEs, kSs, kSr, kSa, kHs},
        /* HEARTBEAT ACK */ {kIv, kCl, kCw, kCe, kEs, kSs, kSr, kSa, kEs},
    },
};

S next_state(int dir, S state, uint8_t type) {
  const Row row = row_of(type);
  if (row == kRowNone) return state;
  return kNext[dir][row][static_cast<size_t>(state)];
}

constexpr uint32_t kCommonHeader = 12;
constexpr uint32_t kChunkHeader = 4;
constexpr uint32_t kInitHeader = 16;  // after the chunk header: tag, a_rwnd, streams, TSN

// A walk over the chunks of a packet: each chunk's header must be there;
// a chunk is followed by the next at its length rounded up to 4 bytes.
struct Chunk {
  uint32_t offset;  // of the chunk header, from the common header
  uint8_t type;
  uint8_t flags;
  uint16_t length;
};

class ChunkWalk {
 public:
  ChunkWalk(const uint8_t* sctp, uint32_t length) : p_(sctp), n_(length) {}
  bool next(Chunk* c) {
    if (offset_ >= n_ || n_ - offset_ < kChunkHeader) return false;
    const uint8_t* h = p_ + offset_;
    c->offset = offset_;
    c->type = h[0];
    c->flags = h[1];
    c->length = static_cast<uint16_t>(h[2] << 8 | h[3]);
    offset_ += (uint32_t{c->length} + 3) & ~3u;
    return true;
  }

 private:
  const uint8_t* p_;
  uint32_t n_;
  uint32_t offset_ = kCommonHeader;
};

// The set of chunk types of a packet.
struct ChunkSet {
  uint64_t bits[4] = {0, 0, 0, 0};
  void add(uint8_t t) { bits[t >> 6] |= uint64_t{1} << (t & 63); }
  bool has(uint8_t t) const { return (bits[t >> 6] >> (t & 63)) & 1; }
};

// The chunks are well formed (see the header); fills *set.
bool check_chunks(const uint8_t* sctp, uint32_t length, ChunkSet* set) {
  ChunkWalk walk(sctp, length);
  Chunk c;
  uint32_t count = 0;
  bool alone = false;  // an INIT, INIT ACK or SHUTDOWN COMPLETE was seen
  while (walk.next(&c)) {
    if (c.type == sctp_chunk::kInit || c.type == sctp_chunk::kInitAck ||
        c.type == sctp_chunk::kShutdownComplete)
      alone = true;
    const bool first_only =
        c.type == sctp_chunk::kCookieAck || c.type == sctp_chunk::kCookieEcho || alone;
    if ((first_only && count != 0) || c.length == 0) return false;
    set->add(c.type);
    ++count;
  }
  return count != 0;
}

uint32_t load_raw32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// The initiate tag of an INIT or INIT ACK chunk; false when cut short.
bool initiate_tag(const uint8_t* sctp, uint32_t length, const Chunk& c, uint32_t* tag) {
  if (length - c.offset < kChunkHeader + kInitHeader) return false;
  *tag = load_raw32(sctp + c.offset + kChunkHeader);
  return true;
}

// The chunk-by-chunk update shared by a connection's first packet and the
// later ones. `confirmed`: the connection existed before this packet.
UpdateResult update(SctpConnection* conn, const uint8_t* sctp, uint32_t length, int dir,
                    bool confirmed, const ChunkSet& set, Timeout* timeout, bool* refresh) {
  const uint32_t vtag = load_raw32(sctp + 4);
  const int other = 1 - dir;
  // Chunks that carry their own tag rules are checked one by one below;
  // every other packet must carry its direction's tag.
  if (!set.has(sctp_chunk::kInit) && !set.has(sctp_chunk::kShutdownComplete) &&
      !set.has(sctp_chunk::kCookieEcho) && !set.has(sctp_chunk::kAbort) &&
      !set.has(sctp_chunk::kShutdownAck) && !set.has(sctp_chunk::kHeartbeat) &&
      !set.has(sctp_chunk::kHeartbeatAck) && vtag != conn->vtag[dir])
    return UpdateResult::kInvalid;

  bool ignore = false;  // accepted, the timer left as it is
  S state = S::kNone;
  ChunkWalk walk(sctp, length);
  Chunk c;
  while (walk.next(&c)) {
    switch (c.type) {
      case sctp_chunk::kInit:
        if (vtag != 0) return UpdateResult::kInvalid;
        break;
      case sctp_chunk::kAbort:
      case sctp_chunk::kShutdownComplete:
        // The sender's own tag, or with the T bit its peer's.
        if (vtag != conn->vtag[(c.flags & sctp_chunk::kFlagT) ? other : dir])
          return UpdateResult::kInvalid;
        break;
      case sctp_chunk::kCookieEcho:
        if (vtag != conn->vtag[dir]) return UpdateResult::kInvalid;
        break;
      case sctp_chunk::kCookieAck:
        conn->init[0] = conn->init[1] = 0;
        break;
      case sctp_chunk::kHeartbeat:
        if (conn->vtag[dir] == 0) {
          conn->vtag[dir] = vtag;  // learnt on a secondary path
        } else if (vtag != conn->vtag[dir]) {
          // Perhaps a restarted association: let it through once, its
          // HEARTBEAT ACK from the other side will confirm the new tag.
          if (set.has(sctp_chunk::kData) || ignore) return UpdateResult::kInvalid;
          conn->heartbeat_vtag_failed = true;
          conn->heartbeat_dir = static_cast<uint8_t>(dir);
          ignore = true;
          continue;
        } else {
          conn->heartbeat_vtag_failed = false;
        }
        break;
      case sctp_chunk::kHeartbeatAck:
        if (conn->vtag[dir] == 0) {
          conn->vtag[dir] = vtag;
        } else if (vtag != conn->vtag[dir]) {
          if (set.has(sctp_chunk::kData) || ignore) return UpdateResult::kInvalid;
          if (!conn->heartbeat_vtag_failed || conn->heartbeat_dir == dir)
            return UpdateResult::kInvalid;
          conn->heartbeat_vtag_failed = false;
          conn->vtag[dir] = vtag;
          conn->vtag[other] = 0;
        } else {
          conn->heartbeat_vtag_failed = false;
        }
        break;
      default:
        break;
    }

    const S before = conn->state;
    state = next_state(dir, before, c.type);
    if (state == kIv) return UpdateResult::kInvalid;

    if (c.type == sctp_chunk::kInit) {
      uint32_t tag;
      if (!initiate_tag(sctp, length, c, &tag)) return UpdateResult::kInvalid;
      // A retransmitted (or stale) INIT carries the tag already known.
      if (before == S::kNone || conn->vtag[other] != tag) {
        if (conn->init[dir] && conn->init[other]) conn->init[other] = 0;
        conn->init[dir] = 1;
      }
      conn->vtag[other] = tag;
      // INITs on a closed association do not keep it alive.
      if (state == S::kClosed && before == S::kClosed && confirmed) ignore = true;
    } else if (c.type == sctp_chunk::kInitAck) {
      uint32_t tag;
      if (!initiate_tag(sctp, length, c, &tag)) return UpdateResult::kInvalid;
      const uint32_t known = conn->vtag[other];
      if (!conn->init[other] && known != 0 && known != tag) return UpdateResult::kInvalid;
      // An INIT collision: only the INIT ACK that answers the INIT kept.
      if (conn->init[dir] && conn->init[other] && known != tag) return UpdateResult::kInvalid;
      conn->vtag[other] = tag;
    }
    conn->state = state;
  }
  *refresh = !ignore;
  *timeout = sctp_timeout(state);
  return UpdateResult::kValid;
}

}  // namespace

std::string_view sctp_state_name(SctpState s) {
  switch (s) {
    case S::kNone:
    case S::kClosed: return "CLOSED";
    case S::kCookieWait: return "COOKIE_WAIT";
    case S::kCookieEchoed: return "COOKIE_ECHOED";
    case S::kEstablished: return "ESTABLISHED";
    case S::kShutdownSent: return "SHUTDOWN_SENT";
    case S::kShutdownRecd: return "SHUTDOWN_RECD";
    case S::kShutdownAckSent: return "SHUTDOWN_ACK_SENT";
    case S::kHeartbeatSent: return "HEARTBEAT_SENT";
  }
  return "CLOSED";
}

Timeout sctp_timeout(SctpState s) {
  switch (s) {
    case S::kNone:
    case S::kClosed: return Timeout::kSctpClosed;
    case S::kCookieWait: return Timeout::kSctpCookieWait;
    case S::kCookieEchoed: return Timeout::kSctpCookieEchoed;
    case S::kEstablished: return Timeout::kSctpEstablished;
    case S::kShutdownSent: return Timeout::kSctpShutdownSent;
    case S::kShutdownRecd: return Timeout::kSctpShutdownRecd;
    case S::kShutdownAckSent: return Timeout::kSctpShutdownAckSent;
    case S::kHeartbeatSent: return Timeout::kSctpHeartbeatSent;
  }
  return Timeout::kSctpClosed;
}

bool sctp_start(SctpConnection* conn, const uint8_t* sctp, uint32_t length, Timeout* timeout) {
  *conn = SctpConnection{};
  if (length < kCommonHeader) return false;
  ChunkSet set;
  if (!check_chunks(sctp, length, &set)) return false;
  // Out of the blue, these only ever answer something (RFC 9260 8.4).
  if (set.has(sctp_chunk::kAbort) || set.has(sctp_chunk::kShutdownComplete) ||
      set.has(sctp_chunk::kCookieAck))
    return false;
  // Every chunk must be one that may open a connection; the tags the
  // first packet tells are noted.
  const uint32_t vtag = load_raw32(sctp + 4);
  ChunkWalk walk(sctp, length);
  Chunk c;
  while (walk.next(&c)) {
    const S s = next_state(0, S::kNone, c.type);
    if (s == S::kNone || s == kIv) return false;
    if (c.type == sctp_chunk::kInit) {
      uint32_t tag;
      if (vtag != 0 || !initiate_tag(sctp, length, c, &tag)) return false;
      conn->vtag[1] = tag;
    } else if (c.type == sctp_chunk::kHeartbeat) {
      conn->vtag[0] = vtag;  // a secondary path of an association seen elsewhere
    } else if (c.type == sctp_chunk::kShutdownAck) {
      conn->vtag[1] = vtag;  // answered by a SHUTDOWN COMPLETE or an ABORT
    }
  }
  bool refresh = true;
  return update(conn, sctp, length, 0, false, set, timeout, &refresh) == UpdateResult::kValid;
}

UpdateResult sctp_update(SctpConnection* conn, const uint8_t* sctp, uint32_t length, bool reply,
                         Timeout* timeout, bool* refresh) {
  *refresh = false;
  ChunkSet set;
  if (length < kCommonHeader || !check_chunks(sctp, length, &set)) return UpdateResult::kInvalid;
  UpdateResult r = update(conn, sctp, length, reply ? 1 : 0, true, set, timeout, refresh);
  if (r == UpdateResult::kInvalid) {
    *refresh = false;
    return r;
  }
  if (reply) conn->seen_reply = true;
  return conn->seen_reply ? UpdateResult::kValid : UpdateResult::kValidNew;
}

}  // namespace flowpath::conntrack
