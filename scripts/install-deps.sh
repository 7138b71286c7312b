#!/usr/bin/env bash
# Installs every Debian 12 package flowpath's build, demo and tests need.
# Idempotent: packages already present are left alone; safe to rerun.
set -euo pipefail

packages=(
  # toolchain and build
  build-essential g++ clang libclang-rt-14-dev cmake ninja-build pkg-config git
  # libraries
  libgtest-dev libgmock-dev libbenchmark-dev libpcap-dev liburcu-dev libcli11-dev
  nlohmann-json3-dev libspdlog-dev libfmt-dev libtomlplusplus-dev
  # flowpathd under systemd (sd_notify, the watchdog)
  libsystemd-dev
  # flowpathd's Prometheus endpoint (--metrics)
  libmicrohttpd-dev
  # AF_XDP ports: libxdp (xsk API and its default XDP program) on libbpf
  libxdp-dev libbpf-dev
  # the underlay route table of native tunnelling, read over rtnetlink
  libmnl-dev
  # test peers and helpers
  python3 python3-scapy tcpdump iproute2 iputils-ping ethtool iperf3 sockperf nmap netcat-openbsd conntrack nftables
  # Open vSwitch: ovs-ofctl, the reference the OpenFlow syntax tests and the wire
  # codec compare with, ovs-vswitchd, whose sessions the codec's fixtures record, and
  # ovsdb-server/ovs-vsctl with vswitch.ovsschema, which configure flowpathd --ovsdb
  openvswitch-common openvswitch-switch
  # the install test: systemd-analyze checks the unit, man renders the pages
  systemd man-db
  # OpenFlow controllers that drive flowpath in the integration tests: Open
  # vSwitch's learning controller and the os-ken framework (osken-manager)
  openvswitch-testcontroller python3-os-ken
  # fpctl_verbs_netns: jq compares fpctl's text and JSON, python3-jsonschema
  # validates the JSON against tests/schemas/fpctl
  jq python3-jsonschema
  # the metrics test: promtool lints a scrape, the prometheus server scrapes flowpathd
  prometheus curl
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
