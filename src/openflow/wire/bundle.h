// Bundles: OpenFlow 1.4's OFPT_BUNDLE_CONTROL and OFPT_BUNDLE_ADD_MESSAGE,
// and the ONF extension that brings them to OpenFlow 1.3. A bundle collects
// flow mods, group mods, port mods and packet-outs to commit together.
#pragma once

#include "openflow/wire/ofp_header.h"

namespace flowpath::openflow::wire {

enum class BundleControlType : uint16_t {
  kOpenRequest = 0, kOpenReply = 1, kCloseRequest = 2, kCloseReply = 3,
  kCommitRequest = 4, kCommitReply = 5, kDiscardRequest = 6, kDiscardReply = 7,
};
inline constexpr uint16_t kBundleAtomic = 1 << 0;   // OFPBF_ATOMIC
inline constexpr uint16_t kBundleOrdered = 1 << 1;  // OFPBF_ORDERED

struct BundleControl {
  uint32_t bundle_id = 0;
  uint16_t type = 0;   // BundleControlType (others are the receiver's to refuse)
  uint16_t flags = 0;
};

struct BundleAdd {
  uint32_t bundle_id = 0;
  uint16_t flags = 0;
  // The message to add, framing checked (version and xid those of the
  // bundle-add); it points into the bundle-add's bytes.
  OfpMessage message;
};

WireResult<BundleControl> decode_bundle_control(const OfpMessage& msg);
// OpenFlow 1.3 (ONF extension) and later; OFPBRC_BAD_VERSION before.
WireResult<Bytes> encode_bundle_control(const BundleControl& bc, uint8_t version, uint32_t xid);

// OFPBFC_MSG_BAD_LEN when the inner message does not fit, OFPBFC_BAD_VERSION
// and OFPBFC_MSG_BAD_XID when its version or xid differ from the
// bundle-add's, OFPBFC_MSG_UNSUP for a message that does not decode or may not
// be bundled (only flow, group and port mods and packet-outs may).
WireResult<BundleAdd> decode_bundle_add(const OfpMessage& msg);
// `message` is a whole encoded message; the bundle-add takes its xid.
WireResult<Bytes> encode_bundle_add(uint32_t bundle_id, uint16_t flags, ByteView message,
                                    uint8_t version);

}  // namespace flowpath::openflow::wire
