# An OpenFlow 1.3 learning switch for os-ken (Debian's python3-os-ken), in
# the manner of os-ken's simple_switch_13 example, which Debian does not
# ship: a table-miss rule sends unknown traffic to the controller, which
# learns source MACs and installs one rule per (in_port, src, dst) it has
# seen. For the test it also asks for flow and port statistics every
# second and logs the replies and every port-status message, one line
# each, to the file named by $OSKEN_EVENTS.
#
# Run: /usr/bin/osken-manager --ofp-tcp-listen-port PORT osken_learning_switch.py
import os

from os_ken.base import app_manager
from os_ken.controller import ofp_event
from os_ken.controller.handler import CONFIG_DISPATCHER, MAIN_DISPATCHER, set_ev_cls
from os_ken.lib import hub
from os_ken.lib.packet import ethernet, ether_types, packet
from os_ken.ofproto import ofproto_v1_3


class LearningSwitch13(app_manager.OSKenApp):
    OFP_VERSIONS = [ofproto_v1_3.OFP_VERSION]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mac_to_port = {}
        self.datapaths = {}
        self.event_log = open(os.environ.get("OSKEN_EVENTS", "/dev/null"), "a", buffering=1)
        self.monitor = hub.spawn(self._request_stats)

    def note(self, line):
        self.event_log.write(line + "\n")

    @set_ev_cls(ofp_event.EventOFPSwitchFeatures, CONFIG_DISPATCHER)
    def switch_features(self, ev):
        datapath = ev.msg.datapath
        ofproto, parser = datapath.ofproto, datapath.ofproto_parser
        self.datapaths[datapath.id] = datapath
        # The table-miss rule: everything unknown goes to the controller, whole.
        actions = [parser.OFPActionOutput(ofproto.OFPP_CONTROLLER, ofproto.OFPCML_NO_BUFFER)]
        self.add_flow(datapath, 0, parser.OFPMatch(), actions)
        self.note("connected dpid=%016x" % datapath.id)

    def add_flow(self, datapath, priority, match, actions):
        ofproto, parser = datapath.ofproto, datapath.ofproto_parser
        inst = [parser.OFPInstructionActions(ofproto.OFPIT_APPLY_ACTIONS, actions)]
        datapath.send_msg(parser.OFPFlowMod(datapath=datapath, priority=priority, match=match,
                                            instructions=inst))

    @set_ev_cls(ofp_event.EventOFPPacketIn, MAIN_DISPATCHER)
    def packet_in(self, ev):
        msg = ev.msg
        datapath = msg.datapath
        ofproto, parser = datapath.ofproto, datapath.ofproto_parser
        in_port = msg.match["in_port"]
        eth = packet.Packet(msg.data).get_protocols(ethernet.ethernet)[0]
        if eth.ethertype == ether_types.ETH_TYPE_LLDP:
            return
        self.note("packet_in reason=%d in_port=%d total_len=%d len=%d buffer_id=%#x"
                  % (msg.reason, in_port, msg.total_len, len(msg.data), msg.buffer_id))
        table = self.mac_to_port.setdefault(datapath.id, {})
        table[eth.src] = in_port
        out_port = table.get(eth.dst, ofproto.OFPP_FLOOD)
        actions = [parser.OFPActionOutput(out_port)]
        if out_port != ofproto.OFPP_FLOOD:
            match = parser.OFPMatch(in_port=in_port, eth_dst=eth.dst, eth_src=eth.src)
            self.add_flow(datapath, 1, match, actions)
        data = msg.data if msg.buffer_id == ofproto.OFP_NO_BUFFER else None
        datapath.send_msg(parser.OFPPacketOut(datapath=datapath, buffer_id=msg.buffer_id,
                                              in_port=in_port, actions=actions, data=data))

    @set_ev_cls(ofp_event.EventOFPPortStatus, MAIN_DISPATCHER)
    def port_status(self, ev):
        msg = ev.msg
        reasons = {msg.datapath.ofproto.OFPPR_ADD: "ADD", msg.datapath.ofproto.OFPPR_DELETE: "DELETE",
                   msg.datapath.ofproto.OFPPR_MODIFY: "MODIFY"}
        self.note("port_status reason=%s port=%d name=%s state=%#x"
                  % (reasons.get(msg.reason, msg.reason), msg.desc.port_no,
                     msg.desc.name.decode(), msg.desc.state))

    def _request_stats(self):
        while True:
            for datapath in list(self.datapaths.values()):
                parser = datapath.ofproto_parser
                datapath.send_msg(parser.OFPFlowStatsRequest(datapath))
                datapath.send_msg(parser.OFPPortStatsRequest(datapath, 0,
                                                             datapath.ofproto.OFPP_ANY))
            hub.sleep(1)

    @set_ev_cls(ofp_event.EventOFPFlowStatsReply, MAIN_DISPATCHER)
    def flow_stats(self, ev):
        learned = [s for s in ev.msg.body if s.priority == 1]
        self.note("flow_stats flows=%d learned=%d packets=%d"
                  % (len(ev.msg.body), len(learned), sum(s.packet_count for s in learned)))

    @set_ev_cls(ofp_event.EventOFPPortStatsReply, MAIN_DISPATCHER)
    def port_stats(self, ev):
        ports = sorted(s.port_no for s in ev.msg.body)
        self.note("port_stats ports=%s rx_packets=%d"
                  % (",".join(str(p) for p in ports), sum(s.rx_packets for s in ev.msg.body)))
