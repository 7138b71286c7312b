#include "vport/link_monitor.h"

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "vport/netdev.h"

namespace flowpath {

std::optional<LinkMessage> parse_link_message(const nlmsghdr* message) {
  if (message->nlmsg_type != RTM_NEWLINK && message->nlmsg_type != RTM_DELLINK) return std::nullopt;
  if (mnl_nlmsg_get_payload_len(message) < sizeof(ifinfomsg)) return std::nullopt;
  const auto* info = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(message));
  // AF_BRIDGE messages describe a device's membership of a Linux bridge (an
  // RTM_DELLINK of that family is a port leaving the bridge, not a device
  // going away); interfaces themselves are AF_UNSPEC.
  if (info->ifi_family != AF_UNSPEC || info->ifi_index <= 0) return std::nullopt;
  rtnetlink::AttributeTable<IFLA_MAX + 1> attributes;
  if (mnl_attr_parse(message, sizeof(ifinfomsg), attributes.collect, &attributes) < 0)
    return std::nullopt;
  const char* name = attributes.get_string(IFLA_IFNAME, IFNAMSIZ - 1);
  if (name == nullptr) return std::nullopt;
  LinkMessage out;
  out.deleted = message->nlmsg_type == RTM_DELLINK;
  out.link.ifindex = static_cast<uint32_t>(info->ifi_index);
  out.link.name = name;
  out.link.up = (info->ifi_flags & IFF_UP) != 0 && (info->ifi_flags & IFF_RUNNING) != 0;
  if (const nlattr* mtu = attributes.get(IFLA_MTU, 4)) out.link.mtu = mnl_attr_get_u32(mtu);
  if (const nlattr* address = attributes.get(IFLA_ADDRESS, 6)) {
    std::array<uint8_t, 6> mac;
    std::memcpy(mac.data(), mnl_attr_get_payload(address), 6);
    out.link.mac = mac;
  }
  return out;
}

std::string_view to_string(LinkChange::Kind kind) {
  switch (kind) {
    case LinkChange::Kind::kAppeared: return "appeared";
    case LinkChange::Kind::kGone: return "gone";
    case LinkChange::Kind::kChanged: return "changed";
  }
  return "?";
}

namespace {

LinkChange gone(const LinkState& last, std::string renamed_to = {}) {
  LinkChange c;
  c.kind = LinkChange::Kind::kGone;
  c.link = last;
  c.renamed_to = std::move(renamed_to);
  return c;
}

}  // namespace

std::vector<LinkChange> LinkTable::apply(const LinkMessage& message) {
  std::vector<LinkChange> changes;
  const LinkState& link = message.link;
  if (message.deleted) {
    auto it = by_index_.find(link.ifindex);
    if (it == by_index_.end()) return changes;
    changes.push_back(gone(it->second));
    index_by_name_.erase(it->second.name);
    by_index_.erase(it);
    return changes;
  }
  seen_.insert(link.ifindex);
  if (auto it = by_index_.find(link.ifindex); it != by_index_.end()) {
    LinkState& known = it->second;
    if (known.name == link.name) {
      LinkChange c;
      c.kind = LinkChange::Kind::kChanged;
      c.up_changed = known.up != link.up;
      c.mtu_changed = known.mtu != link.mtu;
      c.mac_changed = known.mac != link.mac;
      known = link;
      c.link = link;
      if (c.up_changed || c.mtu_changed || c.mac_changed) changes.push_back(std::move(c));
      return changes;
    }
    // Renamed: the old name is gone.
    changes.push_back(gone(known, link.name));
    index_by_name_.erase(known.name);
    by_index_.erase(it);
  }
  // The name now belongs to this index; one it had before went unnoticed.
  if (auto named = index_by_name_.find(link.name); named != index_by_name_.end()) {
    if (auto old = by_index_.find(named->second); old != by_index_.end()) {
      changes.push_back(gone(old->second));
      by_index_.erase(old);
    }
    index_by_name_.erase(named);
  }
  by_index_[link.ifindex] = link;
  index_by_name_[link.name] = link.ifindex;
  LinkChange appeared;
  appeared.kind = LinkChange::Kind::kAppeared;
  appeared.link = link;
  changes.push_back(std::move(appeared));
  return changes;
}

std::vector<LinkChange> LinkTable::end_resync() {
  std::vector<LinkChange> changes;
  for (auto it = by_index_.begin(); it != by_index_.end();) {
    if (seen_.count(it->first)) {
      ++it;
      continue;
    }
    changes.push_back(gone(it->second));
    index_by_name_.erase(it->second.name);
    it = by_index_.erase(it);
  }
  seen_.clear();
  return changes;
}

const LinkState* LinkTable::find(const std::string& name) const {
  auto named = index_by_name_.find(name);
  if (named == index_by_name_.end()) return nullptr;
  auto it = by_index_.find(named->second);
  return it == by_index_.end() ? nullptr : &it->second;
}

// ---------------------------------------------------------------- socket

Result<LinkMonitor> LinkMonitor::open() {
  TRY_ASSIGN(socket, rtnetlink::Socket::open(RTMGRP_LINK));
  // Room for a burst of events (a hundred containers stopping at once);
  // beyond it, ENOBUFS and a new dump. FORCE needs CAP_NET_ADMIN; without it
  // the plain option is capped by net.core.rmem_max.
  int size = 4 << 20;
  if (::setsockopt(socket.fd(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
    (void)::setsockopt(socket.fd(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  LinkMonitor monitor;
  monitor.socket_ = std::move(socket);
  TRY_STATUS(monitor.start_dump());
  return monitor;
}

Status LinkMonitor::start_dump() {
  table_.begin_resync();
  TRY_ASSIGN(seq, rtnetlink::send_dump_request(socket_, RTM_GETLINK, sizeof(ifinfomsg)));
  dump_sequence_ = seq;
  ++resyncs_;
  return Ok{};
}

Result<std::vector<LinkChange>> LinkMonitor::receive() {
  std::vector<LinkChange> changes;
  // A dump's replies fill up to 32 KiB per read.
  alignas(nlmsghdr) static thread_local char buffer[64 << 10];
  for (;;) {
    ssize_t n = ::recv(socket_.fd(), buffer, sizeof buffer, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == ENOBUFS) {
        // The kernel dropped events: what the table holds may be stale.
        if (dump_sequence_ != 0) {
          dump_again_ = true;
        } else {
          TRY_STATUS(start_dump());
        }
        continue;
      }
      return make_error("rtnetlink: receiving link events: " + errno_text(errno));
    }
    int left = static_cast<int>(n);
    for (const auto* message = reinterpret_cast<const nlmsghdr*>(buffer);
         rtnetlink::message_fits(message, left); message = mnl_nlmsg_next(message, &left)) {
      const bool ours = dump_sequence_ != 0 && message->nlmsg_seq == dump_sequence_ &&
                        message->nlmsg_pid == socket_.port_id();
      if (ours && (message->nlmsg_type == NLMSG_DONE || message->nlmsg_type == NLMSG_ERROR)) {
        int error = 0;
        if (message->nlmsg_type == NLMSG_ERROR &&
            mnl_nlmsg_get_payload_len(message) >= sizeof(nlmsgerr))
          error = -static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(message))->error;
        dump_sequence_ = 0;
        if (error != 0) return make_error("rtnetlink: link dump failed: " + errno_text(error));
        auto gone = table_.end_resync();
        changes.insert(changes.end(), gone.begin(), gone.end());
        if (dump_again_) {
          dump_again_ = false;
          TRY_STATUS(start_dump());
        }
        continue;
      }
      auto parsed = parse_link_message(message);
      if (!parsed) continue;
      auto applied = table_.apply(*parsed);
      changes.insert(changes.end(), applied.begin(), applied.end());
    }
  }
  return changes;
}

}  // namespace flowpath
