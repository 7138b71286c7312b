// The fast-path trace: its per-thread ring of records, the BPF filter that
// selects packets, the trace's own selection (port, count, deadline), and
// what a forwarding thread's processor records for a hit, a miss, a drop
// and a recirculation, with the untraced packets of the batch unaffected.
#include <gtest/gtest.h>

#include "common/clock.h"
#include "control/trace_format.h"
#include "datapath/packet_filter.h"
#include "datapath/packet_trace.h"
#include "datapath/trace_ring.h"
#include "datapath_test_support.h"
#include "flow/odp_abi.h"

namespace flowpath::datapath_test {
namespace {

TEST(TraceRingTest, RecordsComeOutInOrderAndAFullRingRefuses) {
  TraceRing ring(2);
  TraceRecord out;
  EXPECT_FALSE(ring.take(&out)) << "empty";
  TraceRecord* first = ring.claim();
  TraceRecord* second = ring.claim();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_NE(first, second) << "two claims before a publish get two slots";
  EXPECT_TRUE(ring.full());
  EXPECT_EQ(ring.claim(), nullptr) << "both slots claimed";
  first->sequence = 1;
  second->sequence = 2;
  ring.publish();
  ASSERT_TRUE(ring.take(&out));
  EXPECT_EQ(out.sequence, 1u);
  EXPECT_FALSE(ring.take(&out)) << "the second is claimed, not yet published";
  ring.publish();
  TraceRecord* again = ring.claim();
  ASSERT_NE(again, nullptr) << "a slot taken is free again";
  again->sequence = 3;
  ring.publish();
  EXPECT_EQ(ring.claim(), nullptr) << "both slots hold records not taken";
  ASSERT_TRUE(ring.take(&out));
  EXPECT_EQ(out.sequence, 2u);
  ASSERT_TRUE(ring.take(&out));
  EXPECT_EQ(out.sequence, 3u);
  EXPECT_FALSE(ring.take(&out));
}

TEST(PacketFilterTest, SelectsWhatTcpdumpWould) {
  auto udp5000 = PacketFilter::compile("udp and src port 5000 and dst port 7");
  ASSERT_TRUE(udp5000.ok()) << udp5000.error();
  const Bytes to7 = udp_frame(1, 7), to8 = udp_frame(1, 8);
  EXPECT_TRUE(udp5000->matches(to7));
  EXPECT_FALSE(udp5000->matches(to8));
  auto all = PacketFilter::compile("");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->matches(to8)) << "the empty filter takes every packet";
  auto host = PacketFilter::compile("src host 10.0.0.3");
  ASSERT_TRUE(host.ok());
  EXPECT_FALSE(host->matches(to7));
  EXPECT_TRUE(host->matches(udp_frame(3, 7)));
}

TEST(PacketFilterTest, AFilterThatDoesNotCompileIsNamedWithLibpcapsReason) {
  auto bad = PacketFilter::compile("udp prot 53");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().rfind("filter \"udp prot 53\" does not compile: ", 0), 0u) << bad.error();
  EXPECT_NE(bad.error().find("syntax error"), std::string::npos) << bad.error();
}

TEST(PacketTraceTest, TakesOnlyItsPortItsFilterAndItsCount) {
  TraceRequest request;
  request.port = 2;
  request.count = 2;
  request.filter = *PacketFilter::compile("dst port 7");
  PacketTrace trace(1, std::move(request), 1, monotonic_ms());
  const Bytes to7 = udp_frame(1, 7), to8 = udp_frame(1, 8);
  EXPECT_EQ(trace.begin(0, 1, to7), nullptr) << "another port";
  EXPECT_EQ(trace.begin(0, 2, to8), nullptr) << "the filter refuses it";
  EXPECT_EQ(trace.begin(1, 2, to7), nullptr) << "no such thread";
  TraceRecord* first = trace.begin(0, 2, to7);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->sequence, 1u);
  EXPECT_EQ(first->in_port, 2u);
  EXPECT_EQ(first->length, to7.size());
  trace.publish(0);
  EXPECT_FALSE(trace.over(monotonic_ms()));
  ASSERT_NE(trace.begin(0, 2, to7), nullptr);
  trace.publish(0);
  EXPECT_TRUE(trace.over(monotonic_ms())) << "two of two";
  EXPECT_EQ(trace.begin(0, 2, to7), nullptr) << "enough packets";
  std::vector<TraceRecord> records;
  EXPECT_EQ(trace.collect(&records), 2u);
  EXPECT_EQ(records[1].sequence, 2u);
  EXPECT_EQ(trace.claimed(), 2u);
}

TEST(PacketTraceTest, IsOverAtItsDeadline) {
  TraceRequest request;
  request.timeout_ms = 50;
  PacketTrace trace(1, std::move(request), 1, 1000);
  EXPECT_FALSE(trace.over(1049));
  EXPECT_TRUE(trace.over(1050));
}

class TracedDatapathTest : public DatapathTest {
 protected:
  // Arms a trace of `count` packets (of port `port`, if given).
  uint64_t arm(uint32_t count, std::optional<uint32_t> port = std::nullopt,
               const std::string& filter = "") {
    TraceRequest request;
    request.count = count;
    request.port = port;
    if (!filter.empty()) request.filter = *PacketFilter::compile(filter);
    auto trace = std::make_unique<PacketTrace>(++id_, std::move(request), 1, monotonic_ms());
    EXPECT_TRUE(dp_.start_trace(std::move(trace)).ok());
    return id_;
  }
  std::vector<TraceRecord> collect(bool stop = true) {
    std::vector<TraceRecord> out;
    auto take = [&](PacketTrace& t) { t.collect(&out); };
    EXPECT_TRUE((stop ? dp_.stop_trace(id_, take) : dp_.with_trace(id_, take)).ok());
    return out;
  }
  std::string action_text(const TraceRecord& r, const TraceAction& a) {
    const TracePass& p = r.passes[a.pass];
    return format_odp_actions({p.actions + a.offset, a.size});
  }
  uint64_t id_ = 0;
};

TEST_F(TracedDatapathTest, OffItCostsNothingAndChangesNothing) {
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()", "2");
  EXPECT_EQ(dp_.armed_trace(), nullptr);
  receive(1, {udp_frame(1, 1), udp_frame(1, 2)});
  EXPECT_EQ(ports_[2]->frames.size(), 2u);
}

TEST_F(TracedDatapathTest, AHitRecordsTheLayerTheFlowAndTheOutput) {
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()", "2");
  arm(1);
  receive(1, {udp_frame(1, 1), udp_frame(1, 2), udp_frame(1, 3)});
  EXPECT_EQ(ports_[2]->frames.size(), 3u) << "traced or not, every packet is forwarded";
  EXPECT_EQ(dp_.armed_trace(), nullptr) << "one packet traced: the trace disarmed itself";
  auto records = collect();
  ASSERT_EQ(records.size(), 1u);
  const TraceRecord& r = records[0];
  EXPECT_EQ(r.sequence, 1u);
  EXPECT_EQ(r.in_port, 1u);
  EXPECT_EQ(r.thread, 0u);
  ASSERT_EQ(r.n_passes, 1u);
  const TracePass& p = r.passes[0];
  EXPECT_EQ(p.layer, TraceLayer::kClassifier) << trace_layer_name(p.layer);
  EXPECT_EQ(p.subtables_searched, 1u);
  EXPECT_EQ(p.key.md.in_port, 1u);
  EXPECT_EQ(format_flow(p.match), "recirc_id(0),in_port(1),eth(),eth_type(0x0800)");
  EXPECT_EQ(format_odp_actions({p.actions, p.actions_size}), "2");
  ASSERT_EQ(r.n_actions, 1u);
  EXPECT_EQ(r.actions[0].type, odp::kActionOutput);
  EXPECT_FALSE(r.actions[0].dropped);
  ASSERT_EQ(r.n_outputs, 1u);
  EXPECT_EQ(r.outputs[0], 2u);
  EXPECT_EQ(r.sent, 1u);
  EXPECT_EQ(r.drops.total(), 0u);
}

TEST_F(TracedDatapathTest, TheSecondPacketOfAFlowHitsTheSignatureCache) {
  // Two masks: the signature cache is used from two up.
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()", "2");
  add_flow("in_port(2),eth(),eth_type(0x0800),ipv4(src=10.0.0.9)", "1");
  receive(1, {udp_frame(1, 1)});  // the classifier answers, the cache learns the flow
  arm(1);
  receive(1, {udp_frame(1, 1)});
  auto records = collect();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].passes[0].layer, TraceLayer::kSignatureCache);
  EXPECT_EQ(records[0].passes[0].subtables_searched, 0u);
}

TEST_F(TracedDatapathTest, AMissRecordsTheUpcall) {
  arm(1);
  receive(1, {udp_frame(1, 1)});
  auto records = collect();
  ASSERT_EQ(records.size(), 1u);
  const TraceRecord& r = records[0];
  ASSERT_EQ(r.n_passes, 1u);
  EXPECT_EQ(r.passes[0].layer, TraceLayer::kMiss);
  EXPECT_EQ(r.passes[0].upcall, TraceUpcall::kQueued);
  EXPECT_EQ(r.upcalls, 1u);
  EXPECT_EQ(r.n_actions, 0u);
  EXPECT_EQ(dp_.upcalls().queued(), 1u) << "the upcall is queued for the slow path";
}

TEST_F(TracedDatapathTest, ADropNamesItsReasonAndCountsItInTheDatapath) {
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()", "drop");
  arm(1);
  receive(1, {udp_frame(1, 1), udp_frame(1, 2)});
  auto records = collect();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].drops[DropReason::kNoOutput], 1u);
  EXPECT_EQ(records[0].drops.total(), 1u);
  EXPECT_EQ(records[0].sent, 0u);
  EXPECT_EQ(dp_.stats().drops[DropReason::kNoOutput], 2u) << "the traced packet's drop is counted too";
}

TEST_F(TracedDatapathTest, AMeterDropIsTheMetersAction) {
  MeterConfig config;
  config.packets_per_second = true;
  config.bands.push_back(MeterBandConfig{MeterBandType::kDrop, 1, 1});
  ASSERT_TRUE(dp_.set_meter(4, config).ok());
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()", "meter(4),2");
  receive(1, std::vector<Bytes>(4, udp_frame(1, 1)));  // the bucket is empty now
  arm(1);
  receive(1, {udp_frame(1, 1)});
  auto records = collect();
  ASSERT_EQ(records.size(), 1u);
  const TraceRecord& r = records[0];
  ASSERT_GE(r.n_actions, 1u);
  EXPECT_EQ(r.actions[0].type, odp::kActionMeter);
  EXPECT_TRUE(r.actions[0].dropped);
  EXPECT_EQ(r.actions[0].drop_reason, DropReason::kMeter);
  EXPECT_EQ(r.drops[DropReason::kMeter], 1u);
}

TEST_F(TracedDatapathTest, EachRecirculationIsAPassOfItsOwn) {
  add_flow("recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4()", "ct(zone=5),recirc(0x7)");
  add_flow("recirc_id(0x7),in_port(1),eth(),eth_type(0x0800),ipv4()", "set(ipv4(ttl=9)),3");
  arm(1);
  receive(1, {udp_frame(1, 1)});
  auto records = collect();
  ASSERT_EQ(records.size(), 1u);
  const TraceRecord& r = records[0];
  ASSERT_EQ(r.n_passes, 2u);
  EXPECT_EQ(r.passes[0].key.md.recirc_id, 0u);
  EXPECT_EQ(r.passes[1].key.md.recirc_id, 7u);
  EXPECT_EQ(r.passes[1].key.md.ct_zone, 5u);
  EXPECT_NE(r.passes[1].key.md.ct_state & odp::kCsTracked, 0u);
  ASSERT_EQ(r.n_actions, 4u);
  EXPECT_EQ(action_text(r, r.actions[0]), "ct(zone=5)");
  EXPECT_NE(r.actions[0].ct_state & odp::kCsTracked, 0u);
  EXPECT_EQ(action_text(r, r.actions[1]), "recirc(0x7)");
  EXPECT_EQ(r.actions[2].pass, 1u);
  EXPECT_EQ(action_text(r, r.actions[2]), "set(ipv4(ttl=9))");
  EXPECT_EQ(action_text(r, r.actions[3]), "3");
  ASSERT_EQ(r.n_outputs, 1u);
  EXPECT_EQ(r.outputs[0], 3u);
  EXPECT_EQ(r.sent, 1u);
  ASSERT_EQ(ports_[3]->frames.size(), 1u);
  EXPECT_EQ(ports_[3]->frames[0][22], 9) << "the set ran on the packet itself";
}

TEST_F(TracedDatapathTest, TracesOnlyWhatTheFilterAndPortSelect) {
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()", "2");
  add_flow("in_port(3),eth(),eth_type(0x0800),ipv4()", "2");
  arm(2, 1, "udp dst port 9");
  receive(3, {udp_frame(1, 9)});
  receive(1, {udp_frame(1, 8), udp_frame(1, 9), udp_frame(2, 9), udp_frame(3, 9)});
  EXPECT_EQ(ports_[2]->frames.size(), 5u);
  auto records = collect();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].sequence, 1u);
  EXPECT_EQ(records[1].sequence, 2u);
  EXPECT_EQ(records[0].in_port, 1u);
  EXPECT_EQ(records[0].passes[0].key.ipv4_src, hton32(0x0a000001));
  EXPECT_EQ(records[1].passes[0].key.ipv4_src, hton32(0x0a000002));
}

TEST_F(TracedDatapathTest, AnArmedTraceRefusesASecondOne) {
  arm(5);
  TraceRequest request;
  auto second = std::make_unique<PacketTrace>(99, std::move(request), 1, monotonic_ms());
  Status st = dp_.start_trace(std::move(second));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().find("is already tracing (trace 1, 0 of 5 packets traced"), std::string::npos)
      << st.error();
  EXPECT_FALSE(dp_.with_trace(99, [](PacketTrace&) {}).ok());
}

TEST_F(TracedDatapathTest, TheRecordReadsAsJson) {
  add_flow("in_port(1),eth(),eth_type(0x0800),ipv4()", "drop");
  arm(1);
  receive(1, {udp_frame(1, 1)});
  auto records = collect();
  ASSERT_EQ(records.size(), 1u);
  control::Json j = control::trace_record_json(records[0], {{1, "cap1"}}, 1, {});
  EXPECT_EQ(j["in_port_name"], "cap1");
  EXPECT_EQ(j["passes"][0]["layer"], "megaflow");
  EXPECT_EQ(j["passes"][0]["flow"]["actions"], "drop");
  EXPECT_EQ(j["dropped"], 1u);
  EXPECT_EQ(j["drops"]["datapath_drop_no_output"], 1u);
  EXPECT_EQ(control::ct_state_text(odp::kCsTracked | odp::kCsNew), "+new+trk");
}

}  // namespace
}  // namespace flowpath::datapath_test
