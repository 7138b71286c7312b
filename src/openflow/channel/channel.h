// One OpenFlow connection, either side: framing of the byte stream into
// messages, the hello exchange and version negotiation, echo requests
// answered, inactivity probes (an echo request after `probe_interval_ms`
// without a message, the connection dropped after as long again), and an
// output queue bounded for asynchronous messages. Non-blocking: the owner
// polls fd() for poll_events() and calls read()/write()/run().
//
// Messages that fail framing checks (length, version, unknown type) are
// answered with the standard error here and not handed up.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "openflow/wire/hello.h"
#include "openflow/wire/ofp_buffer.h"

namespace flowpath::openflow::channel {

using wire::Bytes;

struct ChannelOptions {
  uint32_t versions = wire::kSupportedVersions;  // bitmap offered in our hello
  uint32_t probe_interval_ms = 0;                // 0: no inactivity probes
  // Asynchronous messages (packet-ins, port status) are dropped while this
  // much output waits: a slow peer never makes the switch buffer without
  // bound. Replies are always queued.
  size_t max_async_backlog = 1 << 20;
};

class Channel {
 public:
  enum class State : uint8_t { kConnecting, kHello, kOpen, kClosed };

  // `connecting`: a non-blocking connect is under way (the hello is sent
  // once it completes).
  Channel(int fd, std::string name, ChannelOptions options, uint64_t now_ms,
          bool connecting = false);
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  int fd() const { return fd_; }
  const std::string& name() const { return name_; }
  State state() const { return state_; }
  bool is_open() const { return state_ == State::kOpen; }
  uint8_t version() const { return version_; }  // once open
  // Why it closed ("connection refused", "no common OpenFlow version", ...).
  const std::string& error() const { return error_; }
  short poll_events() const;

  // Reads what is available and appends the whole messages of an open
  // channel to `messages`. Returns false once the channel is closed.
  bool read(std::vector<Bytes>& messages, uint64_t now_ms);
  // Writes queued output (and completes a connect). False once closed.
  bool write(uint64_t now_ms);
  // Probes; false once closed. next_deadline_ms(): when run() next has work.
  bool run(uint64_t now_ms);
  uint64_t next_deadline_ms() const;

  void send(Bytes message);
  // An asynchronous message: false (and dropped) when the backlog is full.
  bool send_async(Bytes message);
  size_t backlog() const { return backlog_; }
  uint64_t async_dropped() const { return async_dropped_; }

  void close(std::string why);

 private:
  void on_message(Bytes message, std::vector<Bytes>& messages);
  void send_hello();

  int fd_;
  std::string name_;
  ChannelOptions options_;
  State state_;
  uint8_t version_ = 0;
  std::string error_;
  Bytes input_;
  std::deque<Bytes> output_;
  size_t output_offset_ = 0;  // bytes of output_.front() already written
  size_t backlog_ = 0;
  uint64_t async_dropped_ = 0;
  uint64_t last_received_ms_;
  bool probe_sent_ = false;
  uint32_t next_xid_ = 1;
};

}  // namespace flowpath::openflow::channel
