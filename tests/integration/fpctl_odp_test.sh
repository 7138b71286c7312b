#!/usr/bin/env bash
# fpctl odp parse-*: canonical output per line, an error line naming the
# problem for a bad line, later lines still processed, non-zero exit.
set -uo pipefail
fpctl=$1
fail=0
check() {  # check NAME EXPECTED ACTUAL
  if [ "$2" != "$3" ]; then
    echo "FAIL: $1"; echo "  expected: $2"; echo "  actual:   $3"; fail=1
  fi
}

out=$(printf '%s\n' \
  'in_port(1),eth(src=00:01:02:03:04:05/ff:ff:ff:ff:ff:f0,dst=10:11:12:13:14:15),eth_type(0x0800),ipv4(src=10.0.0.0/255.0.0.0,proto=6,frag=no),tcp(dst=80)' \
  'in_port(1),eth_type(0x0800),ipv4(src=10.0.0.1,bogus=1)' \
  'in_port(2),eth_type(0x86dd),ipv6(dst=2001:db8::/ffff:ffff::,frag=no)' \
  | "$fpctl" odp parse-wc-keys)
status=$?
check "parse-wc-keys exit status" 1 "$status"
check "parse-wc-keys line 1" \
  'recirc_id(0),in_port(1),eth(src=00:01:02:03:04:05/ff:ff:ff:ff:ff:f0,dst=10:11:12:13:14:15),eth_type(0x0800),ipv4(src=10.0.0.0/255.0.0.0,proto=6,frag=no),tcp(dst=80)' \
  "$(sed -n 1p <<<"$out")"
line2=$(sed -n 2p <<<"$out")
case "$line2" in
  error:*column*bogus*) ;;
  *) echo "FAIL: parse-wc-keys line 2 should name 'bogus' and its column: $line2"; fail=1 ;;
esac
check "parse-wc-keys line 3" \
  'recirc_id(0),in_port(2),eth_type(0x86dd),ipv6(dst=2001:db8::/ffff:ffff::,frag=no)' "$(sed -n 3p <<<"$out")"

out=$(printf '%s\n' 'push_vlan(vid=10,pcp=0),2,set(ipv4(dst=10.0.0.9)),recirc(0x1)' 'frobnicate(1)' 'drop' \
  | "$fpctl" odp parse-actions)
status=$?
check "parse-actions exit status" 1 "$status"
check "parse-actions line 1" 'push_vlan(vid=10,pcp=0),2,set(ipv4(dst=10.0.0.9)),recirc(0x1)' "$(sed -n 1p <<<"$out")"
case "$(sed -n 2p <<<"$out")" in
  error:*frobnicate*) ;;
  *) echo "FAIL: parse-actions line 2 should name 'frobnicate': $(sed -n 2p <<<"$out")"; fail=1 ;;
esac
check "parse-actions line 3" 'drop' "$(sed -n 3p <<<"$out")"

out=$(printf '%s\n' 'in_port(3),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x0806),arp(sip=1.2.3.4,tip=5.6.7.8,op=1,sha=00:0f:10:11:12:13,tha=00:14:15:16:17:18)' \
  | "$fpctl" odp parse-keys)
check "parse-keys exit status" 0 "$?"
case "$out" in
  *'in_port(3)'*'eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x0806),arp(sip=1.2.3.4,tip=5.6.7.8,op=1,sha=00:0f:10:11:12:13,tha=00:14:15:16:17:18)'*) ;;
  *) echo "FAIL: parse-keys ARP: $out"; fail=1 ;;
esac

if "$fpctl" odp extract /nonexistent.pcap 2>/dev/null; then
  echo "FAIL: extract of a missing file must fail"; fail=1
fi
# A value that starts with '-' is a value, not an unknown option (it used to
# need "--" and exit 109): the error is about the file.
err=$("$fpctl" odp extract -missing.pcap 2>&1 >/dev/null)
check "extract -missing.pcap exit status" 1 "$?"
case "$err" in
  *'-missing.pcap'*'No such file'*) ;;
  *) echo "FAIL: extract -missing.pcap: $err"; fail=1 ;;
esac
# An unknown command is a usage error.
"$fpctl" odp frob >/dev/null 2>&1
check "unknown command exit status" 2 "$?"
[ $fail -eq 0 ] && echo "ok"
exit $fail
