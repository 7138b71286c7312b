// Internal to openflow_handler*.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ofproto/ofproto.h"
#include "ofproto/openflow_session.h"
#include "openflow/wire/ofp_error.h"
#include "openflow/wire/ofp_header.h"

namespace flowpath::ofproto {

// OpenFlow 1.0 actions flowpath carries out (bit N: OFPAT10 type N):
// output, set_vlan_vid, set_vlan_pcp, strip_vlan, set_dl_src/dst,
// set_nw_src/dst, set_nw_tos, set_tp_src/dst, enqueue.
inline constexpr uint32_t kOfp10Actions = 0xfff;
// OpenFlow 1.1+ action types flowpath carries out: output, set/dec MPLS
// TTL, push/pop VLAN, push/pop MPLS, set_queue, group, dec_nw_ttl,
// set_field.
inline constexpr uint32_t kActionTypes = 1u << 0 | 1u << 15 | 1u << 16 | 1u << 17 | 1u << 18 |
                                         1u << 19 | 1u << 20 | 1u << 21 | 1u << 22 | 1u << 24 |
                                         1u << 25;

// The error message that answers `request` with `error` (logged at debug).
std::vector<wire::Bytes> error_reply(const wire::OfpError& error, const wire::Bytes& request);

// The error a queue request about `port_no` gets: none for OFPP_ANY or a port
// of the bridge, OFPQOFC_BAD_PORT otherwise (flowpath's ports have no queues).
std::optional<wire::OfpError> queue_port_error(Ofproto& ofproto, const std::string& bridge,
                                               uint32_t port_no);

// A flow mod from the wire in the model (`buffer_id` gets the buffer it names).
wire::WireResult<FlowModRequest> flow_mod_request(const wire::OfpMessage& msg,
                                                  const wire::Protocol& protocol,
                                                  uint32_t* buffer_id);

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
std::vector<wire::Bytes> handle_table_desc(const wire::OfpMessage& msg);

// Group and meter mods and their multiparts (openflow_handler_groups.cc).
std::vector<wire::Bytes> handle_group_mod(Ofproto& ofproto, const std::string& bridge,
                                          const wire::OfpMessage& msg, const wire::Bytes& message);
std::vector<wire::Bytes> handle_meter_mod(Ofproto& ofproto, const std::string& bridge,
                                          const wire::OfpMessage& msg, const wire::Bytes& message);
std::vector<wire::Bytes> handle_group_stats(Ofproto& ofproto, const std::string& bridge,
                                            const wire::OfpMessage& msg,
                                            const wire::Bytes& message);
std::vector<wire::Bytes> handle_meter_stats(Ofproto& ofproto, const std::string& bridge,
                                            const wire::OfpMessage& msg,
                                            const wire::Bytes& message);

// Port mods, table mods, queue configuration (openflow_handler_ports.cc).
std::vector<wire::Bytes> handle_port_mod(Ofproto& ofproto, const std::string& bridge,
                                         const wire::OfpMessage& msg, const wire::Bytes& message);
std::vector<wire::Bytes> handle_table_mod(const wire::OfpMessage& msg, const wire::Bytes& message);
std::vector<wire::Bytes> handle_queue_get_config(Ofproto& ofproto, const std::string& bridge,
                                                 const wire::OfpMessage& msg,
                                                 const wire::Bytes& message);

// Bundles (openflow_handler_bundle.cc).
std::vector<wire::Bytes> handle_bundle_control(Ofproto& ofproto, const std::string& bridge,
                                               OpenFlowSession& session,
                                               const wire::OfpMessage& msg,
                                               const wire::Bytes& message);
std::vector<wire::Bytes> handle_bundle_add(OpenFlowSession& session, const wire::OfpMessage& msg,
                                           const wire::Bytes& message);

}  // namespace flowpath::ofproto
