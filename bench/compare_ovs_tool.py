#!/usr/bin/env python3
"""Helpers for bench/compare-ovs.sh (standard library only).

  compare_ovs_tool.py openflow FLOWS_FILE
      Prints the OpenFlow rules (ovs-ofctl add-flows syntax) that make Open
      vSwitch build the same datapath flows as the flowpath flows file
      ("FLOW ACTIONS" per line, as flowpath-replay and `fpctl add-flow` take
      them). Only the keys the traffic profiles use are translated; anything
      else is an error that names the line and the key.

  compare_ovs_tool.py ovs-window PMD_PERF_SHOW_FILE
      Parses one `ovs-appctl dpif-netdev/pmd-perf-show` taken after
      `pmd-stats-clear` and prints "mpps=.. rx_mpps=.. cycles_per_packet=..
      simple=..% emc=..% smc=..% megaflow=..% upcalls=.." (rates are PMD Tx
      and Rx packets over the measured duration).

  compare_ovs_tool.py report RESULTS_TSV CONFIGS
      RESULTS_TSV holds "round profile system mpps" lines (system is
      "flowpath" or "ovs-CONFIG"); CONFIGS is the comma-separated OVS
      configuration names in column order. Prints one table of medians (with
      min-max and the sample count) and one "PROFILE ratio R" line per profile:
      flowpath's median over the best OVS median.
"""
import re
import statistics
import sys


class InputError(Exception):
    pass


# ------------------------------------------------------------ ODP -> OpenFlow

def split_top_level(text, sep=","):
    """Splits at `sep` outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth < 0:
                raise InputError("unbalanced ')' in \"%s\"" % text)
        elif c == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if depth != 0:
        raise InputError("unbalanced '(' in \"%s\"" % text)
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def split_flow_line(line):
    """"FLOW ACTIONS": the first blank outside parentheses not after a comma."""
    depth = 0
    for i, c in enumerate(line):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c in " \t" and depth == 0 and i > 0 and line[i - 1] != ",":
            actions = line[i:].strip()
            if actions:
                return line[:i], actions
    raise InputError("expected \"FLOW ACTIONS\", got \"%s\"" % line)


def key_fields(key):
    """"ipv4(src=a/m,proto=17)" -> ("ipv4", [("src", "a/m"), ("proto", "17")])."""
    m = re.fullmatch(r"([a-z_0-9]+)\((.*)\)", key)
    if not m:
        raise InputError("cannot read key \"%s\"" % key)
    fields = []
    for item in split_top_level(m.group(2)):
        name, eq, value = item.partition("=")
        if not eq or not value:
            raise InputError("key %s: expected FIELD=VALUE, got \"%s\"" % (m.group(1), item))
        fields.append((name, value))
    return m.group(1), fields


# ODP key -> {ODP field: OpenFlow field}; a field maps to None when it needs
# its own handling below.
FIELD_NAMES = {
    "eth": {"src": "dl_src", "dst": "dl_dst"},
    "ipv4": {"src": "nw_src", "dst": "nw_dst", "proto": "nw_proto", "tos": "nw_tos",
             "ttl": "nw_ttl", "frag": None},
    "udp": {"src": "tp_src", "dst": "tp_dst"},
    "tcp": {"src": "tp_src", "dst": "tp_dst"},
}
FRAG_VALUES = {"no": "no", "first": "first", "later": "later"}


def openflow_match(flow):
    out = []
    for key in split_top_level(flow):
        if key.startswith("in_port("):
            m = re.fullmatch(r"in_port\((\d+)\)", key)
            if not m:
                raise InputError("in_port takes one port number, got \"%s\"" % key)
            out.append("in_port=%s" % m.group(1))
            continue
        if key.startswith("eth_type("):
            m = re.fullmatch(r"eth_type\((0x[0-9a-fA-F]{1,4}|\d+)(/0x0*0|/0)?\)", key)
            if not m:
                raise InputError("eth_type takes one Ethertype, or one masked out (T/0), "
                                 "got \"%s\"" % key)
            if m.group(2) is None:  # T/0: every frame, no dl_type in the rule
                out.append("dl_type=%s" % m.group(1))
            continue
        name, fields = key_fields(key)
        names = FIELD_NAMES.get(name)
        if names is None:
            raise InputError("key %s() has no OpenFlow translation here" % name)
        for field, value in fields:
            if field not in names:
                raise InputError("field %s of key %s() has no OpenFlow translation here"
                                 % (field, name))
            if name == "ipv4" and field == "frag":
                if value not in FRAG_VALUES:
                    raise InputError("ipv4(frag=%s): expected no, first or later" % value)
                out.append("ip_frag=%s" % FRAG_VALUES[value])
            else:
                out.append("%s=%s" % (names[field], value))
    return out


def openflow_actions(actions):
    ports = [a.strip() for a in actions.split(",")]
    for p in ports:
        if not p.isdigit():
            raise InputError("action \"%s\": only output port numbers are translated" % p)
    return ",".join("output:%s" % p for p in ports)


def cmd_openflow(path):
    rules = []
    with open(path) as fh:
        for number, raw in enumerate(fh, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            try:
                flow, actions = split_flow_line(line)
                match = openflow_match(flow)
                rules.append("priority=10,%s,actions=%s"
                             % (",".join(match), openflow_actions(actions)))
            except InputError as e:
                raise InputError("%s:%d: %s" % (path, number, e))
    if not rules:
        raise InputError("%s: no flows" % path)
    print("\n".join(rules))


# ------------------------------------------------------------ pmd-perf-show

def cmd_ovs_window(path):
    text = open(path).read()

    def number(pattern, what):
        m = re.search(pattern, text, re.M)
        if not m:
            raise InputError("%s: no \"%s\" in pmd-perf-show output" % (path, what))
        return float(m.group(1))

    seconds = number(r"Measurement duration:\s+([\d.]+) s", "Measurement duration")
    if seconds <= 0:
        raise InputError("%s: measurement duration is 0" % path)
    rx = number(r"^\s*Rx packets:\s+(\d+)", "Rx packets")
    tx = number(r"^\s*Tx packets:\s+(\d+)", "Tx packets")
    share = {}
    for label, key in (("Simple Match", "simple"), ("EMC", "emc"), ("SMC", "smc"),
                       ("Megaflow", "megaflow")):
        hits = number(r"- %s hits:\s*(\d+)" % label, label + " hits")
        share[key] = 100.0 * hits / rx if rx else 0.0
    upcalls = number(r"- Upcalls:\s+(\d+)", "Upcalls")
    used = number(r"- Used TSC cycles:\s+(\d+)", "Used TSC cycles")
    print("mpps=%.3f rx_mpps=%.3f cycles_per_packet=%.0f simple=%.1f%% emc=%.1f%% smc=%.1f%% "
          "megaflow=%.1f%% upcalls=%d"
          % (tx / seconds / 1e6, rx / seconds / 1e6, used / rx if rx else 0, share["simple"],
             share["emc"], share["smc"], share["megaflow"], upcalls))


# ------------------------------------------------------------ report

def cmd_report(path, configs):
    samples = {}
    profiles = []
    with open(path) as fh:
        for number, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            parts = raw.split()
            if len(parts) != 4:
                raise InputError("%s:%d: expected \"round profile system mpps\"" % (path, number))
            _round, profile, system, mpps = parts
            if profile not in profiles:
                profiles.append(profile)
            samples.setdefault((profile, system), []).append(float(mpps))
    systems = ["flowpath"] + ["ovs-" + c for c in configs]
    header = ["profile"] + systems
    rows = []
    ratios = []
    for profile in profiles:
        row = [profile]
        medians = {}
        for system in systems:
            values = samples.get((profile, system))
            if not values:
                row.append("n/a")
                continue
            medians[system] = statistics.median(values)
            row.append("%.2f (%.2f-%.2f, n=%d)" % (medians[system], min(values), max(values),
                                                   len(values)))
        rows.append(row)
        ovs = {s: m for s, m in medians.items() if s != "flowpath"}
        if "flowpath" in medians and ovs:
            best = max(ovs, key=ovs.get)
            ratios.append("%s ratio %.2f" % (profile, medians["flowpath"] / ovs[best]))
        else:
            ratios.append("%s ratio n/a (%s)" % (
                profile, "no OVS figure" if "flowpath" in medians else "no flowpath figure"))
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    print("Mpps, median (min-max, n windows):")
    for r in [header] + rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip())
    print()
    print("\n".join(ratios))


def main(argv):
    try:
        if len(argv) == 2 and argv[0] == "openflow":
            cmd_openflow(argv[1])
        elif len(argv) == 2 and argv[0] == "ovs-window":
            cmd_ovs_window(argv[1])
        elif len(argv) == 3 and argv[0] == "report":
            cmd_report(argv[1], [c for c in argv[2].split(",") if c])
        else:
            sys.stderr.write(__doc__)
            return 2
    except (InputError, OSError, ValueError) as e:
        sys.stderr.write("compare_ovs_tool.py: %s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
