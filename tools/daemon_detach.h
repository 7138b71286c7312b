// --detach, as ovs-vswitchd's: flowpathd forks; the parent waits until the
// child is ready to serve (bridges restored, socket listening) and exits 0,
// or, if the child exits first, exits with the child's status. A shell or an
// init script therefore sees startup errors, on the terminal (the child's
// stderr stays connected until it is ready) and in the exit status. The
// child leaves the terminal's session and works in /, so relative paths must
// be made absolute before.
#pragma once

#include "common/result.h"

namespace flowpath::daemon {

class Detach {
 public:
  // Forks. Returns in the child only; the parent exits. Call it before any
  // thread is started.
  static Result<Detach> start();
  // In the child: tells the parent to exit 0, then points stdin, stdout and
  // stderr at /dev/null.
  void complete();

 private:
  explicit Detach(int ready_fd) : ready_fd_(ready_fd) {}
  int ready_fd_;
};

}  // namespace flowpath::daemon
