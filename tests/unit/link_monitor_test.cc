// The interface state machine fed crafted rtnetlink messages (no socket, no
// root): parsing, appear/change/delete, renames, re-creation under a new
// index, lost events found by a resync.
#include "vport/link_monitor.h"

#include <gtest/gtest.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>

namespace flowpath {
namespace {

constexpr unsigned kUpRunning = IFF_UP | IFF_RUNNING;

struct Built {
  alignas(nlmsghdr) char buffer[1024] = {};
  const nlmsghdr* message() const { return reinterpret_cast<const nlmsghdr*>(buffer); }
};

struct LinkSpec {
  uint16_t type = RTM_NEWLINK;
  int ifindex = 7;
  const char* name = "veth0";
  unsigned flags = kUpRunning;
  uint32_t mtu = 1500;
  uint8_t last_mac_byte = 0x07;  // of 02:00:00:00:00:XX
  uint8_t family = AF_UNSPEC;
};

Built build(const LinkSpec& s) {
  Built b;
  nlmsghdr* message = mnl_nlmsg_put_header(b.buffer);
  message->nlmsg_type = s.type;
  auto* info = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(message, sizeof(ifinfomsg)));
  info->ifi_family = s.family;
  info->ifi_index = s.ifindex;
  info->ifi_flags = s.flags;
  if (s.name != nullptr) mnl_attr_put_strz(message, IFLA_IFNAME, s.name);
  mnl_attr_put_u32(message, IFLA_MTU, s.mtu);
  const uint8_t mac[6] = {0x02, 0, 0, 0, 0, s.last_mac_byte};
  mnl_attr_put(message, IFLA_ADDRESS, sizeof mac, mac);
  return b;
}

LinkMessage message(const LinkSpec& s) {
  Built b = build(s);
  auto parsed = parse_link_message(b.message());
  EXPECT_TRUE(parsed.has_value());
  return parsed.value_or(LinkMessage{});
}

TEST(LinkMessageParse, ReadsIndexNameFlagsMtuAndAddress) {
  LinkSpec s;
  s.flags = IFF_UP;  // administratively up, no carrier
  s.mtu = 9000;
  Built b = build(s);
  auto parsed = parse_link_message(b.message());
  ASSERT_TRUE(parsed);
  EXPECT_FALSE(parsed->deleted);
  EXPECT_EQ(parsed->link.ifindex, 7u);
  EXPECT_EQ(parsed->link.name, "veth0");
  EXPECT_FALSE(parsed->link.up);
  EXPECT_EQ(parsed->link.mtu, 9000u);
  ASSERT_TRUE(parsed->link.mac);
  EXPECT_EQ((*parsed->link.mac)[5], 0x07);

  s.type = RTM_DELLINK;
  s.flags = kUpRunning;
  Built d = build(s);
  auto deleted = parse_link_message(d.message());
  ASSERT_TRUE(deleted);
  EXPECT_TRUE(deleted->deleted);
  EXPECT_TRUE(deleted->link.up);
}

TEST(LinkMessageParse, RefusesWhatIsNoInterfaceMessage) {
  LinkSpec bridge;
  bridge.family = AF_BRIDGE;  // a port leaving a Linux bridge, not a device going away
  bridge.type = RTM_DELLINK;
  EXPECT_FALSE(parse_link_message(build(bridge).message()));
  LinkSpec nameless;
  nameless.name = nullptr;
  EXPECT_FALSE(parse_link_message(build(nameless).message()));
  LinkSpec route;
  route.type = RTM_NEWROUTE;
  EXPECT_FALSE(parse_link_message(build(route).message()));
  LinkSpec no_index;
  no_index.ifindex = 0;
  EXPECT_FALSE(parse_link_message(build(no_index).message()));
  // Shorter than its family header.
  Built b;
  nlmsghdr* m = mnl_nlmsg_put_header(b.buffer);
  m->nlmsg_type = RTM_NEWLINK;
  EXPECT_FALSE(parse_link_message(b.message()));
  // An interface name without its terminating NUL.
  Built unterminated = build(LinkSpec{});
  nlmsghdr* u = const_cast<nlmsghdr*>(unterminated.message());
  for (nlattr* a = static_cast<nlattr*>(mnl_nlmsg_get_payload_offset(u, sizeof(ifinfomsg)));
       mnl_attr_ok(a, static_cast<int>(static_cast<char*>(mnl_nlmsg_get_payload_tail(u)) -
                                       reinterpret_cast<char*>(a)));
       a = mnl_attr_next(a)) {
    if (mnl_attr_get_type(a) == IFLA_IFNAME) {
      auto* text = static_cast<char*>(mnl_attr_get_payload(a));
      std::memset(text, 'x', mnl_attr_get_payload_len(a));
    }
  }
  EXPECT_FALSE(parse_link_message(unterminated.message()));
}

TEST(LinkTable, AppearsChangesAndGoes) {
  LinkTable table;
  auto changes = table.apply(message({}));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind, LinkChange::Kind::kAppeared);
  EXPECT_TRUE(changes[0].link.up);
  ASSERT_NE(table.find("veth0"), nullptr);

  // The same state again: nothing changed.
  EXPECT_TRUE(table.apply(message({})).empty());

  LinkSpec down;
  down.flags = IFF_UP;
  changes = table.apply(message(down));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind, LinkChange::Kind::kChanged);
  EXPECT_TRUE(changes[0].up_changed);
  EXPECT_FALSE(changes[0].mtu_changed);
  EXPECT_FALSE(changes[0].link.up);

  LinkSpec bigger = down;
  bigger.mtu = 9000;
  bigger.last_mac_byte = 0x99;
  changes = table.apply(message(bigger));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_FALSE(changes[0].up_changed);
  EXPECT_TRUE(changes[0].mtu_changed);
  EXPECT_TRUE(changes[0].mac_changed);
  EXPECT_EQ(changes[0].link.mtu, 9000u);

  LinkSpec gone = bigger;
  gone.type = RTM_DELLINK;
  changes = table.apply(message(gone));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind, LinkChange::Kind::kGone);
  EXPECT_EQ(changes[0].link.name, "veth0");
  EXPECT_TRUE(changes[0].renamed_to.empty());
  EXPECT_EQ(table.find("veth0"), nullptr);
  EXPECT_EQ(table.size(), 0u);
  // A deletion of what is not known is no news.
  EXPECT_TRUE(table.apply(message(gone)).empty());
}

TEST(LinkTable, RenameIsGoneThenAppeared) {
  LinkTable table;
  table.apply(message({}));
  LinkSpec renamed;
  renamed.name = "eth-app";
  auto changes = table.apply(message(renamed));
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].kind, LinkChange::Kind::kGone);
  EXPECT_EQ(changes[0].link.name, "veth0");
  EXPECT_EQ(changes[0].renamed_to, "eth-app");
  EXPECT_EQ(changes[1].kind, LinkChange::Kind::kAppeared);
  EXPECT_EQ(changes[1].link.name, "eth-app");
  EXPECT_EQ(table.find("veth0"), nullptr);
  ASSERT_NE(table.find("eth-app"), nullptr);
  EXPECT_EQ(table.find("eth-app")->ifindex, 7u);
}

TEST(LinkTable, RecreatedUnderANewIndex) {
  LinkTable table;
  table.apply(message({}));
  // The deletion was lost: the name comes back with another index.
  LinkSpec again;
  again.ifindex = 12;
  auto changes = table.apply(message(again));
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].kind, LinkChange::Kind::kGone);
  EXPECT_EQ(changes[0].link.ifindex, 7u);
  EXPECT_EQ(changes[1].kind, LinkChange::Kind::kAppeared);
  EXPECT_EQ(changes[1].link.ifindex, 12u);
  EXPECT_EQ(table.size(), 1u);
  // With the deletion seen: gone, then appeared.
  LinkSpec del = again;
  del.type = RTM_DELLINK;
  EXPECT_EQ(table.apply(message(del)).size(), 1u);
  LinkSpec third;
  third.ifindex = 13;
  changes = table.apply(message(third));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind, LinkChange::Kind::kAppeared);
}

TEST(LinkTable, ResyncReportsWhatVanishedUnseen) {
  LinkTable table;
  table.apply(message({}));
  LinkSpec other;
  other.ifindex = 8;
  other.name = "veth1";
  table.apply(message(other));
  LinkSpec third;
  third.ifindex = 9;
  third.name = "veth2";
  table.apply(message(third));
  // Events were lost: veth1 went down, veth2 was deleted, veth3 was made.
  table.begin_resync();
  table.apply(message({}));
  LinkSpec other_down = other;
  other_down.flags = IFF_UP;
  auto changes = table.apply(message(other_down));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_TRUE(changes[0].up_changed);
  LinkSpec fourth;
  fourth.ifindex = 10;
  fourth.name = "veth3";
  changes = table.apply(message(fourth));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind, LinkChange::Kind::kAppeared);
  changes = table.end_resync();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind, LinkChange::Kind::kGone);
  EXPECT_EQ(changes[0].link.name, "veth2");
  EXPECT_EQ(table.size(), 3u);
  // A second resync that sees everything reports nothing.
  table.begin_resync();
  table.apply(message({}));
  table.apply(message(other_down));
  table.apply(message(fourth));
  EXPECT_TRUE(table.end_resync().empty());
}

}  // namespace
}  // namespace flowpath
