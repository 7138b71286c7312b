// Validation of Netlink action lists received from outside (control socket,
// upcall handlers): every attribute length, every nesting level, payload
// values in range, set/set_masked only on settable key attributes of the
// right size, recursion depth bounded.
#pragma once

#include <cstdint>
#include <span>

#include "common/result.h"

namespace flowpath {

inline constexpr int kMaxActionNesting = 16;

Status validate_actions(std::span<const uint8_t> actions);

}  // namespace flowpath
