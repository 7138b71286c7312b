#!/usr/bin/python3
"""Seeds tests/fuzz/corpus/fuzz_openflow_wire from the recorded OpenFlow
fixtures (tests/openflow/fixtures): a few real messages of every form, each
prefixed by the session byte fuzz_openflow_wire.cc expects (bit 0: OpenFlow
1.0 flow mods carry a table id).

  tests/fuzz/make_openflow_corpus.py
"""
import hashlib
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "openflow", "fixtures")
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus", "fuzz_openflow_wire")
PER_FORM = 6          # messages kept per form (version, type, subtype)
BIG = 4096            # at most one message this large per form


def form(msg):
    version, mtype = msg[0], msg[1]
    key = (version, mtype)
    if mtype == 4 and len(msg) >= 16:                      # vendor: subtype
        key += (msg[8:16],)
    if (mtype in (16, 17) and version == 1) or (mtype in (18, 19) and version > 1):
        key += (msg[8:10],)                                # stats type
        if msg[8:10] == b"\xff\xff":
            off = 12 if version == 1 else 16
            key += (msg[off:off + 8],)
    return key


def messages():
    for name in sorted(os.listdir(FIXTURES)):
        table_id = False
        with open(os.path.join(FIXTURES, name)) as f:
            for line in f:
                m = re.match(r"^(?:[<>]|hex:) ([0-9a-f]+)$", line.strip())
                if line.startswith("command:"):
                    table_id = False
                if not m:
                    continue
                msg = bytes.fromhex(m.group(1))
                # NXT_FLOW_MOD_TABLE_ID with a nonzero byte turns it on.
                if msg[1] == 4 and len(msg) >= 17 and msg[12:16] == b"\x00\x00\x00\x0f":
                    table_id = msg[16] != 0
                if "table_id" in line or (name == "flow_mod_add.txt" and "+table_id" in line):
                    table_id = True
                yield (1 if table_id else 0), msg


def main():
    os.makedirs(CORPUS, exist_ok=True)
    for old in os.listdir(CORPUS):
        os.unlink(os.path.join(CORPUS, old))
    kept, big = {}, set()
    for session, msg in messages():
        key = form(msg)
        if kept.get(key, 0) >= PER_FORM or (len(msg) > BIG and key in big):
            continue
        kept[key] = kept.get(key, 0) + 1
        if len(msg) > BIG:
            big.add(key)
        data = bytes([session]) + msg
        path = os.path.join(CORPUS, hashlib.sha1(data).hexdigest()[:16])
        with open(path, "wb") as f:
            f.write(data)
    print("%d seeds for %d forms in %s" % (sum(kept.values()), len(kept), CORPUS))


if __name__ == "__main__":
    main()
