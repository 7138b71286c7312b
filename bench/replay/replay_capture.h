// Writes frames to an Ethernet capture file (libpcap): what flowpath-replay's
// null port kept of its output (--write-output), for checking the bytes the
// datapath produced with tcpdump or a script.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace flowpath {

Status write_capture(const std::string& path, const std::vector<std::vector<uint8_t>>& frames);

}  // namespace flowpath
