"""The Open vSwitch side of the differential suite: a private ovs-vswitchd
(scripts/private-ovs.sh, DUMMY=1) with one netdev bridge and dummy ports whose
datapath port numbers are ours, driven over its unixctl socket.

What keeps the comparison clean:
- Ports are named p1..pN: dpif-netdev gives a dummy port whose name ends in
  digits that number in the datapath, so `in_port(3)` and output `3` mean the
  same port on both sides (ofport_request only sets the OpenFlow number).
- The bridge's OpenFlow table is emptied and `other_config:flow-limit=0` is set
  before the bridge exists, so a miss goes to the slow path, is dropped, and
  installs no megaflow: the datapath holds only the flows the case put.
- The revalidators are paused for the whole run: otherwise they would
  re-translate the flows put by dpctl (no rule matches: actions become drop),
  expire them after max-idle, or delete them all because of the flow limit.
- Dummy ports are polled by the main thread, which also serves unixctl: once
  `dpctl/show` counts a packet as looked up, its output frames are written
  (netdev-dummy flushes tx_pcap on every frame).
"""

import json
import os
import signal
import socket
import struct
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PRIVATE_OVS = os.path.join(HERE, "..", "..", "scripts", "private-ovs.sh")


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


class UnixctlError(Exception):
    pass


class Unixctl:
    """JSON-RPC over an Open vSwitch unixctl socket (what ovs-appctl speaks),
    without a process per command: a case takes a dozen commands."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buffer = ""
        self.decoder = json.JSONDecoder()
        self.next_id = 0

    def call(self, method, *params):
        self.next_id += 1
        request = {"method": method, "params": list(params), "id": self.next_id}
        self.sock.sendall(json.dumps(request).encode())
        while True:
            text = self.buffer.lstrip()
            if text:
                try:
                    reply, end = self.decoder.raw_decode(text)
                    self.buffer = text[end:]
                    if reply.get("id") != self.next_id:
                        continue
                    if reply.get("error") is not None:
                        raise UnixctlError(str(reply["error"]).strip())
                    return reply.get("result") or ""
                except json.JSONDecodeError:
                    pass
            chunk = self.sock.recv(65536)
            if not chunk:
                raise UnixctlError(f"{method}: ovs-vswitchd closed its unixctl socket")
            self.buffer += chunk.decode()

    def close(self):
        self.sock.close()


def read_pcap_records(path, offset):
    """Frames of a pcap file from byte 'offset' on (0 = from the start),
    and the offset after the last whole record."""
    with open(path, "rb") as f:
        data = f.read()
    if offset == 0:
        if len(data) < 24:
            return [], 0
        magic = struct.unpack("<I", data[:4])[0]
        if magic not in (0xA1B2C3D4, 0xA1B23C4D):
            raise ValueError(f"{path}: not a little-endian pcap file")
        offset = 24
    frames = []
    while offset + 16 <= len(data):
        incl = struct.unpack("<I", data[offset + 8:offset + 12])[0]
        if offset + 16 + incl > len(data):
            break
        frames.append(data[offset + 16:offset + 16 + incl])
        offset += 16 + incl
    return frames, offset


class PrivateOvs:
    """One private Open vSwitch for a whole run; run_case() resets its
    datapath flows, so cases do not see each other."""

    def __init__(self, rundir, ports):
        self.rundir = rundir
        self.ports = list(ports)
        self.offsets = {}
        self.ctl = None

    def _vsctl(self, *args):
        subprocess.run(["ovs-vsctl", f"--db=unix:{self.rundir}/db.sock", "--timeout=30", *args],
                       check=True, stdout=subprocess.DEVNULL)

    def start(self):
        os.makedirs(self.rundir, exist_ok=True)
        if os.listdir(self.rundir):
            raise RuntimeError(f"{self.rundir}: the run directory of a private Open vSwitch "
                               "must be new and empty")
        env = dict(os.environ, DUMMY="1")
        subprocess.run(["bash", PRIVATE_OVS, "start", self.rundir], check=True, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # The flow limit is read when the bridge's datapath interface is made.
        self._vsctl("set", "open_vswitch", ".", "other_config:flow-limit=0")
        commands = ["add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev",
                    "fail_mode=secure"]
        for port in self.ports:
            name = f"p{port}"
            commands += ["--", "add-port", "br0", name, "--", "set", "interface", name,
                         "type=dummy", f"ofport_request={port}",
                         f"options:tx_pcap={self.rundir}/{name}-tx.pcap"]
        self._vsctl(*commands)
        self.ctl = Unixctl(os.path.join(self.rundir, "vswitchd.ctl"))
        self._wait_ports()
        self.ctl.call("revalidator/pause")
        subprocess.run(["ovs-ofctl", "del-flows", f"unix:{self.rundir}/br0.mgmt"], check=True)
        self.ctl.call("upcall/set-flow-limit", "0")
        for port in self.ports:
            self.offsets[port] = 0

    def _wait_ports(self):
        deadline = time.monotonic() + 30
        while True:
            show = self.ctl.call("dpctl/show")
            found = {int(line.split()[1].rstrip(":")) for line in show.splitlines()
                     if line.strip().startswith("port ")}
            if all(port in found for port in self.ports):
                missing = [p for p in self.ports
                           if f"port {p}: p{p} " not in show]
                if missing:
                    raise RuntimeError(f"Open vSwitch numbered the dummy ports differently:\n{show}")
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"dummy ports did not appear in the datapath:\n{show}")
            time.sleep(0.05)

    def stop(self):
        """Stops both daemons, also after a failure half-way through start:
        ovs-vswitchd's exit joins the revalidators, so they are resumed first;
        a daemon still there after 10 s is killed by its pidfile's pid."""
        if self.ctl:
            try:
                self.ctl.call("revalidator/resume")
            except (UnixctlError, OSError):
                pass
            self.ctl.close()
            self.ctl = None
        pids = []
        for name in ("vswitchd.pid", "ovsdb.pid"):
            try:
                with open(os.path.join(self.rundir, name)) as f:
                    pids.append(int(f.read().strip()))
            except (OSError, ValueError):
                pass
        subprocess.run(["bash", PRIVATE_OVS, "stop", self.rundir], check=False, timeout=60,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        for pid in pids:
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)

    def _lookups(self):
        show = self.ctl.call("dpctl/show")
        for line in show.splitlines():
            line = line.strip()
            if line.startswith("lookups:"):
                counts = dict(part.split(":") for part in line.split()[1:])
                return sum(int(v) for v in counts.values())
        raise RuntimeError(f"no lookups line in dpctl/show:\n{show}")

    def _drain_outputs(self):
        out = {}
        for port in self.ports:
            path = f"{self.rundir}/p{port}-tx.pcap"
            frames, self.offsets[port] = read_pcap_records(path, self.offsets[port])
            out[port] = frames
        return out

    def run_case(self, flows, packets):
        """flows: [(key, actions)]; packets: [(in_port, bytes)].
        Returns {"accepted": [None | error], "outputs": {port: [bytes]},
        "dump": [line], "dump_verbose": [line]} (`dpctl/dump-flows` and
        `dpctl/dump-flows -m`, without the thread header)."""
        self.ctl.call("dpctl/del-flows")
        self._drain_outputs()
        accepted = []
        for key, actions in flows:
            try:
                self.ctl.call("dpctl/add-flow", key, actions)
                accepted.append(None)
            except UnixctlError as error:
                accepted.append(str(error))
        expected = self._lookups()
        # Consecutive packets of one port in one command; wait before the
        # next port so every port's frames come out in the order sent.
        i = 0
        while i < len(packets):
            port = packets[i][0]
            group = []
            while i < len(packets) and packets[i][0] == port:
                group.append(packets[i][1].hex())
                i += 1
            self.ctl.call("netdev-dummy/receive", f"p{port}", *group)
            expected += len(group)
            deadline = time.monotonic() + 10
            while self._lookups() < expected:
                if time.monotonic() > deadline:
                    raise RuntimeError("Open vSwitch did not look up every injected packet")
                time.sleep(0.001)
        outputs = self._drain_outputs()
        dumps = {}
        for form, args in (("dump", ()), ("dump_verbose", ("-m",))):
            dumps[form] = [line for line in self.ctl.call("dpctl/dump-flows", *args).splitlines()
                           if line and not line.startswith("flow-dump from")]
        return {"accepted": accepted, "outputs": outputs, **dumps}
