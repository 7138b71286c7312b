// flowpath's log modules, after Open vSwitch's vlog: every message belongs to
// a module named after the part of the source tree it comes from (the
// folders of DESIGN.md's layers, plus `daemon` for flowpathd itself), and
// each module has a level per destination (console, syslog, file), which
// `fpctl vlog/set` changes while the daemon runs.
//
// Each module is an spdlog logger named after it, whose sinks are one gate
// per destination: the gate's level is the module's level there, and it
// passes what it admits on to the destination's sink (the daemon's console,
// syslog and file sinks, set_log_destination()). Level checks are spdlog's
// atomic loads; a message below every destination's level costs one load
// and is never formatted.
//
// Which thread may log: any thread but a forwarding thread in its packet
// loop. Sinks take locks and write(2); a forwarding thread counts what it
// has to say and a control-side thread logs it (log_rate_limit.h).
#pragma once

#include <spdlog/logger.h>
#include <spdlog/sinks/sink.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "common/log_level.h"

namespace flowpath {

enum class LogModule : uint8_t {
  kCommon,
  kPacket,
  kFlow,
  kTunnel,
  kTable,
  kActions,
  kOdp,
  kConntrack,
  kVport,
  kDatapath,
  kOpenflow,
  kUpcall,  // upcall handlers and revalidators (Open vSwitch's udpif)
  kOfproto,
  kOvsdb,
  kControl,
  kDaemon,  // flowpathd's own life: start, signals, state file
};
inline constexpr size_t kLogModules = 16;

enum class LogDestination : uint8_t { kConsole, kSyslog, kFile };
inline constexpr size_t kLogDestinations = 3;

std::string_view to_string(LogModule module);
std::string_view to_string(LogDestination destination);
// By name, in any case; nullopt for an unknown word.
std::optional<LogModule> find_log_module(std::string_view name);
std::optional<LogDestination> find_log_destination(std::string_view name);
// "common, packet, ...": for messages that list the choices.
std::string log_module_names();
std::string_view log_destination_names();

// The module's logger: module_log(LogModule::kDatapath).info("...", ...).
spdlog::logger& module_log(LogModule module);

// Makes the module's logger spdlog's default one, which spdlog::info() and
// the rest use.
void make_default_log(LogModule module);

LogLevel log_level(LogModule module, LogDestination destination);
void set_log_level(LogModule module, LogDestination destination, LogLevel level);

// Where a destination's messages go: nullptr for nowhere (the file without
// --log-file, syslog without --syslog). Before any call the console is
// stderr and the others are nowhere.
void set_log_destination(LogDestination destination, spdlog::sink_ptr sink);
bool log_destination_open(LogDestination destination);

// Every module's levels as `fpctl vlog/list` prints them: a header line
// with the destinations, then one line per module.
std::string format_log_levels();

}  // namespace flowpath
