#include "replay_capture.h"

#include <pcap/pcap.h>
#include <sys/time.h>

#include <memory>

namespace flowpath {

Status write_capture(const std::string& path, const std::vector<std::vector<uint8_t>>& frames) {
  std::unique_ptr<pcap_t, void (*)(pcap_t*)> dead(pcap_open_dead(DLT_EN10MB, 65535), pcap_close);
  if (!dead) return make_error("cannot write capture " + path + ": pcap_open_dead failed");
  pcap_dumper_t* dumper = pcap_dump_open(dead.get(), path.c_str());
  if (dumper == nullptr) {
    return make_error("cannot write capture " + path + ": " + pcap_geterr(dead.get()));
  }
  for (size_t i = 0; i < frames.size(); ++i) {
    pcap_pkthdr header{};
    header.ts.tv_usec = static_cast<suseconds_t>(i);
    header.caplen = header.len = static_cast<uint32_t>(frames[i].size());
    pcap_dump(reinterpret_cast<u_char*>(dumper), &header, frames[i].data());
  }
  const bool flushed = pcap_dump_flush(dumper) == 0;
  pcap_dump_close(dumper);
  if (!flushed) return make_error("cannot write capture " + path + ": write failed");
  return Ok{};
}

}  // namespace flowpath
