#include "common/rtnetlink.h"

#include <linux/netlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <string>

namespace flowpath::rtnetlink {

namespace {

std::string error_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace

Result<Socket> Socket::open(unsigned groups) {
  Socket s;
  s.socket_ = mnl_socket_open(NETLINK_ROUTE);
  if (s.socket_ == nullptr) return make_error(error_text("rtnetlink: cannot open a socket"));
  if (mnl_socket_bind(s.socket_, groups, MNL_SOCKET_AUTOPID) < 0)
    return make_error(error_text("rtnetlink: cannot bind"));
  return s;
}

Socket::~Socket() {
  if (socket_ != nullptr) mnl_socket_close(socket_);
}

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    if (socket_ != nullptr) mnl_socket_close(socket_);
    socket_ = other.socket_;
    other.socket_ = nullptr;
  }
  return *this;
}

Result<uint32_t> send_dump_request(const Socket& socket, uint16_t type, size_t header_size) {
  static uint32_t next_sequence = static_cast<uint32_t>(time(nullptr));
  char buffer[MNL_SOCKET_BUFFER_SIZE];
  nlmsghdr* request = mnl_nlmsg_put_header(buffer);
  request->nlmsg_type = type;
  request->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  const uint32_t seq = __atomic_add_fetch(&next_sequence, 1, __ATOMIC_RELAXED);
  request->nlmsg_seq = seq;
  auto* family = static_cast<uint8_t*>(mnl_nlmsg_put_extra_header(request, header_size));
  *family = AF_UNSPEC;
  if (mnl_socket_sendto(socket.get(), request, request->nlmsg_len) < 0)
    return make_error(error_text("rtnetlink: cannot send a dump request"));
  return seq;
}

Status dump(const Socket& socket, uint16_t type, size_t header_size, mnl_cb_t callback,
            void* data) {
  TRY_ASSIGN(seq, send_dump_request(socket, type, header_size));
  char buffer[MNL_SOCKET_BUFFER_SIZE];
  const uint32_t port = socket.port_id();
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(socket.get(), buffer, sizeof buffer);
    if (n < 0) return make_error(error_text("rtnetlink: receiving a dump"));
    int r = mnl_cb_run(buffer, static_cast<size_t>(n), seq, port, callback, data);
    if (r == MNL_CB_STOP) return Ok{};
    if (r < 0) return make_error(error_text("rtnetlink: dump failed"));
  }
}

}  // namespace flowpath::rtnetlink
