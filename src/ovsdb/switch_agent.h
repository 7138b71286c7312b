// flowpathd as the switch daemon of an OVSDB server (ovs-vswitchd's role):
// a thread that connects to the server, takes the "ovs_vswitchd" lock (one
// switch daemon per database), monitors the Open_vSwitch, Bridge, Port,
// Interface and Controller tables, applies every change through the
// Reconciler, and writes status back. It reconnects with backoff (1 s
// doubling to 8 s) when the server goes away, and answers and sends echo
// requests so a dead peer is noticed. Malformed messages are logged with
// what was wrong and skipped; a stream that cannot be framed is dropped and
// reconnected.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>

#include "ofproto/ofproto.h"
#include "ovsdb/connection.h"
#include "ovsdb/reconciler.h"
#include "ovsdb/replica.h"

namespace flowpath::ovsdb {

struct SwitchAgentOptions {
  Remote remote;
  std::string database = "Open_vSwitch";
  uint32_t status_interval_ms = 1000;      // link state, ofport... polled this often
  uint32_t statistics_interval_ms = 5000;  // ovs-vswitchd's stats-update-interval default
  uint32_t probe_interval_ms = 5000;       // echo after this long without traffic
};

class SwitchAgent {
 public:
  SwitchAgent(SwitchAgentOptions options, ofproto::Ofproto& ofproto);
  ~SwitchAgent();  // stop()
  SwitchAgent(const SwitchAgent&) = delete;
  SwitchAgent& operator=(const SwitchAgent&) = delete;

  Status start();  // starts the thread
  void stop();     // idempotent

  // Counters for tests and logs.
  uint64_t reconciliations() const { return reconciliations_.load(); }
  uint64_t malformed_messages() const { return malformed_.load(); }

 private:
  void run();
  // One connection's life; returns why it ended.
  std::string session();
  bool wait_for_stop(int timeout_ms);  // true when asked to stop

  // Message handling (one session).
  struct SessionState;
  void handle_text(SessionState& state, const std::string& text);
  void handle_reply(SessionState& state, const Message& message);
  void handle_notification(SessionState& state, const Message& message);
  void after_messages(SessionState& state, bool tick, bool statistics);

  SwitchAgentOptions options_;
  ofproto::Ofproto& ofproto_;
  Reconciler reconciler_;
  Replica replica_;
  Connection connection_;
  std::thread thread_;
  int stop_fds_[2] = {-1, -1};
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> reconciliations_{0};
  std::atomic<uint64_t> malformed_{0};
};

}  // namespace flowpath::ovsdb
