#include "ofproto/interface_monitor.h"

#include <poll.h>
#include <pthread.h>
#include "common/log_modules.h"
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>

#include "ofproto/ofproto.h"

namespace flowpath::ofproto {

void apply_link_change(DatapathInterface& dpif, Ofproto* ofproto, const LinkChange& change) {
  const LinkState& link = change.link;
  switch (change.kind) {
    case LinkChange::Kind::kAppeared: {
      // The datapath logs what happens to its ports.
      (void)dpif.attach_interface(link.name);
      // A port attached before (its interface existed when it was added)
      // may work with an MTU the interface no longer has.
      (void)dpif.interface_mtu_changed(link.name, link.mtu);
      if (ofproto != nullptr) ofproto->interface_changed(link.name, link.up, false);
      break;
    }
    case LinkChange::Kind::kGone: {
      const std::string reason =
          change.renamed_to.empty()
              ? "interface " + link.name + " was deleted"
              : "interface " + link.name + " was renamed to " + change.renamed_to;
      (void)dpif.detach_interface(link.name, reason);
      if (ofproto != nullptr) ofproto->interface_changed(link.name, false, false);
      break;
    }
    case LinkChange::Kind::kChanged:
      if (change.up_changed && link.up) dpif.interface_link_up(link.name);
      if (change.mtu_changed) (void)dpif.interface_mtu_changed(link.name, link.mtu);
      if (ofproto != nullptr)
        ofproto->interface_changed(link.name, link.up, change.mtu_changed || change.mac_changed);
      break;
  }
}

Result<std::unique_ptr<InterfaceMonitor>> InterfaceMonitor::start(DatapathInterface& dpif,
                                                                  Ofproto* ofproto) {
  TRY_ASSIGN(monitor, LinkMonitor::open());
  UniqueFd stop(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (stop.get() < 0) return make_error("interface monitor: eventfd: " + errno_text(errno));
  std::unique_ptr<InterfaceMonitor> out(
      new InterfaceMonitor(dpif, ofproto, std::move(monitor), std::move(stop)));
  out->thread_ = std::thread([m = out.get()] { m->run(); });
  return out;
}

InterfaceMonitor::InterfaceMonitor(DatapathInterface& dpif, Ofproto* ofproto, LinkMonitor monitor,
                                   UniqueFd stop)
    : dpif_(dpif), ofproto_(ofproto), monitor_(std::move(monitor)), stop_(std::move(stop)) {}

InterfaceMonitor::~InterfaceMonitor() {
  uint64_t one = 1;
  (void)!::write(stop_.get(), &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

void InterfaceMonitor::run() {
  pthread_setname_np(pthread_self(), "fp-links");
  uint64_t resyncs_reported = 1;  // the first dump is not news
  for (;;) {
    pollfd fds[2] = {{monitor_.fd(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      module_log(LogModule::kOfproto).error("interface monitor: poll: {}", errno_text(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    auto changes = monitor_.receive();
    if (!changes.ok()) {
      // The socket itself failed: say so and go on; the next ENOBUFS or
      // event brings it back in step.
      module_log(LogModule::kOfproto).error("interface monitor: {}", changes.error());
      continue;
    }
    if (monitor_.resyncs() > resyncs_reported) {
      resyncs_reported = monitor_.resyncs();
      module_log(LogModule::kOfproto).warn("interface monitor: the kernel dropped link events (socket buffer full); "
                   "resynchronising from a dump");
    }
    for (const LinkChange& change : *changes) {
      module_log(LogModule::kOfproto).debug("interface {} (index {}) {}: up={} mtu={}", change.link.name,
                    change.link.ifindex, to_string(change.kind), change.link.up, change.link.mtu);
      apply_link_change(dpif_, ofproto_, change);
    }
  }
}

}  // namespace flowpath::ofproto
