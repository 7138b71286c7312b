#include "actions/meter.h"

#include <algorithm>
#include <chrono>
#include <string>

namespace flowpath {

namespace {

// Bucket units: rate-units x nanoseconds / second. For kbps that is
// microbits (1 kbit/s x 1 ns = 1e-6 bit), for packets/s nanopackets. So a
// band gains `rate` units per nanosecond, holds burst x 1e9 units, and a
// packet costs 8e6 units per byte or 1e9 units.
constexpr uint64_t kUnitsPerBurstUnit = 1'000'000'000;
constexpr uint64_t kUnitsPerByte = 8'000'000;
constexpr uint64_t kUnitsPerPacket = 1'000'000'000;

}  // namespace

uint64_t SteadyMeterClock::now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

struct MeterTable::Meter {
  struct Band {
    uint32_t rate = 0;
    uint64_t capacity = 0;       // units
    uint64_t bucket = 0;         // units
    uint64_t max_refill_ns = 0;  // refilling longer than this would overflow capacity anyway
    MeterBandStats stats;
  };
  bool packets_per_second = false;
  uint64_t last_ns = 0;
  uint64_t packets = 0, bytes = 0;
  size_t band_count = 0;
  std::array<Band, kMaxBands> bands;

  void refill(uint64_t now_ns) {
    uint64_t elapsed = now_ns > last_ns ? now_ns - last_ns : 0;
    last_ns = std::max(last_ns, now_ns);
    for (size_t b = 0; b < band_count; ++b) {
      Band& band = bands[b];
      uint64_t added = std::min(elapsed, band.max_refill_ns) * band.rate;
      band.bucket = std::min(band.capacity, band.bucket + added);
    }
  }

  // True when the packet passes every band (or exceeds none that drops).
  bool admit(uint32_t size) {
    uint64_t cost = packets_per_second ? kUnitsPerPacket : uint64_t{size} * kUnitsPerByte;
    Band* exceeded = nullptr;
    for (size_t b = 0; b < band_count; ++b) {
      Band& band = bands[b];
      if (band.bucket >= cost)
        band.bucket -= cost;
      else if (exceeded == nullptr || band.rate > exceeded->rate)
        exceeded = &band;
    }
    if (exceeded == nullptr) return true;
    ++exceeded->stats.packets;
    exceeded->stats.bytes += size;
    return false;  // every band type is a drop band
  }
};

MeterTable::MeterTable(MeterClock* clock) {
  if (clock == nullptr) {
    own_clock_ = std::make_unique<SteadyMeterClock>();
    clock = own_clock_.get();
  }
  clock_ = clock;
}

MeterTable::~MeterTable() = default;

MeterTable::Meter* MeterTable::find(uint32_t meter_id) const {
  return meter_id < meters_.size() ? meters_[meter_id].get() : nullptr;
}

Status MeterTable::set(uint32_t meter_id, const MeterConfig& config) {
  std::string which = "meter " + std::to_string(meter_id);
  if (meter_id >= kMaxMeters)
    return make_error(which + ": id out of range (max " + std::to_string(kMaxMeters - 1) + ")");
  if (config.bands.size() > kMaxBands)
    return make_error(which + ": " + std::to_string(config.bands.size()) + " bands, at most " +
                      std::to_string(kMaxBands) + " allowed");
  auto meter = std::make_unique<Meter>();
  meter->packets_per_second = config.packets_per_second;
  meter->last_ns = clock_->now_ns();
  meter->band_count = config.bands.size();
  for (size_t b = 0; b < config.bands.size(); ++b) {
    const MeterBandConfig& band_config = config.bands[b];
    if (band_config.type != MeterBandType::kDrop)
      return make_error(which + " band " + std::to_string(b) + ": only drop bands are supported");
    if (band_config.rate == 0)
      return make_error(which + " band " + std::to_string(b) + ": rate must be greater than 0");
    Meter::Band& band = meter->bands[b];
    band.rate = band_config.rate;
    uint32_t burst = band_config.burst_size != 0 ? band_config.burst_size : band_config.rate;
    band.capacity = uint64_t{burst} * kUnitsPerBurstUnit;
    band.bucket = band.capacity;
    band.max_refill_ns = band.capacity / band.rate + 1;
  }
  if (meter_id >= meters_.size()) meters_.resize(meter_id + 1);
  meters_[meter_id] = std::move(meter);
  return Ok{};
}

Status MeterTable::remove(uint32_t meter_id) {
  if (find(meter_id) == nullptr)
    return make_error("meter " + std::to_string(meter_id) + ": no such meter");
  meters_[meter_id].reset();
  return Ok{};
}

bool MeterTable::contains(uint32_t meter_id) const { return find(meter_id) != nullptr; }

Result<MeterStats> MeterTable::stats(uint32_t meter_id) const {
  const Meter* meter = find(meter_id);
  if (meter == nullptr) return make_error("meter " + std::to_string(meter_id) + ": no such meter");
  MeterStats stats;
  stats.packets = meter->packets;
  stats.bytes = meter->bytes;
  for (size_t b = 0; b < meter->band_count; ++b) stats.bands.push_back(meter->bands[b].stats);
  return stats;
}

uint32_t MeterTable::execute(uint32_t meter_id, const PacketBatch& batch) {
  return execute_at(meter_id, batch, clock_->now_ns());
}

uint32_t MeterTable::execute_at(uint32_t meter_id, const PacketBatch& batch, uint64_t now_ns) {
  size_t n = batch.size();
  uint32_t all = n >= 32 ? 0xffffffffu : (1u << n) - 1;
  Meter* meter = find(meter_id);
  if (meter == nullptr) return all;
  meter->refill(now_ns);
  uint32_t pass = 0;
  for (size_t i = 0; i < n; ++i) {
    uint32_t size = batch[i]->size();
    ++meter->packets;
    meter->bytes += size;
    if (meter->admit(size)) pass |= 1u << i;
  }
  return pass;
}

}  // namespace flowpath
