// Key extraction throughput: batches of 32 packets of one kind, keys reused
// between iterations as the datapath reuses them. Reports items_per_second
// (packets) and per_packet, the CPU time per packet.
//
//   cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DFLOWPATH_BENCH=ON
//   ninja -C build-bench key_extract_bench
//   build-bench/bench/key_extract_bench --benchmark_repetitions=20
//       --benchmark_min_time=0.1 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "flow/key_extract.h"
#include "packet/packet_pool.h"

namespace flowpath {
namespace {

constexpr size_t kBatch = PacketBatch::kMaxSize;

// Appends bytes to a frame under construction.
class FrameBuilder {
 public:
  FrameBuilder& bytes(std::initializer_list<uint8_t> b) {
    frame_.insert(frame_.end(), b);
    return *this;
  }
  FrameBuilder& be16(uint16_t v) { return bytes({uint8_t(v >> 8), uint8_t(v)}); }
  FrameBuilder& be32(uint32_t v) { return be16(uint16_t(v >> 16)).be16(uint16_t(v)); }
  FrameBuilder& zeros(size_t n) {
    frame_.insert(frame_.end(), n, 0);
    return *this;
  }
  FrameBuilder& ethernet(uint16_t type) {
    bytes({0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x00, 0x66, 0x77, 0x88, 0x99, 0xaa});
    return be16(type);
  }
  FrameBuilder& vlan(uint16_t tci, uint16_t next_type) { return be16(tci).be16(next_type); }
  FrameBuilder& ipv4(uint8_t proto, uint16_t payload) {
    bytes({0x45, 0x00}).be16(uint16_t(20 + payload)).be16(1).be16(0x4000);
    return bytes({64, proto}).be16(0).be32(0x0a000001).be32(0x0a000002);
  }
  FrameBuilder& ipv6(uint8_t proto, uint16_t payload) {
    be32(0x60000000).be16(payload).bytes({proto, 64});
    bytes({0x20, 0x01, 0x0d, 0xb8}).zeros(11).bytes({1});
    return bytes({0x20, 0x01, 0x0d, 0xb8}).zeros(11).bytes({2});
  }
  FrameBuilder& udp(uint16_t src, uint16_t dst, uint16_t payload) {
    return be16(src).be16(dst).be16(uint16_t(8 + payload)).be16(0);
  }
  FrameBuilder& tcp(uint16_t src, uint16_t dst) {
    return be16(src).be16(dst).be32(1).be32(0).be16(0x5018).be16(512).be32(0);
  }
  const std::vector<uint8_t>& frame() const { return frame_; }

 private:
  std::vector<uint8_t> frame_;
};

std::vector<uint8_t> ipv4_udp_64(uint16_t port) {
  // 14 + 20 + 8 + 22 bytes of payload = 64.
  return FrameBuilder().ethernet(0x0800).ipv4(17, 8 + 22).udp(port, 4789, 22).zeros(22).frame();
}
std::vector<uint8_t> ipv6_tcp(uint16_t port) {
  return FrameBuilder().ethernet(0x86dd).ipv6(6, 20 + 10).tcp(port, 80).zeros(10).frame();
}
std::vector<uint8_t> vlan_ipv4_udp(uint16_t port) {
  return FrameBuilder()
      .ethernet(0x8100)
      .vlan(0x2064, 0x0800)
      .ipv4(17, 8 + 18)
      .udp(port, 53, 18)
      .zeros(18)
      .frame();
}

// 802.1ad outer tag, 802.1Q inner: under vlan-limit 1 (the default) the key
// takes the outer tag only, under 0 (here 2) both.
std::vector<uint8_t> qinq_ipv4_udp(uint16_t port) {
  return FrameBuilder()
      .ethernet(0x88a8)
      .vlan(0x0005, 0x8100)
      .vlan(0x2064, 0x0800)
      .ipv4(17, 8 + 14)
      .udp(port, 53, 14)
      .zeros(14)
      .frame();
}

template <std::vector<uint8_t> (*MakeFrame)(uint16_t), int kVlanLimit = kDefaultVlanLimit>
void BM_ExtractKeys(benchmark::State& state) {
  PacketPool pool(kBatch);
  PacketBatch batch;
  for (size_t i = 0; i < kBatch; ++i) {
    Packet* p = pool.allocate();
    std::vector<uint8_t> frame = MakeFrame(static_cast<uint16_t>(1000 + i));
    p->assign(frame.data(), static_cast<uint32_t>(frame.size()));
    p->md.in_port = 1;
    batch.add(p);
  }
  std::vector<FlowKey> keys(kBatch);  // value-initialised: zero
  for (auto _ : state) {
    extract_keys(batch, keys.data(), vlan_headers_for_limit(kVlanLimit));
    benchmark::DoNotOptimize(keys.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
  state.counters["per_packet"] =
      benchmark::Counter(static_cast<double>(state.iterations() * kBatch),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// With --benchmark_repetitions, "min" is the least disturbed run: the machine
// is shared, and interference only ever adds time.
double minimum(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }

BENCHMARK_TEMPLATE(BM_ExtractKeys, ipv4_udp_64)
    ->Name("extract/ipv4_udp_64B")
    ->ComputeStatistics("min", minimum);
BENCHMARK_TEMPLATE(BM_ExtractKeys, ipv6_tcp)
    ->Name("extract/ipv6_tcp")
    ->ComputeStatistics("min", minimum);
BENCHMARK_TEMPLATE(BM_ExtractKeys, vlan_ipv4_udp)
    ->Name("extract/vlan_ipv4_udp")
    ->ComputeStatistics("min", minimum);
BENCHMARK_TEMPLATE(BM_ExtractKeys, qinq_ipv4_udp, 1)
    ->Name("extract/qinq_ipv4_udp/vlan-limit:1")
    ->ComputeStatistics("min", minimum);
BENCHMARK_TEMPLATE(BM_ExtractKeys, qinq_ipv4_udp, 0)
    ->Name("extract/qinq_ipv4_udp/vlan-limit:0")
    ->ComputeStatistics("min", minimum);

}  // namespace
}  // namespace flowpath

BENCHMARK_MAIN();
