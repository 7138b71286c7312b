// Memory per megaflow and flow setup cost in the megaflow table alone.
//
// Installs N flows (default 200,000) of one mask shape, as the upcall layer
// would (one put at a time, or put_batch() in batches of 64), then deletes
// them one at a time as the revalidator does. Prints the table's own
// accounting per flow, the process's resident memory per flow (RSS from
// /proc/self/statm) and the heap's (mallinfo2), and where resident memory
// ends after the deletions, against where it started.
//
//   build/bench/megaflow_memory_bench [--flows N] [--shape normal|ipv4|exact] [--batch]
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "common/rcu.h"
#include "table/megaflow_table.h"

namespace flowpath {
namespace {

size_t resident_bytes() {
  FILE* file = std::fopen("/proc/self/statm", "r");
  unsigned long size = 0, resident = 0;
  if (file != nullptr) {
    if (std::fscanf(file, "%lu %lu", &size, &resident) != 2) resident = 0;
    std::fclose(file);
  }
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

size_t heap_bytes() {
  struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

// The mask shapes: what a NORMAL bridge installs (in_port, recirc_id,
// Ethernet addresses and type: 4 words), an IPv4 5-tuple with its metadata
// (8 words), and an exact match on every field (74 words).
Match make_flow(const std::string& shape, uint32_t i) {
  Match match;
  match.key.clear();
  match.mask = FlowMask::wildcard_all();
  match.mask.bits.md.in_port = ~uint32_t{0};
  match.mask.bits.md.recirc_id = ~uint32_t{0};
  match.key.md.in_port = 1 + i % 4;
  match.key.eth_type = hton16(0x0800);
  match.mask.bits.eth_type = 0xffff;
  const uint8_t mac[6] = {0x02, 0, static_cast<uint8_t>(i >> 24), static_cast<uint8_t>(i >> 16),
                          static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
  if (shape == "normal") {
    std::memset(&match.mask.bits.eth_src, 0xff, sizeof match.mask.bits.eth_src);
    std::memset(&match.mask.bits.eth_dst, 0xff, sizeof match.mask.bits.eth_dst);
    std::memcpy(&match.key.eth_src, mac, 6);
  } else if (shape == "ipv4") {
    match.mask.bits.ipv4_src = match.mask.bits.ipv4_dst = ~uint32_t{0};
    match.mask.bits.nw_proto = 0xff;
    match.mask.bits.nw_frag = 0xff;
    match.mask.bits.tp_src = match.mask.bits.tp_dst = 0xffff;
    match.key.ipv4_src = hton32(0x0a000000 + i);
    match.key.ipv4_dst = hton32(0x0b000001);
    match.key.nw_proto = 17;
    match.key.tp_src = hton16(static_cast<uint16_t>(1024 + i % 50000));
    match.key.tp_dst = hton16(53);
  } else {
    match.mask = FlowMask::exact();
    std::memcpy(&match.key.eth_src, mac, 6);
  }
  match.normalize();
  return match;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int run(int argc, char** argv) {
  uint32_t flows = 200000;
  std::string shape = "normal";
  bool batch = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--flows" && i + 1 < argc) {
      flows = static_cast<uint32_t>(std::strtoul(argv[++i], nullptr, 10));
    } else if (arg == "--shape" && i + 1 < argc) {
      shape = argv[++i];
    } else if (arg == "--batch") {
      batch = true;
    } else {
      std::fprintf(stderr, "usage: %s [--flows N] [--shape normal|ipv4|exact] [--batch]\n",
                   argv[0]);
      return 2;
    }
  }
  if (shape != "normal" && shape != "ipv4" && shape != "exact") {
    std::fprintf(stderr, "unknown shape '%s' (normal, ipv4 or exact)\n", shape.c_str());
    return 2;
  }

  MegaflowTable table;
  if (flows > table.flow_limit() && !table.set_flow_limit(flows).ok()) {
    std::fprintf(stderr, "--flows %u is above the table's maximum\n", flows);
    return 2;
  }
  const uint8_t output[8] = {8, 0, 1, 0, 2, 0, 0, 0};  // output:2
  // Warm up what any table use needs once (RCU's threads), as a daemon has.
  (void)table.put(MegaflowPut{make_flow(shape, flows), std::nullopt, output});
  (void)table.remove(make_flow(shape, flows));
  rcu::wait_for_deferred_frees();

  std::vector<Ufid> ufids;
  ufids.reserve(flows);
  const size_t start_rss = resident_bytes();
  const size_t start_heap = heap_bytes();
  const size_t start_table = table.footprint_bytes();

  auto start = std::chrono::steady_clock::now();
  size_t failed = 0;
  if (batch) {
    std::vector<MegaflowPut> puts;
    for (uint32_t i = 0; i < flows; i += 64) {
      puts.clear();
      for (uint32_t j = i; j < flows && j < i + 64; ++j)
        puts.push_back(MegaflowPut{make_flow(shape, j), std::nullopt, output});
      for (auto& result : table.put_batch(puts)) {
        if (result.ok()) ufids.push_back(result->ufid);
        else ++failed;
      }
    }
  } else {
    for (uint32_t i = 0; i < flows; ++i) {
      auto result = table.put(MegaflowPut{make_flow(shape, i), std::nullopt, output});
      if (result.ok()) ufids.push_back(result->ufid);
      else ++failed;
    }
  }
  const double put_seconds = seconds_since(start);
  const size_t full_rss = resident_bytes();
  const size_t full_heap = heap_bytes();
  const size_t full_table = table.footprint_bytes();
  const size_t words = table.subtables().empty() ? 0 : [&] {
    FlowMask::WordMap map = table.subtables()[0].mask.word_map();
    return static_cast<size_t>(__builtin_popcountll(map.lo) + __builtin_popcountll(map.hi));
  }();

  start = std::chrono::steady_clock::now();
  for (const Ufid& ufid : ufids)
    if (!table.remove(ufid).ok()) ++failed;
  const double remove_seconds = seconds_since(start);
  const size_t installed = ufids.size();
  std::vector<Ufid>().swap(ufids);
  rcu::wait_for_deferred_frees();
  const size_t end_rss = resident_bytes();

  const double n = static_cast<double>(installed);
  std::printf("shape %s (%zu-word mask), %zu flows installed with %s, %zu failures\n",
              shape.c_str(), words, installed, batch ? "put_batch (64)" : "put", failed);
  std::printf("  table memory per flow:    %.1f bytes (footprint_bytes)\n",
              static_cast<double>(full_table - start_table) / n);
  std::printf("  resident memory per flow: %.1f bytes (RSS %zu -> %zu KB)\n",
              static_cast<double>(full_rss - start_rss) / n, start_rss / 1024, full_rss / 1024);
  std::printf("  heap per flow:            %.1f bytes (mallinfo2; flows live in mapped slabs)\n",
              (static_cast<double>(full_heap) - static_cast<double>(start_heap)) / n);
  std::printf("  puts:    %.0f flows/s (%.2f us each)\n", n / put_seconds,
              put_seconds * 1e6 / n);
  std::printf("  removes: %.0f flows/s (%.2f us each)\n", n / remove_seconds,
              remove_seconds * 1e6 / n);
  std::printf("  after removing every flow: RSS %zu KB (start %zu KB, %+.1f %%), table %zu bytes\n",
              end_rss / 1024, start_rss / 1024,
              100.0 * (static_cast<double>(end_rss) - static_cast<double>(start_rss)) /
                  static_cast<double>(start_rss),
              table.footprint_bytes());
  std::printf("RESULT shape=%s words=%zu flows=%zu table_bytes_per_flow=%.1f "
              "rss_bytes_per_flow=%.1f puts_per_s=%.0f rss_after_pct=%.1f\n",
              shape.c_str(), words, installed, static_cast<double>(full_table - start_table) / n,
              static_cast<double>(full_rss - start_rss) / n, n / put_seconds,
              100.0 * (static_cast<double>(end_rss) - static_cast<double>(start_rss)) /
                  static_cast<double>(start_rss));
  return failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace flowpath

int main(int argc, char** argv) { return flowpath::run(argc, argv); }
