// libFuzzer target for the ODP key text: any input that parses must format
// to a canonical form that parses again and formats identically (the
// canonical form is a fixed point), with and without the mask, verbose or
// not. Parsing or formatting must never crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "odp/odp_key_text.h"

namespace {

void require_fixed_point(const std::string& first, std::span<const uint8_t> mask_of_second,
                         const flowpath::OdpKeyAttrs& second, bool use_mask, bool verbose) {
  std::string again = flowpath::format_odp_key(
      second.key, use_mask ? mask_of_second : std::span<const uint8_t>{}, verbose);
  if (again != first) {
    std::fprintf(stderr, "not a fixed point (mask=%d verbose=%d):\n  first:  %s\n  second: %s\n",
                 use_mask, verbose, first.c_str(), again.c_str());
    std::abort();
  }
}

void check(const flowpath::OdpKeyAttrs& parsed, bool use_mask, bool verbose) {
  std::span<const uint8_t> mask = use_mask ? std::span<const uint8_t>(parsed.mask)
                                           : std::span<const uint8_t>{};
  std::string first = flowpath::format_odp_key(parsed.key, mask, verbose);
  auto reparsed = flowpath::parse_odp_key(first);
  if (!reparsed.ok()) {
    std::fprintf(stderr, "canonical form does not parse (mask=%d verbose=%d):\n  %s\n  %s\n",
                 use_mask, verbose, first.c_str(), reparsed.error().c_str());
    std::abort();
  }
  require_fixed_point(first, reparsed->mask, *reparsed, use_mask, verbose);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = flowpath::parse_odp_key(text);
  if (!parsed.ok()) return 0;
  check(*parsed, true, false);
  check(*parsed, true, true);
  check(*parsed, false, false);
  check(*parsed, false, true);
  return 0;
}
