// A BPF packet filter in tcpdump's syntax (libpcap's pcap_compile), compiled
// once on the control side for Ethernet frames and run by a forwarding
// thread with libpcap's bpf_filter() (an interpreter: no allocation, no
// lock, no system call). The fast-path trace selects packets with it.
#pragma once

#include <pcap/pcap.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"

namespace flowpath {

class PacketFilter {
 public:
  // The empty expression matches every packet (as tcpdump's).
  // Errors: "filter "EXPR" does not compile: <libpcap's message>".
  static Result<PacketFilter> compile(const std::string& expression);

  // Does the frame match? Runs the program over the frame's bytes.
  bool matches(std::span<const uint8_t> frame) const {
    return bpf_filter(program_.data(), frame.data(), static_cast<u_int>(frame.size()),
                      static_cast<u_int>(frame.size())) != 0;
  }

  const std::string& expression() const { return expression_; }
  size_t instructions() const { return program_.size(); }

 private:
  std::string expression_;
  std::vector<bpf_insn> program_;
};

}  // namespace flowpath
