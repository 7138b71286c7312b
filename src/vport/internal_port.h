// The datapath's own port: a TAP device named after the datapath, through
// which the host stack talks to the switch (OVS's "internal" port). It works
// exactly like a tap port (tap_port.h); only its kind differs, so listings
// show "internal".
#pragma once

#include <memory>
#include <string>

#include "vport/vport.h"

namespace flowpath {

// Options as for a tap port (mtu=N).
Result<std::unique_ptr<Vport>> create_internal_port(const std::string& datapath_name,
                                                    const VportOptions& options);

}  // namespace flowpath
