// Open vSwitch's ovs-ofctl as the reference for the OpenFlow text syntax: the
// tests that check how flowpath prints an input also ask `ovs-ofctl
// parse-flow` / `parse-group` how Open vSwitch prints it, and fail on any
// difference that is not listed, with its reason, as deliberate (the same
// list is in docs/openflow-syntax.md). ovs-ofctl comes from the Debian
// package openvswitch-common (scripts/install-deps.sh): without it the
// comparison fails rather than passing unseen.
//
// How Open vSwitch prints depends on the OpenFlow version it encodes the flow
// for. The reference is its most expressive choice for each kind:
//   - actions: OpenFlow 1.5 (set_field, pop_vlan, bucket ids) when the
//     actions can be encoded in it, else Open vSwitch's default (OpenFlow 1.0
//     with Nicira extensions: dec_ttl(ids), set_vlan_vid's OpenFlow 1.0 form);
//   - matches: the default, Nicira's NXM, which holds every field whole;
//   - groups: OpenFlow 1.5.
// An action that needs a match (set_field:...->ip_dst needs ip) is tried
// with each match in kPrerequisites until Open vSwitch accepts one.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace flowpath::ovs_peer {

struct OvsVerdict {
  bool ran = false;       // ovs-ofctl could be run at all
  bool accepted = false;  // it parsed the input
  std::string printed;    // what it printed for the input (actions, match or group)
  std::string error;      // or why it refused
};

// A difference from Open vSwitch that flowpath keeps on purpose. `ovs` is
// what Open vSwitch prints ("" when it refuses the input).
struct Deliberate {
  const char* input;
  const char* ovs;
  const char* reason;
};

inline std::string shell_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs `ovs-ofctl ARGS` and returns (exit status, stdout and stderr).
inline std::pair<int, std::string> run_ovs_ofctl(const std::string& args) {
  std::string command = "ovs-ofctl " + args + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, "cannot run ovs-ofctl"};
  std::string out;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.append(buffer.data(), n);
  int status = ::pclose(pipe);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return {code, out};
}

inline bool ovs_ofctl_present() {
  static const bool present = run_ovs_ofctl("--version").first == 0;
  return present;
}

inline std::string last_line(const std::string& text) {
  size_t nl = text.rfind('\n');
  return nl == std::string::npos ? text : text.substr(nl + 1);
}

// The error of a failed run: the text of its "ovs-ofctl: ..." line (its
// stdout, printed after, may follow it).
inline std::string ovs_error(const std::string& out) {
  size_t at = out.rfind("ovs-ofctl: ");
  if (at == std::string::npos) return last_line(out);
  size_t end = out.find('\n', at);
  return out.substr(at + 11, end == std::string::npos ? std::string::npos : end - at - 11);
}

// `ovs-ofctl parse-flow` of "MATCH,actions=ACTIONS" under `protocol` ("" =
// Open vSwitch's default): the text after "ADD " of its last line.
inline std::pair<bool, std::string> parse_flow(std::string_view protocol, std::string_view flow) {
  std::string args = protocol.empty() ? "" : "-O " + std::string(protocol) + " ";
  auto [code, out] = run_ovs_ofctl(args + "parse-flow " + shell_quote(flow));
  if (code != 0) return {false, ovs_error(out)};
  std::string line = last_line(out);
  size_t add = line.find(" ADD ");
  return {true, add == std::string::npos ? line : line.substr(add + 5)};
}

inline OvsVerdict ovs_actions(std::string_view actions) {
  static constexpr std::string_view kPrerequisites[] = {
      "", "ip,", "ipv6,", "tcp,", "udp,", "sctp,", "icmp,", "icmp6,", "arp,", "mpls,", "tcp6,",
      "vlan_tci=0x1000/0x1000,"};
  OvsVerdict v;
  if (!ovs_ofctl_present()) return v;
  v.ran = true;
  for (std::string_view protocol : {"OpenFlow15", ""}) {
    for (std::string_view match : kPrerequisites) {
      auto [ok, text] = parse_flow(protocol, std::string(match) + "actions=" + std::string(actions));
      if (ok) {
        size_t at = text.find("actions=");
        v.accepted = true;
        v.printed = at == std::string::npos ? text : text.substr(at + 8);
        return v;
      }
      if (v.error.empty()) v.error = text;
      // Only a missing prerequisite or a protocol that cannot carry the
      // actions is worth another try.
      if (text.find("MATCH_INCONSISTENT") == std::string::npos &&
          text.find("no usable protocol") == std::string::npos) {
        v.error = text;
        return v;
      }
    }
  }
  return v;
}

inline OvsVerdict ovs_match(std::string_view match) {
  OvsVerdict v;
  if (!ovs_ofctl_present()) return v;
  v.ran = true;
  auto [ok, text] = parse_flow("", std::string(match) + (match.empty() ? "" : ",") + "actions=drop");
  if (!ok) {
    v.error = text;
    return v;
  }
  v.accepted = true;
  size_t at = text.rfind("actions=drop");
  v.printed = text.substr(0, at);
  while (!v.printed.empty() && (v.printed.back() == ' ' || v.printed.back() == ','))
    v.printed.pop_back();
  return v;
}

inline OvsVerdict ovs_group(std::string_view group) {
  OvsVerdict v;
  if (!ovs_ofctl_present()) return v;
  v.ran = true;
  auto [code, out] = run_ovs_ofctl("-O OpenFlow15 parse-group " + shell_quote(group));
  if (code != 0) {
    v.error = ovs_error(out);
    return v;
  }
  v.accepted = true;
  v.printed = last_line(out);
  size_t start = v.printed.find_first_not_of(' ');
  v.printed = start == std::string::npos ? "" : v.printed.substr(start);
  if (v.printed.rfind("ADD ", 0) == 0) v.printed = v.printed.substr(4);
  return v;
}

// Checks that Open vSwitch prints `input` as flowpath does (`ours`), or that
// the difference is the one `deliberate` lists for this input; a listed
// difference that has gone away fails too, so the list stays true.
inline void expect_agrees_with_ovs(const char* kind, std::string_view input, std::string_view ours,
                                   const OvsVerdict& ovs, const std::vector<Deliberate>& deliberate) {
  if (!ovs.ran) {
    ADD_FAILURE() << "ovs-ofctl is not installed (scripts/install-deps.sh installs "
                     "openvswitch-common): cannot compare the "
                  << kind << " \"" << input << "\" with Open vSwitch";
    return;
  }
  const Deliberate* listed = nullptr;
  for (const Deliberate& d : deliberate)
    if (input == d.input) listed = &d;
  std::string theirs = ovs.accepted ? ovs.printed : "";
  bool same = ovs.accepted && ovs.printed == ours;
  if (listed == nullptr) {
    EXPECT_TRUE(same) << kind << " \"" << input << "\": flowpath prints \"" << ours << "\", "
                      << (ovs.accepted ? "Open vSwitch prints \"" + ovs.printed + "\""
                                       : "Open vSwitch refuses it: " + ovs.error)
                      << "\n  fix the difference, or list it as deliberate with its reason";
    return;
  }
  EXPECT_FALSE(same) << kind << " \"" << input << "\" is listed as a deliberate difference, but "
                     << "Open vSwitch now prints it as flowpath does: drop it from the list";
  EXPECT_EQ(theirs, listed->ovs) << kind << " \"" << input << "\": Open vSwitch's answer changed"
                                 << (ovs.accepted ? "" : " (it refuses it: " + ovs.error + ")");
}

}  // namespace flowpath::ovs_peer
