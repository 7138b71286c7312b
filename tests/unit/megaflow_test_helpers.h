// Helpers shared by the megaflow table tests: keys, masks and matches built
// from a few IPv4 fields, and stand-in action bytes.
#pragma once

#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include "table/megaflow_table.h"

namespace flowpath::megaflow_test {

struct Fields {
  uint32_t in_port = 1;
  uint16_t eth_type = 0x0800;
  uint32_t ip_src = 0x0a000001;
  uint32_t ip_dst = 0x0a000002;
  uint8_t proto = 6;
  uint16_t tp_src = 1234;
  uint16_t tp_dst = 80;
};

inline FlowKey make_key(const Fields& f) {
  FlowKey key;
  key.clear();
  key.md.in_port = f.in_port;
  key.eth_type = hton16(f.eth_type);
  key.ipv4_src = hton32(f.ip_src);
  key.ipv4_dst = hton32(f.ip_dst);
  key.nw_proto = f.proto;
  key.tp_src = hton16(f.tp_src);
  key.tp_dst = hton16(f.tp_dst);
  return key;
}

inline uint32_t prefix_mask(int bits) { return bits == 0 ? 0 : ~uint32_t{0} << (32 - bits); }

// Which fields a mask cares about; prefixes in bits.
struct MaskSpec {
  bool in_port = true;
  bool eth_type = true;
  int src_prefix = 0;
  int dst_prefix = 0;
  bool proto = false;
  bool tp_src = false;
  bool tp_dst = false;
};

inline FlowMask make_mask(const MaskSpec& s) {
  FlowMask mask = FlowMask::wildcard_all();
  if (s.in_port) mask.bits.md.in_port = ~uint32_t{0};
  if (s.eth_type) mask.bits.eth_type = 0xffff;
  mask.bits.ipv4_src = hton32(prefix_mask(s.src_prefix));
  mask.bits.ipv4_dst = hton32(prefix_mask(s.dst_prefix));
  if (s.proto) mask.bits.nw_proto = 0xff;
  if (s.tp_src) mask.bits.tp_src = 0xffff;
  if (s.tp_dst) mask.bits.tp_dst = 0xffff;
  return mask;
}

inline Match make_match(const Fields& f, const MaskSpec& s) {
  Match match{make_key(f), make_mask(s)};
  match.normalize();
  return match;
}

// Stand-in action bytes: an OVS_ACTION_ATTR_OUTPUT attribute to `port`.
inline std::vector<uint8_t> output_action(uint32_t port) {
  std::vector<uint8_t> bytes = {8, 0, 1, 0, 0, 0, 0, 0};
  std::memcpy(&bytes[4], &port, 4);
  return bytes;
}

inline uint32_t output_port(std::span<const uint8_t> actions) {
  uint32_t port = 0;
  if (actions.size() == 8) std::memcpy(&port, &actions[4], 4);
  return port;
}

inline Result<MegaflowPutResult> add(MegaflowTable& table, const Match& match, uint32_t port,
                                     PutMode mode = PutMode::kCreate,
                                     std::optional<Ufid> ufid = std::nullopt) {
  std::vector<uint8_t> actions = output_action(port);
  MegaflowPut put{match, ufid, actions, mode, false};
  return table.put(put);
}

inline Ufid ufid_of(const Result<MegaflowPutResult>& result) { return result->ufid; }

inline bool matches_overlap(const Match& a, const Match& b) {
  const uint64_t* ka = a.key.words();
  const uint64_t* kb = b.key.words();
  const uint64_t* ma = a.mask.bits.words();
  const uint64_t* mb = b.mask.bits.words();
  for (size_t i = 0; i < FlowKey::kWords; ++i)
    if ((ka[i] ^ kb[i]) & ma[i] & mb[i]) return false;
  return true;
}

}  // namespace flowpath::megaflow_test
