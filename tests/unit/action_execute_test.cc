// The action walker: ownership and copies, encapsulation actions, nested
// lists, trunc, recirc, hash, userspace, meter and ct.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <vector>

#include "action_test_support.h"

namespace flowpath::action_test {
namespace {

// ================================================================ output, drop, ownership

TEST_F(ActionExecuteTest, OutputHandsOverTheOriginalsWithoutCopying) {
  Packet* a = packet(kUdpFrame);
  Packet* b = packet(ipv4_tcp());
  run({a, b}, Actions().output(7));
  ASSERT_EQ(ctx.sent.size(), 2u);
  EXPECT_EQ(ctx.output_calls, 1);  // one call per batch
  EXPECT_EQ(ctx.sent[0].packet, a);
  EXPECT_EQ(ctx.sent[1].packet, b);
  EXPECT_EQ(ctx.sent[0].port, 7u);
  EXPECT_EQ(ctx.sent[0].bytes, kUdpFrame);
  EXPECT_EQ(ctx.stats().copies, 0u);
}

TEST_F(ActionExecuteTest, EarlierOutputsGetCopiesAndTheLastTheOriginal) {
  Packet* a = packet(kUdpFrame);
  run({a}, Actions().output(1).output(2).output(3));
  ASSERT_EQ(ctx.sent.size(), 3u);
  EXPECT_NE(ctx.sent[0].packet, a);
  EXPECT_NE(ctx.sent[1].packet, a);
  EXPECT_EQ(ctx.sent[2].packet, a);
  for (const Sent& s : ctx.sent) EXPECT_EQ(s.bytes, kUdpFrame);
  EXPECT_EQ(ctx.stats().copies, 2u);
}

TEST_F(ActionExecuteTest, OutputThenModifyDoesNotChangeWhatWasSent) {
  run({packet(kUdpFrame)},
      Actions().output(1).set(odp::kKeyIpv4, ipv4_key(0x0a000001, 0xc0a80101)).output(2));
  ASSERT_EQ(ctx.sent.size(), 2u);
  EXPECT_EQ(ctx.sent[0].bytes, kUdpFrame);
  EXPECT_NE(ctx.sent[1].bytes, kUdpFrame);
}

TEST_F(ActionExecuteTest, EmptyListReleasesAndCountsThePackets) {
  run({packet(kUdpFrame), packet(kUdpFrame)}, Actions());
  EXPECT_TRUE(ctx.sent.empty());
  EXPECT_EQ(ctx.drops().get(DropReason::kNoOutput), 2u);
  EXPECT_EQ(ctx.drops().snapshot().total(), 2u);
  EXPECT_EQ(pool.available(), 64u);
}

TEST_F(ActionExecuteTest, HeaderChangesWithoutOutputCountAsNoOutput) {
  run({packet(kUdpFrame)}, Actions().push_vlan(0x8100, 0x1005));
  EXPECT_EQ(ctx.drops().get(DropReason::kNoOutput), 1u);
}

TEST_F(ActionExecuteTest, WhatAnOutputAlreadyCopiedIsNotADrop) {
  // The original is released at the end, but a copy of it was sent.
  run({packet(kUdpFrame)}, Actions().output(1).push_vlan(0x8100, 0x1005));
  EXPECT_EQ(ctx.sent.size(), 1u);
  EXPECT_EQ(ctx.drops().snapshot().total(), 0u);
  run({packet(kUdpFrame)}, Actions().clone(Actions().output(1)).push_vlan(0x8100, 1));
  // userspace() lends the packet to the slow path, which decides.
  run({packet(kUdpFrame)},
      Actions().raw_nested(odp::kActionUserspace,
                           Attributes().put(odp::kUserspacePid, uint32_t{9}).bytes()));
  EXPECT_EQ(ctx.upcalls.size(), 1u);
  EXPECT_EQ(ctx.drops().snapshot().total(), 0u);
}

TEST_F(ActionExecuteTest, DropActionReleasesAndStops) {
  run({packet(kUdpFrame), packet(kUdpFrame)}, Actions().drop().output(1));
  EXPECT_TRUE(ctx.sent.empty());
  EXPECT_EQ(ctx.drops().get(DropReason::kActionOfPipeline), 2u);
  EXPECT_EQ(ctx.drops().snapshot().total(), 2u);
}

TEST_F(ActionExecuteTest, DropActionIsCountedUnderTheReasonItCarries) {
  // OVS_ACTION_ATTR_DROP's u32 is Open vSwitch's xlate error.
  run({packet(kUdpFrame)}, Actions().u32(odp::kActionDrop, odp::kXlateRecursionTooDeep));
  run({packet(kUdpFrame), packet(kUdpFrame)},
      Actions().u32(odp::kActionDrop, odp::kXlateForwardingDisabled));
  run({packet(kUdpFrame)}, Actions().u32(odp::kActionDrop, odp::kXlateCongestionDrop));
  EXPECT_EQ(ctx.drops().get(DropReason::kActionRecursionTooDeep), 1u);
  EXPECT_EQ(ctx.drops().get(DropReason::kActionForwardingDisabled), 2u);
  EXPECT_EQ(ctx.drops().get(DropReason::kActionCongestion), 1u);
  EXPECT_EQ(ctx.drops().snapshot().total(), 4u);
}

TEST_F(ActionExecuteTest, ExhaustedPoolDropsCopiesWithoutLeaking) {
  PacketPool small(2);
  TestContext small_ctx(small);
  Packet* a = pool.allocate();
  a->assign(kUdpFrame.data(), static_cast<uint32_t>(kUdpFrame.size()));
  Packet* b = pool.allocate();
  b->assign(kUdpFrame.data(), static_cast<uint32_t>(kUdpFrame.size()));
  Packet* c = pool.allocate();
  c->assign(kUdpFrame.data(), static_cast<uint32_t>(kUdpFrame.size()));
  PacketBatch batch;
  batch.add(a);
  batch.add(b);
  batch.add(c);
  execute_actions(batch, Actions().output(1).output(2).span(), small_ctx);
  // Only two copies fit in the small pool: port 1 gets 2 of 3.
  EXPECT_EQ(small_ctx.sent.size(), 2u + 3u);
  EXPECT_EQ(small_ctx.drops().get(DropReason::kNoBuffer), 1u);
  EXPECT_EQ(small_ctx.drops().snapshot().total(), 1u);
  EXPECT_EQ(small.available(), 2u);
}

// tnl_push rewrites in place and the list goes on; a pending trunc cuts the
// inner packet. (Header fields: tunnel_header_test.cc.)
TEST_F(ActionExecuteTest, TunnelPushEncapsulatesInPlaceAndTheNextActionOutputs) {
  const Bytes header = hex(
      "020000000002 020000000001 0800"
      "45000000 00004000 40110000 c0000201 c0000202"
      "000012b5 00000000 08000000 00002a00");
  Bytes payload(16);
  const uint32_t prefix[4] = {4, 1, static_cast<uint32_t>(header.size()), odp::kVportVxlan};
  std::memcpy(payload.data(), prefix, sizeof prefix);
  payload.insert(payload.end(), header.begin(), header.end());
  run({packet(kUdpFrame), packet(kUdpFrame)},
      Actions().trunc(30).raw_nested(odp::kActionTunnelPush, payload).output(1));
  ASSERT_EQ(ctx.sent.size(), 2u);
  for (const Sent& sent : ctx.sent) {
    ASSERT_EQ(sent.bytes.size(), 50u + 30u);
    EXPECT_EQ(Bytes(sent.bytes.begin() + 50, sent.bytes.end()),
              Bytes(kUdpFrame.begin(), kUdpFrame.begin() + 30));
    EXPECT_EQ(sent.l3, 14);
    EXPECT_EQ(sent.bytes[17], 80 - 14) << "IP total length";
  }
  EXPECT_EQ(ctx.sent[0].bytes[34], ctx.sent[1].bytes[34]) << "one flow, one source port";
  EXPECT_EQ(ctx.sent[0].bytes[35], ctx.sent[1].bytes[35]);
  EXPECT_EQ(ctx.drops().snapshot().total(), 0u);
}

TEST_F(ActionExecuteTest, UnsupportedHandOffsAreDroppedUnderTheirOwnReason) {
  run({packet(kUdpFrame)}, Actions().u32(odp::kActionTunnelPop, 3).output(1));
  EXPECT_EQ(ctx.drops().get(DropReason::kTunnelPopError), 1u);  // the copy
  EXPECT_EQ(ctx.sent.size(), 1u);                               // the original continued
  run({packet(kUdpFrame), packet(kUdpFrame)}, Actions().u32(odp::kActionLbOutput, 1));
  EXPECT_EQ(ctx.drops().get(DropReason::kInvalidBond), 2u);
  odp::ActionPushTunnel push{};  // header_len disagrees with the bytes present
  push.header_len = 0;
  run({packet(kUdpFrame)}, Actions().put(odp::kActionTunnelPush, push));
  EXPECT_EQ(ctx.drops().get(DropReason::kTunnelPushError), 1u);
  EXPECT_EQ(ctx.drops().snapshot().total(), 4u);
}

// ================================================================ VLAN

TEST_F(ActionExecuteTest, PushVlanStripsCfiAndShiftsOffsets) {
  run({packet(kUdpFrame)}, Actions().push_vlan(0x8100, 0x1000 | 0xa064).output(1));
  ASSERT_EQ(ctx.sent.size(), 1u);
  EXPECT_EQ(ctx.sent[0].bytes, cat({hex("000000000002 000000000001 8100 a064 0800"), kUdpFrameIp}));
  EXPECT_EQ(ctx.sent[0].l3, 18);
}

TEST_F(ActionExecuteTest, SetAfterPushVlanFindsTheMovedHeaders) {
  Bytes out = run_one(
      ipv4_tcp(),
      Actions().push_vlan(0x8100, 0x1005).set(odp::kKeyIpv4, ipv4_key(0x0a000001, 0x0a0000fe)));
  EXPECT_EQ(Bytes(out.begin() + 12, out.begin() + 16), hex("8100 0005"));
  EXPECT_EQ(out[18 + 19], 0xfe);
  expect_valid_checksums(out);
}

TEST_F(ActionExecuteTest, DoubleTaggingAndPoppingBothTpids) {
  Bytes tagged = cat({hex("000000000002 000000000001 88a8 0014 8100 000a 0800"), kUdpFrameIp});
  run({packet(kUdpFrame)}, Actions()
                               .push_vlan(0x8100, 0x100a)
                               .push_vlan(0x88a8, 0x1014)
                               .output(1)
                               .flag(odp::kActionPopVlan)
                               .output(2)
                               .flag(odp::kActionPopVlan)
                               .output(3)
                               .flag(odp::kActionPopVlan)
                               .output(4));  // nothing left to pop
  ASSERT_EQ(ctx.sent.size(), 4u);
  EXPECT_EQ(ctx.sent[0].bytes, tagged);
  EXPECT_EQ(ctx.sent[1].bytes, cat({hex("000000000002 000000000001 8100 000a 0800"), kUdpFrameIp}));
  EXPECT_EQ(ctx.sent[2].bytes, kUdpFrame);
  EXPECT_EQ(ctx.sent[3].bytes, kUdpFrame);
  EXPECT_EQ(ctx.sent[3].l3, 14);
}

TEST_F(ActionExecuteTest, PushVlanUsesTailroomWhenHeadroomIsGone) {
  Packet* p = pool.allocate();
  p->push(p->headroom());  // eat the headroom
  p->truncate(0);
  std::memcpy(p->put(static_cast<uint32_t>(kUdpFrame.size())), kUdpFrame.data(), kUdpFrame.size());
  FlowKey key;
  extract_key(*p, &key);
  ASSERT_EQ(p->headroom(), 0u);
  run({p}, Actions().push_vlan(0x8100, 0x0001).output(1));
  ASSERT_EQ(ctx.sent.size(), 1u);
  EXPECT_EQ(ctx.sent[0].bytes, cat({hex("000000000002 000000000001 8100 0001 0800"), kUdpFrameIp}));
  EXPECT_EQ(ctx.sent[0].l3, 18);
}

TEST_F(ActionExecuteTest, PushWithNoRoomAtAllDropsThePacket) {
  PacketPool tiny(1, 64);  // no headroom, and 2 bytes of tailroom for a 62-byte frame
  TestContext tiny_ctx(tiny);
  Packet* p = tiny.allocate();
  Bytes padded = cat({kUdpFrame, Bytes(20, 0)});
  ASSERT_TRUE(p->assign(padded.data(), static_cast<uint32_t>(padded.size())));
  ASSERT_EQ(p->headroom() + p->tailroom(), 2u);
  FlowKey key;
  extract_key(*p, &key);
  PacketBatch batch;
  batch.add(p);
  execute_actions(batch, Actions().push_vlan(0x8100, 1).output(1).span(), tiny_ctx);
  EXPECT_TRUE(tiny_ctx.sent.empty());
  EXPECT_EQ(tiny_ctx.drops().get(DropReason::kNoHeadroom), 1u);
  EXPECT_EQ(tiny_ctx.drops().snapshot().total(), 1u);
  EXPECT_EQ(tiny.available(), 1u);
}

// ================================================================ MPLS, Ethernet

TEST_F(ActionExecuteTest, PushAndPopMplsOnEthernet) {
  run({packet(kUdpFrame)}, Actions()
                               .push_mpls(0x00064140, 0x8847)
                               .output(1)
                               .push_mpls(0x000c8040, 0x8847)
                               .output(2)
                               .pop_mpls(0x8847)
                               .output(3)
                               .pop_mpls(0x0800)
                               .output(4));
  ASSERT_EQ(ctx.sent.size(), 4u);
  EXPECT_EQ(ctx.sent[0].bytes, cat({eth(0x8847), hex("00064140"), kUdpFrameIp}));
  EXPECT_EQ(ctx.sent[0].l2_5, 14);
  EXPECT_EQ(ctx.sent[0].l3, 18);
  EXPECT_EQ(ctx.sent[1].bytes, cat({eth(0x8847), hex("000c8040 00064140"), kUdpFrameIp}));
  EXPECT_EQ(ctx.sent[1].l3, 22);
  EXPECT_EQ(ctx.sent[2].bytes, cat({eth(0x8847), hex("00064140"), kUdpFrameIp}));
  EXPECT_EQ(ctx.sent[2].l2_5, 14);
  EXPECT_EQ(ctx.sent[3].bytes, kUdpFrame);
  EXPECT_EQ(ctx.sent[3].l2_5, Packet::kNoOffset);
  EXPECT_EQ(ctx.sent[3].l3, 14);
}

TEST_F(ActionExecuteTest, PushMplsGoesAfterVlanTags) {
  Bytes tagged = cat({hex("000000000002 000000000001 8100 0064 0800"), kUdpFrameIp});
  EXPECT_EQ(run_one(tagged, Actions().push_mpls(0x00064140, 0x8848)),
            cat({hex("000000000002 000000000001 8100 0064 8848 00064140"), kUdpFrameIp}));
}

TEST_F(ActionExecuteTest, PushMplsRefusesNonMplsEthertype) {
  EXPECT_EQ(run_one(kUdpFrame, Actions().push_mpls(0x00064140, 0x0800)), kUdpFrame);
}

TEST_F(ActionExecuteTest, PopEthPushMplsPushEthOnAnL3Packet) {
  odp::ActionPushEth addresses;
  copy_hex(addresses.src, "0000000000aa");
  copy_hex(addresses.dst, "0000000000bb");
  run({packet(kUdpFrame)}, Actions()
                               .flag(odp::kActionPopEth)
                               .output(1)
                               .push_mpls(0x00064140, 0x8847)
                               .output(2)
                               .put(odp::kActionPushEth, addresses)
                               .output(3)
                               .pop_mpls(0x0800)
                               .output(4));
  ASSERT_EQ(ctx.sent.size(), 4u);
  EXPECT_EQ(ctx.sent[0].bytes, kUdpFrameIp);
  EXPECT_EQ(ctx.sent[0].md.packet_type, l3_type(0x0800));
  EXPECT_EQ(ctx.sent[0].l3, 0);
  EXPECT_EQ(ctx.sent[1].bytes, cat({hex("00064140"), kUdpFrameIp}));
  EXPECT_EQ(ctx.sent[1].md.packet_type, l3_type(0x8847));
  EXPECT_EQ(ctx.sent[2].bytes, cat({hex("0000000000bb 0000000000aa 8847 00064140"), kUdpFrameIp}));
  EXPECT_EQ(ctx.sent[2].md.packet_type, 0u);
  EXPECT_EQ(ctx.sent[3].bytes, cat({hex("0000000000bb 0000000000aa 0800"), kUdpFrameIp}));
}

TEST_F(ActionExecuteTest, AddMplsWithoutL3FlagEncapsulatesTheWholeFrame) {
  odp::ActionAddMpls add{hton32(0x00064140), hton16(0x8847), 0};
  run({packet(kUdpFrame)}, Actions()
                               .put(odp::kActionAddMpls, add)
                               .output(1)
                               .pop_mpls(0x6558)
                               .output(2));  // TEB: Ethernet again
  ASSERT_EQ(ctx.sent.size(), 2u);
  EXPECT_EQ(ctx.sent[0].bytes, cat({hex("00064140"), kUdpFrame}));
  EXPECT_EQ(ctx.sent[0].md.packet_type, l3_type(0x8847));
  EXPECT_EQ(ctx.sent[0].l2_5, 0);
  EXPECT_EQ(ctx.sent[1].bytes, kUdpFrame);
  EXPECT_EQ(ctx.sent[1].md.packet_type, 0u);
}

TEST_F(ActionExecuteTest, AddMplsWithL3FlagActsLikePushMpls) {
  odp::ActionAddMpls add{hton32(0x00064140), hton16(0x8847), 1};
  EXPECT_EQ(run_one(kUdpFrame, Actions().put(odp::kActionAddMpls, add)),
            cat({eth(0x8847), hex("00064140"), kUdpFrameIp}));
}

// ================================================================ NSH

TEST_F(ActionExecuteTest, PushAndPopNshMdType1) {
  Attributes nsh;
  nsh.put(odp::kNshBase, odp::NshBase{0, 63, 1, 0, hton32(0x000064ff)})
      .put(odp::kNshMd1, odp::NshMd1{{hton32(1), hton32(2), hton32(3), hton32(4)}});
  run({packet(kUdpFrame)}, Actions()
                               .raw_nested(odp::kActionPushNsh, nsh.bytes())
                               .output(1)
                               .flag(odp::kActionPopNsh)
                               .output(2));
  ASSERT_EQ(ctx.sent.size(), 2u);
  EXPECT_EQ(ctx.sent[0].bytes,
            cat({hex("0fc6 01 03 000064ff 00000001 00000002 00000003 00000004"), kUdpFrame}));
  EXPECT_EQ(ctx.sent[0].md.packet_type, l3_type(0x894f));
  EXPECT_EQ(ctx.sent[1].bytes, kUdpFrame);
  EXPECT_EQ(ctx.sent[1].md.packet_type, 0u);
}

TEST_F(ActionExecuteTest, SetNshPathAndContext) {
  Bytes nsh_packet =
      cat({hex("0fc6 01 01 000064ff 00000001 00000002 00000003 00000004"), kUdpFrameIp});
  odp::NshBase base{}, base_mask{};
  base.path_hdr = hton32(0x000065fe);
  base_mask.path_hdr = 0xffffffff;
  base.ttl = 10;
  base_mask.ttl = 0xff;
  odp::NshMd1 md1{{0, 0, hton32(0x99), 0}}, md1_mask{{0, 0, 0xffffffff, 0}};
  Bytes base_pair(16), md1_pair(32);
  std::memcpy(base_pair.data(), &base, 8);
  std::memcpy(base_pair.data() + 8, &base_mask, 8);
  std::memcpy(md1_pair.data(), &md1, 16);
  std::memcpy(md1_pair.data() + 16, &md1_mask, 16);
  Attributes key;
  key.put_bytes(odp::kNshBase, base_pair).put_bytes(odp::kNshMd1, md1_pair);
  Bytes set_payload = Attributes().put_bytes(odp::kKeyNsh, key.bytes()).bytes();
  EXPECT_EQ(run_one(nsh_packet, Actions().raw_nested(odp::kActionSetMasked, set_payload),
                    l3_type(0x894f)),
            cat({hex("0286 01 01 000065fe 00000001 00000002 00000099 00000004"), kUdpFrameIp}));
}

TEST_F(ActionExecuteTest, PopNshWithUnknownNextProtocolDrops) {
  Bytes nsh_packet =
      cat({hex("0fc6 01 7f 000064ff 00000001 00000002 00000003 00000004"), kUdpFrameIp});
  run({packet(nsh_packet, l3_type(0x894f))}, Actions().flag(odp::kActionPopNsh).output(1));
  EXPECT_TRUE(ctx.sent.empty());
  EXPECT_EQ(ctx.drops().get(DropReason::kNshDecapError), 1u);
  EXPECT_EQ(ctx.drops().snapshot().total(), 1u);
}

// ================================================================ recirc, hash

TEST_F(ActionExecuteTest, RecircAsLastActionHandsOverTheOriginals) {
  Packet* a = packet(kUdpFrame);
  Packet* b = packet(ipv4_tcp());
  run({a, b}, Actions().recirc(5));
  ASSERT_EQ(ctx.recirculated.size(), 2u);
  EXPECT_EQ(ctx.recirculated[0].packet, a);
  EXPECT_EQ(ctx.recirculated[0].md.recirc_id, 5u);
  EXPECT_EQ(ctx.recirculated[1].md.recirc_id, 5u);
  EXPECT_EQ(ctx.stats().copies, 0u);
}

TEST_F(ActionExecuteTest, RecircBeforeOtherActionsRecirculatesCopies) {
  Packet* a = packet(kUdpFrame);
  run({a}, Actions().recirc(5).output(1));
  ASSERT_EQ(ctx.recirculated.size(), 1u);
  ASSERT_EQ(ctx.sent.size(), 1u);
  EXPECT_NE(ctx.recirculated[0].packet, a);
  EXPECT_EQ(ctx.recirculated[0].md.recirc_id, 5u);
  EXPECT_EQ(ctx.sent[0].packet, a);
  EXPECT_EQ(ctx.sent[0].md.recirc_id, 0u);
}

TEST_F(ActionExecuteTest, HashL4AndSymmetricL4) {
  Bytes forward = ipv4_tcp();
  Bytes reverse = cat({eth(0x0800), ipv4(6, tcp(80, 1234), "0a000002", "0a000001")});
  fill_checksums(reverse);
  auto hash_of = [&](const Bytes& frame, uint32_t alg, uint32_t basis) {
    ctx.sent.clear();
    run({packet(frame)}, Actions().hash(alg, basis).output(1));
    return ctx.sent.at(0).md.dp_hash;
  };
  uint32_t l4 = hash_of(forward, odp::kHashAlgL4, 0);
  EXPECT_NE(l4, 0u);
  EXPECT_EQ(hash_of(forward, odp::kHashAlgL4, 0), l4);  // deterministic
  EXPECT_NE(hash_of(forward, odp::kHashAlgL4, 1), l4);  // the basis matters
  EXPECT_NE(hash_of(reverse, odp::kHashAlgL4, 0), l4);  // direction matters for l4
  EXPECT_EQ(hash_of(forward, odp::kHashAlgSymL4, 0), hash_of(reverse, odp::kHashAlgSymL4, 0));
  EXPECT_NE(hash_of(ipv4_udp(), odp::kHashAlgL4, 0), l4);  // the protocol matters
}

// ================================================================ sample, clone, check_pkt_len

TEST_F(ActionExecuteTest, SampleNeverAndAlways) {
  Packet* a = packet(kUdpFrame);
  run({a}, Actions().sample(0, Actions().output(9)).output(1));
  EXPECT_EQ(ctx.sent.size(), 1u);
  EXPECT_EQ(ctx.stats().copies, 0u);

  ctx.sent.clear();
  Packet* b = packet(kUdpFrame);
  run({b}, Actions().sample(UINT32_MAX, Actions().output(9)).output(1));
  ASSERT_EQ(ctx.sent.size(), 2u);
  EXPECT_EQ(ctx.sent[0].port, 9u);
  EXPECT_NE(ctx.sent[0].packet, b);  // a copy went to the sample
  EXPECT_EQ(ctx.sent[1].packet, b);
  EXPECT_EQ(ctx.stats().copies, 1u);
}

TEST_F(ActionExecuteTest, PacketsAFinalSampleLeavesOutAreNoOutputDrops) {
  run({packet(kUdpFrame), packet(kUdpFrame)}, Actions().sample(0, Actions().output(9)));
  EXPECT_TRUE(ctx.sent.empty());
  EXPECT_EQ(ctx.drops().get(DropReason::kNoOutput), 2u);
  // ... unless an earlier action sent copies of them.
  run({packet(kUdpFrame)}, Actions().output(1).sample(0, Actions().output(9)));
  EXPECT_EQ(ctx.drops().snapshot().total(), 2u);
  // A sample that is not last lets every packet go on.
  run({packet(kUdpFrame)}, Actions().sample(0, Actions().output(9)).output(1));
  EXPECT_EQ(ctx.drops().snapshot().total(), 2u);
}

TEST_F(ActionExecuteTest, SampleAsLastActionUsesTheOriginals) {
  Packet* a = packet(kUdpFrame);
  run({a}, Actions().sample(UINT32_MAX, Actions().output(9)));
  ASSERT_EQ(ctx.sent.size(), 1u);
  EXPECT_EQ(ctx.sent[0].packet, a);
  EXPECT_EQ(ctx.stats().copies, 0u);
}

TEST_F(ActionExecuteTest, SampleProbabilityWithSeededRandomSource) {
  auto sampled = [&](uint64_t seed) {
    ctx.sent.clear();
    ctx.random().seed(seed);
    PacketBatch batch;
    for (int i = 0; i < 32; ++i) batch.add(packet(kUdpFrame));
    execute_actions(batch, Actions().sample(UINT32_MAX / 2, Actions().output(9)).span(), ctx);
    return ctx.sent.size();
  };
  size_t first = sampled(42);
  EXPECT_GT(first, 5u);
  EXPECT_LT(first, 27u);
  EXPECT_EQ(sampled(42), first);  // the same seed samples the same packets
}

TEST_F(ActionExecuteTest, CloneRunsNestedActionsOnCopies) {
  odp::KeyEthernet key;
  copy_hex(key.src, "aaaaaaaaaaaa");
  copy_hex(key.dst, "bbbbbbbbbbbb");
  Packet* a = packet(kUdpFrame);
  Packet* b = packet(kUdpFrame);
  run({a, b}, Actions().clone(Actions().set(odp::kKeyEthernet, key).output(1)).output(2));
  ASSERT_EQ(ctx.sent.size(), 4u);
  EXPECT_EQ(ctx.sent[0].port, 1u);
  EXPECT_EQ(ctx.sent[0].bytes, cat({hex("bbbbbbbbbbbb aaaaaaaaaaaa 0800"), kUdpFrameIp}));
  EXPECT_EQ(ctx.sent[2].port, 2u);
  EXPECT_EQ(ctx.sent[2].bytes, kUdpFrame);  // the original did not see the set
  EXPECT_EQ(ctx.sent[2].packet, a);
  EXPECT_EQ(ctx.stats().copies, 2u);
}

TEST_F(ActionExecuteTest, CloneAsLastActionDoesNotCopy) {
  run({packet(kUdpFrame)}, Actions().output(2).clone(Actions().output(1)));
  EXPECT_EQ(ctx.sent.size(), 2u);
  EXPECT_EQ(ctx.stats().copies, 1u);  // only for output(2)
}

TEST_F(ActionExecuteTest, CheckPktLenSplitsTheBatch) {
  Bytes big = cat({kUdpFrame, Bytes(100, 0)});
  Packet* small_packet = packet(kUdpFrame);
  Packet* big_packet = packet(big);
  run({small_packet, big_packet},
      Actions().check_pkt_len(100, Actions().output(1), Actions().output(2)).output(3));
  ASSERT_EQ(ctx.sent.size(), 4u);
  EXPECT_EQ(ctx.sent[0].port, 1u);
  EXPECT_EQ(ctx.sent[0].bytes.size(), big.size());
  EXPECT_EQ(ctx.sent[1].port, 2u);
  EXPECT_EQ(ctx.sent[1].bytes.size(), kUdpFrame.size());
  EXPECT_EQ(ctx.sent[2].packet, small_packet);
  EXPECT_EQ(ctx.sent[3].packet, big_packet);
  EXPECT_EQ(ctx.stats().copies, 2u);
  EXPECT_EQ(ctx.output_calls, 3);
}

TEST_F(ActionExecuteTest, CheckPktLenAsLastActionMovesTheOriginals) {
  Packet* small_packet = packet(kUdpFrame);
  Packet* big_packet = packet(cat({kUdpFrame, Bytes(100, 0)}));
  run({small_packet, big_packet},
      Actions().check_pkt_len(42, Actions().output(1), Actions().output(2)));
  ASSERT_EQ(ctx.sent.size(), 2u);
  EXPECT_EQ(ctx.sent[0].packet, big_packet);
  EXPECT_EQ(ctx.sent[1].packet, small_packet);  // 42 is not greater than 42
  EXPECT_EQ(ctx.stats().copies, 0u);
}

TEST_F(ActionExecuteTest, NestingBeyondTheLimitDrops) {
  Actions inner = Actions().output(1);
  for (int i = 0; i < 17; ++i) inner = Actions().clone(inner);
  run({packet(kUdpFrame)}, inner);
  EXPECT_TRUE(ctx.sent.empty());
  EXPECT_EQ(ctx.drops().get(DropReason::kNestingTooDeep), 1u);
  EXPECT_EQ(ctx.drops().snapshot().total(), 1u);
}

// ================================================================ trunc

TEST_F(ActionExecuteTest, TruncAppliesToTheNextOutputOnly) {
  Packet* a = packet(kUdpFrame);
  run({a}, Actions().trunc(20).output(1).output(2));
  ASSERT_EQ(ctx.sent.size(), 2u);
  EXPECT_EQ(ctx.sent[0].bytes, Bytes(kUdpFrame.begin(), kUdpFrame.begin() + 20));
  EXPECT_EQ(ctx.sent[1].bytes, kUdpFrame);
}

TEST_F(ActionExecuteTest, TruncAsLastOutputCutsTheOriginalAndKeepsTheEthernetHeader) {
  run({packet(kUdpFrame)}, Actions().trunc(5).output(1));
  ASSERT_EQ(ctx.sent.size(), 1u);
  EXPECT_EQ(ctx.sent[0].bytes, Bytes(kUdpFrame.begin(), kUdpFrame.begin() + 14));
}

TEST_F(ActionExecuteTest, TruncCountsForCheckPktLenAndTravelsIntoIt) {
  run({packet(kUdpFrame)},
      Actions().trunc(30).check_pkt_len(35, Actions().output(1), Actions().output(2)));
  ASSERT_EQ(ctx.sent.size(), 1u);
  EXPECT_EQ(ctx.sent[0].port, 2u);
  EXPECT_EQ(ctx.sent[0].bytes.size(), 30u);
}

TEST_F(ActionExecuteTest, TruncIsFixedWhenTakenNotWhenSent) {
  // Linux's cut is a byte count: a tag pushed after trunc() is sent whole.
  run({packet(kUdpFrame)}, Actions().trunc(30).push_vlan(0x8100, 1).output(1));
  ASSERT_EQ(ctx.sent.size(), 1u);
  EXPECT_EQ(ctx.sent[0].bytes.size(), 34u);
}

// ================================================================ userspace, meter, ct

TEST_F(ActionExecuteTest, UserspacePassesTheRequestAndThePacketsContinue) {
  Attributes userspace;
  userspace.put(odp::kUserspacePid, uint32_t{77})
      .put_bytes(odp::kUserspaceUserdata, hex("01020304"))
      .flag(odp::kUserspaceActions);
  Actions actions =
      Actions().trunc(20).raw_nested(odp::kActionUserspace, userspace.bytes()).output(1);
  Packet* a = packet(kUdpFrame);
  run({a}, actions);
  ASSERT_EQ(ctx.upcalls.size(), 1u);
  EXPECT_EQ(ctx.upcalls[0].port, 77u);  // the pid
  EXPECT_EQ(ctx.upcalls[0].packet, a);  // lent, not copied
  EXPECT_EQ(ctx.upcall_cuts[0], 22u);
  EXPECT_EQ(Bytes(ctx.last_request.userdata.begin(), ctx.last_request.userdata.end()),
            hex("01020304"));
  EXPECT_TRUE(ctx.last_request.include_actions);
  EXPECT_EQ(ctx.last_request.actions.size(), actions.span().size());
  ASSERT_EQ(ctx.sent.size(), 1u);
  EXPECT_EQ(ctx.sent[0].bytes, kUdpFrame);  // the trunc was spent on the upcall
}

TEST_F(ActionExecuteTest, MeterDropsWhatTheContextRejects) {
  ctx.meter_pass = 0b101;
  Packet* a = packet(kUdpFrame);
  Packet* b = packet(kUdpFrame);
  Packet* c = packet(kUdpFrame);
  run({a, b, c}, Actions().meter(3).output(1));
  ASSERT_EQ(ctx.sent.size(), 2u);
  EXPECT_EQ(ctx.sent[0].packet, a);
  EXPECT_EQ(ctx.sent[1].packet, c);
  EXPECT_EQ(ctx.drops().get(DropReason::kMeter), 1u);
  EXPECT_EQ(ctx.drops().snapshot().total(), 1u);
}

TEST_F(ActionExecuteTest, MeterTableThroughTheContext) {
  ManualMeterClock clock(1000);
  MeterTable meters(&clock);
  ASSERT_TRUE(
      meters.set(4, MeterConfig{true, {MeterBandConfig{MeterBandType::kDrop, 10, 2}}}).ok());
  ctx.meters = &meters;
  run({packet(kUdpFrame), packet(kUdpFrame), packet(kUdpFrame), packet(kUdpFrame)},
      Actions().meter(4).output(1));
  EXPECT_EQ(ctx.sent.size(), 2u);  // a burst of 2 packets
  clock.advance_ns(100'000'000);   // 100 ms at 10 pps: one more token
  ctx.sent.clear();
  run({packet(kUdpFrame), packet(kUdpFrame)}, Actions().meter(4).output(1));
  EXPECT_EQ(ctx.sent.size(), 1u);
}

TEST_F(ActionExecuteTest, DefaultConntrackMarksTrackedInvalidAndCtClearResets) {
  Bytes ct = Attributes().put(odp::kCtZone, uint16_t{5}).flag(odp::kCtCommit).bytes();
  Packet* a = packet(kUdpFrame);
  a->md.ct_mark = 3;
  run({a}, Actions().raw_nested(odp::kActionCt, ct).output(1).flag(odp::kActionCtClear).output(2));
  ASSERT_EQ(ctx.sent.size(), 2u);
  EXPECT_EQ(ctx.sent[0].md.ct_state, odp::kCsTracked | odp::kCsInvalid);
  EXPECT_EQ(ctx.sent[0].md.ct_zone, 5);
  EXPECT_EQ(ctx.sent[0].md.ct_mark, 3u);
  EXPECT_EQ(ctx.sent[1].md.ct_state, 0u);
  EXPECT_EQ(ctx.sent[1].md.ct_zone, 0);
  EXPECT_EQ(ctx.sent[1].md.ct_mark, 0u);
}

TEST_F(ActionExecuteTest, WhatConntrackRefusesIsCountedAsConntrackDrops) {
  struct DroppingConntrack : TestContext {
    using TestContext::TestContext;
    uint32_t conntrack(PacketBatch&, std::span<const uint8_t>, DropReason*) override {
      return 0b10;
    }
  } ct_ctx(pool);
  Packet* a = packet(kUdpFrame);
  Packet* b = packet(kUdpFrame);
  Packet* c = packet(kUdpFrame);
  PacketBatch batch;
  batch.add(a);
  batch.add(b);
  batch.add(c);
  execute_actions(batch, Actions().raw_nested(odp::kActionCt, {}).output(1).span(), ct_ctx);
  ASSERT_EQ(ct_ctx.sent.size(), 1u);
  EXPECT_EQ(ct_ctx.sent[0].packet, b);
  EXPECT_EQ(ct_ctx.drops().get(DropReason::kConntrack), 2u);
  EXPECT_EQ(ct_ctx.drops().snapshot().total(), 2u);
}

// IP fragments: ct() may take packets out of the batch (held, not
// dropped) and hand back others, those beyond the batch's room through
// conntrack_more(), which run the rest of the list; a pending trunc stays
// with the packets it was for.
TEST_F(ActionExecuteTest, ConntrackMayHoldPacketsAndHandBackMoreThanABatch) {
  struct FragmentingConntrack : TestContext {
    using TestContext::TestContext;
    uint32_t conntrack(PacketBatch& batch, std::span<const uint8_t>, DropReason*) override {
      // Holds the first packet, keeps the second, and hands back 40 new ones.
      held = batch[0];
      batch.data()[0] = batch[1];
      batch.resize(1);
      while (!batch.full() && handed < 40) add_new(batch);
      return 0xffffffffu;
    }
    bool conntrack_more(PacketBatch& batch) override {
      batch.clear();
      while (!batch.full() && handed < 40) add_new(batch);
      ++more_calls;
      return !batch.empty();
    }
    void add_new(PacketBatch& batch) {
      Packet* p = pool().allocate();
      uint8_t bytes[100] = {};
      p->assign(bytes, sizeof bytes);
      batch.add(p);
      ++handed;
    }
    Packet* held = nullptr;
    int handed = 0, more_calls = 0;
  } ct_ctx(pool);
  Packet* a = packet(kUdpFrame);
  Packet* b = packet(kUdpFrame);
  PacketBatch batch;
  batch.add(a);
  batch.add(b);
  execute_actions(batch, Actions().trunc(30).raw_nested(odp::kActionCt, {}).output(1).span(), ct_ctx);
  ASSERT_EQ(ct_ctx.sent.size(), 41u);
  // The 9 left over go through the rest of the list first (right after
  // ct()), then the batch: b and 31 handed back.
  EXPECT_EQ(ct_ctx.output_calls, 2);
  int b_seen = 0;
  for (size_t i = 0; i < ct_ctx.sent.size(); ++i) {
    if (ct_ctx.sent[i].packet == b) {
      ++b_seen;
      EXPECT_EQ(i, 9u);
      EXPECT_EQ(ct_ctx.sent[i].bytes.size(), 30u);  // its trunc followed it
    } else {
      EXPECT_EQ(ct_ctx.sent[i].bytes.size(), 100u) << i;
    }
  }
  EXPECT_EQ(b_seen, 1);
  EXPECT_EQ(ct_ctx.more_calls, 2);    // the second finds none
  EXPECT_EQ(ct_ctx.held, a);
  EXPECT_EQ(ct_ctx.drops().snapshot().total(), 0u);  // held is not dropped
  pool.release(a);
}

TEST_F(ActionExecuteTest, DropsGoWhereTheOwnerPointsTheContext) {
  DropCounters elsewhere(CounterWriters::kMany);
  ctx.set_drop_counters(&elsewhere);
  run({packet(kUdpFrame)}, Actions().drop());
  EXPECT_EQ(elsewhere.get(DropReason::kActionOfPipeline), 1u);
  ctx.set_drop_counters(nullptr);  // back to its own
  EXPECT_EQ(ctx.drops().snapshot().total(), 0u);
}

TEST_F(ActionExecuteTest, FullBatchSetAndOutput) {
  PacketBatch batch;
  for (size_t i = 0; i < PacketBatch::kMaxSize; ++i) batch.add(packet(ipv4_tcp()));
  execute_actions(
      batch, Actions().set(odp::kKeyIpv4, ipv4_key(0x0a000001, 0x0a000063)).output(4).span(), ctx);
  ASSERT_EQ(ctx.sent.size(), PacketBatch::kMaxSize);
  EXPECT_EQ(ctx.output_calls, 1);
  for (const Sent& s : ctx.sent) {
    EXPECT_EQ(s.bytes[14 + 19], 0x63);
    expect_valid_checksums(s.bytes);
  }
}

// ================================================================ bounds

// Checks, when packets leave, that nothing was written past the frame's
// original end (the tail is filled with a sentinel before running).
class SentinelContext : public TestContext {
 public:
  using TestContext::TestContext;
  static constexpr uint8_t kSentinel = 0x5a;
  static constexpr uint32_t kChecked = 64;
  void output(uint32_t port, PacketBatch& batch) override {
    for (Packet* p : batch) {
      const uint8_t* end = ends.at(p);
      for (uint32_t i = 0; i < kChecked; ++i) ASSERT_EQ(end[i], kSentinel) << "byte " << i;
    }
    TestContext::output(port, batch);
  }
  std::map<const Packet*, const uint8_t*> ends;
};

// Every set, push, pop and hash on every prefix of many kinds of frame:
// headers that are cut must be skipped, never overrun.
TEST_F(ActionExecuteTest, ActionsOnCutFramesStayInsideTheFrame) {
  SentinelContext sentinel_ctx(pool);
  odp::KeyIpv6 v6{};
  std::memset(&v6, 0x11, sizeof v6);
  odp::KeyNd nd{};
  std::memset(&nd, 0x22, sizeof nd);
  odp::KeyArp arp{};
  std::memset(&arp, 0x33, sizeof arp);
  odp::KeyEthernet eth_key{};
  Bytes nsh_set =
      Attributes()
          .put_bytes(odp::kKeyNsh, Attributes()
                                       .put(odp::kNshBase, odp::NshBase{1, 2, 1, 3, 0x12345678})
                                       .put(odp::kNshMd1, odp::NshMd1{{1, 2, 3, 4}})
                                       .bytes())
          .bytes();
  Actions actions;
  actions.set(odp::kKeyIpv4, ipv4_key(0x01020304, 0x05060708, 0x10, 9))
      .set(odp::kKeyIpv6, v6)
      .set(odp::kKeyTcp, odp::KeyPorts{1, 2})
      .set(odp::kKeyUdp, odp::KeyPorts{3, 4})
      .set(odp::kKeySctp, odp::KeyPorts{5, 6})
      .set(odp::kKeyIcmp, odp::KeyIcmp{7, 8})
      .set(odp::kKeyIcmpv6, odp::KeyIcmp{9, 10})
      .set(odp::kKeyNd, nd)
      .set(odp::kKeyNdExtensions, odp::KeyNdExtensions{1, 2, {}})
      .set(odp::kKeyArp, arp)
      .set(odp::kKeyMpls, hton32(0x12345140))
      .set(odp::kKeyEthernet, eth_key)
      .raw_nested(odp::kActionSet, nsh_set)
      .hash(odp::kHashAlgL4, 1)
      .hash(odp::kHashAlgSymL4, 2)
      .flag(odp::kActionPopVlan)
      .pop_mpls(0x0800)
      .flag(odp::kActionPopNsh)
      .flag(odp::kActionPopEth)
      .output(1);
  Bytes mpls = cat({eth(0x8847), hex("00064140"), kUdpFrameIp});
  Bytes tcp_frame = ipv4_tcp();
  Bytes vlan_tcp = cat(
      {hex("000000000002 000000000001 8100 0064"), Bytes(tcp_frame.begin() + 12, tcp_frame.end())});
  Bytes nsh = cat({hex("0fc6 01 01 000064ff 00000001 00000002 00000003 00000004"), kUdpFrameIp});
  Bytes sctp4 = cat({eth(0x0800), ipv4(132, sctp(1, 2))});
  Bytes icmp4 = cat({eth(0x0800), ipv4(1, hex("0800 0000 1234 0001"))});
  Bytes arp_frame =
      cat({eth(0x0806), hex("0001 0800 06 04 0001 000000000001 0a000001 000000000000 0a000002")});
  Bytes ns = cat(
      {eth(0x86dd),
       ipv6(58, hex("8700 0000 00000000 fe800000000000000000000000000002 01 01 000000000001"))});
  struct Case {
    Bytes frame;
    be32 type;
  };
  std::vector<Case> cases = {{ipv4_tcp(), 0},
                             {ipv6_udp(), 0},
                             {sctp4, 0},
                             {icmp4, 0},
                             {arp_frame, 0},
                             {ns, 0},
                             {mpls, 0},
                             {vlan_tcp, 0},
                             {nsh, l3_type(0x894f)},
                             {kUdpFrameIp, l3_type(0x0800)}};
  int runs = 0;
  for (const Case& c : cases) {
    for (size_t length = 0; length <= c.frame.size(); ++length) {
      Bytes cut(c.frame.begin(), c.frame.begin() + length);
      Packet* p = packet(cut, c.type);
      std::memset(p->data() + p->size(), SentinelContext::kSentinel, SentinelContext::kChecked);
      sentinel_ctx.ends[p] = p->data() + p->size();
      PacketBatch batch;
      batch.add(p);
      execute_actions(batch, actions.span(), sentinel_ctx);
      ++runs;
    }
  }
  EXPECT_EQ(sentinel_ctx.sent.size() + sentinel_ctx.drops().snapshot().total(),
            static_cast<size_t>(runs));
}

}  // namespace
}  // namespace flowpath::action_test
