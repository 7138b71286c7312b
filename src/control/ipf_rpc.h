// The JSON-RPC methods of the datapaths' IP fragment reassembly (in front
// of each connection tracker), behind fpctl's ovs-dpctl ipf verbs.
//
// Methods (params → result):
//   ipf.enabled.set  {dp, family: "v4"|"v6", enabled} → {}
//   ipf.min_frag.set {dp, family: "v4"|"v6", bytes}   → {}  (at least 400)
//   ipf.max_nfrags.set {dp, max}                      → {}  (at most 5000)
//   ipf.status       {dp, lists?}  → {v4: {enabled, min_frag_size, accepted, completed,
//                                    expired, too_small, overlapped, oversized, not_held,
//                                    purged}, v6: {...}, max_nfrags, nfrags, datagrams,
//                                    lists?: [{text, ...}]}
// A bad value is refused with a message naming it and changes nothing.
#pragma once

#include "control/jsonrpc.h"
#include "datapath/datapath_interface.h"

namespace flowpath::control {

void add_ipf_methods(JsonRpcDispatcher& dispatcher, DatapathInterface& dpif);

}  // namespace flowpath::control
