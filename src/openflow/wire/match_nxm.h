// Matches as NXM (Nicira's nx_match, OpenFlow 1.0 with the NXM flow format)
// and OXM (ofp_match of type OFPMT_OXM, OpenFlow 1.2+). Entries are written
// in Open vSwitch's order with its choice of header per version, so a match
// reads back to the same bytes Open vSwitch would send.
#pragma once

#include "openflow/of_flow.h"
#include "openflow/wire/nxm_entry.h"
#include "openflow/wire/ofp_buffer.h"

namespace flowpath::openflow::wire {

struct NxmCookie {
  uint64_t value = 0;
  uint64_t mask = 0;  // 0: no cookie match
};

// Appends the entries of `match` (no padding); `oxm_version` 0 writes NXM
// headers, an OpenFlow version the headers of that version. A non-zero
// cookie mask adds the NXM_NX_COOKIE pseudo-field (NXM only). Returns the
// bytes written.
size_t put_nxm_match(WireWriter& w, const OfMatch& match, uint8_t oxm_version,
                     const NxmCookie& cookie = {});

// Reads `entries` (exactly). `strict`: prerequisites must be met by earlier
// entries and unknown fields are errors; loose reading (as Open vSwitch reads
// matches in replies and packet-ins) skips unknown fields and does not check
// prerequisites. `cookie`: where NXM_NX_COOKIE goes, nullptr to refuse it.
WireResult<OfMatch> decode_nxm_match(ByteView entries, bool strict, NxmCookie* cookie = nullptr);

// What of `match` NXM/OXM cannot carry (skb_priority, tun_ttl, ...);
// nullopt when all of it travels.
std::optional<std::string> nxm_match_problem(const OfMatch& match);

// ofp_match of OpenFlow 1.2+: type OFPMT_OXM (1), length, entries, padding
// to 8 bytes.
void put_oxm_match(WireWriter& w, const OfMatch& match, uint8_t version);
// Reads an ofp_match (OFPBMC_BAD_TYPE for other match types, OFPBMC_BAD_LEN
// when it overruns).
WireResult<OfMatch> pull_oxm_match(WireReader& r, bool strict);

}  // namespace flowpath::openflow::wire
