// The NXM/OXM field table and the wire numbering of field values.
#include "openflow/nxm_field.h"

#include <gtest/gtest.h>

#include "openflow/of_action.h"

namespace flowpath::openflow {
namespace {

TEST(NxmField, EveryEntryNamesAModelField) {
  for (const NxmField& f : all_nxm_fields()) {
    ASSERT_NE(f.field, nullptr) << f.name;
    EXPECT_EQ(find_nxm_field(f.header), &f) << f.name;
    EXPECT_EQ(find_nxm_field(f.name), &f);
    EXPECT_LE(nxm_value_bits(*f.field), f.payload_bytes * 8u) << f.name;
  }
}

TEST(NxmField, HeaderChoiceFollowsOpenVswitch) {
  // NXM form for Nicira actions (version 0), OXM from the version that has it.
  EXPECT_EQ(nxm_field_for(*find_field("eth_src"), 0)->name, "NXM_OF_ETH_SRC");
  EXPECT_EQ(nxm_field_for(*find_field("eth_src"), 4)->name, "OXM_OF_ETH_SRC");
  EXPECT_EQ(nxm_field_for(*find_field("tun_id"), 3)->name, "NXM_NX_TUN_ID");
  EXPECT_EQ(nxm_field_for(*find_field("tun_id"), 4)->name, "OXM_OF_TUNNEL_ID");
  EXPECT_EQ(nxm_field_for(*find_field("tcp_flags"), 4)->name, "ONFOXM_ET_TCP_FLAGS");
  EXPECT_EQ(nxm_field_for(*find_field("dp_hash"), 6)->name, "NXM_NX_DP_HASH");
  EXPECT_EQ(nxm_field_for(*find_field("metadata"), 0)->name, "OXM_OF_METADATA");
  EXPECT_EQ(nxm_field_for(*find_field("tcp_flags"), 6)->name, "OXM_OF_TCP_FLAGS");
  // Fields without a header of their own travel as the field sharing their
  // storage; those OpenFlow cannot carry have none.
  EXPECT_EQ(nxm_field_for(*find_field("tp_src"), 4), nxm_field_for(*find_field("tcp_src"), 4));
  EXPECT_EQ(nxm_field_for(*find_field("dl_vlan"), 0), nxm_field_for(*find_field("vlan_vid"), 0));
  EXPECT_EQ(nxm_field_for(*find_field("skb_priority"), 4), nullptr);
  EXPECT_EQ(nxm_name(*find_field("reg3")), "NXM_NX_REG3");
  EXPECT_EQ(nxm_name(*find_field("skb_priority")), "skb_priority");
}

TEST(NxmField, RegisterViewsPutTheFirstRegisterHigh) {
  OfFlow flow;
  flow.clear();
  flow.regs[0] = 0x11223344;
  flow.regs[1] = 0x55667788;
  const OfFieldInfo& xreg0 = *find_field("xreg0");
  EXPECT_EQ(static_cast<uint64_t>(nxm_number(xreg0, flow.bytes() + xreg0.offset)),
            0x1122334455667788ull);
  store_nxm_number(xreg0, 0xaabbccdd00000001ull, flow.bytes() + xreg0.offset);
  EXPECT_EQ(flow.regs[0], 0xaabbccddu);
  EXPECT_EQ(flow.regs[1], 1u);
  EXPECT_EQ(read_field_bits(flow, *find_field("xxreg0"), 96, 32), 0xaabbccddu);
  EXPECT_EQ(read_field_bits(flow, *find_field("xxreg0"), 64, 32), 1u);
}

TEST(NxmField, PortsTravelInOpenFlowNumbers) {
  uint8_t storage[4] = {};
  const OfFieldInfo& in_port = *find_field("in_port");
  const OfFieldInfo& in_port_oxm = *find_field("in_port_oxm");
  store_nxm_number(in_port, 0xfffe, storage);  // OFPP_LOCAL (1.0)
  EXPECT_EQ(nxm_number(in_port_oxm, storage), 0xfffffffeu);
  EXPECT_EQ(nxm_number(in_port, storage), 0xfffeu);
  EXPECT_EQ(nxm_value_bits(in_port), 16u);
  EXPECT_EQ(nxm_value_bits(in_port_oxm), 32u);
  store_nxm_number(in_port_oxm, 7, storage);
  EXPECT_EQ(nxm_number(in_port, storage), 7u);
}

TEST(NxmField, TosTravelsInPlace) {
  uint8_t storage[1] = {};
  store_nxm_number(*find_field("nw_tos"), 0xb8, storage);
  EXPECT_EQ(storage[0], 0xb8);
  EXPECT_EQ(nxm_number(*find_field("ip_dscp"), storage), 0x2eu);
}

TEST(ActionModel, ExtensionActionsFormatAsOvsOfctl) {
  action::Learn learn;
  learn.table = 1;
  learn.hard_timeout = 10;
  action::LearnSpec spec;
  spec.dst = Subfield{find_field("eth_dst"), 0, 48};
  spec.src = Subfield{find_field("eth_src"), 0, 48};
  spec.n_bits = 48;
  learn.specs.push_back(spec);
  action::LearnSpec out;
  out.src_type = action::LearnSpec::Src::kField;
  out.dst_type = action::LearnSpec::Dst::kOutput;
  out.src = Subfield{find_field("in_port"), 0, 16};
  out.n_bits = 16;
  learn.specs.push_back(out);
  std::vector<OfAction> actions{learn, action::Conjunction{7, 1, 2},
                                action::RegMove{Subfield{find_field("reg0"), 0, 16},
                                                Subfield{find_field("reg1"), 16, 16}}};
  EXPECT_EQ(format_of_actions(actions),
            "learn(table=1,hard_timeout=10,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],"
            "output:NXM_OF_IN_PORT[]),conjunction(7,2/2),"
            "move:NXM_NX_REG0[0..15]->NXM_NX_REG1[16..31]");
  action::Conntrack ct;
  ct.flags = 1;
  ct.recirc_table = 2;
  ct.zone_imm = 5;
  action::Nat nat;
  nat.flags = 1;
  nat.family = action::Nat::Family::kIpv4;
  nat.addr_min[0] = 10, nat.addr_min[3] = 1;
  ct.actions.push_back(nat);
  EXPECT_EQ(format_of_actions(std::vector<OfAction>{ct}),
            "ct(commit,table=2,zone=5,nat(src=10.0.0.1))");
  EXPECT_EQ(action_name(OfAction{action::Clone{}}), "clone");
}

}  // namespace
}  // namespace flowpath::openflow
