// The ovs-ofctl text of Open vSwitch's extension actions and of the set_field
// forms, as ovs-ofctl dump-flows prints them (see of_action_format_ext.h).
#include "openflow/of_action_format_ext.h"

#include <arpa/inet.h>

#include <cstdio>

#include "openflow/nxm_field.h"
#include "openflow/of_text_internal.h"

namespace flowpath::openflow {

namespace {

std::string hex(uint64_t v) {
  if (v == 0) return "0";
  char buf[24];
  std::snprintf(buf, sizeof buf, "%#llx", static_cast<unsigned long long>(v));
  return buf;
}

// ovs-ofctl's hex of bytes taken as one number: "0x1f00", "0".
std::string hex_bytes(const std::vector<uint8_t>& bytes) {
  std::string out;
  char buf[4];
  for (uint8_t b : bytes) {
    if (out.empty() && b == 0) continue;
    std::snprintf(buf, sizeof buf, out.empty() ? "%x" : "%02x", b);
    out += buf;
  }
  return out.empty() ? "0" : "0x" + out;
}

// "01.02.ff".
std::string dotted_hex(const std::vector<uint8_t>& bytes) {
  std::string out;
  char buf[4];
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%02x", bytes[i]);
    if (i) out += '.';
    out += buf;
  }
  return out;
}

std::string port(uint32_t p) { return of_text::format_port(p); }

}  // namespace

std::string format_subfield(const Subfield& sf) {
  if (!sf.field) return "<unknown>";
  std::string out(nxm_name(*sf.field));
  if (sf.ofs == 0 && sf.n_bits == nxm_value_bits(*sf.field)) return out + "[]";
  if (sf.n_bits == 1) return out + "[" + std::to_string(sf.ofs) + "]";
  return out + "[" + std::to_string(sf.ofs) + ".." + std::to_string(sf.ofs + sf.n_bits - 1) + "]";
}

std::string_view hash_fields_name(uint16_t fields) {
  switch (fields) {
    case 0: return "eth_src";
    case 1: return "symmetric_l4";
    case 2: return "symmetric_l3l4";
    case 3: return "symmetric_l3l4+udp";
    case 4: return "nw_src";
    case 5: return "nw_dst";
    case 6: return "symmetric_l3";
    default: return "<unknown>";
  }
}

namespace action {

void format_action(const OutputTrunc& a, std::string& out) {
  out += "output(port=" + port(a.port) + ",max_len=" + std::to_string(a.max_len) + ")";
}

void format_action(const Enqueue& a, std::string& out) {
  out += "enqueue:" + port(a.port) + ":" + std::to_string(a.queue);
}

void format_action(const OutputReg& a, std::string& out) {
  out += "output:" + format_subfield(a.src);
}

void format_action(const Bundle& a, std::string& out) {
  out += a.dst.field ? "bundle_load(" : "bundle(";
  out += std::string(hash_fields_name(a.fields)) + "," + std::to_string(a.basis) + ",";
  out += a.algorithm == 1 ? "hrw" : a.algorithm == 0 ? "active_backup" : "<unknown>";
  out += ",ofport,";
  if (a.dst.field) out += format_subfield(a.dst) + ",";
  out += "members:";
  for (size_t i = 0; i < a.members.size(); ++i) out += (i ? "," : "") + port(a.members[i]);
  out += ")";
}

void format_action(const RegMove& a, std::string& out) {
  out += "move:" + format_subfield(a.src) + "->" + format_subfield(a.dst);
}
void format_action(const StackPush& a, std::string& out) {
  out += "push:" + format_subfield(a.field);
}
void format_action(const StackPop& a, std::string& out) {
  out += "pop:" + format_subfield(a.field);
}

void format_action(const SetTunnel& a, std::string& out) {
  out += (a.tun_id > 0xffffffffull || a.tunnel64_form) ? "set_tunnel64:" : "set_tunnel:";
  out += hex(a.tun_id);
}

void format_action(const SetQueue& a, std::string& out) {
  out += "set_queue:" + std::to_string(a.queue_id);
}
void format_action(const PopQueue&, std::string& out) { out += "pop_queue"; }

void format_action(const FinTimeout& a, std::string& out) {
  std::string args;
  if (a.idle_timeout) args += "idle_timeout=" + std::to_string(a.idle_timeout) + ",";
  if (a.hard_timeout) args += "hard_timeout=" + std::to_string(a.hard_timeout) + ",";
  if (!args.empty()) args.pop_back();
  out += "fin_timeout(" + args + ")";
}

void format_action(const Learn& a, std::string& out) {
  out += "learn(table=" + std::to_string(a.table);
  if (a.idle_timeout) out += ",idle_timeout=" + std::to_string(a.idle_timeout);
  if (a.hard_timeout) out += ",hard_timeout=" + std::to_string(a.hard_timeout);
  if (a.fin_idle_timeout) out += ",fin_idle_timeout=" + std::to_string(a.fin_idle_timeout);
  if (a.fin_hard_timeout) out += ",fin_hard_timeout=" + std::to_string(a.fin_hard_timeout);
  if (a.priority != kDefaultPriority) out += ",priority=" + std::to_string(a.priority);
  if (a.flags & 1) out += ",send_flow_rem";
  if (a.flags & 2) out += ",delete_learned";
  if (a.cookie) out += ",cookie=" + hex(a.cookie);
  if (a.limit) out += ",limit=" + std::to_string(a.limit);
  if (a.flags & 4) out += ",result_dst=" + format_subfield(a.result_dst);
  for (const LearnSpec& spec : a.specs) {
    out += ',';
    using Src = LearnSpec::Src;
    using Dst = LearnSpec::Dst;
    if (spec.src_type == Src::kImmediate && spec.dst_type == Dst::kMatch) {
      const OfFieldInfo* f = spec.dst.field;
      if (f && spec.dst.ofs == 0 && spec.dst.n_bits == nxm_value_bits(*f)) {
        // A whole field: its value in the field's own syntax.
        NxmNumber n = 0;
        for (uint8_t b : spec.immediate) n = (n << 8) | b;
        FieldValue v;
        v.field = f;
        store_nxm_number(*f, n, v.value);
        store_nxm_mask_number(*f, field_internal::low_bits(nxm_value_bits(*f)), v.mask);
        // Open vSwitch prints the value without leading zeros ("0x800").
        std::string value = format_field_value(v);
        if (value.starts_with("0x"))
          value.erase(2, std::min(value.find_first_not_of('0', 2), value.size() - 1) - 2);
        out += std::string(f->name) + "=" + value;
      } else {
        out += format_subfield(spec.dst) + "=" + hex_bytes(spec.immediate);
      }
    } else if (spec.src_type == Src::kField && spec.dst_type == Dst::kMatch) {
      out += format_subfield(spec.dst);
      if (spec.src.field != spec.dst.field || spec.src.ofs != spec.dst.ofs)
        out += "=" + format_subfield(spec.src);
    } else if (spec.src_type == Src::kImmediate && spec.dst_type == Dst::kLoad) {
      out += "load:" + hex_bytes(spec.immediate) + "->" + format_subfield(spec.dst);
    } else if (spec.src_type == Src::kField && spec.dst_type == Dst::kLoad) {
      out += "load:" + format_subfield(spec.src) + "->" + format_subfield(spec.dst);
    } else {
      out += "output:" + format_subfield(spec.src);
    }
  }
  out += ")";
}

void format_action(const Conjunction& a, std::string& out) {
  out += "conjunction(" + std::to_string(a.id) + "," + std::to_string(a.clause + 1) + "/" +
         std::to_string(a.n_clauses) + ")";
}

void format_action(const Multipath& a, std::string& out) {
  static constexpr std::string_view kAlgorithms[] = {"modulo_n", "hash_threshold", "hrw",
                                                     "iter_hash"};
  out += "multipath(" + std::string(hash_fields_name(a.fields)) + "," + std::to_string(a.basis) +
         "," + std::string(a.algorithm < 4 ? kAlgorithms[a.algorithm] : "<unknown>") + "," +
         std::to_string(a.max_link + 1) + "," + std::to_string(a.arg) + "," +
         format_subfield(a.dst) + ")";
}

void format_action(const Note& a, std::string& out) { out += "note:" + dotted_hex(a.data); }
void format_action(const Exit&, std::string& out) { out += "exit"; }

void format_action(const Sample& a, std::string& out) {
  out += "sample(probability=" + std::to_string(a.probability) +
         ",collector_set_id=" + std::to_string(a.collector_set_id) +
         ",obs_domain_id=" + std::to_string(a.obs_domain_id) +
         ",obs_point_id=" + std::to_string(a.obs_point_id);
  if (a.sampling_port != kOfppAny) out += ",sampling_port=" + port(a.sampling_port);
  if (a.direction == 1) out += ",ingress";
  else if (a.direction == 2) out += ",egress";
  out += ")";
}

void format_action(const Conntrack& a, std::string& out) {
  out += "ct(";
  if (a.flags & 1) out += "commit,";
  if (a.flags & 2) out += "force,";
  if (a.recirc_table != 0xff) out += "table=" + std::to_string(a.recirc_table) + ",";
  if (a.zone_src.field) out += "zone=" + format_subfield(a.zone_src) + ",";
  else if (a.zone_imm) out += "zone=" + std::to_string(a.zone_imm) + ",";
  std::span<const OfAction> rest = a.actions;
  if (!rest.empty()) {
    if (const auto* nat = std::get_if<Nat>(&rest.front())) {
      format_action(*nat, out);
      out += ',';
      rest = rest.subspan(1);
    }
  }
  if (!rest.empty()) out += "exec(" + format_of_actions(rest) + "),";
  if (a.alg == 21) out += "alg=ftp,";
  else if (a.alg == 69) out += "alg=tftp,";
  else if (a.alg) out += "alg=" + std::to_string(a.alg) + ",";
  if (out.back() == ',') out.pop_back();
  out += ")";
}

void format_action(const CtClear&, std::string& out) { out += "ct_clear"; }

void format_action(const Nat& a, std::string& out) {
  out += "nat";
  if (!(a.flags & 3)) return;
  out += (a.flags & 1) ? "(src" : "(dst";
  static constexpr uint8_t kZero[16] = {};
  if (a.family != Nat::Family::kNone) {
    out += "=";
    char buf[INET6_ADDRSTRLEN];
    const bool v4 = a.family == Nat::Family::kIpv4;
    const size_t n = v4 ? 4 : 16;
    auto addr = [&](const uint8_t* p) {
      inet_ntop(v4 ? AF_INET : AF_INET6, p, buf, sizeof buf);
      return (v4 || !a.proto_min) ? std::string(buf) : "[" + std::string(buf) + "]";
    };
    out += addr(a.addr_min);
    if (std::memcmp(a.addr_max, kZero, n) != 0 && std::memcmp(a.addr_max, a.addr_min, n) != 0)
      out += "-" + addr(a.addr_max);
    if (a.proto_min) {
      out += ":" + std::to_string(a.proto_min);
      if (a.proto_max && a.proto_max != a.proto_min) out += "-" + std::to_string(a.proto_max);
    }
    out += ",";
    if (a.flags & 4) out += "persistent,";
    if (a.flags & 8) out += "hash,";
    if (a.flags & 16) out += "random,";
  }
  if (out.back() == ',') out.pop_back();
  out += ")";
}

void format_action(const Clone& a, std::string& out) {
  out += "clone(" + (a.actions.empty() ? std::string() : format_of_actions(a.actions)) + ")";
}

void format_action(const CheckPktLarger& a, std::string& out) {
  out += "check_pkt_larger(" + std::to_string(a.pkt_len) + ")->" + format_subfield(a.dst);
}

void format_action(const DecNshTtl&, std::string& out) { out += "dec_nsh_ttl"; }

void format_action(const Decap& a, std::string& out) {
  out += "decap(";
  if (a.packet_type != 0xfffe) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "packet_type(ns=%u,type=%#x)", a.packet_type >> 16,
                  a.packet_type & 0xffff);
    out += buf;
  }
  out += ")";
}

void format_action(const ClearActions&, std::string& out) { out += "clear_actions"; }

void format_action(const WriteActions& a, std::string& out) {
  out += "write_actions(" + (a.actions.empty() ? std::string() : format_of_actions(a.actions)) +
         ")";
}

bool format_set_field_form(const SetField& a, std::string& out) {
  const OfFieldInfo& f = *a.field.field;
  if (a.form == SetFieldForm::kLoad) {
    // One load: per run of set bits, at most 64 bits each, as ovs-ofctl prints it.
    const unsigned width = nxm_value_bits(f);
    const NxmNumber value = nxm_number(f, a.field.value);
    const NxmNumber mask = nxm_mask_number(f, a.field.mask);
    bool first = true;
    for (unsigned i = 0; i < width;) {
      if (!((mask >> i) & 1)) {
        ++i;
        continue;
      }
      unsigned n = 0;
      while (i + n < width && n < 64 && ((mask >> (i + n)) & 1)) ++n;
      auto bits = static_cast<uint64_t>((value >> i) & field_internal::low_bits(n));
      if (!first) out += ',';
      out += "load:" + hex(bits) + "->" +
             format_subfield(Subfield{&f, static_cast<uint16_t>(i), static_cast<uint16_t>(n)});
      first = false;
      i += n;
    }
    return true;
  }
  if (a.form != SetFieldForm::kLegacy) return false;
  const NxmNumber v = nxm_number(f, a.field.value);
  const std::string name(f.name);
  if (name == "eth_src" || name == "eth_dst") {
    out += (name == "eth_src" ? "mod_dl_src:" : "mod_dl_dst:") + format_field_value(a.field);
  } else if (name == "ip_src" || name == "ip_dst") {
    out += (name == "ip_src" ? "mod_nw_src:" : "mod_nw_dst:") + format_field_value(a.field);
  } else if (name == "nw_tos") {
    out += "mod_nw_tos:" + std::to_string(static_cast<unsigned>(v));
  } else if (name == "nw_ecn") {
    out += "mod_nw_ecn:" + std::to_string(static_cast<unsigned>(v));
  } else if (name == "nw_ttl") {
    out += "mod_nw_ttl:" + std::to_string(static_cast<unsigned>(v));
  } else if (f.offset == find_field("tp_src")->offset) {
    out += "mod_tp_src:" + std::to_string(static_cast<unsigned>(v));
  } else if (f.offset == find_field("tp_dst")->offset) {
    out += "mod_tp_dst:" + std::to_string(static_cast<unsigned>(v));
  } else if (name == "mpls_label") {
    out += "set_mpls_label(" + std::to_string(static_cast<unsigned>(v)) + ")";
  } else if (name == "mpls_tc") {
    out += "set_mpls_tc(" + std::to_string(static_cast<unsigned>(v)) + ")";
  } else {
    return false;
  }
  return true;
}

}  // namespace action

}  // namespace flowpath::openflow
