// Datapath meters (the meter(id) action): token buckets that drop what
// exceeds a rate, in kilobits or packets per second, as OpenFlow 1.3 meters
// with drop bands.
//
// Each band has a bucket of `burst_size` (kilobits or packets; 0 means "the
// same as the rate") that starts full and refills at `rate`. A packet takes
// its cost from every band whose bucket holds enough; if any band could not
// pay, the band with the highest rate among those is the one it exceeded,
// and a drop band drops it (Linux and Open vSwitch work the same way).
// Time comes from a MeterClock, injectable for tests; buckets refill with
// nanosecond precision.
//
// A MeterTable is not thread-safe: one per forwarding thread, or the owner
// serialises access.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/result.h"
#include "packet/packet_batch.h"

namespace flowpath {

// Monotonic time in nanoseconds.
class MeterClock {
 public:
  virtual ~MeterClock() = default;
  virtual uint64_t now_ns() = 0;
};

// std::chrono::steady_clock.
class SteadyMeterClock final : public MeterClock {
 public:
  uint64_t now_ns() override;
};

// A clock that moves only when told to (tests).
class ManualMeterClock final : public MeterClock {
 public:
  explicit ManualMeterClock(uint64_t start_ns = 0) : now_(start_ns) {}
  uint64_t now_ns() override { return now_; }
  void advance_ns(uint64_t ns) { now_ += ns; }
  void set_ns(uint64_t ns) { now_ = ns; }

 private:
  uint64_t now_;
};

enum class MeterBandType : uint8_t { kDrop = 1 };  // OFPMBT13_DROP

struct MeterBandConfig {
  MeterBandType type = MeterBandType::kDrop;
  uint32_t rate = 0;        // kbps or packets/s, by the meter's unit; > 0
  uint32_t burst_size = 0;  // kilobits or packets; 0: same as rate
};

struct MeterConfig {
  bool packets_per_second = false;  // false: kilobits per second
  std::vector<MeterBandConfig> bands;
};

struct MeterBandStats {
  uint64_t packets = 0;  // packets that exceeded this band
  uint64_t bytes = 0;
};

struct MeterStats {
  uint64_t packets = 0;  // packets that reached the meter
  uint64_t bytes = 0;
  std::vector<MeterBandStats> bands;
};

class MeterTable {
 public:
  static constexpr uint32_t kMaxMeters = 1 << 16;
  static constexpr size_t kMaxBands = 8;

  // `clock` must outlive the table; nullptr uses a SteadyMeterClock.
  explicit MeterTable(MeterClock* clock = nullptr);
  ~MeterTable();
  MeterTable(const MeterTable&) = delete;
  MeterTable& operator=(const MeterTable&) = delete;

  // Adds meter `meter_id` or replaces it (buckets full again, stats reset).
  Status set(uint32_t meter_id, const MeterConfig& config);
  Status remove(uint32_t meter_id);
  bool contains(uint32_t meter_id) const;
  Result<MeterStats> stats(uint32_t meter_id) const;

  // Meters the batch at the clock's current time; returns a mask with bit i
  // set when batch[i] passes. An unknown meter passes everything.
  uint32_t execute(uint32_t meter_id, const PacketBatch& batch);
  uint32_t execute_at(uint32_t meter_id, const PacketBatch& batch, uint64_t now_ns);

 private:
  struct Meter;
  Meter* find(uint32_t meter_id) const;

  std::unique_ptr<SteadyMeterClock> own_clock_;
  MeterClock* clock_;
  std::vector<std::unique_ptr<Meter>> meters_;  // indexed by meter id
};

}  // namespace flowpath
