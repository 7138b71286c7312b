"""Translation of the extension actions compared with Open vSwitch's: the same
OpenFlow rules go into a private Open vSwitch (scripts/private-ovs.sh,
DUMMY=1, a netdev bridge with dummy ports p1..p3 whose datapath numbers are
1..3) and into `fpctl replay --bridge` (the bridge's slow path in-process);
the same packet goes through both, and the datapath actions of the megaflow
each installs must be the same text: Open vSwitch's from `ofproto/trace`,
flowpath's from the flow the replay installed (dump-flows.txt).

usage: xlate_ovs_compare.py FPCTL PRIVATE_OVS_SH [WORKDIR]
(a temporary directory, removed afterwards, when WORKDIR is not given)
"""

import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

from scapy.layers.inet import IP, UDP, TCP
from scapy.layers.l2 import Ether

MAC_A, MAC_B = "00:00:00:00:00:0a", "00:00:00:00:00:0b"

# (name, rules, packet): packet fields for both the ofproto/trace flow and
# the scapy frame. Every case's packet enters on port 1.
CASES = [
    ("move of an address",
     ["priority=10,ip,actions=move:NXM_OF_IP_SRC[]->NXM_OF_IP_DST[],output:2"], {}),
    ("move of a bit range into a register, output:FIELD",
     ["priority=10,ip,actions=move:NXM_OF_IP_DST[0..7]->NXM_NX_REG0[0..7],"
      "output:NXM_NX_REG0[0..15]"], {}),
    ("load and move into a UDP port",
     ["priority=10,udp,actions=load:0x1f90->NXM_NX_REG1[16..31],"
      "move:NXM_NX_REG1[16..31]->NXM_OF_UDP_DST[],output:2"], {}),
    ("push and pop swap the MACs",
     ["priority=10,actions=push:NXM_OF_ETH_SRC[],push:NXM_OF_ETH_DST[],"
      "pop:NXM_OF_ETH_SRC[],pop:NXM_OF_ETH_DST[],IN_PORT"], {}),
    ("exit ends the pipeline",
     ["priority=10,actions=resubmit(,1),output:3", "table=1,actions=output:2,exit,output:1"], {}),
    ("output with max_len",
     ["priority=10,actions=output(port=2,max_len=100),mod_dl_dst:00:00:00:00:00:cc,output:3"], {}),
    ("clone inline",
     ["priority=10,actions=clone(mod_dl_dst:00:00:00:00:00:cc,output:2),output:3"], {}),
    ("clone with ct: datapath clone",
     ["priority=10,ip,actions=mod_nw_tos:16,clone(ct(commit,zone=3),output:2),output:3"], {}),
    ("check_pkt_larger",
     ["priority=10,actions=check_pkt_larger(200)->NXM_NX_REG0[0],resubmit(,1),output:3",
      "table=1,priority=10,reg0=0x1/0x1,actions=output:2", "table=1,priority=5,actions=drop"], {}),
    ("action set",
     ["priority=10,actions=write_actions(output:2,mod_dl_dst:00:00:00:00:00:cc,push_vlan:0x8100),"
      "goto_table:1", "table=1,actions=output:3"], {}),
    ("clear_actions",
     ["priority=10,actions=write_actions(output:3),goto_table:2",
      "table=2,actions=output:2,clear_actions"], {}),
    ("set_queue and pop_queue",
     ["priority=10,actions=set_queue:5,output:2,pop_queue,output:3"], {}),
    ("enqueue", ["priority=10,actions=enqueue:3:7,output:2"], {}),
    ("bundle active_backup",
     ["priority=10,actions=bundle(eth_src,0,active_backup,ofport,members:3,2)"], {}),
    ("bundle_load active_backup",
     ["priority=10,actions=bundle_load(eth_src,0,active_backup,ofport,NXM_NX_REG0[],"
      "members:2,3),output:NXM_NX_REG0[0..15]"], {}),
    ("dec_ttl",
     ["priority=10,ip,actions=dec_ttl,output:2"], {}),
]


def packet(fields):
    f = {"src": MAC_A, "dst": MAC_B, "ip_src": "10.0.0.1", "ip_dst": "10.0.0.2", "ttl": 64,
         "sport": 1000, "dport": 2000}
    f.update(fields)
    trace = ("in_port=1,dl_src={src},dl_dst={dst},dl_type=0x0800,nw_proto=17,nw_src={ip_src},"
             "nw_dst={ip_dst},nw_ttl={ttl},udp_src={sport},udp_dst={dport}").format(**f)
    frame = (Ether(src=f["src"], dst=f["dst"]) /
             IP(src=f["ip_src"], dst=f["ip_dst"], ttl=f["ttl"]) /
             UDP(sport=f["sport"], dport=f["dport"]) / (b"x" * 18))
    return trace, bytes(frame)


def write_pcap(path, frame):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        f.write(struct.pack("<IIII", 1000, 0, len(frame), len(frame)))
        f.write(frame)


def run(*cmd, **kw):
    done = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {done.returncode}: {done.stderr.strip()}")
    return done.stdout


class Ovs:
    def __init__(self, script, rundir):
        self.script, self.rundir = script, rundir
        env = dict(os.environ, DUMMY="1")
        subprocess.run(["bash", script, "start", rundir], check=True, env=env,
                       capture_output=True, timeout=120)
        self.env = dict(os.environ, OVS_RUNDIR=rundir)
        db = "--db=unix:" + rundir + "/db.sock"
        run("ovs-vsctl", db, "add-br", "br0", "--", "set", "bridge", "br0",
            "datapath_type=netdev", "fail_mode=secure")
        for i in (1, 2, 3):
            run("ovs-vsctl", db, "add-port", "br0", f"p{i}", "--", "set", "interface", f"p{i}",
                "type=dummy", f"ofport_request={i}")

    def actions(self, rules, flow, workdir):
        path = os.path.join(workdir, "rules.txt")
        with open(path, "w") as f:
            f.write("\n".join(rules) + "\n")
        # Instructions (write_actions, goto_table) need OpenFlow 1.1+.
        version = ["-O", "OpenFlow13"] if any(
            w in r for r in rules for w in ("write_actions", "clear_actions", "goto_table")) else []
        run("ovs-ofctl", *version, "del-flows", "br0", env=self.env)
        run("ovs-ofctl", *version, "add-flows", "br0", path, env=self.env)
        out = run("ovs-appctl", "-t", self.rundir + "/vswitchd.ctl", "ofproto/trace", "br0", flow)
        m = re.search(r"^Datapath actions: (.*)$", out, re.M)
        if not m:
            raise RuntimeError("no datapath actions in ofproto/trace:\n" + out)
        return m.group(1)

    def stop(self):
        subprocess.run(["bash", self.script, "stop", self.rundir], capture_output=True, timeout=60)


def flowpath_actions(fpctl, rules, frame, workdir):
    rules_path = os.path.join(workdir, "fp-rules.txt")
    with open(rules_path, "w") as f:
        f.write("\n".join(rules) + "\n")
    pcap = os.path.join(workdir, "in.pcap")
    write_pcap(pcap, frame)
    out = os.path.join(workdir, "out")
    run(fpctl, "replay", "--bridge", rules_path, "--ports", "1=p1,2=p2,3=p3", "--in",
        "1=" + pcap, "--out", out)
    with open(os.path.join(out, "dump-flows.txt")) as f:
        flows = [line.strip() for line in f if line.strip()]
    if len(flows) != 1:
        raise RuntimeError(f"replay installed {len(flows)} flows: {flows}")
    return flows[0].rsplit(" actions:", 1)[1]


def main():
    fpctl, script = sys.argv[1:3]
    own = len(sys.argv) < 4
    workdir = tempfile.mkdtemp(prefix="xlate-ovs.") if own else sys.argv[3]
    try:
        return compare(fpctl, script, workdir)
    finally:
        if own:
            shutil.rmtree(workdir, ignore_errors=True)


def compare(fpctl, script, workdir):
    ovs = Ovs(script, os.path.join(workdir, "ovs"))
    failures = 0
    try:
        for n, (name, rules, fields) in enumerate(CASES):
            case_dir = os.path.join(workdir, f"case{n}")
            os.makedirs(case_dir)
            flow, frame = packet(fields)
            want = ovs.actions(rules, flow, case_dir)
            try:
                got = flowpath_actions(fpctl, rules, frame, case_dir)
            except RuntimeError as e:
                got = "ERROR: " + str(e)
            if got == want:
                print(f"ok: {name}: {got}")
            else:
                failures += 1
                print(f"FAIL: {name}:\n  rules: {rules}\n  Open vSwitch: {want}\n  flowpath:     {got}")
    finally:
        ovs.stop()
    print(f"{len(CASES) - failures} of {len(CASES)} cases agree with Open vSwitch")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
