// An observer of action execution, for the fast-path trace (fpctl
// trace-packets): told of each action after it ran, with what was left of
// the batch. Only the traced path passes one; execute_actions() without an
// observer checks for it once per action list, never per action or packet.
#pragma once

#include <cstddef>

#include "common/netlink.h"
#include "packet/packet.h"

namespace flowpath {

class ActionObserver {
 public:
  virtual ~ActionObserver() = default;
  // `action` (its payload lies inside the list execute_actions() was given)
  // ran at nesting `depth` (0: the top-level list) on `before` packets;
  // `after` are still in the batch (the others were handed off or dropped),
  // `first` is the first of them or nullptr.
  virtual void action_done(const NetlinkAttr& action, int depth, size_t before, size_t after,
                           const Packet* first) = 0;
};

}  // namespace flowpath
