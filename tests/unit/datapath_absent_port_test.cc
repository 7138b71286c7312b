// Ports whose interface does not exist: kept under their number with their
// spec and reason, listed as absent, never published to forwarding threads,
// and attached only when their interface can be opened. No root needed:
// the interfaces named here do not exist.
#include <gtest/gtest.h>

#include "common/rcu.h"
#include "datapath/datapath.h"

namespace flowpath {
namespace {

VportSpec afpacket(const std::string& name) { return VportSpec{name, VportKind::kAfPacket, {}}; }

const PortInfo* find(const std::vector<PortInfo>& ports, uint32_t number) {
  for (const PortInfo& p : ports)
    if (p.port_no == number) return &p;
  return nullptr;
}

TEST(AbsentPort, KeepsItsNumberNameAndReasonAndIsNeverPolled) {
  Datapath dp("absenttest");
  auto number = dp.add_absent_port(afpacket("fpnone0"), std::nullopt, "interface fpnone0 does not exist");
  ASSERT_TRUE(number.ok()) << number.error();
  EXPECT_EQ(*number, 1u);
  EXPECT_TRUE(dp.is_absent(1));
  {
    rcu::ReadSection section;
    EXPECT_EQ(dp.port(1), nullptr);  // nothing for a forwarding thread
  }
  EXPECT_TRUE(dp.port_objects().empty());
  auto ports = dp.ports();
  const PortInfo* info = find(ports, 1);
  ASSERT_NE(info, nullptr);
  EXPECT_TRUE(info->absent);
  EXPECT_EQ(info->name, "fpnone0");
  EXPECT_EQ(info->absent_reason, "interface fpnone0 does not exist");
  ASSERT_TRUE(dp.port_number("fpnone0").ok());
  EXPECT_EQ(*dp.port_number("fpnone0"), 1u);

  // Its number and name are taken.
  auto second = dp.add_absent_port(afpacket("fpnone1"), std::nullopt, "x");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, 2u);
  auto same_number = dp.add_absent_port(afpacket("fpnone2"), 1, "x");
  ASSERT_FALSE(same_number.ok());
  EXPECT_EQ(same_number.error(), "port number 1 is in use by fpnone0");
  auto same_name = dp.add_absent_port(afpacket("fpnone0"), std::nullopt, "x");
  ASSERT_FALSE(same_name.ok());
  EXPECT_EQ(same_name.error(), "port fpnone0 is already port 1 of datapath absenttest");
}

TEST(AbsentPort, AttachFailsWhileTheInterfaceIsMissingAndKeepsTheError) {
  Datapath dp("absenttest");
  ASSERT_TRUE(dp.add_absent_port(afpacket("fpnone0"), 3, "interface fpnone0 does not exist").ok());
  Status attached = dp.attach_absent_port(3);
  ASSERT_FALSE(attached.ok());
  EXPECT_NE(attached.error().find("fpnone0"), std::string::npos) << attached.error();
  EXPECT_TRUE(dp.is_absent(3));
  auto ports = dp.ports();
  EXPECT_EQ(find(ports, 3)->absent_reason, attached.error());
  EXPECT_FALSE(dp.attach_absent_port(4).ok());  // no such absent port
}

TEST(AbsentPort, OnlyPortsOfExistingInterfacesMayWait) {
  Datapath dp("absenttest");
  auto tap = dp.add_absent_port(VportSpec{"fptap0", VportKind::kTap, {}}, std::nullopt, "x");
  ASSERT_FALSE(tap.ok());
  EXPECT_EQ(tap.error(), "tap port fptap0 cannot wait for an interface");
  EXPECT_TRUE(dp.add_absent_port(VportSpec{"fpxdp0", VportKind::kAfXdp, {}}, std::nullopt, "x").ok());
  EXPECT_FALSE(dp.make_port_absent(7, "gone").ok());  // no attached port 7
}

TEST(AbsentPort, RemovingItForgetsItAndFreesTheNumber) {
  Datapath dp("absenttest");
  ASSERT_TRUE(dp.add_absent_port(afpacket("fpnone0"), std::nullopt, "x").ok());
  auto detached = dp.detach_port(1);
  ASSERT_TRUE(detached.ok());
  EXPECT_EQ(*detached, nullptr);  // nothing was open
  EXPECT_FALSE(dp.is_absent(1));
  EXPECT_TRUE(dp.ports().empty());
  auto again = dp.add_absent_port(afpacket("fpnone1"), std::nullopt, "x");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 1u);
}

TEST(AbsentPort, OptionsAreCheckedWithoutTheDevice) {
  EXPECT_TRUE(check_interface_port_spec(VportKind::kAfPacket, "fpnone0", {}).ok());
  Status bad = check_interface_port_spec(VportKind::kAfPacket, "fpnone0", {{"tx_ring", "maybe"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "afpacket port fpnone0: option tx_ring=maybe is not one of on, off");
  EXPECT_FALSE(check_interface_port_spec(VportKind::kAfPacket, "a-name-longer-than-15", {}).ok());
  EXPECT_FALSE(check_interface_port_spec(VportKind::kAfXdp, "fpnone0", {{"mode", "fast"}}).ok());
}

}  // namespace
}  // namespace flowpath
