// The daemon's interface monitor: one rtnetlink socket (LinkMonitor) on a
// control-side thread of its own, which blocks on it and turns each change
// into what it means for ports, at once:
//   - an interface appears (created, renamed to a port's name, re-created):
//     absent ports waiting for it are opened and attached (DatapathInterface);
//   - it goes (deleted, renamed away): ports that opened it are detached
//     (descriptor closed, nothing polled) and kept, absent;
//   - its link goes up or down, its MTU or Ethernet address changes: bridge
//     ports take the new liveness and send an OpenFlow port-status (Ofproto),
//     and ports working with another MTU are reopened.
// Forwarding threads are never involved beyond the datapath API's RCU port
// publication. An idle monitor sleeps in poll() and costs nothing.
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include "common/result.h"
#include "datapath/datapath_interface.h"
#include "vport/link_monitor.h"
#include "vport/netdev.h"

namespace flowpath::ofproto {

class Ofproto;

// What one change means for the ports (the thread's work, also for tests).
void apply_link_change(DatapathInterface& dpif, Ofproto* ofproto, const LinkChange& change);

class InterfaceMonitor {
 public:
  // Opens the socket, requests the first dump (whose replies attach ports
  // whose interface exists by then) and starts the thread.
  static Result<std::unique_ptr<InterfaceMonitor>> start(DatapathInterface& dpif,
                                                         Ofproto* ofproto);
  ~InterfaceMonitor();  // stops and joins the thread
  InterfaceMonitor(const InterfaceMonitor&) = delete;
  InterfaceMonitor& operator=(const InterfaceMonitor&) = delete;

 private:
  InterfaceMonitor(DatapathInterface& dpif, Ofproto* ofproto, LinkMonitor monitor, UniqueFd stop);
  void run();

  DatapathInterface& dpif_;
  Ofproto* ofproto_;
  LinkMonitor monitor_;
  UniqueFd stop_;  // an eventfd: written to stop the thread
  std::thread thread_;
};

}  // namespace flowpath::ofproto
