// flowpathd --ovsdb: fpctl's bridge verbs (add-br, del-br, add-port,
// del-port, set-controller, del-controller, set-fail-mode, del-fail-mode,
// set-mac-table) write to the database, as ovs-vsctl would, and return once
// flowpathd has applied the change. They replace the methods that would
// change the bridges behind the database's back.
#pragma once

#include "control/jsonrpc.h"
#include "ofproto/ofproto.h"
#include "ovsdb/switch_agent.h"

namespace flowpath::tools {

void add_ovsdb_bridge_methods(control::JsonRpcDispatcher& dispatcher, ovsdb::SwitchAgent& agent,
                              ofproto::Ofproto& ofproto);

}  // namespace flowpath::tools
