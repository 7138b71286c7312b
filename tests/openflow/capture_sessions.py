#!/usr/bin/python3
"""Records whole OpenFlow sessions between ovs-ofctl and a real Open vSwitch
(ovs-vswitchd 3.1 from Debian, private, userspace datapath, dummy ports), as
fixtures for the wire codec's tests (tests/unit/of_wire_session_test.cc).

  sudo tests/openflow/capture_sessions.py     # rewrites tests/openflow/fixtures/sessions.txt

A recording proxy sits between ovs-ofctl and the bridge's management socket
and writes every message in both directions, under the command that caused
it:

  command: ovs-ofctl -O OpenFlow13 dump-flows unix:PROXY br0
  > 04000010...      (ovs-ofctl to the switch)
  < 04000010...      (the switch to ovs-ofctl)

The codec must decode every message and encode it back to the same bytes.
"""
import os
import select
import shlex
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PRIVATE_OVS = os.path.join(HERE, "..", "..", "scripts", "private-ovs.sh")
OUT = os.path.join(HERE, "fixtures", "sessions.txt")
VERSIONS = os.environ.get("CAPTURE_VERSIONS", "OpenFlow10,OpenFlow13,OpenFlow14,OpenFlow15").split(",")


class Proxy:
    """Relays connections from `path` to `target`, recording each message."""

    def __init__(self, path, target):
        self.path, self.target = path, target
        self.records = []
        self.lock = threading.Lock()
        if os.path.exists(path):
            os.unlink(path)
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(8)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            client, _ = self.server.accept()
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client):
        switch = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        switch.connect(self.target)
        buffers = {client: b"", switch: b""}
        peer = {client: switch, switch: client}
        direction = {client: ">", switch: "<"}
        open_ = {client, switch}
        while open_:
            ready, _, _ = select.select(list(open_), [], [], 10)
            if not ready:
                break
            for s in ready:
                data = s.recv(65536)
                if not data:
                    open_.discard(s)
                    try:
                        peer[s].shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    continue
                peer[s].sendall(data)
                buffers[s] += data
                while len(buffers[s]) >= 8:
                    length = struct.unpack("!H", buffers[s][2:4])[0]
                    if length < 8 or len(buffers[s]) < length:
                        break
                    with self.lock:
                        self.records.append((direction[s], buffers[s][:length].hex()))
                    buffers[s] = buffers[s][length:]
        client.close()
        switch.close()

    def take(self):
        with self.lock:
            out, self.records = self.records, []
        return out


def sh(cmd, check=True):
    p = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if check and p.returncode:
        sys.exit("failed: %s\n%s%s" % (cmd, p.stdout, p.stderr))
    return p


class Session:
    def __init__(self, rundir):
        self.rundir = rundir
        self.vsctl = "ovs-vsctl --db=unix:%s/db.sock" % rundir
        self.proxy = Proxy(os.path.join(rundir, "proxy.sock"), os.path.join(rundir, "br0.mgmt"))
        self.out = []

    def ofctl(self, version, args, flow_format=None, expect_fail=False, settle=0.0):
        """Runs ovs-ofctl through the proxy and records the session."""
        opts = "-O %s" % version
        if flow_format:
            opts += " -F %s" % flow_format
        cmd = "ovs-ofctl %s --no-names %s" % (opts, args.replace("SW", "unix:" + self.proxy.path))
        p = sh(cmd, check=False)
        if p.returncode and not expect_fail:
            sys.exit("failed: %s\n%s%s" % (cmd, p.stdout, p.stderr))
        time.sleep(0.05 + settle)  # the relay thread sees the close
        shown = cmd.replace("unix:" + self.proxy.path, "unix:PROXY")
        self.out.append("command: " + shown)
        for d, h in self.proxy.take():
            self.out.append("%s %s" % (d, h))

    def monitor(self, version, args, trigger, wait_for):
        """Runs `ovs-ofctl monitor` while `trigger` makes the switch send
        asynchronous messages; stops once `wait_for` (a predicate on the
        switch's messages so far, in hex) holds."""
        cmd = "ovs-ofctl -O %s --no-names monitor unix:%s %s" % (version, self.proxy.path, args)
        p = subprocess.Popen(shlex.split(cmd), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        got = []
        deadline = time.time() + 10
        triggered = False
        while time.time() < deadline:
            with self.proxy.lock:
                got = list(self.proxy.records)
            # Monitor set-up is done once the switch answered a barrier or
            # the last request (the first reply after the requests).
            if not triggered and sum(1 for d, _ in got if d == "<") >= 2:
                time.sleep(0.3)
                trigger()
                triggered = True
            if triggered and wait_for([h for d, h in got if d == "<"]):
                break
            time.sleep(0.05)
        if os.environ.get("CAPTURE_DEBUG"):
            print("monitor", args, "triggered" if triggered else "not triggered",
                  "%.1fs left" % (deadline - time.time()), [h[:8] for d, h in got if d == "<"],
                  file=sys.stderr)
        p.terminate()
        p.wait()
        time.sleep(0.1)
        self.out.append("command: " + cmd.replace(self.proxy.path, "PROXY") + "  # while: " +
                        trigger.__doc__)
        for d, h in self.proxy.take():
            self.out.append("%s %s" % (d, h))


def msg_type(h):
    return int(h[2:4], 16)


def is_vendor(h, subtype):
    return msg_type(h) == 4 and len(h) >= 32 and int(h[24:32], 16) == subtype


def main():
    if os.geteuid():
        sys.exit("run as root (it starts a private ovs-vswitchd)")
    rundir = tempfile.mkdtemp(prefix="ofwire-ovs-")
    env = dict(os.environ, DUMMY="1")
    subprocess.run([PRIVATE_OVS, "start", rundir], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    os.environ["OVS_RUNDIR"] = rundir
    try:
        s = Session(rundir)
        sh("%s add-br br0 -- set bridge br0 datapath_type=netdev "
           "protocols=OpenFlow10,OpenFlow11,OpenFlow12,OpenFlow13,OpenFlow14,OpenFlow15" % s.vsctl)
        for port, n in (("p1", 1), ("p2", 2), ("p3", 3)):
            sh("%s add-port br0 %s -- set interface %s type=dummy ofport_request=%d"
               % (s.vsctl, port, port, n))
        record(s)
    finally:
        subprocess.run([PRIVATE_OVS, "stop", rundir])
    with open(OUT, "w") as f:
        f.write("# Recorded by tests/openflow/capture_sessions.py from ovs-ofctl and\n"
                "# ovs-vswitchd %s; '>' ovs-ofctl to switch, '<' switch to ovs-ofctl.\n"
                % sh("ovs-vswitchd --version").stdout.split()[3])
        f.write("\n".join(s.out) + "\n")
    print("wrote %d lines to %s" % (len(s.out), OUT))


FLOWS = [
    "table=0,priority=100,ip,nw_dst=10.0.0.1,actions=output:2",
    "cookie=0x5,priority=200,tcp,tp_dst=80,actions=mod_nw_src:1.2.3.4,NORMAL",
    "priority=50,in_port=1,dl_vlan=10,actions=strip_vlan,output:3",
    "priority=10,arp,actions=CONTROLLER:128",
    "idle_timeout=60,hard_timeout=300,send_flow_rem,udp,tp_src=53,actions=drop",
]
FLOWS_OF13 = FLOWS + [
    "table=1,priority=5,metadata=0x10/0xff,ipv6,actions=set_field:2001:db8::1->ipv6_dst,"
    "goto_table:2",
    "table=0,priority=1,actions=write_metadata:0x10/0xff,goto_table:1",
    "priority=7,reg0=5,actions=load:7->NXM_NX_REG1[],resubmit(,3)",
    "priority=8,ct_state=+trk+est,ip,actions=ct(commit,zone=5,nat(src=1.1.1.1)),output:1",
]


def record(s):
    for v in VERSIONS:
        flows = FLOWS if v == "OpenFlow10" else FLOWS_OF13
        formats = ["openflow10", "nxm"] if v == "OpenFlow10" else [None]
        for ff in formats:
            s.ofctl(v, "del-flows SW", ff)
            for flow in flows:
                if ff == "openflow10" and "reg0" in flow:
                    continue
                s.ofctl(v, "add-flow SW '%s'" % flow, ff)
            s.ofctl(v, "dump-flows SW", ff)
            s.ofctl(v, "dump-flows SW 'ip'", ff)
            s.ofctl(v, "dump-aggregate SW", ff)
            s.ofctl(v, "dump-aggregate SW 'tcp'", ff)
            s.ofctl(v, "mod-flows SW 'tcp,actions=output:3'", ff)
            s.ofctl(v, "--strict mod-flows SW 'priority=100,ip,nw_dst=10.0.0.1,actions=output:1'",
                    ff)
            s.ofctl(v, "--strict del-flows SW 'priority=10,arp'", ff)
            s.ofctl(v, "del-flows SW 'out_port=3'", ff)
            if ff != "openflow10":
                s.ofctl(v, "del-flows SW 'cookie=0x5/-1'", ff)
            s.ofctl(v, "del-flows SW", ff)
        if v != "OpenFlow10":
            with open(os.path.join(s.rundir, "flows.txt"), "w") as f:
                f.write("\n".join(flows) + "\n")
            s.ofctl(v, "--bundle add-flows SW %s/flows.txt" % s.rundir)
            s.ofctl(v, "dump-flows SW")
            s.ofctl(v, "del-flows SW")
        s.ofctl(v, "show SW")
        s.ofctl(v, "dump-desc SW")
        s.ofctl(v, "dump-tables SW")
        s.ofctl(v, "dump-ports SW")
        s.ofctl(v, "dump-ports SW 1")
        s.ofctl(v, "dump-ports-desc SW")
        s.ofctl(v, "mod-port SW 2 no-flood" if v == "OpenFlow10" else "mod-port SW 2 down")
        s.ofctl(v, "mod-port SW 2 up")
        s.ofctl(v, "queue-stats SW")
        s.ofctl(v, "queue-get-config SW 1", expect_fail=True)
        s.ofctl(v, "get-frags SW")
        s.ofctl(v, "set-frags SW drop")
        s.ofctl(v, "set-frags SW normal")
        s.ofctl(v, "probe SW")
        s.ofctl(v, "packet-out SW 1 'output:2' "
                "ffffffffffff0000000000010800450000140000000040000000c0a80001c0a80002")
        s.ofctl(v, "dump-ipfix-bridge SW", expect_fail=True)
        s.ofctl(v, "ct-flush-zone SW 5")
        s.ofctl(v, "ct-flush SW zone=5 'ct_nw_src=10.0.0.1,ct_nw_proto=6,ct_tp_src=80'")
        s.ofctl(v, "add-tlv-map SW '{class=0xffff,type=0,len=4}->tun_metadata0'")
        s.ofctl(v, "dump-tlv-map SW")
        s.ofctl(v, "del-tlv-map SW")
        groups = [
            "group_id=1,type=all,bucket=output:1,bucket=output:2",
            "group_id=2,type=select,bucket=weight:3,output:1,bucket=weight:5,output:2",
            "group_id=3,type=ff,bucket=watch_port:1,output:1,bucket=watch_port:2,output:2",
            "group_id=4,type=indirect,bucket=actions=set_field:10.0.0.9->ip_dst,output:3",
        ]
        if v == "OpenFlow15" or v == "OpenFlow10":
            groups.append("group_id=5,type=select,selection_method=hash,fields(ip_src,tcp_dst),"
                          "bucket=bucket_id:7,output:1,bucket=bucket_id:9,output:2")
        for g in groups:
            s.ofctl(v, "add-group SW '%s'" % g)
        s.ofctl(v, "mod-group SW 'group_id=1,type=all,bucket=output:3'")
        if v in ("OpenFlow15", "OpenFlow10"):
            s.ofctl(v, "insert-buckets SW 'group_id=1,command_bucket_id=first,bucket=bucket_id:5,output:2'")
            s.ofctl(v, "remove-buckets SW 'group_id=1,command_bucket_id=last'")
        s.ofctl(v, "dump-groups SW")
        s.ofctl(v, "dump-group-stats SW")
        s.ofctl(v, "dump-group-features SW")
        s.ofctl(v, "add-flow SW 'priority=3,ip,actions=group:2'")
        s.ofctl(v, "del-groups SW group_id=3")
        s.ofctl(v, "del-groups SW")
        s.ofctl(v, "del-flows SW")
        if v != "OpenFlow10":
            s.ofctl(v, "dump-table-features SW")
            s.ofctl(v, "mod-table SW 0 %s" % ("evict" if v != "OpenFlow13" else "drop"),
                    expect_fail=True)
            s.ofctl(v, "add-meter SW 'meter=1,kbps,burst,stats,bands=type=drop,rate=1000,"
                       "burst_size=100'")
            s.ofctl(v, "add-meter SW 'meter=2,pktps,bands=type=dscp_remark,rate=10,prec_level=1'",
                    expect_fail=True)
            s.ofctl(v, "mod-meter SW 'meter=1,pktps,bands=type=drop,rate=500'")
            s.ofctl(v, "add-flow SW 'priority=4,ip,actions=meter:1,output:2'")
            s.ofctl(v, "dump-meters SW")
            s.ofctl(v, "meter-stats SW")
            s.ofctl(v, "meter-features SW")
            s.ofctl(v, "del-flows SW")
            s.ofctl(v, "del-meters SW")
        if v in ("OpenFlow14", "OpenFlow15"):
            s.ofctl(v, "dump-table-desc SW")
            s.ofctl(v, "mod-table SW 0 vacancy:20,80", expect_fail=True)

        # Asynchronous messages.
        s.ofctl(v, "add-flow SW 'priority=9,udp,actions=controller(max_len=200,userdata=01.02)'"
                if v != "OpenFlow10" else "add-flow SW 'priority=9,udp,actions=CONTROLLER:200'")

        def packet_in():
            """a UDP packet arrives on p1"""
            sh("ovs-appctl -t %s/vswitchd.ctl netdev-dummy/receive p1 "
               "'in_port(1),eth(src=00:00:00:00:00:01,dst=00:00:00:00:00:02),eth_type(0x0800),"
               "ipv4(src=10.0.0.1,dst=10.0.0.2,proto=17,tos=0,ttl=64,frag=no),"
               "udp(src=1000,dst=2000)'" % s.rundir)
        def is_packet_in(msgs):
            return any(msg_type(h) == 10 or is_vendor(h, 17) or is_vendor(h, 30) for h in msgs)
        s.monitor(v, "65534", packet_in, is_packet_in)
        for pif in ("standard", "nxt_packet_in", "nxt_packet_in2"):
            s.monitor(v, "65534 -P %s" % pif, packet_in, is_packet_in)
        s.ofctl(v, "del-flows SW")
        s.ofctl(v, "add-flow SW 'hard_timeout=1,send_flow_rem,priority=1,ip,actions=drop'")

        def flow_expires():
            """a flow with send_flow_rem reaches its hard timeout"""
        s.monitor(v, "65534", flow_expires,
                  lambda msgs: any(msg_type(h) == 11 or is_vendor(h, 14) for h in msgs))

        def port_changes():
            """port p3 is brought down and up"""
            sh("ovs-ofctl -O %s mod-port br0 3 down" % v)
            sh("ovs-ofctl -O %s mod-port br0 3 up" % v)
        s.monitor(v, "65534", port_changes, lambda msgs: sum(msg_type(h) == 12 for h in msgs) >= 2)

        def flows_change():
            """flows are added, modified and deleted by another client"""
            sh("ovs-ofctl add-flow br0 'priority=77,tcp,actions=output:1'")
            sh("ovs-ofctl mod-flows br0 'tcp,actions=output:2'")
            sh("ovs-ofctl del-flows br0 'tcp'")
        s.ofctl(v, "add-flow SW 'priority=66,icmp,actions=output:3'")
        # The initial reply, then one update each for add, modify and delete.
        s.monitor(v, "watch:", flows_change,
                  lambda msgs: sum(msg_type(h) in (17, 19) for h in msgs) >= 4)
        s.ofctl(v, "del-flows SW")


if __name__ == "__main__":
    main()
