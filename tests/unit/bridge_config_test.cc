// Bridge configuration: add-port settings, the NORMAL action's VLAN rules
// and the TOML state file.
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ofproto/bridge_config.h"
#include "vport/vport.h"

namespace flowpath::ofproto {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

PortConfig parse_ok(const std::vector<std::string>& words, std::string_view name = "eth0") {
  auto port = parse_port_settings(name, words);
  EXPECT_TRUE(port.ok()) << port.error();
  return port.ok() ? *port : PortConfig{};
}

// ---------------------------------------------------------------------------
// Settings.

TEST(BridgeConfigTest, VlanModeNames) {
  EXPECT_EQ(to_string(VlanMode::kTrunk), "trunk");
  EXPECT_EQ(to_string(VlanMode::kAccess), "access");
  EXPECT_EQ(to_string(VlanMode::kNativeTagged), "native-tagged");
  EXPECT_EQ(to_string(VlanMode::kNativeUntagged), "native-untagged");
}

TEST(BridgeConfigTest, DefaultsWithoutSettings) {
  PortConfig port = parse_ok({});
  EXPECT_EQ(port.name, "eth0");
  EXPECT_EQ(port.type, "afpacket");
  EXPECT_TRUE(port.options.empty());
  EXPECT_EQ(port.ofport, 0u);
  EXPECT_EQ(port.tag, std::nullopt);
  EXPECT_TRUE(port.trunks.empty());
  EXPECT_EQ(port.vlan_mode, std::nullopt);
  EXPECT_TRUE(port.admin_up);
  EXPECT_EQ(port.effective_vlan_mode(), VlanMode::kTrunk);
}

TEST(BridgeConfigTest, OptionsColumnWordsAreVportOptions) {
  // As ovs-vsctl spells a tunnel: options:KEY=VALUE.
  PortConfig port = parse_ok({"type=vxlan", "options:remote_ip=192.0.2.2", "options:key=42"},
                             "vx0");
  EXPECT_EQ(port.type, "vxlan");
  EXPECT_THAT(port.options, ElementsAre(Pair("remote_ip", "192.0.2.2"), Pair("key", "42")));
  EXPECT_EQ(port.vport_spec(), "vx0,type=vxlan,remote_ip=192.0.2.2,key=42");
  auto setting = parse_port_settings("vx0", {"options:tag=7"});
  ASSERT_FALSE(setting.ok());
  EXPECT_EQ(setting.error(),
            "options:tag: 'tag' is a port setting, not a vport option (write tag=VALUE)");
  auto twice = parse_port_settings("vx0", {"options:key=1", "key=2"});
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error(), "setting 'key' is given twice");
  auto empty = parse_port_settings("vx0", {"options:=1"});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error(), "setting 'options:=1' has no option name after options:");
}

TEST(BridgeConfigTest, ParsesEverySetting) {
  PortConfig port = parse_ok({"type=tap", "tag=100", "trunks=30,10-12,11,4095,0",
                              "vlan_mode=native-untagged", "ofport_request=1023", "admin=down",
                              "rx_ring=4096", "mtu=", "path=a=b"});
  EXPECT_EQ(port.type, "tap");
  EXPECT_EQ(port.tag, 100);
  EXPECT_THAT(port.trunks, ElementsAre(0, 10, 11, 12, 30, 4095));
  EXPECT_EQ(port.vlan_mode, VlanMode::kNativeUntagged);
  EXPECT_EQ(port.ofport, 1023u);
  EXPECT_FALSE(port.admin_up);
  EXPECT_THAT(port.options,
              ElementsAre(Pair("rx_ring", "4096"), Pair("mtu", ""), Pair("path", "a=b")));
}

TEST(BridgeConfigTest, MtuRequestIsThePortsMtuOption) {
  EXPECT_THAT(parse_ok({"mtu_request=9000"}).options, ElementsAre(Pair("mtu", "9000")));
  EXPECT_EQ(parse_ok({"mtu_request=9000"}).vport_spec(), "eth0,type=afpacket,mtu=9000");
  EXPECT_THAT(parse_ok({"mtu=1400"}).options, ElementsAre(Pair("mtu", "1400")));
  for (auto words : {std::vector<std::string>{"mtu_request=9000", "mtu=9000"},
                     std::vector<std::string>{"mtu=9000", "mtu_request=1500"}}) {
    auto port = parse_port_settings("eth0", words);
    ASSERT_FALSE(port.ok());
    EXPECT_EQ(port.error(), "mtu_request and mtu both set the MTU; give one");
  }
}

TEST(BridgeConfigTest, EffectiveVlanMode) {
  EXPECT_EQ(parse_ok({"tag=5"}).effective_vlan_mode(), VlanMode::kAccess);
  EXPECT_EQ(parse_ok({"tag=0"}).effective_vlan_mode(), VlanMode::kAccess);
  EXPECT_EQ(parse_ok({"trunks=5"}).effective_vlan_mode(), VlanMode::kTrunk);
  EXPECT_EQ(parse_ok({"vlan_mode=trunk"}).effective_vlan_mode(), VlanMode::kTrunk);
  EXPECT_EQ(parse_ok({"vlan_mode=access", "tag=5"}).effective_vlan_mode(), VlanMode::kAccess);
  EXPECT_EQ(parse_ok({"vlan_mode=native-tagged", "tag=5"}).effective_vlan_mode(),
            VlanMode::kNativeTagged);
  EXPECT_EQ(parse_ok({"vlan_mode=native-untagged", "tag=5", "trunks=6"}).effective_vlan_mode(),
            VlanMode::kNativeUntagged);
}

TEST(BridgeConfigTest, AcceptsEveryVportType) {
  for (const char* type : {"afpacket", "tap", "internal", "pcap", "afxdp", "vxlan"}) {
    EXPECT_EQ(parse_ok({std::string("type=") + type}).type, type);
  }
}

TEST(BridgeConfigTest, AcceptsLinuxInterfaceNames) {
  for (const char* name : {"a", "eth0", "veth-a_1.2", "abcdefghijklmno", "br@x"}) {
    EXPECT_EQ(parse_ok({}, name).name, name);
  }
}

struct BadSettings {
  std::string name;
  std::vector<std::string> words;
  std::string message;  // the whole message, or its start when it ends in "..."
};
void PrintTo(const BadSettings& bad, std::ostream* out) {
  *out << "'" << bad.name << "'";
  for (const std::string& word : bad.words) *out << " " << word;
}

class BadSettingsTest : public ::testing::TestWithParam<BadSettings> {};

TEST_P(BadSettingsTest, IsRefusedWithAPreciseMessage) {
  const BadSettings& bad = GetParam();
  auto port = parse_port_settings(bad.name, bad.words);
  ASSERT_FALSE(port.ok());
  if (bad.message.ends_with("...")) {
    EXPECT_THAT(port.error(), ::testing::StartsWith(bad.message.substr(0, bad.message.size() - 3)));
  } else {
    EXPECT_EQ(port.error(), bad.message);
  }
}

INSTANTIATE_TEST_SUITE_P(
    BridgeConfigTest, BadSettingsTest,
    ::testing::Values(
        BadSettings{"", {}, "interface name is empty"},
        BadSettings{"abcdefghijklmnop", {},
                    "interface name 'abcdefghijklmnop' is 16 bytes long (Linux allows at most 15)"},
        BadSettings{".", {}, "interface name '.' is not allowed by Linux"},
        BadSettings{"..", {}, "interface name '..' is not allowed by Linux"},
        BadSettings{"a/b", {}, "interface name 'a/b' contains '/'"},
        BadSettings{"a:1", {}, "interface name 'a:1' contains ':'"},
        BadSettings{"a b", {}, "interface name 'a b' contains a space"},
        BadSettings{"a\tb", {}, "interface name 'a\tb' contains \\x09"},
        BadSettings{"a,b", {}, "interface name 'a,b' contains ','"},
        BadSettings{"a=b", {}, "interface name 'a=b' contains '='"},
        BadSettings{"eth0", {"access"}, "setting 'access' is not KEY=VALUE"},
        BadSettings{"eth0", {"=5"}, "setting '=5' has no key before '='"},
        BadSettings{"eth0", {"tag=1", "tag=2"}, "setting 'tag' is given twice"},
        BadSettings{"eth0", {"k=1", "k=2"}, "setting 'k' is given twice"},
        // The list of types is the vport layer's.
        BadSettings{"eth0", {"type=erspan"}, "unknown port type 'erspan' (expected afpacket, ..."},
        BadSettings{"eth0", {"tag=4096"}, "tag=4096 is not a VLAN ID (0..4095)"},
        BadSettings{"eth0", {"tag=-1"}, "tag=-1 is not a VLAN ID (0..4095)"},
        BadSettings{"eth0", {"tag=1x"}, "tag=1x is not a VLAN ID (0..4095)"},
        BadSettings{"eth0", {"tag="}, "tag= is not a VLAN ID (0..4095)"},
        BadSettings{"eth0", {"trunks="}, "trunks= needs at least one VLAN (N, N,M,... or N-M)"},
        BadSettings{"eth0", {"trunks=1,,2"}, "trunks=1,,2 has an empty entry"},
        BadSettings{"eth0", {"trunks=1,"}, "trunks=1, has an empty entry"},
        BadSettings{"eth0", {"trunks=1,5000"}, "trunks=1,5000: '5000' is not a VLAN ID (0..4095)"},
        BadSettings{"eth0", {"trunks=x"}, "trunks=x: 'x' is not a VLAN ID (0..4095)"},
        BadSettings{"eth0", {"trunks=20-10"}, "trunks=20-10: range '20-10' ends below its start"},
        BadSettings{"eth0", {"trunks=1-2-3"}, "trunks=1-2-3: '2-3' is not a VLAN ID (0..4095)"},
        BadSettings{"eth0", {"trunks=5-"}, "trunks=5-: '' is not a VLAN ID (0..4095)"},
        BadSettings{"eth0", {"vlan_mode=dot1q-tunnel", "tag=5"},
                    "vlan_mode=dot1q-tunnel is not one of access, trunk, native-tagged, "
                    "native-untagged"},
        BadSettings{"eth0", {"ofport_request=0"},
                    "ofport_request=0 is not a port number (1..1023)"},
        BadSettings{"eth0", {"ofport_request=1024"},
                    "ofport_request=1024 is not a port number (1..1023)"},
        BadSettings{"eth0", {"ofport_request=one"},
                    "ofport_request=one is not a port number (1..1023)"},
        BadSettings{"eth0", {"admin=off"}, "admin=off is neither up nor down"},
        BadSettings{"eth0", {"port_no=3"},
                    "port_no is the datapath's; request a number with ofport_request=N"},
        BadSettings{"eth0", {"file=a,b"}, "option 'file=a,b' contains ','"},
        BadSettings{"eth0", {"vlan_mode=access"}, "vlan_mode=access needs tag=VLAN"},
        BadSettings{"eth0", {"vlan_mode=access", "tag=5", "trunks=6"},
                    "vlan_mode=access cannot have trunks"},
        BadSettings{"eth0", {"tag=5", "trunks=6"},
                    "a port with tag=5 is an access port and cannot have trunks (for a native "
                    "VLAN on a trunk, add vlan_mode=native-tagged or native-untagged)"},
        BadSettings{"eth0", {"vlan_mode=trunk", "tag=5"},
                    "vlan_mode=trunk cannot have a tag (for a native VLAN use "
                    "vlan_mode=native-tagged or native-untagged)"},
        BadSettings{"eth0", {"vlan_mode=native-tagged"},
                    "vlan_mode=native-tagged needs tag=VLAN (the native VLAN)"},
        BadSettings{"eth0", {"vlan_mode=native-untagged", "trunks=1"},
                    "vlan_mode=native-untagged needs tag=VLAN (the native VLAN)"}));

TEST(BridgeConfigTest, VportSpecIsAcceptedByTheDatapath) {
  PortConfig port = parse_ok({"type=pcap", "ofport_request=7", "tag=3", "rx=in.pcap",
                              "tx=out.pcap"},
                             "pc0");
  EXPECT_EQ(port.vport_spec(), "pc0,type=pcap,port_no=7,rx=in.pcap,tx=out.pcap");
  auto spec = parse_vport_spec(port.vport_spec());
  ASSERT_TRUE(spec.ok()) << spec.error();
  EXPECT_EQ(spec->name, "pc0");
  EXPECT_EQ(spec->kind, VportKind::kPcap);
  EXPECT_EQ(spec->options,
            (VportOptions{{"port_no", "7"}, {"rx", "in.pcap"}, {"tx", "out.pcap"}}));

  PortConfig plain = parse_ok({}, "veth1");
  EXPECT_EQ(plain.vport_spec(), "veth1,type=afpacket");  // no port_no: the datapath picks
  auto plain_spec = parse_vport_spec(plain.vport_spec());
  ASSERT_TRUE(plain_spec.ok()) << plain_spec.error();
  EXPECT_EQ(plain_spec->kind, VportKind::kAfPacket);
  EXPECT_TRUE(plain_spec->options.empty());
}

// ---------------------------------------------------------------------------
// VLAN rules. nullopt VID: untagged.

constexpr std::optional<uint16_t> kUntagged = std::nullopt;
constexpr std::optional<uint16_t> kDrop = std::nullopt;

struct InputCase {
  std::vector<std::string> settings;
  std::optional<uint16_t> vid;
  std::optional<uint16_t> vlan;  // kDrop: dropped
};
void PrintTo(const InputCase& c, std::ostream* out) {
  for (const std::string& word : c.settings) *out << word << " ";
  *out << "vid " << (c.vid ? std::to_string(*c.vid) : "none");
}

class InputVlanTest : public ::testing::TestWithParam<InputCase> {};

TEST_P(InputVlanTest, MapsTheFrameToItsVlan) {
  const InputCase& c = GetParam();
  EXPECT_EQ(input_vlan(parse_ok(c.settings), c.vid), c.vlan);
}

INSTANTIATE_TEST_SUITE_P(
    BridgeConfigTest, InputVlanTest,
    ::testing::Values(
        // access
        InputCase{{"tag=10"}, kUntagged, 10}, InputCase{{"tag=10"}, 0, 10},  // priority tag
        InputCase{{"tag=10"}, 20, kDrop},
        InputCase{{"tag=10"}, 10, kDrop},  // tagged, even with its own VLAN
        InputCase{{"vlan_mode=access", "tag=0"}, kUntagged, 0},
        InputCase{{"vlan_mode=access", "tag=0"}, 5, kDrop},
        // trunk, every VLAN
        InputCase{{}, kUntagged, 0}, InputCase{{}, 0, 0}, InputCase{{}, 1, 1},
        InputCase{{}, 4095, 4095}, InputCase{{}, 4096, kDrop},  // not a VID
        // trunk with a list
        InputCase{{"trunks=10,20"}, 10, 10}, InputCase{{"trunks=10,20"}, 20, 20},
        InputCase{{"trunks=10,20"}, 30, kDrop}, InputCase{{"trunks=10,20"}, kUntagged, kDrop},
        InputCase{{"trunks=10,20"}, 0, kDrop}, InputCase{{"trunks=0,10"}, kUntagged, 0},
        InputCase{{"trunks=0,10"}, 0, 0},
        InputCase{{"vlan_mode=trunk", "trunks=10"}, 10, 10},
        // native-tagged
        InputCase{{"vlan_mode=native-tagged", "tag=5"}, kUntagged, 5},
        InputCase{{"vlan_mode=native-tagged", "tag=5"}, 0, 5},
        InputCase{{"vlan_mode=native-tagged", "tag=5"}, 5, 5},
        InputCase{{"vlan_mode=native-tagged", "tag=5"}, 7, 7},
        InputCase{{"vlan_mode=native-tagged", "tag=5", "trunks=7"}, 7, 7},
        InputCase{{"vlan_mode=native-tagged", "tag=5", "trunks=7"}, 5, 5},  // native always
        InputCase{{"vlan_mode=native-tagged", "tag=5", "trunks=7"}, 8, kDrop},
        InputCase{{"vlan_mode=native-tagged", "tag=5", "trunks=7"}, kUntagged, 5},
        // native-untagged: the same on input
        InputCase{{"vlan_mode=native-untagged", "tag=5", "trunks=7"}, kUntagged, 5},
        InputCase{{"vlan_mode=native-untagged", "tag=5", "trunks=7"}, 0, 5},
        InputCase{{"vlan_mode=native-untagged", "tag=5", "trunks=7"}, 5, 5},
        InputCase{{"vlan_mode=native-untagged", "tag=5", "trunks=7"}, 7, 7},
        InputCase{{"vlan_mode=native-untagged", "tag=5", "trunks=7"}, 9, kDrop}));

struct OutputCase {
  std::vector<std::string> settings;
  uint16_t vlan;
  bool carried;
  bool tagged;  // only checked when carried
};
void PrintTo(const OutputCase& c, std::ostream* out) {
  for (const std::string& word : c.settings) *out << word << " ";
  *out << "vlan " << c.vlan;
}

class OutputVlanTest : public ::testing::TestWithParam<OutputCase> {};

TEST_P(OutputVlanTest, CarriesAndTagsAsOpenVswitch) {
  const OutputCase& c = GetParam();
  PortConfig port = parse_ok(c.settings);
  EXPECT_EQ(port_carries_vlan(port, c.vlan), c.carried);
  if (c.carried) {
    EXPECT_EQ(output_tagged(port, c.vlan), c.tagged);
  }
}

INSTANTIATE_TEST_SUITE_P(
    BridgeConfigTest, OutputVlanTest,
    ::testing::Values(
        // access: only its VLAN, untagged
        OutputCase{{"tag=10"}, 10, true, false}, OutputCase{{"tag=10"}, 0, false, false},
        OutputCase{{"tag=10"}, 11, false, false}, OutputCase{{"tag=0"}, 0, true, false},
        // trunk: tagged except VLAN 0
        OutputCase{{}, 0, true, false}, OutputCase{{}, 1, true, true},
        OutputCase{{}, 4095, true, true}, OutputCase{{"trunks=10,20"}, 10, true, true},
        OutputCase{{"trunks=10,20"}, 15, false, false},
        OutputCase{{"trunks=10,20"}, 0, false, false}, OutputCase{{"trunks=0"}, 0, true, false},
        // native-tagged: always tagged, native VLAN included
        OutputCase{{"vlan_mode=native-tagged", "tag=5"}, 5, true, true},
        OutputCase{{"vlan_mode=native-tagged", "tag=5"}, 6, true, true},
        OutputCase{{"vlan_mode=native-tagged", "tag=5"}, 0, true, false},
        OutputCase{{"vlan_mode=native-tagged", "tag=5", "trunks=7"}, 5, true, true},
        OutputCase{{"vlan_mode=native-tagged", "tag=5", "trunks=7"}, 7, true, true},
        OutputCase{{"vlan_mode=native-tagged", "tag=5", "trunks=7"}, 8, false, false},
        OutputCase{{"vlan_mode=native-tagged", "tag=5", "trunks=7"}, 0, false, false},
        // native-untagged: native VLAN untagged, others tagged
        OutputCase{{"vlan_mode=native-untagged", "tag=5"}, 5, true, false},
        OutputCase{{"vlan_mode=native-untagged", "tag=5"}, 6, true, true},
        OutputCase{{"vlan_mode=native-untagged", "tag=5"}, 0, true, false},
        OutputCase{{"vlan_mode=native-untagged", "tag=5", "trunks=7"}, 5, true, false},
        OutputCase{{"vlan_mode=native-untagged", "tag=5", "trunks=7"}, 7, true, true},
        OutputCase{{"vlan_mode=native-untagged", "tag=5", "trunks=7"}, 9, false, false}));

TEST(BridgeConfigTest, VlanRulesDoNotNeedSortedTrunks) {
  PortConfig port;
  port.trunks = {300, 7, 42};
  EXPECT_TRUE(port_carries_vlan(port, 7));
  EXPECT_TRUE(port_carries_vlan(port, 300));
  EXPECT_FALSE(port_carries_vlan(port, 8));
  EXPECT_EQ(input_vlan(port, 42), 42);
}

// ---------------------------------------------------------------------------
// State file.

class StateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "fp-state-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::permissions(dir_, fs::perms::owner_all, ignored);
    fs::remove_all(dir_, ignored);
  }

  std::string write(const std::string& text, const std::string& name = "state.toml") {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  static std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  // The error of loading `text`, with the file's path taken out.
  std::string load_error(const std::string& text) {
    const std::string path = write(text);
    auto state = load_state_file(path);
    if (state.ok()) return "(loaded)";
    std::string message = state.error();
    const std::string prefix = "state file " + path;
    if (message.rfind(prefix, 0) == 0) message = "state file" + message.substr(prefix.size());
    return message;
  }

  fs::path dir_;
};

SwitchState rich_state() {
  SwitchState state;
  BridgeConfig br0;
  br0.name = "br0";
  br0.mac_table_size = 1000;
  br0.mac_aging_seconds = 60;
  br0.max_idle_ms = 2500;
  br0.datapath.flow_limit = 50000;
  br0.datapath.upcall_rate = 0;
  br0.datapath.emc = true;
  br0.datapath.vlan_limit = 2;
  br0.flows = {"table=0,priority=0,actions=NORMAL",
               "table=0,priority=10,dl_type=0x0800,nw_src=10.0.0.1,actions=drop",
               "odd \"quoted\" \\ back\tslash\nnew line \x01 \x7f caf\xc3\xa9 \xe2\x82\xac"};
  br0.groups = {"group_id=1,type=all,bucket=output:1,bucket=output:2"};
  br0.meters = {"meter=1,kbps,band=type=drop,rate=1000"};
  PortConfig p1 = parse_ok({"ofport_request=1", "tag=10"}, "veth0");
  PortConfig p2 = parse_ok({"type=pcap", "ofport_request=2", "vlan_mode=native-untagged",
                            "tag=5", "trunks=7,1-3", "admin=down", "rx=/tmp/in file.pcap",
                            "tx=out.pcap", "odd.key=\"q\""},
                           "pc0");
  PortConfig p3 = parse_ok({"trunks=0,100", "type=internal"}, "int0");  // ofport 0: any
  br0.ports = {p1, p2, p3};
  BridgeConfig br1;
  br1.name = "br1";  // defaults, nothing in it
  state.bridges = {br0, br1};
  return state;
}

void expect_same_port(const PortConfig& a, const PortConfig& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.options, b.options);
  EXPECT_EQ(a.ofport, b.ofport);
  EXPECT_EQ(a.tag, b.tag);
  EXPECT_EQ(a.trunks, b.trunks);
  EXPECT_EQ(a.vlan_mode, b.vlan_mode);
  EXPECT_EQ(a.admin_up, b.admin_up);
}

void expect_same_state(const SwitchState& a, const SwitchState& b) {
  ASSERT_EQ(a.bridges.size(), b.bridges.size());
  for (size_t i = 0; i < a.bridges.size(); ++i) {
    const BridgeConfig& x = a.bridges[i];
    const BridgeConfig& y = b.bridges[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.mac_table_size, y.mac_table_size);
    EXPECT_EQ(x.mac_aging_seconds, y.mac_aging_seconds);
    EXPECT_EQ(x.max_idle_ms, y.max_idle_ms);
    EXPECT_TRUE(x.datapath == y.datapath) << x.name << "'s datapath settings";
    EXPECT_EQ(x.flows, y.flows);
    EXPECT_EQ(x.groups, y.groups);
    EXPECT_EQ(x.meters, y.meters);
    ASSERT_EQ(x.ports.size(), y.ports.size());
    for (size_t k = 0; k < x.ports.size(); ++k) expect_same_port(x.ports[k], y.ports[k]);
  }
}

TEST_F(StateFileTest, RoundTripsARichState) {
  const std::string path = (dir_ / "state.toml").string();
  const SwitchState state = rich_state();
  ASSERT_TRUE(save_state_file(path, state).ok());
  auto loaded = load_state_file(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error() << "\n" << read(path);
  expect_same_state(state, *loaded);

  // Saving what was loaded gives the same bytes.
  const std::string first = read(path);
  ASSERT_TRUE(save_state_file(path, *loaded).ok());
  EXPECT_EQ(read(path), first);
  EXPECT_THAT(first, HasSubstr("Written by flowpathd"));
  EXPECT_EQ(first.rfind("# ", 0), 0u);
}

TEST_F(StateFileTest, WritesReadableToml) {
  SwitchState state;
  BridgeConfig br;
  br.name = "br0";
  br.flows = {"actions=NORMAL"};
  br.ports = {parse_ok({"ofport_request=3", "vlan_mode=native-tagged", "tag=4", "trunks=9,8",
                        "speed=fast"},
                       "veth0"),
              parse_ok({}, "veth1")};
  state.bridges = {br};
  const std::string path = (dir_ / "state.toml").string();
  ASSERT_TRUE(save_state_file(path, state).ok());
  const std::string text = read(path);
  EXPECT_THAT(text, HasSubstr("[[bridge]]\nname = \"br0\"\nmac_table_size = 8192\n"
                              "mac_aging_seconds = 300\nmax_idle_ms = 10000\n"
                              "flows = [\n  \"actions=NORMAL\",\n]\ngroups = []\nmeters = []\n"));
  EXPECT_THAT(text, HasSubstr("[[bridge.port]]\nname = \"veth0\"\ntype = \"afpacket\"\n"
                              "ofport = 3\ntag = 4\ntrunks = [8, 9]\n"
                              "vlan_mode = \"native-tagged\"\nadmin_up = true\n"
                              "options = { speed = \"fast\" }\n"));
  // No tag and no vlan_mode when they are not set.
  EXPECT_THAT(text, HasSubstr("[[bridge.port]]\nname = \"veth1\"\ntype = \"afpacket\"\n"
                              "ofport = 0\ntrunks = []\nadmin_up = true\noptions = {}\n"));
}

TEST_F(StateFileTest, MissingFileIsAnEmptyState) {
  auto state = load_state_file((dir_ / "nothing-here.toml").string());
  ASSERT_TRUE(state.ok()) << state.error();
  EXPECT_TRUE(state->bridges.empty());
  auto in_missing_dir = load_state_file((dir_ / "no" / "dir" / "state.toml").string());
  ASSERT_TRUE(in_missing_dir.ok()) << in_missing_dir.error();
}

TEST_F(StateFileTest, EmptyAndCommentOnlyFilesAreEmptyStates) {
  auto empty = load_state_file(write(""));
  ASSERT_TRUE(empty.ok()) << empty.error();
  EXPECT_TRUE(empty->bridges.empty());
  auto comments = load_state_file(write("# nothing yet\n\n"));
  ASSERT_TRUE(comments.ok()) << comments.error();
  EXPECT_TRUE(comments->bridges.empty());
}

TEST_F(StateFileTest, ADirectoryIsNotAStateFile) {
  auto state = load_state_file(dir_.string());
  ASSERT_FALSE(state.ok());
  EXPECT_THAT(state.error(), HasSubstr("state file " + dir_.string()));
  EXPECT_THAT(state.error(), HasSubstr("Is a directory"));
}

TEST_F(StateFileTest, SyntaxErrorsNameTheLineAndColumn) {
  const std::string path = write("[[bridge]]\nname = \"br0\"\nflows = [\"a\",\n  oops\n]\n");
  auto state = load_state_file(path);
  ASSERT_FALSE(state.ok());
  EXPECT_THAT(state.error(), HasSubstr("state file " + path + ":4:3: "));

  EXPECT_THAT(load_error("[[bridge]]\nname = \"br0\"\nname = \"br1\"\n"),
              HasSubstr("state file:3:"));
  EXPECT_THAT(load_error("[[bridge]\n"), HasSubstr("state file:1:"));
  EXPECT_THAT(load_error("\n\n[[bridge]]\nname = \"unterminated\n"), HasSubstr("state file:4:"));
}

TEST_F(StateFileTest, WrongTypesAreNamed) {
  EXPECT_EQ(load_error("bridge = 3\n"),
            "state file:1:10: 'bridge' must be tables ([[bridge]]), not an integer");
  EXPECT_EQ(load_error("[[bridge]]\nname = 5\n"),
            "state file:2:8: 'name' must be a string, not an integer");
  EXPECT_EQ(load_error("[[bridge]]\nname = \"br0\"\nmac_table_size = \"big\"\n"),
            "state file:3:18: bridge br0: 'mac_table_size' must be an integer, not a string");
  EXPECT_EQ(load_error("[[bridge]]\nname = \"br0\"\nmac_aging_seconds = -1\n"),
            "state file:3:21: bridge br0: 'mac_aging_seconds' = -1 is out of range "
            "(0..4294967295)");
  EXPECT_EQ(load_error("[[bridge]]\nname = \"br0\"\nemc = 1\n"),
            "state file:3:7: bridge br0: 'emc' must be true or false, not an integer");
  EXPECT_EQ(load_error("[[bridge]]\nname = \"br0\"\nflow_limit = -1\n"),
            "state file:3:14: bridge br0: 'flow_limit' = -1 is out of range (0..9223372036854775807)");
  EXPECT_EQ(load_error("[[bridge]]\nname = \"br0\"\nmax_idle_ms = 1.5\n"),
            "state file:3:15: bridge br0: 'max_idle_ms' must be an integer, not a "
            "floating-point number");
  EXPECT_EQ(load_error("[[bridge]]\nname = \"br0\"\nflows = \"actions=drop\"\n"),
            "state file:3:9: bridge br0: 'flows' must be an array of strings, not a string");
  EXPECT_EQ(load_error("[[bridge]]\nname = \"br0\"\nmeters = [\"a\", 2]\n"),
            "state file:3:16: bridge br0: 'meters' must hold strings, not an integer");
  EXPECT_EQ(load_error("[[bridge]]\nname = \"br0\"\nport = 1\n"),
            "state file:3:8: bridge br0: 'port' must be tables ([[bridge.port]]), not an integer");

  const std::string port = "[[bridge]]\nname = \"br0\"\n[[bridge.port]]\nname = \"eth0\"\n";
  EXPECT_EQ(load_error(port + "tag = \"5\"\n"),
            "state file:5:7: bridge br0: port eth0: 'tag' must be an integer, not a string");
  EXPECT_EQ(load_error(port + "trunks = 5\n"),
            "state file:5:10: bridge br0: port eth0: 'trunks' must be an array of VLAN IDs, "
            "not an integer");
  EXPECT_EQ(load_error(port + "trunks = [1, \"2\"]\n"),
            "state file:5:14: bridge br0: port eth0: 'trunks' must be an integer, not a string");
  EXPECT_EQ(load_error(port + "admin_up = \"yes\"\n"),
            "state file:5:12: bridge br0: port eth0: 'admin_up' must be true or false, not a "
            "string");
  EXPECT_EQ(load_error(port + "options = \"rx=1\"\n"),
            "state file:5:11: bridge br0: port eth0: 'options' must be a table of strings, not "
            "a string");
  EXPECT_EQ(load_error(port + "options = { rx = 1 }\n"),
            "state file:5:18: bridge br0: port eth0: option 'rx' must be a string, not an "
            "integer");
  EXPECT_EQ(load_error(port + "ofport = true\n"),
            "state file:5:10: bridge br0: port eth0: 'ofport' must be an integer, not a boolean");
}

TEST_F(StateFileTest, SemanticErrorsNameBridgeAndPort) {
  const std::string bridge = "[[bridge]]\nname = \"br0\"\n";
  const std::string port = bridge + "[[bridge.port]]\nname = \"eth0\"\n";
  EXPECT_EQ(load_error("[[bridge]]\nmac_table_size = 5\n"),
            "state file:1:1: a bridge has no 'name'");
  EXPECT_EQ(load_error("[[bridge]]\nname = \"\"\n"),
            "state file:2:8: a bridge has an empty 'name'");
  EXPECT_EQ(load_error(bridge + "[[bridge.port]]\ntag = 5\n"),
            "state file:3:1: bridge br0: a port has no 'name'");
  EXPECT_EQ(load_error(port + "tag = 4096\n"),
            "state file:5:7: bridge br0: port eth0: 'tag' = 4096 is out of range (0..4095)");
  EXPECT_EQ(load_error(port + "trunks = [1, 5000]\n"),
            "state file:5:14: bridge br0: port eth0: 'trunks' = 5000 is out of range (0..4095)");
  EXPECT_EQ(load_error(port + "ofport = 1024\n"),
            "state file:5:10: bridge br0: port eth0: 'ofport' = 1024 is out of range (0..1023)");
  EXPECT_EQ(load_error(port + "vlan_mode = \"tunnel\"\n"),
            "state file:5:13: bridge br0: port eth0: vlan_mode 'tunnel' is not one of access, "
            "trunk, native-tagged, native-untagged");
  EXPECT_EQ(load_error(port + "vlan_mode = \"access\"\n"),
            "state file:3:1: bridge br0: port eth0: vlan_mode=access needs tag=VLAN");
  EXPECT_THAT(load_error(port + "type = \"erspan\"\n"),
              ::testing::StartsWith("state file:3:1: bridge br0: port eth0: unknown port type "
                                    "'erspan' (expected afpacket, "));
  EXPECT_EQ(load_error(port + "options = { tag = \"5\" }\n"),
            "state file:3:1: bridge br0: port eth0: 'tag' is a port setting, not a vport option");
  EXPECT_EQ(load_error(port + "options = { \"a,b\" = \"5\" }\n"),
            "state file:3:1: bridge br0: port eth0: option key 'a,b' contains ',' or '='");
  EXPECT_EQ(load_error(bridge + "[[bridge.port]]\nname = \"a/b\"\n"),
            "state file:3:1: bridge br0: port a/b: interface name 'a/b' contains '/'");
  EXPECT_EQ(load_error(port + "colour = \"red\"\n"),
            "state file:5:1: bridge br0: port eth0: unknown key 'colour'");
  EXPECT_EQ(load_error(bridge + "colour = \"red\"\n"),
            "state file:3:1: bridge br0: unknown key 'colour'");
  EXPECT_EQ(load_error("version = 2\n"), "state file:1:1: unknown key 'version'");
  EXPECT_EQ(load_error(bridge + bridge), "state file: bridge br0 appears twice");
  EXPECT_EQ(load_error(port + "[[bridge]]\nname = \"br1\"\n[[bridge.port]]\nname = \"eth0\"\n"),
            "state file: bridge br1: port eth0 appears twice in the state");
  EXPECT_EQ(load_error(bridge + "[[bridge.port]]\nname = \"br1\"\n[[bridge]]\nname = \"br1\"\n"),
            "state file: bridge br0: port br1 has the name of bridge br1's local port");
  EXPECT_EQ(load_error(bridge + "[[bridge.port]]\nname = \"br0\"\n"),
            "state file: bridge br0: port br0 has the name of bridge br0's local port");
  EXPECT_EQ(load_error(port + "ofport = 4\n[[bridge.port]]\nname = \"eth1\"\nofport = 4\n"),
            "state file: bridge br0: port eth1: ofport 4 is already another port's");
}

TEST_F(StateFileTest, KeepsTheFileOrderOfOptions) {
  auto state = load_state_file(write("[[bridge]]\nname = \"br0\"\n"
                                     "[[bridge.port]]\nname = \"eth0\"\n"
                                     "options = { z = \"1\", a = \"2\", m = \"3\" }\n"));
  ASSERT_TRUE(state.ok()) << state.error();
  EXPECT_THAT(state->bridges.at(0).ports.at(0).options,
              ElementsAre(Pair("z", "1"), Pair("a", "2"), Pair("m", "3")));
}

TEST_F(StateFileTest, AcceptsAHandWrittenFile) {
  auto state = load_state_file(write(R"(# by hand
[[bridge]]
name = "br0"
flows = ["actions=NORMAL"]

  [[bridge.port]]
  name = "eth1"
  trunks = [20, 10, 10]

  [[bridge.port]]
  name = "eth2"
  tag = 10
)"));
  ASSERT_TRUE(state.ok()) << state.error();
  const BridgeConfig& br = state->bridges.at(0);
  EXPECT_EQ(br.mac_table_size, 8192u);
  EXPECT_EQ(br.mac_aging_seconds, 300u);
  EXPECT_EQ(br.max_idle_ms, 10000u);
  EXPECT_THAT(br.flows, ElementsAre("actions=NORMAL"));
  ASSERT_EQ(br.ports.size(), 2u);
  EXPECT_EQ(br.ports[0].type, "afpacket");
  EXPECT_THAT(br.ports[0].trunks, ElementsAre(10, 20));  // as add-port leaves them
  EXPECT_EQ(br.ports[1].effective_vlan_mode(), VlanMode::kAccess);
  EXPECT_TRUE(br.ports[1].admin_up);
}

TEST_F(StateFileTest, SaveReplacesAtomicallyWithPrivateMode) {
  const std::string path = (dir_ / "sub" / "dir" / "state.toml").string();
  SwitchState state = rich_state();
  ASSERT_TRUE(save_state_file(path, state).ok());  // creates the directories
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_FALSE(fs::exists(path + ".tmp"));

  // A stale temporary file from a crash does not get in the way.
  std::ofstream(path + ".tmp") << "half a fi";
  ::chmod((path + ".tmp").c_str(), 0644);
  state.bridges.pop_back();
  ASSERT_TRUE(save_state_file(path, state).ok());
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  auto loaded = load_state_file(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(loaded->bridges.size(), 1u);
}

TEST_F(StateFileTest, FailedSaveLeavesTheOldFile) {
  const std::string path = (dir_ / "state.toml").string();
  ASSERT_TRUE(save_state_file(path, rich_state()).ok());
  const std::string before = read(path);
  // Root writes into read-only directories: as root, the save runs in a
  // child process that has become nobody, the directory's new owner.
  const bool root = ::geteuid() == 0;
  constexpr uid_t kNobody = 65534;
  if (root) {
    ASSERT_EQ(::chown(dir_.c_str(), kNobody, kNobody), 0);
    ASSERT_EQ(::chown(path.c_str(), kNobody, kNobody), 0);
  }
  fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec);
  auto save_into_read_only_directory = [&] {
    if (root && (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0)) {
      std::fprintf(stderr, "cannot become nobody\n");
      std::_Exit(2);
    }
    auto saved = save_state_file(path, SwitchState{});
    if (saved.ok()) {
      std::fprintf(stderr, "saved into a read-only directory\n");
      std::_Exit(1);
    }
    if (saved.error().find(path + ".tmp") == std::string::npos) {
      std::fprintf(stderr, "the error does not name %s.tmp: %s\n", path.c_str(), saved.error().c_str());
      std::_Exit(1);
    }
    std::_Exit(0);
  };
  EXPECT_EXIT(save_into_read_only_directory(), ::testing::ExitedWithCode(0), "");
  fs::permissions(dir_, fs::perms::owner_all);
  EXPECT_EQ(read(path), before);
}

TEST_F(StateFileTest, FailedSaveLeavesTheOldFileEvenForRoot) {
  const std::string path = (dir_ / "state.toml").string();
  ASSERT_TRUE(save_state_file(path, rich_state()).ok());
  const std::string before = read(path);
  // A directory in the temporary file's place cannot be removed or opened.
  fs::create_directories(path + ".tmp/inside");
  auto saved = save_state_file(path, SwitchState{});
  ASSERT_FALSE(saved.ok());
  EXPECT_THAT(saved.error(), HasSubstr("cannot remove stale " + path + ".tmp: "));
  EXPECT_EQ(read(path), before);

  // A file where a directory must be.
  const std::string blocked = (dir_ / "state.toml" / "state.toml").string();
  auto no_dir = save_state_file(blocked, SwitchState{});
  ASSERT_FALSE(no_dir.ok());
  EXPECT_THAT(no_dir.error(), HasSubstr("cannot create directory " + path));
  EXPECT_EQ(read(path), before);
}

TEST_F(StateFileTest, SaveRefusesWhatLoadWouldRefuse) {
  const std::string path = (dir_ / "state.toml").string();
  ASSERT_TRUE(save_state_file(path, rich_state()).ok());
  const std::string before = read(path);

  auto refused = [&](const SwitchState& state) {
    auto saved = save_state_file(path, state);
    EXPECT_EQ(read(path), before);  // untouched
    return saved.ok() ? std::string("(saved)") : saved.error();
  };
  SwitchState state = rich_state();
  state.bridges[0].ports[0].tag = 5000;
  EXPECT_EQ(refused(state), "cannot save state to " + path +
                                ": bridge br0: port veth0: tag=5000 is not a VLAN ID (0..4095)");
  state = rich_state();
  state.bridges[0].ports[1].options.emplace_back("rx", "again");
  EXPECT_EQ(refused(state),
            "cannot save state to " + path + ": bridge br0: port pc0: option 'rx' is given twice");
  state = rich_state();
  state.bridges[0].flows.push_back("bad \xff byte");
  EXPECT_EQ(refused(state),
            "cannot save state to " + path + ": bridge br0: 'bad \xff byte' is not valid UTF-8");
  state = rich_state();
  state.bridges[1].name = "br0";
  EXPECT_EQ(refused(state), "cannot save state to " + path + ": bridge br0 appears twice");
  state = rich_state();
  state.bridges[1].name = "";
  EXPECT_EQ(refused(state), "cannot save state to " + path + ": a bridge has an empty name");
  EXPECT_EQ(save_state_file("", rich_state()).error(), "the state file path is empty");
}

TEST_F(StateFileTest, KeepsControllersAndFailMode) {
  SwitchState state;
  BridgeConfig br;
  br.name = "br0";
  br.controllers.targets = {"tcp:10.0.0.1:6653", "ptcp:6654"};
  br.controllers.inactivity_probe_ms = 1000;
  br.controllers.max_backoff_ms = 2000;
  br.fail_mode = FailMode::kSecure;
  BridgeConfig plain;
  plain.name = "br1";
  state.bridges = {br, plain};
  const std::string path = (dir_ / "state.toml").string();
  ASSERT_TRUE(save_state_file(path, state).ok());
  const std::string text = read(path);
  EXPECT_THAT(text, HasSubstr("controllers = [\n  \"tcp:10.0.0.1:6653\",\n  \"ptcp:6654\",\n]\n"
                              "controller_inactivity_probe_ms = 1000\n"
                              "controller_max_backoff_ms = 2000\nfail_mode = \"secure\"\n"));
  auto loaded = load_state_file(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  ASSERT_EQ(loaded->bridges.size(), 2u);
  EXPECT_EQ(loaded->bridges[0].controllers, br.controllers);
  EXPECT_EQ(loaded->bridges[0].fail_mode, FailMode::kSecure);
  // A bridge without controllers or fail mode writes neither.
  EXPECT_TRUE(loaded->bridges[1].controllers.targets.empty());
  EXPECT_FALSE(loaded->bridges[1].fail_mode.has_value());
}

TEST_F(StateFileTest, RefusesABadFailMode) {
  auto loaded = load_state_file(write("[[bridge]]\nname = \"br0\"\nfail_mode = \"open\"\n"));
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.error(), HasSubstr("'fail_mode' must be \"standalone\" or \"secure\", not \"open\""));
}

TEST_F(StateFileTest, HugeTableSizeIsKeptAsTheLargestTomlInteger) {
  SwitchState state;
  BridgeConfig br;
  br.name = "br0";
  br.mac_table_size = SIZE_MAX;
  br.mac_aging_seconds = UINT32_MAX;
  br.max_idle_ms = 0;
  state.bridges = {br};
  const std::string path = (dir_ / "state.toml").string();
  ASSERT_TRUE(save_state_file(path, state).ok());
  auto loaded = load_state_file(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(loaded->bridges[0].mac_table_size, size_t(INT64_MAX));
  EXPECT_EQ(loaded->bridges[0].mac_aging_seconds, UINT32_MAX);
  EXPECT_EQ(loaded->bridges[0].max_idle_ms, 0u);
}

}  // namespace
}  // namespace flowpath::ofproto
