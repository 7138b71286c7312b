#include "conntrack/conntrack.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <new>
#include <random>

#include "common/clock.h"
#include "common/rcu.h"
#include "conntrack/nat_allocate.h"
#include "conntrack/nat_packet.h"
#include "flow/odp_abi.h"

namespace flowpath::conntrack {

namespace {

constexpr uint32_t kZones = 65536;
// The sweeper visits the whole table once per this many wake-ups.
constexpr uint32_t kSweepSlices = 10;
constexpr auto kSweepInterval = std::chrono::milliseconds(100);

uint64_t wall_clock_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// May this packet open a connection?
bool valid_new(const PacketTuple& t) {
  const ConnectionKey& k = t.key;
  if (k.proto == kProtoTcp) return tcp_valid_new(read_tcp_segment(t.l4, t.l4_length));
  if (k.proto == kProtoSctp) {
    SctpConnection scratch;
    Timeout timeout;
    return sctp_start(&scratch, t.l4, t.l4_length, &timeout);
  }
  if (k.is_icmp()) {
    const uint8_t type = k.icmp_type();
    if (k.ipv6) return type == 128;                     // echo request
    return type == 8 || type == 13 || type == 15;       // echo, timestamp, information
  }
  return true;
}

// The original-direction tuple as the flow key carries it (ct_tuple4/6):
// ICMP's type and code in the port fields.
void write_tuple(const ConnectionKey& k, ConntrackTuple* out) {
  std::memcpy(out->src, k.src, 16);
  std::memcpy(out->dst, k.dst, 16);
  if (k.is_icmp()) {
    out->src_port = hton16(k.icmp_type());
    out->dst_port = hton16(k.icmp_code());
  } else {
    out->src_port = k.src_port;
    out->dst_port = k.dst_port;
  }
  out->proto = k.proto;
  std::memset(out->pad, 0, sizeof out->pad);
}

}  // namespace

Conntrack::Conntrack(uint32_t bucket_bits)
    : table_(bucket_bits),
      zone_count_(new std::atomic<uint32_t>[kZones]()),
      zone_limit_(new std::atomic<uint32_t>[kZones]()),
      nat_basis_(std::random_device{}() | (uint64_t{std::random_device{}()} << 32)) {
  set_timeouts(TimeoutTable{});
}

Conntrack::~Conntrack() {
  {
    std::lock_guard lock(sweeper_mutex_);
    stopping_ = true;
  }
  sweeper_wake_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
}

uint32_t Conntrack::execute(PacketBatch& batch, const CtRequest& request, uint64_t now_ms) {
  uint32_t keep = 0;
  uint32_t bit = 1;
  for (Packet* p : batch) {
    if (process(*p, request, now_ms)) keep |= bit;
    bit <<= 1;
  }
  return keep;
}

UpdateResult Conntrack::update_locked(Connection& conn, const PacketTuple& t, bool reply,
                                      uint64_t now_ms) {
  const ConnectionKey& k = t.key;
  if (k.proto == kProtoTcp) {
    Timeout timeout = conn.timeout;
    bool changed = false;
    UpdateResult r = tcp_update(&conn.tcp, read_tcp_segment(t.l4, t.l4_length), reply,
                                tcp_sequence_check(), &timeout, &changed);
    if (changed) {
      conn.timeout = timeout;
      conn.expiration_ms.store(expiration(timeout, now_ms), std::memory_order_relaxed);
    }
    return r;
  }
  if (k.proto == kProtoSctp) {
    Timeout timeout = conn.timeout;
    bool refresh = false;
    UpdateResult r = sctp_update(&conn.sctp, t.l4, t.l4_length, reply, &timeout, &refresh);
    if (refresh) {
      conn.timeout = timeout;
      conn.expiration_ms.store(expiration(timeout, now_ms), std::memory_order_relaxed);
    }
    return r;
  }
  // ICMP queries and every other protocol: first, more from one side, both sides.
  UpdateResult r = UpdateResult::kValid;
  if (reply && conn.other != OtherState::kBidir) {
    conn.other = OtherState::kBidir;
  } else if (conn.other == OtherState::kFirst) {
    conn.other = OtherState::kMultiple;
  }
  if (conn.other != OtherState::kBidir) r = UpdateResult::kValidNew;
  Timeout timeout;
  if (k.is_icmp()) {
    timeout = conn.other == OtherState::kBidir ? Timeout::kIcmpReply : Timeout::kIcmpFirst;
    // Open vSwitch keeps an ICMP query "new" only until its first packet.
    if (conn.other == OtherState::kMultiple) r = UpdateResult::kValidNew;
  } else {
    timeout = conn.other == OtherState::kFirst      ? Timeout::kUdpFirst
              : conn.other == OtherState::kMultiple ? Timeout::kUdpSingle
                                                    : Timeout::kUdpMultiple;
  }
  conn.timeout = timeout;
  conn.expiration_ms.store(expiration(timeout, now_ms), std::memory_order_relaxed);
  return r;
}

bool Conntrack::process(Packet& packet, const CtRequest& rq, uint64_t now_ms) {
  PacketMetadata& md = packet.md;
  // As Open vSwitch: the state of an earlier ct() carries over only within
  // its zone, where a packet already translated is not translated again.
  const uint32_t prior = md.ct_zone == rq.zone ? md.ct_state : 0;
  const bool natted = (prior & (odp::kCsSrcNat | odp::kCsDstNat)) != 0;
  md.ct_zone = rq.zone;
  PacketTuple t;
  if (!extract_tuple(packet, rq.zone, &t)) {
    invalid_.fetch_add(1, std::memory_order_relaxed);
    md.ct_state = odp::kCsTracked | odp::kCsInvalid;
    md.ct_mark = 0;
    std::memset(md.ct_label, 0, sizeof md.ct_label);
    std::memset(&md.ct_orig_tuple, 0, sizeof md.ct_orig_tuple);
    return true;
  }
  bool reply = false;
  Connection* conn = nullptr;
  if (natted) {
    // Translated already: its connection holds the reversed key.
    const ConnectionKey reversed = reverse(t.key);
    conn = table_.lookup(reversed, table_.hash(reversed), now_ms, &reply);
    if (conn != nullptr) {
      reply = !reply;
      if (!t.related) t.key = conn->key[reply ? 1 : 0];
    } else if (!rq.nat.present && md.ct_orig_tuple.proto != 0) {
      conn = lookup_original_tuple(t.key, md.ct_orig_tuple, &reply, now_ms);
    }
  } else {
    conn = table_.lookup(t.key, table_.hash(t.key), now_ms, &reply);
  }
  if (conn != nullptr && rq.force && reply) {
    // force: a connection seen the other way round ends here and restarts.
    remove(conn);
    conn = nullptr;
  }
  uint32_t state = 0;
  bool create = false;
  const uint64_t size = packet.size();
  const bool translate = rq.nat.present && !natted;
  if (t.related) {
    if (conn != nullptr) {
      state = prior | odp::kCsRelated | (reply ? uint32_t{odp::kCsReplyDir} : 0u);
      if (translate && conn->nat) state |= nat_packet(packet, t, *conn, reply, true);
    } else {
      state = odp::kCsInvalid;
    }
  } else if (conn != nullptr) {
    // The hit path: the update and the metadata under one lock hold.
    conn->lock.lock();
    switch (update_locked(*conn, t, reply, now_ms)) {
      case UpdateResult::kValid:
        state = (prior | odp::kCsEstablished | (reply ? uint32_t{odp::kCsReplyDir} : 0u)) &
                ~uint32_t{odp::kCsNew};
        break;
      case UpdateResult::kValidNew:
        state = prior | odp::kCsNew;
        break;
      case UpdateResult::kInvalid:
        state = odp::kCsInvalid;
        break;
      case UpdateResult::kNew:
        create = true;
        break;
    }
    if (!create) {
      finish_locked(*conn, state, reply, size, rq, md);
      conn->lock.unlock();
      // Open vSwitch translates even a packet its state machine calls invalid.
      if (translate && conn->nat) state |= nat_packet(packet, t, *conn, reply, false);
      write_state(state, conn, t, md);
      return true;
    }
    conn->lock.unlock();
    remove(conn);
    conn = nullptr;
  } else {
    create = true;
  }
  if (create) {
    if (!valid_new(t)) {
      state = odp::kCsInvalid;
    } else {
      state = odp::kCsNew;
      if (rq.commit || rq.force) {
        bool exhausted = false;
        conn = commit(t, rq.nat, now_ms, &exhausted);
        if (exhausted) return false;
        reply = false;
        if (conn != nullptr && translate && conn->nat)
          state |= nat_packet(packet, t, *conn, false, false);
      }
    }
  }

  if (conn != nullptr) {
    conn->lock.lock();
    finish_locked(*conn, state, reply, size, rq, md);
    conn->lock.unlock();
  } else {
    md.ct_mark = 0;
    std::memset(md.ct_label, 0, sizeof md.ct_label);
  }
  write_state(state, conn, t, md);
  return true;
}

Connection* Conntrack::lookup_original_tuple(const ConnectionKey& packet_key,
                                             const ConntrackTuple& tuple, bool* reply,
                                             uint64_t now_ms) const {
  // Open vSwitch's check_orig_tuple: a packet translated by an earlier ct()
  // of this zone whose connection is found by the original tuple it carries.
  ConnectionKey k = packet_key;
  std::memcpy(k.src, tuple.src, 16);
  std::memcpy(k.dst, tuple.dst, 16);
  k.proto = tuple.proto;
  if (k.is_icmp()) {
    k.dst_port = static_cast<be16>(ntoh16(tuple.src_port) << 8 | (ntoh16(tuple.dst_port) & 0xff));
  } else {
    k.src_port = tuple.src_port;
    k.dst_port = tuple.dst_port;
  }
  return table_.lookup(k, table_.hash(k), now_ms, reply);
}

uint32_t Conntrack::nat_packet(Packet& packet, const PacketTuple& t, const Connection& conn,
                               bool reply, bool related) {
  // The packet's direction is translated to what the other direction's key
  // expects: an original packet to the reverse of the (translated) reply
  // key, a reply back to the reverse of the original key.
  const ConnectionKey& other = conn.key[reply ? 0 : 1];
  // Source NAT shows as +snat on original packets and +dnat on replies.
  const bool src = (conn.nat == NatRange::kSrc) != reply;
  if (related) {
    // The error's outer header changes only in the translated address; the
    // packet it quotes travelled the other way and becomes `other` itself.
    nat_rewrite_related(packet, t, src, src ? other.dst : other.src, other);
  } else {
    nat_rewrite(packet, t, reverse(other));
  }
  return src ? odp::kCsSrcNat : odp::kCsDstNat;
}

void Conntrack::finish_locked(Connection& conn, uint32_t state, bool reply, uint64_t size,
                              const CtRequest& rq, PacketMetadata& md) {
  if (!(state & odp::kCsInvalid)) {
    const int d = reply ? 1 : 0;
    ++conn.packets[d];
    conn.bytes[d] += size;
  }
  if (rq.set_mark) conn.mark = (conn.mark & ~rq.mark_mask) | (rq.mark & rq.mark_mask);
  if (rq.set_label) {
    for (int i = 0; i < 16; ++i)
      conn.label[i] = static_cast<uint8_t>((conn.label[i] & ~rq.label_mask[i]) |
                                           (rq.label[i] & rq.label_mask[i]));
  }
  md.ct_mark = conn.mark;
  std::memcpy(md.ct_label, conn.label, sizeof md.ct_label);
}

void Conntrack::write_state(uint32_t state, const Connection* conn, const PacketTuple& t,
                            PacketMetadata& md) {
  md.ct_state = state | odp::kCsTracked;
  // The key carries the tuple only for tracked, valid packets.
  if (state & odp::kCsInvalid) {
    invalid_.fetch_add(1, std::memory_order_relaxed);
    std::memset(&md.ct_orig_tuple, 0, sizeof md.ct_orig_tuple);
  } else {
    write_tuple(conn != nullptr ? conn->key[0] : t.key, &md.ct_orig_tuple);
  }
}

Connection* Conntrack::commit(const PacketTuple& t, const NatRange& nat, uint64_t now_ms,
                              bool* exhausted) {
  const uint16_t zone = t.key.zone;
  const uint32_t limit = zone_limit_[zone].load(std::memory_order_relaxed);
  if (limit != 0 && zone_count_[zone].load(std::memory_order_relaxed) >= limit) {
    zone_limited_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  if (count_.load(std::memory_order_relaxed) >= max_.load(std::memory_order_relaxed)) {
    full_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  Connection* conn = new (std::nothrow) Connection;
  if (conn == nullptr) {
    full_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  conn->key[0] = t.key;
  conn->key[1] = reverse(t.key);
  conn->created_ms = wall_clock_ms();
  conn->id = next_id_.fetch_add(1, std::memory_order_relaxed);
  Timeout timeout;
  if (t.key.proto == kProtoTcp) {
    timeout = tcp_start(&conn->tcp, read_tcp_segment(t.l4, t.l4_length));
  } else if (t.key.proto == kProtoSctp) {
    // valid_new() accepted the packet: it opens the association.
    sctp_start(&conn->sctp, t.l4, t.l4_length, &timeout);
  } else {
    conn->other = OtherState::kFirst;
    timeout = t.key.is_icmp() ? Timeout::kIcmpFirst : Timeout::kUdpFirst;
  }
  conn->timeout = timeout;
  conn->expiration_ms.store(expiration(timeout, now_ms), std::memory_order_relaxed);
  const bool translate = nat.present && nat.kind != NatRange::kNone;
  conn->nat = translate ? nat.kind : 0;
  struct InUse {
    const ConnectionTable* table;
    uint64_t now_ms;
  } in_use_context{&table_, now_ms};
  auto in_use = [](const void* context, const ConnectionKey& key) {
    const auto* c = static_cast<const InUse*>(context);
    return c->table->lookup(key, c->table->hash(key), c->now_ms, nullptr) != nullptr;
  };
  // A translated tuple may be taken between the choice and the insertion
  // by another thread's commit: choose again, a few times.
  for (int attempt = 0;; ++attempt) {
    if (translate &&
        (attempt == 4 ||
         !choose_nat_reply(t.key, nat, nat_basis_, in_use, &in_use_context, &conn->key[1]))) {
      delete conn;
      nat_exhausted_.fetch_add(1, std::memory_order_relaxed);
      *exhausted = true;
      return nullptr;
    }
    Connection* winner = table_.insert(conn, now_ms);
    if (winner == conn) break;
    if (!translate || winner->key[0] == conn->key[0]) {  // another thread committed it first
      delete conn;
      return winner;
    }
  }
  count_.fetch_add(1, std::memory_order_relaxed);
  zone_count_[zone].fetch_add(1, std::memory_order_relaxed);
  created_.fetch_add(1, std::memory_order_relaxed);
  ensure_sweeper();
  return conn;
}

void Conntrack::remove(Connection* conn) {
  if (!table_.remove(conn)) return;
  count_.fetch_sub(1, std::memory_order_relaxed);
  zone_count_[conn->key[0].zone].fetch_sub(1, std::memory_order_relaxed);
  ConnectionTable::release(conn);
}

size_t Conntrack::sweep(uint64_t now_ms, uint32_t buckets) {
  std::lock_guard lock(sweep_mutex_);
  size_t removed = 0;
  const uint32_t total = table_.bucket_count();
  constexpr uint32_t kChunk = 4096;  // buckets per read section
  while (buckets > 0) {
    const uint32_t n = std::min(std::min(buckets, kChunk), total - sweep_cursor_);
    {
      rcu::ReadSection section;
      table_.for_each(sweep_cursor_, n, [&](Connection* c) {
        if (!c->expired(now_ms)) return;
        if (table_.remove(c)) {
          count_.fetch_sub(1, std::memory_order_relaxed);
          zone_count_[c->key[0].zone].fetch_sub(1, std::memory_order_relaxed);
          ConnectionTable::release(c);
          ++removed;
        }
      });
    }
    sweep_cursor_ = (sweep_cursor_ + n) % total;
    buckets -= n;
  }
  expired_.fetch_add(removed, std::memory_order_relaxed);
  return removed;
}

void Conntrack::ensure_sweeper() {
  std::call_once(sweeper_once_, [this] { sweeper_ = std::thread([this] { sweeper_main(); }); });
}

void Conntrack::sweeper_main() {
  const uint32_t slice = table_.bucket_count() / kSweepSlices + 1;
  std::unique_lock lock(sweeper_mutex_);
  while (!stopping_) {
    sweeper_wake_.wait_for(lock, kSweepInterval, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    sweep(monotonic_ms(), slice);
    lock.lock();
  }
}

std::vector<ConnectionEntry> Conntrack::dump(std::optional<uint16_t> zone, uint64_t now) const {
  std::vector<ConnectionEntry> out;
  rcu::ReadSection section;
  table_.for_each(0, table_.bucket_count(), [&](Connection* c) {
    if (c->expired(now) || c->unlinked.load(std::memory_order_relaxed)) return;
    if (zone && c->key[0].zone != *zone) return;
    ConnectionEntry e;
    e.original = c->key[0];
    e.reply = c->key[1];
    e.id = c->id;
    e.created_ms = c->created_ms;
    uint64_t expiration = c->expiration_ms.load(std::memory_order_relaxed);
    e.timeout_s = static_cast<uint32_t>((expiration - now + 999) / 1000);
    c->lock.lock();
    e.mark = c->mark;
    std::memcpy(e.label, c->label, sizeof e.label);
    for (int d = 0; d < 2; ++d) {
      e.packets[d] = c->packets[d];
      e.bytes[d] = c->bytes[d];
    }
    if (c->key[0].proto == kProtoTcp) {
      e.tcp = true;
      for (int d = 0; d < 2; ++d) {
        e.tcp_state[d] = c->tcp.peer[d].state;
        e.tcp_wscale[d] = c->tcp.peer[d].wscale;
      }
    } else if (c->key[0].proto == kProtoSctp) {
      e.sctp = true;
      e.sctp_state = c->sctp.state;
      e.sctp_vtag[0] = c->sctp.vtag[0];
      e.sctp_vtag[1] = c->sctp.vtag[1];
    }
    c->lock.unlock();
    out.push_back(e);
  });
  return out;
}

size_t Conntrack::flush(const FlushFilter& f) {
  size_t removed = 0;
  rcu::ReadSection section;
  table_.for_each(0, table_.bucket_count(), [&](Connection* c) {
    const ConnectionKey& k = c->key[0];
    if (f.zone && k.zone != *f.zone) return;
    if (f.original) {
      const ConnectionKey& o = *f.original;
      if (f.has_src && (o.ipv6 != k.ipv6 || std::memcmp(o.src, k.src, 16) != 0)) return;
      if (f.has_dst && (o.ipv6 != k.ipv6 || std::memcmp(o.dst, k.dst, 16) != 0)) return;
      if (f.has_proto && o.proto != k.proto) return;
      if (f.has_src_port && o.src_port != k.src_port) return;
      if (f.has_dst_port && o.dst_port != k.dst_port) return;
    }
    if (table_.remove(c)) {
      count_.fetch_sub(1, std::memory_order_relaxed);
      zone_count_[k.zone].fetch_sub(1, std::memory_order_relaxed);
      ConnectionTable::release(c);
      ++removed;
    }
  });
  return removed;
}

uint32_t Conntrack::default_zone_limit() const {
  std::lock_guard lock(limits_mutex_);
  return default_limit_;
}

void Conntrack::set_default_zone_limit(uint32_t limit) {
  std::lock_guard lock(limits_mutex_);
  default_limit_ = limit;
  for (uint32_t z = 0; z < kZones; ++z) {
    if (!explicit_limits_.contains(static_cast<uint16_t>(z)))
      zone_limit_[z].store(limit, std::memory_order_relaxed);
  }
}

void Conntrack::set_zone_limit(uint16_t zone, uint32_t limit) {
  std::lock_guard lock(limits_mutex_);
  explicit_limits_[zone] = limit;
  zone_limit_[zone].store(limit, std::memory_order_relaxed);
}

void Conntrack::delete_zone_limit(uint16_t zone) {
  std::lock_guard lock(limits_mutex_);
  explicit_limits_.erase(zone);
  zone_limit_[zone].store(default_limit_, std::memory_order_relaxed);
}

std::vector<ZoneLimit> Conntrack::zone_limits(const std::vector<uint16_t>& zones) const {
  std::lock_guard lock(limits_mutex_);
  std::vector<ZoneLimit> out;
  auto one = [&](uint16_t z) {
    out.push_back({z, zone_limit_[z].load(std::memory_order_relaxed),
                   zone_count_[z].load(std::memory_order_relaxed)});
  };
  if (zones.empty()) {
    for (const auto& [z, limit] : explicit_limits_) one(z);
  } else {
    for (uint16_t z : zones) one(z);
  }
  return out;
}

TimeoutTable Conntrack::timeouts() const {
  TimeoutTable t;
  for (size_t i = 0; i < kTimeoutCount; ++i) t.seconds[i] = timeout_s_[i].load(std::memory_order_relaxed);
  return t;
}

void Conntrack::set_timeouts(const TimeoutTable& table) {
  for (size_t i = 0; i < kTimeoutCount; ++i)
    timeout_s_[i].store(table.seconds[i], std::memory_order_relaxed);
}

ConntrackCounters Conntrack::counters() const {
  return {created_.load(std::memory_order_relaxed), expired_.load(std::memory_order_relaxed),
          full_.load(std::memory_order_relaxed), zone_limited_.load(std::memory_order_relaxed),
          invalid_.load(std::memory_order_relaxed), nat_exhausted_.load(std::memory_order_relaxed)};
}

}  // namespace flowpath::conntrack
