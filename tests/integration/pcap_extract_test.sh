#!/usr/bin/env bash
# Extracts the flow key of every packet of a scapy-made pcap with
# `fpctl odp extract` and compares each with the key scapy's own view of the
# packet implies (gen_extract_pcap.py is the oracle).
set -euo pipefail
fpctl=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

/usr/bin/python3 "$here/gen_extract_pcap.py" "$work/traffic.pcap" "$work/expected"
"$fpctl" odp extract --in-port 1 "$work/traffic.pcap" > "$work/actual"
if ! diff -u "$work/expected" "$work/actual"; then
  echo "FAIL: extracted keys differ from scapy's expectations (- expected, + actual)"
  exit 1
fi
echo "ok: $(wc -l < "$work/actual") packets"
