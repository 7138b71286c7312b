#include "daemon_detach.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>


namespace flowpath::daemon {

namespace {

[[noreturn]] void wait_for_child(pid_t child, int ready_fd) {
  char byte = 0;
  ssize_t n;
  do {
    n = ::read(ready_fd, &byte, 1);
  } while (n < 0 && errno == EINTR);
  if (n == 1) std::_Exit(0);
  // The child closed the pipe without a word: it is exiting.
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) std::_Exit(WEXITSTATUS(status) == 0 ? 1 : WEXITSTATUS(status));
  std::fprintf(stderr, "flowpathd: the detached process died of signal %d before it was ready\n",
               WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  std::_Exit(1);
}

}  // namespace

Result<Detach> Detach::start() {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return make_error(std::string("--detach: cannot create a pipe: ") + std::strerror(errno));
  }
  std::fflush(nullptr);
  pid_t child = ::fork();
  if (child < 0) {
    int err = errno;
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return make_error(std::string("--detach: cannot fork: ") + std::strerror(err));
  }
  if (child > 0) {
    ::close(pipe_fds[1]);
    wait_for_child(child, pipe_fds[0]);
  }
  ::close(pipe_fds[0]);
  if (::setsid() < 0) return make_error(std::string("--detach: setsid: ") + std::strerror(errno));
  if (::chdir("/") != 0) return make_error(std::string("--detach: cannot change to /: ") + std::strerror(errno));
  return Detach(pipe_fds[1]);
}

void Detach::complete() {
  if (ready_fd_ < 0) return;
  char ready = 'R';
  while (::write(ready_fd_, &ready, 1) < 0 && errno == EINTR) {
  }
  ::close(ready_fd_);
  ready_fd_ = -1;
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) return;
  for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) ::dup2(null, fd);
  ::close(null);
}

}  // namespace flowpath::daemon
