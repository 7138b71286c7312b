#include "ofproto/connection_manager.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/log_modules.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "common/clock.h"
#include "ofproto/openflow_handler.h"

namespace flowpath::ofproto {

using openflow::channel::Channel;
using openflow::channel::ChannelOptions;
using openflow::channel::Endpoint;

namespace {

constexpr uint32_t kFirstBackoffMs = 1000;
// Fail-open waits for three probe intervals (Open vSwitch's trigger), or
// three default intervals when probes are off.
constexpr uint32_t kDefaultProbeMs = 5000;

// Messages that do not make a controller "admitted" (the handshake).
bool handshake_only(wire::OfpType type) {
  return type == wire::OfpType::kFeaturesRequest || type == wire::OfpType::kEchoRequest ||
         type == wire::OfpType::kEchoReply || type == wire::OfpType::kHello ||
         type == wire::OfpType::kError;
}

}  // namespace

ConnectionManager::ConnectionManager(Ofproto& ofproto, std::string run_dir)
    : ofproto_(ofproto), run_dir_(std::move(run_dir)) {}

ConnectionManager::~ConnectionManager() { stop(); }

Status ConnectionManager::start() {
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) return make_error(std::string("eventfd: ") + std::strerror(errno));
  thread_ = std::thread([this] { main_loop(); });
  return Ok{};
}

void ConnectionManager::stop() {
  if (!thread_.joinable()) return;
  stopping_.store(true);
  wake();
  thread_.join();
  for (auto& [name, entry] : bridges_) close_bridge(entry);
  bridges_.clear();
  ::close(wake_fd_);
  wake_fd_ = -1;
}

void ConnectionManager::wake() {
  if (wake_fd_ < 0) return;
  uint64_t one = 1;
  ssize_t n = ::write(wake_fd_, &one, sizeof one);
  (void)n;  // a full counter already wakes the thread
}

ChannelOptions ConnectionManager::channel_options(const BridgeEntry& entry, bool controller) const {
  ChannelOptions options;
  if (controller) options.probe_interval_ms = entry.settings.inactivity_probe_ms;
  return options;
}

void ConnectionManager::open_bridge(const std::string& name, BridgeEntry& entry) {
  Endpoint mgmt;
  mgmt.kind = Endpoint::Kind::kPunix;
  mgmt.path = management_socket(run_dir_, name);
  auto fd = openflow::channel::listen_on(mgmt);
  if (!fd.ok()) {
    module_log(LogModule::kOfproto).error("bridge {}: management socket: {}", name, fd.error());
    return;
  }
  entry.listeners.push_back(Listener{*fd, mgmt, false, mgmt.to_string()});
  module_log(LogModule::kOfproto).info("bridge {}: OpenFlow management socket {}", name, mgmt.path);
}

void ConnectionManager::close_bridge(BridgeEntry& entry) {
  for (Listener& l : entry.listeners) {
    ::close(l.fd);
    if (l.endpoint.kind == Endpoint::Kind::kPunix) ::unlink(l.endpoint.path.c_str());
  }
  entry.listeners.clear();
  entry.connections.clear();  // ~Channel closes the sockets
  entry.controllers.clear();
}

void ConnectionManager::configure_controllers(const std::string& bridge, BridgeEntry& entry,
                                              ControllerSettings settings, uint64_t now_ms) {
  // Controllers whose target stays keep their connection (with the new
  // probe interval from their next connection on); the others go.
  std::vector<ActiveController> kept;
  for (ActiveController& c : entry.controllers)
    if (std::find(settings.targets.begin(), settings.targets.end(), c.target) !=
        settings.targets.end())
      kept.push_back(std::move(c));
  entry.controllers = std::move(kept);
  // Passive targets: listeners after the management socket.
  for (size_t i = entry.listeners.size(); i-- > 1;) {
    Listener& l = entry.listeners[i];
    if (std::find(settings.targets.begin(), settings.targets.end(), l.target) !=
        settings.targets.end())
      continue;
    ::close(l.fd);
    if (l.endpoint.kind == Endpoint::Kind::kPunix) ::unlink(l.endpoint.path.c_str());
    std::erase_if(entry.connections, [i](const Connection& c) { return c.listener == i; });
    for (Connection& c : entry.connections)
      if (c.listener != SIZE_MAX && c.listener > i) --c.listener;
    entry.listeners.erase(entry.listeners.begin() + static_cast<ptrdiff_t>(i));
  }
  for (const std::string& target : settings.targets) {
    auto endpoint = openflow::channel::parse_endpoint(target);
    if (!endpoint.ok()) continue;  // checked when set
    if (endpoint->passive()) {
      bool exists = std::any_of(entry.listeners.begin(), entry.listeners.end(),
                                [&](const Listener& l) { return l.target == target; });
      if (exists) continue;
      auto fd = openflow::channel::listen_on(*endpoint);
      if (!fd.ok()) {
        module_log(LogModule::kOfproto).error("bridge {}: controller {}: {}", bridge, target, fd.error());
        continue;
      }
      entry.listeners.push_back(Listener{*fd, *endpoint, true, target});
      module_log(LogModule::kOfproto).info("bridge {}: listening for controllers on {}", bridge, target);
    } else {
      bool exists = std::any_of(entry.controllers.begin(), entry.controllers.end(),
                                [&](const ActiveController& c) { return c.target == target; });
      if (exists) continue;
      ActiveController c;
      c.endpoint = *endpoint;
      c.target = target;
      c.next_attempt_ms = now_ms;
      entry.controllers.push_back(std::move(c));
    }
  }
  if (entry.settings.targets.empty() && !settings.targets.empty()) entry.unreachable_since_ms = now_ms;
  entry.settings = std::move(settings);
}

void ConnectionManager::sync_bridges(uint64_t now_ms) {
  std::vector<std::string> names = ofproto_.list_bridges();
  std::set<std::string> wanted(names.begin(), names.end());
  for (auto it = bridges_.begin(); it != bridges_.end();) {
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    close_bridge(it->second);
    it = bridges_.erase(it);
  }
  for (const std::string& name : names) {
    auto [it, inserted] = bridges_.try_emplace(name);
    if (inserted) open_bridge(name, it->second);
    auto settings = ofproto_.get_controllers(name);
    if (settings.ok() && !(*settings == it->second.settings))
      configure_controllers(name, it->second, std::move(*settings), now_ms);
  }
}

void ConnectionManager::accept_from(const std::string& bridge, BridgeEntry& entry, size_t index,
                                    uint64_t now_ms) {
  for (;;) {
    const Listener& listener = entry.listeners[index];
    std::string peer;
    int fd = openflow::channel::accept_on(listener.fd, &peer);
    if (fd < 0) return;
    Connection c;
    c.channel = std::make_unique<Channel>(fd, bridge + "<->" + peer,
                                          channel_options(entry, listener.controller), now_ms);
    c.session.kind = listener.controller ? OpenFlowSession::Kind::kController
                                         : OpenFlowSession::Kind::kService;
    c.listener = index;
    module_log(LogModule::kOfproto).debug("bridge {}: OpenFlow connection from {}", bridge, peer);
    entry.connections.push_back(std::move(c));
  }
}

void ConnectionManager::run_controller(const std::string& bridge, BridgeEntry& entry,
                                       ActiveController& c, uint64_t now_ms) {
  if (c.connection || now_ms < c.next_attempt_ms) return;
  auto fd = openflow::channel::start_connect(c.endpoint);
  if (!fd.ok()) {
    c.last_error = fd.error();
    connection_lost(bridge, c, now_ms, entry.settings.max_backoff_ms);
    return;
  }
  c.connection = std::make_unique<Connection>();
  c.connection->channel = std::make_unique<Channel>(*fd, bridge + "<->" + c.target,
                                                    channel_options(entry, true), now_ms, true);
  c.connection->session.kind = OpenFlowSession::Kind::kController;
  module_log(LogModule::kOfproto).debug("bridge {}: connecting to controller {}", bridge, c.target);
}

void ConnectionManager::connection_lost(const std::string& bridge, ActiveController& c,
                                        uint64_t now_ms, uint32_t max_backoff_ms) {
  bool was_open = c.connected_since_ms != 0;
  if (c.connection) {
    c.last_error = c.connection->channel->error();
    c.connection.reset();
  }
  if (was_open) {
    module_log(LogModule::kOfproto).warn("bridge {}: controller {} disconnected: {}", bridge, c.target, c.last_error);
    c.connected_since_ms = 0;
    c.disconnected_since_ms = now_ms;
    c.backoff_ms = 0;
  }
  // Open vSwitch's rconn: 1 s, then doubling up to max_backoff.
  c.backoff_ms = c.backoff_ms ? std::min(2 * c.backoff_ms, max_backoff_ms) : kFirstBackoffMs;
  c.next_attempt_ms = now_ms + c.backoff_ms;
  module_log(LogModule::kOfproto).debug("bridge {}: controller {}: {}; next attempt in {} ms", bridge, c.target,
                c.last_error, c.backoff_ms);
}

void ConnectionManager::serve(const std::string& bridge, BridgeEntry& entry, Connection& c,
                              short revents, uint64_t now_ms) {
  Channel& ch = *c.channel;
  if (revents & POLLOUT) (void)ch.write(now_ms);
  if (revents & (POLLIN | POLLHUP | POLLERR)) {
    std::vector<wire::Bytes> messages;
    (void)ch.read(messages, now_ms);
    if (ch.is_open() && !c.session_ready) {
      c.session = OpenFlowSession::for_kind(c.session.kind, ch.version());
      c.session_ready = true;
      c.opened_ms = now_ms;
    }
    for (const wire::Bytes& message : messages) {
      auto decoded = wire::decode_message(message);
      if (decoded.ok() && !handshake_only(decoded->type)) c.session.admitted = true;
      std::vector<wire::Bytes> replies =
          decoded.ok() && decoded->type == wire::OfpType::kRoleRequest
              ? handle_role_request(entry, c, *decoded, message)
              : handle_openflow_message(ofproto_, bridge, c.session, message);
      for (wire::Bytes& reply : replies) ch.send(std::move(reply));
    }
  }
  (void)ch.run(now_ms);
  (void)ch.write(now_ms);
}

void ConnectionManager::report(const std::string& bridge, BridgeEntry& entry, uint64_t now_ms) {
  ControllerReport r;
  bool any_connected = false, any_admitted = false;
  for (ActiveController& a : entry.controllers) {
    ControllerStatus s;
    s.target = a.target;
    bool open = a.connection && a.connection->session_ready && a.connection->channel->is_open();
    if (open && !a.connected_since_ms) {
      a.connected_since_ms = a.connection->opened_ms;
      a.backoff_ms = 0;
      a.last_error.clear();
      module_log(LogModule::kOfproto).info("bridge {}: connected to controller {}", bridge, a.target);
    }
    s.connected = open;
    s.state = open ? "ACTIVE" : a.connection ? "CONNECTING" : "BACKOFF";
    if (open) s.role = std::string(role_name(a.connection->session.role));
    s.last_error = a.last_error;
    s.connected_at_ms = a.connected_since_ms;
    s.disconnected_at_ms = open ? 0 : a.disconnected_since_ms;
    any_connected |= open;
    any_admitted |= open && a.connection->session.admitted;
    r.controllers.push_back(std::move(s));
  }
  for (size_t i = 1; i < entry.listeners.size(); ++i) {
    const Listener& l = entry.listeners[i];
    ControllerStatus s;
    s.target = l.target;
    s.state = "LISTENING";
    if (l.endpoint.kind == Endpoint::Kind::kPtcp) s.bound_port = openflow::channel::bound_port(l.fd);
    for (const Connection& c : entry.connections) {
      if (c.listener != i || !c.session_ready || !c.channel->is_open()) continue;
      ++s.connections;
      any_connected = true;
      any_admitted |= c.session.admitted;
    }
    s.connected = s.connections > 0;
    r.controllers.push_back(std::move(s));
  }
  // Fail-open: a standalone bridge with controllers, none reachable for a while.
  auto mode = ofproto_.get_fail_mode(bridge);
  bool standalone = mode.ok() && mode->value_or(FailMode::kStandalone) == FailMode::kStandalone;
  if (entry.settings.targets.empty() || !standalone) {
    entry.fail_open = false;
  } else if (any_connected) {
    entry.unreachable_since_ms = 0;
    if (entry.fail_open && any_admitted) entry.fail_open = false;
  } else {
    if (!entry.unreachable_since_ms) entry.unreachable_since_ms = now_ms;
    uint32_t probe = entry.settings.inactivity_probe_ms ? entry.settings.inactivity_probe_ms
                                                        : kDefaultProbeMs;
    if (now_ms - entry.unreachable_since_ms >= 3ull * probe) entry.fail_open = true;
  }
  r.fail_open = entry.fail_open;
  for_each_open(entry, [&](Connection& c) {
    if (c.session.packet_in_reason(wire::packet_in_reason::kNoMatch, true, false))
      r.packet_in_on_miss = true;
  });
  if (entry.reported && *entry.reported == r) return;
  entry.reported = r;
  ofproto_.report_controllers(bridge, std::move(r));
}

void ConnectionManager::main_loop() {
  std::vector<pollfd> fds;
  // What each pollfd is: a bridge's listener, accepted connection or
  // active controller.
  enum class SlotKind : uint8_t { kWake, kListener, kConnection, kController };
  struct Slot {
    std::string bridge;
    SlotKind kind = SlotKind::kWake;
    size_t index = 0;
  };
  std::vector<Slot> slots;
  while (!stopping_.load()) {
    uint64_t now = monotonic_ms();
    sync_bridges(now);
    fds.clear();
    slots.clear();
    fds.push_back(pollfd{wake_fd_, POLLIN, 0});
    slots.push_back(Slot{});
    uint64_t deadline = now + 1000;  // status (seconds connected, fail-open) at least every second
    for (auto& [name, entry] : bridges_) {
      for (size_t i = 0; i < entry.listeners.size(); ++i) {
        fds.push_back(pollfd{entry.listeners[i].fd, POLLIN, 0});
        slots.push_back(Slot{name, SlotKind::kListener, i});
      }
      for (size_t i = 0; i < entry.connections.size(); ++i) {
        Channel& ch = *entry.connections[i].channel;
        fds.push_back(pollfd{ch.fd(), ch.poll_events(), 0});
        slots.push_back(Slot{name, SlotKind::kConnection, i});
        deadline = std::min(deadline, ch.next_deadline_ms());
      }
      for (size_t i = 0; i < entry.controllers.size(); ++i) {
        ActiveController& c = entry.controllers[i];
        run_controller(name, entry, c, now);
        if (!c.connection) {
          deadline = std::min(deadline, c.next_attempt_ms);
          continue;
        }
        Channel& ch = *c.connection->channel;
        fds.push_back(pollfd{ch.fd(), ch.poll_events(), 0});
        slots.push_back(Slot{name, SlotKind::kController, i});
        deadline = std::min(deadline, ch.next_deadline_ms());
      }
    }
    int timeout = static_cast<int>(deadline > now ? deadline - now : 0);
    int n = ::poll(fds.data(), fds.size(), timeout);
    if (n < 0 && errno != EINTR) {
      module_log(LogModule::kOfproto).error("OpenFlow connections: poll: {}", std::strerror(errno));
      return;
    }
    if (fds[0].revents & POLLIN) {
      uint64_t count;
      ssize_t r = ::read(wake_fd_, &count, sizeof count);
      (void)r;
    }
    now = monotonic_ms();
    for (size_t i = 1; i < fds.size(); ++i) {
      auto it = bridges_.find(slots[i].bridge);
      if (it == bridges_.end()) continue;
      BridgeEntry& entry = it->second;
      switch (slots[i].kind) {
        case SlotKind::kListener:
          if (fds[i].revents & POLLIN) accept_from(it->first, entry, slots[i].index, now);
          break;
        case SlotKind::kConnection:
          serve(it->first, entry, entry.connections[slots[i].index], fds[i].revents, now);
          break;
        case SlotKind::kController: {
          ActiveController& c = entry.controllers[slots[i].index];
          if (c.connection) serve(it->first, entry, *c.connection, fds[i].revents, now);
          break;
        }
        case SlotKind::kWake:
          break;
      }
    }
    for (auto& [name, entry] : bridges_) {
      // clang before 16 cannot capture a structured binding: a plain reference.
      const std::string& bridge_name = name;
      std::erase_if(entry.connections, [&](const Connection& c) {
        if (c.channel->state() != Channel::State::kClosed) return false;
        module_log(LogModule::kOfproto).debug("bridge {}: OpenFlow connection {} closed: {}", bridge_name, c.channel->name(),
                      c.channel->error());
        return true;
      });
      for (ActiveController& c : entry.controllers)
        if (c.connection && c.connection->channel->state() == Channel::State::kClosed)
          connection_lost(name, c, now, entry.settings.max_backoff_ms);
      send_async(name, entry);
      report(name, entry, now);
    }
  }
}

}  // namespace flowpath::ofproto
