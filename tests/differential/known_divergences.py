"""Divergences between flowpath and Open vSwitch that the generator avoids for
now. Each entry switches off one thing the generator would otherwise make;
when the fix lands, delete the entry and the suite starts checking it.

Every entry names the item of issue 14 and the engineer (branch) fixing it.
A divergence found that is not listed here fails the suite: report it in
/work/brief/differential-findings.md and either fix it or add it here with
the same kind of comment.
"""

AVOIDED = {
    # issue 14, "flows it accepts or refuses differently": flowpath refuses any
    # overlap between two megaflows; Open vSwitch refuses only a flow whose own
    # key an existing flow already matches (branch `overlap`). With overlapping
    # flows Open vSwitch's result also depends on its subtable ranking, so the
    # generator keeps the flows of one case disjoint even after this is fixed:
    # this entry only stops it from adding a second flow that Open vSwitch
    # refuses as a duplicate of the first.
    "overlap": "issue 14 item 2, flow overlap; branch overlap",

    # issue 14, "text it writes differently": the key of a flow added with
    # bits outside its mask is dumped with those bits zeroed; Open vSwitch's
    # userspace datapath keeps them (branch `overlap`).
    "bits_outside_mask": "issue 14 item 2, bits outside the mask; branch overlap",

    # issue 14, "flows it accepts or refuses differently": keys Open vSwitch
    # refuses as incomplete (no in_port, ipv4(proto=17) without udp(), a VLAN
    # encap() without the L3 attribute) are accepted (branch `keyfidelity`).
    "incomplete_key": "issue 14 item 2, key acceptance; branch keyfidelity",

    # issue 14: an MPLS key with bos=0 only is accepted, and a single label
    # with bos=0 is printed as three labels (branches `keyfidelity`, `odptext`).
    "mpls_bos0_key": "issue 14 item 2, MPLS bos=0 keys; branches keyfidelity and odptext",

    # issue 14, "actions it refuses": `2,drop` (branch `keyfidelity`).
    "drop_after_output": "issue 14 item 2, `2,drop`; branch keyfidelity",

    # issue 14, "packets": add_mpls(...) without the L3 flag on an Ethernet
    # packet sends non-Ethernet bytes where Open vSwitch sends nothing
    # (branch `keyfidelity`).
    "add_mpls": "issue 14 item 2, add_mpls; branch keyfidelity",

    # issue 14, "text it cannot read": push_vlan(tpid=0x9100,...) and
    # push_vlan(...,cfi=0) are refused (branch `odptext`).
    "push_vlan_tpid_cfi": "issue 14 item 2, push_vlan tpid/cfi; branch odptext",

    # issue 14, "text it writes differently": `dump-flows -m` lacks Open
    # vSwitch's form (every field with its mask, port names, `dp:`) (branch
    # `odptext`). Not a generator switch but the comparison's: while listed,
    # both sides' dumps are compared after dropping every field and
    # attribute whose mask is zero and the `dp:` word; when removed, the
    # `-m` text is compared as it is (ufid, used and dp-extra-info aside).
    "dump_flows_m_form": "issue 14 item 2, dump-flows -m form; branch odptext",
}


# Every switch the generator has, listed or not; asking about a name missing
# here is an error, so a typo cannot silently switch a check off.
SWITCHES = {
    "overlap", "bits_outside_mask", "incomplete_key", "mpls_bos0_key",
    "drop_after_output", "add_mpls", "push_vlan_tpid_cfi", "dump_flows_m_form",
}
assert set(AVOIDED) <= SWITCHES


def avoided(name):
    if name not in SWITCHES:
        raise KeyError(f"unknown generator switch {name!r}")
    return name in AVOIDED
