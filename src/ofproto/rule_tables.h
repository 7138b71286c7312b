// A bridge's OpenFlow tables (0..254) and the version of them that
// translations see.
//
// Translations read the published version once, inside their RCU read
// section, and look every table up in it, so a translation sees either all
// or none of a batch of flow mods. Changes go through a RuleBatch under
// mutex(), which also guards walks (dumps, the state file, expiry).
//
// Lock order: Ofproto's config mutex, the bridge's state_mutex (shared is
// enough), then mutex(). Never take mutex() inside an rcu::ReadSection: a
// batch that removes rules waits for a grace period while holding it.
#pragma once

#include <array>
#include <atomic>
#include <mutex>

#include "ofproto/rule_table.h"

namespace flowpath::ofproto {

class RuleTables {
 public:
  static constexpr size_t kCount = size_t{kMaxTableId} + 1;

  RuleTable& operator[](size_t table) { return tables_[table]; }
  const RuleTable& operator[](size_t table) const { return tables_[table]; }
  auto begin() { return tables_.begin(); }
  auto end() { return tables_.end(); }
  auto begin() const { return tables_.begin(); }
  auto end() const { return tables_.end(); }

  // The version lookups use (read it inside the read section it is used in).
  Version version() const { return version_.load(std::memory_order_acquire); }

  std::mutex& mutex() const { return mutex_; }

 private:
  friend class RuleBatch;

  std::array<RuleTable, kCount> tables_;
  std::atomic<Version> version_{1};
  mutable std::mutex mutex_;
};

}  // namespace flowpath::ofproto
