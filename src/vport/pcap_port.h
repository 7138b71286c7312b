// An offline port for deterministic tests: receives the frames of a pcap
// file and writes the frames it is sent to another pcap file (libpcap).
//
// Options (at least one of rx/tx):
//   rx=FILE   frames to receive, an Ethernet (EN10MB) capture
//   loop=N    play the rx file N times (default 1; 0 = forever)
//   tx=FILE   capture file the sent frames are written to (replaced)
//   mtu=N     the MTU of the link the port stands for (68..65535, 65535):
//             the datapath sends it no larger frame
//
// Frames follow the rules of every port (vport.h): received frames of any
// size up to 64 KiB are delivered, runts dropped (kRxInvalidPacket), frames
// captured shorter than they were on the wire (caplen < len) counted in
// rx_dropped. There is no descriptor to wait on: wait_fd() is -1 and
// receive() answers at once.
#pragma once

#include <pcap/pcap.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "vport/vport.h"

namespace flowpath {

class PcapPort final : public Vport {
 public:
  static constexpr uint32_t kDefaultMtu = 65535;

  static Result<std::unique_ptr<PcapPort>> open(const std::string& name,
                                                const VportOptions& options);
  ~PcapPort() override;

  size_t receive(PacketPool& pool, PacketBatch& out) override {
    return receive_at_most(pool, out, PacketBatch::kMaxSize);
  }
  size_t send(PacketBatch& batch) override;
  int wait_fd() const override { return -1; }
  uint32_t mtu() const override { return mtu_; }

  // True when every pass over the rx file was delivered (or there is none).
  bool rx_finished() const { return rx_ == nullptr; }

  // For a replay that steps through captures (fpctl replay): receive() that
  // takes at most `max` frames of the file, dropped ones (runts, cut short,
  // too large) included, so a caller asking for one frame moves exactly one
  // frame on.
  size_t receive_at_most(PacketPool& pool, PacketBatch& out, size_t max);
  // The capture time of the frame the next receive starts with, or nullopt
  // when the rx file has none left.
  std::optional<timeval> next_rx_time();
  // Frames sent from now on are stamped `time` instead of the wall clock's
  // time, so a replay writes the same file on every run.
  void set_tx_time(timeval time) { tx_time_ = time; }

 private:
  PcapPort(std::string name, uint32_t mtu) : Vport(VportKind::kPcap, std::move(name)), mtu_(mtu) {}
  Status open_rx(const std::string& path, uint64_t loops);
  Status open_tx(const std::string& path);
  // Starts the next pass at EOF; false (rx closed) when none is left.
  bool start_next_pass();
  // Reads the next frame of the rx file into pending_ (if none is there);
  // false when the file has none left. `errors` counts a damaged file.
  bool read_pending(uint64_t* errors);
  void close_rx();

  uint32_t mtu_;
  pcap_t* rx_ = nullptr;
  // The frame read but not delivered yet for want of a buffer, or nullptr.
  pcap_pkthdr* pending_header_ = nullptr;
  const u_char* pending_frame_ = nullptr;
  std::string rx_path_;
  uint64_t passes_left_ = 0;  // after the current one; ignored when looping forever
  bool loop_forever_ = false;
  uint64_t frames_this_pass_ = 0;

  pcap_t* tx_handle_ = nullptr;
  pcap_dumper_t* tx_ = nullptr;
  std::optional<timeval> tx_time_;  // set_tx_time(); unset: the wall clock
};

}  // namespace flowpath
