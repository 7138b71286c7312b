// The JSON-RPC methods of flowpathd's slow path: bridges and their ports (the
// ovs-vsctl set), rules, groups and meters in ovs-ofctl text, the MAC table
// and ofproto/trace. A port is named by its interface name or, where noted,
// by its OpenFlow number.
//
// Methods (params → result):
//   br.add      {bridge, may_exist?}                    → {}
//   br.del      {bridge, if_exists?}                    → {}
//   br.list     {}                                      → [bridge...]
//   br.get      {bridge}                                → {name, mac_table_size, mac_aging,
//                                                          max_idle_ms, ports, flows, groups, meters}
//   br.set      {bridge, mac_table_size?, mac_aging?}   → {}
//   br.port.add {bridge, port, settings?: [word...], may_exist?} → {ofport}
//               (words as after "add-port BR IFACE": type=T tag=N trunks=N,M ...)
//   br.port.del {bridge?, port}                         → {}   (port: name, or number with bridge)
//   br.port.list {bridge}                               → [port...]
//   br.port.mod {bridge, port, admin: "up"|"down"}      → {}   (port: name or number)
//   of.flows.add  {bridge, flows: [line...]}            → {count}  (all or nothing)
//   of.flows.mod  {bridge, flow, strict?}               → {count}
//   of.flows.del  {bridge, filter?, strict?}            → {count}
//   of.flows.dump {bridge, filter?}                     → [rule...]
//   of.groups.add  {bridge, group, modify?}             → {}
//   of.groups.del  {bridge, group?}                     → {}   (no group: all)
//   of.groups.dump {bridge}                             → [{text, packets, bytes}...]
//   of.meters.add  {bridge, meter}                      → {}
//   of.meters.del  {bridge, meter?}                     → {}   (no meter: all)
//   of.meters.dump {bridge}                             → [text...]
//   of.ports.dump  {bridge, port?}                      → [{ofport, name, stats}...]
//   of.packet_ins  {bridge}                             → [{in_port, reason, table, cookie, packet}...]
//                  (takes the queued CONTROLLER packets; packet is hex)
//   fdb.show   {bridge}                                 → [{port, port_name, vlan, mac, age}...]
//   fdb.flush  {bridge}                                 → {}
//   trace      {bridge, flow}                           → {lines, datapath_actions, megaflow}
//   ofproto.stats {}                                    → {upcalls, flows_installed, ...}
//   upcall.show {}    → [{bridge, flows, flows_max, flow_limit (the adaptive one),
//                         flow_limit_configured, dump_duration_us (the last full dump),
//                         max_idle_ms, ukeys, handler_threads, upcall_rate,
//                         upcalls_rate_limited, upcalls_queued}...]
// A port is {name, ofport, dp_port, type, options, tag, trunks, vlan_mode,
// admin_up, link_up, stats}; a rule is {table, priority, cookie,
// idle_timeout, hard_timeout, packets, bytes, duration_ms, idle_ms, match,
// actions}. OFPP_LOCAL (the bridge's own port) is the number 4294967294.
#pragma once

#include <string_view>

#include "control/jsonrpc.h"
#include "ofproto/ofproto.h"

namespace flowpath::control {

void add_ofproto_methods(JsonRpcDispatcher& dispatcher, ofproto::Ofproto& ofproto);

// True for the methods above that change no configuration (the daemon does
// not log them when they succeed).
bool is_ofproto_query(std::string_view method);

}  // namespace flowpath::control
