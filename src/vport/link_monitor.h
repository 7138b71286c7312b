// The kernel's network interfaces as rtnetlink reports them (RTMGRP_LINK):
// which exist under which name and index, their link state, MTU and
// Ethernet address, kept current from RTM_NEWLINK/RTM_DELLINK events on one
// socket, with a dump at start and whenever the kernel says events were lost
// (ENOBUFS). What ports of existing interfaces (afpacket, afxdp) need to be
// opened when their interface appears and closed when it goes, without
// polling /sys.
//
// LinkTable is the state machine (no system calls: unit tests feed it
// crafted messages); LinkMonitor owns the socket and feeds it.
#pragma once

#include <linux/netlink.h>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/rtnetlink.h"

namespace flowpath {

struct LinkState {
  uint32_t ifindex = 0;
  std::string name;
  bool up = false;  // IFF_UP and IFF_RUNNING: administratively up with carrier
  uint32_t mtu = 0;
  std::optional<std::array<uint8_t, 6>> mac;  // IFLA_ADDRESS when it is 6 bytes
  bool operator==(const LinkState&) const = default;
};

// One RTM_NEWLINK (also a dump's reply) or RTM_DELLINK.
struct LinkMessage {
  bool deleted = false;
  LinkState link;
};

// The message as a LinkMessage; nullopt for any other message type, or one
// too short or without a valid IFLA_IFNAME.
std::optional<LinkMessage> parse_link_message(const nlmsghdr* message);

// What changed about one interface name.
struct LinkChange {
  enum class Kind : uint8_t {
    kAppeared,  // an interface of this name now exists (created, renamed to it, or re-created)
    kGone,      // none does any more (deleted, or renamed away: `renamed_to`)
    kChanged,   // still there; see the flags
  };
  Kind kind = Kind::kChanged;
  LinkState link;          // the state now (for kGone: the last one known)
  std::string renamed_to;  // kGone by a rename: the new name
  bool up_changed = false;
  bool mtu_changed = false;
  bool mac_changed = false;
};

std::string_view to_string(LinkChange::Kind kind);

class LinkTable {
 public:
  // Applies one message; returns what changed (nothing when it repeats
  // what is known). A rename is kGone of the old name, then kAppeared of
  // the new; a name that comes back with another index (deleted and
  // re-created, events lost) is kGone, then kAppeared.
  std::vector<LinkChange> apply(const LinkMessage& message);

  // A resynchronisation: begin_resync(), then apply() each reply of a dump
  // (and every event that arrives meanwhile), then end_resync(), which
  // reports as gone every interface nothing mentioned since begin_resync().
  void begin_resync() { seen_.clear(); }
  std::vector<LinkChange> end_resync();

  const LinkState* find(const std::string& name) const;
  size_t size() const { return by_index_.size(); }

 private:
  std::map<uint32_t, LinkState> by_index_;
  std::map<std::string, uint32_t, std::less<>> index_by_name_;
  std::set<uint32_t> seen_;  // during a resync
};

// The socket. Not thread-safe: one thread (the daemon's interface monitor)
// uses it.
class LinkMonitor {
 public:
  // Joins RTMGRP_LINK and requests the first dump: its replies come through
  // receive() like events.
  static Result<LinkMonitor> open();

  // Readable when receive() has something.
  int fd() const { return socket_.fd(); }

  // Reads every message waiting (never blocks) and returns the changes in
  // the order they happened. Events lost to a full socket buffer (ENOBUFS)
  // start a new dump; an error is a failure of the socket itself.
  Result<std::vector<LinkChange>> receive();

  // Whether a dump is under way (the table may be incomplete).
  bool resyncing() const { return dump_sequence_ != 0; }
  const LinkTable& table() const { return table_; }
  uint64_t resyncs() const { return resyncs_; }

 private:
  Status start_dump();

  rtnetlink::Socket socket_;
  LinkTable table_;
  uint32_t dump_sequence_ = 0;  // of the dump under way, or 0
  bool dump_again_ = false;      // events were lost during a dump
  uint64_t resyncs_ = 0;
};

}  // namespace flowpath
