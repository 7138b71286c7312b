#!/usr/bin/python3
"""Fails when a test was skipped, whole or in part, unless the skip is allowed.

    check-skips.py JUNIT.xml ALLOW_LIST

JUNIT.xml is ctest's --output-junit report. A test is skipped whole when ctest
says so (exit code 77 of a script, GTEST_SKIP in a GoogleTest case). A test
skips a part of itself by printing a line

    SKIPPED PART: <part>: <reason>

and then passing. Each skip, whole ("<test>") or in part ("<test>:<part>"),
must be listed in ALLOW_LIST (tests/skip-allowlist.txt), one per line with a
comment saying why it may be skipped; anything else fails the run. Allowed
skips are still printed, so a run always shows what it did not test.
"""
import re
import sys
import xml.etree.ElementTree as ElementTree

PART = re.compile(r"^SKIPPED PART: ([A-Za-z0-9_.-]+): (.*)$", re.MULTILINE)
GTEST_SKIP = re.compile(r"^\[  SKIPPED \] .*$", re.MULTILINE)


def read_allow_list(path):
    allowed = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            entry, _, why = line.partition("#")
            entry = entry.strip()
            if not entry:
                continue
            if not why.strip():
                sys.exit(f"{path}:{number}: '{entry}' is allowed to skip without a comment saying why")
            allowed[entry] = why.strip()
    return allowed


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    report, allow_path = sys.argv[1], sys.argv[2]
    allowed = read_allow_list(allow_path)
    tests = ElementTree.parse(report).getroot().iter("testcase")
    refused, permitted, count = [], [], 0
    for case in tests:
        count += 1
        name = case.get("name")
        output = case.findtext("system-out") or ""
        skips = []
        gtest_skip = GTEST_SKIP.search(output)  # whether or not ctest saw it
        if gtest_skip or case.find("skipped") is not None or case.get("status") == "notrun":
            reason = gtest_skip or re.search(r"^SKIP:? .*$", output, re.MULTILINE)
            skips.append((name, reason.group(0) if reason else "skipped"))
        for part, reason in PART.findall(output):
            skips.append((f"{name}:{part}", reason))
        for what, reason in skips:
            (permitted if what in allowed else refused).append((what, reason))
    if count == 0:
        sys.exit(f"{report}: no test ran")
    for what, reason in permitted:
        print(f"skipped (allowed: {allowed[what]}): {what}: {reason}")
    for what, reason in refused:
        print(f"SKIPPED, NOT ALLOWED: {what}: {reason}")
    if refused:
        print(f"{len(refused)} skip(s) not on {allow_path}: a skipped test proves nothing; "
              "make it run, or list it there with the reason")
        return 1
    print(f"skips: {len(permitted)} allowed, none other, of {count} tests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
