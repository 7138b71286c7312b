// Small Linux network-device helpers (ioctls on an ordinary socket) shared by
// the afpacket and tap ports.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "common/result.h"

namespace flowpath {

// strerror(err) as a std::string.
std::string errno_text(int err);

// A file descriptor closed on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = other.release();
    }
    return *this;
  }
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset();

 private:
  int fd_ = -1;
};

// Checks that `name` fits IFNAMSIZ: "interface name 'x...' is longer than 15 bytes".
Status check_interface_name(const std::string& name);

// The ifindex of `name`, or "interface NAME does not exist".
Result<int> interface_index(const std::string& name);

// The device's MTU (SIOCGIFMTU).
Result<uint32_t> interface_mtu(const std::string& name);
Status set_interface_mtu(const std::string& name, uint32_t mtu);

// The device's Ethernet address (SIOCGIFHWADDR) and setting it.
Result<std::array<uint8_t, 6>> interface_mac(const std::string& name);
Status set_interface_mac(const std::string& name, const std::array<uint8_t, 6>& mac);

// Whether IFF_UP is set (the administrative state).
Result<bool> interface_admin_up(const std::string& name);

// Whether IFF_UP and IFF_RUNNING are set: administratively up with carrier
// (what LinkState::up says from rtnetlink events).
Result<bool> interface_link_up(const std::string& name);

// Sets IFF_UP (keeps the other flags).
Status bring_interface_up(const std::string& name);

}  // namespace flowpath
