// Features request and reply (see features.h).
#include "openflow/wire/features.h"

namespace flowpath::openflow::wire {

namespace {

// The bits each version numbers as the canonical form does.
uint32_t common_mask(uint8_t version) {
  constexpr uint32_t kCommon = capability::kFlowStats | capability::kTableStats |
                               capability::kPortStats | capability::kIpReasm |
                               capability::kQueueStats;
  if (version == kOfp10) return kCommon | capability::kArpMatchIp;
  if (version < kOfp14) return kCommon | capability::kPortBlocked;
  return kCommon | capability::kPortBlocked | capability::kBundles | capability::kFlowMonitoring;
}

constexpr uint32_t kWireBit3 = 1 << 3;  // STP (1.0) or group statistics (1.1+)

}  // namespace

Bytes encode_features_request(uint8_t version, uint32_t xid) {
  Bytes out;
  size_t start = start_message(out, OfpRaw::OFPT_FEATURES_REQUEST, version, xid);
  finish_message(out, start);
  return out;
}

WireResult<FeaturesReply> decode_features_reply(const OfpMessage& msg) {
  FeaturesReply f;
  WireReader r(msg.body, OfpErrorCode::OFPBRC_BAD_LEN, "features_reply");
  WIRE_TRY_ASSIGN(b, r.pull(24, "ofp_switch_features"));
  const uint8_t* p = b.data();
  f.datapath_id = get_u64(p);
  f.n_buffers = get_u32(p + 8);
  f.n_tables = p[12];
  const uint32_t caps = get_u32(p + 16);
  f.capabilities = caps & common_mask(msg.version);
  if (msg.version == kOfp10) {
    if (caps & kWireBit3) f.capabilities |= capability::kStp;
    f.ofp10_actions = get_u32(p + 20);
    while (!r.empty()) {
      WIRE_TRY_ASSIGN(port, decode_port_desc(r, msg.version));
      f.ports.push_back(std::move(port));
    }
  } else {
    f.auxiliary_id = p[13];
    if (caps & kWireBit3) f.capabilities |= capability::kGroupStats;
  }
  return f;
}

Bytes encode_features_reply(const FeaturesReply& f, uint8_t version, uint32_t xid) {
  Bytes out;
  WireWriter w(&out);
  size_t start = start_message(
      out, version == kOfp10 ? OfpRaw::OFPT10_FEATURES_REPLY : OfpRaw::OFPT13_FEATURES_REPLY,
      version, xid);
  w.put_u64(f.datapath_id);
  w.put_u32(f.n_buffers);
  w.put_u8(f.n_tables);
  w.put_u8(version == kOfp10 ? 0 : f.auxiliary_id);
  w.put_zeros(2);
  uint32_t caps = f.capabilities & common_mask(version);
  if (version == kOfp10 ? (f.capabilities & capability::kStp)
                        : (f.capabilities & capability::kGroupStats))
    caps |= kWireBit3;
  w.put_u32(caps);
  w.put_u32(version == kOfp10 ? f.ofp10_actions : 0);
  if (version == kOfp10) {
    // Ports that would overflow the 64 KiB message are left to port-desc.
    for (const PortDesc& p : f.ports) {
      if (out.size() - start + port_desc_length(version) > 0xffff) break;
      encode_port_desc(p, version, w);
    }
  }
  finish_message(out, start);
  return out;
}

}  // namespace flowpath::openflow::wire
