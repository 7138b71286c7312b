// The OpenFlow connections of every bridge, as Open vSwitch makes them: a
// management socket BRIDGE.mgmt in the daemon's run directory for
// ovs-ofctl (`OVS_RUNDIR=<run dir> ovs-ofctl dump-flows BRIDGE`), and the
// bridge's controllers (fpctl set-controller): active targets it connects
// to, retrying with exponential backoff, and passive ones it listens on.
// One thread polls every socket; each message is handed to
// handle_openflow_message() and its replies sent back in order; packet-ins,
// port status and flow-removed messages go to the connections that want them
// (role and asynchronous configuration, connection_async.cc).
//
// It also tells the bridge what follows from its controllers' state
// (Ofproto::report_controllers): fail-open for a standalone bridge whose
// controllers have all been unreachable for three inactivity probe
// intervals, and whether a table miss is a packet-in.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "ofproto/ofproto.h"
#include "ofproto/openflow_session.h"
#include "openflow/channel/channel.h"
#include "openflow/channel/endpoint.h"

namespace flowpath::ofproto {

class ConnectionManager {
 public:
  ConnectionManager(Ofproto& ofproto, std::string run_dir);
  ~ConnectionManager();  // stops the thread, closes every socket
  ConnectionManager(const ConnectionManager&) = delete;
  ConnectionManager& operator=(const ConnectionManager&) = delete;

  Status start();
  void stop();
  // Something changed (bridges, controllers, ports, packet-ins queued): the
  // thread looks.
  void wake();

  static std::string management_socket(const std::string& run_dir, const std::string& bridge) {
    return run_dir + "/" + bridge + ".mgmt";
  }

 private:
  struct Connection {
    std::unique_ptr<openflow::channel::Channel> channel;
    OpenFlowSession session;
    bool session_ready = false;  // set up once the channel is open
    uint64_t opened_ms = 0;
    size_t listener = SIZE_MAX;  // the listener it came from
  };
  struct Listener {
    int fd = -1;
    openflow::channel::Endpoint endpoint;
    bool controller = false;  // a passive controller target, not the management socket
    std::string target;
  };
  // An active controller target and its reconnection state (Open vSwitch's rconn).
  struct ActiveController {
    openflow::channel::Endpoint endpoint;
    std::string target;
    std::unique_ptr<Connection> connection;  // connecting or open
    uint64_t next_attempt_ms = 0;
    uint32_t backoff_ms = 0;                 // 0: the next failure waits 1 s
    uint64_t connected_since_ms = 0;         // of the open connection
    uint64_t disconnected_since_ms = 0;      // 0: never connected
    std::string last_error;
  };
  struct BridgeEntry {
    ControllerSettings settings;
    std::vector<Listener> listeners;  // the management socket first
    std::vector<Connection> connections;  // accepted from the listeners
    std::vector<ActiveController> controllers;
    uint64_t unreachable_since_ms = 0;  // when the last controller connection closed
    bool fail_open = false;
    // The primary election id (role requests with a generation id).
    std::optional<uint64_t> generation_id;
    std::optional<ControllerReport> reported;
  };

  void main_loop();
  void sync_bridges(uint64_t now_ms);
  void open_bridge(const std::string& name, BridgeEntry& entry);
  void configure_controllers(const std::string& bridge, BridgeEntry& entry,
                             ControllerSettings settings, uint64_t now_ms);
  void close_bridge(BridgeEntry& entry);
  void accept_from(const std::string& bridge, BridgeEntry& entry, size_t listener, uint64_t now_ms);
  void run_controller(const std::string& bridge, BridgeEntry& entry, ActiveController& c,
                      uint64_t now_ms);
  void connection_lost(const std::string& bridge, ActiveController& c, uint64_t now_ms,
                       uint32_t max_backoff_ms);
  void serve(const std::string& bridge, BridgeEntry& entry, Connection& connection,
             short revents, uint64_t now_ms);
  void report(const std::string& bridge, BridgeEntry& entry, uint64_t now_ms);
  openflow::channel::ChannelOptions channel_options(const BridgeEntry& entry, bool controller) const;
  // Calls fn(Connection&) for every open connection of a bridge.
  template <typename Fn>
  static void for_each_open(BridgeEntry& entry, Fn fn) {
    for (Connection& c : entry.connections)
      if (c.session_ready && c.channel->is_open()) fn(c);
    for (ActiveController& a : entry.controllers)
      if (a.connection && a.connection->session_ready && a.connection->channel->is_open())
        fn(*a.connection);
  }

  // connection_async.cc: what the switch tells its connections.
  void send_async(const std::string& bridge, BridgeEntry& entry);
  // A role request (needs every connection of the bridge): the replies.
  std::vector<wire::Bytes> handle_role_request(BridgeEntry& entry, Connection& connection,
                                               const wire::OfpMessage& msg,
                                               const wire::Bytes& message);

  Ofproto& ofproto_;
  const std::string run_dir_;
  int wake_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::map<std::string, BridgeEntry> bridges_;  // the thread's own
};

}  // namespace flowpath::ofproto
