#include "memory_replay_port.h"

#include <pcap/pcap.h>

#include <cstring>

#include "packet/packet_pool.h"

namespace flowpath {

MemoryReplayPort::MemoryReplayPort(std::string name) : Vport(VportKind::kPcap, std::move(name)) {}

MemoryReplayPort::MemoryReplayPort(std::string name,
                                   const std::vector<std::vector<uint8_t>>& frames)
    : MemoryReplayPort(std::move(name)) {
  for (const std::vector<uint8_t>& frame : frames) append_frame(frame);
}

void MemoryReplayPort::append_frame(std::span<const uint8_t> frame) {
  frames_.push_back(FrameRef{bytes_.size(), static_cast<uint32_t>(frame.size())});
  bytes_.insert(bytes_.end(), frame.begin(), frame.end());
}

Result<std::unique_ptr<MemoryReplayPort>> MemoryReplayPort::load(const std::string& name,
                                                                 const std::string& pcap_path) {
  char error[PCAP_ERRBUF_SIZE] = {};
  pcap_t* capture = pcap_open_offline(pcap_path.c_str(), error);
  if (capture == nullptr) return make_error("cannot open capture " + pcap_path + ": " + error);
  std::unique_ptr<pcap_t, void (*)(pcap_t*)> closer(capture, pcap_close);
  if (pcap_datalink(capture) != DLT_EN10MB) {
    return make_error("capture " + pcap_path + " is not Ethernet (link type " +
                      std::to_string(pcap_datalink(capture)) + ")");
  }
  std::unique_ptr<MemoryReplayPort> port(new MemoryReplayPort(name));
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  int status;
  while ((status = pcap_next_ex(capture, &header, &data)) == 1) {
    if (header->caplen < header->len) {
      return make_error("capture " + pcap_path + ": frame " +
                        std::to_string(port->frames_.size() + 1) + " is truncated (" +
                        std::to_string(header->caplen) + " of " + std::to_string(header->len) +
                        " bytes captured)");
    }
    port->append_frame(std::span<const uint8_t>(data, header->caplen));
  }
  if (status != PCAP_ERROR_BREAK) {
    return make_error("capture " + pcap_path + ": " + pcap_geterr(capture));
  }
  if (port->frames_.empty()) return make_error("capture " + pcap_path + " holds no frames");
  return port;
}

size_t MemoryReplayPort::receive(PacketPool& pool, PacketBatch& out) {
  if (frames_.empty()) return 0;
  const size_t room = PacketBatch::kMaxSize - out.size();
  size_t received = 0;
  uint64_t bytes = 0;
  uint64_t dropped = 0, runts = 0;
  // Bounded by the room, not by what was received, so a file of frames no
  // buffer can hold cannot spin forever.
  for (size_t tries = 0; tries < room; ++tries) {
    const FrameRef& frame = frames_[next_];
    // The frame-size rules of every real port (vport.h).
    if (frame.length < kMinFrameSize || frame.length > pool.max_frame_size()) [[unlikely]] {
      next_ = next_ + 1 == frames_.size() ? 0 : next_ + 1;
      ++(frame.length < kMinFrameSize ? runts : dropped);
      continue;
    }
    Packet* p = pool.allocate(frame.length);
    if (p == nullptr) break;  // the frame stays next in line
    next_ = next_ + 1 == frames_.size() ? 0 : next_ + 1;
    std::memcpy(p->put(frame.length), bytes_.data() + frame.offset, frame.length);
    p->md.in_port = port_no();
    out.add(p);
    bytes += frame.length;
    ++received;
  }
  counters_.add_rx(received, bytes);
  counters_.add_rx_dropped(dropped);
  count_receive_drops(DropReason::kRxInvalidPacket, runts);
  return received;
}

size_t MemoryReplayPort::send(PacketBatch& batch) {
  for (Packet* p : batch) p->pool()->release(p);
  counters_.add_tx_dropped(batch.size());
  batch.clear();
  return 0;
}

}  // namespace flowpath
