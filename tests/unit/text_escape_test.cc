// Escaping of client-sent text in the daemon's log: no control character
// reaches a log line, so a newline in a bridge name cannot forge the next
// line, and the escaping sink applies it to every message whatever the sink.
#include <gtest/gtest.h>

#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <memory>
#include <sstream>

#include "common/escaping_log_sink.h"
#include "common/text_escape.h"

namespace flowpath {
namespace {

TEST(TextEscapeTest, ControlCharactersAreEscapedAndTheRestKept) {
  EXPECT_EQ(escape_control_characters("br0"), "br0");
  EXPECT_EQ(escape_control_characters("a\nb\rc\td"), "a\\nb\\rc\\td");
  EXPECT_EQ(escape_control_characters(std::string("x\0y", 3)), "x\\x00y");
  EXPECT_EQ(escape_control_characters("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(escape_control_characters("del\x7f"), "del\\x7f");
  // C1 controls as UTF-8 (U+0085 NEL, U+009B CSI), byte by byte.
  EXPECT_EQ(escape_control_characters("a\xc2\x85z\xc2\x9b"), "a\\xc2\\x85z\\xc2\\x9b");
  // Other UTF-8 and backslashes are kept as they are.
  EXPECT_EQ(escape_control_characters("caf\xc3\xa9 \\n {\"a\":1}"), "caf\xc3\xa9 \\n {\"a\":1}");
  EXPECT_EQ(escape_control_characters("end\xc2"), "end\xc2");  // truncated, not a C1
  EXPECT_FALSE(needs_escaping("plain \xc3\xa9"));
  EXPECT_TRUE(needs_escaping("a\n"));
  EXPECT_TRUE(needs_escaping("a\xc2\x80"));
}

TEST(TextEscapeTest, TheLogSinkEscapesEveryMessage) {
  std::ostringstream out;
  auto inner = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  spdlog::logger logger("test", inner);
  logger.set_pattern("[%l] %v");
  escape_log_messages(logger);
  logger.warn("refused bridge name \"{}\"", "br0\n[info] forged line");
  logger.info("plain {}", 1);
  logger.flush();
  EXPECT_EQ(out.str(),
            "[warning] refused bridge name \"br0\\n[info] forged line\"\n"
            "[info] plain 1\n");
}

}  // namespace
}  // namespace flowpath
