// The JSON-RPC methods of flowpathd's datapath interface. Flows and actions
// travel as ODP text (the syntax of ovs-dpctl), packets as hex.
//
// Methods (params → result):
//   dp.add    {dp, interfaces?: [spec...]}           → {dp}
//   dp.del    {dp}                                   → {}
//   dp.list   {}                                     → [dp...]
//   dp.set    {dp, vlan_limit?, flow_limit?, upcall_rate?, emc?, max_idle_ms?}
//                                                    → {dp, vlan_limit, flow_limit, upcall_rate,
//                                                       emc, max_idle_ms?}
//   dp.show   {dp?}                                  → [{name, vlan_limit, max_idle_ms?, stats,
//                                                        ports:[...]}...]
//   port.add  {dp, spec: "IFACE[,type=T][,k=v]..."}  → {port_no}
//   port.set  {dp, spec}                             → {}
//   port.del  {dp, port: name or number}             → {}
//   flow.put  {dp, flow, actions, ufid?, mode?: create|modify|create-or-modify, clear?}
//                                                    → {ufid, created, previous?}
//   flow.get  {dp, ufid} | {dp, flow}                → flow
//   flow.del  {dp, ufid} | {dp, flow}                → flow (final statistics)
//   flow.flush {dp}                                  → {}
//   flow.dump {dp, filter?}                          → [flow...]
//   packet.execute {dp, packet: hex, actions, in_port?}
//                                                    → {sent, upcalls, dropped, drops}
//   meter.set {dp, meter, pktps?, bands:[{rate, burst?}]} → {}
//   meter.del {dp, meter}                            → {}
//   threads.show {}                                  → [{id, cpu, ports, packets, batches, ...,
//                                                        dropped, drops}]
// A flow is {ufid, flow, actions, packets, bytes, used_ms (ms since last
// use, or null for never), tcp_flags, age_ms}.
// "drops" is {reason name: packets} (docs/datapath.md, "Drop reasons"), with
// every reason in dp.show (datapath and port stats) and threads.show, and
// only the reasons that occurred in packet.execute; "dropped" is their sum.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "control/jsonrpc.h"
#include "datapath/datapath_interface.h"

namespace flowpath::control {

// `owner` names what owns a datapath (e.g. "bridge br0"), if anything:
// dp.del, port.add, port.set and port.del refuse such datapaths, since their
// ports belong to the owner's configuration.
using DatapathOwner = std::function<std::optional<std::string>(const std::string& dp)>;
// What owns a datapath, and where its settings go: dp.set on an owned
// datapath changes them through `set_settings` (the bridge keeps them in its
// state file, with its max-idle); `max_idle_ms` reads the owner's max-idle
// for dp.show. A datapath nobody owns has no max-idle (nothing expires its
// flows): dp.set refuses one.
struct DatapathOwnership {
  DatapathOwner owner;
  std::function<Status(const std::string& dp, const DatapathSettings& settings,
                       std::optional<uint32_t> max_idle_ms)>
      set_settings;
  std::function<std::optional<uint32_t>(const std::string& dp)> max_idle_ms;
};
void add_datapath_methods(JsonRpcDispatcher& dispatcher, DatapathInterface& dpif,
                          DatapathOwnership ownership = {});

}  // namespace flowpath::control
