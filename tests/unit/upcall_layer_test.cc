// The upcall layer (upcall/upcall_layer.h) on a real datapath, with a fake
// translator in place of ofproto: packets missing in the datapath become
// upcalls, the layer installs what the translator says and executes the
// packet; the revalidator deletes idle flows, modifies flows whose
// translation changed, deletes flows whose mask changed, credits traffic
// to the translator; puts past the datapath's flow limit leave no ukey.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "datapath_test_support.h"
#include "upcall/upcall_layer.h"
#include "upcall/upcall_translator.h"

namespace flowpath::upcall {
namespace {

using datapath_test::Bytes;
using datapath_test::CapturePort;
using datapath_test::udp_frame;

struct FakeCache final : TranslationCache {
  uint64_t generation = 0;  // which translation made it
};

// Sends everything to one port, with a megaflow per IPv4 source (or per
// source and destination port once `mask_text` says so). A change of
// `out_port` or `mask_text` moves the state generation, as a rule change
// does in ofproto.
class FakeTranslator final : public UpcallTranslator {
 public:
  FakeTranslator() { set("2", "in_port(1),eth_type(0x0800),ipv4(src=10.0.0.1/255.255.255.255)"); }

  void set(const std::string& out_port, const std::string& mask_text) {
    auto actions = parse_odp_actions(out_port);
    auto flow = parse_flow(mask_text);
    ASSERT_TRUE(actions.ok()) << actions.error();
    ASSERT_TRUE(flow.ok()) << flow.error();
    std::lock_guard guard(mutex_);
    actions_ = *actions;
    mask_ = flow->match.mask;
    state_.fetch_add(1);
  }

  Translation translate_miss(const Upcall& upcall) override {
    misses.fetch_add(1);
    return make(upcall.key);
  }
  void handle_action(Upcall&) override { action_upcalls.fetch_add(1); }
  TranslationStamp stamp() const override { return TranslationStamp{state_.load(), 0}; }
  std::vector<uint64_t> take_changed_tags(bool* all) override {
    *all = false;
    return {};
  }
  Translation retranslate(const FlowKey& key) override {
    retranslations.fetch_add(1);
    return make(key);
  }
  void credit(TranslationCache* cache, uint64_t packets, uint64_t, uint64_t) override {
    ASSERT_NE(cache, nullptr);
    credited_packets.fetch_add(packets);
  }
  void end_round(uint64_t) override { rounds.fetch_add(1); }

  std::atomic<int> misses{0}, action_upcalls{0}, retranslations{0}, rounds{0};
  std::atomic<uint64_t> credited_packets{0};

 private:
  Translation make(const FlowKey& key) {
    (void)key;
    Translation t;
    std::lock_guard guard(mutex_);
    t.actions = actions_;
    t.mask = mask_;
    t.stamp = TranslationStamp{state_.load(), 0};
    auto cache = std::make_unique<FakeCache>();
    cache->generation = state_.load();
    t.cache = std::move(cache);
    return t;
  }

  std::mutex mutex_;
  std::vector<uint8_t> actions_;
  FlowMask mask_;
  std::atomic<uint64_t> state_{0};
};

class UpcallLayerTest : public ::testing::Test {
 protected:
  UpcallLayerTest()
      : dp_(std::make_shared<Datapath>("uptest", 1)),
        handle_(std::make_shared<DatapathHandle>(dp_)),
        pool_(256),
        processor_(pool_, 0),
        translator_(std::make_shared<FakeTranslator>()),
        layer_(UpcallLayerOptions{.revalidate_interval_ms = 100}) {
    for (uint32_t n = 1; n <= 3; ++n) {
      auto* port = new CapturePort("cap" + std::to_string(n));
      ports_[n] = port;
      dp_->upcalls().add_port(n);
      EXPECT_EQ(dp_->swap_port(n, new DatapathPort(n, std::unique_ptr<Vport>(port),
                                                   VportSpec{port->name(), VportKind::kPcap, {}})),
                nullptr);
    }
    EXPECT_TRUE(layer_.add_datapath(handle_, translator_).ok());
    layer_.start();
  }
  ~UpcallLayerTest() override {
    layer_.stop();
    layer_.remove_all_datapaths();
  }

  // Frames received on port 1, then the upcalls they caused handed to the
  // layer as a handler thread would. Returns the upcalls handled.
  size_t receive_and_handle(const std::vector<Bytes>& frames) {
    PacketBatch batch;
    for (const Bytes& f : frames) {
      Packet* p = pool_.allocate();
      EXPECT_NE(p, nullptr);
      p->assign(f.data(), static_cast<uint32_t>(f.size()));
      p->reset_metadata(1);
      batch.add(p);
    }
    {
      rcu::ReadSection section;
      processor_.process(*dp_, batch);
    }
    std::vector<Upcall> upcalls(64);
    size_t n = handle_->receive_upcalls(upcalls, upcalls.size(), std::chrono::milliseconds(0));
    layer_.handle(*handle_, std::span<Upcall>(upcalls.data(), n));
    return n;
  }

  std::vector<FlowEntry> flows() {
    std::vector<FlowEntry> out;
    FlowDumpCursor cursor;
    while (!cursor.done()) handle_->dump(&cursor, &out, 64);
    return out;
  }

  std::shared_ptr<Datapath> dp_;
  std::shared_ptr<DatapathHandle> handle_;
  PacketPool pool_;
  PacketProcessor processor_;
  CapturePort* ports_[4] = {};
  std::shared_ptr<FakeTranslator> translator_;
  UpcallLayer layer_;
};

TEST_F(UpcallLayerTest, AMissBecomesAPutAndAnExecute) {
  ASSERT_EQ(receive_and_handle({udp_frame(1, 53)}), 1u);
  EXPECT_EQ(translator_->misses.load(), 1);
  auto installed = flows();
  ASSERT_EQ(installed.size(), 1u);
  EXPECT_EQ(format_odp_actions(installed[0].actions), "2");
  EXPECT_EQ(format_flow(installed[0].match),
            "recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(src=10.0.0.1)");
  // The missed packet itself went out with the translated actions.
  ASSERT_EQ(ports_[2]->frames.size(), 1u);
  EXPECT_EQ(ports_[2]->frames[0], udp_frame(1, 53));
  UpcallStats stats = layer_.stats();
  EXPECT_EQ(stats.upcalls, 1u);
  EXPECT_EQ(stats.flows_installed, 1u);
  EXPECT_EQ(stats.install_failures, 0u);
  auto status = layer_.status("uptest");
  ASSERT_TRUE(status);
  EXPECT_EQ(status->ukeys, 1u);

  // The next packet of the megaflow hits it: no upcall, and its traffic is
  // credited to the translation once a round dumps the flow.
  EXPECT_EQ(receive_and_handle({udp_frame(1, 54)}), 0u);
  EXPECT_EQ(ports_[2]->frames.size(), 2u);
  layer_.wait_revalidation_round();
  EXPECT_EQ(translator_->credited_packets.load(), 1u);
  EXPECT_GE(translator_->rounds.load(), 1);
}

TEST_F(UpcallLayerTest, ADatapathNobodyServesCountsItsUpcallsAsUnhandled) {
  layer_.remove_datapath("uptest");
  EXPECT_FALSE(layer_.status("uptest"));
  ASSERT_EQ(receive_and_handle({udp_frame(1, 53)}), 1u);
  EXPECT_EQ(translator_->misses.load(), 0);
  EXPECT_TRUE(flows().empty());
  EXPECT_EQ(dp_->stats().drops.count[index_of(DropReason::kUpcallNoHandler)], 1u);
}

TEST_F(UpcallLayerTest, RevalidationDeletesAnIdleFlow) {
  ASSERT_EQ(receive_and_handle({udp_frame(1, 53), udp_frame(2, 53)}), 2u);
  ASSERT_EQ(flows().size(), 2u);
  layer_.wait_revalidation_round();
  EXPECT_EQ(flows().size(), 2u) << "younger than max-idle (10 s)";
  EXPECT_EQ(layer_.stats().flows_deleted_idle, 0u);

  ASSERT_TRUE(layer_.set_max_idle("uptest", 1).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  layer_.wait_revalidation_round();
  EXPECT_TRUE(flows().empty());
  EXPECT_EQ(layer_.stats().flows_deleted_idle, 2u);
  EXPECT_EQ(layer_.status("uptest")->ukeys, 0u);
  // The next packet is a miss again.
  EXPECT_EQ(receive_and_handle({udp_frame(1, 53)}), 1u);
  EXPECT_EQ(flows().size(), 1u);
}

TEST_F(UpcallLayerTest, ARetranslationThatChangesActionsModifiesTheFlow) {
  ASSERT_EQ(receive_and_handle({udp_frame(1, 53)}), 1u);
  const auto before = flows();
  ASSERT_EQ(before.size(), 1u);
  translator_->set("3", "in_port(1),eth_type(0x0800),ipv4(src=10.0.0.1/255.255.255.255)");
  layer_.revalidate_now();
  layer_.wait_revalidation_round();
  const auto after = flows();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].ufid, before[0].ufid) << "modified in place, not replaced";
  EXPECT_EQ(format_odp_actions(after[0].actions), "3");
  EXPECT_GE(translator_->retranslations.load(), 1);
  EXPECT_EQ(layer_.stats().flows_modified, 1u);
  EXPECT_EQ(layer_.stats().flows_deleted_changed, 0u);
  // The megaflow now forwards to port 3.
  EXPECT_EQ(receive_and_handle({udp_frame(1, 54)}), 0u);
  ASSERT_EQ(ports_[3]->frames.size(), 1u);
}

TEST_F(UpcallLayerTest, ARetranslationThatChangesTheMaskDeletesTheFlow) {
  ASSERT_EQ(receive_and_handle({udp_frame(1, 53)}), 1u);
  ASSERT_EQ(flows().size(), 1u);
  translator_->set("2", "in_port(1),eth_type(0x0800),ipv4(src=10.0.0.1/255.255.255.0)");
  layer_.wait_revalidation_round();
  EXPECT_TRUE(flows().empty());
  EXPECT_EQ(layer_.stats().flows_deleted_changed, 1u);
  EXPECT_EQ(layer_.status("uptest")->ukeys, 0u);
}

TEST_F(UpcallLayerTest, FlowsStayWithinTheDatapathsFlowLimit) {
  ASSERT_TRUE(dp_->set_flow_limit(3).ok());
  std::vector<Bytes> frames;
  for (uint8_t host = 1; host <= 5; ++host) frames.push_back(udp_frame(host, 53));
  ASSERT_EQ(receive_and_handle(frames), 5u);
  EXPECT_EQ(translator_->misses.load(), 5);
  EXPECT_EQ(flows().size(), 3u);
  UpcallStats stats = layer_.stats();
  EXPECT_EQ(stats.flows_installed, 3u);
  EXPECT_EQ(stats.install_failures, 2u);
  // A refused put leaves no ukey behind, and its packet is still forwarded.
  EXPECT_EQ(layer_.status("uptest")->ukeys, 3u);
  EXPECT_EQ(ports_[2]->frames.size(), 5u);
}

TEST_F(UpcallLayerTest, AFlowTheLayerDidNotInstallIsDeleted) {
  auto actions = parse_odp_actions("3");
  auto parsed = parse_flow("in_port(1),eth_type(0x0800),ipv4(src=10.0.0.9/255.255.255.255)");
  ASSERT_TRUE(actions.ok() && parsed.ok());
  ASSERT_TRUE(handle_->put(MegaflowPut{parsed->match, std::nullopt, *actions}).ok());
  ASSERT_EQ(flows().size(), 1u);
  layer_.wait_revalidation_round();
  EXPECT_TRUE(flows().empty());
}

}  // namespace
}  // namespace flowpath::upcall
