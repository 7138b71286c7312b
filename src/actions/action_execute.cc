// The action walker: decodes each action of a list once and applies it to
// the whole batch, handing packets to the context where they leave.
#include "actions/action_execute.h"

#include <cstring>

#include "actions/action_execute_internal.h"
#include "actions/action_validate.h"
#include "flow/odp_abi.h"
#include "tunnel/tunnel_encap.h"

namespace flowpath {

using exec::for_each_nested;
using exec::WorkBatch;

// ---------------------------------------------------------------- ActionContext defaults

uint32_t ActionContext::conntrack(PacketBatch& batch, std::span<const uint8_t> attributes,
                                  DropReason*) {
  uint16_t zone = 0;
  for_each_nested(attributes, [&](const NetlinkAttr& a) {
    if (a.type == odp::kCtZone && a.size() >= sizeof zone) zone = a.get_u16();
  });
  for (Packet* p : batch) {
    p->md.ct_state = odp::kCsTracked | odp::kCsInvalid;
    p->md.ct_zone = zone;
  }
  return exec::low_bits(batch.size());
}

bool ActionContext::conntrack_more(PacketBatch&) { return false; }
bool ActionContext::tunnel_pop(PacketBatch&, uint32_t) { return false; }
bool ActionContext::lb_output(PacketBatch&, uint32_t) { return false; }

namespace {

// The smallest frame a trunc() leaves: Ethernet keeps its header.
constexpr uint32_t kMinTruncEthernet = sizeof(EthHeader);

// The explicit drop action's reasons are Open vSwitch's xlate errors, in order.
static_assert(odp::kXlateMax == index_of(DropReason::kActionForwardingDisabled) + 1 -
                                    index_of(DropReason::kActionOfPipeline));
DropReason drop_reason_of_xlate_error(uint32_t error) {
  // Validation refuses codes past kXlateMax; count any other as the pipeline's.
  if (error >= odp::kXlateMax) error = odp::kXlateOk;
  return static_cast<DropReason>(index_of(DropReason::kActionOfPipeline) + error);
}

template <typename T>
T payload_as(const NetlinkAttr& a) {
  T value{};
  std::memcpy(&value, a.data(), std::min(sizeof value, a.size()));
  return value;
}

class Executor {
 public:
  Executor(ActionContext& ctx, std::span<const uint8_t> top_level, ActionObserver* observer)
      : ctx_(ctx), stats_(ctx.stats()), drops_(ctx.drops()), top_level_(top_level),
        observer_(observer) {}

  // Runs `actions` on the batch and consumes it.
  void run(WorkBatch& batch, std::span<const uint8_t> actions, int depth) {
    if (observer_ != nullptr) [[unlikely]] run_list<true>(batch, actions, depth);
    else run_list<false>(batch, actions, depth);
  }

 private:
  template <bool kObserved>
  void run_list(WorkBatch& batch, std::span<const uint8_t> actions, int depth);

  void count_drops(DropReason why, size_t n) { drops_.add(why, n); }
  void drop_all(WorkBatch& batch, DropReason why) {
    count_drops(why, batch.size());
    batch.release_all();
  }

  // Per-packet edits that may fail: a packet whose edit fails is dropped.
  template <typename Edit>
  void edit_each(WorkBatch& batch, DropReason why, Edit&& edit) {
    uint32_t keep = 0;
    for (size_t i = 0; i < batch.size(); ++i)
      if (edit(*batch.packets[i])) keep |= 1u << i;
    if (keep != exec::low_bits(batch.size())) batch.keep_only(keep, drops_, why);
  }

  // Copies every packet of `from` into `to` (with its pending cut); packets
  // the pool has no buffer for are left out and counted.
  void copy_into(const WorkBatch& from, WorkBatch& to, bool carry_cut) {
    for (size_t i = 0; i < from.size(); ++i) add_copy(from, i, to, carry_cut);
    to.has_cut = carry_cut && from.has_cut;
  }
  void add_copy(const WorkBatch& from, size_t i, WorkBatch& to, bool carry_cut) {
    Packet* copy = ctx_.pool().clone(*from.packets[i]);
    if (copy == nullptr) {
      count_drops(DropReason::kNoBuffer, 1);
      return;
    }
    ++stats_.copies;
    to.add(copy, carry_cut ? from.cut_of(i) : 0);
  }

  // Gives the batch (when `last`) or copies of it to `deliver`, which
  // returns false when the context does not take them: they are dropped for
  // `refused`. `apply_cut`: a pending trunc shortens what is delivered.
  // Either way the trunc is spent.
  template <typename Deliver>
  void hand_off(WorkBatch& batch, bool last, bool apply_cut, DropReason refused,
                Deliver&& deliver) {
    bool cut = apply_cut && batch.has_cut;
    batch.handed_off = true;
    if (last) {
      if (cut)
        for (size_t i = 0; i < batch.size(); ++i)
          batch.packets[i]->truncate(batch.packets[i]->size() - batch.cut[i]);
      if (!deliver(batch.packets)) {
        count_drops(refused, batch.size());
        release(batch.packets);
      }
      batch.packets.clear();
      batch.has_cut = false;
      return;
    }
    WorkBatch copies;
    copy_into(batch, copies, cut);
    batch.has_cut = false;
    if (copies.empty()) return;
    if (cut)
      for (size_t i = 0; i < copies.size(); ++i)
        copies.packets[i]->truncate(copies.packets[i]->size() - copies.cut[i]);
    if (!deliver(copies.packets)) {
      count_drops(refused, copies.size());
      release(copies.packets);
    }
  }
  static void release(PacketBatch& packets) {
    for (Packet* p : packets) exec::release(p);
    packets.clear();
  }

  void run_nested(WorkBatch& batch, std::span<const uint8_t> actions, int depth) {
    if (depth > kMaxActionNesting) {
      drop_all(batch, DropReason::kNestingTooDeep);
      return;
    }
    run(batch, actions, depth);
  }

  void trunc(WorkBatch& batch, uint32_t max_length);
  void conntrack(WorkBatch& batch, const NetlinkAttr& action);
  void tunnel_push(WorkBatch& batch, const NetlinkAttr& action);
  void userspace(WorkBatch& batch, const NetlinkAttr& action);
  void sample(WorkBatch& batch, const NetlinkAttr& action, bool last, int depth);
  void clone(WorkBatch& batch, const NetlinkAttr& action, bool last, int depth);
  void check_pkt_len(WorkBatch& batch, const NetlinkAttr& action, bool last, int depth);
  void execute_one(WorkBatch& batch, const NetlinkAttr& action, bool last, int depth);

  ActionContext& ctx_;
  ActionStats& stats_;
  DropCounters& drops_;
  std::span<const uint8_t> top_level_;
  ActionObserver* observer_;
};

// tnl_push rewrites the packets in place and the list goes on (the next
// action outputs them), as in Open vSwitch's userspace datapath. A pending
// trunc() cuts the inner packet first. The UDP source port comes from the
// inner flow's hash: the packet's receive hash, else its 5-tuple hash
// (exec::tunnel_source_hash), kept as its receive hash so every packet of a
// flow gets the same port.
void Executor::tunnel_push(WorkBatch& batch, const NetlinkAttr& action) {
  tunnel::EncapHeader header;
  if (!tunnel::decode_encap_header(action.payload, &header)) {
    drop_all(batch, DropReason::kTunnelPushError);
    return;
  }
  if (batch.has_cut) {
    for (size_t i = 0; i < batch.size(); ++i)
      batch.packets[i]->truncate(batch.packets[i]->size() - batch.cut[i]);
    batch.has_cut = false;
  }
  const uint32_t length = static_cast<uint32_t>(header.bytes.size());
  // The hashes first, in a loop of their own: each is a chain of dependent
  // multiplies, and with nothing else in the loop the CPU overlaps the
  // chains of successive packets.
  for (size_t i = 0; i < batch.size(); ++i) {
    Packet& p = *batch.packets[i];
    if (p.rss_hash == 0) p.rss_hash = exec::tunnel_source_hash(p);
  }
  edit_each(batch, DropReason::kNoHeadroom, [&](Packet& p) {
    if (!exec::ensure_headroom(p, length)) return false;
    tunnel::push_encap_header(p, header, p.rss_hash);
    return true;
  });
}

template <bool kObserved>
void Executor::run_list(WorkBatch& batch, std::span<const uint8_t> actions, int depth) {
  size_t offset = 0;
  const size_t end = actions.size();
  while (!batch.empty() && end - offset >= kNlaHeaderLen) {
    uint16_t length = load_unaligned<uint16_t>(actions.data() + offset);
    uint16_t type = load_unaligned<uint16_t>(actions.data() + offset + 2) & kNlaTypeMask;
    if (length < kNlaHeaderLen || length > end - offset) break;  // validated lists never are
    NetlinkAttr action{type, actions.subspan(offset + kNlaHeaderLen, length - kNlaHeaderLen)};
    offset += nla_align(length);
    if constexpr (kObserved) {
      const size_t before = batch.size();
      execute_one(batch, action, offset >= end, depth);
      observer_->action_done(action, depth, before, batch.size(),
                             batch.empty() ? nullptr : batch.packets[0]);
    } else {
      execute_one(batch, action, offset >= end, depth);
    }
    if (type == odp::kActionCt) [[unlikely]] {
      // Fragments of datagrams ct() completed that did not fit the batch
      // go through the rest of the list as batches of their own.
      WorkBatch more;
      while (ctx_.conntrack_more(more.packets)) {
        run(more, actions.subspan(offset), depth);
        more = WorkBatch{};
      }
    }
  }
  // What is left was handed to no one (an empty list, only header changes):
  // dropped. Packets some action already took copies of are just released.
  if (!batch.empty() && !batch.handed_off) count_drops(DropReason::kNoOutput, batch.size());
  batch.release_all();
}

void Executor::execute_one(WorkBatch& batch, const NetlinkAttr& a, bool last, int depth) {
  switch (a.type) {
    case odp::kActionOutput: {
      uint32_t port = payload_as<uint32_t>(a);
      hand_off(batch, last, true, DropReason::kInvalidPort, [&](PacketBatch& packets) {
        ctx_.output(port, packets);
        return true;
      });
      break;
    }
    case odp::kActionLbOutput: {
      uint32_t bond = payload_as<uint32_t>(a);
      hand_off(batch, last, true, DropReason::kInvalidBond,
               [&](PacketBatch& packets) { return ctx_.lb_output(packets, bond); });
      break;
    }
    case odp::kActionTunnelPush:
      tunnel_push(batch, a);
      break;
    case odp::kActionTunnelPop: {
      uint32_t port = payload_as<uint32_t>(a);
      hand_off(batch, last, false, DropReason::kTunnelPopError,
               [&](PacketBatch& packets) { return ctx_.tunnel_pop(packets, port); });
      break;
    }
    case odp::kActionRecirc: {
      uint32_t recirc_id = payload_as<uint32_t>(a);
      hand_off(batch, last, false, DropReason::kRecircQueueFull, [&](PacketBatch& packets) {
        for (Packet* p : packets) p->md.recirc_id = recirc_id;
        ctx_.recirculate(packets, recirc_id);
        return true;
      });
      break;
    }
    case odp::kActionUserspace:
      userspace(batch, a);
      break;
    case odp::kActionSet:
    case odp::kActionSetMasked:
      exec::execute_set(batch.packets, a.payload, a.type == odp::kActionSetMasked);
      break;
    case odp::kActionPushVlan: {
      auto vlan = payload_as<odp::ActionPushVlan>(a);
      edit_each(batch, DropReason::kNoHeadroom,
                [&](Packet& p) { return exec::push_vlan(p, vlan.tpid, vlan.tci); });
      break;
    }
    case odp::kActionPopVlan:
      for (Packet* p : batch.packets) exec::pop_vlan(*p);
      break;
    case odp::kActionPushMpls: {
      auto mpls = payload_as<odp::ActionPushMpls>(a);
      uint16_t type = ntoh16(mpls.ethertype);
      edit_each(batch, DropReason::kNoHeadroom,
                [&](Packet& p) { return exec::push_mpls(p, mpls.lse, type); });
      break;
    }
    case odp::kActionPopMpls: {
      uint16_t type = ntoh16(payload_as<be16>(a));
      for (Packet* p : batch.packets) exec::pop_mpls(*p, type);
      break;
    }
    case odp::kActionAddMpls: {
      auto mpls = payload_as<odp::ActionAddMpls>(a);
      uint16_t type = ntoh16(mpls.ethertype);
      bool l3_tunnel = mpls.tunnel_flags & 1;
      edit_each(batch, DropReason::kNoHeadroom,
                [&](Packet& p) { return exec::add_mpls(p, mpls.lse, type, l3_tunnel); });
      break;
    }
    case odp::kActionPushEth: {
      auto eth = payload_as<odp::ActionPushEth>(a);
      edit_each(batch, DropReason::kNoHeadroom,
                [&](Packet& p) { return exec::push_eth(p, eth.src, eth.dst); });
      break;
    }
    case odp::kActionPopEth:
      for (Packet* p : batch.packets) exec::pop_eth(*p);
      break;
    case odp::kActionPushNsh: {
      exec::NshHeaderImage header = exec::build_nsh_header(a.payload);
      edit_each(batch, DropReason::kNoHeadroom, [&](Packet& p) { return exec::push_nsh(p, header); });
      break;
    }
    case odp::kActionPopNsh:
      edit_each(batch, DropReason::kNshDecapError, [](Packet& p) { return exec::pop_nsh(p); });
      break;
    case odp::kActionHash: {
      auto hash = payload_as<odp::ActionHash>(a);
      bool symmetric = hash.alg == odp::kHashAlgSymL4;
      for (Packet* p : batch.packets) p->md.dp_hash = exec::flow_hash(*p, hash.basis, symmetric);
      break;
    }
    case odp::kActionTrunc:
      trunc(batch, payload_as<uint32_t>(a));
      break;
    case odp::kActionSample:
      sample(batch, a, last, depth);
      break;
    case odp::kActionClone:
      clone(batch, a, last, depth);
      break;
    case odp::kActionCheckPktLen:
      check_pkt_len(batch, a, last, depth);
      break;
    case odp::kActionMeter: {
      uint32_t pass = ctx_.meter(payload_as<uint32_t>(a), batch.packets);
      uint32_t all = exec::low_bits(batch.size());
      if ((pass & all) != all) batch.keep_only(pass, drops_, DropReason::kMeter);
      break;
    }
    case odp::kActionCt:
      conntrack(batch, a);
      break;
    case odp::kActionCtClear:
      for (Packet* p : batch.packets) {
        PacketMetadata& md = p->md;
        md.ct_state = 0;
        md.ct_zone = 0;
        md.ct_mark = 0;
        std::memset(md.ct_label, 0, sizeof md.ct_label);
        std::memset(&md.ct_orig_tuple, 0, sizeof md.ct_orig_tuple);
      }
      break;
    case odp::kActionDrop:
      drop_all(batch, drop_reason_of_xlate_error(payload_as<uint32_t>(a)));
      break;
    default:
      break;  // unknown to this executor: validation would have refused it
  }
}

// ct() may take packets out of the batch (IP fragments it holds) and add
// others (fragments of a datagram it completed): a pending trunc() follows
// the packets that stay; those added have none.
void Executor::conntrack(WorkBatch& batch, const NetlinkAttr& a) {
  Packet* before[PacketBatch::kMaxSize];
  uint32_t cut_before[PacketBatch::kMaxSize];
  const size_t n_before = batch.size();
  if (batch.has_cut) {
    for (size_t i = 0; i < n_before; ++i) {
      before[i] = batch.packets[i];
      cut_before[i] = batch.cut[i];
    }
  }
  DropReason why = DropReason::kConntrack;
  uint32_t keep = ctx_.conntrack(batch.packets, a.payload, &why);
  if (batch.has_cut) {
    for (size_t i = 0; i < batch.size(); ++i) {
      uint32_t cut = 0;
      for (size_t j = 0; j < n_before; ++j)
        if (before[j] == batch.packets[i]) cut = cut_before[j];
      batch.cut[i] = cut;
    }
  }
  uint32_t all = exec::low_bits(batch.size());
  if ((keep & all) != all) batch.keep_only(keep, drops_, why);
}

// The cut is fixed now, from the current size, as in Linux: a later push
// does not change how many bytes the next output leaves out.
void Executor::trunc(WorkBatch& batch, uint32_t max_length) {
  for (size_t i = 0; i < batch.size(); ++i) {
    const Packet& p = *batch.packets[i];
    uint32_t keep = max_length;
    if (p.md.packet_type == exec::kPacketTypeEthernet && keep < kMinTruncEthernet)
      keep = kMinTruncEthernet;
    batch.cut[i] = p.size() > keep ? p.size() - keep : 0;
  }
  batch.has_cut = true;
}

void Executor::userspace(WorkBatch& batch, const NetlinkAttr& action) {
  UserspaceRequest request;
  for_each_nested(action.payload, [&](const NetlinkAttr& a) {
    switch (a.type) {
      case odp::kUserspacePid:
        request.pid = payload_as<uint32_t>(a);
        break;
      case odp::kUserspaceUserdata:
        request.userdata = a.payload;
        request.has_userdata = true;
        break;
      case odp::kUserspaceEgressTunPort:
        request.egress_tunnel_port = payload_as<uint32_t>(a);
        request.has_egress_tunnel_port = true;
        break;
      case odp::kUserspaceActions:
        request.include_actions = true;
        request.actions = top_level_;
        break;
      default:
        break;
    }
  });
  if (batch.has_cut) request.cut = std::span<const uint32_t>(batch.cut, batch.size());
  ctx_.userspace(batch.packets, request);
  batch.has_cut = false;
  batch.handed_off = true;
}

// Each packet is chosen with probability `probability` / UINT32_MAX
// (UINT32_MAX: always, 0: never). The chosen run the nested actions on
// copies, or themselves when sample() is the last action.
void Executor::sample(WorkBatch& batch, const NetlinkAttr& action, bool last, int depth) {
  uint32_t probability = 0;
  std::span<const uint8_t> nested;
  for_each_nested(action.payload, [&](const NetlinkAttr& a) {
    if (a.type == odp::kSampleProbability) probability = payload_as<uint32_t>(a);
    if (a.type == odp::kSampleActions) nested = a.payload;
  });
  auto chosen = [&]() {
    if (probability == UINT32_MAX) return true;
    return probability != 0 && ctx_.random().next_u32() <= probability;
  };
  WorkBatch sampled;
  if (last) {
    size_t left_out = 0;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (chosen()) {
        sampled.add(batch.packets[i], batch.cut_of(i));
      } else {
        exec::release(batch.packets[i]);
        ++left_out;
      }
    }
    // Packets a final sample() leaves out go nowhere, unless an earlier
    // action took copies of them.
    if (left_out != 0 && !batch.handed_off) count_drops(DropReason::kNoOutput, left_out);
    sampled.has_cut = batch.has_cut;
    sampled.handed_off = batch.handed_off;
    batch.packets.clear();
  } else {
    for (size_t i = 0; i < batch.size(); ++i)
      if (chosen()) add_copy(batch, i, sampled, true);
    sampled.has_cut = batch.has_cut;
  }
  if (!sampled.empty()) run_nested(sampled, nested, depth + 1);
}

// The nested actions run on copies; the original continues. A pending
// trunc goes with the copies (Open vSwitch's rule).
void Executor::clone(WorkBatch& batch, const NetlinkAttr& action, bool last, int depth) {
  if (last) {
    run_nested(batch, action.payload, depth + 1);
    return;
  }
  WorkBatch copies;
  copy_into(batch, copies, true);
  batch.has_cut = false;
  batch.handed_off = true;
  if (!copies.empty()) run_nested(copies, action.payload, depth + 1);
}

// Splits the batch by length (what the next output would send): longer than
// pkt_len runs one list, the rest the other.
void Executor::check_pkt_len(WorkBatch& batch, const NetlinkAttr& action, bool last, int depth) {
  uint32_t threshold = 0;
  std::span<const uint8_t> if_greater, if_less_equal;
  for_each_nested(action.payload, [&](const NetlinkAttr& a) {
    if (a.type == odp::kCheckPktLenPktLen) threshold = payload_as<uint16_t>(a);
    if (a.type == odp::kCheckPktLenActionsIfGreater) if_greater = a.payload;
    if (a.type == odp::kCheckPktLenActionsIfLessEqual) if_less_equal = a.payload;
  });
  WorkBatch greater, less_equal;
  for (size_t i = 0; i < batch.size(); ++i) {
    uint32_t length = batch.packets[i]->size() - batch.cut_of(i);
    WorkBatch& branch = length > threshold ? greater : less_equal;
    if (last)
      branch.add(batch.packets[i], batch.cut_of(i));
    else
      add_copy(batch, i, branch, true);
  }
  greater.has_cut = less_equal.has_cut = batch.has_cut;
  greater.handed_off = less_equal.handed_off = batch.handed_off;
  if (last) batch.packets.clear();
  batch.handed_off = true;
  if (!greater.empty()) run_nested(greater, if_greater, depth + 1);
  if (!less_equal.empty()) run_nested(less_equal, if_less_equal, depth + 1);
}

}  // namespace

void execute_actions(PacketBatch& batch, std::span<const uint8_t> actions, ActionContext& ctx,
                     ActionObserver* observer) {
  WorkBatch work;
  work.packets = batch;
  batch.clear();
  Executor(ctx, actions, observer).run(work, actions, 0);
}

}  // namespace flowpath
