// libFuzzer target for the state file parser (TOML through toml++, then our
// checks of bridges, ports, rules, groups and meters). The file is outside
// input: an operator edits it, a disk corrupts it. Whatever parses must
// format, and the formatted text must parse back to a state that formats
// the same: what flowpathd saves, it can read at the next start.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ofproto/bridge_config.h"

namespace {

[[noreturn]] void fail(const char* what, const std::string& a, const std::string& b) {
  std::fprintf(stderr, "%s\n  first:  %s\n  second: %s\n", what, a.c_str(), b.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace flowpath::ofproto;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto state = parse_state_text(text, "fuzz.toml");
  if (!state.ok()) return 0;
  auto saved = format_state_text(*state);
  if (!saved.ok()) fail("a parsed state does not format", std::string(text), saved.error());
  auto again = parse_state_text(*saved, "saved.toml");
  if (!again.ok()) fail("a saved state does not parse", *saved, again.error());
  auto resaved = format_state_text(*again);
  if (!resaved.ok() || *resaved != *saved) {
    fail("a saved state reads back differently", *saved, resaved.ok() ? *resaved : resaved.error());
  }
  return 0;
}
