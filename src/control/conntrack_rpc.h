// The JSON-RPC methods of the datapaths' connection trackers, behind
// fpctl's ovs-dpctl conntrack verbs (dump-conntrack, flush-conntrack,
// ct-stats-show, ct-set-maxconns, ...).
//
// Methods (params → result):
//   ct.dump      {dp, zone?, verbose?, statistics?} → [{text, proto, zone, orig, reply, mark,
//                                                       labels, packets, bytes, timeout, state?}]
//   ct.flush     {dp, zone?, tuple?: "ct_nw_src=...,..."} → {flushed}
//   ct.stats     {dp, zone?}                 → {total, protocols: {tcp: n, ...},
//                                               tcp_states: {ESTABLISHED: n, ...}, counters}
//   ct.maxconns.set {dp, maxconns}           → {}
//   ct.maxconns.get {dp}                     → {maxconns}
//   ct.nconns    {dp}                        → {nconns}
//   ct.tcp_seq_chk.set {dp, enabled}         → {}
//   ct.tcp_seq_chk.get {dp}                  → {enabled}
//   ct.limits.set {dp, default?, zones?: [{zone, limit}]} → {}
//   ct.limits.get {dp, zones?: [zone]}       → {default, zones: [{zone, limit, count}]}
//   ct.limits.del {dp, zones: [zone]}        → {}
#pragma once

#include "control/jsonrpc.h"
#include "datapath/datapath_interface.h"

namespace flowpath::control {

void add_conntrack_methods(JsonRpcDispatcher& dispatcher, DatapathInterface& dpif);

}  // namespace flowpath::control
