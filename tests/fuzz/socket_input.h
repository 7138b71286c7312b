// The fuzz input as a client sends it to the control server: written whole
// into one end of a Unix stream pair (a send buffer of 1 MiB, so it fits),
// that end then shut for writing, and the other end read by the server's
// connection code. `fds` gets {writer, reader}; the caller closes the writer.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

inline bool socket_with_input(const uint8_t* data, size_t size, int fds[2]) {
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) return false;
  int bufsize = 1 << 20;
  setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof bufsize);
  for (size_t off = 0; off < size;) {
    ssize_t n = write(fds[0], data + off, size - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  shutdown(fds[0], SHUT_WR);
  return true;
}
