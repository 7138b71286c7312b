// The ovs-ofctl text of the Nicira extension actions that read fields or
// nest other actions: move, push/pop, output:FIELD, exit, clone(...),
// check_pkt_larger, write_actions/clear_actions, set_queue/pop_queue,
// enqueue, multipath, bundle/bundle_load. Printed back by
// of_action_format_ext.cc in the same syntax.
#include <string>

#include "openflow/nxm_field.h"
#include "openflow/of_action.h"
#include "openflow/of_learn.h"
#include "openflow/of_text_internal.h"

namespace flowpath::openflow::of_text {

namespace {

std::string str(std::string_view s) { return std::string(s); }
std::string quoted(std::string_view s) { return "\"" + str(s) + "\""; }

}  // namespace

// FIELD[], FIELD[bit] or FIELD[start..end], bits numbered as NXM does.
Result<Subfield> parse_subfield(std::string_view text, std::string_view what) {
  size_t open = text.find('[');
  std::string_view name = text.substr(0, open);
  const OfFieldInfo* field = find_field(name);
  if (!field) return make_error(str(what) + ": unknown field " + quoted(name));
  const unsigned width = nxm_value_bits(*field);
  Subfield sf{field, 0, static_cast<uint16_t>(width)};
  if (open == std::string_view::npos)
    return make_error(str(what) + ": " + quoted(text) +
                      ": expected FIELD[], FIELD[bit] or FIELD[start..end]");
  std::string_view bits = text.substr(open);
  if (bits.size() < 2 || bits.back() != ']' || bits.find(']') != bits.size() - 1)
    return make_error(str(what) + ": " + quoted(text) +
                      ": expected FIELD[], FIELD[bit] or FIELD[start..end]");
  bits = bits.substr(1, bits.size() - 2);
  if (!bits.empty()) {
    size_t dots = bits.find("..");
    std::string_view first = bits.substr(0, dots);
    std::string_view last = dots == std::string_view::npos ? first : bits.substr(dots + 2);
    std::optional<uint64_t> start = to_uint(first), end = to_uint(last);
    if (!start || !end)
      return make_error(str(what) + ": " + quoted(text) + ": bad bit range");
    if (*start > *end)
      return make_error(str(what) + ": " + quoted(text) + ": starting bit " +
                        std::to_string(*start) + " is after ending bit " + std::to_string(*end));
    if (*end >= width)
      return make_error(str(what) + ": " + quoted(text) + ": bit " + std::to_string(*end) +
                        " is past the " + std::to_string(width) + "-bit field " + str(name));
    sf.ofs = static_cast<uint16_t>(*start);
    sf.n_bits = static_cast<uint16_t>(*end - *start + 1);
  }
  return sf;
}

namespace {

Result<Subfield> parse_writable_subfield(std::string_view text, std::string_view what) {
  auto sf = parse_subfield(text, what);
  if (!sf) return sf;
  if (!sf->field->writable)
    return make_error(str(what) + ": field " + str(sf->field->name) + " cannot be written");
  return sf;
}

Status no_argument(const KeyValue& kv, std::string_view name) {
  if (!kv.value.empty())
    return make_error(str(name) + " takes no argument (got " + quoted(kv.value) + ")");
  return Ok{};
}

// Splits "a,b,c" (the arguments inside parentheses) at commas.
std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    std::string_view part = s.substr(start, comma - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    out.push_back(part);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

std::optional<uint16_t> hash_fields(std::string_view s) {
  static constexpr std::string_view kNames[] = {"eth_src", "symmetric_l4", "symmetric_l3l4",
                                                "symmetric_l3l4+udp", "nw_src", "nw_dst",
                                                "symmetric_l3"};
  for (uint16_t i = 0; i < std::size(kNames); ++i)
    if (iequals(s, kNames[i])) return i;
  return std::nullopt;
}

Status parse_move(const KeyValue& kv, std::vector<OfAction>& out) {
  size_t arrow = kv.value.find("->");
  if (arrow == std::string_view::npos)
    return make_error("move: missing \"->\" in " + quoted(kv.value));
  auto src = parse_subfield(kv.value.substr(0, arrow), "move");
  if (!src) return Error{src.error()};
  auto dst = parse_writable_subfield(kv.value.substr(arrow + 2), "move");
  if (!dst) return Error{dst.error()};
  if (src->n_bits != dst->n_bits)
    return make_error("move: source field is " + std::to_string(src->n_bits) +
                      " bits wide but destination is " + std::to_string(dst->n_bits) +
                      " bits wide");
  out.emplace_back(action::RegMove{*src, *dst});
  return Ok{};
}

Status parse_multipath(const KeyValue& kv, std::vector<OfAction>& out) {
  auto args = split_commas(kv.value);
  if (args.size() != 6)
    return make_error("multipath: expected fields,basis,algorithm,n_links,arg,dst (got " +
                      quoted(kv.value) + ")");
  action::Multipath mp;
  auto fields = hash_fields(args[0]);
  if (!fields) return make_error("multipath: unknown fields " + quoted(args[0]));
  mp.fields = *fields;
  auto basis = parse_uint(args[1], 0, 0xffff, "multipath basis");
  if (!basis) return Error{basis.error()};
  mp.basis = static_cast<uint16_t>(*basis);
  static constexpr std::string_view kAlgorithms[] = {"modulo_n", "hash_threshold", "hrw",
                                                     "iter_hash"};
  bool known = false;
  for (uint16_t i = 0; i < std::size(kAlgorithms); ++i)
    if (iequals(args[2], kAlgorithms[i])) mp.algorithm = i, known = true;
  if (!known) return make_error("multipath: unknown algorithm " + quoted(args[2]));
  auto n_links = parse_uint(args[3], 1, 65536, "multipath n_links");
  if (!n_links) return Error{n_links.error()};
  mp.max_link = static_cast<uint16_t>(*n_links - 1);
  auto arg = parse_uint(args[4], 0, 0xffffffff, "multipath arg");
  if (!arg) return Error{arg.error()};
  mp.arg = static_cast<uint32_t>(*arg);
  auto dst = parse_writable_subfield(args[5], "multipath");
  if (!dst) return Error{dst.error()};
  if (dst->n_bits < 16 && *n_links > (1u << dst->n_bits))
    return make_error("multipath: " + std::to_string(*n_links) + " links do not fit in " +
                      std::to_string(dst->n_bits) + " bits of " + quoted(args[5]));
  mp.dst = *dst;
  out.emplace_back(mp);
  return Ok{};
}

Status parse_bundle(const KeyValue& kv, bool load, const PortNameResolver& ports,
                    std::vector<OfAction>& out) {
  const std::string_view name = load ? "bundle_load" : "bundle";
  auto args = split_commas(kv.value);
  const size_t fixed = load ? 5 : 4;
  if (args.size() < fixed + 1 || args[fixed].substr(0, 8) != "members:")
    return make_error(str(name) + ": expected fields,basis,algorithm,ofport," +
                      (load ? "dst," : "") + "members:PORT... (got " + quoted(kv.value) + ")");
  action::Bundle b;
  auto fields = hash_fields(args[0]);
  if (!fields) return make_error(str(name) + ": unknown fields " + quoted(args[0]));
  b.fields = *fields;
  auto basis = parse_uint(args[1], 0, 0xffff, str(name) + " basis");
  if (!basis) return Error{basis.error()};
  b.basis = static_cast<uint16_t>(*basis);
  if (iequals(args[2], "active_backup")) b.algorithm = 0;
  else if (iequals(args[2], "hrw")) b.algorithm = 1;
  else return make_error(str(name) + ": unknown algorithm " + quoted(args[2]));
  if (!iequals(args[3], "ofport"))
    return make_error(str(name) + ": unknown member type " + quoted(args[3]) +
                      " (expected ofport)");
  if (load) {
    auto dst = parse_writable_subfield(args[4], name);
    if (!dst) return Error{dst.error()};
    if (dst->n_bits < 16)
      return make_error(str(name) + ": destination " + quoted(args[4]) +
                        " is narrower than 16 bits (a port number)");
    b.dst = *dst;
  }
  for (size_t i = fixed; i < args.size(); ++i) {
    std::string_view member = i == fixed ? args[i].substr(8) : args[i];
    auto port = parse_port(member, ports, name);
    if (!port) return Error{port.error()};
    if (*port > kOfppMax)
      return make_error(str(name) + ": member " + quoted(member) + " is not a port");
    b.members.push_back(*port);
  }
  out.emplace_back(std::move(b));
  return Ok{};
}

}  // namespace

Result<bool> parse_extension_action(const KeyValue& kv, const PortNameResolver& ports,
                                    std::vector<OfAction>& out) {
  const std::string_view key = kv.key;
  if (auto conjunction = parse_conjunction_action(kv, out); !conjunction || *conjunction)
    return conjunction;
  if (iequals(key, "move")) {
    if (Status s = parse_move(kv, out); !s) return Error{s.error()};
  } else if (iequals(key, "push") || iequals(key, "pop")) {
    const bool push = iequals(key, "push");
    auto sf = push ? parse_subfield(kv.value, key) : parse_writable_subfield(kv.value, key);
    if (!sf) return Error{sf.error()};
    if (push) out.emplace_back(action::StackPush{*sf});
    else out.emplace_back(action::StackPop{*sf});
  } else if (iequals(key, "exit")) {
    if (Status s = no_argument(kv, "exit"); !s) return Error{s.error()};
    out.emplace_back(action::Exit{});
  } else if (iequals(key, "clear_actions")) {
    if (Status s = no_argument(kv, "clear_actions"); !s) return Error{s.error()};
    out.emplace_back(action::ClearActions{});
  } else if (iequals(key, "pop_queue")) {
    if (Status s = no_argument(kv, "pop_queue"); !s) return Error{s.error()};
    out.emplace_back(action::PopQueue{});
  } else if (iequals(key, "set_queue")) {
    auto q = parse_uint(kv.value, 0, 0xffffffff, "set_queue");
    if (!q) return Error{q.error()};
    out.emplace_back(action::SetQueue{static_cast<uint32_t>(*q)});
  } else if (iequals(key, "enqueue")) {
    // enqueue:PORT:QUEUE or enqueue(PORT,QUEUE)
    std::string_view v = kv.value;
    size_t sep = v.find(kv.delim == '(' ? ',' : ':');
    if (sep == std::string_view::npos)
      return make_error("enqueue: expected PORT:QUEUE (got " + quoted(v) + ")");
    auto port = parse_port(v.substr(0, sep), ports, "enqueue");
    if (!port) return Error{port.error()};
    if (*port > kOfppMax && *port != kOfppInPort && *port != kOfppLocal)
      return make_error("enqueue: cannot enqueue to port " + format_port(*port));
    auto q = parse_uint(v.substr(sep + 1), 0, 0xfffffffe, "enqueue queue");
    if (!q) return Error{q.error()};
    out.emplace_back(action::Enqueue{*port, static_cast<uint32_t>(*q)});
  } else if (iequals(key, "clone") || iequals(key, "write_actions")) {
    if (kv.delim != '(') return make_error(str(key) + ": expected " + str(key) + "(ACTIONS)");
    auto inner = parse_of_actions(kv.value, ports);
    if (!inner) return make_error(str(key) + ": " + inner.error());
    for (const OfAction& a : *inner)
      if (std::holds_alternative<action::GotoTable>(a) ||
          std::holds_alternative<action::WriteMetadata>(a) ||
          std::holds_alternative<action::Meter>(a) ||
          std::holds_alternative<action::ClearActions>(a) ||
          std::holds_alternative<action::WriteActions>(a))
        return make_error(str(key) + ": " + str(action_name(a)) +
                          " is an instruction, not an action");
    if (iequals(key, "clone")) out.emplace_back(action::Clone{std::move(*inner)});
    else out.emplace_back(action::WriteActions{std::move(*inner)});
  } else if (iequals(key, "check_pkt_larger")) {
    // check_pkt_larger(LEN)->DST[bit]: the split put "->DST" after the ')'.
    std::string_view rest = kv.whole.substr(kv.whole.find(')') + 1);
    if (kv.delim != '(' || rest.substr(0, 2) != "->")
      return make_error("check_pkt_larger: expected check_pkt_larger(LEN)->FIELD[bit]");
    auto len = parse_uint(kv.value, 0, 0xffff, "check_pkt_larger length");
    if (!len) return Error{len.error()};
    auto dst = parse_writable_subfield(rest.substr(2), "check_pkt_larger");
    if (!dst) return Error{dst.error()};
    if (dst->n_bits != 1)
      return make_error("check_pkt_larger: destination " + quoted(rest.substr(2)) +
                        " must be one bit");
    out.emplace_back(action::CheckPktLarger{static_cast<uint16_t>(*len), *dst});
  } else if (iequals(key, "multipath")) {
    if (Status s = parse_multipath(kv, out); !s) return Error{s.error()};
  } else if (iequals(key, "learn")) {
    if (kv.delim != '(') return make_error("learn: expected learn(ARGUMENTS)");
    auto learn = parse_learn_action(kv.value, ports);
    if (!learn) return Error{learn.error()};
    out.emplace_back(std::move(*learn));
  } else if (iequals(key, "bundle") || iequals(key, "bundle_load")) {
    if (Status s = parse_bundle(kv, iequals(key, "bundle_load"), ports, out); !s)
      return Error{s.error()};
  } else {
    return false;
  }
  return true;
}

Result<bool> parse_output_field(std::string_view value, std::vector<OfAction>& out) {
  if (value.find('[') == std::string_view::npos) return false;
  auto sf = parse_subfield(value, "output");
  if (!sf) return Error{sf.error()};
  if (sf->n_bits > 32)
    return make_error("output: " + quoted(value) + " is wider than a port number (32 bits)");
  out.emplace_back(action::OutputReg{*sf});
  return true;
}

}  // namespace flowpath::openflow::of_text
