// A datapath with three capture ports and one forwarding thread's processor,
// for the tests of the per-batch pipeline (datapath_test.cc) and of its drop
// counters (datapath_drops_test.cc).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/rcu.h"
#include "datapath/datapath.h"
#include "datapath/datapath_handle.h"
#include "datapath/datapath_interface.h"
#include "datapath/packet_processor.h"
#include "odp/odp_action_text.h"
#include "odp/odp_flow.h"

namespace flowpath::datapath_test {

using Bytes = std::vector<uint8_t>;

// A port that records what the datapath sends it. It takes frames up to
// `mtu` of payload, and refuses the last `refuse` packets of each send as a
// device with a full queue would.
class CapturePort final : public Vport {
 public:
  explicit CapturePort(std::string name, uint32_t mtu = 1500)
      : Vport(VportKind::kPcap, std::move(name)), mtu_(mtu) {}
  size_t receive(PacketPool&, PacketBatch&) override { return 0; }
  size_t send(PacketBatch& batch) override {
    ++sends;
    const size_t n = batch.size();
    const size_t taken = n > refuse ? n - refuse : 0;
    for (size_t i = 0; i < n; ++i) {
      Packet* p = batch[i];
      if (i < taken) frames.emplace_back(p->data(), p->data() + p->size());
      p->pool()->release(p);
    }
    counters_.add_tx(taken, 0);
    counters_.add_tx_dropped(n - taken);
    batch.clear();
    return taken;
  }
  int wait_fd() const override { return -1; }
  uint32_t mtu() const override { return mtu_; }

  std::vector<Bytes> frames;
  int sends = 0;
  size_t refuse = 0;

 private:
  uint32_t mtu_;
};

// An Ethernet/IPv4/UDP frame from 10.0.0.`src_host` to 10.0.0.2:`dst_port`.
inline Bytes udp_frame(uint8_t src_host, uint16_t dst_port) {
  Bytes f = {0x00, 0x00, 0x5e, 0x00, 0x53, 0x02, 0x00, 0x00, 0x5e, 0x00, 0x53, src_host, 0x08, 0x00,
             0x45, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x00, 0x00, 0x40, 17,   0x00, 0x00,
             10,   0,    0,    src_host, 10, 0, 0, 2,
             0x13, 0x88, static_cast<uint8_t>(dst_port >> 8), static_cast<uint8_t>(dst_port),
             0x00, 0x08, 0x00, 0x00};
  return f;
}

class DatapathTest : public ::testing::Test {
 protected:
  // One forwarding thread's worth of flow caches, used by processor_.
  DatapathTest() : dp_("dptest", 1), pool_(256), processor_(pool_, 0) {
    for (uint32_t n = 1; n <= 3; ++n) add_capture_port(n, 1500);
  }

  // Attaches a capture port as port `n` (which must be free).
  CapturePort* add_capture_port(uint32_t n, uint32_t mtu) {
    auto* port = new CapturePort("cap" + std::to_string(n), mtu);
    ports_[n] = port;
    dp_.upcalls().add_port(n);
    EXPECT_EQ(dp_.swap_port(n, new DatapathPort(n, std::unique_ptr<Vport>(port),
                                                VportSpec{port->name(), VportKind::kPcap, {}})),
              nullptr);
    return port;
  }

  // Installs a flow as `fpctl add-flow` would: the key must fit perfectly
  // under the datapath's vlan-limit and pass the datapath's own checks.
  void add_flow(const std::string& flow, const std::string& actions) {
    auto acts = parse_odp_actions(actions);
    ASSERT_TRUE(acts.ok()) << acts.error();
    add_flow(flow, *acts);
  }
  // Actions in their Netlink form, for lists the text cannot write.
  void add_flow(const std::string& flow, const std::vector<uint8_t>& acts) {
    auto parsed = parse_flow(flow, dp_.vlan_headers());
    ASSERT_TRUE(parsed.ok()) << parsed.error();
    ASSERT_EQ(parsed->fitness, KeyFitness::kPerfect) << flow << ": " << parsed->fitness_detail;
    Status fits = check_flow_match(dp_, parsed->match);
    ASSERT_TRUE(fits.ok()) << flow << ": " << fits.error();
    ASSERT_TRUE(validate_flow_actions(dp_, acts).ok());
    auto put = dp_.flows().put(MegaflowPut{parsed->match, std::nullopt, acts});
    ASSERT_TRUE(put.ok()) << put.error();
  }

  // Sends frames into the datapath as one batch received on `port`.
  void receive(uint32_t port, const std::vector<Bytes>& frames) {
    PacketBatch batch;
    for (const Bytes& f : frames) {
      Packet* p = pool_.allocate();
      ASSERT_NE(p, nullptr);
      p->assign(f.data(), static_cast<uint32_t>(f.size()));
      p->reset_metadata(port);
      batch.add(p);
    }
    rcu::ReadSection section;
    processor_.process(dp_, batch);
  }

  Datapath dp_;
  PacketPool pool_;
  PacketProcessor processor_;
  CapturePort* ports_[8] = {};
};

}  // namespace flowpath::datapath_test
