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
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
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
  SwitchDefaults defaults;                 // what an absent other_config key means
  // The routes tunnel interfaces' status is read from (tunnel_egress_iface);
  // none: no such status.
  tunnel::Underlay* underlay = nullptr;
};

class SwitchAgent {
 public:
  SwitchAgent(SwitchAgentOptions options, ofproto::Ofproto& ofproto);
  ~SwitchAgent();  // stop()
  SwitchAgent(const SwitchAgent&) = delete;
  SwitchAgent& operator=(const SwitchAgent&) = delete;

  Status start();  // starts the thread
  void stop();     // idempotent

  // A transaction of fpctl's bridge verbs (vsctl_transaction.h): `build`
  // runs on the agent's thread against the replica; its operations go to the
  // server with next_cfg incremented, as ovs-vsctl does, and transact()
  // returns once flowpathd has applied the change (or the server refused
  // it, or the connection went, or `timeout_ms` passed). Any thread.
  using TransactionBuilder = std::function<Result<Json>(const Replica&)>;
  Status transact(TransactionBuilder build, int timeout_ms);

  // Counters for tests and logs.
  uint64_t reconciliations() const { return reconciliations_.load(); }
  uint64_t malformed_messages() const { return malformed_.load(); }

 private:
  void run();
  // One connection's life; returns why it ended.
  std::string session();
  bool wait_for_stop(int timeout_ms);  // true when asked to stop
  void drain_wake_pipe();


  // Message handling (one session).
  struct SessionState;
  void handle_text(SessionState& state, const std::string& text);
  void handle_reply(SessionState& state, const Message& message);
  void handle_notification(SessionState& state, const Message& message);
  void after_messages(SessionState& state, bool tick, bool statistics);

  struct ClientTransaction {
    TransactionBuilder build;
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    std::string error;
    int64_t wait_cfg = 0;  // applied once the reconciled next_cfg reaches it
    void finish(std::string why);
  };
  using ClientTransactionPtr = std::shared_ptr<ClientTransaction>;
  std::deque<ClientTransactionPtr> take_queued();
  void fail_queued(const std::string& why);
  void start_client_transactions(SessionState& state);
  void client_reply(SessionState& state, const Message& message);

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
  std::mutex queue_mutex_;
  std::deque<ClientTransactionPtr> queued_;
};

}  // namespace flowpath::ovsdb
