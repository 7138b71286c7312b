// Bundles (OpenFlow 1.4, and the ONF extension in 1.3): open, add, close,
// commit, discard, as Open vSwitch's bundles behave. A message is checked
// when it is added; the commit applies the bundle's flow and group mods all
// or nothing (Ofproto::commit_bundle). A failed commit is answered with the
// failing message's error (about its bundle-add) and then OFPBFC_MSG_FAILED.
// The bundle goes after a commit, whatever its outcome.
#include <fmt/format.h>

#include "ofproto/openflow_handler_internal.h"
#include "openflow/wire/bundle.h"
#include "openflow/wire/error_message.h"
#include "openflow/wire/group_mod.h"

namespace flowpath::ofproto {

using wire::BundleControlType;
using wire::Bytes;
using wire::OfpErrorCode;
using wire::OfpMessage;
using wire::OfpType;

namespace {

constexpr size_t kMaxBundles = 64;              // open on one connection
constexpr size_t kMaxBundleMessages = 1 << 20;  // in one bundle

// The inner message of a bundle-add, in the model.
wire::WireResult<BundleItem> bundle_item(const OfpMessage& inner, const wire::Protocol& protocol) {
  BundleItem item;
  switch (inner.type) {
    case OfpType::kFlowMod: {
      uint32_t buffer_id = wire::kNoBuffer;
      auto request = flow_mod_request(inner, protocol, &buffer_id);
      if (!request.ok()) return request.error();
      if (buffer_id != wire::kNoBuffer)
        return wire::wire_error(OfpErrorCode::OFPBRC_BUFFER_UNKNOWN, "no buffers");
      item.flow_mod = std::move(*request);
      return item;
    }
    case OfpType::kGroupMod: {
      auto gm = wire::decode_group_mod(inner);
      if (!gm.ok()) return gm.error();
      item.group_mod = std::move(*gm);
      return item;
    }
    default:
      return wire::wire_error(OfpErrorCode::OFPBFC_MSG_UNSUP,
                              std::string(wire::raw_name(inner.raw)) +
                                  " in a bundle is not supported (flow and group mods are)");
  }
}

// A bundle-add message decoded again (it was checked when it came).
wire::WireResult<BundleItem> stored_item(const Bytes& add, const wire::Protocol& protocol) {
  auto msg = wire::decode_message(add);
  if (!msg.ok()) return msg.error();
  auto decoded = wire::decode_bundle_add(*msg);
  if (!decoded.ok()) return decoded.error();
  return bundle_item(decoded->message, protocol);
}

Bytes control_reply(const OfpMessage& msg, uint32_t id, BundleControlType type) {
  wire::BundleControl reply;
  reply.bundle_id = id;
  reply.type = static_cast<uint16_t>(type);
  reply.flags = 0;
  auto bytes = wire::encode_bundle_control(reply, msg.version, msg.xid);
  return bytes.ok() ? std::move(*bytes) : Bytes{};
}

std::vector<Bytes> bundle_error(OfpErrorCode code, const std::string& detail,
                                const Bytes& message) {
  return error_reply(wire::wire_error(code, detail), message);
}

std::vector<Bytes> commit(Ofproto& ofproto, const std::string& bridge, OpenFlowSession& session,
                          const OfpMessage& msg, const Bytes& message, uint32_t id,
                          uint16_t flags) {
  auto it = session.bundles.find(id);
  if (it == session.bundles.end())
    return bundle_error(OfpErrorCode::OFPBFC_BAD_ID, fmt::format("no bundle {}", id), message);
  OpenBundle bundle = std::move(it->second);
  session.bundles.erase(it);  // gone, whatever the outcome
  if (bundle.flags != flags)
    return bundle_error(OfpErrorCode::OFPBFC_BAD_FLAGS,
                        fmt::format("bundle {} was opened with flags {:#x}, not {:#x}", id,
                                    bundle.flags, flags),
                        message);
  std::vector<BundleItem> items;
  items.reserve(bundle.adds.size());
  for (const Bytes& add : bundle.adds) {
    auto item = stored_item(add, session.protocol);
    if (!item.ok()) {
      std::vector<Bytes> out = error_reply(item.error(), add);
      for (Bytes& b : bundle_error(OfpErrorCode::OFPBFC_MSG_FAILED, "a message failed", message))
        out.push_back(std::move(b));
      return out;
    }
    items.push_back(std::move(*item));
  }
  size_t failed = items.size();
  if (auto st = ofproto.commit_bundle(bridge, items, &failed); !st.ok()) {
    std::vector<Bytes> out;
    if (failed < bundle.adds.size()) out = error_reply(st.error(), bundle.adds[failed]);
    else out = error_reply(st.error(), message);
    if (failed < bundle.adds.size())
      for (Bytes& b : bundle_error(OfpErrorCode::OFPBFC_MSG_FAILED,
                                   fmt::format("message {} of bundle {} failed", failed + 1, id),
                                   message))
        out.push_back(std::move(b));
    return out;
  }
  return {control_reply(msg, id, BundleControlType::kCommitReply)};
}

}  // namespace

std::vector<Bytes> handle_bundle_control(Ofproto& ofproto, const std::string& bridge,
                                         OpenFlowSession& session, const OfpMessage& msg,
                                         const Bytes& message) {
  auto bc = wire::decode_bundle_control(msg);
  if (!bc.ok()) return error_reply(bc.error(), message);
  const uint32_t id = bc->bundle_id;
  auto it = session.bundles.find(id);
  switch (static_cast<BundleControlType>(bc->type)) {
    case BundleControlType::kOpenRequest:
      if (it != session.bundles.end()) {
        session.bundles.erase(it);
        return bundle_error(OfpErrorCode::OFPBFC_BAD_ID,
                            fmt::format("bundle {} is open already", id), message);
      }
      if (session.bundles.size() >= kMaxBundles)
        return bundle_error(OfpErrorCode::OFPBFC_OUT_OF_BUNDLES,
                            fmt::format("{} bundles are open already", kMaxBundles), message);
      session.bundles[id] = OpenBundle{bc->flags, false, {}};
      return {control_reply(msg, id, BundleControlType::kOpenReply)};
    case BundleControlType::kCloseRequest:
      if (it == session.bundles.end())
        return bundle_error(OfpErrorCode::OFPBFC_BAD_ID, fmt::format("no bundle {}", id), message);
      if (it->second.closed) {
        session.bundles.erase(it);
        return bundle_error(OfpErrorCode::OFPBFC_BUNDLE_CLOSED,
                            fmt::format("bundle {} is closed already", id), message);
      }
      if (it->second.flags != bc->flags) {
        session.bundles.erase(it);
        return bundle_error(OfpErrorCode::OFPBFC_BAD_FLAGS,
                            fmt::format("bundle {} was opened with other flags", id), message);
      }
      it->second.closed = true;
      return {control_reply(msg, id, BundleControlType::kCloseReply)};
    case BundleControlType::kCommitRequest:
      return commit(ofproto, bridge, session, msg, message, id, bc->flags);
    case BundleControlType::kDiscardRequest:
      if (it == session.bundles.end())
        return bundle_error(OfpErrorCode::OFPBFC_BAD_ID, fmt::format("no bundle {}", id), message);
      session.bundles.erase(it);
      return {control_reply(msg, id, BundleControlType::kDiscardReply)};
    default:
      return bundle_error(OfpErrorCode::OFPBFC_BAD_TYPE,
                          fmt::format("bundle control type {} is not a request", bc->type),
                          message);
  }
}

std::vector<Bytes> handle_bundle_add(OpenFlowSession& session, const OfpMessage& msg,
                                     const Bytes& message) {
  auto add = wire::decode_bundle_add(msg);
  if (!add.ok()) return error_reply(add.error(), message);
  auto item = bundle_item(add->message, session.protocol);
  if (!item.ok()) return error_reply(item.error(), message);
  auto it = session.bundles.find(add->bundle_id);
  if (it == session.bundles.end()) {
    // As Open vSwitch: adding to a bundle that is not open opens it.
    if (session.bundles.size() >= kMaxBundles)
      return bundle_error(OfpErrorCode::OFPBFC_OUT_OF_BUNDLES,
                          fmt::format("{} bundles are open already", kMaxBundles), message);
    it = session.bundles.emplace(add->bundle_id, OpenBundle{add->flags, false, {}}).first;
  } else if (it->second.closed) {
    session.bundles.erase(it);
    return bundle_error(OfpErrorCode::OFPBFC_BUNDLE_CLOSED,
                        fmt::format("bundle {} is closed", add->bundle_id), message);
  } else if (it->second.flags != add->flags) {
    session.bundles.erase(it);
    return bundle_error(OfpErrorCode::OFPBFC_BAD_FLAGS,
                        fmt::format("bundle {} was opened with other flags", add->bundle_id),
                        message);
  }
  if (it->second.adds.size() >= kMaxBundleMessages)
    return bundle_error(OfpErrorCode::OFPBFC_MSG_TOO_MANY,
                        fmt::format("a bundle holds at most {} messages", kMaxBundleMessages),
                        message);
  it->second.adds.push_back(message);
  return {};
}

}  // namespace flowpath::ofproto
