// A log sink that escapes control characters in each message before the
// sink it wraps formats it (text_escape.h): anything a client sent may
// appear in a message (a bridge name, a flow, an error quoting them), and
// escaping where every message passes means no caller can forget to. Works
// with whatever sinks and patterns the daemon's logger has.
#pragma once

#include <spdlog/logger.h>
#include <spdlog/sinks/sink.h>

#include <memory>
#include <string>
#include <utility>

#include "common/text_escape.h"

namespace flowpath {

class EscapingLogSink final : public spdlog::sinks::sink {
 public:
  explicit EscapingLogSink(spdlog::sink_ptr inner) : inner_(std::move(inner)) {
    set_level(inner_->level());
  }
  void log(const spdlog::details::log_msg& msg) override {
    std::string_view payload(msg.payload.data(), msg.payload.size());
    if (!needs_escaping(payload)) {
      inner_->log(msg);
      return;
    }
    std::string escaped = escape_control_characters(payload);
    spdlog::details::log_msg copy = msg;
    copy.payload = spdlog::string_view_t(escaped.data(), escaped.size());
    inner_->log(copy);
  }
  void flush() override { inner_->flush(); }
  void set_pattern(const std::string& pattern) override { inner_->set_pattern(pattern); }
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override {
    inner_->set_formatter(std::move(formatter));
  }

 private:
  spdlog::sink_ptr inner_;
};

// Wraps every sink of `logger` (call once, after its sinks are set up).
inline void escape_log_messages(spdlog::logger& logger) {
  for (spdlog::sink_ptr& sink : logger.sinks()) sink = std::make_shared<EscapingLogSink>(sink);
}

}  // namespace flowpath
