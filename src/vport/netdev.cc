#include "vport/netdev.h"

#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace flowpath {

std::string errno_text(int err) {
  char buffer[128];
  // GNU strerror_r returns the message, which may or may not be in buffer.
  return strerror_r(err, buffer, sizeof buffer);
}

void UniqueFd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

namespace {

// Device ioctls need some socket; a datagram one needs no privilege.
Result<UniqueFd> control_socket() {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error("cannot open a control socket: " + errno_text(errno));
  return UniqueFd(fd);
}

ifreq request_for(const std::string& name) {
  ifreq request;
  std::memset(&request, 0, sizeof request);
  std::memcpy(request.ifr_name, name.data(), name.size());  // size checked < IFNAMSIZ
  return request;
}

}  // namespace

Status check_interface_name(const std::string& name) {
  if (name.empty()) return make_error("interface name is empty");
  if (name.size() >= IFNAMSIZ) {
    return make_error("interface name '" + name + "' is longer than " +
                      std::to_string(IFNAMSIZ - 1) + " bytes");
  }
  return Ok{};
}

Result<int> interface_index(const std::string& name) {
  if (Status valid = check_interface_name(name); !valid) return make_error(valid.error());
  unsigned index = ::if_nametoindex(name.c_str());
  if (index == 0) return make_error("interface " + name + " does not exist");
  return static_cast<int>(index);
}

Result<uint32_t> interface_mtu(const std::string& name) {
  Result<UniqueFd> sock = control_socket();
  if (!sock) return make_error(sock.error());
  ifreq request = request_for(name);
  if (::ioctl(sock->get(), SIOCGIFMTU, &request) < 0) {
    return make_error("cannot read the MTU of " + name + ": " + errno_text(errno));
  }
  return static_cast<uint32_t>(request.ifr_mtu);
}

Status set_interface_mtu(const std::string& name, uint32_t mtu) {
  Result<UniqueFd> sock = control_socket();
  if (!sock) return make_error(sock.error());
  ifreq request = request_for(name);
  request.ifr_mtu = static_cast<int>(mtu);
  if (::ioctl(sock->get(), SIOCSIFMTU, &request) < 0) {
    return make_error("cannot set the MTU of " + name + " to " + std::to_string(mtu) + ": " +
                      errno_text(errno));
  }
  return Ok{};
}

Result<std::array<uint8_t, 6>> interface_mac(const std::string& name) {
  if (Status valid = check_interface_name(name); !valid) return make_error(valid.error());
  Result<UniqueFd> sock = control_socket();
  if (!sock) return make_error(sock.error());
  ifreq request = request_for(name);
  if (::ioctl(sock->get(), SIOCGIFHWADDR, &request) < 0) {
    return make_error("cannot read the Ethernet address of " + name + ": " + errno_text(errno));
  }
  std::array<uint8_t, 6> mac;
  std::memcpy(mac.data(), request.ifr_hwaddr.sa_data, mac.size());
  return mac;
}

Status set_interface_mac(const std::string& name, const std::array<uint8_t, 6>& mac) {
  if (Status valid = check_interface_name(name); !valid) return make_error(valid.error());
  Result<UniqueFd> sock = control_socket();
  if (!sock) return make_error(sock.error());
  ifreq request = request_for(name);
  request.ifr_hwaddr.sa_family = ARPHRD_ETHER;
  std::memcpy(request.ifr_hwaddr.sa_data, mac.data(), mac.size());
  if (::ioctl(sock->get(), SIOCSIFHWADDR, &request) < 0) {
    return make_error("cannot set the Ethernet address of " + name + ": " + errno_text(errno));
  }
  return Ok{};
}

namespace {

// The interface's IFF_* flags (SIOCGIFFLAGS).
Result<unsigned> interface_flags(const std::string& name) {
  if (Status valid = check_interface_name(name); !valid) return make_error(valid.error());
  Result<UniqueFd> sock = control_socket();
  if (!sock) return make_error(sock.error());
  ifreq request = request_for(name);
  if (::ioctl(sock->get(), SIOCGIFFLAGS, &request) < 0) {
    return make_error("cannot read the flags of " + name + ": " + errno_text(errno));
  }
  return static_cast<unsigned>(static_cast<unsigned short>(request.ifr_flags));
}

}  // namespace

Result<bool> interface_admin_up(const std::string& name) {
  TRY_ASSIGN(flags, interface_flags(name));
  return (flags & IFF_UP) != 0;
}

Result<bool> interface_link_up(const std::string& name) {
  TRY_ASSIGN(flags, interface_flags(name));
  return (flags & IFF_UP) != 0 && (flags & IFF_RUNNING) != 0;
}

Status bring_interface_up(const std::string& name) {
  Result<UniqueFd> sock = control_socket();
  if (!sock) return make_error(sock.error());
  ifreq request = request_for(name);
  if (::ioctl(sock->get(), SIOCGIFFLAGS, &request) < 0) {
    return make_error("cannot read the flags of " + name + ": " + errno_text(errno));
  }
  if ((request.ifr_flags & IFF_UP) != 0) return Ok{};
  request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
  if (::ioctl(sock->get(), SIOCSIFFLAGS, &request) < 0) {
    return make_error("cannot bring " + name + " up: " + errno_text(errno));
  }
  return Ok{};
}

}  // namespace flowpath
