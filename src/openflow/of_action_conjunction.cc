// The ovs-ofctl text of conjunction(ID,K/N): one dimension (K of N) of the
// conjunctive match ID. The classifier gives it its meaning
// (ofproto/classifier/conjunction.h); here only the syntax and the ranges
// Open vSwitch enforces: 2 <= N <= 64, 1 <= K <= N, ID a 32-bit number.
// Also note:HH.HH..., the one action a conjunction may go with. Printed back
// by of_action_format_ext.cc.
#include <string>

#include "openflow/of_action.h"
#include "openflow/of_text_internal.h"

namespace flowpath::openflow::of_text {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

constexpr std::string_view kSyntax = "conjunction: expected conjunction(ID,K/N)";

}  // namespace

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// note:HH[.]HH...: bytes as pairs of hex digits, periods between pairs
// allowed. On the wire a note fills its action to a multiple of 8 bytes, so
// the bytes are padded with zeros to 6 more than a multiple of 8, as Open
// vSwitch pads them: the rule prints the same whether it came as text or
// over OpenFlow.
Result<bool> parse_note(const KeyValue& kv, std::vector<OfAction>& out) {
  constexpr size_t kMaxBytes = 0xffff - 16;  // the action's 16-bit length
  std::vector<uint8_t> data;
  std::string_view text = kv.value;
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '.') {
      ++i;
      continue;
    }
    int hi = hex_digit(text[i]);
    int lo = i + 1 < text.size() ? hex_digit(text[i + 1]) : -1;
    if (hi < 0 || lo < 0)
      return make_error("note: \"" + std::string(text) + "\" is not pairs of hex digits (at offset " +
                        std::to_string(i) + ")");
    data.push_back(static_cast<uint8_t>(hi << 4 | lo));
    i += 2;
  }
  if (data.size() > kMaxBytes) return make_error("note: more than 65519 bytes");
  while (data.size() % 8 != 6) data.push_back(0);
  out.emplace_back(action::Note{std::move(data)});
  return true;
}

}  // namespace

Result<bool> parse_conjunction_action(const KeyValue& kv, std::vector<OfAction>& out) {
  if (iequals(kv.key, "note")) return parse_note(kv, out);
  if (!iequals(kv.key, "conjunction")) return false;
  const std::string_view args = kv.value;
  if (kv.delim != '(') return make_error(std::string(kSyntax) + " (got \"" + std::string(kv.whole) + "\")");
  const size_t comma = args.find(',');
  const size_t slash = args.find('/');
  if (comma == std::string_view::npos || slash == std::string_view::npos || slash < comma)
    return make_error(std::string(kSyntax) + " (got \"conjunction(" + std::string(args) + ")\")");
  auto id = parse_uint(trim(args.substr(0, comma)), 0, 0xffffffff, "conjunction id");
  if (!id) return Error{id.error()};
  auto k = parse_uint(trim(args.substr(comma + 1, slash - comma - 1)), 0, 0xffff,
                      "conjunction clause K");
  if (!k) return Error{k.error()};
  auto n = parse_uint(trim(args.substr(slash + 1)), 0, 0xffff, "conjunction clauses N");
  if (!n) return Error{n.error()};
  if (*n < 2)
    return make_error("conjunction(" + std::string(args) + "): N is " + std::to_string(*n) +
                      ", a conjunctive match needs at least 2 clauses");
  if (*n > 64)
    return make_error("conjunction(" + std::string(args) + "): N is " + std::to_string(*n) +
                      ", a conjunctive match has at most 64 clauses");
  if (*k < 1)
    return make_error("conjunction(" + std::string(args) + "): clause K must be 1 or more");
  if (*k > *n)
    return make_error("conjunction(" + std::string(args) + "): clause K " + std::to_string(*k) +
                      " is past N " + std::to_string(*n));
  out.emplace_back(action::Conjunction{static_cast<uint32_t>(*id), static_cast<uint8_t>(*k - 1),
                                       static_cast<uint8_t>(*n)});
  return true;
}

}  // namespace flowpath::openflow::of_text
