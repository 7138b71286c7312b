#include "vport/xsk_redirect_program.h"

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

namespace flowpath {

namespace {

// libxdp's default AF_XDP program and its section, found on libxdp's object
// path (LIBXDP_OBJECT_PATH, or where Debian installs it).
constexpr const char* kObjectFile = "xsk_def_xdp_prog.o";
constexpr const char* kSection = "xdp";
constexpr const char* kSocketMap = "xsks_map";

std::string library_error(long err) {
  char text[256] = {};
  libxdp_strerror(static_cast<int>(err), text, sizeof text);
  return text;
}

}  // namespace

Result<std::unique_ptr<XskRedirectProgram>> XskRedirectProgram::attach(int ifindex, bool native) {
  xdp_program* program = xdp_program__find_file(kObjectFile, kSection, nullptr);
  if (long err = libxdp_get_error(program); err != 0) {
    return make_error(std::string("cannot open libxdp's AF_XDP program ") + kObjectFile + ": " +
                      library_error(err));
  }
  if (int err = xdp_program__set_xdp_frags_support(program, true); err != 0) {
    xdp_program__close(program);
    return make_error("cannot declare multi-buffer support for the XDP program: " +
                      library_error(err));
  }
  const xdp_attach_mode mode = native ? XDP_MODE_NATIVE : XDP_MODE_SKB;
  if (int err = xdp_program__attach(program, ifindex, mode, 0); err != 0) {
    xdp_program__close(program);
    return make_error(std::string("cannot attach the multi-buffer XDP program in ") +
                      (native ? "native" : "generic") + " mode: " + library_error(err));
  }
  int map_fd = bpf_object__find_map_fd_by_name(xdp_program__bpf_obj(program), kSocketMap);
  if (map_fd < 0) {
    xdp_program__detach(program, ifindex, mode, 0);
    xdp_program__close(program);
    return make_error(std::string("libxdp's AF_XDP program has no map ") + kSocketMap);
  }
  return std::unique_ptr<XskRedirectProgram>(
      new XskRedirectProgram(program, ifindex, native, map_fd));
}

XskRedirectProgram::~XskRedirectProgram() {
  xdp_program__detach(program_, ifindex_, native_ ? XDP_MODE_NATIVE : XDP_MODE_SKB, 0);
  xdp_program__close(program_);
}

}  // namespace flowpath
