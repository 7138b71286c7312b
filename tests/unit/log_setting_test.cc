// Log levels, the module registry and `vlog/set` settings: what each word
// means, what a setting changes, and the refusals, word for word.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

#include "common/log_level.h"
#include "common/log_modules.h"
#include "common/log_setting.h"

namespace flowpath {
namespace {

TEST(LogLevel, OpenVswitchNamesInAnyCase) {
  EXPECT_EQ(parse_log_level("off"), LogLevel::kOff);
  EXPECT_EQ(parse_log_level("EMER"), LogLevel::kEmer);
  EXPECT_EQ(parse_log_level("err"), LogLevel::kErr);
  EXPECT_EQ(parse_log_level("Warn"), LogLevel::kWarn);
  EXPECT_EQ(parse_log_level("info"), LogLevel::kInfo);
  EXPECT_EQ(parse_log_level("DBG"), LogLevel::kDbg);
  // spdlog's spellings are not vlog's.
  EXPECT_FALSE(parse_log_level("debug"));
  EXPECT_FALSE(parse_log_level("error"));
  EXPECT_FALSE(parse_log_level("warning"));
  EXPECT_FALSE(parse_log_level(""));
  EXPECT_FALSE(parse_log_level("dbgx"));
  for (LogLevel level : kLogLevels) EXPECT_EQ(parse_log_level(to_string(level)), level);
}

TEST(LogLevel, ThresholdsAdmitTheLevelAndWhatIsMoreSevere) {
  EXPECT_EQ(threshold(LogLevel::kDbg), spdlog::level::trace);
  EXPECT_EQ(threshold(LogLevel::kEmer), spdlog::level::critical);
  EXPECT_EQ(threshold(LogLevel::kOff), spdlog::level::off);
  EXPECT_EQ(level_of_message(spdlog::level::debug), LogLevel::kDbg);
  EXPECT_EQ(level_of_message(spdlog::level::warn), LogLevel::kWarn);
  EXPECT_EQ(level_of_message(spdlog::level::critical), LogLevel::kEmer);
}

TEST(LogModules, NamedAfterTheTree) {
  EXPECT_EQ(find_log_module("datapath"), LogModule::kDatapath);
  EXPECT_EQ(find_log_module("VPORT"), LogModule::kVport);
  EXPECT_EQ(find_log_module("upcall"), LogModule::kUpcall);
  EXPECT_EQ(find_log_module("daemon"), LogModule::kDaemon);
  EXPECT_FALSE(find_log_module("datapth"));
  EXPECT_FALSE(find_log_module("console"));
  for (size_t m = 0; m < kLogModules; ++m) {
    auto module = static_cast<LogModule>(m);
    EXPECT_EQ(find_log_module(to_string(module)), module);
    EXPECT_EQ(module_log(module).name(), to_string(module));
  }
  EXPECT_EQ(find_log_destination("file"), LogDestination::kFile);
  EXPECT_FALSE(find_log_destination("journal"));
}

// Every module and destination back at info.
void reset_levels() { apply_log_setting(LogSetting{std::nullopt, std::nullopt, LogLevel::kInfo}); }

TEST(LogSetting, OneModuleOneDestination) {
  reset_levels();
  auto s = parse_log_setting("vport:file:warn");
  ASSERT_TRUE(s.ok()) << s.error();
  apply_log_setting(*s);
  EXPECT_EQ(log_level(LogModule::kVport, LogDestination::kFile), LogLevel::kWarn);
  EXPECT_EQ(log_level(LogModule::kVport, LogDestination::kConsole), LogLevel::kInfo);
  EXPECT_EQ(log_level(LogModule::kDatapath, LogDestination::kFile), LogLevel::kInfo);
}

TEST(LogSetting, WordsInAnyOrderWithAnyAndDefaults) {
  reset_levels();
  auto s = parse_log_setting("dbg,datapath");  // every destination
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ(s->module, LogModule::kDatapath);
  EXPECT_FALSE(s->destination);
  apply_log_setting(*s);
  for (size_t d = 0; d < kLogDestinations; ++d)
    EXPECT_EQ(log_level(LogModule::kDatapath, static_cast<LogDestination>(d)), LogLevel::kDbg);
  s = parse_log_setting("ANY:syslog:err");
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_FALSE(s->module);
  EXPECT_EQ(s->destination, LogDestination::kSyslog);
  apply_log_setting(*s);
  EXPECT_EQ(log_level(LogModule::kOvsdb, LogDestination::kSyslog), LogLevel::kErr);
  EXPECT_EQ(log_level(LogModule::kOvsdb, LogDestination::kFile), LogLevel::kInfo);
  // A module alone is dbg, as in Open vSwitch.
  s = parse_log_setting("ofproto");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->level, LogLevel::kDbg);
  // "MODULE LEVEL" with a space is one setting.
  s = parse_log_setting("upcall warn");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->module, LogModule::kUpcall);
  EXPECT_EQ(s->level, LogLevel::kWarn);
  reset_levels();
}

TEST(LogSetting, TheLoggersFollowTheLevels) {
  reset_levels();
  spdlog::logger& log = module_log(LogModule::kTunnel);
  EXPECT_FALSE(log.should_log(spdlog::level::debug));
  apply_log_setting(*parse_log_setting("tunnel:file:dbg"));
  EXPECT_TRUE(log.should_log(spdlog::level::debug));
  apply_log_setting(*parse_log_setting("tunnel:off"));
  EXPECT_FALSE(log.should_log(spdlog::level::critical));
  reset_levels();
}

TEST(LogSetting, EachDestinationGetsWhatItsLevelAdmits) {
  reset_levels();
  std::ostringstream console_text, file_text;
  auto console = std::make_shared<spdlog::sinks::ostream_sink_st>(console_text);
  auto file = std::make_shared<spdlog::sinks::ostream_sink_st>(file_text);
  console->set_pattern("%n %l %v");
  file->set_pattern("%n %l %v");
  set_log_destination(LogDestination::kConsole, console);
  set_log_destination(LogDestination::kFile, file);
  apply_log_setting(*parse_log_setting("conntrack:file:dbg"));
  apply_log_setting(*parse_log_setting("conntrack:console:warn"));
  module_log(LogModule::kConntrack).debug("detail {}", 1);
  module_log(LogModule::kConntrack).warn("trouble {}", 2);
  EXPECT_EQ(console_text.str(), "conntrack warning trouble 2\n");
  EXPECT_EQ(file_text.str(), "conntrack debug detail 1\nconntrack warning trouble 2\n");
  set_log_destination(LogDestination::kFile, nullptr);
  EXPECT_FALSE(log_destination_open(LogDestination::kFile));
  module_log(LogModule::kConntrack).warn("nowhere");
  EXPECT_EQ(file_text.str(), "conntrack debug detail 1\nconntrack warning trouble 2\n");
  set_log_destination(LogDestination::kConsole, nullptr);
  reset_levels();
}

TEST(LogSetting, Refusals) {
  auto error = [](std::string_view text) {
    auto s = parse_log_setting(text);
    return s.ok() ? std::string("accepted") : s.error();
  };
  EXPECT_EQ(error("datapath:console:dbug"),
            "\"dbug\" is no level (levels: off, emer, err, warn, info, dbg)");
  EXPECT_EQ(error("datapth:dbg"),
            "\"datapth\" is no module or destination (modules: common, packet, flow, tunnel, "
            "table, actions, odp, conntrack, vport, datapath, openflow, upcall, ofproto, ovsdb, "
            "control, daemon, ANY; destinations: console, syslog, file, ANY)");
  EXPECT_EQ(error("datapath:journal:dbg"),
            "\"journal\" is no destination (destinations: console, syslog, file, ANY)");
  EXPECT_EQ(error("datapath:vport"), "two modules in \"datapath:vport\": give one, or ANY");
  EXPECT_EQ(error("file:console"), "two destinations in \"file:console\": give one, or ANY");
  EXPECT_EQ(error("info:dbg"), "two levels in \"info:dbg\": give one");
  EXPECT_EQ(error("ANY:ANY:ANY"), "\"ANY\" given a third time in \"ANY:ANY:ANY\"");
  EXPECT_EQ(error("a:b:c:d"), "\"a:b:c:d\" has more than three words: give MODULE[:DESTINATION][:LEVEL]");
  EXPECT_EQ(error(""), "empty log setting: give MODULE[:DESTINATION][:LEVEL]");
  EXPECT_EQ(error(" : "), "empty log setting: give MODULE[:DESTINATION][:LEVEL]");
  EXPECT_EQ(error("PATTERN:console:%m"),
            "PATTERN settings are not supported: flowpathd's line format is fixed");
  EXPECT_EQ(error("facility:local0"),
            "FACILITY settings are not supported: flowpathd logs to syslog as daemon");
}

TEST(LogSetting, ABadSettingAmongGoodOnesChangesNothing) {
  reset_levels();
  auto all = parse_log_settings({"datapath:dbg", "vport:loud"});
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.error(), "\"vport:loud\": \"loud\" is no destination or level (destinations: "
                         "console, syslog, file, ANY; levels: off, emer, err, warn, info, dbg)");
  EXPECT_EQ(log_level(LogModule::kDatapath, LogDestination::kConsole), LogLevel::kInfo);
  auto good = parse_log_settings({"datapath:dbg", "vport:warn"});
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->size(), 2u);
}

TEST(LogModules, ListShowsEveryModuleAndDestination) {
  reset_levels();
  apply_log_setting(*parse_log_setting("datapath:file:dbg"));
  std::string text = format_log_levels();
  EXPECT_EQ(text.substr(0, text.find('\n', text.find('\n') + 1) + 1),
            "            console   syslog    file\n"
            "            -------   ------    ----\n");
  EXPECT_NE(text.find("datapath    INFO      INFO      DBG\n"), std::string::npos) << text;
  EXPECT_NE(text.find("daemon      INFO      INFO      INFO\n"), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), static_cast<long>(kLogModules + 2));
  reset_levels();
}

}  // namespace
}  // namespace flowpath
