#include "ovsdb/switch_agent.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "common/log_modules.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <map>

#include "common/clock.h"

namespace flowpath::ovsdb {

namespace {

constexpr int kConnectTimeoutMs = 5000;
constexpr int kFirstBackoffMs = 1000;
constexpr int kMaxBackoffMs = 8000;
constexpr const char* kLockName = "ovs_vswitchd";  // as ovs-vswitchd, so only one of us runs

}  // namespace

struct SwitchAgent::SessionState {
  bool monitoring = false;
  bool locked = false;
  bool dirty = false;           // the replica changed since the last reconciliation
  bool status_due = false;      // write status soon
  bool transaction_in_flight = false;
  bool echo_outstanding = false;
  uint64_t next_id = 1;
  uint64_t last_received_ms = 0;
  uint64_t echo_sent_ms = 0;
  SwitchIntent intent;
  std::string error;  // set to end the session
  // fpctl's transactions: sent (by request id), and committed but waiting
  // for the reconciliation of their next_cfg.
  std::map<std::string, ClientTransactionPtr> client_in_flight;
  std::vector<ClientTransactionPtr> client_applying;
  void fail_clients(const std::string& why) {
    for (auto& [id, t] : client_in_flight) t->finish(why);
    for (auto& t : client_applying) t->finish(why);
    client_in_flight.clear();
    client_applying.clear();
  }
};

void SwitchAgent::ClientTransaction::finish(std::string why) {
  std::lock_guard guard(mutex);
  if (done) return;
  done = true;
  error = std::move(why);
  done_cv.notify_all();
}

Status SwitchAgent::transact(TransactionBuilder build, int timeout_ms) {
  if (!thread_.joinable()) return make_error("ovsdb: the agent is not running");
  auto transaction = std::make_shared<ClientTransaction>();
  transaction->build = std::move(build);
  {
    std::lock_guard guard(queue_mutex_);
    queued_.push_back(transaction);
  }
  char byte = 1;
  [[maybe_unused]] ssize_t n = ::write(stop_fds_[1], &byte, 1);
  std::unique_lock lock(transaction->mutex);
  if (!transaction->done_cv.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                                     [&] { return transaction->done; }))
    return make_error("OVSDB at " + options_.remote.text + ": no answer within " +
                      std::to_string(timeout_ms / 1000) + " s (is ovsdb-server running?)");
  if (!transaction->error.empty()) return make_error(transaction->error);
  return Ok{};
}

std::deque<SwitchAgent::ClientTransactionPtr> SwitchAgent::take_queued() {
  std::lock_guard guard(queue_mutex_);
  std::deque<ClientTransactionPtr> out;
  out.swap(queued_);
  return out;
}

void SwitchAgent::fail_queued(const std::string& why) {
  for (auto& t : take_queued()) t->finish(why);
}

void SwitchAgent::drain_wake_pipe() {
  char buffer[64];
  while (::read(stop_fds_[0], buffer, sizeof buffer) > 0) {
  }
}

void SwitchAgent::start_client_transactions(SessionState& state) {
  if (!state.monitoring) return;
  for (ClientTransactionPtr& t : take_queued()) {
    auto operations = t->build(replica_);
    if (!operations.ok()) {
      t->finish(operations.error());
      continue;
    }
    if (operations->empty()) {  // --may-exist, --if-exists: nothing to do
      t->finish("");
      continue;
    }
    Json params = Json::array({options_.database});
    for (Json& operation : *operations) params.push_back(std::move(operation));
    // As ovs-vsctl: ask the switch to report when it has applied this.
    params.push_back({{"op", "mutate"},
                      {"table", "Open_vSwitch"},
                      {"where", Json::array()},
                      {"mutations", Json::array({Json::array({"next_cfg", "+=", 1})})}});
    params.push_back({{"op", "select"},
                      {"table", "Open_vSwitch"},
                      {"where", Json::array()},
                      {"columns", Json::array({"next_cfg"})}});
    std::string id = "client-" + std::to_string(state.next_id++);
    if (auto st = connection_.send(encode_request("transact", std::move(params), id)); !st.ok()) {
      t->finish("OVSDB at " + options_.remote.text + ": " + st.error());
      state.error = st.error();
      return;
    }
    state.client_in_flight[id] = std::move(t);
  }
}

void SwitchAgent::client_reply(SessionState& state, const Message& message) {
  auto found = state.client_in_flight.find(message.id.get<std::string>());
  if (found == state.client_in_flight.end()) return;
  ClientTransactionPtr t = std::move(found->second);
  state.client_in_flight.erase(found);
  if (!message.error.is_null()) {
    t->finish("OVSDB refused the transaction: " + describe(message.error));
    return;
  }
  if (!message.result.is_array() || message.result.empty()) {
    t->finish("OVSDB's reply to the transaction is not a list of results: " +
              describe(message.result));
    return;
  }
  for (const Json& result : message.result) {
    if (result.is_object() && result.contains("error")) {
      std::string text = result["error"].is_string() ? result["error"].get<std::string>()
                                                     : describe(result["error"]);
      if (result.contains("details") && result["details"].is_string())
        text += ": " + result["details"].get<std::string>();
      t->finish("OVSDB refused the transaction: " + text);
      return;
    }
  }
  const Json& select = message.result.back();
  if (!select.is_object() || !select.contains("rows") || !select["rows"].is_array() ||
      select["rows"].empty()) {
    t->finish("");  // no root row: nothing to wait for
    return;
  }
  const Json& next_cfg = select["rows"][0].contains("next_cfg") ? select["rows"][0]["next_cfg"] : Json();
  if (!next_cfg.is_number_integer()) {
    t->finish("");
    return;
  }
  t->wait_cfg = next_cfg.get<int64_t>();
  state.client_applying.push_back(std::move(t));
}

SwitchAgent::SwitchAgent(SwitchAgentOptions options, ofproto::Ofproto& ofproto)
    : options_(std::move(options)),
      ofproto_(ofproto),
      reconciler_(ofproto, options_.defaults, options_.underlay) {}

SwitchAgent::~SwitchAgent() { stop(); }

Status SwitchAgent::start() {
  if (::pipe2(stop_fds_, O_CLOEXEC | O_NONBLOCK) != 0)
    return make_error("ovsdb: cannot create a pipe");
  thread_ = std::thread([this] { run(); });
  return Ok{};
}

void SwitchAgent::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  char byte = 0;
  [[maybe_unused]] ssize_t n = ::write(stop_fds_[1], &byte, 1);
  thread_.join();
  ::close(stop_fds_[0]);
  ::close(stop_fds_[1]);
}

bool SwitchAgent::wait_for_stop(int timeout_ms) {
  // While there is no connection, fpctl's transactions fail at once.
  uint64_t deadline = monotonic_ms() + static_cast<uint64_t>(timeout_ms);
  for (;;) {
    fail_queued("flowpathd is not connected to OVSDB at " + options_.remote.text);
    uint64_t now = monotonic_ms();
    if (stopping_ || now >= deadline) return stopping_;
    pollfd pfd{stop_fds_[0], POLLIN, 0};
    ::poll(&pfd, 1, static_cast<int>(deadline - now));
    drain_wake_pipe();
  }
}

void SwitchAgent::run() {
  int backoff_ms = kFirstBackoffMs;
  std::string last_failure;
  while (!stopping_) {
    if (auto st = connection_.connect(options_.remote, kConnectTimeoutMs); !st.ok()) {
      // One line per kind of failure, not one per retry.
      if (st.error() != last_failure)
        module_log(LogModule::kOvsdb).warn("ovsdb: {}; retrying every {} s at most", st.error(), kMaxBackoffMs / 1000);
      last_failure = st.error();
      if (wait_for_stop(backoff_ms)) break;
      backoff_ms = std::min(backoff_ms * 2, kMaxBackoffMs);
      continue;
    }
    module_log(LogModule::kOvsdb).info("ovsdb: connected to {}", options_.remote.text);
    last_failure.clear();
    backoff_ms = kFirstBackoffMs;
    std::string why = session();
    fail_queued("OVSDB at " + options_.remote.text + ": " + why);
    connection_.close();
    replica_.clear();
    if (stopping_) break;
    module_log(LogModule::kOvsdb).warn("ovsdb: connection to {} lost: {}; reconnecting", options_.remote.text, why);
    if (wait_for_stop(backoff_ms)) break;
  }
  fail_queued("flowpathd is stopping");
  module_log(LogModule::kOvsdb).info("ovsdb: stopped");
}

std::string SwitchAgent::session() {
  SessionState state;
  // fpctl's transactions still waiting when the session ends fail with it.
  struct FailClients {
    SessionState& state;
    std::string remote;
    ~FailClients() {
      state.fail_clients("the connection to OVSDB at " + remote +
                         " ended before the change was confirmed");
    }
  } fail_clients{state, options_.remote.text};
  state.last_received_ms = monotonic_ms();
  Json monitor_requests = Json::object();
  for (const auto& [table, columns] : monitored_columns())
    monitor_requests[table] = Json{{"columns", columns}};
  if (auto st = connection_.send(encode_request("lock", Json::array({kLockName}), "lock")); !st.ok())
    return st.error();
  if (auto st = connection_.send(encode_request(
          "monitor", Json::array({options_.database, "flowpath", monitor_requests}), "monitor"));
      !st.ok())
    return st.error();

  uint64_t next_status_ms = 0, next_statistics_ms = 0;
  std::vector<std::string> texts;
  while (!stopping_) {
    uint64_t now = monotonic_ms();
    int timeout = static_cast<int>(std::min<uint64_t>(
        next_status_ms > now ? next_status_ms - now : 0, options_.status_interval_ms));
    pollfd pfds[2] = {{connection_.fd(), static_cast<short>(POLLIN | (connection_.wants_write() ? POLLOUT : 0)), 0},
                      {stop_fds_[0], POLLIN, 0}};
    if (::poll(pfds, 2, timeout) < 0 && errno != EINTR) return "poll failed";
    if (stopping_) break;
    if (pfds[1].revents & POLLIN) drain_wake_pipe();
    if (pfds[0].revents & POLLOUT)
      if (auto flushed = connection_.flush(); !flushed.ok()) return flushed.error();
    if (pfds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      texts.clear();
      Status received = connection_.receive(&texts);
      // Messages that arrived before a framing error are still handled.
      for (const std::string& text : texts) handle_text(state, text);
      if (!received.ok()) return received.error();
      state.last_received_ms = monotonic_ms();
      state.echo_outstanding = false;
    }
    if (!state.error.empty()) return state.error;
    now = monotonic_ms();
    bool tick = now >= next_status_ms;
    bool statistics = now >= next_statistics_ms;
    if (tick) next_status_ms = now + options_.status_interval_ms;
    after_messages(state, tick, statistics);
    start_client_transactions(state);
    if (!state.error.empty()) return state.error;
    if (statistics && state.monitoring && state.locked && !state.transaction_in_flight)
      next_statistics_ms = now + options_.statistics_interval_ms;
    if (!state.error.empty()) return state.error;

    // Liveness: echo after a quiet spell; no answer within another spell ends it.
    if (state.echo_outstanding && now - state.echo_sent_ms > options_.probe_interval_ms)
      return "no reply to an echo request within " +
             std::to_string(options_.probe_interval_ms / 1000) + " s";
    if (!state.echo_outstanding && now - state.last_received_ms > options_.probe_interval_ms) {
      if (auto st = connection_.send(encode_request("echo", Json::array(), "echo")); !st.ok())
        return st.error();
      state.echo_outstanding = true;
      state.echo_sent_ms = now;
    }
  }
  return "stopping";
}

void SwitchAgent::handle_text(SessionState& state, const std::string& text) {
  auto message = decode_message(text);
  if (!message.ok()) {
    ++malformed_;
    module_log(LogModule::kOvsdb).error("ovsdb: malformed message from {}: {}", options_.remote.text, message.error());
    return;
  }
  switch (message->kind) {
    case Message::Kind::kRequest:
      if (message->method == "echo") {
        if (auto st = connection_.send(encode_reply(message->params, message->id)); !st.ok())
          state.error = st.error();
      } else {
        ++malformed_;
        module_log(LogModule::kOvsdb).error("ovsdb: the server sent an unknown request \"{}\"", message->method);
        Json reply = {{"result", nullptr}, {"error", "unknown method"}, {"id", message->id}};
        if (auto st = connection_.send(reply.dump()); !st.ok()) state.error = st.error();
      }
      break;
    case Message::Kind::kNotification:
      handle_notification(state, *message);
      break;
    case Message::Kind::kReply:
      handle_reply(state, *message);
      break;
  }
}

void SwitchAgent::handle_notification(SessionState& state, const Message& message) {
  if (message.method == "update") {
    if (message.params.size() != 2) {
      ++malformed_;
      module_log(LogModule::kOvsdb).error("ovsdb: update notification has {} parameters, not 2", message.params.size());
      return;
    }
    if (auto st = replica_.apply(message.params[1]); !st.ok()) {
      ++malformed_;
      module_log(LogModule::kOvsdb).error("ovsdb: update notification not applied: {}", st.error());
      return;
    }
    state.dirty = true;
  } else if (message.method == "locked") {
    module_log(LogModule::kOvsdb).info("ovsdb: got the {} lock; configuring the switch", kLockName);
    state.locked = true;
    state.dirty = true;
  } else if (message.method == "stolen") {
    module_log(LogModule::kOvsdb).warn("ovsdb: the {} lock was taken by another switch daemon; not configuring "
                 "until it is released", kLockName);
    state.locked = false;
  } else {
    module_log(LogModule::kOvsdb).debug("ovsdb: ignoring notification {}", message.method);
  }
}

void SwitchAgent::handle_reply(SessionState& state, const Message& message) {
  const Json& id = message.id;
  if (!message.error.is_null()) {
    std::string text = describe(message.error);
    if (id == "monitor") {
      state.error = "monitor refused: " + text;
    } else if (id == "lock") {
      state.error = "lock refused: " + text;
    } else if (id.is_string() && id.get<std::string>().starts_with("client-")) {
      client_reply(state, message);
    } else {
      module_log(LogModule::kOvsdb).error("ovsdb: request {} failed: {}", describe(id), text);
      state.transaction_in_flight = false;
    }
    return;
  }
  if (id == "lock") {
    const Json& result = message.result;
    if (!result.is_object() || !result.contains("locked") || !result["locked"].is_boolean()) {
      ++malformed_;
      module_log(LogModule::kOvsdb).error("ovsdb: lock reply is not {{\"locked\": bool}}: {}", describe(result));
      return;
    }
    state.locked = result["locked"].get<bool>();
    if (!state.locked)
      module_log(LogModule::kOvsdb).warn("ovsdb: another switch daemon holds the {} lock; waiting for it", kLockName);
    state.dirty = true;
  } else if (id == "monitor") {
    if (auto st = replica_.reset(message.result); !st.ok()) {
      ++malformed_;
      state.error = "monitor reply not usable: " + st.error();
      return;
    }
    state.monitoring = true;
    state.dirty = true;
  } else if (id.is_string() && id.get<std::string>().starts_with("status")) {
    state.transaction_in_flight = false;
    if (!message.result.is_array()) {
      ++malformed_;
      module_log(LogModule::kOvsdb).error("ovsdb: transaction reply is not an array: {}", describe(message.result));
      return;
    }
    for (const Json& result : message.result)
      if (result.is_object() && result.contains("error"))
        module_log(LogModule::kOvsdb).error("ovsdb: writing status: {}", describe(result));
  } else if (id.is_string() && id.get<std::string>().starts_with("client-")) {
    client_reply(state, message);
  } else if (id == "echo") {
    // Any traffic counts as alive; nothing else to do.
  } else {
    module_log(LogModule::kOvsdb).debug("ovsdb: reply to unknown request {}", describe(id));
  }
}

void SwitchAgent::after_messages(SessionState& state, bool tick, bool statistics) {
  if (!state.monitoring || !state.locked) return;
  if (state.dirty) {
    state.intent = read_switch_intent(replica_);
    reconciler_.apply(state.intent);
    ++reconciliations_;
    state.dirty = false;
    state.status_due = true;
  }
  for (auto it = state.client_applying.begin(); it != state.client_applying.end();) {
    if (state.intent.next_cfg >= (*it)->wait_cfg) {
      (*it)->finish("");
      it = state.client_applying.erase(it);
    } else {
      ++it;
    }
  }
  if (state.transaction_in_flight || !(state.status_due || tick || statistics)) return;
  Json operations = reconciler_.status_operations(state.intent, replica_, statistics);
  state.status_due = false;
  if (operations.empty()) return;
  Json params = Json::array({options_.database});
  for (Json& operation : operations) params.push_back(std::move(operation));
  std::string id = "status-" + std::to_string(state.next_id++);
  if (auto st = connection_.send(encode_request("transact", std::move(params), id)); !st.ok()) {
    state.error = st.error();
    return;
  }
  state.transaction_in_flight = true;
}

}  // namespace flowpath::ovsdb
