// Internal to openflow_handler*.cc.
#pragma once

#include <string>
#include <vector>

#include "ofproto/ofproto.h"
#include "ofproto/openflow_session.h"
#include "openflow/wire/ofp_error.h"
#include "openflow/wire/ofp_header.h"

namespace flowpath::ofproto {

// The error message that answers `request` with `error` (logged at debug).
std::vector<wire::Bytes> error_reply(const wire::OfpError& error, const wire::Bytes& request);

// Multipart (statistics) requests: desc, flow, aggregate, port, port-desc.
std::vector<wire::Bytes> handle_stats_request(Ofproto& ofproto, const std::string& bridge,
                                              OpenFlowSession& session,
                                              const wire::OfpMessage& msg,
                                              const wire::Bytes& message);

// Table statistics and table features (openflow_handler_tables.cc).
std::vector<wire::Bytes> handle_table_stats(Ofproto& ofproto, const std::string& bridge,
                                            const wire::OfpMessage& msg,
                                            const wire::Bytes& message);
std::vector<wire::Bytes> handle_table_features(const wire::OfpMessage& msg,
                                               const wire::Bytes& message);

}  // namespace flowpath::ofproto
