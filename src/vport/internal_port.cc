#include "vport/internal_port.h"

#include "vport/tap_port.h"

namespace flowpath {

Result<std::unique_ptr<Vport>> create_internal_port(const std::string& datapath_name,
                                                    const VportOptions& options) {
  Result<std::unique_ptr<TapPort>> port = TapPort::create(VportKind::kInternal, datapath_name,
                                                          options);
  if (!port) return make_error(port.error());
  return std::unique_ptr<Vport>(std::move(*port));
}

}  // namespace flowpath
