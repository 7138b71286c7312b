#include "vport/pcap_port.h"

#include <cstring>
#include <ctime>

#include "vport/vport_options.h"

namespace flowpath {

namespace {

constexpr uint64_t kMaxLoops = 1000000000;

Result<pcap_t*> open_capture(const std::string& what, const std::string& path) {
  char message[PCAP_ERRBUF_SIZE] = {};
  pcap_t* handle = pcap_open_offline(path.c_str(), message);
  if (handle == nullptr) return make_error(what + ": cannot read rx file: " + message);
  if (pcap_datalink(handle) != DLT_EN10MB) {
    const char* link_name = pcap_datalink_val_to_name(pcap_datalink(handle));
    std::string link = link_name != nullptr ? link_name : "unknown";
    pcap_close(handle);
    return make_error(what + ": rx file " + path + " has link type " + link +
                      ", expected EN10MB (Ethernet)");
  }
  return handle;
}

}  // namespace

Result<std::unique_ptr<PcapPort>> PcapPort::open(const std::string& name,
                                                const VportOptions& options) {
  const std::string what = describe_port(VportKind::kPcap, name);
  if (Status known =
          check_known_options(VportKind::kPcap, name, options, {"rx", "tx", "loop", "mtu"});
      !known) {
    return make_error(known.error());
  }
  Result<uint32_t> mtu = mtu_option(VportKind::kPcap, name, options);
  if (!mtu) return make_error(mtu.error());
  std::string rx_path = string_option(options, "rx");
  std::string tx_path = string_option(options, "tx");
  if (rx_path.empty() && tx_path.empty()) {
    return make_error(what + ": needs rx=FILE, tx=FILE or both");
  }
  if (!rx_path.empty() && rx_path == tx_path) {
    return make_error(what + ": rx and tx name the same file " + rx_path);
  }
  if (rx_path.empty() && options.count("loop") != 0) {
    return make_error(what + ": option loop needs rx=FILE");
  }
  Result<uint64_t> loops = integer_option(VportKind::kPcap, name, options, "loop", 0, kMaxLoops, 1);
  if (!loops) return make_error(loops.error());

  std::unique_ptr<PcapPort> port(new PcapPort(name, *mtu != 0 ? *mtu : kDefaultMtu));
  if (!rx_path.empty()) {
    if (Status rx = port->open_rx(rx_path, *loops); !rx) return make_error(rx.error());
  }
  if (!tx_path.empty()) {
    if (Status tx = port->open_tx(tx_path); !tx) return make_error(tx.error());
  }
  return port;
}

PcapPort::~PcapPort() {
  close_rx();
  if (tx_ != nullptr) pcap_dump_close(tx_);
  if (tx_handle_ != nullptr) pcap_close(tx_handle_);
}

Status PcapPort::open_rx(const std::string& path, uint64_t loops) {
  Result<pcap_t*> handle = open_capture(describe_port(type(), name()), path);
  if (!handle) return make_error(handle.error());
  rx_ = *handle;
  rx_path_ = path;
  loop_forever_ = loops == 0;
  passes_left_ = loops == 0 ? 0 : loops - 1;
  frames_this_pass_ = 0;
  return Ok{};
}

Status PcapPort::open_tx(const std::string& path) {
  // The snapshot length a reader honours: any frame a port can send.
  tx_handle_ = pcap_open_dead(DLT_EN10MB, static_cast<int>(PacketPool::kLargeFrameSize));
  if (tx_handle_ == nullptr) {
    return make_error(describe_port(type(), name()) + ": cannot set up a pcap writer");
  }
  tx_ = pcap_dump_open(tx_handle_, path.c_str());
  if (tx_ == nullptr) {
    return make_error(describe_port(type(), name()) + ": cannot write tx file: " +
                      pcap_geterr(tx_handle_));
  }
  return Ok{};
}

void PcapPort::close_rx() {
  if (rx_ != nullptr) pcap_close(rx_);
  rx_ = nullptr;
  pending_frame_ = nullptr;
}

bool PcapPort::start_next_pass() {
  // A pass that yielded nothing would yield nothing forever: stop instead.
  bool more = frames_this_pass_ != 0 && (loop_forever_ || passes_left_ > 0);
  close_rx();
  if (!more) return false;
  if (!loop_forever_) --passes_left_;
  Result<pcap_t*> handle = open_capture(describe_port(type(), name()), rx_path_);
  if (!handle) {
    counters_.add_rx_errors(1);
    return false;
  }
  rx_ = *handle;
  frames_this_pass_ = 0;
  return true;
}

bool PcapPort::read_pending(uint64_t* errors) {
  // A frame read from the file cannot be put back: one that found no free
  // buffer waits in pcap's buffer (valid until the next read) for the next
  // call.
  while (rx_ != nullptr && pending_frame_ == nullptr) {
    int status = pcap_next_ex(rx_, &pending_header_, &pending_frame_);
    if (status == 1) {
      ++frames_this_pass_;
      return true;
    }
    pending_frame_ = nullptr;
    if (status == PCAP_ERROR_BREAK) {  // end of file
      start_next_pass();
      continue;
    }
    ++*errors;  // a damaged file: stop reading it
    close_rx();
  }
  return pending_frame_ != nullptr;
}

std::optional<timeval> PcapPort::next_rx_time() {
  uint64_t errors = 0;
  const bool pending = read_pending(&errors);
  counters_.add_rx_errors(errors);
  if (!pending) return std::nullopt;
  return pending_header_->ts;
}

size_t PcapPort::receive_at_most(PacketPool& pool, PacketBatch& out, size_t max) {
  size_t received = 0, taken = 0;
  uint64_t bytes = 0, dropped = 0, errors = 0, runts = 0;
  while (taken < max && !out.full() && read_pending(&errors)) {
    const uint32_t length = pending_header_->caplen;
    if (length != pending_header_->len || length < kMinFrameSize ||
        length > pool.max_frame_size()) {
      // A runt (vport.h); cut short by the capture, or too large for any
      // buffer: rx_dropped.
      ++(length < kMinFrameSize ? runts : dropped);
      pending_frame_ = nullptr;
      ++taken;
      continue;
    }
    Packet* packet = pool.allocate(length);
    if (packet == nullptr) break;
    std::memcpy(packet->put(length), pending_frame_, length);
    pending_frame_ = nullptr;
    ++taken;
    packet->md.in_port = port_no();
    out.add(packet);
    ++received;
    bytes += length;
  }
  counters_.add_rx(received, bytes);
  counters_.add_rx_dropped(dropped);
  counters_.add_rx_errors(errors);
  count_receive_drops(DropReason::kRxInvalidPacket, runts);
  return received;
}

size_t PcapPort::send(PacketBatch& batch) {
  size_t sent = 0;
  uint64_t bytes = 0, dropped = 0, errors = 0;
  pcap_pkthdr header = {};
  if (tx_time_) {
    header.ts = *tx_time_;
  } else {
    timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    header.ts.tv_sec = now.tv_sec;
    header.ts.tv_usec = static_cast<suseconds_t>(now.tv_nsec / 1000);
  }
  for (Packet* packet : batch) {
    if (tx_ == nullptr) {
      ++dropped;  // nowhere to write
    } else {
      header.caplen = header.len = packet->size();
      pcap_dump(reinterpret_cast<u_char*>(tx_), &header, packet->data());
      ++sent;
      bytes += packet->size();
    }
    packet->pool()->release(packet);
  }
  batch.clear();
  if (sent != 0 && pcap_dump_flush(tx_) != 0) ++errors;
  counters_.add_tx(sent, bytes);
  counters_.add_tx_dropped(dropped);
  counters_.add_tx_errors(errors);
  return sent;
}

}  // namespace flowpath
