// rtnetlink over libmnl, the pieces every user shares: a socket, a dump
// request and its replies, and a message's attributes by type. Users: the
// underlay route table (tunnel/route_netlink.cc) and the interface monitor
// (vport/link_monitor.cc).
#pragma once

#include <libmnl/libmnl.h>

#include <cstddef>
#include <cstdint>

#include "common/result.h"

namespace flowpath::rtnetlink {

// An rtnetlink socket, closed on destruction.
class Socket {
 public:
  // Opened and bound; `groups` are the RTMGRP_* multicast groups to join
  // (0: requests only).
  static Result<Socket> open(unsigned groups = 0);
  Socket() = default;
  ~Socket();
  Socket(Socket&& other) noexcept : socket_(other.socket_) { other.socket_ = nullptr; }
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  mnl_socket* get() const { return socket_; }
  int fd() const { return socket_ != nullptr ? mnl_socket_get_fd(socket_) : -1; }
  uint32_t port_id() const { return socket_ != nullptr ? mnl_socket_get_portid(socket_) : 0; }

 private:
  mnl_socket* socket_ = nullptr;
};

// Sends a dump request of `type` whose family header is `header_size` bytes
// starting with a one-byte family (AF_UNSPEC: every family); returns its
// sequence number.
Result<uint32_t> send_dump_request(const Socket& socket, uint16_t type, size_t header_size);

// send_dump_request(), then calls `callback` for every reply until the
// dump is done.
Status dump(const Socket& socket, uint16_t type, size_t header_size, mnl_cb_t callback,
            void* data);

// Whether a whole message starts at `message` within `left` bytes (for
// walking a buffer with mnl_nlmsg_next). mnl_nlmsg_ok() alone lets a length
// of 2^31 or more through (it compares it as an int).
inline bool message_fits(const nlmsghdr* message, int left) {
  return mnl_nlmsg_ok(message, left) && message->nlmsg_len <= static_cast<uint32_t>(left);
}

// The attributes of a message by type (libmnl's usual table); types past
// the table are ignored.
template <size_t N>
struct AttributeTable {
  const nlattr* by_type[N] = {};
  static int collect(const nlattr* attr, void* data) {
    auto* table = static_cast<AttributeTable*>(data);
    const uint16_t type = mnl_attr_get_type(attr);
    if (type < N) table->by_type[type] = attr;
    return MNL_CB_OK;
  }
  // Reads the attributes of `message` after its family header.
  void parse(const nlmsghdr* message, size_t header_size) {
    mnl_attr_parse(message, static_cast<unsigned>(header_size), collect, this);
  }
  // The attribute of `type` when its payload is `length` bytes, else nullptr.
  const nlattr* get(uint16_t type, size_t length) const {
    const nlattr* a = by_type[type];
    return a != nullptr && mnl_attr_get_payload_len(a) == length ? a : nullptr;
  }
  // A NUL-terminated string attribute of at most `max_length` characters,
  // else nullptr.
  const char* get_string(uint16_t type, size_t max_length) const {
    const nlattr* a = by_type[type];
    if (a == nullptr) return nullptr;
    const size_t length = mnl_attr_get_payload_len(a);
    const auto* text = static_cast<const char*>(mnl_attr_get_payload(a));
    if (length == 0 || length > max_length + 1 || text[length - 1] != '\0') return nullptr;
    return text;
  }
};

}  // namespace flowpath::rtnetlink
