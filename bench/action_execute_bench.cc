// Action execution on batches of 32 64-byte IPv4/TCP packets: output only,
// set(ipv4(dst)) + output, push_vlan + output. The context takes the packets
// at output and hands them back for the next iteration, so what is measured
// is the executor (decode once, apply to 32 packets, one output call).
// "ns_per_packet" is the figure to read.
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "actions/action_execute.h"
#include "flow/key_extract.h"
#include "common/netlink.h"
#include "flow/odp_abi.h"
#include "packet/packet_pool.h"

namespace flowpath {
namespace {

constexpr size_t kBatch = PacketBatch::kMaxSize;

// Ethernet + IPv4 + TCP + 10 bytes of payload = 64 bytes, checksums valid.
const uint8_t kFrame[64] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x45, 0x00,
    0x00, 0x32, 0x00, 0x01, 0x40, 0x00, 0x40, 0x06, 0x26, 0xc3, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00,
    0x00, 0x02, 0x04, 0xd2, 0x00, 0x50, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x50, 0x18,
    0xff, 0xff, 0x91, 0x93, 0x00, 0x00, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39};

// Keeps what is output so the benchmark can run it again.
class LoopbackContext final : public ActionContext {
 public:
  explicit LoopbackContext(PacketPool& pool) : ActionContext(pool) {}
  void output(uint32_t, PacketBatch& batch) override {
    for (Packet* p : batch) returned.add(p);
  }
  void userspace(const PacketBatch&, const UserspaceRequest&) override {}
  void recirculate(PacketBatch& batch, uint32_t) override {
    for (Packet* p : batch) p->pool()->release(p);
  }
  uint32_t meter(uint32_t, const PacketBatch&) override { return 0xffffffff; }
  PacketBatch returned;
};

struct Bench {
  PacketPool pool{kBatch * 2};
  LoopbackContext ctx{pool};
  PacketBatch batch;

  Bench() {
    for (size_t i = 0; i < kBatch; ++i) {
      Packet* p = pool.allocate();
      p->assign(kFrame, sizeof kFrame);
      FlowKey key;
      extract_key(*p, &key);
      batch.add(p);
    }
  }
  ~Bench() {
    for (Packet* p : batch) pool.release(p);
  }
  void run(const std::vector<uint8_t>& actions) {
    execute_actions(batch, actions, ctx);
    batch = ctx.returned;
    ctx.returned.clear();
  }
};

std::vector<uint8_t> output_actions() {
  std::vector<uint8_t> bytes;
  NetlinkWriter(&bytes).put_u32(odp::kActionOutput, 2);
  return bytes;
}

std::vector<uint8_t> set_ipv4_dst_actions(uint32_t dst) {
  std::vector<uint8_t> bytes;
  NetlinkWriter w(&bytes);
  odp::KeyIpv4 key{}, mask{};
  key.dst = hton32(dst);
  mask.dst = 0xffffffff;
  size_t at = w.begin_nested(odp::kActionSetMasked);
  uint8_t* p = w.put_uninit(odp::kKeyIpv4, 2 * sizeof key);
  std::memcpy(p, &key, sizeof key);
  std::memcpy(p + sizeof key, &mask, sizeof mask);
  w.end_nested(at);
  w.put_u32(odp::kActionOutput, 2);
  return bytes;
}

std::vector<uint8_t> push_vlan_actions() {
  std::vector<uint8_t> bytes;
  NetlinkWriter w(&bytes);
  w.put_struct(odp::kActionPushVlan, odp::ActionPushVlan{hton16(0x8100), hton16(0x1064)});
  w.put_u32(odp::kActionOutput, 2);
  return bytes;
}

void report(benchmark::State& state) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
  state.counters["ns_per_packet"] =
      benchmark::Counter(static_cast<double>(state.iterations() * kBatch),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_OutputOnly(benchmark::State& state) {
  Bench bench;
  auto actions = output_actions();
  for (auto _ : state) bench.run(actions);
  report(state);
}
BENCHMARK(BM_OutputOnly);

// Alternates between two destinations so every run really rewrites the
// address and updates the IPv4 and TCP checksums.
void BM_SetIpv4DstOutput(benchmark::State& state) {
  Bench bench;
  auto to_a = set_ipv4_dst_actions(0x0a000063);
  auto to_b = set_ipv4_dst_actions(0xc0a80101);
  bool flip = false;
  for (auto _ : state) {
    bench.run(flip ? to_a : to_b);
    flip = !flip;
  }
  report(state);
}
BENCHMARK(BM_SetIpv4DstOutput);

// Each run pushes a tag; pulling 4 bytes afterwards restores the headroom
// and offsets (the frame's content is irrelevant to the cost).
void BM_PushVlanOutput(benchmark::State& state) {
  Bench bench;
  auto actions = push_vlan_actions();
  for (auto _ : state) {
    bench.run(actions);
    for (Packet* p : bench.batch) p->pull(4);
  }
  report(state);
}
BENCHMARK(BM_PushVlanOutput);

}  // namespace
}  // namespace flowpath

BENCHMARK_MAIN();
