"""The flowpath side of the differential suite: `fpctl replay`, which runs a
datapath in-process with no daemon, root or TAP device. Everything that knows
its command line and its output files is here, so a change of the CLI is a
change of this file only."""

import os
import shutil
import struct
import subprocess

from ovs_peer import read_pcap_records


def write_pcap(path, frames):
    """frames: [(sequence number, bytes)]. The replay merges its captures by
    time, so a packet's time is its place in the case: the same order as the
    packets sent to Open vSwitch."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for sequence, frame in frames:
            f.write(struct.pack("<IIII", 1000 + sequence, 0, len(frame), len(frame)))
            f.write(frame)


class FlowpathReplay:
    def __init__(self, fpctl, workdir, ports, vlan_limit=None):
        self.fpctl = fpctl
        self.workdir = workdir
        self.ports = list(ports)
        self.vlan_limit = vlan_limit

    def command(self, flows_path, inputs, out_dir):
        # Named as Open vSwitch's dummy ports, for `dump-flows -m`.
        cmd = [self.fpctl, "replay", "--flows", flows_path,
               "--ports", ",".join(f"{p}=p{p}" for p in self.ports), "--out", out_dir]
        for port, path in inputs:
            cmd += ["--in", f"{port}={path}"]
        if self.vlan_limit is not None:
            cmd += ["--vlan-limit", str(self.vlan_limit)]
        return cmd

    def run_case(self, flows, packets, name="case"):
        """Same contract as PrivateOvs.run_case; 'name' is the case's own
        directory under the work directory, so several can run at once."""
        case_dir = os.path.join(self.workdir, name)
        shutil.rmtree(case_dir, ignore_errors=True)
        os.makedirs(case_dir)
        flows_path = os.path.join(case_dir, "flows.txt")
        with open(flows_path, "w") as f:
            for key, actions in flows:
                f.write(f"{key} {actions}\n")
        by_port = {}
        for sequence, (port, frame) in enumerate(packets):
            by_port.setdefault(port, []).append((sequence, frame))
        inputs = []
        for port, frames in sorted(by_port.items()):
            path = os.path.join(case_dir, f"in-{port}.pcap")
            write_pcap(path, frames)
            inputs.append((port, path))
        out_dir = os.path.join(case_dir, "out")
        cmd = self.command(flows_path, inputs, out_dir)
        run = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             timeout=60)
        if run.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited with {run.returncode}:\n"
                               f"{run.stdout}{run.stderr}")
        accepted = [None] * len(flows)
        with open(os.path.join(out_dir, "flows.result")) as f:
            results = [line.rstrip("\n") for line in f if line.strip()]
        if len(results) != len(flows):
            raise RuntimeError(f"flows.result has {len(results)} lines for {len(flows)} flows")
        for i, line in enumerate(results):
            _, _, verdict = line.partition(": ")
            accepted[i] = None if verdict == "ok" else verdict
        outputs = {}
        for port in self.ports:
            path = os.path.join(out_dir, f"port-{port}.pcap")
            outputs[port] = read_pcap_records(path, 0)[0] if os.path.exists(path) else []
        with open(os.path.join(out_dir, "dump-flows.txt")) as f:
            dump = [line.rstrip("\n") for line in f
                    if line.strip() and not line.startswith("flow-dump from")]
        shutil.rmtree(case_dir, ignore_errors=True)
        return {"accepted": accepted, "outputs": outputs, "dump": dump}
