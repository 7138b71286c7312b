#include "datapath/packet_filter.h"

#include <pcap/pcap.h>

#include <memory>

namespace flowpath {

Result<PacketFilter> PacketFilter::compile(const std::string& expression) {
  // A dead handle for Ethernet frames of any length our buffers hold.
  std::unique_ptr<pcap_t, void (*)(pcap_t*)> pcap(pcap_open_dead(DLT_EN10MB, 262144), pcap_close);
  if (!pcap) return make_error("filter \"" + expression + "\": libpcap could not open a handle");
  bpf_program program{};
  // pcap_compile() is not thread safe before libpcap 1.8; Debian's is newer.
  if (pcap_compile(pcap.get(), &program, expression.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    return make_error("filter \"" + expression + "\" does not compile: " +
                      pcap_geterr(pcap.get()));
  }
  PacketFilter filter;
  filter.expression_ = expression;
  filter.program_.assign(program.bf_insns, program.bf_insns + program.bf_len);
  pcap_freecode(&program);
  return filter;
}

}  // namespace flowpath
