// The XDP program that hands an interface's frames to AF_XDP sockets, when
// the afxdp port must attach it itself: for multi-buffer sockets.
//
// libxdp attaches its default redirect program (xsk_def_xdp_prog.o) on its
// own when a socket is created, but libxdp 1.3 loads it without multi-buffer
// ("frags") support, and such a program cannot take frames larger than a
// page: veth refuses to attach it in native mode once its peer's MTU is
// above ~3.5 KB ("Peer MTU is too large to set XDP"), and generic mode has
// to linearise every large frame for it. The program itself never reads
// packet data, so it is correct with frags; this class loads the same
// object with frags support declared (BPF_F_XDP_HAS_FRAGS, Linux 5.18+),
// attaches it through libxdp (its dispatcher, so other XDP programs on the
// interface keep running) and exposes its socket map, into which the port
// registers its socket (xsk_socket__update_xskmap).
#pragma once

#include <memory>
#include <string>

#include "common/result.h"

struct xdp_program;

namespace flowpath {

class XskRedirectProgram {
 public:
  // Loads and attaches the program to `ifindex` in native or generic (skb)
  // mode. Errors name the step, with the library's last message when it
  // gave one.
  static Result<std::unique_ptr<XskRedirectProgram>> attach(int ifindex, bool native);
  ~XskRedirectProgram();  // detaches the program
  XskRedirectProgram(const XskRedirectProgram&) = delete;
  XskRedirectProgram& operator=(const XskRedirectProgram&) = delete;

  // The XSKMAP (queue -> socket) the program redirects through.
  int socket_map_fd() const { return map_fd_; }

 private:
  XskRedirectProgram(xdp_program* program, int ifindex, bool native, int map_fd)
      : program_(program), ifindex_(ifindex), native_(native), map_fd_(map_fd) {}

  xdp_program* program_;
  int ifindex_;
  bool native_;
  int map_fd_;
};

}  // namespace flowpath
