#include "conntrack/connection_table.h"

#include <cstdlib>
#include <new>
#include <random>
#include <vector>

namespace flowpath::conntrack {

ConnectionTable::ConnectionTable(uint32_t bucket_bits)
    : bucket_bits_(bucket_bits),
      basis_(std::random_device{}() | (uint64_t{std::random_device{}()} << 32)),
      buckets_(static_cast<uintptr_t*>(std::calloc(size_t{1} << bucket_bits, sizeof(uintptr_t)))),
      stripes_(new std::mutex[kStripes]) {
  if (buckets_ == nullptr) throw std::bad_alloc();
}

ConnectionTable::~ConnectionTable() {
  // A connection sits in two chains (its original and its reply key), so
  // none is freed until every chain has been walked: a later chain may still
  // lead through it.
  std::vector<Connection*> connections;
  for (uint32_t b = 0; b < bucket_count(); ++b) {
    for (uintptr_t e = buckets_[b]; e != 0;) {
      Connection* c = entry_connection(e);
      const int d = entry_direction(e);
      e = c->next[d].load(std::memory_order_relaxed);
      if (d == 0) connections.push_back(c);  // once, from its original key's chain
    }
  }
  for (Connection* c : connections) delete c;
  std::free(buckets_);
}

Connection* ConnectionTable::find(uint32_t bucket, const ConnectionKey& key, uint64_t now_ms,
                                  bool* reply) const {
  for (uintptr_t e = head(bucket); e != 0;) {
    Connection* c = entry_connection(e);
    const int d = entry_direction(e);
    if (c->key[d] == key && !c->expired(now_ms) && !c->unlinked.load(std::memory_order_relaxed)) {
      if (reply) *reply = d == 1;
      return c;
    }
    e = c->next[d].load(std::memory_order_acquire);
  }
  return nullptr;
}

Connection* ConnectionTable::lookup(const ConnectionKey& key, uint32_t hash, uint64_t now_ms,
                                    bool* reply) const {
  return find(bucket_of(hash), key, now_ms, reply);
}

Connection* ConnectionTable::insert(Connection* conn, uint64_t now_ms) {
  const uint32_t b0 = hash_bucket(conn->key[0]);
  const uint32_t b1 = hash_bucket(conn->key[1]);
  uint32_t s0 = stripe_of(b0), s1 = stripe_of(b1);
  if (s1 < s0) std::swap(s0, s1);
  std::lock_guard first(stripes_[s0]);
  std::unique_lock second(stripes_[s1], std::defer_lock);
  if (s1 != s0) second.lock();
  // Another thread may have committed the same connection meanwhile.
  if (Connection* existing = find(b0, conn->key[0], now_ms, nullptr)) return existing;
  if (Connection* existing = find(b1, conn->key[1], now_ms, nullptr)) return existing;
  conn->unlinked.store(false, std::memory_order_relaxed);
  for (int d = 0; d < 2; ++d) {
    uintptr_t& head_slot = buckets_[d == 0 ? b0 : b1];
    conn->next[d].store(std::atomic_ref<uintptr_t>(head_slot).load(std::memory_order_relaxed),
                        std::memory_order_relaxed);
    // Release: a reader that sees the entry sees the whole connection.
    std::atomic_ref<uintptr_t>(head_slot).store(entry(conn, d), std::memory_order_release);
  }
  return conn;
}

void ConnectionTable::unlink(uint32_t bucket, Connection* conn, int direction) {
  const uintptr_t target = entry(conn, direction);
  std::atomic_ref<uintptr_t> slot(buckets_[bucket]);
  uintptr_t e = slot.load(std::memory_order_relaxed);
  if (e == target) {
    slot.store(conn->next[direction].load(std::memory_order_relaxed), std::memory_order_release);
    return;
  }
  while (e != 0) {
    Connection* c = entry_connection(e);
    const int d = entry_direction(e);
    uintptr_t next = c->next[d].load(std::memory_order_relaxed);
    if (next == target) {
      // Readers on `conn` still follow its own link to the rest of the chain.
      c->next[d].store(conn->next[direction].load(std::memory_order_relaxed),
                       std::memory_order_release);
      return;
    }
    e = next;
  }
}

bool ConnectionTable::remove(Connection* conn) {
  const uint32_t b0 = hash_bucket(conn->key[0]);
  const uint32_t b1 = hash_bucket(conn->key[1]);
  uint32_t s0 = stripe_of(b0), s1 = stripe_of(b1);
  if (s1 < s0) std::swap(s0, s1);
  std::lock_guard first(stripes_[s0]);
  std::unique_lock second(stripes_[s1], std::defer_lock);
  if (s1 != s0) second.lock();
  if (conn->unlinked.load(std::memory_order_relaxed)) return false;
  conn->unlinked.store(true, std::memory_order_relaxed);
  unlink(b0, conn, 0);
  unlink(b1, conn, 1);
  return true;
}

void ConnectionTable::release(Connection* conn) {
  rcu::free_after_grace_period<Connection, rcu::delete_object<Connection>>(conn, &conn->free_link);
}

}  // namespace flowpath::conntrack
