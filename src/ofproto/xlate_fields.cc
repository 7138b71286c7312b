// Translation of the actions that read and write fields: set_field, move,
// push/pop (the stack), output:FIELD and output(port=N,max_len=M). Written
// fields reach the datapath through commit() (xlate_commit.cc), like any
// set_field; what was read is un-wildcarded, as Open vSwitch does: the bits
// of the source, the bits of the destination (rewritten for every packet of
// the megaflow), and the fields that say whether a field is present.
#include <fmt/format.h>

#include <cstddef>
#include <cstring>

#include "flow/odp_abi.h"
#include "ofproto/xlate_context.h"
#include "openflow/nxm_field.h"

namespace flowpath::ofproto {

namespace {

constexpr uint16_t kVlanCfi = 0x1000;
constexpr size_t kVlanTciOffset = offsetof(OfFlow, key) + offsetof(FlowKey, vlans) + 2;

std::string subfield_text(const Subfield& s) {
  return fmt::format("{}[{}..{}]", nxm_name(*s.field), s.ofs, s.ofs + s.n_bits - 1);
}

// A 16-bit OpenFlow 1.0 port number (NXM_OF_IN_PORT, output:REG[0..15]) as
// a 32-bit one: the reserved ports 0xff00.. are 0xffffff00...
uint32_t port_from_bits(uint64_t port) {
  return port >= 0xff00 && port <= 0xffff ? static_cast<uint32_t>(port) + 0xffff0000u
                                          : static_cast<uint32_t>(port);
}

}  // namespace

void XlateContext::set_field(const FieldValue& value) {
  const OfFieldInfo* f = value.field;
  uint8_t* w = wc_.bytes() + f->offset;
  for (unsigned i = 0; i < f->bytes; ++i) w[i] |= value.mask[i];
  if (f->offset == kVlanTciOffset) {
    // vlan_vid / vlan_pcp / vlan_tci: only meaningful with a tag.
    if (!(flow_.key.vlans[0].tci & hton16(kVlanCfi))) return;
    unwildcard_vlans();
    value.apply_to(flow_);
    flow_.key.vlans[0].tci |= hton16(kVlanCfi);
    return;
  }
  value.apply_to(flow_);
}

bool XlateContext::field_present(const OfFieldInfo& field) {
  const FlowKey& k = flow_.key;
  const uint16_t type = ntoh16(k.eth_type);  // always exact in the megaflow
  const bool ip4 = type == ethertype::kIpv4, ip6 = type == ethertype::kIpv6;
  auto proto = [&](uint8_t p) {
    wc_.key.nw_proto = 0xff;
    return k.nw_proto == p;
  };
  auto nd = [&](int want_type) {
    if (!ip6 || !proto(58)) return false;
    wc_.key.tp_src = 0xffff;
    wc_.key.tp_dst = 0xffff;
    const uint16_t icmp_type = ntoh16(k.tp_src), code = ntoh16(k.tp_dst);
    if (code != 0) return false;
    return want_type ? icmp_type == want_type : icmp_type == 135 || icmp_type == 136;
  };
  switch (field.prereq) {
    case FieldPrereq::kNone: return true;
    case FieldPrereq::kVlan: return k.vlans[0].tci & hton16(kVlanCfi);
    case FieldPrereq::kIpv4: return ip4;
    case FieldPrereq::kIpv6: return ip6;
    case FieldPrereq::kIpAny: return ip4 || ip6;
    case FieldPrereq::kIpv4OrArp:
      return ip4 || type == ethertype::kArp || type == ethertype::kRarp;
    case FieldPrereq::kArp: return type == ethertype::kArp || type == ethertype::kRarp;
    case FieldPrereq::kTcp: return (ip4 || ip6) && proto(6);
    case FieldPrereq::kUdp: return (ip4 || ip6) && proto(17);
    case FieldPrereq::kSctp: return (ip4 || ip6) && proto(132);
    case FieldPrereq::kTcpUdpSctp:
      return (ip4 || ip6) && (proto(6) || proto(17) || proto(132));
    case FieldPrereq::kIcmpv4: return ip4 && proto(1);
    case FieldPrereq::kIcmpv6: return ip6 && proto(58);
    case FieldPrereq::kNd: return nd(0);
    case FieldPrereq::kNdSolicit: return nd(135);
    case FieldPrereq::kNdAdvert: return nd(136);
    case FieldPrereq::kMpls: return type == 0x8847 || type == 0x8848;
    case FieldPrereq::kCtValid:
      wc_.key.md.ct_state |= 0x30;  // +trk, +inv
      return (k.md.ct_state & 0x30) == 0x20;
    case FieldPrereq::kNsh: return type == 0x894f;
  }
  return false;
}

// Subfields number bits as NXM does (nxm_number: in_port as an OpenFlow
// port number, nw_tos as the whole TOS byte), whatever the storage.
void XlateContext::unwildcard(const Subfield& sub) {
  const OfFieldInfo& f = *sub.field;
  uint8_t mask[16] = {};
  store_nxm_mask_number(f, field_internal::low_bits(sub.n_bits) << sub.ofs, mask);
  uint8_t* w = wc_.bytes() + f.offset;
  for (unsigned i = 0; i < f.bytes; ++i) w[i] |= mask[i];
}

FieldBits XlateContext::read_subfield(const Subfield& sub) const {
  const OfFieldInfo& f = *sub.field;
  return (nxm_number(f, flow_.bytes() + f.offset) >> sub.ofs) &
         field_internal::low_bits(sub.n_bits);
}

FieldValue XlateContext::subfield_value(const Subfield& sub, FieldBits bits) const {
  const OfFieldInfo& f = *sub.field;
  const FieldBits mask = field_internal::low_bits(sub.n_bits) << sub.ofs;
  FieldBits number = nxm_number(f, flow_.bytes() + f.offset);
  number = (number & ~mask) | ((bits << sub.ofs) & mask);
  FieldValue value;
  value.field = &f;
  std::memcpy(value.value, flow_.bytes() + f.offset, f.bytes);
  store_nxm_number(f, number, value.value);
  store_nxm_mask_number(f, mask, value.mask);
  return value;
}

void XlateContext::write_subfield(const Subfield& sub, FieldBits bits) {
  set_field(subfield_value(sub, bits));
}

void XlateContext::do_move(const action::RegMove& move) {
  // Both ends must exist in the packet as it is now (a pop_mpls or a
  // resubmit may have changed what it is); otherwise nothing happens.
  if (!field_present(*move.dst.field) || !field_present(*move.src.field)) {
    if (tracing())
      trace(fmt::format("{}move: {} or {} is not in this packet: ignored", indent(),
                        move.src.field->name, move.dst.field->name));
    return;
  }
  unwildcard(move.src);
  FieldBits bits = read_subfield(move.src);
  write_subfield(move.dst, bits);
  if (tracing())
    trace(fmt::format("{}{} = {:#x}", indent(), subfield_text(move.dst),
                      static_cast<uint64_t>(read_subfield(move.dst))));
}

void XlateContext::do_stack_push(const action::StackPush& push) {
  if (stack_.size() >= kMaxStack) return fail("push: the stack is full (1024 values)");
  unwildcard(push.field);
  stack_.push_back(read_subfield(push.field));
}

void XlateContext::do_stack_pop(const action::StackPop& pop) {
  if (stack_.empty()) {
    // As Open vSwitch: reported, and the translation goes on.
    if (tracing()) trace(fmt::format("{}pop:{}: stack underflow", indent(), subfield_text(pop.field)));
    return;
  }
  FieldBits bits = stack_.back();
  stack_.pop_back();
  write_subfield(pop.field, bits);
  if (tracing())
    trace(fmt::format("{}{} = {:#x}", indent(), subfield_text(pop.field),
                      static_cast<uint64_t>(read_subfield(pop.field))));
}

void XlateContext::do_output_reg(const action::OutputReg& out) {
  const uint64_t port = static_cast<uint64_t>(read_subfield(out.src));
  if (port > 0xffff) {
    if (tracing()) trace(fmt::format("{}output port {} is out of range", indent(), port));
    return;
  }
  unwildcard(out.src);
  if (tracing()) trace(fmt::format("{}output port is {}", indent(), port));
  do_output(port_from_bits(port), out.max_len, false);
}

void XlateContext::do_output_trunc(const action::OutputTrunc& out) {
  switch (out.port) {
    case kOfppTable:
    case kOfppNormal:
    case kOfppFlood:
    case kOfppAll:
    case kOfppController:
    case kOfppAny:
      if (tracing())
        trace(fmt::format("{}output_trunc does not support port {:#x}", indent(), out.port));
      return;
    default:
      break;
  }
  const uint32_t dp_port = of_port_to_dp(out.port);
  if (out.port != kOfppInPort && dp_port == flow_.key.md.in_port) {
    trace(indent() + "skipping output to input port");
    return;
  }
  const BridgePort* port = out.port == kOfppInPort ? nullptr : bridge_.port(dp_port);
  if (!port) {
    // Open vSwitch refuses IN_PORT and ports it cannot map here too.
    if (tracing()) trace(fmt::format("{}output_trunc: no port {}", indent(), out.port));
    return;
  }
  if (!port->live()) {
    if (tracing())
      trace(fmt::format("{}output to {}: port is down, skipped", indent(), port->config.name));
    return;
  }
  // The truncation applies to the next output only, which follows at once.
  out_.put_u32(odp::kActionTrunc, out.max_len);
  if (tracing()) trace(fmt::format("{}truncated to {} bytes:", indent(), out.max_len));
  output_to_dp_port(dp_port);
}

}  // namespace flowpath::ofproto
