// What an OpenFlow message from a controller or ovs-ofctl does to a bridge,
// and the replies it gets. Every request is answered: with its reply, or with
// the standard error when it is malformed, refers to what does not exist, or
// asks for something flowpath does not do (OFPBRC_BAD_TYPE, BAD_STAT,
// BAD_SUBTYPE, ...). Nothing is silently ignored.
#pragma once

#include <string>
#include <vector>

#include "ofproto/ofproto.h"
#include "ofproto/openflow_session.h"
#include "openflow/wire/ofp_header.h"
#include "openflow/wire/port_desc.h"

namespace flowpath::ofproto {

// The replies to `message` (a whole message whose framing the channel has
// checked), in order.
std::vector<wire::Bytes> handle_openflow_message(Ofproto& ofproto, const std::string& bridge,
                                                 OpenFlowSession& session,
                                                 const wire::Bytes& message);

// The bridge's datapath id: stable for a bridge name (the low 48 bits are the
// local port's Ethernet address).
uint64_t datapath_id_of(const std::string& bridge);
// A port as OpenFlow describes it (port_desc, features, port-status).
wire::PortDesc port_desc_of(const std::string& bridge, const PortStatus& port);

}  // namespace flowpath::ofproto
