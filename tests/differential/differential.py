#!/usr/bin/python3
"""The differential suite: the same datapath flows and packets through a
private Open vSwitch (ovs-vswitchd with dummy ports) and through flowpath
(`fpctl replay`), compared: flow acceptance, output frames per port byte for
byte, and dump-flows (key/mask, packet and byte counts, TCP flags, actions).

  differential.py --fpctl build/tools/fpctl [--seed S] [--cases N]
  differential.py --fpctl build/tools/fpctl --seed S --case I [--case J]   # again, alone
  differential.py --ovs-only --seed S --cases N                             # the generator's view of OVS

Prints the seed and the case count; each failing case prints how to run it
again alone, its flows, its packets in hex and both sides' results.
See docs/differential.md.
"""

import argparse
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import generator  # noqa: E402
from flowpath_peer import FlowpathReplay  # noqa: E402
from known_divergences import AVOIDED, avoided  # noqa: E402
from ovs_peer import PrivateOvs  # noqa: E402

DUMP_LINE = re.compile(r"^(?:ufid:[0-9a-f-]+, )?(?P<key>.*), packets:(?P<packets>\d+), "
                       r"bytes:(?P<bytes>\d+), used:[^,]+(?:, flags:(?P<flags>[^,]*))?"
                       r"(?:, dp:(?P<dp>[^,]+))?, actions:(?P<actions>.*?)"
                       r"(?:, dp-extra-info:.*)?$")
WINDOW = 8  # cases whose replays run at once
TCP_KEY = re.compile(r"proto=6[,)]")
def normalise_dump(lines):
    """Dump lines as sorted (key, packets, bytes, flags, dp, actions): the
    ufid and the time of last use differ by nature, the order of a dump means
    nothing, dp-extra-info is Open vSwitch's internals."""
    flows = []
    for line in lines:
        m = DUMP_LINE.match(line.strip())
        if not m:
            flows.append((line.strip(), "?", "?", "?", "?", "?"))
            continue
        flags = m["flags"] or ""
        if avoided("stats_flags_not_tcp") and not TCP_KEY.search(m["key"]):
            flags = ""
        flows.append((m["key"], m["packets"], m["bytes"], flags, m["dp"] or "", m["actions"]))
    return sorted(flows)


def is_verbose(lines):
    return any(line.startswith("ufid:") or "skb_priority(" in line for line in lines)


def compare(case, ovs, flowpath):
    """The differences, as text lines (empty: the same)."""
    problems = []
    for i, (a, b) in enumerate(zip(ovs["accepted"], flowpath["accepted"])):
        if (a is None) != (b is None):
            problems.append(f"flow {i + 1} acceptance: Open vSwitch "
                            f"{'ok' if a is None else 'error: ' + a}, flowpath "
                            f"{'ok' if b is None else 'error: ' + b}")
    # Both sides see the packets in the case's order (Open vSwitch: one
    # port's run of packets at a time, waited for; the replay: by capture
    # time), so each port's frames are compared in order.
    for port in sorted(ovs["outputs"]):
        a, b = ovs["outputs"][port], flowpath["outputs"].get(port, [])
        if a != b:
            problems.append(f"port {port} frames differ:")
            problems += [f"  ovs      {f.hex()}" for f in a] or ["  ovs      (none)"]
            problems += [f"  flowpath {f.hex()}" for f in b] or ["  flowpath (none)"]
    # The replay writes `dump-flows` or `dump-flows -m`: compared with the
    # same form of Open vSwitch's.
    ovs_dump = ovs["dump_verbose"] if is_verbose(flowpath["dump"]) else ovs["dump"]
    dump_a, dump_b = normalise_dump(ovs_dump), normalise_dump(flowpath["dump"])
    if dump_a != dump_b:
        problems.append("dump-flows differ:")
        problems += [f"  ovs      {line}" for line in sorted(ovs_dump)] or ["  ovs      (none)"]
        problems += [f"  flowpath {line}" for line in sorted(flowpath["dump"])] or [
            "  flowpath (none)"]
    return problems


def reproduction(case, ovs, flowpath, problems, rerun):
    lines = [f"FAILED case {case.index} of seed {case.seed}; again alone: {rerun}"]
    lines.append("flows (key actions):")
    lines += [f"  {key} {actions}" for key, actions in case.flows]
    lines.append("packets (in_port hex):")
    lines += [f"  {port} {frame.hex()}" for port, frame in case.packets]
    lines.append("acceptance: ovs " + str([a or "ok" for a in ovs["accepted"]]))
    lines.append("            flowpath " + str([a or "ok" for a in flowpath["accepted"]]))
    lines += problems
    return "\n".join(lines)


def count(stats, case, ovs_result):
    stats["flows"] += len(case.flows)
    stats["accepted"] += sum(a is None for a in ovs_result["accepted"])
    stats["refused"] += sum(a is not None for a in ovs_result["accepted"])
    stats["packets"] += len(case.packets)
    stats["frames"] += sum(len(f) for f in ovs_result["outputs"].values())
    stats["hits"] += sum(int(m["packets"]) for m in
                         (DUMP_LINE.match(line) for line in ovs_result["dump"]) if m)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fpctl", help="fpctl with the replay verb")
    parser.add_argument("--seed", type=int, default=None, help="default: from the clock")
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--case", type=int, action="append", default=[],
                        help="run only this case of the seed (repeatable)")
    parser.add_argument("--max-failures", type=int, default=10,
                        help="stop after this many failing cases")
    parser.add_argument("--ovs-only", action="store_true",
                        help="run Open vSwitch only and print what it made of the cases")
    parser.add_argument("--ovs-rundir", help="run directory for the private Open vSwitch "
                        "(new or empty; left in place, with its logs); default: a temporary one")
    args = parser.parse_args()
    if not args.ovs_only and not args.fpctl:
        parser.error("--fpctl is required (or --ovs-only)")
    seed = args.seed if args.seed is not None else int(time.time())
    indices = args.case or list(range(args.cases))
    print(f"differential: seed {seed}, {len(indices)} cases; "
          f"{len(AVOIDED)} known divergences avoided: {', '.join(sorted(AVOIDED))}", flush=True)

    workdir = tempfile.mkdtemp(prefix="flowpath-differential-")
    rundir = args.ovs_rundir or os.path.join(workdir, "ovs")
    ovs = PrivateOvs(rundir, generator.PORTS)
    # SIGTERM (ctest's timeout) must stop the private Open vSwitch too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    stats = {"flows": 0, "accepted": 0, "refused": 0, "packets": 0, "frames": 0, "hits": 0}
    failures = 0
    done = 0
    interrupted = True
    started = time.monotonic()
    try:
        ovs.start()
        flowpath = None if args.ovs_only else FlowpathReplay(args.fpctl, workdir, generator.PORTS,
                                                           vlan_limit=None if avoided("vlan_limit")
                                                           else generator.VLAN_LIMIT)
        # The replays run a few at a time beside Open vSwitch (each mostly
        # waits on its own process start and exit); results are compared in
        # case order.
        pool = None if args.ovs_only else ThreadPoolExecutor(max_workers=WINDOW)
        for start in range(0, len(indices), WINDOW):
            cases = [generator.make_case(seed, index) for index in indices[start:start + WINDOW]]
            pending = [] if args.ovs_only else [
                pool.submit(flowpath.run_case, c.flows, c.packets, f"case-{c.index}")
                for c in cases]
            for i, case in enumerate(cases):
                ovs_result = ovs.run_case(case.flows, case.packets)
                count(stats, case, ovs_result)
                done += 1
                if args.ovs_only:
                    for (key, actions), verdict in zip(case.flows, ovs_result["accepted"]):
                        if verdict is not None:
                            print(f"case {case.index}: refused: {key} {actions}: {verdict}")
                    continue
                fp_result = pending[i].result()
                problems = compare(case, ovs_result, fp_result)
                if problems:
                    failures += 1
                    rerun = f"{sys.argv[0]} --fpctl {args.fpctl} --seed {seed} --case {case.index}"
                    print(reproduction(case, ovs_result, fp_result, problems, rerun), flush=True)
            if failures >= args.max_failures:
                print(f"stopping after {failures} failing cases")
                break
            if done % 500 < WINDOW and done >= 500:
                print(f"  {done} cases, {failures} failing, "
                      f"{time.monotonic() - started:.0f} s", flush=True)
        if pool:
            pool.shutdown()
        interrupted = False
    finally:
        if interrupted:
            # A long run stopped early still says how far it got.
            print(f"differential: seed {seed}: stopped after {done} cases, "
                  f"{failures} failing, {time.monotonic() - started:.0f} s", flush=True)
        ovs.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.monotonic() - started
    print(f"differential: seed {seed}: {done} cases, {stats['flows']} flows "
          f"({stats['accepted']} accepted and {stats['refused']} refused by Open vSwitch), "
          f"{stats['packets']} packets ({stats['hits']} hit a flow), {stats['frames']} frames out; "
          f"{failures} failing cases; {elapsed:.1f} s")
    # A run that compared nothing proves nothing.
    if not args.case and (stats["accepted"] == 0 or stats["hits"] == 0 or stats["frames"] == 0):
        print("differential: FAILED: nothing was compared (no accepted flow, hit or frame)")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
