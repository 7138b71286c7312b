// The connections of one tracker in a hash table of chains, one entry per
// direction key. Readers (forwarding threads, inside an rcu::ReadSection)
// walk chains with plain acquire loads and never block; writers (a commit,
// the sweeper, a flush) take the striped locks of the buckets they change,
// so creating connections in one part of the table does not stop creating
// them elsewhere, and never stops a lookup. Unlinked connections are freed
// after a grace period.
//
// The bucket array is fixed when the table is made (2^20 buckets by
// default, 8 MiB of virtual memory that is only touched where used): at
// the default maximum of 3,000,000 connections, chains average six entries.
//
// Lock order: stripe locks in increasing index; a connection's own lock is
// never held while taking a stripe lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "conntrack/connection.h"

namespace flowpath::conntrack {

class ConnectionTable {
 public:
  static constexpr uint32_t kDefaultBucketBits = 20;
  static constexpr uint32_t kStripes = 256;

  explicit ConnectionTable(uint32_t bucket_bits = kDefaultBucketBits);
  ~ConnectionTable();  // frees every connection still linked; no reader may remain
  ConnectionTable(const ConnectionTable&) = delete;
  ConnectionTable& operator=(const ConnectionTable&) = delete;

  uint32_t hash(const ConnectionKey& key) const { return key_hash(key, basis_); }

  // The live (unexpired at `now_ms`) connection with a direction key equal
  // to `key`, or nullptr; *reply says which direction matched. Inside a
  // ReadSection.
  Connection* lookup(const ConnectionKey& key, uint32_t hash, uint64_t now_ms, bool* reply) const;

  // Links `conn` under both its keys unless a live connection already holds
  // either key; returns that one instead (and leaves `conn` to the caller)
  // or `conn` itself.
  Connection* insert(Connection* conn, uint64_t now_ms);

  // Unlinks `conn` from both chains; false when someone else already did.
  // The caller frees it after a grace period (release()).
  bool remove(Connection* conn);

  // Frees an unlinked connection after a grace period.
  static void release(Connection* conn);

  // Calls f(Connection*) for every linked connection of buckets
  // [first, first + count) found under their original key. Inside a
  // ReadSection; f may call remove().
  template <typename F>
  void for_each(uint32_t first, uint32_t count, F&& f) const {
    for (uint32_t b = first; b < first + count && b < bucket_count(); ++b) {
      for (uintptr_t e = head(b); e != 0;) {
        Connection* c = entry_connection(e);
        const int d = entry_direction(e);
        e = c->next[d].load(std::memory_order_acquire);
        if (d == 0) f(c);
      }
    }
  }

  uint32_t bucket_count() const { return uint32_t{1} << bucket_bits_; }

 private:
  uint32_t bucket_of(uint32_t hash) const { return hash & (bucket_count() - 1); }
  uint32_t hash_bucket(const ConnectionKey& key) const { return bucket_of(hash(key)); }
  uint32_t stripe_of(uint32_t bucket) const { return bucket & (kStripes - 1); }
  // Chain entries: a connection with its direction in bit 0.
  static uintptr_t entry(Connection* c, int d) { return reinterpret_cast<uintptr_t>(c) | d; }
  static Connection* entry_connection(uintptr_t e) {
    return reinterpret_cast<Connection*>(e & ~uintptr_t{1});
  }
  static int entry_direction(uintptr_t e) { return static_cast<int>(e & 1); }
  uintptr_t head(uint32_t bucket) const {
    return std::atomic_ref<uintptr_t>(buckets_[bucket]).load(std::memory_order_acquire);
  }
  // The live connection holding `key` in `bucket`, stripe held or not.
  Connection* find(uint32_t bucket, const ConnectionKey& key, uint64_t now_ms, bool* reply) const;
  void unlink(uint32_t bucket, Connection* conn, int direction);  // stripe held

  const uint32_t bucket_bits_;
  const uint64_t basis_;
  uintptr_t* buckets_;  // calloc'd: pages are touched only where used
  std::unique_ptr<std::mutex[]> stripes_;
};

}  // namespace flowpath::conntrack
